// The web client's session (web/app/js/core/auth.js): cookie-mode login and refresh, one refresh
// at a time in a tab and across tabs, the silent refresh before expiry on an injected clock, and
// sign-outs that reach every tab. Browser pieces are the stand-ins of app-fakes.js.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SessionCoordinator, reasonOfRefreshFailure } from "../../web/app/js/core/auth.js";
import { ApiError } from "../../web/app/js/core/http.js";
import { FakeAuthServer, FakeChannelHub, FakeClock, FakeLocks, settle } from "./app-fakes.js";

function tab(server, clock, { locks = new FakeLocks(), hub = null, hint = null } = {}) {
  return new SessionCoordinator({
    fetch: server.fetch, locks, channel: hub ? hub.channel() : null,
    now: clock.now, setTimer: clock.setTimer, clearTimer: clock.clearTimer, hint, handOver: () => settle(),
  });
}

test("login sends cookie mode and keeps the access token in memory", async () => {
  const server = new FakeAuthServer();
  const clock = new FakeClock();
  const session = tab(server, clock);
  const user = await session.login("ann@example.com", "correct horse");
  assert.equal(user.nickname, "Ann");
  assert.equal(session.status, "signed-in");
  assert.equal(session.accessToken, "access-1");
  const login = server.calls.find((call) => call.url === "/api/auth/login");
  assert.equal(login.headers.get("X-Auth-Mode"), "cookie");
  assert.equal(login.headers.get("Content-Type"), "application/json");
});

test("a failed login is an ApiError with the server's code and the session stays signed out", async () => {
  const server = new FakeAuthServer();
  const session = tab(server, new FakeClock());
  await assert.rejects(session.login("ann@example.com", "wrong"), (error) => error instanceof ApiError && error.status === 401 && error.code === "invalid_credentials");
  assert.notEqual(session.status, "signed-in");
});

test("boot: nothing is decided until the refresh answers; a live cookie signs in", async () => {
  const server = new FakeAuthServer();
  server.pair(); // a cookie from an earlier visit
  const session = tab(server, new FakeClock());
  const states = [];
  session.subscribe((state) => states.push(state.status));
  const booting = session.boot();
  assert.equal(session.status, "unknown");
  await booting;
  assert.deepEqual(states, ["signed-in"]);
  assert.equal(server.count("/api/auth/refresh"), 1);
  const refresh = server.calls.find((call) => call.url === "/api/auth/refresh");
  assert.equal(refresh.headers.get("X-Auth-Mode"), "cookie");
  assert.equal(refresh.body, undefined);
});

test("boot without a cookie ends signed out with no message, and without a hint sends nothing", async () => {
  const server = new FakeAuthServer();
  const session = tab(server, new FakeClock());
  const state = await session.boot();
  assert.deepEqual([state.status, state.reason], ["signed-out", null]);

  const quiet = new FakeAuthServer();
  const hinted = tab(quiet, new FakeClock(), { hint: { get: () => false, set: () => {} } });
  assert.equal((await hinted.boot()).status, "signed-out");
  assert.equal(quiet.calls.length, 0);
});

test("concurrent callers in one tab share one refresh", async () => {
  const server = new FakeAuthServer();
  const session = tab(server, new FakeClock());
  await session.login("ann@example.com", "correct horse");
  const tokens = await Promise.all([session.refresh(), session.refresh(), session.refresh()]);
  assert.deepEqual(tokens, ["access-2", "access-2", "access-2"]);
  assert.equal(server.count("/api/auth/refresh"), 1);
});

test("the silent refresh runs shortly before expiry and is rescheduled after each one", async () => {
  const server = new FakeAuthServer({ ttl: 600 });
  const clock = new FakeClock();
  const session = tab(server, clock);
  await session.login("ann@example.com", "correct horse");
  // Ten minutes of token, refreshed a minute before the end.
  assert.deepEqual(clock.pending(), [540_000]);
  await clock.advance(539_000);
  assert.equal(server.count("/api/auth/refresh"), 0);
  await clock.advance(1_000);
  assert.equal(server.count("/api/auth/refresh"), 1);
  assert.equal(session.accessToken, "access-2");
  assert.deepEqual(clock.pending(), [540_000]);
  await clock.advance(540_000);
  assert.equal(server.count("/api/auth/refresh"), 2);
});

