// One invoice: its summary, paying it (or its refunds), its lines and its payments.

import { authed } from "../core/api.js";
import { definitions, errorText, h, headCells, nextId, notice, pageTitle, section } from "../core/dom.js";
import { amount, day, methodName, moment, money, percent, quantity, unitName } from "../core/format.js";
import { t } from "../core/i18n.js";
import { param, reloadWith } from "../core/router.js";
import { bankAccount, duplicateButton, enc, invoiceBadge, owedToCustomer, paidNotice, payable, pdfButton, periodText } from "./invoice-common.js";
import { finishAuthentication, paymentForm } from "./payment-form.js";

// --- one invoice -----------------------------------------------------------------------------

function refundsBlock(invoice) {
  const currency = invoice.currency;
  const parts = [h("p", {}, t("owed_notice", money(invoice.owed_cents ?? -invoice.total_cents, currency)),
    " ", invoice.carried ? t("carried_notice") : invoice.status === "open" ? t("refund_waiting") : "")];
  if ((invoice.refunds || []).length) {
    parts.push(h("table", { class: "refunds" },
      headCells(["date", "payment_method", "amount", "status"], ["amount"]),
      h("tbody", {}, invoice.refunds.map((refund) => h("tr", { "data-refund": refund.refund_id, "data-status": refund.status },
        h("td", {}, refund.refunded_on ? day(refund.refunded_on) : t("none")),
        h("td", {}, t(`refund_method_${refund.method}`)),
        h("td", { class: "number" }, money(refund.amount_cents, currency)),
        h("td", {}, h("span", { class: `status refund-${refund.status}` }, t(`refund_status_${refund.status}`))))))));
  }
  return parts;
}

// A card payment whose 3-D Secure was never completed holds the invoice: finish it, or pay again
// (the API cancels the one left waiting).
function unfinishedCard(invoice, account) {
  const payment = invoice.pending_payment;
  const again = h("div", { class: "pay-again", hidden: true },
    paymentForm({ selected: () => [invoice], account, done: (paid) => reloadWith("ok", paidNotice(paid)) }));
  const status = h("div", { class: "form-status" });
  const finish = h("button", { type: "button", class: "primary", onclick: async () => {
    finish.disabled = true;
    status.replaceChildren();
    try {
      if (await finishAuthentication(payment.action)) reloadWith("ok", t("payment_confirming"));
      else status.replaceChildren(notice("error", t("finish_payment_failed")));
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      finish.disabled = false;
    }
  } }, t("finish_payment"));
  const payAgain = h("button", { type: "button", "aria-expanded": "false", onclick: () => {
    again.hidden = !again.hidden;
    payAgain.setAttribute("aria-expanded", String(!again.hidden));
    if (!again.hidden) again.querySelector("input:not([disabled])")?.focus();
  } }, t("pay_again"));
  return [h("p", { class: "notice pending-payment", "data-payment": payment.payment_id },
      t("unfinished_notice", money(payment.amount_cents, payment.currency), moment(payment.created_at))),
    h("div", { class: "row-actions" }, finish, payAgain), status, again];
}

function payCardFor(invoice, account) {
  let content;
  const unfinished = invoice.pending_payment?.method === "card" && invoice.pending_payment.action;
  if (unfinished && ["open", "overdue"].includes(invoice.status)) {
    content = unfinishedCard(invoice, account);
  } else if (invoice.pending_payment_id && ["open", "overdue"].includes(invoice.status)) {
    content = h("p", { class: "notice pending-payment", "data-payment": invoice.pending_payment_id }, t("pending_notice"));
  } else if (owedToCustomer(invoice) && invoice.owed_cents != null) {
    content = refundsBlock(invoice);
  } else if (payable(invoice)) {
    content = [
      invoice.payment_mode === "direct_debit" && invoice.status === "open"
        ? h("p", { class: "muted" }, t("direct_debit_planned", day(invoice.due_on))) : null,
      paymentForm({ selected: () => [invoice], account, done: (payment) => reloadWith("ok", paidNotice(payment)) }),
    ];
  } else {
    const why = { resale: "resale_notice", credit_note: "credit_note_notice" }[invoice.kind]
      || (invoice.status === "void" ? "void_notice" : "paid_notice");
    content = h("p", {}, t(why));
  }
  const title = owedToCustomer(invoice) && invoice.owed_cents != null ? "refund_title" : "pay_title";
  return section({ class: "card", id: "pay" }, t(title), content);
}

