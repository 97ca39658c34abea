// A post as the feed, search and profiles list it.
import { h } from "../core/dom.js";
import { t, formatDate, formatRelative } from "../core/i18n.js";
import { highlightNodes } from "./highlight.js";
import { likeButton } from "./like.js";

/** The author's name, or a stand-in until ContentService has heard it. */
export function authorName(post) {
  return post.authorNickname ?? t("post.unknownAuthor");
}

export function timeElement(iso) {
  return h("time", { datetime: iso, title: formatDate(iso) }, formatRelative(iso));
}

/** A tag list whose tags link to the feed filtered by them. */
export function tagList(tags) {
  if (!tags?.length) return null;
  return h("ul", { class: "tags", "aria-label": t("post.tags") },
    tags.map((tag) => h("li", {}, h("a", { href: `/?tag=${encodeURIComponent(tag)}` }, `#${tag}`))));
}

/** A summary card; with `highlight` (a search query) the matched words of title and excerpt are marked. */
export function postCard(post, { highlight = null, headingLevel = 2 } = {}) {
  const text = (value) => (highlight ? highlightNodes(value, highlight) : value);
  return h("article", { class: "card post-card" },
    h(`h${headingLevel}`, { class: "title" }, h("a", { href: `/posts/${encodeURIComponent(post.id)}` }, text(post.title))),
    h("p", { class: "meta" },
      h("a", { href: `/users/${encodeURIComponent(post.authorId)}` }, authorName(post)),
      h("span", { "aria-hidden": "true" }, " · "),
      timeElement(post.createdAt)),
    post.excerpt ? h("p", { class: "excerpt" }, text(post.excerpt)) : null,
    h("div", { class: "card-footer" }, tagList(post.tags), likeButton(post)),
  );
}
