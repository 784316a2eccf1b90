// "Mon surplus": the kitty of a surplus resale, month by month, and the producing meter.

import { optional } from "../core/api.js";
import { h, headCells, pageTitle, section } from "../core/dom.js";
import { atResolution, money, monthName, reading, shortDay, unitPrice } from "../core/format.js";
import { t } from "../core/i18n.js";
import { allMeters, meterBlock } from "./consumption.js";
import { kittyHeld } from "./consumption-money.js";
import { enc } from "./subscription-actions.js";

// Where a month's credit went: still in the kitty, or paid out by its resale invoice (linked).
function payout(month) {
  const invoice = month.resale_invoice_id
    ? h("a", { href: `/invoice?id=${enc(month.resale_invoice_id)}`, "aria-label": t("resale_invoice_of", monthName(month.month)) }, t("resale_invoice"))
    : null;
  if (month.in_kitty_cents) return [t("in_kitty_waiting"), invoice ? [" — ", invoice] : null];
  return [month.paid_out_on ? t("paid_out_on", shortDay(month.paid_out_on)) : t("paid_out"), invoice ? [" — ", invoice] : null];
}

export async function surplusPage() {
  const [meters, surplus] = await Promise.all([allMeters(), optional("/consumption/surplus")]);
  if (!surplus) return h("div", {}, pageTitle(t("nav_surplus")), h("section", { class: "card" }, h("p", {}, t("no_surplus"))));
  const producing = meters.filter((meter) => meter.meter_id === surplus.meter_id);
  const rate = (cents) => unitPrice(cents, surplus.currency);
  const cash = (cents) => money(cents, surplus.currency);
  const held = surplus.months.some((month) => month.in_kitty_cents !== undefined);
  return h("div", { class: "consumption" }, pageTitle(t("nav_surplus")),
    section({ class: "card", id: "kitty" }, t("kitty"),
      h("p", { class: "kitty", "data-field": "kitty" }, money(surplus.kitty_cents, surplus.currency)),
      h("p", {}, t("kitty_intro"), " ", t("resale", rate(surplus.rate_cents_per_kwh)), "."),
      surplus.payout_rule ? h("p", { "data-field": "payout" }, t(`payout_${surplus.payout_rule}`)) : null,
      surplus.paid_out_cents ? h("p", { class: "muted", "data-field": "paid_out" }, t("paid_out_total", cash(surplus.paid_out_cents))) : null),
    section({ class: "card", id: "surplus-months" }, t("surplus_months"), surplus.months.length
      ? h("div", { class: "table-scroll" }, h("table", { class: "surplus" },
          headCells(["month", "injected", "rate_per_kwh", "credited", ...(held ? ["in_kitty", "payout"] : [])],
            ["injected", "rate_per_kwh", "credited", "in_kitty"]),
          h("tbody", {}, surplus.months.map((month) => h("tr", { "data-month": month.month },
            h("th", { scope: "row" }, monthName(month.month)), h("td", { class: "number" }, reading(atResolution(month.injected_kwh), "kWh")),
            h("td", { class: "number" }, rate(month.rate_cents_per_kwh)),
            h("td", { class: "number" }, cash(month.credited_cents)),
            held ? [h("td", { class: "number", "data-field": "in_kitty" }, cash(month.in_kitty_cents ?? 0)), h("td", {}, payout(month))] : null))),
          held ? h("tfoot", {}, h("tr", {}, h("th", { scope: "row" }, t("kitty_total")), h("td"), h("td"), h("td"),
            h("td", { class: "number", "data-field": "kitty_total" }, cash(kittyHeld(surplus.months))), h("td"))) : null))
      : h("p", { class: "muted" }, t("no_months"))),
    producing.length ? await meterBlock(producing) : null);
}

// Which consumption pages the navigation offers, asked once per session: "Ma conso" for meters
