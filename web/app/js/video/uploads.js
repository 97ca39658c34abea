// The uploads of this page, kept apart from the screens: moving to another screen (or changing
// the language, which draws the screen again) does not stop them. Closing or reloading the page
// does, and asks first; the URLs stay in localStorage so choosing the same file resumes.
import { apiFetch } from "../core/api.js";
import { session } from "../core/auth.js";
import { TusUpload, UploadStore, discardStored, fingerprint, serverMaxSize } from "../lib/tus.js";
import { tr } from "./strings.js";

const ACTIVE = new Set(["idle", "creating", "locating", "uploading", "retrying"]);
const jobs = [];
const listeners = new Set();
let maxSize = null;
let counter = 0;

function storage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

function owner() {
  return session?.user?.id ?? "";
}

function notify() {
  for (const listener of listeners) listener(jobs);
}

/** fn(jobs) after every change of any upload; returns a function that stops it. */
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function currentJobs() {
  return jobs.slice();
}

export function isActive(job) {
  return ACTIVE.has(job.state);
}

export function anyActive() {
  return jobs.some(isActive);
}

/** The largest upload the server takes, asked once (null when it does not say). */
export async function maxUploadSize() {
  if (maxSize === null) {
    try {
      maxSize = await serverMaxSize(apiFetch);
    } catch {
      maxSize = null;
    }
  }
  return maxSize;
}

/** Uploads interrupted on an earlier page (this account's), the newest first. */
export function interruptedUploads() {
  const running = new Set(jobs.filter((job) => job.state !== "done" && job.state !== "cancelled").map((job) => job.key));
  return new UploadStore(storage()).list(owner()).filter((record) => !running.has(record.key));
}

/** The stored upload a file would resume, or null. */
export function storedFor(file) {
  return new UploadStore(storage()).get(fingerprint(file, owner()));
}

export async function discard(key) {
  await discardStored(apiFetch, new UploadStore(storage()), key);
  notify();
}

/**
 * Starts uploading `file` as `title`; a file whose upload was interrupted resumes it. Returns
 * the job: { id, file, title, state, offset, total, bytesPerSecond, error, video, retryAt }.
 */
export function startUpload(file, title) {
  const existing = jobs.find((job) => job.key === fingerprint(file, owner()) && job.state !== "done" && job.state !== "cancelled");
  if (existing) {
    if (!isActive(existing)) existing.upload.resume();
    return existing;
  }
  counter += 1;
  const job = {
    id: `upload-${counter}`,
    key: fingerprint(file, owner()),
    file,
    title,
    state: "idle",
    offset: 0,
    total: file.size,
    bytesPerSecond: 0,
    error: null,
    video: null,
    retryAt: null,
    resumedFrom: null,
  };
  const stored = storedFor(file);
  if (stored?.title) job.title = stored.title;
  job.upload = new TusUpload(file, {
    title: job.title,
    fetch: apiFetch,
    storage: storage(),
    owner: owner(),
    onProgress: ({ offset, bytesPerSecond }) => {
      if (job.upload?.resumedFromStorage && job.resumedFrom === null && offset > 0) job.resumedFrom = offset;
      job.offset = offset;
      job.bytesPerSecond = bytesPerSecond;
      notify();
    },
    onState: (state, detail) => {
      job.state = state;
      job.error = state === "failed" ? detail.error : state === "retrying" ? detail.error ?? null : null;
      job.retryAt = state === "retrying" && detail.delay ? Date.now() + detail.delay : null;
      if (state === "done") job.video = detail.video ?? null;
      updateLeaveWarning();
      notify();
    },
  });
  jobs.unshift(job);
  job.upload.start();
  notify();
  return job;
}

export function pause(job) {
  job.upload.pause();
}

export function resume(job) {
  job.upload.resume();
}

export async function cancel(job) {
  await job.upload.cancel();
  remove(job);
}

/** Drops a finished, failed or cancelled job from the list. */
export function remove(job) {
  const index = jobs.indexOf(job);
  if (index >= 0 && !isActive(job)) jobs.splice(index, 1);
  notify();
}

// Leaving the page while an upload runs asks first (the browser shows its own text).
function onBeforeUnload(event) {
  if (!anyActive()) return;
  event.preventDefault();
  event.returnValue = tr("upload.leaveWarning");
}

let warning = false;
function updateLeaveWarning() {
  if (typeof window === "undefined") return;
  const active = anyActive();
  if (active && !warning) window.addEventListener("beforeunload", onBeforeUnload);
  if (!active && warning) window.removeEventListener("beforeunload", onBeforeUnload);
  warning = active;
}

// Back online: uploads that stopped on the network go on at once instead of at their next try.
if (typeof window !== "undefined") {
  window.addEventListener("online", () => {
    for (const job of jobs) {
      if (job.state === "failed" && job.error?.status === 0) job.upload.resume();
      else if (job.state === "retrying") job.upload.retryNow();
    }
  });
  // Signing out stops this account's uploads (the next request would be refused anyway).
  session?.subscribe?.((state) => {
    if (state.status !== "signed-out") return;
    for (const job of jobs) if (isActive(job)) job.upload.pause();
  });
}