function linesCard(invoice) {
  const currency = invoice.currency;
  const paid = invoice.total_cents - invoice.amount_due_cents;
  const total = (key, value, className = false) => [h("dt", { class: className }, t(key)), h("dd", { class: className, "data-total": key }, value)];
  return section({ class: "card", id: "lines" }, t("lines_title"),
    h("div", { class: "table-scroll" }, h("table", { class: "lines" },
      headCells(["col_description", "col_quantity", "col_unit", "col_unit_price", "col_tax_rate", "col_total_excl"],
        ["col_quantity", "col_unit_price", "col_tax_rate", "col_total_excl"]),
      h("tbody", {}, invoice.lines.map((line) => h("tr", {},
        h("td", {}, line.description), h("td", { class: "number" }, quantity(line.quantity)), h("td", {}, unitName(line.unit)),
        h("td", { class: "number" }, line.unit_price != null ? amount(Number(line.unit_price), currency, 4) : money(line.unit_price_cents, currency)),
        h("td", { class: "number" }, percent(line.tax_rate)),
        h("td", { class: "number" }, money(line.total_excl_tax_cents, currency))))))),
    h("div", { class: "sums" },
      (invoice.tax_breakdown || []).length ? h("div", { class: "vat" }, h("h3", {}, t("vat_title")),
        h("table", { class: "vat" }, headCells(["col_rate", "col_base", "col_vat"], ["col_rate", "col_base", "col_vat"]),
          h("tbody", {}, invoice.tax_breakdown.map((group) => h("tr", {},
            h("td", { class: "number" }, percent(group.rate)), h("td", { class: "number" }, money(group.base_cents, currency)),
            h("td", { class: "number" }, money(group.tax_cents, currency))))))) : h("div"),
      h("dl", { class: "totals" },
        total("total_excl_tax", money(invoice.total_excl_tax_cents, currency)),
        total("tax_total", money(invoice.tax_cents, currency)),
        total("total_incl_tax", money(invoice.total_cents, currency), "grand"),
        paid > 0 && invoice.amount_due_cents > 0 ? total("already_paid", money(paid, currency)) : null,
        ["invoice", "regularization"].includes(invoice.kind) ? total("amount_due", money(invoice.amount_due_cents, currency), "grand") : null)));
}

function paymentsCard(invoice) {
  return section({ class: "card", id: "payments" }, t("payments_title"), invoice.payments?.length
    ? h("div", { class: "table-scroll" }, h("table", { class: "payments" },
        headCells(["date", "payment_method", "amount", "status"], ["amount"]),
        h("tbody", {}, invoice.payments.map((payment) => h("tr", { "data-payment": payment.payment_id },
          h("td", {}, moment(payment.at)), h("td", {}, methodName(payment.method)),
          h("td", { class: "number" }, money(payment.amount_cents, invoice.currency)),
          h("td", {}, h("span", { class: `status payment-${payment.status}` }, t(`payment_status_${payment.status}`))))))))
    : h("p", { class: "muted" }, t("no_payments")));
}

export async function invoicePage() {
  const [invoice, account] = await Promise.all([authed("GET", `/invoices/${enc(param("id"))}`), bankAccount()]);
  const kind = t(`invoice_kind_${invoice.kind}`);
  const summaryTitle = nextId("section");
  const summary = h("section", { class: "card", id: "summary", "aria-labelledby": summaryTitle },
    h("div", { class: "card-head" }, h("h2", { id: summaryTitle }, t("invoice_summary")),
      h("span", { class: "muted" }, t("customer_id"), " ", h("span", { class: "customer-id" }, invoice.customer_id))),
    definitions([
      ["col_kind", kind], ["issued_on", day(invoice.issued_on)], ["invoice_due_on", day(invoice.due_on)],
      ["billing_period", invoice.period_start ? periodText(invoice) : null],
      ["invoice_payment_mode", invoice.payment_mode ? methodName(invoice.payment_mode) : null],
      ["total_incl_tax", money(invoice.total_cents, invoice.currency)],
      ["amount_due", money(invoice.amount_due_cents, invoice.currency)],
      ...(invoice.order_id ? [["related_order", h("a", { href: `/order-status?id=${enc(invoice.order_id)}` }, invoice.order_id)]] : []),
      ...(invoice.credited_invoice_id
        ? [["credited_invoice", h("a", { href: `/invoice?id=${enc(invoice.credited_invoice_id)}` }, invoice.credited_invoice_id)]] : []),
    ]),
    h("div", { class: "row-actions documents-actions" }, pdfButton(invoice), duplicateButton(invoice)));
  return h("div", { class: "invoice", "data-invoice": invoice.invoice_id, "data-status": invoice.status },
    h("p", { class: "breadcrumb" }, h("a", { href: "/my-invoices" }, t("nav_invoices"))),
    pageTitle(t("invoice_heading", kind, invoice.number), invoiceBadge(invoice)),
    h("div", { class: "detail-grid" }, summary, payCardFor(invoice, account)),
    linesCard(invoice),
    paymentsCard(invoice));
}

