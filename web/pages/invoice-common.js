// What the invoice pages share: which invoices can be paid, links, badges, tabs, PDF buttons.

import { authed, optional } from "../core/api.js";
import { errorText, h, notice } from "../core/dom.js";
import { clock, dayRange, lowerFirst, methodName, money } from "../core/format.js";
import { t } from "../core/i18n.js";

export const enc = encodeURIComponent;
export const payable = (invoice) => ["invoice", "regularization"].includes(invoice.kind)
  && ["open", "overdue"].includes(invoice.status) && invoice.amount_due_cents > 0 && !invoice.pending_payment_id;
// A credit note or a negative regularization: money owed to the customer until it is refunded.
export const owedToCustomer = (invoice) => invoice.kind === "credit_note" || invoice.total_cents < 0;
export const periodText = (invoice) => invoice.period_start && invoice.period_end
  ? dayRange(invoice.period_start, invoice.period_end) : t("none");
export const invoiceLink = (invoice) => `/invoice?id=${enc(invoice.invoice_id)}`;
export const invoiceBadge = (invoice) => {
  const status = invoice.status === "open" && owedToCustomer(invoice) ? "to_refund" : invoice.status;
  return h("span", { class: `status invoice-${status}` }, t(`invoice_status_${status}`),
    invoice.pending_payment_id ? h("span", { class: "pending" }, ` (${t("pending_badge")})`) : null);
};

export const invoiceTabs = () => h("nav", { class: "tabs", "aria-label": t("invoices_title") },
  [["/my-invoices", "tab_invoices"], ["/schedule", "tab_schedule"], ["/billing", "tab_billing"]].map(([href, key]) =>
    h("a", { href, "aria-current": location.pathname === href ? "page" : false }, t(key))));

export const bankAccount = () => optional("/invoices/bank-account");

// A button asking the API for a short link to a PDF: opened in a new tab, and left on the page in
// case the browser blocked the tab. Returns [button, error, link] for the caller's layout.
function pdfAction(label, ariaLabel, request, explain = errorText) {
  const link = h("span", { class: "document-link", "aria-live": "polite" });
  const status = h("span", { class: "inline-status" });
  const button = h("button", { type: "button", class: "small", "aria-label": ariaLabel, onclick: async () => {
    button.disabled = true;
    status.replaceChildren();
    try {
      const { url, expires_at } = await request();
      const opened = window.open(url, "_blank");
      if (opened) opened.opener = null;
      link.replaceChildren(h("span", { class: "muted" }, t("document_link", clock(expires_at)), " "),
        h("a", { href: url, target: "_blank", rel: "noopener" }, t("open_document")));
    } catch (error) {
      status.replaceChildren(notice("error", explain(error)));
    } finally {
      button.disabled = false;
    }
  } }, label);
  return [button, status, link];
}

export const pdfButton = (invoice) => pdfAction(t("pdf"), t("pdf_label", invoice.number),
  () => authed("GET", `/invoices/${enc(invoice.invoice_id)}/pdf`));
export const duplicateButton = (invoice) => pdfAction(t("duplicate"), t("duplicate_label", invoice.number),
  () => authed("POST", `/invoices/${enc(invoice.invoice_id)}/duplicate`),
  (error) => error.status === 429 ? `${error.message} ${t("duplicate_limit")}` : errorText(error));


export const paidNotice = (payment) => t("payment_succeeded", money(payment.amount_cents, payment.currency), lowerFirst(methodName(payment.method)));
