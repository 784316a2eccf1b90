// The one form builder. A form of described fields; a 422 puts each problem next to its field:
// `fieldOf` turns the API's field name (e.g. items.0.options.pdl) into the form's; the rest goes
// above the button.
// Field: {name, label, type: text|number|select|checkbox|lines|textarea|password|time|tel|email|search,
// value, options: [[value, text]], hint, required, autocomplete, attributes};
// group: {group, legend, hint, fields}.

import { ApiError } from "./api.js";
import { h, nextId, notice } from "./dom.js";

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
    const common = { id, name: spec.name, required: spec.required, "aria-describedby": describedBy, ...spec.attributes };
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
    controls[spec.name] = { error, control, type };
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
  const clear = () => {
    status.replaceChildren();
    for (const { error, control } of Object.values(controls)) {
      error.textContent = "";
      control.removeAttribute("aria-invalid");
    }
  };
  const show = (error) => {
    const { placed, rest } = placeErrors(error.fields, new Set(Object.keys(controls)), fieldOf);
    let first = null;
    for (const [name, problems] of Object.entries(placed)) {
      const target = controls[name];
      target.error.textContent = problems.join(" ; ");
      target.control.setAttribute("aria-invalid", "true");
      first = first || target.control;
    }
    status.replaceChildren(notice("error", [error.message, ...rest].join(" — ")));
    (first?.matches("fieldset") ? first.querySelector("input, select") : first)?.focus();
  };
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    const values = Object.fromEntries(Object.entries(controls).filter(([, entry]) => !entry.group)
      .map(([name, entry]) => [name, read(entry)]));
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
