// A confirmation dialog on the native <dialog> (focus kept inside, Escape cancels, focus
// returns to the button that opened it).
import { h } from "../core/dom.js";
import { t } from "../core/i18n.js";

/**
 * Asks to confirm. With `input` ({label, required, maxLength}) the dialog has a text field and
 * resolves to its value (null when cancelled); otherwise it resolves to true or false.
 */
export function confirmDialog({ title, message, confirmLabel = t("action.confirm"), danger = false, input = null }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const fieldId = "dialog-input";
    const control = input
      ? h(input.multiline ? "textarea" : "input", {
        id: fieldId, name: "value", required: input.required ?? false, maxlength: input.maxLength ?? undefined,
        rows: input.multiline ? 3 : undefined, type: input.multiline ? undefined : input.type ?? "text",
        autocomplete: input.type === "password" ? "current-password" : "off",
      })
      : null;
    const form = h("form", { method: "dialog", class: "dialog-form" },
      h("h2", { id: "dialog-title" }, title),
      message ? h("p", { id: "dialog-message" }, message) : null,
      control ? h("div", { class: "field" }, h("label", { for: fieldId }, input.label), control) : null,
      h("div", { class: "actions" },
        h("button", { type: "button", class: "button secondary", value: "cancel", onclick: () => dialog.close("cancel") }, t("action.cancel")),
        h("button", { type: "submit", class: ["button", danger ? "danger" : null], value: "ok" }, confirmLabel)),
    );
    const dialog = h("dialog", { "aria-labelledby": "dialog-title", "aria-describedby": message ? "dialog-message" : undefined }, form);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (control && !control.reportValidity()) return;
      dialog.close("ok");
    });
    dialog.addEventListener("close", () => {
      const ok = dialog.returnValue === "ok";
      dialog.remove();
      opener?.focus?.();
      if (control) resolve(ok ? control.value : null);
      else resolve(ok);
    });
    document.body.append(dialog);
    dialog.showModal();
    (control ?? form.querySelector("button[value=cancel]")).focus();
  });
}
