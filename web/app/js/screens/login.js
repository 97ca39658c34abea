// Log in (/login?next=/somewhere) and sign up (/signup).
import { h } from "../core/dom.js";
import { t } from "../core/i18n.js";
import { api } from "../core/api.js";
import { session } from "../core/auth.js";
import { navigate } from "../core/router.js";
import { field, onSubmit, pageHeading, safeNext, setTitle } from "../ui/page.js";
import { newPasswordField, validateOnBlur } from "../ui/password-field.js";
import { isEmail, countCharacters } from "../ui/text.js";
import { toast } from "../ui/toast.js";

function emailProblem(value) {
  if (!value.trim()) return t("field.required");
  return isEmail(value) ? null : t("error.invalid_email");
}

function nicknameProblem(value) {
  const length = countCharacters(value);
  if (length === 0) return t("field.required");
  return length > 50 ? t("error.invalid_nickname") : null;
}

function renderLogin(params, query, container) {
  const next = safeNext(query.get("next"));
  if (session.signedIn) {
    navigate(next, { replace: true });
    return;
  }
  setTitle(t("login.title"));
  const email = field(t("field.email"), { name: "email", type: "text", autocomplete: "username", required: true, inputmode: "email", spellcheck: "false", autocapitalize: "none" });
  const password = field(t("field.password"), { name: "password", type: "password", autocomplete: "current-password", required: true });
  const form = h("form", { class: "form narrow", "aria-labelledby": "login-heading" },
    email, password,
    h("div", { class: "form-error" }),
    h("button", { type: "submit", class: "button wide" }, t("login.submit")),
  );
  const checkEmail = validateOnBlur(email.control, emailProblem);
  onSubmit(form, async () => {
    if (!checkEmail()) {
      email.control.focus();
      return;
    }
    await session.login(email.control.value.trim(), password.control.value);
    // Signing in re-renders this screen, which then goes on to `next`.
    toast(t("login.welcome", { name: session.user?.nickname ?? "" }));
  }, { fieldNames: { password: "password" } });
  const heading = pageHeading(t("login.title"));
  heading.querySelector("h1").id = "login-heading";
  container.replaceChildren(h("section", { class: "auth-screen" },
    heading,
    form,
    h("p", { class: "links" },
      h("a", { href: "/forgot-password" }, t("login.forgot")),
      h("span", { "aria-hidden": "true" }, " · "),
      h("a", { href: `/signup${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}` }, t("login.noAccount")))));
}

function renderSignup(params, query, container) {
  const next = safeNext(query.get("next"));
  if (session.signedIn) {
    navigate(next === "/" ? "/account" : next, { replace: true });
    return;
  }
  setTitle(t("signup.title"));
  const email = field(t("field.email"), { name: "email", type: "email", autocomplete: "email", required: true, inputmode: "email" });
  const nickname = field(t("field.nickname"), { name: "nickname", autocomplete: "nickname", required: true, maxlength: 50 }, { hint: t("signup.nicknameHint") });
  const password = newPasswordField(t("field.password"));
  const form = h("form", { class: "form narrow", "aria-labelledby": "signup-heading" },
    email, nickname, password,
    h("div", { class: "form-error" }),
    h("button", { type: "submit", class: "button wide" }, t("signup.submit")),
  );
  const checks = [validateOnBlur(email.control, emailProblem), validateOnBlur(nickname.control, nicknameProblem), password.check];
  onSubmit(form, async () => {
    const results = checks.map((check) => check());
    if (results.includes(false)) {
      form.querySelector("[aria-invalid=true]")?.focus();
      return;
    }
    const address = email.control.value.trim();
    await api("POST", "/api/auth/signup", {
      json: { email: address, nickname: nickname.control.value.trim(), password: password.control.value },
      auth: false,
    });
    toast(t("signup.done"));
    // Signing in re-renders this screen, which then goes on to the account page (or `next`).
    await session.login(address, password.control.value);
  });
  const heading = pageHeading(t("signup.title"));
  heading.querySelector("h1").id = "signup-heading";
  container.replaceChildren(h("section", { class: "auth-screen" },
    heading,
    h("p", { class: "lead" }, t("signup.lead")),
    form,
    h("p", { class: "links" }, h("a", { href: "/login" }, t("signup.haveAccount")))));
}

export function register(route) {
  route("/login", renderLogin);
  route("/signup", renderSignup);
}
