// The web client's API module (web/app/js/core/api.js, http.js, errors.js): the error envelope
// turned into ApiError with the request id, Retry-After in both its forms, the field an error
// names, the access token on every call and one refresh-and-retry on a 401.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createApi, ApiError, parseRetryAfter, errorFromResponse, fieldOfError, buildURL } from "../../web/app/js/core/api.js";
import { describeError, errorText } from "../../web/app/js/core/errors.js";
import { setLanguage } from "../../web/app/js/core/i18n.js";

function answer(status, body, headers = {}) {
  return new Response(body === null ? null : typeof body === "string" ? body : JSON.stringify(body), {
    status, headers: { "Content-Type": "application/json", ...headers },
  });
}

test("Retry-After: seconds, an HTTP date, or nothing usable", () => {
  const now = Date.parse("2026-12-07T10:00:00Z");
  assert.equal(parseRetryAfter("120", now), 120);
  assert.equal(parseRetryAfter(" 5 ", now), 5);
  assert.equal(parseRetryAfter("0", now), 0);
  assert.equal(parseRetryAfter("Mon, 07 Dec 2026 10:00:30 GMT", now), 30);
  assert.equal(parseRetryAfter("Mon, 07 Dec 2026 09:00:00 GMT", now), 0, "a date in the past: now");
  assert.equal(parseRetryAfter(null, now), null);
  assert.equal(parseRetryAfter("", now), null);
  assert.equal(parseRetryAfter("-3", now), null);
  assert.equal(parseRetryAfter("1.5", now), null);
  assert.equal(parseRetryAfter("soon", now), null);
});

test("the error envelope becomes an ApiError with code, message, request id and Retry-After", async () => {
  const error = await errorFromResponse(answer(429, { error: { code: "too_many_attempts", message: "Too many attempts" } }, { "X-Request-Id": "abc123", "Retry-After": "17" }));
  assert.ok(error instanceof ApiError);
  assert.deepEqual([error.status, error.code, error.message, error.requestId, error.retryAfter], [429, "too_many_attempts", "Too many attempts", "abc123", 17]);
});

test("an answer without the envelope (an HTML proxy page) still gives status and request id", async () => {
  const error = await errorFromResponse(new Response("<html>bad gateway</html>", { status: 502, headers: { "X-Request-Id": "r-9" } }));
  assert.deepEqual([error.status, error.code, error.requestId, error.retryAfter], [502, "http_502", "r-9", null]);
});

test("the field an error is about: the envelope's own, the code's, or the one a message names", () => {
  assert.equal(fieldOfError("invalid_email", "bad"), "email");
  assert.equal(fieldOfError("invalid_password", ""), "password");
  assert.equal(fieldOfError("invalid_title", ""), "title");
  assert.equal(fieldOfError("missing_field", "refreshToken is missing"), "refreshToken");
  assert.equal(fieldOfError("invalid_field", "tags[1] must be text"), "tags");
  assert.equal(fieldOfError("rate_limited", "slow down"), null);
  assert.equal(fieldOfError("whatever", "", "nickname"), "nickname");
});

test("query strings leave out empty values and encode the rest", () => {
  assert.equal(buildURL("/api/posts", { sort: "likes", tag: "한국어 검색", cursor: null, authorId: undefined, page: "" }), "/api/posts?sort=likes&tag=%ED%95%9C%EA%B5%AD%EC%96%B4+%EA%B2%80%EC%83%89");
  assert.equal(buildURL("/api/posts", {}), "/api/posts");
  assert.equal(buildURL("/api/search?x=1", { keyword: "a&b" }), "/api/search?x=1&keyword=a%26b");
});

function fakeSession(tokens) {
  return {
    status: "signed-in",
    current: tokens[0],
    refreshes: 0,
    signedOutWith: undefined,
    async token() { return this.current; },
    async tokenAfterRejection(failed) {
      this.refreshes += 1;
      const next = tokens[tokens.indexOf(failed) + 1] ?? null;
      this.current = next;
      return next;
    },
    signOut(reason) { this.status = "signed-out"; this.signedOutWith = reason; },
  };
}

test("api sends JSON with the access token and reads JSON back (null for 204)", async () => {
  const calls = [];
  const session = fakeSession(["t1"]);
  const { api } = createApi({
    session,
    fetch: async (url, init) => {
      calls.push({ url, init });
      return url.endsWith("/like") ? new Response(null, { status: 204 }) : answer(201, { id: 7 });
    },
  });
  assert.deepEqual(await api("POST", "/api/posts", { json: { title: "제목" } }), { id: 7 });
  assert.equal(await api("POST", "/api/posts/7/like"), null);
  const [create] = calls;
  assert.equal(create.init.method, "POST");
  assert.equal(create.init.headers.get("Authorization"), "Bearer t1");
  assert.equal(create.init.headers.get("Content-Type"), "application/json");
  assert.equal(create.init.body, JSON.stringify({ title: "제목" }));
});

