// "Mes factures": the list with its filters, and paying several invoices at once.

import { ApiError, authed, compact } from "../core/api.js";
import { actionButton, h, notice, pageTitle } from "../core/dom.js";
import { monthName, monthsBack, money, shortDay } from "../core/format.js";
import { guard } from "../core/forms.js";
import { t } from "../core/i18n.js";
import { filtersTo, param, reloadWith } from "../core/router.js";
import { bankAccount, duplicateButton, invoiceBadge, invoiceLink, invoiceTabs, paidNotice, payable, pdfButton, periodText } from "./invoice-common.js";
import { paymentForm } from "./payment-form.js";

const INVOICE_STATUSES = ["open", "overdue", "paid", "void", "refunded"];
const INVOICE_KINDS = ["invoice", "credit_note", "resale", "regularization"];
const PAGE_SIZE = "20";
// --- the list --------------------------------------------------------------------------------

function invoiceFilters(filters, failure) {
  const problems = failure?.fields || {};
  // The months that can be consulted, newest first, named in the page's language; a month from
  // the address that is not among them is kept, for the API to say what is wrong with it.
  const months = Array.from({ length: 25 }, (_, back) => monthsBack(back));
  const month = (name, value) => {
    const id = `invoices-${name}`;
    const values = months.includes(value) || !/^\d{4}-\d{2}$/.test(value) ? months : [value, ...months];
    return h("div", { class: "field", "data-field": name }, h("label", { for: id }, t(`period_${name}`)),
      h("select", { id, name, "aria-invalid": problems[name] ? "true" : false, "aria-describedby": `${id}-error` },
        values.map((each) => h("option", { value: each, selected: each === value }, monthName(each)))),
      h("span", { class: "field-error", id: `${id}-error` }, problems[name] || ""));
  };
  const choice = (name, all, values, label) => h("div", { class: "field" }, h("label", { for: `invoices-${name}` }, t(name === "kind" ? "col_kind" : "status")),
    h("select", { id: `invoices-${name}`, name }, h("option", { value: "" }, t(all)),
      values.map((value) => h("option", { value, selected: filters[name] === value }, label(value)))));
  const element = h("form", { class: "inline filters invoice-filters", role: "search", "aria-label": t("search"), novalidate: true },
    month("from", filters.from || monthsBack(11)), month("to", filters.to || monthsBack(0)),
    choice("status", "all_statuses", INVOICE_STATUSES, (status) => t(`invoice_status_${status}`)),
    choice("kind", "all_kinds", INVOICE_KINDS, (kind) => t(`invoice_kind_${kind}`)),
    h("button", { class: "primary", type: "submit" }, t("apply_filters")),
    h("a", { href: "/my-invoices", class: "reset" }, t("reset_filters")));
  guard(element, { to: { date: { min: (values) => values.from } } }); // the end not before the start
  return filtersTo(element, "/my-invoices");
}

function invoiceRow(invoice, onSelect) {
  const canPay = payable(invoice);
  const box = canPay ? h("input", { type: "checkbox", name: "selected", value: invoice.invoice_id,
    "aria-label": t("select_invoice", invoice.number), onchange: () => onSelect(invoice, box.checked) }) : null;
  return h("tr", { "data-invoice": invoice.invoice_id, "data-status": invoice.status },
    h("td", { class: "select" }, box),
    h("td", { "data-column": "number", class: "mono" }, h("a", { href: invoiceLink(invoice) }, invoice.number)),
    h("td", { "data-column": "kind" }, t(`invoice_kind_${invoice.kind}`)),
    h("td", { "data-column": "issued" }, shortDay(invoice.issued_on)),
    h("td", { "data-column": "period" }, periodText(invoice)),
    h("td", { "data-column": "total", class: "number" }, money(invoice.total_cents, invoice.currency)),
    h("td", { "data-column": "due", class: `number${invoice.status === "overdue" ? " late" : ""}` },
      money(invoice.amount_due_cents, invoice.currency)),
    h("td", { "data-column": "status" }, invoiceBadge(invoice)),
    h("td", { "data-column": "actions" }, h("div", { class: "row-actions" },
      canPay ? h("a", { class: "button pay", href: `${invoiceLink(invoice)}#pay`, "aria-label": t("pay_label", invoice.number) }, t("pay")) : null,
      pdfButton(invoice), duplicateButton(invoice))));
}

