// Search at /search?q=...&sort=relevance|latest: the matched words marked in each result (as
// text inside <mark>, never HTML). Results follow the typing after a pause, but never while an
// IME is composing (a Korean syllable in progress), and Enter that ends a composition submits
// nothing.
import { h } from "../core/dom.js";
import { t } from "../core/i18n.js";
import { buildURL } from "../core/api.js";
import { navigate, setEntryState, entryState } from "../core/router.js";
import { emptyState, pageHeading, setTitle } from "../ui/page.js";
import { postCard } from "../ui/post-card.js";
import { pagedList } from "./feed.js";

export const SEARCH_SORTS = ["relevance", "latest"];
const KEYWORD_MAX = 100;

export function searchURL(q, sort) {
  return buildURL("/search", { q: q || null, sort: sort === "relevance" ? null : sort });
}

function renderSearch(params, query, container) {
  const q = (query.get("q") ?? "").slice(0, 1000);
  const sort = SEARCH_SORTS.includes(query.get("sort")) ? query.get("sort") : "relevance";
  setTitle(q ? t("search.titleFor", { q }) : t("search.title"));

  const input = h("input", { type: "search", name: "q", id: "search-q", value: q, maxlength: KEYWORD_MAX, enterkeyhint: "search", "aria-label": t("search.label"), "aria-describedby": "search-hint" });
  const form = h("form", { role: "search", class: "search-form", "aria-label": t("search.title") },
    input,
    h("button", { type: "submit", class: "button" }, t("search.submit")));
  const results = h("div", { "aria-live": "polite" });
  const sortNav = h("div", { class: "toolbar" });
  let controller = null;
  let composing = false;
  let timer = null;
  let shown = null;

  function showSort(current) {
    sortNav.replaceChildren(h("nav", { class: "segmented", "aria-label": t("search.sortLabel") },
      SEARCH_SORTS.map((one) => h("a", { href: searchURL(current, one), "aria-current": one === sort ? "true" : undefined }, t(`search.sort.${one}`)))));
  }

  function show(keyword, { size } = {}) {
    const trimmed = keyword.trim();
    if (shown === keyword) return;
    shown = keyword;
    controller?.abort();
    showSort(keyword);
    if (!trimmed) {
      results.replaceChildren(emptyState(t("search.prompt")));
      return;
    }
    controller = new AbortController();
    const paged = pagedList({
      path: "/api/search",
      // As typed: a trailing space says the last word is complete (docs/api.md).
      query: { keyword, sort },
      render: (post) => postCard(post, { highlight: keyword }),
      signal: controller.signal,
      empty: () => emptyState(t("search.none", { q: trimmed }), h("a", { href: "/" }, t("search.browseFeed"))),
      onPage: (items, total) => setEntryState({ loaded: total }),
    });
    results.replaceChildren(paged.element);
    return paged.loadFirst(size);
  }

  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.isComposing || event.keyCode === 229)) event.preventDefault();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (composing) return;
    clearTimeout(timer);
    const keyword = input.value;
    if (keyword === q && shown === q) return;
    navigate(searchURL(keyword, sort));
  });
  input.addEventListener("compositionstart", () => { composing = true; });
  input.addEventListener("compositionend", () => {
    composing = false;
    schedule();
  });
  input.addEventListener("input", (event) => {
    if (event.isComposing || composing) return;
    schedule();
  });
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (composing) return;
      const keyword = input.value;
      // The address follows the typing without a new history entry for every letter.
      history.replaceState(history.state, "", searchURL(keyword, sort));
      setTitle(keyword ? t("search.titleFor", { q: keyword }) : t("search.title"));
      show(keyword);
    }, 400);
  }

  container.replaceChildren(
    pageHeading(t("search.title")),
    form,
    h("p", { id: "search-hint", class: "hint" }, t("search.hint")),
    sortNav,
    results);
  const first = show(q, { size: entryState()?.loaded });
  return Promise.resolve(first).then(() => () => {
    clearTimeout(timer);
    controller?.abort();
  });
}

export function register(route) {
  route("/search", renderSearch);
}