test("auth: false sends no token", async () => {
  let sent;
  const { api } = createApi({ session: fakeSession(["t1"]), fetch: async (url, init) => { sent = init.headers; return answer(200, {}); } });
  await api("POST", "/api/auth/password/forgot", { json: { email: "a@b.co" }, auth: false });
  assert.equal(sent.get("Authorization"), null);
});

test("a 401 takes a fresh token once and sends again", async () => {
  const seen = [];
  const session = fakeSession(["old", "new"]);
  const { api } = createApi({
    session,
    fetch: async (url, init) => {
      const token = init.headers.get("Authorization");
      seen.push(token);
      return token === "Bearer new" ? answer(200, { ok: true }) : answer(401, { error: { code: "token_expired", message: "expired" } });
    },
  });
  assert.deepEqual(await api("GET", "/api/users/me"), { ok: true });
  assert.deepEqual(seen, ["Bearer old", "Bearer new"]);
  assert.equal(session.refreshes, 1);
  assert.equal(session.status, "signed-in");
});

test("a token refused again after the refresh signs out with the reason, and the caller gets the 401", async () => {
  const session = fakeSession(["old", "new"]);
  let calls = 0;
  const { api } = createApi({
    session,
    fetch: async () => { calls += 1; return answer(401, { error: { code: "token_revoked", message: "revoked" } }, { "X-Request-Id": "r1" }); },
  });
  await assert.rejects(api("GET", "/api/users/me"), (error) => error.status === 401 && error.code === "token_revoked" && error.requestId === "r1");
  assert.equal(calls, 2, "sent once more, never a third time");
  assert.deepEqual([session.status, session.signedOutWith], ["signed-out", "revoked"]);
});

test("when no fresh token can be had the 401 is final and the session ends", async () => {
  const session = fakeSession(["only"]);
  let calls = 0;
  const { api } = createApi({ session, fetch: async () => { calls += 1; return answer(401, { error: { code: "account_deleted", message: "gone" } }); } });
  await assert.rejects(api("POST", "/api/posts", { json: {} }), (error) => error.code === "account_deleted");
  assert.equal(calls, 1);
  assert.equal(session.signedOutWith, "deleted");
});

test("a request that never reaches the server is ApiError status 0 network_error; an abort stays an abort", async () => {
  const { api } = createApi({ session: null, fetch: async () => { throw new TypeError("Failed to fetch"); } });
  await assert.rejects(api("GET", "/api/posts"), (error) => error instanceof ApiError && error.status === 0 && error.code === "network_error");
  const aborting = createApi({ session: null, fetch: async () => { throw new DOMException("aborted", "AbortError"); } });
  await assert.rejects(aborting.api("GET", "/api/posts"), (error) => error.name === "AbortError");
});

test("apiFetch hands back the raw answer with the token and the same retry", async () => {
  const session = fakeSession(["a", "b"]);
  const { apiFetch } = createApi({
    session,
    fetch: async (url, init) => (init.headers.get("Authorization") === "Bearer b" ? new Response("data: x\n\n", { status: 200 }) : answer(401, { error: { code: "token_expired", message: "" } })),
  });
  const response = await apiFetch("/api/gpt/qna", { method: "POST", body: "{}", headers: { Accept: "text/event-stream" } });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "data: x\n\n");
});

test("error messages: by code, by status, countdown data for 429, request id only when unexpected", () => {
  setLanguage("en", { save: false });
  const limited = describeError(new ApiError({ status: 429, code: "too_many_attempts", retryAfter: 30, requestId: "r" }));
  assert.equal(limited.text, "Too many attempts. Please wait a moment.");
  assert.equal(limited.retryAfter, 30);
  assert.equal(limited.unexpected, false);
  assert.equal(describeError(new ApiError({ status: 404, code: "something_new" })).text, "Not found.");
  const broken = new ApiError({ status: 500, code: "internal", requestId: "req-42" });
  assert.equal(describeError(broken).unexpected, true);
  assert.match(errorText(broken), /req-42/);
  assert.doesNotMatch(errorText(new ApiError({ status: 422, code: "invalid_email", requestId: "req-43" })), /req-43/);
  setLanguage("ko", { save: false });
  assert.equal(describeError(new ApiError({ status: 401, code: "invalid_credentials" })).text, "이메일이나 비밀번호가 맞지 않습니다.");
});
