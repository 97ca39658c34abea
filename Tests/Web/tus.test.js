// The web client's tus client (web/app/js/lib/tus.js) against a small tus server in memory, which
// answers as ContentService does (docs/videos.md): offsets, 409s, lost connections, pauses,
// Retry-After, an upload resumed from storage after a reload, cancel. Nothing waits for real
// time: the client's sleep is recorded and returns at once.
// Run by deploy/test: node --test Tests/Web
import assert from "node:assert/strict";
import { test } from "node:test";
import { TusUpload, UploadStore, base64UTF8, discardStored, fingerprint, serverMaxSize } from "../../web/app/js/lib/tus.js";

class MemoryStorage {
  constructor() { this.map = new Map(); }
  get length() { return this.map.size; }
  key(i) { return [...this.map.keys()][i] ?? null; }
  getItem(key) { return this.map.has(key) ? this.map.get(key) : null; }
  setItem(key, value) { this.map.set(key, String(value)); }
  removeItem(key) { this.map.delete(key); }
}

function makeFile(size, name = "clip.mp4") {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + 3) % 251;
  return new File([bytes], name, { type: "video/mp4", lastModified: 1_700_000_000_000 });
}

// ContentService's tus routes, in memory. `hooks.patch(n, request)` may answer the n-th PATCH
// itself (a Response) or break the connection (throw) after keeping some bytes.
class TusServer {
  constructor({ maxSize = 1 << 30 } = {}) {
    this.uploads = new Map();
    this.requests = [];
    this.patches = 0;
    this.next = 1;
    this.maxSize = maxSize;
    this.hooks = {};
    this.fetch = this.fetch.bind(this);
  }

  static answer(status, headers = {}, body = null) {
    return new Response(body === null ? null : JSON.stringify(body), {
      status,
      headers: { "Tus-Resumable": "1.0.0", "X-Request-Id": `req-${status}`, ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
    });
  }

  async fetch(url, init = {}) {
    const method = init.method ?? "GET";
    const headers = new Headers(init.headers);
    this.requests.push(`${method} ${url}`);
    if (init.signal?.aborted) throw new DOMException("aborted", "AbortError");
    assert.equal(headers.get("Tus-Resumable"), "1.0.0", `${method} without Tus-Resumable`);
    if (method === "OPTIONS") return TusServer.answer(204, { "Tus-Max-Size": String(this.maxSize), "Tus-Version": "1.0.0" });
    if (method === "POST") {
      const length = Number(headers.get("Upload-Length"));
      if (length > this.maxSize) return TusServer.answer(413, {}, { error: { code: "payload_too_large", message: "too large" } });
      assert.match(headers.get("Upload-Metadata"), /^title [A-Za-z0-9+/=]+$/);
      const id = `00000000-0000-0000-0000-00000000000${this.next++}`;
      this.uploads.set(id, { length, data: new Uint8Array(length), offset: 0, title: headers.get("Upload-Metadata") });
      return TusServer.answer(201, { Location: `/api/videos/uploads/${id}`, "Upload-Offset": "0" });
    }
    const id = url.split("/").pop();
    const upload = this.uploads.get(id);
    if (!upload) return TusServer.answer(404, {}, method === "HEAD" ? null : { error: { code: "not_found", message: "no" } });
    if (method === "HEAD") return TusServer.answer(200, { "Upload-Offset": String(upload.offset), "Upload-Length": String(upload.length) });
    if (method === "DELETE") {
      this.uploads.delete(id);
      return TusServer.answer(204);
    }
    assert.equal(method, "PATCH");
    assert.equal(headers.get("Content-Type"), "application/offset+octet-stream");
    this.patches += 1;
    const chunk = new Uint8Array(await init.body.arrayBuffer());
    const hooked = await this.hooks.patch?.(this.patches, { upload, chunk, signal: init.signal });
    if (hooked) return hooked;
    if (init.signal?.aborted) throw new DOMException("aborted", "AbortError");
    const offset = Number(headers.get("Upload-Offset"));
    if (offset !== upload.offset) {
      return TusServer.answer(409, { "Upload-Offset": String(upload.offset) }, { error: { code: "offset_mismatch", message: "wrong offset" } });
    }
    upload.data.set(chunk, offset);
    upload.offset += chunk.length;
    if (upload.offset === upload.length) {
      this.uploads.delete(id);
      this.finished = upload;
      return TusServer.answer(202, { Location: `/api/videos/${id}`, "Upload-Offset": String(upload.offset) }, { id, status: "processing" });
    }
    return TusServer.answer(204, { "Upload-Offset": String(upload.offset) });
  }
}

function client(server, file, extra = {}) {
  const states = [];
  const progress = [];
  const sleeps = [];
  let clock = 0;
  const upload = new TusUpload(file, {
    title: "첫 영상",
    fetch: server.fetch,
    storage: extra.storage ?? new MemoryStorage(),
    owner: "user-1",
    chunkSize: 1000,
    now: () => (clock += 100),
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      if (signal?.aborted) throw new DOMException("aborted", "AbortError");
    },
    onState: (state) => states.push(state),
    onProgress: (event) => progress.push(event.offset),
    ...extra,
  });
  return { upload, states, progress, sleeps };
}

