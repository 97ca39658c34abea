// The browser session (docs/security.md, "Refresh tokens in a browser"): cookie mode, so the
// refresh token lives in an HttpOnly cookie the page never sees and the access token in this
// module's memory only (never in storage). A reload refreshes.
//
// SessionCoordinator keeps one access token fresh for every tab of the site:
// - a silent refresh shortly before the token's expiry;
// - one refresh at a time, in this tab (callers share the one in flight) and across tabs
//   (navigator.locks "refresh"): a tab that waited for the lock and meanwhile received another
//   tab's fresh token uses it instead of refreshing again, which would rotate the token twice;
// - a BroadcastChannel("session") carries fresh tokens, sign-outs and account changes to the
//   other tabs: logging out in one logs out all of them.
// Everything the browser provides is injected, so the logic runs under node --test.
import { ApiError, buildURL, jsonInit, readJSON, send } from "./http.js";

export const COOKIE_MODE = { "X-Auth-Mode": "cookie" };

// Why a session ended, as the app explains it.
export const SIGN_OUT_REASONS = ["logout", "other-tab", "expired", "banned", "revoked", "deleted", "password-reset"];

/** The reason for the sign-out a failed refresh means; null when the failure says nothing about the session. */
export function reasonOfRefreshFailure(error) {
  if (!(error instanceof ApiError)) return null;
  if (error.code === "account_banned") return "banned";
  if (error.status === 401) return error.code === "refresh_token_reused" ? "revoked" : "expired";
  if (error.status === 403) return "revoked";
  return null;
}

/** The reason for the sign-out a 401 to a request made with a fresh token means. */
export function reasonOfRejectedToken(error) {
  if (error?.code === "account_deleted") return "deleted";
  if (error?.code === "token_revoked") return "revoked";
  return "expired";
}

export class SessionCoordinator {
  /**
   * fetch: the fetch function; locks: navigator.locks or null (no cross-tab lock);
   * channel: a BroadcastChannel or null; now: () => milliseconds; setTimer(fn, ms) and
   * clearTimer(id); refreshMargin(ttlMs) → how long before expiry to refresh; hint: null, or
   * {get() → boolean, set(boolean)} remembering whether this browser had a session (no secret:
   * a page load without it skips the refresh that could only answer 401); handOver() → a
   * promise that resolves once the other tabs have had time to receive a broadcast token (the
   * lock is held until then, so a tab waiting for it finds the token already delivered).
   */
  constructor({ fetch, locks = null, channel = null, now = () => Date.now(), setTimer = (fn, ms) => setTimeout(fn, ms), clearTimer = (id) => clearTimeout(id), refreshMargin, hint = null, handOver = () => new Promise((resolve) => setTimeout(resolve, 50)) } = {}) {
    this.fetch = fetch;
    this.locks = locks;
    this.channel = channel;
    this.now = now;
    this.setTimer = setTimer;
    this.clearTimer = clearTimer;
    this.refreshMargin = refreshMargin ?? ((ttl) => Math.min(60_000, Math.max(5_000, ttl * 0.1)));
    this.hint = hint;
    this.handOver = handOver;
    this.status = "unknown"; // "unknown" until the first refresh answers, then "signed-in" or "signed-out"
    this.user = null;
    this.accessToken = null;
    this.expiresAt = 0;
    this.reason = null;
    this.generation = 0; // counts every token this tab took up, its own or another tab's
    this.inFlight = null;
    this.timer = null;
    this.listeners = new Set();
    this.refreshCount = 0; // refreshes this tab sent to the server (for tests and diagnostics)
    if (channel) channel.onmessage = (event) => this.receive(event.data);
  }

