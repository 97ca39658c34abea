// Stand-ins for what the browser gives the web client's session and API modules: a clock with
// timers, navigator.locks, BroadcastChannel between simulated tabs, and an AuthService that
// rotates a cookie-held refresh token.

/** A clock whose timers run only when the test advances it. */
export class FakeClock {
  constructor(start = 1_000_000) {
    this.time = start;
    this.timers = new Map();
    this.nextId = 1;
    this.now = () => this.time;
    this.setTimer = (fn, ms) => {
      const id = this.nextId++;
      this.timers.set(id, { at: this.time + ms, fn });
      return id;
    };
    this.clearTimer = (id) => this.timers.delete(id);
  }

  /** The times (from now) of the pending timers, soonest first. */
  pending() {
    return [...this.timers.values()].map((timer) => timer.at - this.time).sort((a, b) => a - b);
  }

  /** Moves time on by ms, running each timer that falls due (and what they start) in order. */
  async advance(ms) {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, timer]) => timer.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

/** Lets every pending promise and message callback run. */
export async function settle(rounds = 20) {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** navigator.locks for several tabs of one browser: one holder of a name at a time, in order. */
export class FakeLocks {
  constructor() {
    this.tails = new Map();
    this.held = 0;
    this.maxHeld = 0;
  }

  request(name, callback) {
    const previous = this.tails.get(name) ?? Promise.resolve();
    const run = previous.then(async () => {
      this.held += 1;
      this.maxHeld = Math.max(this.maxHeld, this.held);
      try {
        return await callback();
      } finally {
        this.held -= 1;
      }
    });
    this.tails.set(name, run.catch(() => {}));
    return run;
  }
}

/** BroadcastChannel("session") between tabs: a message reaches every other tab, later. */
export class FakeChannelHub {
  constructor() {
    this.members = [];
  }

  channel() {
    const member = {
      onmessage: null,
      postMessage: (data) => {
        const copy = structuredClone(data);
        for (const other of this.members) {
          if (other !== member) setImmediate(() => other.onmessage?.({ data: copy }));
        }
      },
    };
    this.members.push(member);
    return member;
  }
}

function json(status, body, headers = {}) {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", "X-Request-Id": `req-${status}`, ...headers },
  });
}

/**
 * AuthService as the browser sees it in cookie mode: login sets the refresh cookie, refresh
 * rotates it (a spent one is refused, as after the grace window), logout clears it. The cookie
 * jar is the browser's, shared by its tabs. `delay` makes each answer take a few ticks, so
 * concurrent callers overlap.
 */
export class FakeAuthServer {
  constructor({ ttl = 600 } = {}) {
    this.ttl = ttl;
    this.cookie = null;
    this.generation = 0;
    this.spent = new Set();
    this.calls = [];
    this.banned = false;
    this.reused = 0;
    this.user = { id: "u-1", email: "ann@example.com", nickname: "Ann", role: "USER", emailVerified: true };
    this.fetch = (url, init = {}) => this.handle(String(url), init);
  }

  pair() {
    this.generation += 1;
    this.cookie = `refresh-${this.generation}`;
    return { accessToken: `access-${this.generation}`, tokenType: "Bearer", expiresIn: this.ttl, user: this.user };
  }

  async handle(url, init) {
    const method = init.method ?? "GET";
    const headers = new Headers(init.headers ?? {});
    this.calls.push({ method, url, headers, body: init.body });
    const sentCookie = this.cookie;
    await settle(3);
    if (url === "/api/auth/login") {
      const { password } = JSON.parse(init.body);
      if (password !== "correct horse") return json(401, { error: { code: "invalid_credentials", message: "no" } });
      return json(200, this.pair());
    }
    if (url === "/api/auth/refresh") {
      if (headers.get("X-Auth-Mode") !== "cookie") return json(422, { error: { code: "missing_field", message: "refreshToken is missing" } });
      if (!sentCookie || this.spent.has(sentCookie)) {
        if (sentCookie) this.reused += 1;
        this.cookie = null;
        return json(401, { error: { code: sentCookie ? "refresh_token_reused" : "invalid_refresh_token", message: "no" } });
      }
      if (this.banned) return json(403, { error: { code: "account_banned", message: "banned" } });
      this.spent.add(sentCookie);
      return json(200, this.pair());
    }
    if (url === "/api/auth/logout") {
      this.cookie = null;
      return new Response(null, { status: 204 });
    }
    return json(404, { error: { code: "not_found", message: "Not Found" } });
  }

  count(path) {
    return this.calls.filter((call) => call.url === path).length;
  }
}
