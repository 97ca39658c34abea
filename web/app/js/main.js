// Boots the client: the language, then the session (one refresh decides whether we are signed
// in: nothing signed-out is drawn before it answers), then the header and the screens.
import { h, replace, focusHeading, announce } from "./core/dom.js";
import { t, setLanguage, initialLanguage, onLanguageChange } from "./core/i18n.js";
import { session } from "./core/auth.js";
import { route, notFound, start, refresh, navigate } from "./core/router.js";
import { renderHeader, markCurrent } from "./ui/nav.js";
import { pageHeading, emptyState, setTitle } from "./ui/page.js";
import * as login from "./screens/login.js";
import * as mailLinks from "./screens/mail-links.js";
import * as account from "./screens/account.js";
import * as feed from "./screens/feed.js";
import * as post from "./screens/post.js";
import * as editor from "./screens/editor.js";
import * as search from "./screens/search.js";
import * as profile from "./screens/profile.js";
import * as admin from "./screens/admin.js";
import * as videos from "./screens/videos.js";
import * as playlists from "./screens/playlists.js";
import * as ask from "./screens/ask.js";

const header = document.getElementById("site-header");
const banner = document.getElementById("banner");
const main = document.getElementById("main");
const footer = document.getElementById("site-footer");
const skipLink = document.getElementById("skip-link");

setLanguage(initialLanguage(), { save: false });

// Order matters where patterns overlap: /posts/new before /posts/:id.
for (const screen of [editor, post, feed, search, login, mailLinks, account, profile, admin, videos, playlists, ask]) {
  screen.register(route);
}
notFound((params, query, container) => {
  setTitle(t("notFound.title"));
  container.replaceChildren(pageHeading(t("notFound.title")),
    emptyState(t("notFound.text"), h("a", { class: "button", href: "/" }, t("nav.feed"))));
});

function renderChrome() {
  skipLink.textContent = t("app.skip");
  renderHeader(header, session.snapshot());
  replace(footer, h("p", {}, t("app.footer"), " · ", h("a", { href: "/api/docs" }, t("app.apiDocs"))));
}

// Why a session ended, said once at the top of the page.
function showSessionBanner(reason) {
  if (!reason || reason === "logout") {
    banner.replaceChildren();
    return;
  }
  const text = t(`session.ended.${reason}`);
  banner.replaceChildren(h("div", { class: ["notice", reason === "banned" ? "error" : "warning"], role: "alert" },
    h("p", {}, text),
    h("button", { type: "button", class: "button small secondary", onclick: () => banner.replaceChildren() }, t("action.dismiss"))));
}

async function boot() {
  await session.boot();
  renderChrome();
  // Why the session found on load could not go on (banned, revoked, unreachable); nothing for a
  // browser that never had one.
  if (session.reason) showSessionBanner(session.reason);
  let lastStatus = session.status;
  let lastUserId = session.user?.id ?? null;
  // The header is drawn again only when what it shows changes (not on every silent refresh,
  // which would take the focus away from a link in it).
  const headerKey = (state) => JSON.stringify([state.status, state.user?.id, state.user?.nickname, state.user?.role]);
  let shownHeader = headerKey(session.snapshot());
  session.subscribe((state) => {
    if (headerKey(state) !== shownHeader) {
      shownHeader = headerKey(state);
      renderChrome();
    }
    const userId = state.user?.id ?? null;
    if (state.status === lastStatus && userId === lastUserId) return;
    const wasSignedIn = lastStatus === "signed-in";
    lastStatus = state.status;
    lastUserId = userId;
    if (state.status === "signed-out") {
      showSessionBanner(state.reason);
      if (wasSignedIn) announce(t("session.signedOut"));
      // The screen drew what a signed-in reader sees: draw it again for a signed-out one.
      refresh({ force: true });
    } else if (state.status === "signed-in") {
      banner.replaceChildren();
      refresh();
    }
  });
  onLanguageChange(() => {
    const fromSwitch = document.activeElement?.classList?.contains("language");
    renderChrome();
    // The switch was drawn again: keyboard focus stays on it.
    if (fromSwitch) header.querySelector("button.language")?.focus();
    refresh();
  });
  await start(main, {
    onRender: ({ path, initial, restore, keepFocus }) => {
      markCurrent(header, path);
      // After a navigation focus goes to the new screen's heading, so a screen reader starts
      // there and Tab continues from it; on load and on Back the browser's place is kept.
      if (!initial && !restore && !keepFocus) focusHeading(main);
    },
  });
}

boot().catch((error) => {
  console.error(error);
  main.replaceChildren(h("p", { class: "notice error", role: "alert" }, t("error.unexpected")));
});

export { navigate };