  /** fn({status, user, reason}) after every change; returns a function that stops it. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  snapshot() {
    return { status: this.status, user: this.user, reason: this.reason };
  }

  notify() {
    const state = this.snapshot();
    for (const listener of this.listeners) listener(state);
  }

  get signedIn() {
    return this.status === "signed-in";
  }

  /** On page load: one refresh decides whether we are signed in. Nothing signed-out shows before it answers. */
  async boot() {
    if (this.hint && !this.hint.get() && this.status === "unknown") {
      this.status = "signed-out";
      this.notify();
      return this.snapshot();
    }
    try {
      await this.refresh();
    } catch {
      // refresh() has settled the status already (signed out, or kept unknown on a network error).
    }
    if (this.status === "unknown") {
      this.status = "signed-out";
      this.reason = "unreachable";
      this.notify();
    }
    return this.snapshot();
  }

  async login(email, password) {
    const pair = await this.call("POST", "/api/auth/login", { json: { email, password }, headers: COOKIE_MODE });
    this.adopt(pair, { broadcast: true });
    return pair.user;
  }

  /**
   * A fresh access token. Shares the refresh in flight in this tab; across tabs, takes the lock
   * and, when another tab's token arrived meanwhile, uses it instead of refreshing.
   */
  refresh() {
    if (this.inFlight) return this.inFlight;
    const seen = this.generation;
    const run = async () => {
      if (this.generation !== seen && this.accessToken && this.expiresAt - this.now() > 5_000) {
        return this.accessToken;
      }
      const token = await this.refreshNow();
      if (this.locks && this.channel) await this.handOver();
      return token;
    };
    const locked = this.locks ? this.locks.request("refresh", run) : run();
    this.inFlight = Promise.resolve(locked).finally(() => { this.inFlight = null; });
    return this.inFlight;
  }

  async refreshNow() {
    this.refreshCount += 1;
    let pair;
    try {
      pair = await this.call("POST", "/api/auth/refresh", { headers: COOKIE_MODE });
    } catch (error) {
      const reason = reasonOfRefreshFailure(error);
      if (reason) {
        // On page load a missing or dead cookie just means "not signed in": no message (a ban
        // is still said).
        const booting = this.status === "unknown";
        this.signOut(booting && reason !== "banned" ? null : reason, { broadcast: !booting });
      } else if (this.status === "signed-in") {
        // The server was not reached or is busy: keep the token while it lasts, try again soon.
        const wait = Math.max(1_000, (error.retryAfter ?? 15) * 1000);
        this.schedule(Math.min(wait, Math.max(1_000, this.expiresAt - this.now() - 1_000)));
      }
      throw error;
    }
    this.adopt(pair, { broadcast: true });
    return this.accessToken;
  }

  /**
   * The token to send now: refreshed first when it expires within seconds (a hidden tab's
   * timers run late). null when signed out.
   */
  async token() {
    if (this.status === "unknown" && this.inFlight) await this.inFlight.catch(() => {});
    if (!this.accessToken) return null;
    if (this.expiresAt - this.now() < 5_000) {
      try { await this.refresh(); } catch { /* the caller's request will answer 401 */ }
    }
    return this.accessToken;
  }

  /**
   * After a request with `failedToken` was refused (401): another token when there is one
   * (someone refreshed meanwhile, or a refresh now succeeds), else null.
   */
  async tokenAfterRejection(failedToken) {
    if (this.accessToken && this.accessToken !== failedToken) return this.accessToken;
    if (this.status !== "signed-in") return null;
    try {
      const token = await this.refresh();
      return token && token !== failedToken ? token : null;
    } catch {
      return null;
    }
  }

  /** Takes up a token pair (login, refresh, password change): remembers it, schedules the next refresh. */
  adopt(pair, { broadcast = false } = {}) {
    const ttl = Math.max(1, Number(pair.expiresIn) || 600) * 1000;
    this.take({ accessToken: pair.accessToken, expiresAt: this.now() + ttl, user: pair.user ?? this.user });
    if (broadcast) this.post({ type: "token", accessToken: this.accessToken, expiresAt: this.expiresAt, user: this.user });
  }

  take({ accessToken, expiresAt, user }) {
    this.accessToken = accessToken;
    this.expiresAt = expiresAt;
    this.user = user;
    this.status = "signed-in";
    this.reason = null;
    this.generation += 1;
    this.hint?.set(true);
    const ttl = expiresAt - this.now();
    this.schedule(Math.max(0, ttl - this.refreshMargin(ttl)));
    this.notify();
  }

