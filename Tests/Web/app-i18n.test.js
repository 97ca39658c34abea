// The web client's messages (web/app/js/i18n): Korean and English have the same keys, every key
// the screens name exists, variables and plurals fill in, dates and numbers follow the language.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ko from "../../web/app/js/i18n/ko.js";
import en from "../../web/app/js/i18n/en.js";
import { t, setLanguage, getLanguage, formatDate, formatNumber } from "../../web/app/js/core/i18n.js";

const js = fileURLToPath(new URL("../../web/app/js/", import.meta.url));

function sources(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith(".js") ? [path] : [];
  });
}

test("Korean and English have the same keys", () => {
  assert.deepEqual(Object.keys(en).filter((key) => !(key in ko)), []);
  assert.deepEqual(Object.keys(ko).filter((key) => !(key in en)), []);
});

// The shell, its core and the screens that take their messages from js/i18n (the video, playlist
// and question screens keep their own).
const OWN_MESSAGES = (path) => !/screens\/(videos|playlists|ask)\.js$/.test(path) && /\/(core|ui|screens)\/|\/main\.js$/.test(path);

test("every message a module names with t(\"...\") exists", () => {
  const missing = [];
  for (const path of sources(js).filter(OWN_MESSAGES)) {
    for (const found of readFileSync(path, "utf8").matchAll(/\bt\(\s*"([a-zA-Z0-9_.-]+)"/g)) {
      if (!(found[1] in ko)) missing.push(`${path.slice(js.length)}: ${found[1]}`);
    }
  }
  assert.deepEqual(missing, []);
});

test("variables fill in; an unknown key is itself; English is the fallback", () => {
  setLanguage("ko", { save: false });
  assert.equal(getLanguage(), "ko");
  assert.equal(t("search.none", { q: "검색" }), "“검색”에 맞는 글이 없습니다. 다른 단어로 찾아보세요.");
  assert.equal(t("no.such.key"), "no.such.key");
  assert.equal(t("error.retryIn", { seconds: 1200 }), "1,200초 후에 다시 시도할 수 있습니다.");
  setLanguage("en", { save: false });
  assert.equal(t("feed.byAuthor", { name: "Ann" }), "By Ann");
  setLanguage("ko", { save: false });
});

test("dates and numbers follow the language", () => {
  const date = "2026-12-07T09:05:00Z";
  setLanguage("ko", { save: false });
  assert.match(formatDate(date, { dateStyle: "long", timeZone: "UTC" }), /2026년 12월 7일/);
  assert.equal(formatNumber(1234567), "1,234,567");
  setLanguage("en", { save: false });
  assert.equal(formatDate(date, { dateStyle: "long", timeZone: "UTC" }), "December 7, 2026");
  assert.equal(formatDate("not a date"), "");
  setLanguage("ko", { save: false });
  assert.throws(() => setLanguage("fr"), RangeError);
});
