// Asking the GPT service with the answer streamed (POST /api/gpt/qna with "stream": true; docs/gpt.md):
// `data: {"delta"}` events as the text arrives, then `event: done` with the whole Answer
// ({answer, cached, source, model}), or `event: error` with the error envelope when the upstream
// fails half-way. A question refused before it starts (quota, budget, overload) is an ordinary
// JSON error answer. EventSource cannot POST, so this is fetch and a stream reader.
import { readEvents } from "../lib/sse.js";
import { ApiError, errorFromResponse } from "../core/http.js";
import { quotaFromHeaders } from "./quota.js";

/** An error that arrived after part of the answer: the text so far is kept in `partial`. */
export class StreamError extends ApiError {
  constructor(fields, partial) {
    super(fields);
    this.name = "StreamError";
    this.partial = partial;
  }
}

/**
 * Asks `question`. onDelta(textSoFar) after every piece; onQuota(quota) once the headers arrive.
 * Resolves to { answer, cached, source, model, complete } — complete false when the stream ended
 * without its `done` event. Aborting `signal` rejects with an AbortError (the caller keeps the
 * text it was given). Throws ApiError before the stream starts, StreamError within it.
 */
export async function ask(fetchFn, question, { signal, onDelta = () => {}, onQuota = () => {}, skipCache = false } = {}) {
  const headers = { "Content-Type": "application/json", Accept: "text/event-stream" };
  if (skipCache) headers["Cache-Control"] = "no-cache";
  const response = await fetchFn("/api/gpt/qna", {
    method: "POST",
    headers,
    body: JSON.stringify({ question, stream: true }),
    signal,
  });
  const quota = quotaFromHeaders(response.headers);
  if (quota) onQuota(quota);
  if (!response.ok) throw await errorFromResponse(response);

  const type = response.headers.get("Content-Type") ?? "";
  if (!type.startsWith("text/event-stream")) {
    // A server that answered as JSON after all.
    const body = await response.json();
    onDelta(body.answer ?? "");
    return { ...body, complete: true };
  }

  let text = "";
  for await (const event of readEvents(response.body)) {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      continue; // not JSON: nothing this client understands
    }
    if (event.event === "done") {
      text = typeof data.answer === "string" ? data.answer : text;
      onDelta(text);
      return { answer: text, cached: Boolean(data.cached), source: data.source ?? null, model: data.model ?? null, complete: true };
    }
    if (event.event === "error") {
      const error = data?.error ?? {};
      throw new StreamError({
        status: 502,
        code: typeof error.code === "string" ? error.code : "stream_error",
        message: typeof error.message === "string" ? error.message : "",
        requestId: response.headers.get("X-Request-Id"),
      }, text);
    }
    if (typeof data.delta === "string") {
      text += data.delta;
      onDelta(text);
    }
  }
  return { answer: text, cached: false, source: null, model: null, complete: false };
}
