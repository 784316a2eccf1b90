// The one form builder. A form of described fields; a 422 puts each problem next to its field:
// `fieldOf` turns the API's field name (e.g. items.0.options.pdl) into the form's; the rest goes
// above the button.
// Field: {name, label, type: text|number|select|checkbox|lines|textarea|password|time|tel|email|search,
// value, options: [[value, text]], hint, required, rules, autocomplete, attributes};
// group: {group, legend, hint, fields}.
// Before sending, each field's rules (checks.js; `required` is one, an email or tel field checks its
// address or number) are checked: the broken ones are said next to their field, the first is
// focused and nothing is sent; once sent, a field leaving the focus is checked again.

import { ApiError } from "./api.js";
import { problem } from "./checks.js";
import { h, nextId, notice } from "./dom.js";
import { day, monthName, quantity } from "./format.js";
import { t } from "./i18n.js";

// What the browser may fill each personal field with (WHATWG autofill tokens): never "off" on a
// person's name, address or contact details.
export const AUTOCOMPLETE = {
  first_name: "given-name", last_name: "family-name", email: "email", new_email: "email",
  backup_email: "email", phone: "tel", company: "organization", line1: "address-line1",
  line2: "address-line2", postal_code: "postal-code", city: "address-level2", country: "country",
  name: "name", login_name: "username",
};

// Where each problem of an API error goes: {placed: {field: [problems]}, rest: ["name: problem"]}.
// "off_peak_hours.start" belongs to the "off_peak_hours" group when no field has that name.
export function placeErrors(problems, names, fieldOf = (name) => name) {
  const placed = {};
  const rest = [];
  for (const [name, problem] of Object.entries(problems || {})) {
    let path = fieldOf(name);
    while (path && !names.has(path)) path = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
    if (path) (placed[path] ||= []).push(problem);
    else rest.push(`${name}: ${problem}`);
  }
  return { placed, rest };
}

// A field's rules: its own, `required`, and what its type implies.
export function rulesOf(spec) {
  const implied = spec.type === "email" ? { email: true } : spec.type === "tel" ? { phone: true } : {};
  return { ...implied, ...(spec.required ? { required: true } : {}), ...spec.rules };
}

// A broken rule in the page's language: its dates as dates, `required` with its own words if given.
export function say([key, ...args], rules = {}) {
  if (key === "check_required" && typeof rules.required === "string") return t(rules.required);
  if (key === "check_date_after" || key === "check_date_before") {
    const month = args[0].length === 7;
    return t(key, month ? monthName(args[0]) : day(args[0]), month ? "month" : "day");
  }
  if (key === "check_min" || key === "check_max") return t(key, quantity(args[0]));
  return t(key, ...args);
}

