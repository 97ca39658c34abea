// What an ApiError means to a person: a message in their language, a countdown when the server
// asked to wait (429/503 with Retry-After), the request id when something unexpected happened,
// and field errors next to their field.
import { ApiError } from "./http.js";
import { t, hasMessage } from "./i18n.js";
import { h, uid } from "./dom.js";

// Codes whose message tells the whole story; anything else unexpected also shows the request id.
const EXPECTED_STATUSES = new Set([400, 401, 403, 404, 409, 413, 415, 422, 429, 503, 507]);

/**
 * {text, requestId, retryAfter, field, unexpected} for an error: text from the code's message
 * (error.<code>), else the status's (error.status.<status>), else a generic one.
 */
export function describeError(error) {
  if (!(error instanceof ApiError)) {
    return { text: t("error.unexpected"), requestId: null, retryAfter: null, field: null, unexpected: true };
  }
  const byCode = `error.${error.code}`;
  const byStatus = `error.status.${error.status}`;
  const unexpected = !EXPECTED_STATUSES.has(error.status) && error.status !== 0;
  let text;
  if (hasMessage(byCode)) text = t(byCode);
  else if (hasMessage(byStatus)) text = t(byStatus);
  else text = t("error.unexpected");
  return { text, requestId: error.requestId, retryAfter: error.retryAfter, field: error.field, unexpected: unexpected || !hasMessage(byCode) && !hasMessage(byStatus) };
}

/** The text of an error as one line (the request id appended when it helps). */
export function errorText(error) {
  const { text, requestId, unexpected } = describeError(error);
  return unexpected && requestId ? `${text} ${t("error.requestId", { id: requestId })}` : text;
}

/** "12초 후에…" under a minute, "14분 30초 후에…" above. */
export function waitText(seconds) {
  if (seconds < 60) return t("error.retryIn", { seconds });
  return t("error.retryInMinutes", { minutes: Math.floor(seconds / 60), seconds: seconds % 60 });
}

/**
 * Counts down `seconds` in `element` ("다시 시도까지 12초"), calling onDone at zero. Returns a
 * function that stops it.
 */
export function countdown(element, seconds, onDone) {
  let left = Math.max(0, Math.ceil(seconds));
  const tick = () => {
    if (left <= 0) {
      clearInterval(timer);
      element.textContent = "";
      onDone?.();
      return;
    }
    element.textContent = waitText(left);
    left -= 1;
  };
  const timer = setInterval(tick, 1000);
  tick();
  return () => clearInterval(timer);
}

/**
 * An alert box for an error: the message, the request id when unexpected, a countdown for
 * Retry-After, and a retry button (enabled when the countdown ends) when onRetry is given.
 */
export function errorBox(error, { onRetry } = {}) {
  const { text, requestId, retryAfter, unexpected } = describeError(error);
  // role=timer: not read out every second, as the alert around it would be.
  const wait = h("span", { class: "countdown", role: "timer" });
  const retry = onRetry ? h("button", { type: "button", class: "button secondary", onclick: () => onRetry() }, t("action.retry")) : null;
  const box = h("div", { class: "notice error", role: "alert" },
    h("p", {}, text),
    unexpected && requestId ? h("p", { class: "request-id" }, t("error.requestId", { id: requestId })) : null,
    retryAfter ? h("p", {}, wait) : null,
    retry,
  );
  if (retryAfter && retry) {
    retry.disabled = true;
    countdown(wait, retryAfter, () => { retry.disabled = false; });
  } else if (retryAfter) {
    countdown(wait, retryAfter);
  }
  return box;
}

/**
 * Shows an error in a form: next to its field when the error names one the form has (the input
 * gets aria-invalid and aria-describedby), in the form's summary (.form-error) otherwise.
 * Returns the element the message went into.
 */
export function showFormError(form, error, { fieldNames = {} } = {}) {
  clearFormErrors(form);
  const described = describeError(error);
  const name = described.field ? fieldNames[described.field] ?? described.field : null;
  const input = name ? form.elements.namedItem(name) : null;
  if (input && typeof input.setAttribute === "function") {
    setFieldError(input, described.text);
    input.focus();
    return input;
  }
  const summary = form.querySelector(".form-error") ?? form.appendChild(h("div", { class: "form-error" }));
  summary.replaceChildren(errorBox(error));
  // Told to wait: the submit button waits too.
  const submit = form.querySelector("button[type=submit]");
  if (described.retryAfter && submit) {
    queueMicrotask(() => { submit.disabled = true; });
    setTimeout(() => { submit.disabled = false; }, described.retryAfter * 1000);
  }
  return summary;
}

/** Marks one input invalid with a message under it. */
export function setFieldError(input, text) {
  const id = input.id ? `${input.id}-error` : uid("error");
  let message = document.getElementById(id);
  if (!message) {
    message = h("p", { id, class: "field-error" });
    input.closest(".field")?.append(message) ?? input.after(message);
  }
  message.textContent = text;
  input.setAttribute("aria-invalid", "true");
  const describedBy = new Set((input.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean));
  describedBy.add(id);
  input.setAttribute("aria-describedby", [...describedBy].join(" "));
}

/** Clears one input's error. */
export function clearFieldError(input) {
  input.removeAttribute("aria-invalid");
  const id = input.id ? `${input.id}-error` : null;
  const message = id ? document.getElementById(id) : null;
  if (message) message.textContent = "";
}

/** Clears every error of a form. */
export function clearFormErrors(form) {
  for (const input of form.querySelectorAll("[aria-invalid]")) clearFieldError(input);
  form.querySelector(".form-error")?.replaceChildren();
}
