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

// The provider's name, written into index.html from the brand (infra/portal.py, the local gateway).
export const brandName = () => document.querySelector("meta[name=guichet-brand]")?.content || "";
// "<page> — <provider>": the title of a page whose main heading says `heading`.
export const documentTitle = (heading, brand = brandName()) =>
  [heading, brand].map((part) => (part || "").replace(/\s+/g, " ").trim()).filter(Boolean).join(" — ");

// While a page loads: main is busy (aria-busy) and a visible indicator says so.
function loading(main, busy) {
  main.setAttribute("aria-busy", String(busy));
  const indicator = document.getElementById("loading");
  if (indicator) indicator.textContent = busy ? t("loading") : "";
}

let generation = 0;
let drawnAt = ""; // the address of the page drawn last
export async function render() {
  const mine = ++generation;
  for (const stop of leaving) stop();
  const pending = flash;
  flash = null;
  document.documentElement.lang = language();
  const main = document.getElementById("page");
  loading(main, true);
  await shell.before();
  if (mine !== generation) return;
  shell.navigation();
  const path = location.pathname === "/" && !loggedIn() ? "/login" : location.pathname;
  const page = (Object.hasOwn(pages, path) && pages[path]) || notFoundPage;
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
  loading(main, false);
  const heading = main.querySelector("h1") || main.querySelector("h2");
  document.title = documentTitle(heading?.textContent);
  const first = !drawnAt;
  const again = drawnAt === location.href;
  drawnAt = location.href;
  const target = location.hash && !again ? document.getElementById(location.hash.slice(1)) : null;
  // the same page drawn again from outside it (another language chosen): the focus stays there
  const stays = again && document.activeElement !== document.body && !main.contains(document.activeElement);
  if (target) focusOn(target); // a page opened at a section (an invoice "#pay"): there
  else if (pending && main.contains(pending)) focusOn(pending); // after an action: its message first
  else if (!first && !stays && heading) focusOn(heading); // a new page: its title, where reading starts again
}
// Focus on an element that is not focusable by itself (tabindex=-1: not a stop of Tab), shown.
function focusOn(element) {
  if (!element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
  element.focus({ preventScroll: true });
  element.scrollIntoView({ block: "nearest" });
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
