/** Calls to the POS service through the gateway's ``/api`` (the session cookie authenticates them; the
 *  ``X-Requested-With`` header marks them as the page's own). Failures become an {@link ApiError} with one
 *  sentence in the page's language, never raw JSON. */
import { problemSentence, t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, problem, message) {
    super(message);
    this.status = status;
    this.problem = problem || {};
    this.code = this.problem.code || null;
  }

  /** No answer at all (network down, gateway unreachable): the request may be sent again. */
  get offline() {
    return this.status === 0;
  }
}

/** ``fetch`` with the page's headers; ``signal`` may abort it. */
export async function request(method, path, body, headers = {}, signal) {
  const init = { method, credentials: "same-origin", signal, cache: "no-store",
    headers: { Accept: "application/json", "X-Requested-With": "sentra", ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, null, t("error.offline"));
  }
  if (response.status === 401) {
    window.location.href = "/login?next=" + encodeURIComponent(location.pathname);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (err) {
    data = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, data, problemSentence(response.status, data && data.code));
  }
  return data;
}

export const pos = {
  get: (path, signal) => request("GET", "/api/pos" + path, undefined, {}, signal),
  post: (path, body, headers) => request("POST", "/api/pos" + path, body, headers),
};

/** A random UUID (v4), also where ``crypto.randomUUID`` is unavailable (plain-HTTP LAN addresses). */
export function uuid() {
  if (window.crypto && crypto.randomUUID) {
    try { return crypto.randomUUID(); } catch (err) { /* not a secure context */ }
  }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, x => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
