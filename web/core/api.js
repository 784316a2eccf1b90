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
    this.reasons = (body?.error?.reasons || []).map((reason) => reason.message); // why a closure waits
  }
}

// The session (API.md, "Sessions"): the refresh token lives in the auth service's HttpOnly cookie,
// which no script reads, sent only to /auth; the access token in this module's memory only. A new
// tab, a reload or a link from an email thus starts with one refresh by the cookie. All localStorage
// keeps is `guichet.session`, no secret: that this browser logged in, so a refresh is worth trying;
// its removal (a logout) ends the session in every tab. sessionStorage keeps what a tab read once
// (the customer id, the areas of the navigation).
let accessToken = null;
export const SESSION_HINT = "guichet.session";
const store = () => globalThis.sessionStorage;
const browserWide = () => globalThis.localStorage;
const COOKIE_SESSION = { "X-Guichet-Session": "cookie" }; // required with the cookie, against forgery

// Where the API is: this origin (the local run), or the API's own domain, which the deployment
// writes into the page (infra/deploy.py) and the Content-Security-Policy allows.
const apiBase = () => globalThis.document?.querySelector('meta[name="guichet-api"]')?.content || "";

// The answer's JSON; with `raw`, the successful Response itself (a file to save).
export async function api(method, path, body, { auth = false, retried = false, headers: extra = {}, raw = false } = {}) {
  const headers = { ...extra, "Accept-Language": language() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && !accessToken && !retried && !(await refresh())) throw new ApiError(401, null);
  if (auth) headers.Authorization = `Bearer ${accessToken}`;
  // the session cookie goes to the auth service alone, also when the API has a domain of its own
  const credentials = path.startsWith("/auth/") ? "include" : "same-origin";
  let answer;
  try {
    answer = await fetch(apiBase() + path, {
      method, headers, credentials, body: body === undefined ? undefined : JSON.stringify(body),
    });
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
  if (!browserWide().getItem(SESSION_HINT)) return false;
  try {
    keep(await api("POST", "/auth/refresh", {}, { headers: COOKIE_SESSION }));
    return true;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error; // unreachable, not refused: the session stays
    sessionExpired = true; // refused, or no cookie any more: the login page says why
    forget();
    return false;
  }
}

// What a login or a refresh answered: the access token, kept in memory.
export function keep(tokens) {
  accessToken = tokens.access_token;
  browserWide().setItem(SESSION_HINT, "1");
}
// This tab's session forgotten (the cookie is the auth service's to clear: logOut).
export function forget() {
  accessToken = null;
  browserWide().removeItem(SESSION_HINT);
  for (const name of ["customer", "areas"]) store().removeItem(`guichet.${name}`);
}
export const loggedIn = () => Boolean(accessToken || browserWide().getItem(SESSION_HINT));
// The login asks for the refresh token in the cookie; `remember` keeps it beyond the browser's
// session ("stay signed in"), else it dies when the browser closes.
// An account with a second factor answers its challenge instead (`mfa_required`): no session yet,
// the second step (pages/security.js) opens it.
export async function logIn(login, password, remember) {
  const tokens = await api("POST", "/auth/login", { login, password, cookie: true, remember: Boolean(remember) });
  if (!tokens.mfa_required) keep(tokens);
  return tokens;
}
// Logging out ends the session at the auth service, which clears the cookie, and in every tab.
export async function logOut() {
  forget();
  await api("POST", "/auth/logout", {}, { headers: COOKIE_SESSION }).catch(() => {});
}
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
