// A tus 1.0 client (creation, expiration and termination, as ContentService speaks them under
// /api/videos/uploads; docs/videos.md). It sends the file in chunks, each a PATCH at the offset
// the server has, and survives what happens to uploads from a browser:
//
// - a broken connection or a 5xx: wait (backoff, or the answer's Retry-After), ask the server
//   where it is (HEAD), and go on from there; the server keeps the bytes that arrived;
// - a 409 (offset_mismatch, or upload_busy while the server still streams the broken PATCH):
//   HEAD again and continue;
// - pause: the PATCH in flight is aborted; resume asks HEAD and continues;
// - a page reload: the upload's URL is kept in storage under the file's name, size and
//   modification time, so picking the same file again resumes it;
// - cancel: DELETE, and the stored URL is forgotten.
//
// Everything it touches comes in as options (fetch, storage, clock, sleep), so the tests drive it
// without a network or timers.

export const TUS_RESUMABLE = "1.0.0";
export const UPLOADS_PATH = "/api/videos/uploads";
const STORE_PREFIX = "contentplatform.upload.";

const MIN_CHUNK = 256 * 1024;
const MAX_CHUNK = 16 * 1024 * 1024;

// Waits before the next attempt after a failure; the attempt after the last one gives up.
export const DEFAULT_RETRY_DELAYS = [1000, 2000, 4000, 8000, 15000, 30000, 30000, 30000];
// Refusals after which the server no longer keeps the upload (or never made it).
const DROPPED = new Set([400, 404, 410, 413, 415, 422]);
// A Retry-After longer than this is not waited for: the person is told instead (a daily limit).
const LONGEST_WAIT_MS = 120_000;

export class TusError extends Error {
  constructor(message, { status = 0, code = "", retryAfter = null, requestId = "", cause = null } = {}) {
    super(message);
    this.name = "TusError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.requestId = requestId;
    if (cause) this.cause = cause;
  }

  // Worth another attempt: the network, the server's temporary states, a conflict over the offset.
  get retryable() {
    if (this.status === 0) return true;
    if (this.status === 409 || this.status === 423) return true;
    if ([429, 500, 502, 503, 504, 507].includes(this.status)) {
      return this.retryAfter === null || this.retryAfter * 1000 <= LONGEST_WAIT_MS;
    }
    return false;
  }
}

// The key an unfinished upload is kept under: the same file picked again finds it.
export function fingerprint(file, owner = "") {
  return `${STORE_PREFIX}${owner}:${file.size}:${file.lastModified}:${file.name}`;
}

// Unfinished uploads kept in storage (localStorage in the browser), as records
// { url, name, size, lastModified, title, savedAt }.
export class UploadStore {
  constructor(storage) {
    this.storage = storage ?? null;
  }

  get(key) {
    try {
      const record = JSON.parse(this.storage?.getItem(key) ?? "null");
      return record && typeof record.url === "string" ? record : null;
    } catch {
      return null;
    }
  }

  set(key, record) {
    try {
      this.storage?.setItem(key, JSON.stringify(record));
    } catch {
      // Storage full or refused (private mode): the upload goes on, it just cannot outlive the page.
    }
  }

  remove(key) {
    try {
      this.storage?.removeItem(key);
    } catch {
      // as above
    }
  }

  // Every kept upload of this owner, the newest first, with its key.
  list(owner = "") {
    const records = [];
    if (!this.storage) return records;
    const prefix = `${STORE_PREFIX}${owner}:`;
    for (let i = 0; i < this.storage.length; i++) {
      const key = this.storage.key(i);
      if (!key?.startsWith(prefix)) continue;
      const record = this.get(key);
      if (record) records.push({ key, ...record });
    }
    return records.sort((a, b) => (b.savedAt ?? 0) - (a.savedAt ?? 0));
  }
}