function assertSameBytes(actual, file) {
  return file.arrayBuffer().then((buffer) => assert.deepEqual(actual, new Uint8Array(buffer)));
}

test("an upload goes in chunks at the server's offsets and ends with the video", async () => {
  const server = new TusServer();
  const file = makeFile(3500);
  const storage = new MemoryStorage();
  const { upload, states, progress } = client(server, file, { storage });
  await upload.start();
  assert.equal(upload.state, "done");
  assert.deepEqual(upload.video, { id: "00000000-0000-0000-0000-000000000001", status: "processing" });
  assert.deepEqual(progress, [0, 1000, 2000, 3000, 3500]);
  assert.deepEqual(states, ["creating", "uploading", "done"]);
  assert.deepEqual(server.requests.map((request) => request.split(" ")[0]), ["POST", "PATCH", "PATCH", "PATCH", "PATCH"]);
  assert.equal(server.finished.title, `title ${base64UTF8("첫 영상")}`);
  await assertSameBytes(server.finished.data, file);
  assert.equal(storage.length, 0, "a finished upload is forgotten");
});

test("the URL is kept while the upload runs, under the file's name, size and time", async () => {
  const server = new TusServer();
  const file = makeFile(2500);
  const storage = new MemoryStorage();
  let seen = null;
  server.hooks.patch = (n) => {
    if (n === 2) seen = new UploadStore(storage).list("user-1");
  };
  await client(server, file, { storage }).upload.start();
  assert.equal(seen.length, 1);
  assert.equal(seen[0].key, fingerprint(file, "user-1"));
  assert.equal(seen[0].url, "/api/videos/uploads/00000000-0000-0000-0000-000000000001");
  assert.deepEqual([seen[0].name, seen[0].size, seen[0].lastModified, seen[0].title], ["clip.mp4", 2500, file.lastModified, "첫 영상"]);
  assert.deepEqual(new UploadStore(storage).list("someone-else"), []);
});

test("a 409 offset_mismatch asks HEAD and continues at the server's offset, without waiting", async () => {
  const server = new TusServer();
  const file = makeFile(3000);
  server.hooks.patch = (n, { upload, chunk }) => {
    if (n === 2) {
      // The previous answer was lost on the way: the server already has this chunk.
      upload.data.set(chunk, upload.offset);
      upload.offset += chunk.length;
      return TusServer.answer(409, { "Upload-Offset": String(upload.offset) }, { error: { code: "offset_mismatch", message: "x" } });
    }
    return null;
  };
  const { upload, states, sleeps } = client(server, file);
  await upload.start();
  assert.equal(upload.state, "done");
  assert.deepEqual(sleeps, []);
  assert.deepEqual(states, ["creating", "uploading", "retrying", "locating", "uploading", "done"]);
  assert.deepEqual(server.requests.map((request) => request.split(" ")[0]), ["POST", "PATCH", "PATCH", "HEAD", "PATCH"]);
  await assertSameBytes(server.finished.data, file);
});

test("a 409 upload_busy waits before asking HEAD again", async () => {
  const server = new TusServer();
  const file = makeFile(2000);
  server.hooks.patch = (n) => (n === 1 ? TusServer.answer(409, {}, { error: { code: "upload_busy", message: "busy" } }) : null);
  const { upload, sleeps } = client(server, file);
  await upload.start();
  assert.equal(upload.state, "done");
  assert.deepEqual(sleeps, [1000]);
  await assertSameBytes(server.finished.data, file);
});

