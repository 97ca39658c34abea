// The web client's router (web/app/js/core/router.js): patterns, parameters, and which of
// several routes takes a path.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compile, match, resolve } from "../../web/app/js/core/router.js";
import { feedFilters, feedURL } from "../../web/app/js/screens/feed.js";
import { searchURL } from "../../web/app/js/screens/search.js";

test("a pattern matches its path, with or without a trailing slash, and names its parameters", () => {
  assert.deepEqual(match("/posts/:id", "/posts/42"), { id: "42" });
  assert.deepEqual(match("/posts/:id", "/posts/42/"), { id: "42" });
  assert.deepEqual(match("/posts/:id/edit", "/posts/42/edit"), { id: "42" });
  assert.deepEqual(match("/", "/"), {});
  assert.deepEqual(match("/users/:id", "/users/0b6e3c1e-7d2a-4d7e-9a51-0f0c0a1f2b3c"), { id: "0b6e3c1e-7d2a-4d7e-9a51-0f0c0a1f2b3c" });
});

test("a pattern does not match longer, shorter or other paths", () => {
  assert.equal(match("/posts/:id", "/posts"), null);
  assert.equal(match("/posts/:id", "/posts/42/edit"), null);
  assert.equal(match("/posts/:id", "/postsx/42"), null);
  assert.equal(match("/", "/search"), null);
  assert.equal(match("/posts/:id", "/posts//"), null);
});

test("parameters are decoded; a malformed escape is kept as it came", () => {
  assert.deepEqual(match("/users/:id", "/users/%EA%B0%80"), { id: "가" });
  assert.deepEqual(match("/users/:id", "/users/%E0%A4%A"), { id: "%E0%A4%A" });
});

test("literal parts are literal, metacharacters included", () => {
  assert.equal(match("/a.b", "/axb"), null);
  assert.deepEqual(match("/a.b", "/a.b"), {});
  assert.equal(compile("/users/:id/posts").keys.join(), "id");
});

test("the first route that matches wins: /posts/new before /posts/:id", () => {
  const table = ["/posts/new", "/posts/:id", "/posts/:id/edit", "/*"].map((pattern) => ({ pattern, compiled: compile(pattern) }));
  assert.equal(resolve(table, "/posts/new").entry.pattern, "/posts/new");
  assert.deepEqual(resolve(table, "/posts/7").params, { id: "7" });
  assert.equal(resolve(table, "/posts/7/edit").entry.pattern, "/posts/:id/edit");
  assert.deepEqual(resolve(table, "/anything/else").params, { rest: "anything/else" });
  assert.equal(resolve(table.slice(0, 3), "/nowhere"), null);
});

test("the feed's and search's addresses carry their filters and read back the same", () => {
  const filters = { sort: "likes", tag: "한국어", authorId: "u-1" };
  const url = feedURL(filters);
  assert.equal(url, "/?sort=likes&tag=%ED%95%9C%EA%B5%AD%EC%96%B4&author=u-1");
  assert.deepEqual(feedFilters(new URLSearchParams(url.slice(2))), filters);
  assert.equal(feedURL({ sort: "latest", tag: null, authorId: null }), "/");
  assert.deepEqual(feedFilters(new URLSearchParams("sort=bogus")), { sort: "latest", tag: null, authorId: null });
  assert.equal(searchURL("데이터 sw", "relevance"), "/search?q=%EB%8D%B0%EC%9D%B4%ED%84%B0+sw");
  assert.equal(searchURL("redis ", "latest"), "/search?q=redis+&sort=latest");
});
