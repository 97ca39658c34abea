// The account at /account: who I am, nickname, password, the sessions I have (and ending them),
// logging out here or everywhere, and deleting the account.
import { h } from "../core/dom.js";
import { t, formatDate } from "../core/i18n.js";
import { api } from "../core/api.js";
import { session } from "../core/auth.js";
import { navigate } from "../core/router.js";
import { errorBox, errorText } from "../core/errors.js";
import { field, loading, onSubmit, pageHeading, requireSignIn, setBusy, setTitle } from "../ui/page.js";
import { newPasswordField, validateOnBlur } from "../ui/password-field.js";
import { countCharacters } from "../ui/text.js";
import { confirmDialog } from "../ui/dialog.js";
import { toast } from "../ui/toast.js";

/** A short name for a browser's User-Agent: "Chrome · Linux". */
export function describeUserAgent(userAgent) {
  const text = String(userAgent ?? "");
  if (!text) return null;
  const browser = /Edg\//.test(text) ? "Edge" : /Firefox\//.test(text) ? "Firefox" : /Chrom(e|ium)\//.test(text) ? "Chrome" : /Safari\//.test(text) ? "Safari" : /curl\//.test(text) ? "curl" : null;
  const system = /Android/.test(text) ? "Android" : /iPhone|iPad/.test(text) ? "iOS" : /Windows/.test(text) ? "Windows" : /Mac OS X/.test(text) ? "macOS" : /Linux/.test(text) ? "Linux" : null;
  return [browser, system].filter(Boolean).join(" · ") || text.slice(0, 60);
}

function section(id, title, ...children) {
  return h("section", { class: "section", "aria-labelledby": id }, h("h2", { id }, title), children);
}

function profileSection(user) {
  const resendStatus = h("div", { role: "status" });
  const resend = h("button", { type: "button", class: "button small secondary" }, t("account.resend"));
  resend.addEventListener("click", async () => {
    setBusy(resend, true);
    try {
      await api("POST", "/api/auth/email/resend");
      resendStatus.replaceChildren(h("p", { class: "notice success" }, t("account.resent")));
    } catch (error) {
      resendStatus.replaceChildren(errorBox(error));
    } finally {
      setBusy(resend, false);
    }
  });
  return section("account-profile", t("account.profile"),
    h("dl", { class: "facts" },
      h("dt", {}, t("field.email")), h("dd", {}, user.email),
      h("dt", {}, t("account.verification")), h("dd", {},
        user.emailVerified ? h("span", { class: "badge ok" }, t("account.verified")) : [h("span", { class: "badge warn" }, t("account.unverified")), " ", resend]),
      h("dt", {}, t("account.role")), h("dd", {}, user.role === "ADMIN" ? t("account.roleAdmin") : t("account.roleUser")),
      h("dt", {}, t("account.since")), h("dd", {}, formatDate(user.createdAt, { dateStyle: "long" }))),
    resendStatus,
    h("p", {}, h("a", { href: `/users/${encodeURIComponent(user.id)}` }, t("account.myProfile"))));
}

function nicknameSection(user) {
  const nickname = field(t("field.nickname"), { name: "nickname", value: user.nickname, required: true, maxlength: 50, autocomplete: "nickname" });
  const check = validateOnBlur(nickname.control, (value) => {
    const length = countCharacters(value);
    if (length === 0) return t("field.required");
    return length > 50 ? t("error.invalid_nickname") : null;
  });
  const form = h("form", { class: "form narrow" }, nickname, h("div", { class: "form-error" }), h("div", {}, h("button", { type: "submit", class: "button" }, t("action.save"))));
  onSubmit(form, async () => {
    if (!check()) return;
    const updated = await api("PATCH", "/api/users/me", { json: { nickname: nickname.control.value.trim() } });
    session.updateUser(updated);
    toast(t("account.nicknameSaved"));
  });
  return section("account-nickname", t("account.nickname"), form);
}

function passwordSection(user) {
  // For password managers: which account the new password belongs to.
  const username = h("input", { type: "email", name: "username", autocomplete: "username", value: user.email, readonly: true, tabindex: "-1", "aria-hidden": "true", class: "visually-hidden" });
  const current = field(t("field.currentPassword"), { name: "currentPassword", type: "password", autocomplete: "current-password", required: true });
  const next = newPasswordField(t("field.newPassword"), { name: "newPassword" });
  const form = h("form", { class: "form narrow" }, username, current, next, h("div", { class: "form-error" }), h("div", {}, h("button", { type: "submit", class: "button" }, t("account.changePassword"))));
  onSubmit(form, async () => {
    if (!current.control.value) {
      current.control.focus();
      return;
    }
    if (!next.check()) {
      next.control.focus();
      return;
    }
    await session.changePassword(current.control.value, next.control.value);
    form.reset();
    toast(t("account.passwordChanged"));
  }, { fieldNames: { password: "currentPassword" } });
  return section("account-password", t("account.password"), h("p", { class: "hint" }, t("account.passwordHint")), form);
}

