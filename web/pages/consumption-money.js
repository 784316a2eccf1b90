// What the consumption pages say of money and precision: a figure at the API's resolution, the
// cost of a day or a month (tax included, an estimate or billed), the kitty month by month.

import { h } from "../core/dom.js";
import { atResolution, measure, money, reading } from "../core/format.js";
import { t } from "../core/i18n.js";

// One figure of a point, a total or a month: the API's text at its resolution when it gives one
// (`quantities`), else the number rounded to 0.1 (never three meaningless decimals).
export function figure(item, field, unit, textField = field) {
  if (!item) return measure(null, unit);
  const text = item.quantities ? item.quantities[textField] : atResolution(item[field], "0.1");
  return reading(text, unit);
}

// The cost of a day or a month, tax included; `null` when nothing was read.
export const costAmount = (cost) => cost == null ? t("none") : money(cost.incl_tax_cents, cost.currency);
export const costState = (cost) => cost == null ? null : t(cost.billed ? "cost_billed" : "cost_estimate");

// A table cell: the amount, and under it whether it is billed or an estimate.
export const costCell = (cost) => h("td", { class: "number cost", "data-cents": cost ? cost.incl_tax_cents : false },
  h("span", { class: "amount" }, costAmount(cost)),
  cost ? h("span", { class: `cost-state ${cost.billed ? "billed" : "estimate"}` }, costState(cost)) : null);

// The same day or month a year earlier, in one cell: its kWh, and under them its cost.
export const previousCell = (item, field, unit) => h("td", { class: "number cost previous" }, h("span", { class: "amount" }, figure(item, field, unit)),
  item?.cost ? h("span", { class: "cost-state" }, costAmount(item.cost), " · ", costState(item.cost)) : null);

// What the kitty holds: its months' in_kitty_cents added up (a month paid out holds 0).
export const kittyHeld = (months) => months.reduce((sum, month) => sum + (month.in_kitty_cents ?? 0), 0);

// The comparison with a year earlier is shown unless the address says compare=none; only the
// day and month steps have it.
export const COMPARED_STEPS = ["day", "month"];
export const compares = (step, choice) => COMPARED_STEPS.includes(step) && choice !== "none";
