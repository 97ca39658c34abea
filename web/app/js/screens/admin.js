// Administration at /admin (shown to ADMIN; the server checks every call regardless): find an
// account, see its status and what it owns, ban it with a reason or lift the ban, each after a
// confirmation. /admin?q=ann@&user=<id> opens a search and an account directly.
import { h } from "../core/dom.js";
import { t, formatDate, formatNumber } from "../core/i18n.js";
import { api, buildURL } from "../core/api.js";
import { session } from "../core/auth.js";
import { errorBox, errorText } from "../core/errors.js";
import { emptyState, field, loading, pageHeading, requireSignIn, setBusy, setTitle } from "../ui/page.js";
import { confirmDialog } from "../ui/dialog.js";
import { toast } from "../ui/toast.js";

function adminURL(q, user) {
  return buildURL("/admin", { q: q || null, user: user || null });
}

function userDetails(userId, detail, { onChanged }) {
  detail.replaceChildren(loading());
  const load = async () => {
    const [account, counts] = await Promise.allSettled([
      api("GET", `/api/admin/users/${encodeURIComponent(userId)}`),
      api("GET", `/api/admin/users/${encodeURIComponent(userId)}/content`),
    ]);
    if (account.status === "rejected") {
      detail.replaceChildren(errorBox(account.reason, { onRetry: load }));
      return;
    }
    const user = account.value;
    const banned = user.banned;
    const action = banned
      ? h("button", { type: "button", class: "button secondary" }, t("admin.unban"))
      : h("button", { type: "button", class: "button danger" }, t("admin.ban"));
    const status = h("div", { role: "status" });
    action.addEventListener("click", async () => {
      if (banned) {
        const ok = await confirmDialog({ title: t("admin.unbanTitle"), message: t("admin.unbanConfirm", { name: user.nickname, email: user.email }), confirmLabel: t("admin.unban") });
        if (!ok) return;
      }
      const reason = banned ? null : await confirmDialog({
        title: t("admin.banTitle"),
        message: t("admin.banConfirm", { name: user.nickname, email: user.email }),
        confirmLabel: t("admin.ban"),
        danger: true,
        input: { label: t("admin.reason"), required: true, maxLength: 500, multiline: true },
      });
      if (!banned && (reason === null || !reason.trim())) return;
      setBusy(action, true);
      try {
        if (banned) await api("POST", `/api/admin/users/${encodeURIComponent(user.id)}/unban`);
        else await api("POST", `/api/admin/users/${encodeURIComponent(user.id)}/ban`, { json: { reason: reason.trim() } });
        toast(banned ? t("admin.unbanned") : t("admin.banned"));
        onChanged?.();
        await load();
        detail.querySelector("h2")?.focus();
      } catch (error) {
        setBusy(action, false);
        status.replaceChildren(errorBox(error));
      }
    });
    const countList = counts.status === "fulfilled"
      ? h("ul", { class: "counts" }, ["posts", "videos", "playlists"].map((kind) =>
        h("li", {}, h("strong", {}, formatNumber(counts.value[kind] ?? 0)), t(`admin.count.${kind}`))))
      : h("p", { class: "notice warning" }, `${t("admin.countsFailed")} ${errorText(counts.reason)}`);
    detail.replaceChildren(h("div", { class: "card" },
      h("h2", { tabindex: "-1" }, user.nickname),
      h("dl", { class: "facts" },
        h("dt", {}, t("field.email")), h("dd", {}, user.email),
        h("dt", {}, t("admin.id")), h("dd", { class: "request-id" }, user.id),
        h("dt", {}, t("account.role")), h("dd", {}, user.role === "ADMIN" ? t("account.roleAdmin") : t("account.roleUser")),
        h("dt", {}, t("account.verification")), h("dd", {}, user.emailVerified ? t("account.verified") : t("account.unverified")),
        h("dt", {}, t("account.since")), h("dd", {}, formatDate(user.createdAt)),
        h("dt", {}, t("admin.status")), h("dd", {}, banned ? h("span", { class: "badge bad" }, t("admin.statusBanned")) : h("span", { class: "badge ok" }, t("admin.statusActive")))),
      banned ? h("div", { class: "notice error" },
        h("p", {}, t("admin.banReason", { reason: banned.reason })),
        h("p", {}, t("admin.banSince", { date: formatDate(banned.at) }))) : null,
      countList,
      status,
      h("div", { class: "post-actions" }, action, h("a", { class: "button secondary", href: `/users/${encodeURIComponent(user.id)}` }, t("admin.viewProfile"))),
    ));
  };
  return load();
}

function renderAdmin(params, query, container) {
  if (!requireSignIn(container)) return undefined;
  setTitle(t("admin.title"));
  if (session.user?.role !== "ADMIN") {
    container.replaceChildren(pageHeading(t("admin.title")), emptyState(t("admin.forbidden")));
    return undefined;
  }
  let q = query.get("q") ?? "";
  let selected = query.get("user");
  const input = field(t("admin.searchLabel"), { type: "search", name: "q", value: q, maxlength: 254 }, { hint: t("admin.searchHint") });
  const form = h("form", { class: "inline-form", role: "search" }, input, h("button", { type: "submit", class: "button" }, t("search.submit")));
  const list = h("ul", { class: "user-list" });
  const listStatus = h("div", {});
  const more = h("button", { type: "button", class: "button secondary", hidden: true }, t("list.loadMore"));
  const detail = h("div", { "aria-live": "polite" });
  let cursor = null;

  function userButton(user) {
    const button = h("button", { type: "button", "aria-pressed": String(user.id === selected) },
      h("span", {}, user.nickname, " ", user.banned ? h("span", { class: "badge bad" }, t("admin.statusBanned")) : null, user.role === "ADMIN" ? h("span", { class: "badge" }, "ADMIN") : null),
      h("span", { class: "sub" }, user.email));
    button.addEventListener("click", () => {
      selected = user.id;
      for (const other of list.querySelectorAll("button")) other.setAttribute("aria-pressed", String(other === button));
      history.replaceState(history.state, "", adminURL(q, selected));
      userDetails(user.id, detail, { onChanged: () => search(q) });
    });
    return h("li", {}, button);
  }

  async function search(text, { append = false } = {}) {
    listStatus.replaceChildren(loading());
    try {
      const page = await api("GET", "/api/admin/users", { query: { query: text.trim(), size: 20, cursor: append ? cursor : null } });
      cursor = page.nextCursor;
      listStatus.replaceChildren(page.items.length || append ? "" : emptyState(t("admin.noUsers")));
      if (!append) list.replaceChildren();
      list.append(...page.items.map(userButton));
      more.hidden = !cursor;
    } catch (error) {
      listStatus.replaceChildren(errorBox(error, { onRetry: () => search(text, { append }) }));
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (event.isComposing) return;
    q = input.control.value;
    history.replaceState(history.state, "", adminURL(q, selected));
    search(q);
  });
  more.addEventListener("click", () => search(q, { append: true }));

  container.replaceChildren(
    pageHeading(t("admin.title")),
    form,
    h("div", { class: "section" }, h("h2", { class: "visually-hidden" }, t("admin.results")), list, listStatus, h("div", { class: "load-more" }, more)),
    h("div", { class: "section" }, detail));
  const loads = [search(q)];
  if (selected) loads.push(userDetails(selected, detail, { onChanged: () => search(q) }));
  return Promise.all(loads).then(() => undefined);
}

export function register(route) {
  route("/admin", renderAdmin);
}
