// The video screens: everyone's public videos (newest or most played) and one user's, the
// upload screen (tus, resumable), my videos (edit, delete) and a video's page with its player.
import { api } from "../core/api.js";
import { session } from "../core/auth.js";
import { h, announce, replace } from "../core/dom.js";
import { formatDate } from "../core/i18n.js";
import { errorBox, errorText } from "../core/errors.js";
import { navigate } from "../core/router.js";
import { confirmDialog } from "../ui/dialog.js";
import { toast } from "../ui/toast.js";
import { pageHeading, loading, emptyState, setTitle, requireSignIn, field } from "../ui/page.js";
import { tr, uploadErrorText } from "../video/strings.js";
import { pagedList } from "../video/paging.js";
import { videoCard, statusBadge, visibilityBadge, processingCard, watchProcessing, editVideoForm } from "../video/components.js";
import { formatBytes, formatSpeed, formatDuration, percent, secondsLeft } from "../video/format.js";
import * as uploads from "../video/uploads.js";
import { addToPlaylistControl } from "../playlists/add-to-playlist.js";
import { addProfileSection } from "./profile.js";

export function register(route) {
  // A person's page lists their videos too.
  addProfileSection(({ userId, container }) => {
    container.append(h("h2", { id: "profile-videos-heading" }, tr("videos.title")));
    return renderUserVideos(userId, container);
  });
  route("/videos/upload", uploadScreen);
  route("/videos/mine", myVideosScreen);
  route("/videos/:id", videoScreen);
  route("/videos", listScreen);
}

function videoPage(cursor, signal, query) {
  return api("GET", "/api/videos", { query: { ...query, cursor, size: 24 }, signal });
}

/** One user's videos (public ones, or all of them for the user themself), for a profile page. */
export function renderUserVideos(userId, container) {
  const list = pagedList({
    load: (cursor, signal) => videoPage(cursor, signal, { ownerId: userId }),
    item: (video) => videoCard(video, { showStatus: session?.user?.id === userId }),
    emptyText: tr("videos.empty"),
  });
  container.append(list.element);
  return list.stop;
}

function listScreen(params, query, container) {
  const sort = query.get("sort") === "plays" ? "plays" : "latest";
  const ownerId = query.get("owner");
  setTitle(ownerId ? tr("videos.ofUser") : tr("videos.title"));
  const sortLink = (value) => h("a", {
    href: `/videos?${new URLSearchParams({ ...(ownerId ? { owner: ownerId } : {}), ...(value === "plays" ? { sort: "plays" } : {}) })}`,
    "aria-current": sort === value ? "true" : undefined,
  }, tr(`videos.sort.${value}`));
  const actions = session?.signedIn
    ? [h("a", { class: "button secondary small", href: "/videos/mine" }, tr("videos.mine")), h("a", { class: "button small", href: "/videos/upload" }, tr("videos.upload"))]
    : [];
  const list = pagedList({
    load: (cursor, signal) => videoPage(cursor, signal, { sort, ownerId: ownerId ?? undefined }),
    item: (video) => videoCard(video),
    emptyText: tr("videos.empty"),
    label: tr("videos.title"),
  });
  replace(container,
    pageHeading(ownerId ? tr("videos.ofUser") : tr("videos.title"), ...actions),
    h("nav", { class: "toolbar", "aria-label": tr("videos.sort.label") }, h("div", { class: "segmented" }, sortLink("latest"), sortLink("plays"))),
    list.element);
  return list.stop;
}

// The upload screen ---------------------------------------------------------------------------

