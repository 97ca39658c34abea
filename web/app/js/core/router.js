// A small router on the History API. Routes are patterns ("/posts/:id"); a handler renders into
// the container it is given and may return (or resolve to) a cleanup function, called before the
// next screen. Same-origin links are followed without a page load. Each history entry remembers
// its scroll position (and whatever a screen keeps with setEntryState), so Back returns to where
// the reader was.

const routes = [];
let notFoundHandler = null;
let container = null;
let cleanup = null;
let renderCount = 0;
let afterRender = () => {};
const leaveGuards = new Set();
const SCROLL_KEY = "router.scroll";

/** The regular expression and parameter names of a pattern: "/users/:id" → /^\/users\/([^/]+)\/?$/. */
export function compile(pattern) {
  const keys = [];
  const source = pattern
    .split("/")
    .map((part) => {
      if (part.startsWith(":")) {
        keys.push(part.slice(1));
        return "([^/]+)";
      }
      if (part === "*") {
        keys.push("rest");
        return "(.*)";
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return { regex: new RegExp(`^${source}/?$`), keys };
}

/** The parameters when path matches pattern (decoded), else null. */
export function match(pattern, path) {
  const { regex, keys } = typeof pattern === "string" ? compile(pattern) : pattern;
  const found = regex.exec(path);
  if (!found) return null;
  const params = {};
  keys.forEach((key, index) => {
    try {
      params[key] = decodeURIComponent(found[index + 1]);
    } catch {
      params[key] = found[index + 1];
    }
  });
  return params;
}

/** The first of `table` ([{pattern, handler}]) that matches path, with its parameters. */
export function resolve(table, path) {
  for (const entry of table) {
    const params = match(entry.compiled ?? entry.pattern, path);
    if (params) return { entry, params };
  }
  return null;
}

/** Adds a route. handler(params, query: URLSearchParams, container) → cleanup | Promise<cleanup> | void. */
export function route(pattern, handler) {
  routes.push({ pattern, compiled: compile(pattern), handler });
}

/** The screen for a path no route matches. */
export function notFound(handler) {
  notFoundHandler = handler;
}

/**
 * A function asked before leaving the screen (a link, Back, closing the tab): return a message to
 * ask the person to confirm (an upload in progress), or nothing to let them go. Returns a remover.
 */
export function addLeaveGuard(fn) {
  leaveGuards.add(fn);
  return () => leaveGuards.delete(fn);
}

function leaveMessage() {
  for (const guard of leaveGuards) {
    const message = guard();
    if (message) return message;
  }
  return null;
}

let positions = null;
let rendering = false;
let persistTimer = null;

function scrollPositions() {
  if (!positions) {
    try { positions = JSON.parse(sessionStorage.getItem(SCROLL_KEY) ?? "{}") ?? {}; } catch { positions = {}; }
  }
  return positions;
}

function persistScroll() {
  persistTimer = null;
  const all = scrollPositions();
  const keys = Object.keys(all);
  for (const key of keys.slice(0, Math.max(0, keys.length - 100))) delete all[key];
  try { sessionStorage.setItem(SCROLL_KEY, JSON.stringify(all)); } catch { /* full: no restoring */ }
}

// Recorded as the reader scrolls: when popstate fires, the entry left is no longer the current one.
function saveScroll() {
  const key = history.state?.key;
  if (!key || rendering) return;
  scrollPositions()[key] = window.scrollY;
  if (persistTimer === null) persistTimer = setTimeout(persistScroll, 300);
}

function newKey() {
  return Math.random().toString(36).slice(2, 10);
}

/** What a screen kept on this history entry (for instance how many items it had loaded). */
export function entryState() {
  return history.state?.screen ?? null;
}

/** Keeps something with this history entry, for when the reader comes Back to it. */
export function setEntryState(value) {
  history.replaceState({ ...(history.state ?? {}), screen: value }, "");
}

/** Goes to a path of this site (with its query string), as a link would. */
export function navigate(path, { replace = false, force = false } = {}) {
  if (!force) {
    const message = leaveMessage();
    if (message && !window.confirm(message)) return false;
  }
  saveScroll();
  const state = { key: newKey() };
  if (replace) history.replaceState(state, "", path);
  else history.pushState(state, "", path);
  render({ restore: false });
  return true;
}

/**
 * Renders the current address again (after signing in or out, or a change of language). A screen
 * with a leave guard up (unsaved text) is kept as it is unless `force`.
 */
export function refresh({ force = false } = {}) {
  if (!force && leaveMessage()) return Promise.resolve(false);
  saveScroll();
  return render({ restore: true, keepFocus: true });
}

/** The current path and query string. */
export function currentLocation() {
  return location.pathname + location.search;
}

// The entry on screen, to return to when leaving it by Back is cancelled.
let shown = { url: null, state: null };

async function render({ restore, initial = false, keepFocus = false }) {
  const count = ++renderCount;
  shown = { url: location.pathname + location.search + location.hash, state: history.state };
  rendering = true;
  if (cleanup) {
    try { cleanup(); } catch (error) { console.error(error); }
    cleanup = null;
  }
  const path = location.pathname;
  const query = new URLSearchParams(location.search);
  const found = resolve(routes, path);
  container.replaceChildren();
  container.setAttribute("aria-busy", "true");
  let result;
  try {
    result = found ? found.entry.handler(found.params, query, container) : notFoundHandler?.({}, query, container);
    result = await result;
  } catch (error) {
    console.error(error);
  }
  if (count !== renderCount) {
    // Another navigation began meanwhile; this screen is already gone.
    if (typeof result === "function") result();
    return;
  }
  rendering = false;
  container.removeAttribute("aria-busy");
  if (typeof result === "function") cleanup = result;
  const saved = restore ? scrollPositions()[history.state?.key] : undefined;
  window.scrollTo(0, saved ?? 0);
  afterRender({ path, initial, restore, keepFocus });
}

function onClick(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest?.("a[href]");
  if (!link || link.target || link.hasAttribute("download") || link.dataset.external !== undefined) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin) return;
  // Pages nginx serves itself (the API documents) load as pages.
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/media/")) return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
}

/**
 * Starts routing into `root`: renders the current address, follows links and Back.
 * onRender({path, initial, restore, keepFocus}) runs after every screen has rendered.
 */
export function start(root, { onRender } = {}) {
  container = root;
  if (onRender) afterRender = onRender;
  if ("scrollRestoration" in history) history.scrollRestoration = "manual";
  if (!history.state?.key) history.replaceState({ ...(history.state ?? {}), key: newKey() }, "");
  document.addEventListener("click", onClick);
  window.addEventListener("popstate", () => {
    // Back or Forward with unsaved work: asked like a link; staying puts the address back.
    const message = leaveMessage();
    if (message && !window.confirm(message)) {
      history.pushState(shown.state, "", shown.url);
      return;
    }
    render({ restore: true });
  });
  window.addEventListener("pagehide", () => { saveScroll(); persistScroll(); });
  window.addEventListener("scroll", saveScroll, { passive: true });
  window.addEventListener("beforeunload", (event) => {
    if (leaveMessage()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  return render({ restore: true, initial: true });
}
