// The order of a playlist's items, as the page changes it before the server confirms: moving one
// item (by drag and drop or by the move buttons), the 1-based rank to send
// (PATCH /api/playlists/{id}/items/{itemId} {"position"}), and the drop target of a drag.
// Items are { id, position, ... } in order; nothing here mutates its input.

/** The items with `position` numbered 1…n in their current order. */
export function renumber(items) {
  return items.map((item, index) => (item.position === index + 1 ? item : { ...item, position: index + 1 }));
}

/** The items with the one at `from` moved to index `to` (both 0-based, clamped), renumbered. */
export function moveItem(items, from, to) {
  if (from < 0 || from >= items.length) return items.slice();
  const target = Math.max(0, Math.min(items.length - 1, to));
  const result = items.slice();
  const [moved] = result.splice(from, 1);
  result.splice(target, 0, moved);
  return renumber(result);
}

/** Moves the item with `itemId` to the 1-based `position`; also returns the index it left. */
export function moveToPosition(items, itemId, position) {
  const from = items.findIndex((item) => item.id === itemId);
  if (from < 0) return { items: items.slice(), from: -1, to: -1 };
  const to = Math.max(0, Math.min(items.length - 1, position - 1));
  return { items: moveItem(items, from, to), from, to };
}

/**
 * A keyboard move: one step up (-1) or down (+1). null when the item is already at that end.
 * Returns { items, itemId, position } with the rank to send to the server.
 */
export function step(items, itemId, delta) {
  const from = items.findIndex((item) => item.id === itemId);
  const to = from + delta;
  if (from < 0 || to < 0 || to >= items.length) return null;
  return { items: moveItem(items, from, to), itemId, position: to + 1 };
}

/**
 * Where a dragged item lands when dropped on `overIndex`: before that item when the pointer is on
 * its upper half (`after` false), after it otherwise. Returns the 0-based index the dragged item
 * takes once it has left its own place, or null when nothing moves.
 */
export function dropIndex(fromIndex, overIndex, after) {
  let to = overIndex + (after ? 1 : 0); // an index among the items, the dragged one still in them
  if (to > fromIndex) to -= 1; // its own place closes up
  return to === fromIndex ? null : to;
}

/** The move a drop makes: { items, itemId, position } or null. */
export function drop(items, fromIndex, overIndex, after) {
  if (fromIndex < 0 || fromIndex >= items.length || overIndex < 0 || overIndex >= items.length) return null;
  const to = dropIndex(fromIndex, overIndex, after);
  if (to === null) return null;
  return { items: moveItem(items, fromIndex, to), itemId: items[fromIndex].id, position: to + 1 };
}

/** The items without the one with `itemId`, renumbered (an optimistic removal). */
export function removeItem(items, itemId) {
  return renumber(items.filter((item) => item.id !== itemId));
}

/** Whether two lists have the same items in the same order (to check the server's answer). */
export function sameOrder(a, b) {
  return a.length === b.length && a.every((item, index) => item.id === b[index].id);
}
