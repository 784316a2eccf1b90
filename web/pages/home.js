// "Accueil": what a customer wants to know at a glance — what is due, the next debit, this month's
// consumption and its cost, a mobile line's data, the kitty, what expires or waits, the orders
// under way. Every part is asked at once and fails on its own; a part the customer has nothing
// for (no meter, no schedule…) is not shown at all. Every figure leads to its page.

import { allPages, loggedIn, optional } from "../core/api.js";
import { h, notice, pageTitle } from "../core/dom.js";
import { day, measure, monthName, monthOf, monthsBack, money } from "../core/format.js";
import { t } from "../core/i18n.js";
import { allMeters } from "./consumption.js";
import { invoiceLink, payable } from "./invoice-common.js";
import { detailLink, orderLink } from "./subscription-actions.js";

const part = (id, title, ...content) => h("section", { class: "card home-part", id, "aria-labelledby": `${id}-title` },
  h("h2", { id: `${id}-title` }, title), ...content);
// A figure is always a link to the page that tells more about it.
const figure = (href, text, field) => h("a", { class: "figure", href, "data-field": field }, text);

// --- what is due -----------------------------------------------------------------------------

async function duePart() {
  // the last 24 months, the furthest the invoices' list goes back
  const from = monthsBack(23);
  const lists = await Promise.all(["open", "overdue"].map((status) => allPages("/invoices", { from, status })));
  const due = lists.flat().filter(payable).sort((a, b) => a.due_on.localeCompare(b.due_on));
  const currency = due[0]?.currency || "EUR";
  const total = due.reduce((sum, invoice) => sum + invoice.amount_due_cents, 0);
  if (!due.length) {
    return part("home-due", t("home_due_title"), h("p", { class: "home-figure" }, figure("/my-invoices", money(0, currency), "due")),
      h("p", { class: "muted" }, t("home_due_none")));
  }
  const [first] = due;
  const payHref = due.length === 1 ? `${invoiceLink(first)}#pay` : "/my-invoices#pay-selection";
  const late = due.some((invoice) => invoice.status === "overdue");
  return part("home-due", t("home_due_title"),
    h("p", { class: `home-figure${late ? " late" : ""}` },
      figure(due.length === 1 ? invoiceLink(first) : "/my-invoices", money(total, currency), "due")),
    h("p", { class: "muted" }, t("home_due_count", due.length), " ",
      late ? t("home_due_late", day(first.due_on)) : t("home_due_by", day(first.due_on))),
    h("p", {}, h("a", { class: "button primary pay", href: payHref }, t("home_pay"))));
}

// --- the next debit of a monthly payer -------------------------------------------------------

async function debitPart() {
  const schedule = await optional("/invoices/schedule");
  if (!schedule) return null;
  const coming = (schedule.schedules || [schedule]).flatMap((each) => each.installments
    .filter((item) => ["scheduled", "retrying"].includes(item.status))
    .map((item) => ({ on: item.retry_on || item.due_on, amount: item.amount_cents, currency: each.currency || "EUR" })));
  coming.sort((a, b) => a.on.localeCompare(b.on));
  const [next] = coming;
  if (!next) return null;
  return part("home-debit", t("home_debit_title"),
    h("p", { class: "home-figure" }, figure("/schedule", money(next.amount, next.currency), "debit_amount")),
    h("p", {}, t("home_debit_on"), " ", figure("/schedule", day(next.on), "debit_on")));
}

// --- electricity: this month against the same month last year ---------------------------------

function meterLine(meter, month) {
  const current = month?.quantities?.consumed;
  const cost = month?.cost;
  const before = month?.previous_year?.cost;
  const href = "/my-consumption";
  return h("li", { "data-meter": meter.meter_id },
    h("span", { class: "home-label" }, t("home_meter", meter.pdl || meter.meter_id)),
    current == null ? h("span", { class: "muted" }, t("home_no_reading"))
      : h("span", {}, figure(href, measure(current, meter.unit), "consumed"),
          cost ? [" · ", figure(href, money(cost.incl_tax_cents, cost.currency), "cost")] : null,
          cost && !cost.billed ? h("span", { class: "muted" }, ` (${t("home_estimate")})`) : null),
    before ? h("span", { class: "muted block" }, t("home_last_year"), " ",
      figure(href, money(before.incl_tax_cents, before.currency), "previous_cost")) : null);
}

