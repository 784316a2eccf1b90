// The pages table, the drawing of the page asked for, and moving between pages without reloading.

import { compact, loggedIn, takeSessionExpired } from "./api.js";
import { card, errorText, h, notice } from "./dom.js";
import { language, t } from "./i18n.js";

const pages = {};
// Pages by path (the modules of web/pages register theirs, web/portal.js puts them together).
export function register(table) {
  Object.assign(pages, table);
}
// The shell drawn around every page (the navigation), and what is asked before it.
const shell = { before: async () => {}, navigation: () => {} };
export function setShell({ before, navigation }) {
  Object.assign(shell, { before, navigation });
}
// What pages start and must stop whenever a page is drawn (a timer asking again…): called each time.
const leaving = new Set();
export const onLeave = (stop) => leaving.add(stop);

export const param = (name) => new URLSearchParams(location.search).get(name) || "";
export const token = () => param("token");
// This page's address with some query parameters changed (null removes one).
export const withParams = (changes) => {
  const query = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(changes)) value == null ? query.delete(name) : query.set(name, value);
  return `${location.pathname}?${query}`;
};

// A message shown at the top of the next page rendered (after an action that reloads the page).
let flash = null;
export function go(path) {
  history.pushState({}, "", path);
  render();
}
export function goWith(path, kind, message) {
  flash = notice(kind, message);
  go(path);
}
export function reloadWith(kind, message) {
  flash = notice(kind, message);
  render();
}

// A form of filters: sent, it moves to `path` with its non-empty values as the query.
export function filtersTo(element, path) {
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams(compact(Object.fromEntries(new FormData(element).entries())));
    go(`${path}${String(query) ? `?${query}` : ""}`);
  });
  return element;
}

// A page that needs a session sends a visitor to log in, then back to it (a link in an email:
// the invoice it names). `next` is only ever one of the portal's own pages, never another site.
export function toLogin() {
  if (takeSessionExpired()) flash = notice("error", t("session_expired"));
  const next = `${location.pathname}${location.search}`;
  go(location.pathname === "/login" ? "/login" : `/login?${new URLSearchParams({ next })}`);
}
const HOME = "/";
const ORIGIN = "https://portal.invalid"; // any origin of one's own: `next` must stay on it
export function pageAfterLogin(next = param("next")) {
  if (!next.startsWith("/") || next.startsWith("//") || next.includes("\\")) return HOME;
  let target;
  try {
    target = new URL(next, ORIGIN);
  } catch {
    return HOME;
  }
  return target.origin === ORIGIN && Object.hasOwn(pages, target.pathname) && target.pathname !== "/login"
    ? `${target.pathname}${target.search}` : HOME;
}

export const customerOnly = (page) => async () => {
  if (!loggedIn()) {
    toLogin();
    return h("div");
  }
  return page();
};

const notFoundPage = () => card(t("not_found_title"), h("p", {}, t("not_found_text")),
  h("p", {}, h("a", { href: "/" }, t("back_home"))));

let generation = 0;
export async function render() {
  const mine = ++generation;
  for (const stop of leaving) stop();
  const pending = flash;
  flash = null;
  document.documentElement.lang = language();
  await shell.before();
  if (mine !== generation) return;
  shell.navigation();
  const path = location.pathname === "/" && !loggedIn() ? "/login" : location.pathname;
  const page = (Object.hasOwn(pages, path) && pages[path]) || notFoundPage;
  const main = document.getElementById("page");
  let content;
  try {
    content = await page();
  } catch (error) {
    if (error.status === 401 && !loggedIn()) {
      toLogin(); // the session ended (its refresh refused): log in again, then back here
      return;
    }
    content = notice("error", errorText(error));
  }
  if (mine !== generation) return; // another page was asked for meanwhile
  main.replaceChildren(...(pending ? [pending] : []), content);
  const heading = main.querySelector("h1, h2");
  document.title = heading ? `${heading.textContent} — Guichet` : "Guichet";
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

// Links to the portal's own pages move within it; the browser's back and forward too.
export function start() {
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='/']");
    if (!link || link.hasAttribute("data-local") || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    go(link.getAttribute("href"));
  });
  window.addEventListener("popstate", render);
  return render();
}
