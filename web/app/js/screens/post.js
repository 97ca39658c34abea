// One post at /posts/:id: the whole text, its tags and likes; its author (or an ADMIN) can edit
// or delete it.
import { h } from "../core/dom.js";
import { t, formatDate } from "../core/i18n.js";
import { api } from "../core/api.js";
import { session } from "../core/auth.js";
import { navigate } from "../core/router.js";
import { errorBox, errorText } from "../core/errors.js";
import { emptyState, loading, setTitle } from "../ui/page.js";
import { authorName, tagList, timeElement } from "../ui/post-card.js";
import { likeButton } from "../ui/like.js";
import { confirmDialog } from "../ui/dialog.js";
import { feedURL } from "./feed.js";
import { toast } from "../ui/toast.js";

/** Whether the reader may edit or delete a post. */
export function canManage(post, user) {
  return Boolean(user && (user.id === post.authorId || user.role === "ADMIN"));
}

export function notFoundView(container, text = t("post.notFound")) {
  setTitle(t("notFound.title"));
  container.replaceChildren(h("h1", {}, t("notFound.title")), emptyState(text, h("a", { class: "button", href: "/" }, t("nav.feed"))));
}

async function deletePost(post) {
  const ok = await confirmDialog({ title: t("post.deleteTitle"), message: t("post.deleteConfirm", { title: post.title }), confirmLabel: t("action.delete"), danger: true });
  if (!ok) return;
  try {
    await api("DELETE", `/api/posts/${encodeURIComponent(post.id)}`);
    toast(t("post.deleted"));
    navigate("/", { replace: true });
  } catch (error) {
    toast(errorText(error), { kind: "error" });
  }
}

async function renderPost({ id }, query, container) {
  const controller = new AbortController();
  container.replaceChildren(loading());
  let post;
  try {
    post = await api("GET", `/api/posts/${encodeURIComponent(id)}`, { signal: controller.signal });
  } catch (error) {
    if (error?.name === "AbortError") return undefined;
    if (error.status === 404 || error.code === "invalid_id") {
      notFoundView(container);
    } else {
      setTitle(t("error.title"));
      container.replaceChildren(h("h1", {}, t("error.title")), errorBox(error, { onRetry: () => renderPost({ id }, query, container) }));
    }
    return () => controller.abort();
  }
  setTitle(post.title);
  const edited = post.updatedAt && post.updatedAt !== post.createdAt;
  const manage = canManage(post, session?.user);
  container.replaceChildren(h("article", { class: "post" },
    h("h1", {}, post.title),
    h("p", { class: "meta" },
      h("a", { href: `/users/${encodeURIComponent(post.authorId)}` }, authorName(post)),
      h("span", { "aria-hidden": "true" }, " · "),
      timeElement(post.createdAt),
      edited ? h("span", {}, " · ", t("post.edited", { date: formatDate(post.updatedAt, { dateStyle: "medium" }) })) : null,
      h("span", { "aria-hidden": "true" }, " · "),
      h("a", { href: feedURL({ sort: "latest", tag: null, authorId: post.authorId }) }, t("post.moreByAuthor"))),
    tagList(post.tags),
    h("div", { class: "post-body" }, post.body ?? ""),
    h("div", { class: "post-actions" },
      likeButton(post),
      manage ? h("a", { class: "button secondary small", href: `/posts/${encodeURIComponent(post.id)}/edit` }, t("action.edit")) : null,
      manage ? h("button", { type: "button", class: "button secondary small", onclick: () => deletePost(post) }, t("action.delete")) : null),
    h("p", { class: "links" }, h("a", { href: "/" }, `← ${t("post.backToFeed")}`)),
  ));
  return () => controller.abort();
}

export function register(route) {
  route("/posts/:id", renderPost);
}