function uploadScreen(params, query, container) {
  setTitle(tr("upload.title"));
  if (!requireSignIn(container)) return undefined;

  const input = h("input", { type: "file", accept: "video/*,.mp4,.m4v,.mov,.webm,.mkv,.avi", id: "video-file", class: "visually-hidden" });
  const limitLine = h("p", { class: "hint", id: "upload-limit" });
  const chosen = h("p", { class: "chosen", "aria-live": "polite" });
  const problem = h("div", { class: "upload-problem" });
  const titleField = field(tr("videos.field.title"), { name: "title", required: true, maxlength: 200, autocomplete: "off" });
  const start = h("button", { type: "submit", class: "button", disabled: true }, tr("upload.start"));
  const form = h("form", { class: "form upload-form", hidden: true }, titleField, start);
  const dropZone = h("div", { class: "drop-zone", "aria-describedby": "upload-limit" },
    h("p", {}, tr("upload.drop")),
    h("label", { for: "video-file", class: "button" }, tr("upload.pick")),
    input,
    limitLine);
  const interrupted = h("section", { class: "section interrupted", hidden: true });
  const jobList = h("ul", { class: "upload-list", "aria-label": tr("upload.active") });
  const offline = h("p", { class: "notice warning", hidden: navigator.onLine !== false }, tr("upload.offline"));
  let file = null;
  let limit = null;

  replace(container,
    pageHeading(tr("upload.title"), h("a", { class: "button secondary small", href: "/videos/mine" }, tr("videos.mine"))),
    interrupted,
    dropZone,
    chosen,
    problem,
    form,
    offline,
    h("section", { class: "section" }, h("h2", { class: "visually-hidden" }, tr("upload.active")), jobList));

  uploads.maxUploadSize().then((size) => {
    limit = size;
    if (size) limitLine.textContent = tr("upload.limit", { size: formatBytes(size) });
  });

  function choose(picked) {
    problem.replaceChildren();
    file = null;
    form.hidden = true;
    start.disabled = true;
    if (!picked) return;
    chosen.textContent = tr("upload.chosen", { name: picked.name, size: formatBytes(picked.size) });
    if (picked.size === 0) {
      replace(problem, h("p", { class: "notice error", role: "alert" }, tr("upload.empty")));
      return;
    }
    if (limit !== null && picked.size > limit) {
      replace(problem, h("p", { class: "notice error", role: "alert" },
        tr("upload.tooLarge", { name: picked.name, size: formatBytes(picked.size), limit: formatBytes(limit) })));
      return;
    }
    if (picked.type && !picked.type.startsWith("video/")) {
      replace(problem, h("p", { class: "notice warning" }, tr("upload.notVideo")));
    }
    const stored = uploads.storedFor(picked);
    if (stored) {
      // The same file as an interrupted upload: go on with it at once, under its title.
      begin(picked, stored.title);
      return;
    }
    file = picked;
    titleField.control.value = picked.name.replace(/\.[^.]+$/, "").slice(0, 200);
    form.hidden = false;
    start.disabled = false;
    titleField.control.focus();
  }

  function begin(picked, title) {
    uploads.startUpload(picked, title);
    file = null;
    form.hidden = true;
    chosen.textContent = "";
    input.value = "";
  }

  input.addEventListener("change", () => choose(input.files?.[0] ?? null));
  for (const type of ["dragenter", "dragover"]) {
    dropZone.addEventListener(type, (event) => {
      if (![...(event.dataTransfer?.types ?? [])].includes("Files")) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      dropZone.classList.add("dragging");
    });
  }
  dropZone.addEventListener("dragleave", (event) => {
    if (!dropZone.contains(event.relatedTarget)) dropZone.classList.remove("dragging");
  });
  dropZone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropZone.classList.remove("dragging");
    choose(event.dataTransfer?.files?.[0] ?? null);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const title = titleField.control.value.trim();
    if (!title) {
      replace(problem, h("p", { class: "notice error", role: "alert" }, tr("upload.titleRequired")));
      titleField.control.focus();
      return;
    }
    if (file) begin(file, title);
  });

  function drawInterrupted() {
    const records = uploads.interruptedUploads();
    interrupted.hidden = records.length === 0;
    replace(interrupted,
      h("h2", {}, tr("upload.interrupted.title")),
      h("p", { class: "hint" }, tr("upload.interrupted.text")),
      h("ul", { class: "stack plain-list" }, records.map((record) => h("li", { class: "card interrupted-item" },
        h("span", {}, tr("upload.interrupted.item", { name: record.name, size: formatBytes(record.size), title: record.title })),
        " ",
        h("button", { type: "button", class: "button secondary small", onclick: () => uploads.discard(record.key) }, tr("upload.discard"))))));
  }

  const rows = new Map();
  const processing = new Map();
  function drawJobs(jobs) {
    for (const [id, row] of rows) {
      if (!jobs.some((job) => job.id === id)) {
        row.element.remove();
        rows.delete(id);
      }
    }
    for (const job of jobs.slice().reverse()) {
      let row = rows.get(job.id);
      if (!row) {
        row = jobRow(job, processing);
        rows.set(job.id, row);
        jobList.prepend(row.element);
      }
      row.update();
    }
    drawInterrupted();
  }

  const onOnline = () => { offline.hidden = true; };
  const onOffline = () => { offline.hidden = false; };
  window.addEventListener("online", onOnline);
  window.addEventListener("offline", onOffline);
  const unsubscribe = uploads.subscribe(drawJobs);
  drawJobs(uploads.currentJobs());
  const ticker = setInterval(() => { for (const row of rows.values()) row.tick(); }, 1000);

  return () => {
    unsubscribe();
    clearInterval(ticker);
    window.removeEventListener("online", onOnline);
    window.removeEventListener("offline", onOffline);
    for (const { stop } of processing.values()) stop();
    for (const row of rows.values()) row.stop?.();
  };
}