export async function invoicesPage() {
  const filters = Object.fromEntries(["from", "to", "status", "kind"].map((name) => [name, param(name)]));
  const query = new URLSearchParams(compact({ ...filters, limit: PAGE_SIZE }));
  let failure = null;
  const [listing, account] = await Promise.all([
    authed("GET", `/invoices?${query}`).catch((error) => {
      if (!(error instanceof ApiError) || error.status === 401 || error.status >= 500) throw error;
      failure = error;
      return { items: [], next_cursor: null };
    }),
    bankAccount(),
  ]);
  const selected = new Map();
  const selectionText = h("p", { class: "selection-summary", "aria-live": "polite" });
  const payForm = paymentForm({ selected: () => [...selected.values()], account, done: (payment) => reloadWith("ok", paidNotice(payment)) });
  const payCard = h("section", { class: "card", id: "pay-selection", hidden: true },
    h("h2", {}, t("pay_selection_title")), selectionText, payForm);
  const showSelection = () => {
    const total = [...selected.values()].reduce((sum, invoice) => sum + invoice.amount_due_cents, 0);
    const first = selected.values().next().value;
    selectionText.textContent = selected.size ? t("selection_summary", selected.size, money(total, first.currency)) : t("pay_selection_hint");
    selectionText.classList.toggle("muted", !selected.size);
    payForm.hidden = !selected.size; // the form once there is something to pay
    payForm.dispatchEvent(new Event("change"));
  };
  const onSelect = (invoice, checked) => {
    if (checked) selected.set(invoice.invoice_id, invoice);
    else selected.delete(invoice.invoice_id);
    showSelection();
  };
  const tbody = h("tbody");
  const add = (items) => {
    // newest first; invoices of one day by number (their ids end with random digits)
    const sorted = [...items].sort((a, b) => b.issued_on.localeCompare(a.issued_on) || b.number.localeCompare(a.number));
    tbody.append(...sorted.map((invoice) => invoiceRow(invoice, onSelect)));
    if (items.some(payable)) payCard.hidden = false;
  };
  add(listing.items);
  showSelection();
  let cursor = listing.next_cursor;
  const more = h("div", { class: "more", hidden: !cursor }, actionButton(t("more"), async () => {
    const next = new URLSearchParams(query);
    next.set("cursor", cursor);
    const page = await authed("GET", `/invoices?${next}`);
    add(page.items);
    cursor = page.next_cursor;
    more.hidden = !cursor;
  }, { className: "small" }));
  const table = h("div", { class: "table-scroll" }, h("table", { class: "invoices" },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col", class: "select" }, h("span", { class: "visually-hidden" }, t("col_select"))),
      ["col_number", "col_kind", "col_issued", "col_period", "col_total", "col_amount_due", "col_status", "col_actions"].map((key) =>
        h("th", { scope: "col", class: ["col_total", "col_amount_due"].includes(key) ? "number" : false }, t(key))))),
    tbody));
  return h("div", {},
    pageTitle(t("invoices_title")),
    invoiceTabs(),
    h("section", { class: "card" }, invoiceFilters(filters, failure), h("p", { class: "hint" }, t("invoices_consultable"))),
    failure ? notice("error", failure.message) : h("section", { class: "card", id: "invoices" }, listing.items.length || cursor
      ? [table, more]
      : h("p", { class: "muted" }, t("no_invoices"))),
    payCard);
}

