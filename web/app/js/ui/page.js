// Pieces every screen uses: the title, loading/empty states, form fields, busy buttons.
import { h, uid } from "../core/dom.js";
import { t } from "../core/i18n.js";
import { session } from "../core/auth.js";
import { clearFormErrors, showFormError } from "../core/errors.js";

/** The document title: "<screen> · <site>". */
export function setTitle(text) {
  document.title = text ? `${text} · ${t("app.name")}` : t("app.name");
}

/** A screen's heading (h1) with optional actions beside it. */
export function pageHeading(text, ...actions) {
  return h("div", { class: "page-heading" }, h("h1", {}, text), actions.length ? h("div", { class: "actions" }, actions) : null);
}

/** "Loading…" with a spinner, announced politely. */
export function loading(label = t("state.loading")) {
  return h("div", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), h("span", {}, label));
}

/** An empty state: a sentence and optional actions (links or buttons). */
export function emptyState(text, ...actions) {
  return h("div", { class: "empty" }, h("p", {}, text), actions.length ? h("p", { class: "actions" }, actions) : null);
}

/**
 * A labelled form control. `attrs` go to the control (tag: "input" by default, or "textarea",
 * "select"); hint is a sentence under it, tied with aria-describedby. Returns the wrapper; the
 * control is wrapper.control.
 */
export function field(label, attrs = {}, { hint, extra } = {}) {
  const { tag = "input", options, ...rest } = attrs;
  const id = rest.id ?? uid(rest.name ?? "field");
  const hintId = hint ? `${id}-hint` : null;
  const control = h(tag, { ...rest, id, "aria-describedby": hintId ?? undefined },
    options ? options.map(([value, text]) => h("option", { value }, text)) : null);
  const wrapper = h("div", { class: "field" },
    h("label", { for: id }, label),
    control,
    hint ? h("p", { id: hintId, class: "hint" }, hint) : null,
    extra ?? null,
  );
  wrapper.control = control;
  return wrapper;
}

/** Marks a button busy (disabled, aria-busy) or not. */
export function setBusy(button, busy) {
  if (!button) return;
  button.disabled = busy;
  if (busy) button.setAttribute("aria-busy", "true");
  else button.removeAttribute("aria-busy");
}

/** The screen for a page that needs an account, with a link back here after logging in. */
export function signInRequired(container) {
  setTitle(t("auth.required.title"));
  const next = location.pathname + location.search;
  container.replaceChildren(
    pageHeading(t("auth.required.title")),
    emptyState(t("auth.required.text"),
      h("a", { class: "button", href: `/login?next=${encodeURIComponent(next)}` }, t("nav.login")),
      h("a", { class: "button secondary", href: "/signup" }, t("nav.signup"))),
  );
}

/** Whether the reader is signed in; renders signInRequired when not. */
export function requireSignIn(container) {
  if (session?.signedIn) return true;
  signInRequired(container);
  return false;
}

/** A same-site path to go to after logging in (only paths of this site). */
export function safeNext(value) {
  const text = String(value ?? "");
  return text.startsWith("/") && !text.startsWith("//") && !text.startsWith("/\\") ? text : "/";
}

/**
 * Runs `action(form)` on submit: the submit button busy meanwhile, errors cleared first, an
 * ApiError shown next to its field (fieldNames maps the API's field names to the form's) or
 * in the form's summary. IME-safe: an Enter that ends a Korean composition submits nothing.
 */
export function onSubmit(form, action, { fieldNames = {} } = {}) {
  form.noValidate = true;
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.isComposing || event.keyCode === 229)) event.preventDefault();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button?.disabled) return;
    clearFormErrors(form);
    setBusy(button, true);
    try {
      await action(form);
    } catch (error) {
      if (error?.name === "AbortError") return;
      showFormError(form, error, { fieldNames });
    } finally {
      setBusy(button, false);
    }
  });
  return form;
}
