// Messages of the video, playlist and question screens, kept beside them: each area has its own
// { ko, en } table, read in the language the site is shown in (core/i18n.js). A key no table
// has falls through to the site's shared messages (action.cancel, state.loading, ...).
import { getLanguage, t as siteText } from "../core/i18n.js";

function fill(message, vars, lang) {
  return message.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in vars)) return whole;
    const value = vars[name];
    return typeof value === "number" ? new Intl.NumberFormat(lang).format(value) : String(value);
  });
}

/** A translate function over a { ko: {...}, en: {...} } table. */
export function localize(tables) {
  return function tr(key, vars = {}) {
    const lang = getLanguage();
    let message = tables[lang]?.[key] ?? tables.en?.[key] ?? tables.ko?.[key];
    if (message === undefined) return siteText(key, vars);
    if (typeof message === "object") {
      const rule = new Intl.PluralRules(lang).select(Number(vars.count ?? 0));
      message = message[rule] ?? message.other;
    }
    return fill(message, vars, lang);
  };
}