// One upload: its progress, speed, the buttons for its state, then the processing card.
function jobRow(job, processing) {
  const name = h("p", { class: "upload-name" }, h("strong", {}, job.title), " ", h("span", { class: "meta" }, job.file.name));
  const bar = h("progress", { max: 100, value: 0, "aria-label": job.title });
  const numbers = h("p", { class: "upload-numbers" });
  const state = h("p", { class: "upload-state", role: "status" });
  const note = h("p", { class: "meta" });
  const buttons = h("div", { class: "actions" });
  const after = h("div", {});
  const element = h("li", { class: "upload-item card" }, name, bar, numbers, state, note, buttons, after);
  let lastState = null;
  let stopCard = null;

  function button(label, onclick, kind = "secondary") {
    return h("button", { type: "button", class: ["button", "small", kind], onclick }, label);
  }

  function stateText() {
    if (job.state === "retrying") {
      const seconds = job.retryAt ? Math.max(0, Math.ceil((job.retryAt - Date.now()) / 1000)) : 0;
      return seconds > 0 ? tr("upload.state.retrying", { seconds }) : tr("upload.state.retryingNow");
    }
    if (job.state === "failed") return `${tr("upload.state.failed")}: ${uploadErrorText(job.error)}`;
    return tr(`upload.state.${job.state}`);
  }

  function update() {
    const pct = percent(job.offset, job.total);
    bar.value = pct;
    bar.setAttribute("aria-valuetext", `${pct}%`);
    numbers.textContent = tr("upload.progress", { percent: pct, sent: formatBytes(job.offset), total: formatBytes(job.total) });
    if (job.state === "uploading" && job.bytesPerSecond > 0) {
      const left = secondsLeft(job.offset, job.total, job.bytesPerSecond);
      numbers.append(" · ", tr("upload.speed", { speed: formatSpeed(job.bytesPerSecond), left: left === null ? "—" : formatDuration(left) }));
    }
    state.textContent = stateText();
    note.textContent = job.resumedFrom ? tr("upload.resumed", { percent: percent(job.resumedFrom, job.total) }) : "";
    if (job.state === lastState) return;
    lastState = job.state;
    element.dataset.state = job.state;
    const active = uploads.isActive(job);
    replace(buttons,
      active ? button(tr("upload.pause"), () => uploads.pause(job)) : null,
      job.state === "paused" || job.state === "failed" ? button(tr("upload.resume"), () => uploads.resume(job), "") : null,
      active || job.state === "paused" || job.state === "failed"
        ? button(tr("upload.cancel"), async () => {
          const ok = await confirmDialog({ title: tr("upload.cancel.title"), message: tr("upload.cancel.message"), confirmLabel: tr("upload.cancel"), danger: true });
          if (ok) uploads.cancel(job);
        }, "danger")
        : null,
      job.state === "done" || job.state === "cancelled" ? button(tr("upload.remove"), () => uploads.remove(job)) : null);
    if (job.state === "done") {
      announce(tr("upload.state.done"));
      if (job.video?.id && !processing.has(job.id)) {
        const card = processingCard(job.video.id, { title: job.title });
        processing.set(job.id, card);
        stopCard = card.stop;
        replace(after, card.element);
      }
    } else if (job.state === "failed") {
      announce(stateText());
    }
  }

  return {
    element,
    update,
    tick: () => { if (job.state === "retrying") state.textContent = stateText(); },
    stop: () => stopCard?.(),
  };
}

