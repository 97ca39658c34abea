// The header on every screen: the site's name, the main links, the account link (or log in and
// sign up) and the language switch. ADMIN sees the admin link (the server decides regardless).
import { h, replace } from "../core/dom.js";
import { t, getLanguage, setLanguage } from "../core/i18n.js";

const LINKS = [
  { href: "/", key: "nav.feed", match: (path) => path === "/" || path.startsWith("/posts") },
  { href: "/search", key: "nav.search" },
  { href: "/videos", key: "nav.videos" },
  { href: "/playlists", key: "nav.playlists" },
  { href: "/ask", key: "nav.ask" },
];

function isCurrent(link, path) {
  if (link.match) return link.match(path);
  return path === link.href || path.startsWith(`${link.href}/`);
}

/** Renders the header into `header` for a session state ({status, user}). */
export function renderHeader(header, state) {
  const user = state.status === "signed-in" ? state.user : null;
  const links = [...LINKS];
  if (user?.role === "ADMIN") links.push({ href: "/admin", key: "nav.admin" });
  const other = getLanguage() === "ko" ? "en" : "ko";
  const languageButton = h("button", {
    type: "button", class: "language", lang: other,
    "aria-label": other === "en" ? "Switch to English" : "한국어로 보기",
    onclick: () => setLanguage(other),
  }, other === "en" ? "English" : "한국어");

  const account = user
    ? [h("a", { href: "/account", class: "account-link", dataset: { nav: "/account" } }, h("span", { class: "visually-hidden" }, t("nav.account")), h("span", { "aria-hidden": "true", class: "avatar" }, initial(user.nickname)), h("span", { class: "nickname" }, user.nickname))]
    : [h("a", { href: "/login", dataset: { nav: "/login" } }, t("nav.login")), h("a", { href: "/signup", class: "button small", dataset: { nav: "/signup" } }, t("nav.signup"))];

  replace(header,
    h("div", { class: "bar" },
      h("a", { href: "/", class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }, "◆"), t("app.name")),
      h("nav", { "aria-label": t("nav.label"), class: "main-nav" },
        h("ul", {}, links.map((link) => h("li", {}, h("a", { href: link.href, dataset: { nav: link.href } }, t(link.key)))))),
      h("div", { class: "tools" }, account, languageButton),
    ),
  );
  header.links = links;
  markCurrent(header, location.pathname);
}

function initial(nickname) {
  return [...String(nickname ?? "?").trim()][0]?.toUpperCase() ?? "?";
}

/** aria-current="page" on the link of the screen shown. */
export function markCurrent(header, path) {
  for (const anchor of header.querySelectorAll("a[data-nav]")) {
    const link = (header.links ?? LINKS).find((one) => one.href === anchor.dataset.nav);
    const current = link ? isCurrent(link, path) : path === anchor.dataset.nav;
    if (current) anchor.setAttribute("aria-current", "page");
    else anchor.removeAttribute("aria-current");
  }
}