// base64 of the UTF-8 of a text, as Upload-Metadata carries values.
export function base64UTF8(text) {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function integerHeader(response, name) {
  const value = response.headers.get(name);
  return value !== null && /^[0-9]+$/.test(value.trim()) ? Number(value.trim()) : null;
}

async function errorFrom(response, what) {
  let code = "";
  let message = `${what} answered ${response.status}`;
  try {
    const body = await response.json();
    if (body?.error?.code) code = body.error.code;
    if (body?.error?.message) message = body.error.message;
  } catch {
    // HEAD and some proxies answer without a JSON body
  }
  return new TusError(message, {
    status: response.status,
    code,
    retryAfter: integerHeader(response, "Retry-After"),
    requestId: response.headers.get("X-Request-Id") ?? "",
  });
}

function abortError() {
  return new DOMException("The upload was paused or cancelled", "AbortError");
}

function defaultSleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(abortError());
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// The largest upload the server takes (Tus-Max-Size from OPTIONS), or null when it does not say.
export async function serverMaxSize(fetchFn, path = UPLOADS_PATH) {
  const response = await fetchFn(path, { method: "OPTIONS", headers: { "Tus-Resumable": TUS_RESUMABLE } });
  return response.ok ? integerHeader(response, "Tus-Max-Size") : null;
}

// Forgets an upload kept from an earlier page: DELETE on the server (best effort) and in storage.
export async function discardStored(fetchFn, store, key) {
  const record = store.get(key);
  store.remove(key);
  if (!record) return;
  try {
    await fetchFn(record.url, { method: "DELETE", headers: { "Tus-Resumable": TUS_RESUMABLE } });
  } catch {
    // the server forgets it after a day anyway
  }
}

// States: idle → creating | locating → uploading ⇄ retrying → done; paused, failed and
// cancelled from any of them (failed and paused can resume).
export class TusUpload {
  constructor(file, options) {
    this.file = file;
    this.title = options.title;
    this.fetch = options.fetch;
    this.endpoint = options.endpoint ?? UPLOADS_PATH;
    this.store = new UploadStore(options.storage);
    this.key = fingerprint(file, options.owner ?? "");
    this.retryDelays = options.retryDelays ?? DEFAULT_RETRY_DELAYS;
    this.chunkSize = options.chunkSize ?? 1024 * 1024;
    this.adaptChunks = options.adaptChunks ?? options.chunkSize === undefined;
    this.now = options.now ?? (() => Date.now());
    this.sleep = options.sleep ?? defaultSleep;
    this.onProgress = options.onProgress ?? (() => {});
    this.onState = options.onState ?? (() => {});

    this.url = null;
    this.offset = 0;
    this.state = "idle";
    this.error = null;
    this.video = null;
    this.resumedFromStorage = false;
    this.samples = [];
    this.controller = null;
    this.running = null;
    this.wake = null;
  }

  setState(state, detail = {}) {
    this.state = state;
    this.onState(state, detail);
  }

  get total() {
    return this.file.size;
  }

  // Bytes a second over the last few seconds of confirmed chunks.
  get bytesPerSecond() {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = (last.at - first.at) / 1000;
    return seconds > 0 ? (last.offset - first.offset) / seconds : 0;
  }

  recordProgress() {
    const at = this.now();
    this.samples.push({ at, offset: this.offset });
    while (this.samples.length > 2 && at - this.samples[0].at > 5000) this.samples.shift();
    this.onProgress({ offset: this.offset, total: this.total, bytesPerSecond: this.bytesPerSecond });
  }

  // Starts, or resumes after pause or failure. Resolves when this run ends (done, paused,
  // cancelled or failed); the outcome is in `state`, `video` and `error`.
  start() {
    if (this.running) return this.running;
    if (["done", "cancelled"].includes(this.state)) return Promise.resolve();
    this.controller = new AbortController();
    this.error = null;
    this.samples = [];
    this.running = this.run(this.controller.signal).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  resume() {
    return this.start();
  }

  // Ends a wait between attempts at once (when the browser says it is back online).
  retryNow() {
    this.wake?.();
  }

  pause() {
    if (!this.running) return;
    this.setState("paused");
    this.controller.abort();
  }

  // Stops for good: aborts what is in flight and abandons the upload on the server.
  async cancel() {
    const wasRunning = this.running;
    this.setState("cancelled");
    this.controller?.abort();
    await wasRunning?.catch(() => {});
    this.store.remove(this.key);
    if (this.url) {
      try {
        await this.fetch(this.url, { method: "DELETE", headers: { "Tus-Resumable": TUS_RESUMABLE } });
      } catch {
        // the server expires it anyway
      }
    }
  }

  async run(signal) {
    let attempt = 0;
    let needHead = this.url !== null; // after a pause or a failure, ask where the server is
    while (!signal.aborted) {
      try {
        if (this.url === null) {
          const stored = this.store.get(this.key);
          if (stored && stored.size === this.file.size) {
            this.url = stored.url;
            this.resumedFromStorage = true;
            needHead = true;
          } else {
            await this.create(signal);
            needHead = false;
          }
        }
        if (needHead) {
          this.setState("locating");
          const found = await this.head(signal);
          needHead = false;
          if (!found) {
            // Expired or gone: begin again with a new upload.
            this.store.remove(this.key);
            this.url = null;
            this.offset = 0;
            continue;
          }
        }
        if (this.state !== "uploading") this.setState("uploading");
        const finished = await this.patch(signal);
        attempt = 0;
        if (finished) {
          this.store.remove(this.key);
          this.setState("done", { video: this.video });
          return;
        }
      } catch (error) {
        if (signal.aborted) return; // paused or cancelled: already said so
        const failure = error instanceof TusError ? error
          : new TusError(error?.message ?? String(error), { status: 0, cause: error });
        if (!failure.retryable || attempt >= this.retryDelays.length) {
          // An upload the server refused for good (not a video, too large, gone) cannot be resumed.
          if (DROPPED.has(failure.status)) this.store.remove(this.key);
          this.error = failure;
          this.setState("failed", { error: failure });
          return;
        }
        // A wrong offset is answered at once; anything else waits.
        const delay = failure.status === 409 && failure.code !== "upload_busy" ? 0
          : failure.retryAfter !== null ? failure.retryAfter * 1000 : this.retryDelays[attempt];
        attempt += 1;
        if (this.url !== null) needHead = true;
        this.setState("retrying", { delay, attempt, error: failure });
        try {
          // retryNow() (the network came back) ends the wait early.
          if (delay > 0) await Promise.race([this.sleep(delay, signal), new Promise((resolve) => { this.wake = resolve; })]);
        } catch {
          return; // paused or cancelled while waiting
        } finally {
          this.wake = null;
        }
        if (signal.aborted) return;
      }
    }
  }

  async create(signal) {
    this.setState("creating");
    const response = await this.fetch(this.endpoint, {
      method: "POST",
      signal,
      headers: {
        "Tus-Resumable": TUS_RESUMABLE,
        "Upload-Length": String(this.file.size),
        "Upload-Metadata": `title ${base64UTF8(this.title)}`,
      },
    });
    if (response.status !== 201) throw await errorFrom(response, "Creating the upload");
    const location = response.headers.get("Location");
    if (!location) throw new TusError("The server named no upload URL", { status: response.status });
    this.url = location;
    this.offset = integerHeader(response, "Upload-Offset") ?? 0;
    this.store.set(this.key, {
      url: this.url,
      name: this.file.name,
      size: this.file.size,
      lastModified: this.file.lastModified,
      title: this.title,
      savedAt: this.now(),
    });
    this.recordProgress();
  }

  // Asks the server's offset; false when the upload no longer exists there.
  async head(signal) {
    const response = await this.fetch(this.url, { method: "HEAD", signal, headers: { "Tus-Resumable": TUS_RESUMABLE } });
    if (response.status === 404 || response.status === 410) return false;
    if (!response.ok) throw await errorFrom(response, "Asking where to resume");
    const offset = integerHeader(response, "Upload-Offset");
    const length = integerHeader(response, "Upload-Length");
    if (offset === null) throw new TusError("The server sent no Upload-Offset", { status: response.status });
    if (length !== null && length !== this.file.size) {
      // Another file under the same name: forget that upload and make a new one.
      return false;
    }
    this.offset = offset;
    this.recordProgress();
    return true;
  }

  // Sends the next chunk; true when the server answered the last one with the video.
  async patch(signal) {
    const start = this.offset;
    const end = Math.min(this.file.size, start + this.chunkSize);
    const began = this.now();
    const response = await this.fetch(this.url, {
      method: "PATCH",
      signal,
      headers: {
        "Tus-Resumable": TUS_RESUMABLE,
        "Upload-Offset": String(start),
        "Content-Type": "application/offset+octet-stream",
      },
      body: this.file.slice(start, end),
    });
    if (response.status === 202) {
      this.offset = this.file.size;
      this.recordProgress();
      let accepted = null;
      try {
        accepted = await response.json();
      } catch {
        accepted = null;
      }
      const location = response.headers.get("Location") ?? "";
      this.video = accepted?.id ? accepted : { id: location.split("/").pop(), status: "processing" };
      return true;
    }
    if (response.status !== 204) {
      const error = await errorFrom(response, "Sending a chunk");
      if (response.status === 409) {
        const offset = integerHeader(response, "Upload-Offset");
        if (offset !== null) this.offset = offset;
      }
      throw error;
    }
    const offset = integerHeader(response, "Upload-Offset");
    this.offset = offset !== null && offset >= start && offset <= this.file.size ? offset : end;
    this.adapt(end - start, this.now() - began);
    this.recordProgress();
    // The last chunk is answered 202 with the video; a 204 at the end names none.
    return this.offset >= this.file.size;
  }

  // Chunks that take about two seconds: long enough to be efficient, short enough that progress
  // moves and a broken connection loses little time.
  adapt(bytes, elapsed) {
    if (!this.adaptChunks || bytes < this.chunkSize) return;
    if (elapsed < 1000) this.chunkSize = Math.min(MAX_CHUNK, this.chunkSize * 2);
    else if (elapsed > 4000) this.chunkSize = Math.max(MIN_CHUNK, Math.floor(this.chunkSize / 2));
  }
}
