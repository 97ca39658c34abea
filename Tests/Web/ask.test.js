// The question screen's logic: reading GPTService's streamed answer (web/app/js/ask/stream.js)
// from a fake fetch, and the quota's reset time in the quota's time zone (web/app/js/ask/quota.js).
// Run by deploy/test: node --test Tests/Web
import assert from "node:assert/strict";
import { test } from "node:test";
import { ask, StreamError } from "../../web/app/js/ask/stream.js";
import { formatReset, mergeQuota, quotaFromBody, quotaFromHeaders, resetTimeZone } from "../../web/app/js/ask/quota.js";

const encoder = new TextEncoder();
const QUOTA_HEADERS = { "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4", "X-RateLimit-Reset": "1796742000", "X-Request-Id": "req-1" };

// A fetch answering with these server-sent events, cut into small chunks; `hold` keeps the stream
// open after them (a slow upstream) until the request is aborted.
function streaming(events, { hold = false } = {}) {
  const requests = [];
  const fetchFn = async (url, init) => {
    requests.push({ url, init });
    const bytes = encoder.encode(events.join(""));
    const body = new ReadableStream({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
        if (!hold) controller.close();
        init.signal?.addEventListener("abort", () => controller.error(new DOMException("aborted", "AbortError")));
      },
    });
    return new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream; charset=utf-8", ...QUOTA_HEADERS } });
  };
  return { fetchFn, requests };
}

const delta = (text) => `data: ${JSON.stringify({ delta: text })}\n\n`;

test("the answer streams piece by piece, then done brings the source", async () => {
  const { fetchFn, requests } = streaming([
    delta("B-트리는 "), delta("**균형** "), ": keep-alive\n\n", delta("트리입니다."),
    `event: done\ndata: ${JSON.stringify({ answer: "B-트리는 **균형** 트리입니다.", cached: false, source: "upstream", model: "gpt-4o-mini" })}\n\n`,
  ]);
  const seen = [];
  let quota = null;
  const result = await ask(fetchFn, "B-트리란?", { onDelta: (text) => seen.push(text), onQuota: (value) => { quota = value; } });
  assert.deepEqual(seen, ["B-트리는 ", "B-트리는 **균형** ", "B-트리는 **균형** 트리입니다.", "B-트리는 **균형** 트리입니다."]);
  assert.deepEqual(result, { answer: "B-트리는 **균형** 트리입니다.", cached: false, source: "upstream", model: "gpt-4o-mini", complete: true });
  assert.deepEqual(quota, { limit: 5, remaining: 4, resetAt: new Date(1796742000 * 1000) });
  const { url, init } = requests[0];
  assert.equal(url, "/api/gpt/qna");
  assert.equal(init.method, "POST");
  assert.deepEqual(JSON.parse(init.body), { question: "B-트리란?", stream: true });
  assert.equal(init.headers.Accept, "text/event-stream");
  assert.equal(init.headers["Content-Type"], "application/json");
});

test("a cached answer is one delta and done", async () => {
  const { fetchFn } = streaming([delta("cached text"), `event: done\ndata: {"answer":"cached text","cached":true,"source":"exact","model":"m"}\n\n`]);
  const result = await ask(fetchFn, "q");
  assert.equal(result.source, "exact");
  assert.equal(result.cached, true);
});

test("an error half-way keeps the text so far", async () => {
  const { fetchFn } = streaming([delta("part one "), 'event: error\ndata: {"error":{"code":"upstream_unavailable","message":"gone"}}\n\n']);
  await assert.rejects(ask(fetchFn, "q"), (error) => {
    assert.ok(error instanceof StreamError);
    assert.equal(error.code, "upstream_unavailable");
    assert.equal(error.partial, "part one ");
    assert.equal(error.requestId, "req-1");
    return true;
  });
});

