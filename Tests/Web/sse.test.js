// The web client's server-sent events parser (web/app/js/lib/sse.js): whatever the chunks, at
// every byte position and with CR, LF or CRLF line ends, the same events come out.
// Run by deploy/test: node --test Tests/Web
import assert from "node:assert/strict";
import { test } from "node:test";
import { SSEParser, readEvents } from "../../web/app/js/lib/sse.js";

const encoder = new TextEncoder();

function parseChunks(chunks) {
  const parser = new SSEParser();
  const events = [];
  for (const chunk of chunks) events.push(...parser.push(chunk));
  events.push(...parser.end());
  return events;
}

// GPTService's stream: deltas with Korean text and emoji, a comment, then `done`.
const STREAM = [
  ": keep-alive\n\n",
  'data: {"delta":"B-트리는 "}\n\n',
  'data: {"delta":"균형 잡힌 🌳 "}\n\n',
  "event: message\ndata: {\"delta\":\"tree.\"}\n\n",
  'event: done\ndata: {"answer":"B-트리는 균형 잡힌 🌳 tree.","cached":false,"source":"upstream","model":"m"}\n\n',
].join("");

const EXPECTED = [
  { event: "message", data: '{"delta":"B-트리는 "}', id: "" },
  { event: "message", data: '{"delta":"균형 잡힌 🌳 "}', id: "" },
  { event: "message", data: '{"delta":"tree."}', id: "" },
  { event: "done", data: '{"answer":"B-트리는 균형 잡힌 🌳 tree.","cached":false,"source":"upstream","model":"m"}', id: "" },
];

test("a whole stream in one chunk", () => {
  assert.deepEqual(parseChunks([encoder.encode(STREAM)]), EXPECTED);
});

test("split in two at every byte, inside multi-byte characters too", () => {
  const bytes = encoder.encode(STREAM);
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.deepEqual(parseChunks([bytes.slice(0, cut), bytes.slice(cut)]), EXPECTED, `cut at ${cut}`);
  }
});

test("split in three at every pair of positions, with CRLF line ends", () => {
  const bytes = encoder.encode(STREAM.replaceAll("\n", "\r\n"));
  for (let first = 0; first <= bytes.length; first += 3) {
    for (let second = first; second <= bytes.length; second += 7) {
      const chunks = [bytes.slice(0, first), bytes.slice(first, second), bytes.slice(second)];
      assert.deepEqual(parseChunks(chunks), EXPECTED, `cuts at ${first}, ${second}`);
    }
  }
});

test("one byte at a time, with CR alone as the line end", () => {
  const bytes = encoder.encode(STREAM.replaceAll("\n", "\r"));
  assert.deepEqual(parseChunks([...bytes].map((byte) => Uint8Array.of(byte))), EXPECTED);
});

test("a CRLF split between chunks ends one line, not two", () => {
  // Were the LF read as a second line end, the blank line would dispatch `first` early with one line.
  const events = parseChunks(["data: a\r", "\ndata: b\r", "\n\r", "\n"]);
  assert.deepEqual(events, [{ event: "message", data: "a\nb", id: "" }]);
});

test("a four-byte character split at each of its bytes decodes whole", () => {
  const bytes = encoder.encode("data: 😀한\n\n");
  for (let cut = 6; cut <= 12; cut++) {
    assert.deepEqual(parseChunks([bytes.slice(0, cut), bytes.slice(cut)]).map((event) => event.data), ["😀한"]);
  }
});

test("multi-line data, field without a space, comments, ids, unknown fields and retry", () => {
  const events = parseChunks([
    "\uFEFFdata: one\ndata:two\ndata\n: a comment\nfoo: ignored\nid: 7\nretry: 1500\n\n",
    "event: error\ndata: {\"error\":{\"code\":\"upstream_unavailable\",\"message\":\"x\"}}\n\n",
  ]);
  assert.deepEqual(events, [
    { event: "message", data: "one\ntwo\n", id: "7" },
    { event: "error", data: '{"error":{"code":"upstream_unavailable","message":"x"}}', id: "7" },
  ]);
});

test("an event without data is not dispatched; an unfinished last event is dropped", () => {
  assert.deepEqual(parseChunks(["event: ping\n\n", "data: tail"]), []);
  assert.deepEqual(parseChunks(["event: done\n\ndata: x\n\n"]), [{ event: "message", data: "x", id: "" }]);
});

test("readEvents reads a fetch body's stream as it arrives", async () => {
  const bytes = encoder.encode(STREAM);
  const body = new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 5) controller.enqueue(bytes.slice(i, i + 5));
      controller.close();
    },
  });
  const events = [];
  for await (const event of readEvents(body)) events.push(event);
  assert.deepEqual(events, EXPECTED);
});

test("leaving readEvents early cancels the body", async () => {
  let cancelled = false;
  const body = new ReadableStream({
    pull(controller) { controller.enqueue(encoder.encode("data: x\n\n")); },
    cancel() { cancelled = true; },
  });
  for await (const event of readEvents(body)) {
    assert.equal(event.data, "x");
    break;
  }
  assert.equal(cancelled, true);
});
