// Short messages at the bottom of the screen (saved, deleted, an error after an optimistic
// change), read out by screen readers.
import { h } from "../core/dom.js";

let region = null;

export function toast(text, { kind = "info", timeout = 5000 } = {}) {
  if (!region) {
    region = h("div", { class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(region);
  }
  const item = h("p", { class: ["toast", kind] }, text);
  region.append(item);
  setTimeout(() => item.remove(), timeout);
}
