// A person's page at /users/:id: their posts (newest first, load more). Other screens add
// sections below with addProfileSection (the playlists screen adds the person's playlists);
// the page also leaves an empty <section id="profile-playlists"> for them.
import { h } from "../core/dom.js";
import { t } from "../core/i18n.js";
import { session } from "../core/auth.js";
import { emptyState, setTitle } from "../ui/page.js";
import { postCard } from "../ui/post-card.js";
import { pagedList } from "./feed.js";
import { entryState, setEntryState } from "../core/router.js";

const sections = [];

/**
 * Adds a section to every profile page: fn({userId, isMe, container}) fills `container` (an
 * element in the page) and may return a cleanup function (or a promise of one).
 */
export function addProfileSection(fn) {
  sections.push(fn);
}

function initial(name) {
  return [...String(name ?? "?").trim()][0]?.toUpperCase() ?? "?";
}

async function renderProfile({ id }, query, container) {
  const isMe = session?.user?.id === id;
  let name = isMe ? session.user.nickname : null;
  const title = h("h1", {}, name ?? t("profile.title"));
  const avatar = h("span", { class: "avatar", "aria-hidden": "true" }, initial(name));
  setTitle(name ?? t("profile.title"));
  const controller = new AbortController();
  const paged = pagedList({
    path: "/api/posts",
    query: { authorId: id, sort: "latest" },
    render: (post) => postCard(post, { headingLevel: 3 }),
    signal: controller.signal,
    empty: () => emptyState(isMe ? t("profile.noPostsMine") : t("profile.noPosts"),
      isMe ? h("a", { class: "button", href: "/posts/new" }, t("post.write")) : null),
    onPage: (items, total) => {
      setEntryState({ loaded: total });
      if (!name && items[0]?.authorNickname) {
        name = items[0].authorNickname;
        title.textContent = name;
        avatar.textContent = initial(name);
        setTitle(name);
      }
    },
  });
  const extra = h("section", { id: "profile-playlists", class: "section", dataset: { userId: id } });
  container.replaceChildren(
    h("div", { class: "profile-head" }, avatar, h("div", {}, title, isMe ? h("p", { class: "meta" }, h("a", { href: "/account" }, t("profile.editAccount"))) : null)),
    h("section", { class: "section", "aria-labelledby": "profile-posts" }, h("h2", { id: "profile-posts" }, t("profile.posts")), paged.element),
    extra,
  );
  const cleanups = [];
  for (const section of sections) {
    const slot = h("div", {});
    extra.append(slot);
    try {
      const cleanup = await section({ userId: id, isMe, container: slot });
      if (typeof cleanup === "function") cleanups.push(cleanup);
    } catch (error) {
      console.error(error);
    }
  }
  await paged.loadFirst(entryState()?.loaded);
  return () => {
    controller.abort();
    for (const cleanup of cleanups) cleanup();
  };
}

export function register(route) {
  route("/users/:id", renderProfile);
}
