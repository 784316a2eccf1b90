// "Mon surplus": the kitty of a surplus resale, month by month, and the producing meter.

import { optional } from "../core/api.js";
import { h, headCells, pageTitle } from "../core/dom.js";
import { measure, money, monthName, unitPrice } from "../core/format.js";
import { t } from "../core/i18n.js";
import { allMeters, meterBlock } from "./consumption.js";

export async function surplusPage() {
  const [meters, surplus] = await Promise.all([allMeters(), optional("/consumption/surplus")]);
  if (!surplus) return h("div", {}, pageTitle(t("nav_surplus")), h("section", { class: "card" }, h("p", {}, t("no_surplus"))));
  const producing = meters.filter((meter) => meter.meter_id === surplus.meter_id);
  const rate = (cents) => unitPrice(cents, surplus.currency);
  return h("div", { class: "consumption" }, pageTitle(t("nav_surplus")),
    h("section", { class: "card", id: "kitty" }, h("h2", {}, t("kitty")),
      h("p", { class: "kitty", "data-field": "kitty" }, money(surplus.kitty_cents, surplus.currency)),
      h("p", {}, t("kitty_intro"), " ", t("resale", rate(surplus.rate_cents_per_kwh)), ".")),
    h("section", { class: "card", id: "surplus-months" }, h("h2", {}, t("surplus_months")), surplus.months.length
      ? h("div", { class: "table-scroll" }, h("table", { class: "surplus" },
          headCells(["month", "injected", "rate_per_kwh", "credited"], ["injected", "rate_per_kwh", "credited"]),
          h("tbody", {}, surplus.months.map((month) => h("tr", { "data-month": month.month },
            h("th", { scope: "row" }, monthName(month.month)), h("td", { class: "number" }, measure(month.injected_kwh, "kWh")),
            h("td", { class: "number" }, rate(month.rate_cents_per_kwh)),
            h("td", { class: "number" }, money(month.credited_cents, surplus.currency)))))))
      : h("p", { class: "muted" }, t("no_months"))),
    producing.length ? await meterBlock(producing) : null);
}

// Which consumption pages the navigation offers, asked once per session: "Ma conso" for meters
