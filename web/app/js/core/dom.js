// Building the page without ever parsing a string as HTML: every text the server sends (titles,
// nicknames, error messages) becomes a text node. Nothing here touches innerHTML, so the strict
// Content-Security-Policy with Trusted Types never has a reason to refuse it.

const BOOLEAN_ATTRIBUTES = new Set(["disabled", "hidden", "required", "checked", "selected", "readonly", "multiple", "autofocus", "open"]);
const PROPERTIES = new Set(["value", "htmlFor", "className", "checked", "selected", "indeterminate"]);

/**
 * h("a", {href: "/posts/1", class: "card"}, "title", h("span", {}, "child"))
 * Attributes: `class` (string or array, falsy entries dropped), `dataset` (object), `style`
 * (an object of style properties, never a string), `on<event>` (a function), booleans (true adds
 * the attribute, false leaves it out), everything else through setAttribute with a string value.
 * Children: nodes, strings and numbers (as text nodes), arrays (flattened); null, undefined and
 * false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  const properties = [];
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") {
      const names = Array.isArray(value) ? value.filter(Boolean) : String(value).split(/\s+/).filter(Boolean);
      if (names.length) element.classList.add(...names);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "style") {
      if (typeof value !== "object") throw new TypeError("style takes an object of properties");
      for (const [property, styleValue] of Object.entries(value)) element.style[property] = styleValue;
    } else if (name.startsWith("on")) {
      if (typeof value !== "function") throw new TypeError(`${name} takes a function`);
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (PROPERTIES.has(name)) {
      // After the children: a <select>'s value needs its options.
      properties.push([name, value]);
    } else if (BOOLEAN_ATTRIBUTES.has(name)) {
      if (value) element.setAttribute(name, "");
    } else if (name === "href" || name === "src" || name === "action") {
      element.setAttribute(name, safeURL(value));
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, ...children);
  for (const [name, value] of properties) element[name] = value;
  return element;
}

/** Appends children as h() takes them. */
export function append(parent, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === true) continue;
    parent.append(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** A link target with no script in it: javascript: (and any scheme but http(s), mailto, blob, data for images) becomes "#". */
export function safeURL(value) {
  const text = String(value);
  const scheme = /^\s*([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (!scheme || ["http", "https", "mailto", "blob"].includes(scheme)) return text;
  if (scheme === "data" && /^\s*data:image\/(png|jpeg|gif|webp);/i.test(text)) return text;
  return "#";
}

/** Removes every child. */
export function clear(element) {
  element.replaceChildren();
  return element;
}

/** Replaces the children with the given ones. */
export function replace(element, ...children) {
  element.replaceChildren();
  return append(element, ...children);
}

/**
 * Moves keyboard focus to an element that is not normally focusable (a heading after a
 * navigation, an error summary) without scrolling the page.
 */
export function focusElement(element) {
  if (!element) return;
  if (!element.hasAttribute("tabindex") && element.tabIndex < 0) element.setAttribute("tabindex", "-1");
  element.focus({ preventScroll: true });
}

/** Focuses the first heading (h1, then h2) inside a container. */
export function focusHeading(container) {
  focusElement(container.querySelector("h1") ?? container.querySelector("h2"));
}

/** Says something to screen readers through the page's polite live region. */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A change after a tick is announced even when the text is the same as before.
  setTimeout(() => { region.textContent = text; }, 30);
}

let uniqueCounter = 0;
/** An id unique in the page, for label/aria-describedby pairs. */
export function uid(prefix = "id") {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}