test("two tabs whose timers fire together refresh once; the other takes the broadcast token", async () => {
  const server = new FakeAuthServer();
  const clock = new FakeClock();
  const locks = new FakeLocks();
  const hub = new FakeChannelHub();
  const first = tab(server, clock, { locks, hub });
  const second = tab(server, clock, { locks, hub });
  await first.login("ann@example.com", "correct horse");
  await settle();
  // The login reached the other tab.
  assert.equal(second.status, "signed-in");
  assert.equal(second.accessToken, "access-1");
  await Promise.all([first.refresh(), second.refresh()]);
  await settle();
  assert.equal(server.count("/api/auth/refresh"), 1, "the second tab used the first one's token");
  assert.equal(first.accessToken, "access-2");
  assert.equal(second.accessToken, "access-2");
  assert.equal(locks.maxHeld, 1);
  assert.equal(server.reused, 0, "no refresh token was presented twice");
});

test("two tabs on their own schedules never present a spent refresh token", async () => {
  const server = new FakeAuthServer();
  const clock = new FakeClock();
  const locks = new FakeLocks();
  const hub = new FakeChannelHub();
  const first = tab(server, clock, { locks, hub });
  const second = tab(server, clock, { locks, hub });
  await first.login("ann@example.com", "correct horse");
  await settle();
  await clock.advance(3 * 600_000);
  assert.ok(server.count("/api/auth/refresh") >= 3);
  assert.equal(server.reused, 0);
  assert.equal(first.status, "signed-in");
  assert.equal(second.status, "signed-in");
  assert.equal(first.accessToken, second.accessToken);
});

test("logging out in one tab logs out the others", async () => {
  const server = new FakeAuthServer();
  const clock = new FakeClock();
  const hub = new FakeChannelHub();
  const locks = new FakeLocks();
  const first = tab(server, clock, { locks, hub });
  const second = tab(server, clock, { locks, hub });
  await first.login("ann@example.com", "correct horse");
  await settle();
  const seen = [];
  second.subscribe((state) => seen.push(state));
  await first.logout();
  await settle();
  assert.equal(server.count("/api/auth/logout"), 1);
  assert.equal(server.calls.find((call) => call.url === "/api/auth/logout").headers.get("X-Auth-Mode"), "cookie");
  assert.deepEqual([first.status, first.reason], ["signed-out", "logout"]);
  assert.deepEqual([second.status, second.reason, second.accessToken], ["signed-out", "other-tab", null]);
  assert.equal(seen.at(-1).status, "signed-out");
  // Nothing left scheduled: no refresh after logout.
  assert.deepEqual(clock.pending(), []);
});

test("a banned account is signed out with the reason, in every tab", async () => {
  const server = new FakeAuthServer();
  const clock = new FakeClock();
  const hub = new FakeChannelHub();
  const locks = new FakeLocks();
  const first = tab(server, clock, { locks, hub });
  const second = tab(server, clock, { locks, hub });
  await first.login("ann@example.com", "correct horse");
  await settle();
  server.banned = true;
  await assert.rejects(first.refresh(), (error) => error.code === "account_banned");
  await settle();
  assert.deepEqual([first.status, first.reason], ["signed-out", "banned"]);
  assert.deepEqual([second.status, second.reason], ["signed-out", "banned"]);
});

test("a refresh the server cannot answer keeps the session and tries again", async () => {
  const server = new FakeAuthServer();
  const clock = new FakeClock();
  const session = tab(server, clock);
  await session.login("ann@example.com", "correct horse");
  const real = server.fetch;
  session.fetch = async () => { throw new TypeError("Failed to fetch"); };
  await assert.rejects(session.refresh(), (error) => error.code === "network_error" && error.status === 0);
  assert.equal(session.status, "signed-in");
  assert.equal(clock.pending().length, 1);
  session.fetch = real;
  await clock.advance(clock.pending()[0]);
  assert.equal(session.accessToken, "access-2");
});

test("tokenAfterRejection uses a token another tab already fetched instead of refreshing", async () => {
  const server = new FakeAuthServer();
  const session = tab(server, new FakeClock());
  await session.login("ann@example.com", "correct horse");
  session.receive({ type: "token", accessToken: "access-from-another-tab", expiresAt: session.now() + 600_000, user: session.user });
  assert.equal(await session.tokenAfterRejection("access-1"), "access-from-another-tab");
  assert.equal(server.count("/api/auth/refresh"), 0);
  assert.equal(await session.tokenAfterRejection("access-from-another-tab"), "access-2");
});

test("refresh failures map to sign-out reasons", () => {
  assert.equal(reasonOfRefreshFailure(new ApiError({ status: 403, code: "account_banned" })), "banned");
  assert.equal(reasonOfRefreshFailure(new ApiError({ status: 401, code: "invalid_refresh_token" })), "expired");
  assert.equal(reasonOfRefreshFailure(new ApiError({ status: 401, code: "refresh_token_reused" })), "revoked");
  assert.equal(reasonOfRefreshFailure(new ApiError({ status: 503, code: "overloaded" })), null);
  assert.equal(reasonOfRefreshFailure(new ApiError({ status: 0, code: "network_error" })), null);
});
