// A list read page by page ({items, nextCursor}, docs/api.md "Paging") with a "load more" button.
import { h, replace } from "../core/dom.js";
import { errorBox } from "../core/errors.js";
import { loading, emptyState, setBusy } from "../ui/page.js";
import { tr } from "./strings.js";

/**
 * Fills `container` with the list: load(cursor, signal) → {items, nextCursor}; item(x) → an <li>.
 * Returns { element, stop, reload }.
 */
export function pagedList({ load, item, emptyText, listClass = "video-grid", label }) {
  const controller = new AbortController();
  const list = h("ul", { class: listClass, "aria-label": label ?? undefined });
  const status = h("div", {});
  const more = h("button", { type: "button", class: "button secondary" }, tr("videos.loadMore"));
  const moreRow = h("div", { class: "load-more", hidden: true }, more);
  const element = h("div", { class: "paged-list" }, list, status, moreRow);
  let cursor = null;
  let count = 0;

  async function next() {
    setBusy(more, true);
    if (count === 0) replace(status, loading());
    try {
      const page = await load(cursor, controller.signal);
      status.replaceChildren();
      for (const one of page.items ?? []) list.append(item(one));
      count += page.items?.length ?? 0;
      cursor = page.nextCursor ?? null;
      moreRow.hidden = cursor === null;
      if (count === 0) replace(status, emptyState(emptyText));
    } catch (error) {
      if (error?.name === "AbortError") return;
      replace(status, errorBox(error, { onRetry: next }));
    } finally {
      setBusy(more, false);
    }
  }

  more.addEventListener("click", next);
  next();
  return {
    element,
    stop: () => controller.abort(),
    reload: () => {
      list.replaceChildren();
      cursor = null;
      count = 0;
      return next();
    },
  };
}