test("a stream that ends without done is marked incomplete", async () => {
  const { fetchFn } = streaming([delta("cut")]);
  assert.deepEqual(await ask(fetchFn, "q"), { answer: "cut", cached: false, source: null, model: null, complete: false });
});

test("Stop aborts the reading; what arrived was already handed out", async () => {
  const { fetchFn } = streaming([delta("so far")], { hold: true });
  const controller = new AbortController();
  let text = "";
  const asking = ask(fetchFn, "q", { signal: controller.signal, onDelta: (value) => { text = value; } });
  await new Promise((resolve) => setTimeout(resolve, 20));
  controller.abort();
  await assert.rejects(asking, { name: "AbortError" });
  assert.equal(text, "so far");
});

test("a refusal before the stream is an ApiError with its code, Retry-After and quota", async () => {
  const fetchFn = async () => new Response(JSON.stringify({ error: { code: "rate_limited", message: "slow down" } }), {
    status: 429, headers: { "Content-Type": "application/json", "Retry-After": "2", ...QUOTA_HEADERS },
  });
  let quota = null;
  await assert.rejects(ask(fetchFn, "q", { onQuota: (value) => { quota = value; } }), (error) => {
    assert.equal(error.name, "ApiError");
    assert.deepEqual([error.status, error.code, error.retryAfter], [429, "rate_limited", 2]);
    return true;
  });
  assert.equal(quota.remaining, 4);
});

test("the quota from the route's body and from headers, merged", () => {
  const body = quotaFromBody({ limit: 5, used: 1, remaining: 4, resetAt: "2026-12-08T15:00:00Z" });
  assert.equal(body.resetAt.toISOString(), "2026-12-08T15:00:00.000Z");
  const after = mergeQuota(body, quotaFromHeaders(new Headers({ "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "1796742000" })));
  assert.deepEqual([after.limit, after.remaining, after.used], [5, 3, 2]);
  // The zone the quota route names outlives the headers' updates and decides how the reset reads.
  const london = mergeQuota(quotaFromBody({ limit: 5, used: 1, remaining: 4, resetAt: "2026-12-09T00:00:00Z", timeZone: "Europe/London" }),
    quotaFromHeaders(new Headers({ "X-RateLimit-Remaining": "3" })));
  assert.equal(london.timeZone, "Europe/London");
  assert.match(formatReset(london.resetAt, "en", london.timeZone), /00:00 GMT$/);
  assert.equal(quotaFromBody({ resetAt: "2026-12-08T15:00:00Z" }).timeZone, null);
  // An unlimited tier: the counts are left out of the headers.
  const unlimited = mergeQuota(body, quotaFromHeaders(new Headers({ "X-RateLimit-Reset": "1796742000" })));
  assert.deepEqual([unlimited.limit, unlimited.remaining], [null, null]);
  assert.equal(quotaFromHeaders(new Headers()), null);
});

test("the reset is shown in Asia/Seoul when it is midnight there, else in the offset it reveals", () => {
  const seoulMidnight = new Date("2026-12-08T15:00:00Z");
  assert.equal(resetTimeZone(seoulMidnight), "Asia/Seoul");
  assert.match(formatReset(seoulMidnight, "en"), /Dec 9.*00:00/);
  assert.match(formatReset(seoulMidnight, "ko"), /12월 9일.*00:00/);
  // A server configured for UTC or New York: its reset is midnight at that offset.
  assert.equal(resetTimeZone(new Date("2026-12-09T00:00:00Z")), "UTC");
  assert.equal(resetTimeZone(new Date("2026-12-08T05:00:00Z")), "Etc/GMT+5");
  assert.match(formatReset(new Date("2026-12-08T05:00:00Z"), "en"), /Dec 8.*00:00 GMT-5/);
  // A half-hour zone has no Etc/ name: the reader's own zone is used.
  assert.equal(resetTimeZone(new Date("2026-12-08T18:30:00Z")), null);
  assert.equal(resetTimeZone(new Date("nonsense")), null);
});
