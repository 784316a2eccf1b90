// Building the page: h() and the small pieces every page uses. Every piece of data reaches the
// page through textContent, never as HTML.

import { t } from "./i18n.js";

// h("p", {class: "x"}, "text", child) — text always goes in as text; h("svg:rect", …) makes SVG.
export function h(tag, attributes = {}, ...children) {
  const element = tag.startsWith("svg:")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4)) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value == null) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat(Infinity).filter((child) => child != null).map((child) =>
    child instanceof Node ? child : document.createTextNode(String(child))));
  return element;
}

export function notice(kind, message) {
  return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
}

// An error as one line: its message, then each field's problem.
export function errorText(error) {
  const fields = Object.entries(error.fields || {}).map(([name, problem]) => `${t(name)}: ${problem}`);
  return [error.message, ...fields].join(" — ");
}

// A section is a region named by its heading: a screen reader's landmarks list it by that name.
export function section(attributes, title, ...content) {
  const id = nextId("section");
  return h("section", { ...attributes, "aria-labelledby": id }, h("h2", { id }, title), ...content);
}
export const card = (title, ...content) => section({ class: "card" }, title, ...content);
export const orNone = (value) => value || t("none");
export const pageTitle = (text, ...after) => h("div", { class: "page-title" }, h("h1", {}, text), ...after);
export const definitions = (rows) => h("dl", { class: "profile" },
  rows.filter(([, value]) => value !== undefined).map(([key, value]) => [h("dt", {}, t(key)), h("dd", { "data-field": key }, value ?? t("none"))]));
export const headCells = (keys, numeric = []) => h("thead", {}, h("tr", {}, keys.map((key) =>
  h("th", { scope: "col", class: numeric.includes(key) ? "number" : false }, t(key)))));
export const statusBadge = (status) => h("span", { class: `status status-${status}` }, t(`status_${status}`));
export const orderBadge = (status) => h("span", { class: `status order-${status}` }, t(`order_status_${status}`));

// Ids unique within the page, for a label's `for` and a field's descriptions.
let fieldCount = 0;
export const nextId = (prefix = "field") => `${prefix}-${++fieldCount}`;

// A button running `action`; disabled meanwhile, the API's error shown right after it.
// With `confirm`, an action that cannot be undone (removing, closing, cancelling) is asked first,
// in the browser's own dialog (keyboard and screen-reader ready): nothing is sent on "Cancel".
export function actionButton(label, action, { className = "link", confirm = null } = {}) {
  const status = h("span", { class: "inline-status" });
  const button = h("button", { type: "button", class: className, onclick: async () => {
    if (confirm && !globalThis.confirm(confirm)) return;
    button.disabled = true;
    status.replaceChildren();
    try {
      await action();
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      button.disabled = false;
    }
  } }, label);
  return h("span", { class: "action" }, button, status);
}
