// The pages the mailed links open: /verify-email?token= and /reset-password?token=, and the
// form that asks for a reset mail (/forgot-password). Opening a link spends nothing (a mail
// scanner may fetch it): the token is sent by a POST only when the person presses the button.
// It is taken off the address bar at once, so it stays out of history and of any Referer.
import { h } from "../core/dom.js";
import { t } from "../core/i18n.js";
import { api } from "../core/api.js";
import { session } from "../core/auth.js";
import { errorBox } from "../core/errors.js";
import { field, onSubmit, pageHeading, setBusy, setTitle } from "../ui/page.js";
import { newPasswordField, validateOnBlur } from "../ui/password-field.js";
import { isEmail } from "../ui/text.js";

/** The token of a mailed link, removed from the address bar (the history entry keeps its state). */
function takeToken(query) {
  const token = query.get("token") ?? "";
  if (query.has("token")) history.replaceState(history.state, "", location.pathname);
  return token;
}

// The token survives a re-render (a change of language) of the same page.
const tokens = new Map();

function tokenFor(name, query) {
  const token = takeToken(query);
  if (token) tokens.set(name, token);
  return tokens.get(name) ?? "";
}

function renderVerify(params, query, container) {
  setTitle(t("verify.title"));
  const token = tokenFor("verify", query);
  const status = h("div", { class: "status-area", role: "status" });
  const button = h("button", { type: "button", class: "button wide" }, t("verify.submit"));
  const section = h("section", { class: "auth-screen" }, pageHeading(t("verify.title")), status);
  if (!token) {
    status.append(h("p", { class: "notice error" }, t("mail.noToken")));
    container.replaceChildren(section);
    return;
  }
  section.insertBefore(h("p", { class: "lead" }, t("verify.lead")), status);
  section.insertBefore(button, status);
  button.addEventListener("click", async () => {
    setBusy(button, true);
    status.replaceChildren();
    try {
      const user = await api("POST", "/api/auth/email/verify", { json: { token }, auth: false });
      tokens.delete("verify");
      button.remove();
      if (session.signedIn && session.user?.id === user?.id) session.updateUser({ emailVerified: true });
      status.append(h("p", { class: "notice success" }, t("verify.done")),
        h("p", {}, h("a", { class: "button", href: session.signedIn ? "/" : "/login" }, session.signedIn ? t("nav.feed") : t("nav.login"))));
    } catch (error) {
      setBusy(button, false);
      if (error.code === "invalid_token") {
        button.remove();
        status.append(h("p", { class: "notice error" }, t("mail.invalidToken")),
          session.signedIn ? h("p", {}, h("a", { href: "/account" }, t("verify.resendFromAccount"))) : null);
      } else {
        status.append(errorBox(error));
      }
    }
  });
  container.replaceChildren(section);
}

function renderForgot(params, query, container) {
  setTitle(t("forgot.title"));
  const email = field(t("field.email"), { name: "email", type: "email", autocomplete: "email", required: true, inputmode: "email" });
  const result = h("div", { role: "status" });
  const form = h("form", { class: "form narrow" }, email, h("div", { class: "form-error" }), h("button", { type: "submit", class: "button wide" }, t("forgot.submit")));
  const check = validateOnBlur(email.control, (value) => (isEmail(value) ? null : t("error.invalid_email")));
  onSubmit(form, async () => {
    if (!check()) {
      email.control.focus();
      return;
    }
    await api("POST", "/api/auth/password/forgot", { json: { email: email.control.value.trim() }, auth: false });
    form.hidden = true;
    result.replaceChildren(h("p", { class: "notice success" }, t("forgot.sent")));
  });
  container.replaceChildren(h("section", { class: "auth-screen" },
    pageHeading(t("forgot.title")), h("p", { class: "lead" }, t("forgot.lead")), form, result,
    h("p", { class: "links" }, h("a", { href: "/login" }, t("nav.login")))));
}

// Set once a reset has gone through: signing this browser out draws the screen again, and the
// success must still be what it shows.
const RESET_DONE = Symbol("reset done");

function resetDone() {
  return [h("p", { class: "notice success" }, t("reset.done")), h("p", {}, h("a", { class: "button", href: "/login" }, t("nav.login")))];
}

function renderReset(params, query, container) {
  setTitle(t("reset.title"));
  const token = tokenFor("reset", query);
  const section = h("section", { class: "auth-screen" }, pageHeading(t("reset.title")));
  if (token === RESET_DONE) {
    section.append(h("div", { role: "status" }, ...resetDone()));
    container.replaceChildren(section);
    return;
  }
  if (!token) {
    section.append(h("p", { class: "notice error" }, t("mail.noToken")), h("p", {}, h("a", { href: "/forgot-password" }, t("forgot.title"))));
    container.replaceChildren(section);
    return;
  }
  const password = newPasswordField(t("field.newPassword"), { name: "newPassword", id: "new-password" });
  const result = h("div", { role: "status" });
  const form = h("form", { class: "form narrow" }, password, h("div", { class: "form-error" }), h("button", { type: "submit", class: "button wide" }, t("reset.submit")));
  onSubmit(form, async () => {
    if (!password.check()) {
      password.control.focus();
      return;
    }
    await api("POST", "/api/auth/password/reset", { json: { token, newPassword: password.control.value }, auth: false });
    tokens.set("reset", RESET_DONE);
    form.remove();
    result.replaceChildren(...resetDone());
    // Every session of the account has ended, this browser's too.
    if (session.signedIn) session.signOut("password-reset");
  }, { fieldNames: { password: "newPassword" } });
  section.append(h("p", { class: "lead" }, t("reset.lead")), form, result);
  container.replaceChildren(section);
}

export function register(route) {
  route("/verify-email", renderVerify);
  route("/forgot-password", renderForgot);
  route("/reset-password", renderReset);
}
