// The question screen: the answer streams in as it arrives (rendered as sanitised markdown), Stop
// keeps what came, a badge says where the answer came from (a cache layer or the model), and the
// quota meter shows what is left today and when it resets, in the quota's time zone.
import { api, apiFetch } from "../core/api.js";
import { h, announce, replace } from "../core/dom.js";
import { getLanguage } from "../core/i18n.js";
import { countdown, errorText } from "../core/errors.js";
import { pageHeading, setTitle } from "../ui/page.js";
import { countCharacters } from "../ui/text.js";
import { loadMarkdown, plainText } from "../lib/markdown.js";
import { ask } from "../ask/stream.js";
import { formatReset, formatUntil, mergeQuota, quotaFromBody } from "../ask/quota.js";
import { tr } from "../ask/strings.js";

export const QUESTION_MAX = 2000;
const CACHE_SOURCES = new Set(["exact", "lexical", "semantic"]);

// Kept across redraws of the screen (a change of language, coming back to it).
const history = [];
let quota = null;

export function register(route) {
  route("/ask", askScreen);
}

function askScreen(params, query, container) {
  setTitle(tr("ask.title"));
  let markdown = plainText;
  let active = null; // { controller, entry }
  const disposers = [];

  // The quota meter.
  const meter = h("meter", { min: 0, max: 1, value: 1, "aria-labelledby": "quota-title", hidden: true });
  const quotaLine = h("p", { class: "quota-line" });
  const resetLine = h("p", { class: "meta" });
  const quotaBox = h("section", { class: "quota card", "aria-labelledby": "quota-title" },
    h("h2", { id: "quota-title", class: "small-heading" }, tr("ask.quota.title")), meter, quotaLine, resetLine,
    h("p", { class: "hint" }, tr("ask.quota.note")));

  function drawQuota() {
    if (!quota) return;
    const lang = getLanguage();
    if (quota.limit === null || quota.limit === undefined) {
      meter.hidden = true;
      quotaLine.textContent = tr("ask.quota.unlimited");
    } else {
      meter.hidden = false;
      meter.max = Math.max(1, quota.limit);
      meter.value = Math.max(0, quota.remaining ?? 0);
      meter.low = Math.max(1, Math.ceil(quota.limit * 0.2));
      meter.optimum = quota.limit;
      quotaLine.textContent = tr("ask.quota.left", { remaining: quota.remaining ?? 0, limit: quota.limit });
      meter.setAttribute("aria-valuetext", quotaLine.textContent);
    }
    resetLine.textContent = quota.resetAt
      ? tr("ask.quota.reset", { time: formatReset(quota.resetAt, lang, quota.timeZone ?? undefined), until: formatUntil(quota.resetAt, lang) })
      : "";
  }

  // The form.
  const textarea = h("textarea", { id: "question", name: "question", rows: 4, required: true, placeholder: tr("ask.placeholder"), "aria-describedby": "question-count question-hint" });
  const counter = h("span", { id: "question-count", class: "counter" });
  const submit = h("button", { type: "submit", class: "button" }, tr("ask.submit"));
  const stop = h("button", { type: "button", class: "button secondary", hidden: true }, tr("ask.stop"));
  const problem = h("div", { class: "ask-problem" });
  const form = h("form", { class: "form ask-form" },
    h("div", { class: "field" },
      h("label", { for: "question" }, tr("ask.label")),
      textarea,
      h("p", { class: "hint", id: "question-hint" }, tr("ask.shortcut"))),
    h("div", { class: "row" }, counter, h("span", { class: "actions" }, stop, submit)),
    problem);
  const answers = h("ol", { class: "answers", reversed: true, "aria-label": tr("ask.history") });

  replace(container,
    pageHeading(tr("ask.title")),
    h("p", { class: "lead" }, tr("ask.lead")),
    quotaBox,
    form,
    answers);

  function updateCounter() {
    const count = countCharacters(textarea.value);
    counter.textContent = tr("ask.count", { count, max: QUESTION_MAX });
    counter.classList.toggle("over", count > QUESTION_MAX);
  }
  textarea.addEventListener("input", updateCounter);
  updateCounter();

  // Enter inside a Korean composition never sends; Ctrl/Cmd+Enter does once composing ends.
  textarea.addEventListener("keydown", (event) => {
    if (event.isComposing || event.keyCode === 229) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(textarea.value);
  });
  stop.addEventListener("click", () => active?.controller.abort());

  // One question and its answer.
  function entryElement(entry) {
    const answer = h("div", { class: "answer" });
    const footer = h("div", { class: "footer" });
    const element = h("li", { class: "qa card" }, h("p", { class: "question" }, entry.question), answer, footer);
    let frame = 0;
    const view = {
      element,
      draw() {
        cancelAnimationFrame(frame);
        frame = 0;
        markdown.render(answer, entry.answer);
        if (entry.streaming) answer.setAttribute("aria-busy", "true");
        else answer.removeAttribute("aria-busy");
        replace(footer, ...footerParts(entry));
      },
      // While streaming, at most one render a frame however fast the pieces come.
      schedule() {
        if (!frame) frame = requestAnimationFrame(() => view.draw());
      },
    };
    entry.view = view;
    view.draw();
    return element;
  }

  function footerParts(entry) {
    const parts = [];
    if (entry.streaming) parts.push(h("span", { class: "meta" }, h("span", { class: "spinner", "aria-hidden": "true" }), " ", tr("ask.answering")));
    if (entry.stopped) parts.push(h("span", { class: "badge source-badge stopped" }, tr("ask.stopped")));
    if (entry.cutOff) parts.push(h("span", { class: "badge warn" }, tr("ask.cutOff")));
    if (entry.source) {
      const cached = CACHE_SOURCES.has(entry.source);
      parts.push(h("span", { class: ["badge", "source-badge", cached ? "cache" : "model"], dataset: { source: entry.source } }, tr(`ask.source.${entry.source}`)));
      if (entry.model) parts.push(h("span", { class: "meta" }, tr("ask.model", { model: entry.model })));
      if (entry.source !== "upstream") parts.push(h("span", { class: "meta" }, tr("ask.free")));
    }
    if (entry.error) parts.push(h("p", { class: "notice error", role: "alert" }, entry.error));
    return parts;
  }

  function showProblem(error, question) {
    problem.replaceChildren();
    const code = error?.code;
    const lang = getLanguage();
    let text;
    if (code === "quota_exceeded") {
      const resetAt = quota?.resetAt ?? (error.retryAfter ? new Date(Date.now() + error.retryAfter * 1000) : null);
      text = tr("ask.error.quota_exceeded", { time: resetAt ? `${formatReset(resetAt, lang, quota?.timeZone ?? undefined)} (${formatUntil(resetAt, lang)})` : "" });
      if (quota) quota = { ...quota, remaining: 0, used: quota.limit ?? quota.used };
      drawQuota();
    } else if (["rate_limited", "budget_exhausted", "overloaded", "upstream_unavailable", "invalid_question"].includes(code)) {
      text = tr(`ask.error.${code}`);
    } else {
      text = errorText(error);
    }
    const box = h("div", { class: "notice error", role: "alert", dataset: { code: code ?? "" } }, h("p", {}, text));
    // A short wait (a burst limit, an overload) counts down and then offers to try again.
    const wait = error?.retryAfter;
    if (wait && wait <= 120 && code !== "quota_exceeded") {
      const line = h("p", { class: "countdown" });
      const retry = h("button", { type: "button", class: "button secondary small", disabled: true, onclick: () => send(question) }, tr("ask.retry"));
      box.append(line, retry);
      const stopCountdown = countdown(line, wait, () => { retry.disabled = false; line.textContent = ""; });
      disposers.push(stopCountdown);
      line.textContent = tr("ask.retryIn", { seconds: wait });
    }
    problem.append(box);
  }

  async function send(raw) {
    if (active) return;
    const question = raw.trim();
    problem.replaceChildren();
    if (!question) {
      replace(problem, h("p", { class: "notice error", role: "alert" }, tr("ask.empty")));
      textarea.focus();
      return;
    }
    if (countCharacters(question) > QUESTION_MAX) {
      replace(problem, h("p", { class: "notice error", role: "alert" }, tr("ask.tooLong", { max: QUESTION_MAX })));
      textarea.focus();
      return;
    }
    const entry = { question, answer: "", streaming: true, source: null, model: null, stopped: false, cutOff: false, error: null };
    const controller = new AbortController();
    active = { controller, entry };
    submit.disabled = true;
    stop.hidden = false;
    let shown = false;
    const show = () => {
      if (shown) return;
      shown = true;
      history.unshift(entry);
      answers.prepend(entryElement(entry));
    };
    try {
      const result = await ask(apiFetch, question, {
        signal: controller.signal,
        onQuota: (update) => { quota = mergeQuota(quota, update); drawQuota(); },
        onDelta: (text) => {
          show();
          entry.answer = text;
          entry.view.schedule();
        },
      });
      show();
      Object.assign(entry, { answer: result.answer, source: result.source, model: result.model, cutOff: !result.complete });
      textarea.value = "";
      updateCounter();
      announce(tr("ask.done"));
    } catch (error) {
      if (error?.name === "AbortError") {
        // Stop: the answer so far stays.
        if (shown) entry.stopped = true;
        announce(tr("ask.stopped"));
      } else if (error?.name === "StreamError") {
        show();
        entry.answer = error.partial ?? entry.answer;
        entry.error = tr("ask.error.stream");
      } else {
        showProblem(error, question);
      }
    } finally {
      entry.streaming = false;
      if (shown) entry.view.draw();
      active = null;
      submit.disabled = false;
      stop.hidden = true;
    }
  }

  // Earlier questions of this visit, then the libraries and the quota.
  for (const entry of history) answers.append(entryElement(entry));
  drawQuota();
  loadMarkdown().then((loaded) => {
    markdown = loaded;
    for (const entry of history) entry.view?.draw();
  });
  api("GET", "/api/gpt/quota").then((body) => {
    quota = quotaFromBody(body);
    drawQuota();
  }).catch(() => {});
  const refreshReset = setInterval(drawQuota, 60_000);

  return () => {
    clearInterval(refreshReset);
    active?.controller.abort();
    for (const dispose of disposers) dispose();
  };
}
