// One JSON request and the error envelope every service and nginx answer with:
// {"error": {"code": "snake_case", "message": "..."}} plus X-Request-Id and, on 429/503/507,
// Retry-After. Used by api.js (with the access token) and auth.js (the session's own calls).

/** An answer other than 2xx, or no answer at all (status 0, code "network_error"). */
export class ApiError extends Error {
  constructor({ status = 0, code = "unknown", message = "", field = null, requestId = null, retryAfter = null } = {}) {
    super(message || code);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }
}

/**
 * Retry-After as whole seconds from now: delta-seconds ("120") or an HTTP date. null when
 * absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfter(value, now = Date.now()) {
  if (value === null || value === undefined) return null;
  const text = String(value).trim();
  if (text === "") return null;
  if (/^\d+$/.test(text)) return Number(text);
  if (!/[a-z]/i.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

// The field an error code is about, for codes that name one (the envelope has no field of its own).
const FIELD_OF_CODE = {
  invalid_email: "email", email_taken: "email",
  invalid_password: "password", wrong_password: "password",
  invalid_nickname: "nickname",
  invalid_title: "title", invalid_body: "body", invalid_tag: "tags", too_many_tags: "tags",
  invalid_reason: "reason", invalid_keyword: "keyword", invalid_query: "query",
  invalid_description: "description", invalid_visibility: "visibility", invalid_question: "question",
};

/**
 * The field an error names: the envelope's own `field` when a service sends one, the field a code
 * is about (invalid_email → email), or the one `missing_field` / `invalid_field` messages start
 * with ("tags[1] must be text" → tags).
 */
export function fieldOfError(code, message, explicit) {
  if (explicit) return String(explicit);
  if (FIELD_OF_CODE[code]) return FIELD_OF_CODE[code];
  if ((code === "missing_field" || code === "invalid_field") && message) {
    const match = /^`?([A-Za-z_][A-Za-z0-9_]*)/.exec(message);
    if (match) return match[1];
  }
  return null;
}

/** The ApiError for a non-2xx Response (reads its body). */
export async function errorFromResponse(response, now = Date.now()) {
  let envelope = null;
  try {
    envelope = await response.json();
  } catch {
    envelope = null;
  }
  const error = envelope && typeof envelope === "object" ? envelope.error : null;
  const code = typeof error?.code === "string" ? error.code : `http_${response.status}`;
  const message = typeof error?.message === "string" ? error.message : response.statusText ?? "";
  return new ApiError({
    status: response.status,
    code,
    message,
    field: fieldOfError(code, message, error?.field),
    requestId: response.headers.get("X-Request-Id"),
    retryAfter: parseRetryAfter(response.headers.get("Retry-After"), now),
  });
}

/** path plus a query string from an object (null, undefined and "" left out; arrays repeat). */
export function buildURL(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === "") continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(name, String(one));
  }
  const text = params.toString();
  if (!text) return path;
  return path + (path.includes("?") ? "&" : "?") + text;
}

/** fetch init for a JSON call: the body serialised, Content-Type and Accept set. */
export function jsonInit(method, { json, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  }
  if (signal) init.signal = signal;
  return init;
}

/** Sends, turning a failed connection into ApiError(status 0, network_error); aborts pass through. */
export async function send(fetchFn, url, init) {
  try {
    return await fetchFn(url, init);
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    throw new ApiError({ status: 0, code: "network_error", message: String(error?.message ?? error) });
  }
}

/** The parsed JSON of a 2xx answer (null for 204 or an empty body); throws ApiError otherwise. */
export async function readJSON(response) {
  if (!response.ok) throw await errorFromResponse(response);
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}