async function energyPart(meters, surplus) {
  // the meter of a surplus resale is followed on "Mon surplus"; a closed contract is over
  const followed = meters.filter((meter) => meter.kind === "electricity" && meter.meter_id !== surplus?.meter_id && !meter.closed_on);
  if (!followed.length) return null;
  const thisMonth = monthOf(new Date());
  const months = await Promise.all(followed.map((meter) =>
    optional(`/consumption/meters/${encodeURIComponent(meter.meter_id)}/summary?year=${thisMonth.slice(0, 4)}`)
      .then((summary) => summary?.months.find((month) => month.month === thisMonth))));
  return part("home-energy", t("home_energy_title", monthName(thisMonth)),
    h("ul", { class: "plain home-list" }, followed.map((meter, index) => meterLine(meter, months[index]))));
}

// --- a mobile line's data, the kitty of a surplus resale --------------------------------------

function usagePart(usage) {
  const data = usage?.allowances.find((allowance) => allowance.unit === "GB");
  if (!data) return null;
  return part("home-usage", t("home_usage_title"),
    h("p", { class: "home-figure" }, figure("/my-consumption", measure(data.used, data.unit), "data_used")),
    h("p", { class: "muted" }, data.included == null ? t("unlimited") : t("home_usage_of", measure(data.included, data.unit))));
}

function surplusPart(surplus) {
  if (!surplus) return null;
  return part("home-kitty", t("kitty"),
    h("p", { class: "home-figure" }, figure("/my-surplus", money(surplus.kitty_cents, surplus.currency), "kitty")));
}

// --- subscriptions: what ends, what waits, the orders under way --------------------------------

// A subscription left to end (no automatic renewal) expires; one renewed automatically with a
// commitment is renewed for another term; a plan without commitment renews by itself and never
// "expires", so it is not listed.
function endingText(subscription) {
  if (!subscription.auto_renew) return t("home_expires_on", day(subscription.renews_on));
  return subscription.commitment_months ? t("home_renews_on", day(subscription.renews_on)) : null;
}

const named = (subscription, hash = "") => [h("a", { href: detailLink(subscription, hash) }, subscription.name),
  subscription.label && subscription.label !== subscription.name ? h("span", { class: "label" }, subscription.label) : null];

function subscriptionsPart(dashboard) {
  const ending = dashboard.expiring_soon.map((subscription) => [subscription, endingText(subscription)]).filter(([, text]) => text);
  const waiting = dashboard.to_configure;
  const orders = dashboard.orders_in_progress;
  if (!ending.length && !waiting.length && !orders.length) return null;
  const list = (items) => h("ul", { class: "plain home-list" }, items);
  return part("home-attention", t("home_attention_title"),
    ending.length ? list(ending.map(([subscription, text]) => h("li", { "data-subscription": subscription.subscription_id },
      named(subscription), " ", h("span", { class: "muted" }, text)))) : null,
    waiting.length ? list(waiting.map((subscription) => h("li", { "data-subscription": subscription.subscription_id },
      // one to configure opens on its settings; one to confirm, on its confirmation
      named(subscription, subscription.status === "to_configure" ? "#settings" : ""), " ",
      h("span", { class: "muted" }, t(`status_${subscription.status}`))))) : null,
    orders.length ? list(orders.map((order) => h("li", { "data-order": order.order_id },
      h("a", { href: orderLink(order) }, t("order_number", order.order_id)), " ",
      h("span", { class: "muted" }, t(`order_status_${order.status}`))))) : null);
}

// --- the page ----------------------------------------------------------------------------------

// A part whose request failed says so in its own place; the others are shown.
const failed = (id, title) => (error) => {
  if (error.status === 401 && !loggedIn()) throw error; // the session ended: the router asks to log in
  return part(id, title, notice("error", t("home_part_failed")));
};

export async function homePage() {
  const surplusAsked = optional("/consumption/surplus");
  const parts = await Promise.all([
    duePart().catch(failed("home-due", t("home_due_title"))),
    debitPart().catch(failed("home-debit", t("home_debit_title"))),
    Promise.all([allMeters(), surplusAsked.catch(() => null)]).then(([meters, surplus]) => energyPart(meters, surplus))
      .catch(failed("home-energy", t("nav_consumption"))),
    optional("/consumption/usage").then(usagePart).catch(failed("home-usage", t("home_usage_title"))),
    surplusAsked.then(surplusPart).catch(failed("home-kitty", t("kitty"))),
    optional("/subscriptions/dashboard").then((dashboard) => dashboard && subscriptionsPart(dashboard))
      .catch(failed("home-attention", t("home_attention_title"))),
  ]);
  return h("div", { class: "home" }, pageTitle(t("home_title")), h("div", { class: "home-parts" }, parts));
}
