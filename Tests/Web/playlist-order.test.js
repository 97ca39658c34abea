// A playlist's order as the web client changes it (web/app/js/playlists/order.js): moves by drag
// and drop and by the keyboard, the 1-based rank the server is sent, removal.
// Run by deploy/test: node --test Tests/Web
import assert from "node:assert/strict";
import { test } from "node:test";
import { drop, dropIndex, moveItem, moveToPosition, removeItem, renumber, sameOrder, step } from "../../web/app/js/playlists/order.js";

const items = ["a", "b", "c", "d"].map((id, index) => ({ id, position: index + 1, video: { title: id.toUpperCase() } }));
const ids = (list) => list.map((item) => item.id).join("");
const positions = (list) => list.map((item) => item.position);

test("moveItem moves one item and renumbers from 1, leaving its input alone", () => {
  assert.equal(ids(moveItem(items, 0, 2)), "bcad");
  assert.equal(ids(moveItem(items, 3, 0)), "dabc");
  assert.equal(ids(moveItem(items, 1, 1)), "abcd");
  assert.equal(ids(moveItem(items, 1, 99)), "acdb", "clamped to the end");
  assert.deepEqual(positions(moveItem(items, 3, 0)), [1, 2, 3, 4]);
  assert.equal(ids(items), "abcd");
  assert.deepEqual(positions(items), [1, 2, 3, 4]);
  assert.equal(ids(moveItem(items, 7, 0)), "abcd", "an index outside the list moves nothing");
});

test("moveToPosition takes the server's 1-based rank", () => {
  const { items: moved, from, to } = moveToPosition(items, "a", 3);
  assert.deepEqual([ids(moved), from, to], ["bcad", 0, 2]);
  assert.equal(ids(moveToPosition(items, "d", 1).items), "dabc");
  assert.equal(moveToPosition(items, "zz", 1).from, -1);
});

test("step moves one place up or down and says the rank to send; not past either end", () => {
  assert.deepEqual(step(items, "b", -1), { items: moveItem(items, 1, 0), itemId: "b", position: 1 });
  assert.equal(ids(step(items, "b", +1).items), "acbd");
  assert.equal(step(items, "b", +1).position, 3);
  assert.equal(step(items, "a", -1), null);
  assert.equal(step(items, "d", +1), null);
  assert.equal(step(items, "nope", 1), null);
});

test("a drop lands before the upper half of an item and after the lower half", () => {
  // Dragging a (index 0):
  assert.equal(dropIndex(0, 0, false), null, "onto itself");
  assert.equal(dropIndex(0, 0, true), null, "just after itself is where it is");
  assert.equal(dropIndex(0, 1, false), null, "just before the next one is where it is");
  assert.equal(dropIndex(0, 1, true), 1);
  assert.equal(dropIndex(0, 3, true), 3);
  // Dragging d (index 3) upwards:
  assert.equal(dropIndex(3, 0, false), 0);
  assert.equal(dropIndex(3, 0, true), 1);
  assert.equal(dropIndex(3, 2, true), null);
});

test("drop gives the new order and the rank the server needs", () => {
  assert.deepEqual(drop(items, 0, 2, true), { items: moveItem(items, 0, 2), itemId: "a", position: 3 });
  assert.equal(ids(drop(items, 0, 2, true).items), "bcad");
  assert.equal(ids(drop(items, 3, 1, false).items), "adbc");
  assert.equal(drop(items, 3, 1, false).position, 2);
  assert.equal(drop(items, 1, 1, true), null);
  assert.equal(drop(items, -1, 1, true), null);
});

test("every drag from every place to every place agrees with the server's move to that rank", () => {
  for (let from = 0; from < items.length; from++) {
    for (let over = 0; over < items.length; over++) {
      for (const after of [false, true]) {
        const result = drop(items, from, over, after);
        if (!result) continue;
        // What the server does with PATCH {position}: take the item out, put it at that rank.
        const server = moveToPosition(items, result.itemId, result.position).items;
        assert.ok(sameOrder(result.items, server), `${from} over ${over} ${after}`);
      }
    }
  }
});

test("removeItem renumbers what is left; renumber keeps items already in place", () => {
  const left = removeItem(items, "b");
  assert.equal(ids(left), "acd");
  assert.deepEqual(positions(left), [1, 2, 3]);
  assert.equal(renumber(items)[0], items[0]);
  assert.ok(!sameOrder(items, left));
});
