// The web client's text rules: passwords counted in UTF-8 bytes as the server counts them,
// characters as code points after NFC, tags, and search highlighting built as segments (text
// nodes and <mark>), never as HTML.
import assert from "node:assert/strict";
import { test } from "node:test";
import { passwordBytes, checkPassword, countCharacters, parseTags, isEmail } from "../../web/app/js/ui/text.js";
import { highlightSegments, queryTerms } from "../../web/app/js/ui/highlight.js";
import { toggledLike } from "../../web/app/js/ui/like.js";
import { draftProblems } from "../../web/app/js/screens/editor.js";

test("a password's length is its UTF-8 bytes: 8 to 72", () => {
  assert.equal(passwordBytes("password"), 8);
  assert.equal(passwordBytes("비밀"), 6, "a Hangul syllable is three bytes");
  assert.equal(passwordBytes("😀"), 4);
  assert.equal(checkPassword("1234567"), "too_short");
  assert.equal(checkPassword("12345678"), null);
  assert.equal(checkPassword("비밀번"), null, "three syllables are nine bytes: enough");
  assert.equal(checkPassword("비밀"), "too_short", "two syllables are six bytes: too short although 2 characters");
  assert.equal(checkPassword("가".repeat(24)), null, "72 bytes");
  assert.equal(checkPassword("가".repeat(24) + "a"), "too_long", "73 bytes, though only 25 characters");
  assert.equal(checkPassword("a".repeat(72)), null);
  assert.equal(checkPassword("a".repeat(73)), "too_long");
});

test("characters are code points after NFC, trimmed", () => {
  assert.equal(countCharacters("한국어"), 3);
  assert.equal(countCharacters("\u1112\u1161\u11AB"), 1, "a decomposed syllable counts one");
  assert.equal(countCharacters("  제목  "), 2);
  assert.equal(countCharacters("👨‍👩‍👧"), 5, "a family emoji is five code points");
});

test("tags split on commas and spaces, without # and duplicates", () => {
  assert.deepEqual(parseTags("swift, 검색  #db,,Swift"), ["swift", "검색", "db"]);
  assert.deepEqual(parseTags("   "), []);
});

test("email addresses follow the server's rule", () => {
  assert.equal(isEmail("ann@example.com"), true);
  assert.equal(isEmail(" ann@example.com "), true);
  assert.equal(isEmail("ann@example"), false);
  assert.equal(isEmail("an n@example.com"), false);
  assert.equal(isEmail("안나@example.com"), false);
});

test("a draft's problems by field", () => {
  assert.deepEqual(draftProblems({ title: "제목", body: "", tags: [] }), {});
  assert.deepEqual(draftProblems({ title: "   ", body: "", tags: [] }), { title: "editor.titleRequired" });
  assert.deepEqual(draftProblems({ title: "가".repeat(201), body: "", tags: [] }), { title: "editor.titleTooLong" });
  assert.deepEqual(draftProblems({ title: "t", body: "", tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }), { tags: "editor.tooManyTags" });
  assert.deepEqual(draftProblems({ title: "t", body: "", tags: ["x".repeat(31)] }), { tags: "editor.tagTooLong" });
});

test("a like toggles and never counts below zero", () => {
  assert.deepEqual(toggledLike({ liked: false, count: 3 }), { liked: true, count: 4 });
  assert.deepEqual(toggledLike({ liked: true, count: 4 }), { liked: false, count: 3 });
  assert.deepEqual(toggledLike({ liked: true, count: 0 }), { liked: false, count: 0 });
});

function marked(segments) {
  return segments.map((segment) => (segment.mark ? `[${segment.text}]` : segment.text)).join("");
}

test("highlighting splits the text into marked and unmarked segments that cover it in order", () => {
  const text = "Redis와 검색엔진 이야기";
  const segments = highlightSegments(text, "redis 검색");
  assert.equal(segments.map((segment) => segment.text).join(""), text);
  assert.equal(marked(segments), "[Redis]와 [검색]엔진 이야기");
  assert.deepEqual(segments[0], { text: "Redis", mark: true });
});

test("Korean words are marked inside longer words, every time they occur", () => {
  assert.equal(marked(highlightSegments("데이터베이스와 빅데이터", "데이터")), "[데이터]베이스와 빅[데이터]");
  assert.equal(marked(highlightSegments("한국어 검색", "국어")), "한[국어] 검색");
});

test("regular expression characters in the query are taken literally", () => {
  assert.equal(marked(highlightSegments("C++ and C#, not Cxx", "c++")), "[C++] and C#, not Cxx");
  assert.equal(marked(highlightSegments("a.b axb", "a.b")), "[a.b] axb");
  assert.equal(marked(highlightSegments("(괄호) [대괄호] $1 ^x", "(괄호) [대괄호] $1 ^x")), "[(괄호)] [[대괄호]] [$1] [^x]");
  assert.equal(marked(highlightSegments("anything", ".*")), "anything");
  assert.equal(marked(highlightSegments("back\\slash", "\\")), "back[\\]slash");
});

test("overlapping and adjacent words give one mark; longer words win", () => {
  assert.equal(marked(highlightSegments("searching", "search searching")), "[searching]");
  assert.equal(marked(highlightSegments("abab", "ab")), "[abab]");
  assert.deepEqual(queryTerms("b  aa b AA"), ["aa", "b"]);
});

test("markup in the text stays text; an empty query marks nothing", () => {
  assert.deepEqual(highlightSegments("<b>검색</b>", "검색"), [
    { text: "<b>", mark: false }, { text: "검색", mark: true }, { text: "</b>", mark: false },
  ]);
  assert.deepEqual(highlightSegments("제목", "   "), [{ text: "제목", mark: false }]);
  assert.deepEqual(highlightSegments("", "검색"), []);
});

test("decomposed Hangul in the text or the query still matches (NFC)", () => {
  const decomposed = "\u1112\u1161\u11AB\u1100\u116E\u11A8"; // 한국, decomposed
  assert.equal(marked(highlightSegments(`${decomposed}어`, "한국")), "[한국]어");
  assert.equal(marked(highlightSegments("한국어", decomposed)), "[한국]어");
});
