// Ordering as a checkout: the steps, an energy offer's prices, the order's summary, the terms of
// sale to accept, and paying the order (its invoice by card, or the SEPA mandate of a monthly payer).

import { ApiError, authed, optional } from "../core/api.js";
import { definitions, h, section } from "../core/dom.js";
import { money, price, unitPrice } from "../core/format.js";
import { t } from "../core/i18n.js";
import { reloadWith } from "../core/router.js";
import { bankForm } from "./billing.js";
import { bankAccount, enc, invoiceLink, paidNotice } from "./invoice-common.js";
import { paymentForm } from "./payment-form.js";
import { range } from "./subscription-actions.js";

export const STEPS = ["choose", "summary", "pay", "follow"];

// Where the customer is in the checkout: an ordered list, the current step marked for everyone.
export const checkoutSteps = (current) => h("ol", { class: "checkout-steps", "aria-label": t("checkout_steps") },
  STEPS.map((step, index) => h("li", {
    class: index < STEPS.indexOf(current) ? "done" : step === current ? "current" : "todo",
    "aria-current": step === current ? "step" : false,
  }, t(`checkout_step_${step}`))));

// An electricity offer's subscription for a subscribed power, as the catalog prices it.
export const powerPrice = (product, power) =>
  product.price_cents_by_power_kva?.[String(power)] ?? product.price_cents;
export const POWERS = [3, 6, 9, 12, 15, 18, 24, 30, 36];

// The kWh rates of an offer: base, or peak / off-peak (the option chosen, or both when not yet).
export function energyRates(product, option = null) {
  const rates = product.energy_rates_cents_per_kwh || {};
  const rate = (key) => h("li", { "data-rate": key }, t(`rate_${key}`), " ", h("strong", {}, `${unitPrice(rates[key], product.currency)}/kWh`));
  const keys = option === "base" ? ["base"] : option === "off_peak" ? ["peak", "off_peak"] : ["base", "peak", "off_peak"];
  return h("ul", { class: "rates" }, keys.filter((key) => rates[key] != null).map(rate));
}

// What the summary says of each family's options.
function optionRows(family, options) {
  if (family === "electricity") {
    return [
      ["pdl", options.pdl || null],
      ["subscribed_power_kva", `${options.subscribed_power_kva} kVA`],
      ["tariff_option", t(`tariff_${options.tariff_option}`)],
      ...(options.tariff_option === "off_peak" && options.off_peak_hours.length
        ? [["off_peak_hours", options.off_peak_hours.map(range).join(", ")]] : []),
      ["payment_mode", t(`payment_${options.payment_mode}`)],
    ];
  }
  if (family === "internet") {
    const address = options.installation_address || {};
    return [["installation_address", [address.line1, address.line2, address.postal_code, address.city].filter(Boolean).join(", ") || null]];
  }
  if (options.domain_name) return [["domain_name", options.domain_name]];
  if (options.port_in_number) return [["port_in_number", options.port_in_number]];
  return [];
}

// The order as it will be placed: the line, its options, its price and period, what is paid now
// and what each month (or year) after; for energy the kWh rates and the subscribed power.
export function orderSummary(product, label, options) {
  const energy = product.family === "electricity";
  const periodPrice = energy ? powerPrice(product, options.subscribed_power_kva) : product.price_cents;
  const now = energy ? 0 : periodPrice;
  return h("section", { class: "summary", "aria-labelledby": "summary-title", "data-summary": product.product_id },
    h("h3", { id: "summary-title" }, t("order_summary_title")),
    definitions([
      ["product", product.name],
      ["label", label || product.name],
      ...optionRows(product.family, options),
      ["commitment", t("commitment_text", product.commitment_months)],
      [energy ? "summary_subscription" : "price", price(periodPrice, product.currency, product.billing_period)],
    ]),
    energy ? [h("h4", {}, t("summary_rates")), energyRates(product, options.tariff_option)] : null,
    h("dl", { class: "totals" },
      h("dt", {}, t("summary_total_now")), h("dd", { "data-total": "now", class: "grand" }, money(now, product.currency)),
      h("dt", {}, t(product.billing_period === "year" ? "summary_then_yearly" : "summary_then_monthly")),
      h("dd", { "data-total": "then" }, energy
        ? t(options.payment_mode === "monthly" ? "summary_energy_monthly" : "summary_energy_invoice",
          price(periodPrice, product.currency, product.billing_period))
        : price(periodPrice, product.currency, product.billing_period))));
}

// The terms of sale in force, linked: the link is asked again once its short life is over.
export async function termsLink() {
  let terms = await authed("GET", "/subscriptions/catalog/terms");
  const link = h("a", { href: terms.url, target: "_blank", rel: "noopener", class: "terms-link" }, t("terms_link"));
  link.addEventListener("click", async (event) => {
    if (Date.parse(terms.expires_at) > Date.now() + 5000) return;
    event.preventDefault();
    terms = await authed("GET", "/subscriptions/catalog/terms");
    link.href = terms.url;
    const opened = window.open(terms.url, "_blank");
    if (opened) opened.opener = null;
  });
  return { link, version: () => terms.version };
}

// The answer a form gives when a box it needs is not ticked, placed next to it like an API's.
export const notAccepted = () => new ApiError(422, { error: {
  code: "terms_not_accepted", message: t("terms_required_message"), fields: { accept_terms: t("terms_required") } } });

// --- paying the order --------------------------------------------------------------------------

async function mandateStep() {
  const [account, me] = await Promise.all([bankAccount(), authed("GET", "/auth/me")]);
  return [h("p", {}, t("checkout_mandate_intro")),
    bankForm({ account, me, done: () => reloadWith("ok", t("checkout_mandate_signed")) })];
}

async function invoiceStep(order) {
  const [invoice, account] = await Promise.all([optional(`/invoices/${enc(order.invoice_id)}`), bankAccount()]);
  if (!invoice) return h("p", { class: "muted" }, t("checkout_invoice_coming"));
  if (invoice.pending_payment_id) {
    return h("p", {}, t("pending_notice"), " ", h("a", { href: invoiceLink(invoice) }, t("checkout_see_invoice")));
  }
  if (invoice.amount_due_cents <= 0) return h("p", { class: "muted" }, t("checkout_nothing_due"));
  return [h("p", {}, t("checkout_pay_intro", money(invoice.amount_due_cents, invoice.currency)), " ",
      h("a", { href: invoiceLink(invoice) }, t("checkout_see_invoice"))),
    paymentForm({ selected: () => [invoice], account, done: (payment) => reloadWith("ok", paidNotice(payment)) })];
}

// The order's payment step while it waits for one: what is still needed, and the way to give it.
export async function payStep(order) {
  if (order.status !== "received") return null;
  let content;
  if (order.awaiting === "mandate") content = await mandateStep();
  else if (order.invoice_id) content = await invoiceStep(order);
  else content = h("p", { class: "muted", role: "status" }, t("checkout_invoice_coming"));
  return section({ class: "card", id: "pay" }, t(order.awaiting === "mandate" ? "checkout_mandate_title" : "checkout_pay_title"),
    checkoutSteps("pay"), content);
}