  schedule(ms) {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = this.setTimer(() => {
      this.timer = null;
      this.refresh().catch(() => {});
    }, ms);
  }

  /** The account changed (nickname, verified): keep it and tell the other tabs. */
  updateUser(user) {
    this.user = { ...this.user, ...user };
    this.post({ type: "user", user: this.user });
    this.notify();
  }

  /** Ends the session here and (broadcast) in the other tabs, without asking the server. */
  signOut(reason = null, { broadcast = true } = {}) {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    const wasSignedIn = this.status === "signed-in";
    this.accessToken = null;
    this.expiresAt = 0;
    this.user = null;
    this.status = "signed-out";
    this.reason = reason;
    this.generation += 1;
    this.hint?.set(false);
    if (broadcast && wasSignedIn) this.post({ type: "signed-out", reason });
    this.notify();
  }

  /** Logs out: the server forgets this session and clears its cookie; every tab signs out. */
  async logout() {
    try {
      await this.call("POST", "/api/auth/logout", { headers: COOKIE_MODE });
    } finally {
      this.signOut("logout");
    }
  }

  /** Ends every session of the account (all devices), then this one's cookie. */
  async logoutEverywhere() {
    await this.call("POST", "/api/auth/logout-all", { headers: this.bearer() });
    await this.call("POST", "/api/auth/logout", { headers: COOKIE_MODE }).catch(() => {});
    this.signOut("logout");
  }

  /** Changes the password: the server ends every session and gives this tab a new pair. */
  async changePassword(currentPassword, newPassword) {
    let pair;
    try {
      pair = await this.call("POST", "/api/auth/password/change", {
        json: { currentPassword, newPassword },
        headers: { ...COOKIE_MODE, ...this.bearer() },
      });
    } catch (error) {
      // Changed, but this session ended with the others: sign in again with the new password.
      if (error?.code === "session_ended") this.signOut("password-reset");
      throw error;
    }
    this.adopt(pair, { broadcast: true });
    return pair.user;
  }

  bearer() {
    return this.accessToken ? { Authorization: `Bearer ${this.accessToken}` } : {};
  }

  async call(method, path, options = {}) {
    const response = await send(this.fetch, buildURL(path, options.query), jsonInit(method, options));
    return readJSON(response);
  }

  post(message) {
    try { this.channel?.postMessage(message); } catch { /* a closed channel: this tab is going away */ }
  }

  /** A message from another tab. */
  receive(message) {
    if (!message || typeof message !== "object") return;
    if (message.type === "token" && typeof message.accessToken === "string") {
      this.take({ accessToken: message.accessToken, expiresAt: Number(message.expiresAt) || this.now(), user: message.user ?? this.user });
    } else if (message.type === "signed-out") {
      if (this.status === "signed-in") this.signOut(message.reason === "logout" ? "other-tab" : message.reason ?? null, { broadcast: false });
    } else if (message.type === "user" && this.status === "signed-in" && message.user) {
      this.user = message.user;
      this.notify();
    }
  }
}

function browserSession() {
  if (typeof window === "undefined") return null;
  const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("session") : null;
  return new SessionCoordinator({
    fetch: (...args) => window.fetch(...args),
    locks: globalThis.navigator?.locks ?? null,
    channel,
    hint: {
      get: () => { try { return localStorage.getItem("session") === "1"; } catch { return true; } },
      set: (value) => { try { if (value) localStorage.setItem("session", "1"); else localStorage.removeItem("session"); } catch { /* storage off: always refresh */ } },
    },
  });
}

/** This page's session (null outside a browser). */
export const session = browserSession();

if (session && typeof document !== "undefined") {
  // A tab that slept past its refresh time catches up when it is shown again.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && session.signedIn && session.expiresAt - session.now() < 60_000) {
      session.refresh().catch(() => {});
    }
  });
}
