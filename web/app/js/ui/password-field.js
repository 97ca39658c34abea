// A password input that counts what the server counts: UTF-8 bytes, 8 to 72.
import { h } from "../core/dom.js";
import { t, formatNumber } from "../core/i18n.js";
import { setFieldError, clearFieldError } from "../core/errors.js";
import { field } from "./page.js";
import { checkPassword, passwordBytes, PASSWORD_MAX_BYTES } from "./text.js";

/** The message for a password that does not fit, or null. */
export function passwordProblem(password) {
  const problem = checkPassword(password);
  return problem ? t(`password.${problem}`) : null;
}

/**
 * A new-password field with a live byte count ("12 / 72 bytes") and inline validation once
 * the field has been left. field.check() validates it now and returns whether it fits.
 */
export function newPasswordField(label, { name = "password", autocomplete = "new-password", id } = {}) {
  const counter = h("span", { class: "counter" });
  const wrapper = field(label, { name, id, type: "password", autocomplete, required: true }, { hint: t("password.hint"), extra: h("p", { class: "hint counter-line", "aria-hidden": "true" }, counter) });
  const input = wrapper.control;
  let touched = false;
  const update = () => {
    const bytes = passwordBytes(input.value);
    counter.textContent = t("password.bytes", { count: formatNumber(bytes), max: PASSWORD_MAX_BYTES });
    counter.classList.toggle("over", bytes > PASSWORD_MAX_BYTES);
    if (touched) check();
  };
  const check = () => {
    const problem = passwordProblem(input.value);
    if (problem) setFieldError(input, problem);
    else clearFieldError(input);
    return !problem;
  };
  input.addEventListener("input", update);
  input.addEventListener("blur", () => {
    if (input.value) touched = true;
    update();
  });
  update();
  wrapper.check = () => {
    touched = true;
    return check();
  };
  return wrapper;
}

/** An input that shows its error (or clears it) when left, by a check returning a message or null. */
export function validateOnBlur(input, check) {
  let touched = false;
  const run = () => {
    const problem = check(input.value);
    if (problem) setFieldError(input, problem);
    else clearFieldError(input);
    return !problem;
  };
  input.addEventListener("blur", () => {
    if (input.value) touched = true;
    if (touched) run();
  });
  input.addEventListener("input", () => { if (touched) run(); });
  return () => {
    touched = true;
    return run();
  };
}
