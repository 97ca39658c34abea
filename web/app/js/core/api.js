// The one way screens call the API. api() sends and reads JSON; apiFetch() hands back the raw
// Response (streamed answers, uploads). Both add the access token and, when a token is refused
// with 401, take a fresh one (one refresh, shared) and send once more.
import { ApiError, buildURL, jsonInit, parseRetryAfter, errorFromResponse, fieldOfError, readJSON, send } from "./http.js";
import { session as browserSession, reasonOfRejectedToken } from "./auth.js";

export { ApiError, parseRetryAfter, errorFromResponse, fieldOfError, buildURL };

/**
 * An api/apiFetch pair over a fetch function and a session (a SessionCoordinator, or anything
 * with token(), tokenAfterRejection(token) and signOut(reason)).
 */
export function createApi({ fetch: fetchFn, session }) {
  async function authorised(url, init, auth) {
    const token = auth && session ? await session.token() : null;
    const withToken = (value) => {
      const headers = new Headers(init.headers ?? {});
      if (value) headers.set("Authorization", `Bearer ${value}`);
      return { ...init, headers };
    };
    const response = await send(fetchFn, url, withToken(token));
    if (response.status !== 401 || !token) return response;
    // The token was refused: expired early, revoked, or another tab rotated it. One more try.
    const fresh = await session.tokenAfterRejection(token);
    if (!fresh) {
      const error = await errorFromResponse(response.clone());
      if (session.status === "signed-in") session.signOut(reasonOfRejectedToken(error));
      return response;
    }
    const again = await send(fetchFn, url, withToken(fresh));
    if (again.status === 401) {
      const error = await errorFromResponse(again.clone());
      session.signOut(reasonOfRejectedToken(error));
    }
    return again;
  }

  /**
   * api("GET", "/api/posts", {query: {sort: "latest"}}) → the parsed JSON (null for 204).
   * options: json (a body to send as JSON), query (an object), headers, signal,
   * auth (default true: send the token when signed in). Throws ApiError.
   */
  async function api(method, path, { json, query, headers, signal, auth = true } = {}) {
    const response = await authorised(buildURL(path, query), jsonInit(method, { json, headers, signal }), auth);
    return readJSON(response);
  }

  /**
   * fetch() with the token and the refresh-and-retry of api(): the raw Response, whatever its
   * status (read errors with errorFromResponse). A body sent this way must be re-sendable
   * (a string, Blob or ArrayBuffer, not a one-shot stream) for the retry after a refresh.
   * init.auth = false sends no token.
   */
  async function apiFetch(path, init = {}) {
    const { auth = true, ...rest } = init;
    return authorised(path, { credentials: "same-origin", ...rest }, auth);
  }

  return { api, apiFetch };
}

const fallback = createApi({ fetch: (...args) => globalThis.fetch(...args), session: browserSession });

export const api = fallback.api;
export const apiFetch = fallback.apiFetch;
