import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { ApiError, NetworkError, api, authed, keep, loggedIn, takeSessionExpired } from "../../web/core/api.js";
import { catalog, MemoryStorage, speak } from "./helpers.mjs";

const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
let requests;
let answer; // (request) => Response, or throws

beforeEach(async () => {
  await speak("fr");
  globalThis.sessionStorage = new MemoryStorage();
  requests = [];
  globalThis.fetch = async (url, init) => {
    const request = { url: String(url), ...init, body: init.body === undefined ? undefined : JSON.parse(init.body) };
    requests.push(request);
    return answer(request);
  };
  takeSessionExpired();
});

test("a 401 makes one refresh, shared by the requests that got it, each then sent again", async () => {
  keep({ access_token: "old", refresh_token: "r1" });
  let release;
  const refreshed = new Promise((resolve) => { release = resolve; });
  answer = async (request) => {
    if (request.url === "/auth/refresh") {
      await refreshed;
      return json(200, { access_token: "new", refresh_token: "r2" });
    }
    return request.headers.Authorization === "Bearer new" ? json(200, { path: request.url }) : json(401, { error: { code: "unauthorized", message: "expired" } });
  };
  const pages = Promise.all([authed("GET", "/invoices"), authed("GET", "/auth/me"), authed("GET", "/subscriptions")]);
  await new Promise((resolve) => setTimeout(resolve, 10));
  release();
  assert.deepEqual(await pages, [{ path: "/invoices" }, { path: "/auth/me" }, { path: "/subscriptions" }]);
  const refreshes = requests.filter((request) => request.url === "/auth/refresh");
  assert.equal(refreshes.length, 1);
  assert.deepEqual(refreshes[0].body, { refresh_token: "r1" });
  assert.equal(sessionStorage.getItem("guichet.refresh"), "r2");
  assert.equal(requests.length, 7);
});

test("a refused refresh ends the session, says so once, and the page gets the 401", async () => {
  keep({ access_token: "old", refresh_token: "stolen" });
  sessionStorage.setItem("guichet.customer", "C1");
  answer = () => json(401, { error: { code: "unauthorized", message: "no" } });
  await assert.rejects(authed("GET", "/invoices"), (error) => error instanceof ApiError && error.status === 401);
  assert.equal(loggedIn(), false);
  assert.equal(sessionStorage.getItem("guichet.customer"), null);
  assert.equal(takeSessionExpired(), true);
  assert.equal(takeSessionExpired(), false);
  assert.equal(requests.filter((request) => request.url === "/auth/refresh").length, 1);
});

test("a refresh that gets no answer keeps the session", async () => {
  keep({ access_token: "old", refresh_token: "r1" });
  answer = (request) => {
    if (request.url === "/auth/refresh") throw new TypeError("Failed to fetch");
    return json(401, { error: { code: "unauthorized", message: "expired" } });
  };
  await assert.rejects(authed("GET", "/invoices"), (error) => error.status === 401);
  assert.equal(loggedIn(), true);
  assert.equal(takeSessionExpired(), false);
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