// My videos ------------------------------------------------------------------------------------

function myVideosScreen(params, query, container) {
  setTitle(tr("videos.mine"));
  if (!requireSignIn(container)) return undefined;
  const stops = [];
  const list = pagedList({
    load: (cursor, signal) => videoPage(cursor, signal, { ownerId: "me" }),
    item: (video) => myVideoItem(video, stops),
    emptyText: tr("videos.mine.empty"),
    listClass: "my-videos stack plain-list",
    label: tr("videos.mine"),
  });
  replace(container,
    pageHeading(tr("videos.mine"), h("a", { class: "button small", href: "/videos/upload" }, tr("videos.upload"))),
    list.element);
  return () => {
    list.stop();
    for (const stop of stops) stop();
  };
}

function myVideoItem(initial, stops) {
  let video = initial;
  const element = h("li", { class: "my-video card" });
  function draw() {
    const editButton = h("button", { type: "button", class: "button secondary small", "aria-expanded": "false" }, tr("videos.edit"));
    const deleteButton = h("button", { type: "button", class: "button danger small" }, tr("videos.delete"));
    const editArea = h("div", {});
    replace(element,
      h("a", { href: `/videos/${encodeURIComponent(video.id)}`, class: "my-video-link" },
        h("div", { class: "thumb small" }, video.thumbnailUrl ? h("img", { src: video.thumbnailUrl, alt: "", loading: "lazy", width: 160, height: 90 }) : h("div", { class: "thumb-placeholder", "aria-hidden": "true" }, "▶")),
        h("span", { class: "video-title" }, video.title)),
      h("p", { class: "badges" }, statusBadge(video.status), " ", visibilityBadge(video.visibility), " ",
        h("span", { class: "meta" }, tr("videos.plays", { count: video.plays ?? 0 }), " · ", formatDate(video.createdAt, { dateStyle: "medium" }))),
      video.status === "failed" && video.failureReason ? h("p", { class: "notice error" }, tr("videos.failed.reason", { reason: video.failureReason })) : null,
      h("div", { class: "actions" }, editButton, deleteButton),
      editArea);
    editButton.addEventListener("click", () => {
      if (editArea.firstChild) {
        editArea.replaceChildren();
        editButton.setAttribute("aria-expanded", "false");
        return;
      }
      editButton.setAttribute("aria-expanded", "true");
      replace(editArea, editVideoForm(video, {
        onSaved: (saved) => {
          video = saved;
          toast(tr("videos.saved"), { kind: "success" });
          draw();
        },
        onCancel: () => {
          editArea.replaceChildren();
          editButton.setAttribute("aria-expanded", "false");
          editButton.focus();
        },
      }));
      editArea.querySelector("input")?.focus();
    });
    deleteButton.addEventListener("click", () => deleteVideo(video, () => element.remove()));
  }
  draw();
  if (video.status === "processing") {
    // Its row turns ready (or failed) by itself.
    stops.push(watchProcessing(video.id, (fresh) => {
      if (fresh.status === "processing") return;
      video = fresh;
      draw();
    }));
  }
  return element;
}

async function deleteVideo(video, onDeleted) {
  const ok = await confirmDialog({
    title: tr("videos.delete.title"),
    message: tr("videos.delete.message", { title: video.title }),
    confirmLabel: tr("videos.delete"),
    danger: true,
  });
  if (!ok) return;
  try {
    await api("DELETE", `/api/videos/${encodeURIComponent(video.id)}`);
    toast(tr("videos.deleted"), { kind: "success" });
    onDeleted();
  } catch (error) {
    toast(errorText(error), { kind: "error" });
  }
}

// A video's page --------------------------------------------------------------------------------

