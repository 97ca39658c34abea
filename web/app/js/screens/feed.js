// The posts feed at /: latest, oldest or most liked, filtered by a tag or an author, with
// "load more" on the cursor. Everything is in the address (/?sort=likes&tag=swift), so a view
// can be linked to, and Back returns to the same place with as many posts loaded as before.
import { h } from "../core/dom.js";
import { t } from "../core/i18n.js";
import { api, buildURL } from "../core/api.js";
import { session } from "../core/auth.js";
import { entryState, setEntryState, navigate } from "../core/router.js";
import { errorBox } from "../core/errors.js";
import { emptyState, loading, pageHeading, setTitle } from "../ui/page.js";
import { postCard } from "../ui/post-card.js";

export const SORTS = ["latest", "oldest", "likes"];
const PAGE_SIZE = 20;

/** The feed's filters read from a query string, unknown values dropped. */
export function feedFilters(query) {
  const sort = SORTS.includes(query.get("sort")) ? query.get("sort") : "latest";
  return { sort, tag: query.get("tag") || null, authorId: query.get("author") || null };
}

/** The feed's address for some filters (the default sort left out). */
export function feedURL({ sort, tag, authorId }) {
  return buildURL("/", { sort: sort === "latest" ? null : sort, tag, author: authorId });
}

/**
 * A list that loads pages of `path` by cursor into `list`, with a "load more" button.
 * Returns {loadFirst(size), more, element}; onPage(items, total) after each page.
 */
export function pagedList({ path, query, render, empty, onPage, signal }) {
  const list = h("div", { class: "stack", "aria-busy": "false" });
  const status = h("div", {});
  const moreButton = h("button", { type: "button", class: "button secondary" }, t("list.loadMore"));
  const more = h("div", { class: "load-more", hidden: true }, moreButton);
  let cursor = null;
  let total = 0;
  let loadingNow = false;

  async function load(size, first) {
    if (loadingNow) return;
    loadingNow = true;
    list.setAttribute("aria-busy", "true");
    moreButton.disabled = true;
    status.replaceChildren(first ? loading() : loading(t("list.loadingMore")));
    try {
      const page = await api("GET", path, { query: { ...query, size, cursor: first ? null : cursor }, signal });
      status.replaceChildren();
      cursor = page.nextCursor;
      total += page.items.length;
      for (const item of page.items) list.append(render(item));
      if (first && page.items.length === 0) status.replaceChildren(empty());
      more.hidden = !cursor;
      onPage?.(page.items, total);
    } catch (error) {
      if (error?.name === "AbortError") return;
      status.replaceChildren(errorBox(error, { onRetry: () => load(size, first) }));
    } finally {
      loadingNow = false;
      moreButton.disabled = false;
      list.setAttribute("aria-busy", "false");
    }
  }

  moreButton.addEventListener("click", async () => {
    const before = list.children.length;
    await load(PAGE_SIZE, false);
    // Keyboard users continue from the first new post.
    list.children[before]?.querySelector("a")?.focus();
  });
  return {
    element: h("div", {}, list, status, more),
    loadFirst: (size = PAGE_SIZE) => load(Math.min(100, Math.max(PAGE_SIZE, size)), true),
    list,
  };
}

function sortControl(filters) {
  return h("nav", { class: "segmented", "aria-label": t("feed.sortLabel") },
    SORTS.map((sort) => h("a", { href: feedURL({ ...filters, sort }), "aria-current": filters.sort === sort ? "true" : undefined }, t(`feed.sort.${sort}`))));
}

/** A small form that filters the feed by a tag typed in. */
function tagFilterForm(filters) {
  const input = h("input", { type: "search", name: "tag", id: "feed-tag", value: filters.tag ?? "", maxlength: 30, "aria-label": t("feed.tagFilter"), placeholder: t("feed.tagPlaceholder") });
  const form = h("form", { class: "tag-filter", role: "search", "aria-label": t("feed.tagFilter") }, input,
    h("button", { type: "submit", class: "button small secondary" }, t("feed.applyTag")));
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.isComposing || event.keyCode === 229)) event.preventDefault();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const tag = input.value.trim().replace(/^#/, "");
    navigate(feedURL({ ...filters, tag: tag || null }));
  });
  return form;
}

function filterChips(filters, authorName) {
  const chips = [];
  if (filters.tag) {
    chips.push(h("span", { class: "chip" }, `#${filters.tag}`,
      h("a", { href: feedURL({ ...filters, tag: null }), "aria-label": t("feed.removeTag", { tag: filters.tag }) }, "✕")));
  }
  if (filters.authorId) {
    chips.push(h("span", { class: "chip" }, t("feed.byAuthor", { name: authorName ?? "…" }),
      h("a", { href: feedURL({ ...filters, authorId: null }), "aria-label": t("feed.removeAuthor") }, "✕")));
  }
  return chips.length ? h("div", { class: "filters", "aria-label": t("feed.filters") }, chips) : null;
}

async function renderFeed(params, query, container) {
  const filters = feedFilters(query);
  setTitle(filters.tag ? `#${filters.tag}` : t("feed.title"));
  const controller = new AbortController();
  const chipsSlot = h("div", {});
  const paged = pagedList({
    path: "/api/posts",
    query: { sort: filters.sort, tag: filters.tag, authorId: filters.authorId },
    render: (post) => postCard(post),
    signal: controller.signal,
    empty: () => emptyState(filters.tag || filters.authorId ? t("feed.emptyFiltered") : t("feed.empty"),
      session?.signedIn ? h("a", { class: "button", href: "/posts/new" }, t("post.write")) : null),
    onPage: (items, total) => {
      setEntryState({ loaded: total });
      if (filters.authorId && items[0]) chipsSlot.replaceChildren(filterChips(filters, items[0].authorNickname) ?? "");
    },
  });
  chipsSlot.replaceChildren(filterChips(filters) ?? "");
  container.replaceChildren(
    pageHeading(filters.tag ? `#${filters.tag}` : t("feed.title"),
      session?.signedIn ? h("a", { class: "button", href: "/posts/new" }, t("post.write")) : null),
    h("div", { class: "toolbar" }, sortControl(filters), tagFilterForm(filters)),
    chipsSlot,
    paged.element,
  );
  // Back to this entry: as many posts as were loaded, so the scroll position exists again.
  await paged.loadFirst(entryState()?.loaded ?? PAGE_SIZE);
  return () => controller.abort();
}

export function register(route) {
  route("/", renderFeed);
}