test("a connection lost mid-chunk: back off, HEAD, resume after the bytes that arrived", async () => {
  const server = new TusServer();
  const file = makeFile(4000);
  let failures = 0;
  server.hooks.patch = (n, { upload, chunk }) => {
    if (n === 2 || n === 3) {
      failures += 1;
      const kept = chunk.slice(0, 300);
      upload.data.set(kept, upload.offset);
      upload.offset += kept.length;
      throw new TypeError("Failed to fetch");
    }
    return null;
  };
  const { upload, sleeps, progress } = client(server, file);
  await upload.start();
  assert.equal(failures, 2);
  assert.equal(upload.state, "done");
  assert.deepEqual(sleeps, [1000, 2000], "two failures in a row wait longer the second time");
  assert.deepEqual(progress, [0, 1000, 1300, 1600, 2600, 3600, 4000]);
  await assertSameBytes(server.finished.data, file);
});

test("the backoff grows, and after the last delay the upload fails (and can be resumed)", async () => {
  const server = new TusServer();
  const file = makeFile(1500);
  let down = true;
  server.hooks.patch = () => {
    if (down) throw new TypeError("Failed to fetch");
    return null;
  };
  const { upload, sleeps } = client(server, file, { retryDelays: [10, 20, 40] });
  await upload.start();
  assert.equal(upload.state, "failed");
  assert.equal(upload.error.status, 0);
  assert.deepEqual(sleeps, [10, 20, 40]);
  down = false;
  await upload.resume();
  assert.equal(upload.state, "done");
  await assertSameBytes(server.finished.data, file);
});

test("retryNow ends the wait between attempts (the network is back)", async () => {
  const server = new TusServer();
  const file = makeFile(2000);
  let upload;
  server.hooks.patch = (n) => {
    if (n === 1) throw new TypeError("offline");
    return null;
  };
  const waits = [];
  ({ upload } = client(server, file, {
    // A wait that only retryNow() ends.
    sleep: (ms, signal) => new Promise((resolve, reject) => {
      waits.push(ms);
      signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      setTimeout(() => upload.retryNow(), 5);
    }),
  }));
  await upload.start();
  assert.equal(upload.state, "done");
  assert.deepEqual(waits, [1000]);
  await assertSameBytes(server.finished.data, file);
});

test("Retry-After is waited for; a refusal that will not pass fails at once with its code", async () => {
  const server = new TusServer();
  server.hooks.patch = (n) => (n === 1 ? TusServer.answer(503, { "Retry-After": "3" }, { error: { code: "overloaded", message: "busy" } }) : null);
  const first = client(server, makeFile(1200));
  await first.upload.start();
  assert.equal(first.upload.state, "done");
  assert.deepEqual(first.sleeps, [3000]);

  const limited = new TusServer();
  limited.hooks.patch = () => TusServer.answer(429, { "Retry-After": "3600" }, { error: { code: "daily_upload_limit", message: "tomorrow" } });
  const second = client(limited, makeFile(1200));
  await second.upload.start();
  assert.equal(second.upload.state, "failed");
  assert.equal(second.upload.error.code, "daily_upload_limit");
  assert.equal(second.upload.error.retryAfter, 3600);
  assert.deepEqual(second.sleeps, []);

  const small = new TusServer({ maxSize: 100 });
  const third = client(small, makeFile(1200));
  await third.upload.start();
  assert.equal(third.upload.state, "failed");
  assert.deepEqual([third.upload.error.status, third.upload.error.code], [413, "payload_too_large"]);
});

test("a file the server refuses (415, not a video) is not kept for resuming", async () => {
  const server = new TusServer();
  const storage = new MemoryStorage();
  server.hooks.patch = () => TusServer.answer(415, {}, { error: { code: "unsupported_media_type", message: "not a video" } });
  const { upload } = client(server, makeFile(1500), { storage });
  await upload.start();
  assert.equal(upload.state, "failed");
  assert.equal(upload.error.status, 415);
  assert.equal(storage.length, 0);
});

