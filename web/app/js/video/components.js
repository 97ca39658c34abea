// Pieces of the video screens: cards, badges, the processing card that turns into the video when
// it is ready, the visibility choice and the edit form. Every text from the server goes in as
// text (core/dom.js's h()).
import { api } from "../core/api.js";
import { h, uid, replace } from "../core/dom.js";
import { formatDate } from "../core/i18n.js";
import { errorText } from "../core/errors.js";
import { field, onSubmit } from "../ui/page.js";
import { formatDuration } from "./format.js";
import { tr } from "./strings.js";

export const VISIBILITIES = ["public", "unlisted", "private"];

export function statusBadge(status) {
  const kind = status === "ready" ? "ok" : status === "failed" ? "bad" : "warn";
  return h("span", { class: ["badge", kind] }, tr(`videos.status.${status}`));
}

export function visibilityBadge(visibility) {
  return h("span", { class: ["badge", `visibility-${visibility}`] }, tr(`videos.visibility.${visibility}`));
}

/** The thumbnail (or a placeholder) with the duration over it. */
export function thumbnail(video, { eager = false } = {}) {
  return h("div", { class: "thumb" },
    video.thumbnailUrl
      ? h("img", { src: video.thumbnailUrl, alt: "", loading: eager ? "eager" : "lazy", decoding: "async", width: 320, height: 180 })
      : h("div", { class: "thumb-placeholder", "aria-hidden": "true" }, "▶"),
    video.durationSeconds ? h("span", { class: "duration" }, formatDuration(video.durationSeconds)) : null);
}

/** A video in a listing: its thumbnail and title link to its page. */
export function videoCard(video, { showStatus = false } = {}) {
  return h("li", { class: "video-card card" },
    h("a", { href: `/videos/${encodeURIComponent(video.id)}`, class: "video-link" },
      thumbnail(video),
      h("span", { class: "video-title" }, video.title)),
    h("p", { class: "meta" },
      typeof video.plays === "number" ? tr("videos.plays", { count: video.plays }) : null,
      video.createdAt ? [" · ", h("time", { datetime: video.createdAt }, formatDate(video.createdAt, { dateStyle: "medium" }))] : null),
    showStatus ? h("p", { class: "badges" }, statusBadge(video.status), " ", visibilityBadge(video.visibility)) : null);
}

/**
 * Calls onChange(video) whenever GET /api/videos/{id} answers, until the video is ready or
 * failed, asking every 2 s and more slowly as time goes on (at most every 10 s). Returns stop().
 */
export function watchProcessing(id, onChange, { onError } = {}) {
  let stopped = false;
  let timer = null;
  let delay = 2000;
  const controller = new AbortController();
  async function poll() {
    timer = null;
    try {
      const video = await api("GET", `/api/videos/${encodeURIComponent(id)}`, { signal: controller.signal });
      if (stopped) return;
      onChange(video);
      if (video.status !== "processing") return;
    } catch (error) {
      if (stopped || error?.name === "AbortError") return;
      onError?.(error);
      if (error?.status === 404 || error?.status === 401) return;
    }
    delay = Math.min(10_000, Math.round(delay * 1.3));
    timer = setTimeout(poll, delay);
  }
  timer = setTimeout(poll, 0);
  return () => {
    stopped = true;
    controller.abort();
    if (timer !== null) clearTimeout(timer);
  };
}

/**
 * A card for a video being processed: it asks until the video is ready (then shows its
 * thumbnail and a link to watch it, or calls onReady) or failed (with the reason).
 * Returns { element, stop }.
 */
export function processingCard(id, { title = "", onReady } = {}) {
  const status = h("div", { class: "processing-status", role: "status" });
  const element = h("div", { class: "processing-card card" }, status);
  function show(video) {
    if (video.status === "processing") {
      replace(status,
        h("h2", {}, tr("videos.processing.title")),
        h("p", { class: "processing-line" }, h("span", { class: "spinner", "aria-hidden": "true" }), " ", video.title ?? title),
        h("p", { class: "meta" }, tr("videos.processing.text")));
    } else if (video.status === "failed") {
      element.classList.add("failed");
      replace(status,
        h("h2", {}, tr("videos.failed.title")),
        h("p", {}, video.title),
        video.failureReason ? h("p", { class: "notice error" }, tr("videos.failed.reason", { reason: video.failureReason })) : null);
    } else {
      if (onReady) {
        onReady(video);
        return;
      }
      element.classList.add("ready");
      replace(status,
        h("h2", {}, tr("videos.ready.title")),
        h("a", { href: `/videos/${encodeURIComponent(video.id)}`, class: "video-link" }, thumbnail(video), h("span", { class: "video-title" }, video.title)),
        h("p", {}, h("a", { class: "button", href: `/videos/${encodeURIComponent(video.id)}` }, tr("videos.watch"))));
    }
  }
  show({ id, title, status: "processing" });
  const stop = watchProcessing(id, show, {
    onError: (error) => {
      if (error?.status === 404) replace(status, h("p", { class: "notice error" }, tr("videos.notFound")));
    },
  });
  return { element, stop };
}

/** Radio buttons for public / unlisted / private, each with its sentence. */
export function visibilityChoice(name, current, { legend = tr("videos.visibility"), text = (key) => tr(key) } = {}) {
  const fieldset = h("fieldset", { class: "visibility-choice" }, h("legend", {}, legend));
  for (const visibility of VISIBILITIES) {
    const id = uid(`${name}-${visibility}`);
    const hintId = `${id}-hint`;
    fieldset.append(h("div", { class: "choice" },
      h("input", { type: "radio", name, id, value: visibility, checked: visibility === current, "aria-describedby": hintId }),
      h("label", { for: id }, text(`videos.visibility.${visibility}`)),
      h("p", { class: "hint", id: hintId }, text(`videos.visibility.${visibility}.hint`))));
  }
  return fieldset;
}

/** The owner's form for a video's title, description and visibility. onSaved(video) after a save. */
export function editVideoForm(video, { onSaved, onCancel } = {}) {
  const title = field(tr("videos.field.title"), { name: "title", value: video.title, required: true, maxlength: 200, autocomplete: "off" });
  const description = field(tr("videos.field.description"), { tag: "textarea", name: "description", rows: 4, maxlength: 2000 });
  description.control.value = video.description ?? "";
  const form = h("form", { class: "form edit-video" },
    title,
    description,
    visibilityChoice("visibility", video.visibility),
    h("div", { class: "form-error" }),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "button" }, tr("videos.save")),
      onCancel ? h("button", { type: "button", class: "button secondary", onclick: () => onCancel() }, tr("action.cancel")) : null));
  onSubmit(form, async () => {
    const visibility = form.elements.namedItem("visibility").value;
    const saved = await api("PATCH", `/api/videos/${encodeURIComponent(video.id)}`, {
      json: { title: title.control.value.trim(), description: description.control.value, visibility },
    });
    onSaved?.(saved);
  });
  return form;
}

/** A paragraph for an error in a list or page (the request id when unexpected). */
export function errorLine(error) {
  return h("p", { class: "notice error", role: "alert" }, errorText(error));
}