function sessionsSection() {
  const list = h("ul", { class: "session-list" });
  const status = h("div", {});
  async function load() {
    status.replaceChildren(loading());
    try {
      const page = await api("GET", "/api/auth/sessions");
      status.replaceChildren();
      list.replaceChildren(...page.items.map(sessionItem));
    } catch (error) {
      status.replaceChildren(errorBox(error, { onRetry: load }));
    }
  }
  function sessionItem(item) {
    const end = item.current ? null : h("button", { type: "button", class: "button small secondary" }, t("account.endSession"));
    const li = h("li", { class: "card" },
      h("div", {},
        h("strong", {}, describeUserAgent(item.userAgent) ?? t("account.unknownDevice")),
        item.current ? [" ", h("span", { class: "badge ok" }, t("account.thisDevice"))] : null,
        h("p", { class: "meta" },
          t("account.sessionMeta", { last: formatDate(item.lastUsedAt), started: formatDate(item.startedAt, { dateStyle: "medium" }) }),
          item.network ? ` · ${item.network}` : "")),
      end);
    end?.addEventListener("click", async () => {
      setBusy(end, true);
      try {
        await api("DELETE", `/api/auth/sessions/${encodeURIComponent(item.id)}`);
        li.remove();
        toast(t("account.sessionEnded"));
        list.querySelector("button")?.focus();
      } catch (error) {
        setBusy(end, false);
        toast(errorText(error), { kind: "error" });
      }
    });
    return li;
  }
  const logout = h("button", { type: "button", class: "button secondary", dataset: { action: "logout" } }, t("account.logout"));
  logout.addEventListener("click", async () => {
    setBusy(logout, true);
    try {
      await session.logout();
    } catch (error) {
      console.debug(error);
    }
    navigate("/", { replace: true });
  });
  const everywhere = h("button", { type: "button", class: "button secondary", dataset: { action: "logout-everywhere" } }, t("account.logoutEverywhere"));
  everywhere.addEventListener("click", async () => {
    const ok = await confirmDialog({ title: t("account.logoutEverywhere"), message: t("account.logoutEverywhereConfirm"), confirmLabel: t("account.logoutEverywhere") });
    if (!ok) return;
    setBusy(everywhere, true);
    try {
      await session.logoutEverywhere();
      navigate("/", { replace: true });
    } catch (error) {
      setBusy(everywhere, false);
      status.replaceChildren(errorBox(error));
    }
  });
  load();
  return section("account-sessions", t("account.sessions"), h("p", { class: "hint" }, t("account.sessionsHint")), status, list, h("div", { class: "post-actions section" }, logout, everywhere));
}

function deleteSection() {
  const status = h("div", {});
  const button = h("button", { type: "button", class: "button danger" }, t("account.delete"));
  button.addEventListener("click", async () => {
    const password = await confirmDialog({
      title: t("account.deleteTitle"),
      message: t("account.deleteConfirm"),
      confirmLabel: t("account.delete"),
      danger: true,
      input: { label: t("field.password"), required: true, type: "password" },
    });
    if (password === null) return;
    setBusy(button, true);
    status.replaceChildren();
    try {
      await api("DELETE", "/api/users/me", { json: { password } });
      await session.logout().catch(() => {});
      navigate("/", { replace: true });
      toast(t("account.deleted"));
    } catch (error) {
      setBusy(button, false);
      status.replaceChildren(errorBox(error));
    }
  });
  return h("section", { class: "section card danger-zone", "aria-labelledby": "account-delete" },
    h("h2", { id: "account-delete" }, t("account.delete")),
    h("p", {}, t("account.deleteText")), status, button);
}

function renderAccount(params, query, container) {
  if (!requireSignIn(container)) return;
  const user = session.user;
  setTitle(t("account.title"));
  container.replaceChildren(
    pageHeading(t("account.title")),
    profileSection(user),
    nicknameSection(user),
    passwordSection(user),
    sessionsSection(),
    deleteSection());
}

export function register(route) {
  route("/account", renderAccount);
}