test("pause aborts the chunk in flight; resume asks HEAD and continues", async () => {
  const server = new TusServer();
  const file = makeFile(3000);
  let release;
  const paused = new Promise((resolve) => { release = resolve; });
  let upload;
  server.hooks.patch = async (n, { signal }) => {
    if (n !== 2) return null;
    upload.pause();
    assert.equal(signal.aborted, true);
    release();
    throw new DOMException("aborted", "AbortError");
  };
  const made = client(server, file);
  upload = made.upload;
  await upload.start();
  await paused;
  assert.equal(upload.state, "paused");
  assert.equal(upload.offset, 1000);
  await upload.resume();
  assert.equal(upload.state, "done");
  assert.deepEqual(made.states, ["creating", "uploading", "paused", "locating", "uploading", "done"]);
  assert.deepEqual(server.requests.map((request) => request.split(" ")[0]), ["POST", "PATCH", "PATCH", "HEAD", "PATCH", "PATCH"]);
  assert.deepEqual(made.sleeps, []);
  await assertSameBytes(server.finished.data, file);
});

test("after a reload, the same file picked again resumes from the stored URL", async () => {
  const server = new TusServer();
  const file = makeFile(3500);
  const storage = new MemoryStorage();
  server.hooks.patch = async (n) => {
    if (n === 3) throw new TypeError("the page went away");
    return null;
  };
  const before = client(server, file, { storage, retryDelays: [] });
  await before.upload.start();
  assert.equal(before.upload.state, "failed");
  assert.equal(server.uploads.values().next().value.offset, 2000);

  // A new page: a new client, the same storage, the file picked again (a new File object).
  server.hooks.patch = null;
  server.requests = [];
  const again = makeFile(3500);
  const after = client(server, again, { storage });
  await after.upload.start();
  assert.equal(after.upload.state, "done");
  assert.equal(after.upload.resumedFromStorage, true);
  assert.deepEqual(server.requests.map((request) => request.split(" ")[0]), ["HEAD", "PATCH", "PATCH"]);
  assert.deepEqual(after.progress, [2000, 3000, 3500]);
  await assertSameBytes(server.finished.data, file);
  assert.equal(storage.length, 0);
});

test("a stored URL the server no longer knows (expired) starts a new upload", async () => {
  const server = new TusServer();
  const file = makeFile(1500);
  const storage = new MemoryStorage();
  new UploadStore(storage).set(fingerprint(file, "user-1"), { url: "/api/videos/uploads/gone", name: file.name, size: 1500, lastModified: file.lastModified, title: "old" });
  const { upload } = client(server, file, { storage });
  await upload.start();
  assert.equal(upload.state, "done");
  assert.deepEqual(server.requests.map((request) => request.split(" ")[0]), ["HEAD", "POST", "PATCH", "PATCH"]);
});

test("cancel aborts, abandons the upload on the server and forgets it", async () => {
  const server = new TusServer();
  const file = makeFile(3000);
  const storage = new MemoryStorage();
  let upload;
  let cancelled;
  server.hooks.patch = async (n) => {
    if (n === 2) {
      cancelled = upload.cancel();
      throw new DOMException("aborted", "AbortError");
    }
    return null;
  };
  ({ upload } = client(server, file, { storage }));
  await upload.start();
  await cancelled;
  assert.equal(upload.state, "cancelled");
  assert.equal(server.uploads.size, 0);
  assert.equal(server.requests.at(-1), "DELETE /api/videos/uploads/00000000-0000-0000-0000-000000000001");
  assert.equal(storage.length, 0);
  await upload.start();
  assert.equal(upload.state, "cancelled", "a cancelled upload does not start again");
});

test("discardStored forgets a kept upload here and on the server", async () => {
  const server = new TusServer();
  const storage = new MemoryStorage();
  const file = makeFile(3000);
  server.hooks.patch = (n) => {
    if (n === 2) throw new TypeError("offline");
    return null;
  };
  await client(server, file, { storage, retryDelays: [] }).upload.start();
  const store = new UploadStore(storage);
  const [kept] = store.list("user-1");
  await discardStored(server.fetch, store, kept.key);
  assert.equal(storage.length, 0);
  assert.equal(server.uploads.size, 0);
});

test("the server's size limit comes from OPTIONS", async () => {
  const server = new TusServer({ maxSize: 2147483648 });
  assert.equal(await serverMaxSize(server.fetch), 2147483648);
});

test("speed is measured over the confirmed chunks", async () => {
  const server = new TusServer();
  const speeds = [];
  const { upload } = client(server, makeFile(3000), { onProgress: (event) => speeds.push(event.bytesPerSecond) });
  await upload.start();
  // The fake clock advances 100 ms a reading: two readings per chunk of 1000 bytes.
  assert.equal(speeds[0], 0);
  assert.ok(speeds.at(-1) > 0);
});