async function videoScreen(params, query, container) {
  const controller = new AbortController();
  const stops = [() => controller.abort()];
  const cleanup = () => { for (const stop of stops) stop(); };
  replace(container, loading());
  let video;
  try {
    video = await api("GET", `/api/videos/${encodeURIComponent(params.id)}`, { signal: controller.signal });
  } catch (error) {
    if (error?.name === "AbortError") return cleanup;
    setTitle(tr("videos.title"));
    replace(container, pageHeading(tr("videos.title")),
      error?.status === 404 ? emptyState(tr("videos.notFound"), h("a", { class: "button", href: "/videos" }, tr("videos.title"))) : errorBox(error));
    return cleanup;
  }
  drawVideo(video, container, stops);
  return cleanup;
}

function drawVideo(video, container, stops) {
  setTitle(video.title);
  const mine = session?.user?.id === video.ownerId;
  const heading = h("h1", {}, video.title);
  const body = h("div", { class: "video-page" });
  replace(container, h("div", { class: "page-heading" }, heading), body);

  if (video.status !== "ready") {
    const card = processingCard(video.id, { title: video.title, onReady: (ready) => drawVideo(ready, container, stops) });
    stops.push(card.stop);
    body.append(card.element);
    if (mine) body.append(ownerTools(video, container, stops));
    return;
  }

  const player = h("video", {
    controls: true,
    preload: "metadata",
    playsinline: true,
    poster: video.thumbnailUrl ?? undefined,
    src: video.playbackUrl ?? undefined,
    "aria-label": tr("videos.player", { title: video.title }),
    class: "player",
  }, tr("videos.noVideoSupport"));
  // One play per page view, when it actually starts playing.
  let counted = false;
  player.addEventListener("playing", () => {
    if (counted) return;
    counted = true;
    api("POST", `/api/videos/${encodeURIComponent(video.id)}/plays`).catch(() => {});
  });
  stops.push(() => {
    player.pause();
    player.removeAttribute("src");
    player.load();
  });

  const description = video.description
    ? h("p", { class: "video-description" }, video.description)
    : h("p", { class: "video-description meta" }, tr("videos.description.empty"));
  body.append(
    h("div", { class: "player-frame" }, player),
    h("p", { class: "meta video-facts" },
      tr("videos.plays", { count: video.plays ?? 0 }), " · ",
      h("time", { datetime: video.createdAt }, tr("videos.uploadedAt", { date: formatDate(video.createdAt, { dateStyle: "medium" }) })),
      video.durationSeconds ? [" · ", tr("videos.duration", { duration: formatDuration(video.durationSeconds) })] : null,
      " · ", visibilityBadge(video.visibility)),
    description,
    h("p", {}, h("a", { href: `/videos?owner=${encodeURIComponent(video.ownerId)}` }, tr("videos.byOwner"))));
  if (session?.signedIn) body.append(addToPlaylistControl(video));
  if (mine) body.append(ownerTools(video, container, stops));
}

function ownerTools(video, container, stops) {
  const editArea = h("div", {});
  const edit = h("button", { type: "button", class: "button secondary small", "aria-expanded": "false" }, tr("videos.edit"));
  const remove = h("button", { type: "button", class: "button danger small" }, tr("videos.delete"));
  edit.addEventListener("click", () => {
    if (editArea.firstChild) {
      editArea.replaceChildren();
      edit.setAttribute("aria-expanded", "false");
      return;
    }
    edit.setAttribute("aria-expanded", "true");
    replace(editArea, editVideoForm(video, {
      onSaved: (saved) => {
        toast(tr("videos.saved"), { kind: "success" });
        for (const stop of stops.splice(1)) stop();
        drawVideo(saved, container, stops);
      },
      onCancel: () => { editArea.replaceChildren(); edit.setAttribute("aria-expanded", "false"); edit.focus(); },
    }));
    editArea.querySelector("input")?.focus();
  });
  remove.addEventListener("click", () => deleteVideo(video, () => navigate("/videos/mine", { replace: true })));
  return h("section", { class: "section owner-tools", "aria-label": tr("videos.edit") }, h("div", { class: "actions" }, edit, remove), editArea);
}
