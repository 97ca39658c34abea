// Korean first, English second. Messages are flat keys ("nav.feed") in js/i18n/<lang>.js; a
// message may name variables ({count}) and may be {one, other} for plurals. Dates and numbers
// go through Intl in the chosen language. The choice is kept in localStorage.
import ko from "../i18n/ko.js";
import en from "../i18n/en.js";

export const LANGUAGES = { ko, en };
export const DEFAULT_LANGUAGE = "ko";
const STORAGE_KEY = "lang";
const listeners = new Set();

let current = DEFAULT_LANGUAGE;

function storage() {
  try { return globalThis.localStorage ?? null; } catch { return null; }
}

/** The saved language, or Korean. */
export function initialLanguage() {
  const saved = storage()?.getItem(STORAGE_KEY);
  return saved && LANGUAGES[saved] ? saved : DEFAULT_LANGUAGE;
}

export function getLanguage() {
  return current;
}

/** Switches the language, sets <html lang>, saves the choice and tells the listeners. */
export function setLanguage(lang, { save = true } = {}) {
  if (!LANGUAGES[lang]) throw new RangeError(`no language ${lang}`);
  const changed = lang !== current;
  current = lang;
  if (globalThis.document) document.documentElement.lang = lang;
  if (save) storage()?.setItem(STORAGE_KEY, lang);
  if (changed) for (const listener of listeners) listener(lang);
}

/** Calls fn(lang) after every change of language; returns a function that stops it. */
export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The message for key in the current language (English, then the key itself, as fallbacks). */
export function t(key, vars = {}) {
  let message = LANGUAGES[current][key] ?? LANGUAGES.en[key] ?? LANGUAGES.ko[key];
  if (message === undefined) return key;
  if (typeof message === "object") {
    const rule = new Intl.PluralRules(current).select(Number(vars.count ?? 0));
    message = message[rule] ?? message.other;
  }
  return message.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in vars)) return whole;
    const value = vars[name];
    return typeof value === "number" ? formatNumber(value) : String(value);
  });
}

/** Whether a message exists for key (in any language). */
export function hasMessage(key) {
  return key in LANGUAGES[current] || key in LANGUAGES.en;
}

/** A date (Date, ISO string or milliseconds) in the current language; options as Intl.DateTimeFormat's. */
export function formatDate(value, options = { dateStyle: "medium", timeStyle: "short" }) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(current, options).format(date);
}

/** "3분 전" / "3 minutes ago" for recent moments, the date otherwise. */
export function formatRelative(value, now = Date.now()) {
  const date = value instanceof Date ? value : new Date(value);
  const seconds = Math.round((date.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  const rtf = new Intl.RelativeTimeFormat(current, { numeric: "auto" });
  if (abs < 60) return rtf.format(seconds, "second");
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), "hour");
  if (abs < 7 * 86400) return rtf.format(Math.round(seconds / 86400), "day");
  return formatDate(date, { dateStyle: "medium" });
}

/** A number in the current language; options as Intl.NumberFormat's. */
export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(current, options).format(value);
}
