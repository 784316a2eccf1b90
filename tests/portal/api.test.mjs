import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { ApiError, NetworkError, api, authed, forget, keep, logIn, logOut, loggedIn, takeSessionExpired } from "../../web/core/api.js";
import { catalog, MemoryStorage, speak } from "./helpers.mjs";

const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
let requests;
let answer; // (request) => Response, or throws

beforeEach(async () => {
  await speak("fr");
  globalThis.sessionStorage = new MemoryStorage();
  globalThis.localStorage = new MemoryStorage();
  forget();
  requests = [];
  globalThis.fetch = async (url, init) => {
    const request = { url: String(url), ...init, body: init.body === undefined ? undefined : JSON.parse(init.body) };
    requests.push(request);
    return answer(request);
  };
  takeSessionExpired();
});

test("a 401 makes one refresh, shared by the requests that got it, each then sent again", async () => {
  keep({ access_token: "old" });
  let release;
  const refreshed = new Promise((resolve) => { release = resolve; });
  answer = async (request) => {
    if (request.url === "/auth/refresh") {
      await refreshed;
      return json(200, { access_token: "new" });
    }
    return request.headers.Authorization === "Bearer new" ? json(200, { path: request.url }) : json(401, { error: { code: "unauthorized", message: "expired" } });
  };
  const pages = Promise.all([authed("GET", "/invoices"), authed("GET", "/auth/me"), authed("GET", "/subscriptions")]);
  await new Promise((resolve) => setTimeout(resolve, 10));
  release();
  assert.deepEqual(await pages, [{ path: "/invoices" }, { path: "/auth/me" }, { path: "/subscriptions" }]);
  const refreshes = requests.filter((request) => request.url === "/auth/refresh");
  assert.equal(refreshes.length, 1);
  // by the cookie, which only the auth service sees, with the header that forgery cannot send
  assert.deepEqual(refreshes[0].body, {});
  assert.equal(refreshes[0].headers["X-Guichet-Session"], "cookie");
  assert.equal(refreshes[0].credentials, "include");
  assert.equal(requests.find((request) => request.url === "/invoices").credentials, "same-origin");
  assert.equal(requests.length, 7);
});

test("a refused refresh ends the session, says so once, and the page gets the 401", async () => {
  keep({ access_token: "old" });
  sessionStorage.setItem("guichet.customer", "C1");
  answer = () => json(401, { error: { code: "unauthorized", message: "no" } });
  await assert.rejects(authed("GET", "/invoices"), (error) => error instanceof ApiError && error.status === 401);
  assert.equal(loggedIn(), false);
  assert.equal(sessionStorage.getItem("guichet.customer"), null);
  assert.equal(takeSessionExpired(), true);
  assert.equal(takeSessionExpired(), false);
  assert.equal(requests.filter((request) => request.url === "/auth/refresh").length, 1);
});

test("a refresh that gets no answer keeps the session and says the network is down", async () => {
  keep({ access_token: "old" });
  answer = (request) => {
    if (request.url === "/auth/refresh") throw new TypeError("Failed to fetch");
    return json(401, { error: { code: "unauthorized", message: "expired" } });
  };
  await assert.rejects(authed("GET", "/invoices"), (error) => error instanceof NetworkError);
  assert.equal(loggedIn(), true);
  assert.equal(takeSessionExpired(), false);
});

test("a new tab of a browser that logged in starts with one refresh by the cookie; one that never did asks nothing", async () => {
  localStorage.setItem("guichet.session", "1"); // what another tab's login left, no secret
  answer = (request) => request.url === "/auth/refresh" ? json(200, { access_token: "fresh" })
    : json(200, { authorization: request.headers.Authorization });
  assert.deepEqual(await authed("GET", "/auth/me"), { authorization: "Bearer fresh" });
  assert.deepEqual(requests.map((request) => request.url), ["/auth/refresh", "/auth/me"]);

  forget();
  requests = [];
  await assert.rejects(authed("GET", "/auth/me"), (error) => error instanceof ApiError && error.status === 401);
  assert.deepEqual(requests, []);
});

test("a login asks for the cookie and keeps no token where a script could read it; a logout ends it everywhere", async () => {
  answer = () => json(200, { access_token: "a1", token_type: "Bearer", expires_in: 900, session_id: "s1" });
  await logIn("ada@example.test", "secret", true);
  assert.deepEqual(requests[0].body, { login: "ada@example.test", password: "secret", cookie: true, remember: true });
  assert.equal(requests[0].credentials, "include");
  assert.equal(loggedIn(), true);
  const stored = [...sessionStorage.values, ...localStorage.values];
  assert.deepEqual(stored, ["1"]); // only that this browser logged in

  answer = () => new Response(null, { status: 204 });
  await logOut();
  assert.equal(loggedIn(), false);
  assert.equal(localStorage.getItem("guichet.session"), null);
  const logout = requests.at(-1);
  assert.deepEqual([logout.url, logout.body, logout.headers["X-Guichet-Session"]], ["/auth/logout", {}, "cookie"]);
});

test("no answer at all, or one that is not the API's JSON, is a NetworkError in the page's words", async () => {
  answer = () => { throw new TypeError("Failed to fetch"); };
  await assert.rejects(api("GET", "/subscriptions/catalog"),
    (error) => error instanceof NetworkError && error.status === 0 && error.message === catalog("fr").offline);
  answer = () => new Response("<html><body>502 Bad Gateway</body></html>", { status: 502, headers: { "Content-Type": "text/html" } });
  await assert.rejects(api("GET", "/subscriptions/catalog"),
    (error) => error instanceof NetworkError && error.message === catalog("fr").unexpected_answer);
  await speak("en");
  await assert.rejects(api("GET", "/subscriptions/catalog"), (error) => error.message === catalog("en").unexpected_answer);
});

test("an API error keeps its status, code and fields; requests say the page's language", async () => {
  await speak("it");
  answer = () => json(422, { error: { code: "validation_error", message: "Dati non validi", fields: { email: "obbligatorio" } } });
  await assert.rejects(api("POST", "/auth/register", { email: "" }), (error) => error instanceof ApiError
    && error.status === 422 && error.code === "validation_error" && error.fields.email === "obbligatorio");
  assert.equal(requests[0].headers["Accept-Language"], "it");
  assert.equal(requests[0].headers["Content-Type"], "application/json");
  assert.deepEqual(requests[0].body, { email: "" });
  assert.equal(requests[0].headers.Authorization, undefined);
});
