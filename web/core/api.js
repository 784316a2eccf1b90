// The API client (API.md): JSON in and out, the session's tokens, one shared refresh on a 401.

import { language, t } from "./i18n.js";

// No answer of the API's (the network down, or a page of something in between): the request
// may or may not have reached the service, so whatever sent it may send it again, with its key.
export class NetworkError extends Error {
  constructor(message) {
    super(message);
    this.status = 0;
    this.fields = {};
  }
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.fields = body?.error?.fields || {};
  }
}

const store = () => globalThis.sessionStorage;

// Where the API is: this origin (the local run), or the API's own domain, which the deployment
// writes into the page (infra/deploy.py) and the Content-Security-Policy allows.
const apiBase = () => globalThis.document?.querySelector('meta[name="guichet-api"]')?.content || "";

// The answer's JSON; with `raw`, the successful Response itself (a file to save).
export async function api(method, path, body, { auth = false, retried = false, headers: extra = {}, raw = false } = {}) {
  const headers = { ...extra, "Accept-Language": language() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth) headers.Authorization = `Bearer ${store().getItem("guichet.access")}`;
  let answer;
  try {
    answer = await fetch(apiBase() + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    // no answer at all: the network, not the service (fetch says only "Failed to fetch")
    throw new NetworkError(t("offline"));
  }
  if (answer.status === 401 && auth && !retried && (await refresh())) {
    return api(method, path, body, { auth, retried: true, headers: extra, raw });
  }
  if (raw && answer.ok) return answer;
  const text = await answer.text();
  let data;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // a page of a proxy or a gateway in between, not the API's JSON
    throw new NetworkError(t("unexpected_answer"));
  }
  if (!answer.ok) throw new ApiError(answer.status, data);
  return data;
}

export const authed = (method, path, body, headers) => api(method, path, body, { auth: true, headers });

// Pages ask several routes at once: their 401s share one refresh, since a refresh token works
// once (a second use of it is taken for a theft and ends the session).
let refreshing = null;
export function refresh() {
  refreshing ||= renewTokens().finally(() => { refreshing = null; });
  return refreshing;
}

let sessionExpired = false;
// Whether the last refresh was refused (the session ended), asked once by the login page.
export function takeSessionExpired() {
  const expired = sessionExpired;
  sessionExpired = false;
  return expired;
}

async function renewTokens() {
  const token = store().getItem("guichet.refresh");
  if (!token) return false;
  try {
    keep(await api("POST", "/auth/refresh", { refresh_token: token }));
    return true;
  } catch (error) {
    if (!(error instanceof ApiError)) return false; // unreachable, not refused: the session stays
    if (error.status === 401) sessionExpired = true; // refused: the login page says why
    forget();
    return false;
  }
}

export function keep(tokens) {
  store().setItem("guichet.access", tokens.access_token);
  store().setItem("guichet.refresh", tokens.refresh_token);
}
export function forget() {
  for (const name of ["access", "refresh", "customer", "areas"]) store().removeItem(`guichet.${name}`);
}
export const loggedIn = () => Boolean(store().getItem("guichet.refresh"));
// What the session remembers besides its tokens (the customer id, the areas of the navigation).
export const remembered = (name) => store().getItem(`guichet.${name}`);
export const remember = (name, value) => store().setItem(`guichet.${name}`, value);

// A body or a query without its empty values.
export const compact = (values) => Object.fromEntries(Object.entries(values).filter(([, value]) => value !== ""));

// One key per click: a retried request (after a token refresh) reuses it, a new click never does.
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// What a customer may not have (bank details, a virtual battery…): null when the API says 404.
export async function optional(path) {
  try {
    return await authed("GET", path);
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

// Every page of a list (up to 1,000 items), following next_cursor.
export async function allPages(path, filters = {}) {
  const items = [];
  let cursor = null;
  do {
    const query = new URLSearchParams(compact({ ...filters, limit: "100" }));
    if (cursor) query.set("cursor", cursor);
    const answer = await authed("GET", `${path}?${query}`);
    items.push(...answer.items);
    cursor = answer.next_cursor;
  } while (cursor && items.length < 1000);
  return items;
}
