// A model's answer as markdown: Debian's marked turns it into HTML and Debian's DOMPurify keeps
// only plain formatting from it. This is the one place the client puts HTML into the page, and it
// goes in as the TrustedHTML DOMPurify's own Trusted Types policy ("dompurify") returns, so the
// strict Content-Security-Policy (require-trusted-types-for 'script') accepts it and nothing else.
//
// Before the HTML is even sanitised, the renderer already refuses what an answer has no use for:
// raw HTML in the answer is shown as text, images are shown as their alt text (a remote image would
// tell a third party who reads the answer), and a link that is not http(s) or mailto is its text.
// When the libraries cannot be loaded or DOMPurify cannot run, the answer is shown as plain text.

// Where nginx serves the Debian packages' files (no copies are kept in this repository).
export const VENDOR = {
  marked: "/vendor/marked.esm.js",
  dompurify: "/vendor/purify.es.js",
};

export const ALLOWED_TAGS = [
  "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
  "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
];
export const ALLOWED_ATTR = ["href", "title", "start", "align"];
export const SAFE_LINK = /^(?:https?:|mailto:)/i;

export function escapeHTML(text) {
  return String(text).replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]);
}

/** The DOMPurify settings for an answer (RETURN_TRUSTED_TYPE: TrustedHTML where the browser has it). */
export function purifyConfig() {
  return {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOWED_URI_REGEXP: SAFE_LINK,
    ALLOW_DATA_ATTR: false,
    RETURN_TRUSTED_TYPE: true,
  };
}

const hooked = new WeakSet();

/**
 * A renderer over the two libraries: { supported, html(text), render(element, text) }.
 * `marked` is marked's `marked` export, `DOMPurify` DOMPurify's default export.
 */
export function createMarkdown({ marked, DOMPurify }) {
  const renderer = new marked.Renderer();
  const plainLink = renderer.link.bind(renderer);
  renderer.html = (html) => escapeHTML(html);
  renderer.image = (_href, _title, text) => escapeHTML(text ?? "");
  renderer.link = (href, title, text) => (href && SAFE_LINK.test(String(href).trim()) ? plainLink(href, title, text) : text);
  const options = { renderer, gfm: true, breaks: true, headerIds: false, mangle: false, async: false };

  const supported = Boolean(DOMPurify?.isSupported);
  if (supported && !hooked.has(DOMPurify)) {
    hooked.add(DOMPurify);
    // Links open in a new tab without giving it this page (window.opener) or the address.
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node.nodeName === "A" && node.hasAttribute("href")) {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer nofollow");
      }
    });
  }

  /** marked's HTML for the text, before sanitising (exported for the tests). */
  function rawHTML(text) {
    return marked.parse(String(text ?? ""), options);
  }

  /** HTML kept to plain formatting (TrustedHTML in a browser with Trusted Types). */
  function sanitize(dirty) {
    if (!supported) throw new Error("DOMPurify cannot run here");
    return DOMPurify.sanitize(dirty, purifyConfig());
  }

  /** The answer's sanitised HTML. */
  function html(text) {
    return sanitize(rawHTML(text));
  }

  /** Shows the answer in element: formatted when it can be made safe, as text otherwise. */
  function render(element, text) {
    if (!supported) {
      element.textContent = String(text ?? "");
      element.classList?.add("plain-answer");
      return;
    }
    element.innerHTML = html(text);
  }

  return { supported, rawHTML, sanitize, html, render };
}

/** A renderer that shows text only (when the libraries are unavailable). */
export const plainText = {
  supported: false,
  render(element, text) {
    element.textContent = String(text ?? "");
    element.classList?.add("plain-answer");
  },
};

let loading = null;

/** Loads the two libraries once from nginx; falls back to plain text when they cannot load. */
export function loadMarkdown(vendor = VENDOR) {
  loading ??= Promise.all([import(vendor.marked), import(vendor.dompurify)])
    .then(([markedModule, purifyModule]) => createMarkdown({ marked: markedModule.marked, DOMPurify: purifyModule.default }))
    .catch((error) => {
      console.warn("Answers are shown as plain text: the markdown libraries did not load.", error);
      return plainText;
    });
  return loading;
}