export function form({ fields, submit, action, done, fieldOf = (name) => name, className = "", submitClass = "primary" }) {
  const controls = {};
  const build = (spec) => {
    const id = nextId();
    const error = h("span", { class: "field-error", id: `${id}-error` });
    const hint = spec.hint ? h("span", { class: "hint", id: `${id}-hint` }, spec.hint) : null;
    const describedBy = `${hint ? `${id}-hint ` : ""}${id}-error`;
    if (spec.group) {
      const fieldset = h("fieldset", { class: "group", "data-field": spec.group, "aria-describedby": describedBy },
        h("legend", {}, spec.legend), hint, h("div", { class: "group-fields" }, spec.fields.map(build)), error);
      controls[spec.group] = { error, control: fieldset, group: true };
      return fieldset;
    }
    const type = spec.type || "text";
    const rules = rulesOf(spec);
    const common = { id, name: spec.name, required: rules.required === true || typeof rules.required === "string", "aria-describedby": describedBy, ...spec.attributes };
    let control;
    if (type === "select") {
      control = h("select", common, spec.options.map(([value, text]) =>
        h("option", { value, selected: String(value) === String(spec.value ?? "") }, text)));
    } else if (type === "textarea") {
      control = h("textarea", { ...common, rows: 6 }, spec.value ?? "");
    } else if (type === "lines") {
      control = h("textarea", { ...common, rows: 3, autocomplete: "off" }, (spec.value || []).join("\n"));
    } else if (type === "checkbox") {
      control = h("input", { ...common, type, checked: Boolean(spec.value) });
    } else {
      control = h("input", { ...common, type, value: spec.value ?? "",
        autocomplete: spec.autocomplete || AUTOCOMPLETE[spec.name] || null });
    }
    controls[spec.name] = { error, control, type, rules };
    return type === "checkbox"
      ? h("div", { class: "field check", "data-field": spec.name }, h("label", { for: id }, control, spec.label), hint, error)
      : h("div", { class: "field", "data-field": spec.name }, h("label", { for: id }, spec.label), control, hint, error);
  };
  const status = h("div", { class: "form-status" });
  const button = h("button", { class: submitClass, type: "submit" }, submit);
  const element = h("form", { class: `rich ${className}`, novalidate: true }, fields.map(build), status, button);
  const read = ({ control, type }) => {
    if (type === "checkbox") return control.checked;
    if (type === "lines") return control.value.split("\n").map((line) => line.trim()).filter(Boolean);
    if (type === "number") return control.value === "" ? null : Number(control.value);
    return type === "password" ? control.value : control.value.trim();
  };
  const mark = (entry, text, fromRules = false) => {
    const { error, control } = entry;
    entry.fromRules = fromRules;
    error.textContent = text;
    if (text) control.setAttribute("aria-invalid", "true");
    else control.removeAttribute("aria-invalid");
  };
  const clear = () => {
    status.replaceChildren();
    for (const entry of Object.values(controls)) mark(entry, "");
  };
  const focusOn = (target) => (target?.matches("fieldset") ? target.querySelector("input, select") : target)?.focus();
  const entries = () => Object.entries(controls).filter(([, entry]) => !entry.group);
  const valuesNow = () => Object.fromEntries(entries().map(([name, entry]) => [name, read(entry)]));
  // the fields a hidden part of the form holds (off-peak hours of a base tariff) are not checked
  const shown = ({ control }) => !control.closest?.("[hidden]");
  const check = (values) => entries().filter(([, entry]) => shown(entry))
    .map(([name, entry]) => [entry, problem(values[name], entry.rules, values)]);
  let sentOnce = false;
  // (not when the focus goes to the button: sending checks every field, and a message taken away
  // under the pointer would move the button away from the click that is going on)
  element.addEventListener("focusout", (event) => {
    if (!sentOnce || event.relatedTarget === button) return;
    const entry = Object.values(controls).find((each) => each.control === event.target && !each.group);
    if (!entry) return;
    // the API's word on a field stays until it is sent again, unless the rules now find another
    const broken = problem(read(entry), entry.rules, valuesNow());
    if (broken) mark(entry, say(broken, entry.rules), true);
    else if (entry.fromRules) mark(entry, "");
  });
  const show = (error) => {
    const { placed, rest } = placeErrors(error.fields, new Set(Object.keys(controls)), fieldOf);
    let first = null;
    for (const [name, problems] of Object.entries(placed)) {
      mark(controls[name], problems.join(" ; "));
      first = first || controls[name].control;
    }
    status.replaceChildren(notice("error", [error.message, ...(error.reasons || []), ...rest].join(" — ")));
    focusOn(first);
  };
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    sentOnce = true;
    const values = valuesNow();
    const broken = check(values).filter(([, found]) => found);
    if (broken.length) {
      for (const [entry, found] of broken) mark(entry, say(found, entry.rules), true);
      status.replaceChildren(notice("error", t("check_fields", broken.length)));
      focusOn(broken[0][0].control);
      return;
    }
    button.disabled = true;
    try {
      const after = done(await action(values));
      if (after) status.replaceChildren(after);
    } catch (error) {
      if (error instanceof ApiError) show(error);
      else status.replaceChildren(notice("error", String(error.message || error)));
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

// The same checks on a form a page builds itself (its filters): the rules of each named control,
// checked on submit (before the page's own handler, which a broken rule stops) and, once sent, on
// leaving a control; each message next to its control, the first broken one focused.
export function guard(element, rulesByName) {
  const control = (name) => element.querySelector(`[name="${name}"]`);
  const errorOf = (input) => {
    const id = input.id || (input.id = nextId());
    let error = element.querySelector(`[id="${id}-error"]`);
    if (!error) {
      error = h("span", { class: "field-error", id: `${id}-error` });
      input.after(error);
      const described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", [described, `${id}-error`].filter(Boolean).join(" "));
    }
    return error;
  };
  const values = () => Object.fromEntries(Object.keys(rulesByName).map((name) => [name, control(name)?.value.trim() ?? ""]));
  const mark = (name, found) => {
    const input = control(name);
    if (!input) return;
    errorOf(input).textContent = found ? say(found, rulesByName[name]) : "";
    if (found) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  let sentOnce = false;
  element.addEventListener("focusout", (event) => {
    const name = event.target.name;
    if (event.relatedTarget?.type === "submit") return; // as in form(): sending checks them all
    if (sentOnce && name in rulesByName) mark(name, problem(values()[name], rulesByName[name], values()));
  });
  element.addEventListener("submit", (event) => {
    sentOnce = true;
    const now = values();
    const found = Object.keys(rulesByName).map((name) => [name, problem(now[name], rulesByName[name], now)]);
    for (const [name, broken] of found) mark(name, broken);
    const first = found.find(([, broken]) => broken);
    if (!first) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    control(first[0]).focus();
  }, true);
  return element;
}
