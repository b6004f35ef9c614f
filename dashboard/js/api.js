// Every API call: the session's Bearer token, the API's {"detail"} turned into an error message, 401 -> sign-in.
import { config } from "./config.js";
import { current, expire } from "./session.js";

export class ApiError extends Error {
  constructor(status, detail, response) {
    super(detail);
    this.status = status;
    this.response = response;
  }
}

// FastAPI's shapes: a string, or a list of {loc, msg} for validation errors.
export function detailOf(body, fallback) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((item) => `${(item.loc || []).filter((part) => part !== "query" && part !== "body").join(".")}: ${item.msg}`).join("; ");
  }
  return fallback;
}

export async function request(path, { method = "GET", body, accept, headers = {} } = {}) {
  const session = current();
  if (!session) {
    expire();
    throw new ApiError(401, "Your session expired: sign in again");
  }
  const { api_base: base } = await config();
  const sent = { Authorization: `Bearer ${session.token}`, ...headers };
  if (accept) sent.Accept = accept;
  if (body !== undefined) sent["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(base + path, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, `The API did not answer (${error.message})`);
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (response.status === 401) {
    expire();
    throw new ApiError(401, detailOf(data, "Your session expired: sign in again"), response);
  }
  if (!response.ok) throw new ApiError(response.status, detailOf(data, `${response.status} ${response.statusText}`), response);
  return { status: response.status, data, headers: response.headers };
}

export async function get(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== undefined && value !== ""));
  const { data } = await request(query.size ? `${path}?${query}` : path);
  return data;
}
