// "Ma conso": the chart and the year of each meter, the virtual battery, a mobile line's usage.

import { ApiError, api, authed, optional } from "../core/api.js";
import { actionButton, definitions, errorText, h, headCells, notice, pageTitle } from "../core/dom.js";
import { addDays, addMonths, atResolution, calendarDay, dayRange, measure, money, monthEnd, monthName, percent, reading, shortDay, lowerFirst, today, unitPrice } from "../core/format.js";
import { guard } from "../core/forms.js";
import { has, t } from "../core/i18n.js";
import { go, param, withParams } from "../core/router.js";
import { barChart, pointName } from "./chart.js";
import { COMPARED_STEPS, compares, costAmount, costCell, costState, figure, previousCell } from "./consumption-money.js";
import { enc, range } from "./subscription-actions.js";

const STEPS = ["month", "day", "hour", "half_hour"];
const ONE_DAY_STEPS = ["hour", "half_hour"];
const isDay = (value) => /^\d{4}-\d{2}-\d{2}$/.test(value);
// The period the chart shows, from the address: by default the last 12 months, the last 30 days,
// or yesterday (today's readings arrive tomorrow) for hours and half-hours.
function chartPeriod() {
  const step = STEPS.includes(param("step")) ? param("step") : "month";
  const compare = compares(step, param("compare")) ? { compare: "previous_year" } : {};
  const to = isDay(param("to")) ? param("to") : today();
  if (ONE_DAY_STEPS.includes(step)) {
    const chosen = isDay(param("from")) ? param("from") : addDays(today(), -1);
    return { step, from: chosen, to: chosen, ...compare };
  }
  const from = isDay(param("from")) ? param("from") : step === "month" ? `${addMonths(to.slice(0, 7), -11)}-01` : addDays(to, -29);
  return { step, from, to, ...compare };
}

// The same length of time before or after: a day, as many days, or as many months.
function shiftedPeriod({ step, from, to }, direction) {
  if (step !== "month") {
    const days = Math.round((calendarDay(to) - calendarDay(from)) / 86400000) + 1;
    return { from: addDays(from, direction * days), to: addDays(to, direction * days) };
  }
  const [fromYear, fromMonth] = from.split("-").map(Number);
  const [toYear, toMonth] = to.split("-").map(Number);
  const months = (toYear - fromYear) * 12 + toMonth - fromMonth + 1;
  return { from: `${addMonths(from.slice(0, 7), direction * months)}-01`, to: monthEnd(addMonths(to.slice(0, 7), direction * months)) };
}

function stepTabs(period) {
  const anchor = period.to < today() ? period.to : today();
  const target = (step) => ONE_DAY_STEPS.includes(step)
    ? { step, from: anchor === today() ? addDays(anchor, -1) : anchor, to: null }
    : { step, from: null, to: anchor };
  return h("nav", { class: "tabs steps", "aria-label": t("steps_label") }, STEPS.map((step) =>
    h("a", { href: withParams(target(step)), "aria-current": step === period.step ? "page" : false, "data-step": step }, t(`step_${step}`))));
}

function periodForm(period, failure) {
  const problems = failure?.fields || {};
  const input = (name, label, type, value) => h("div", { class: "field", "data-field": name },
    h("label", { for: `period-${name}` }, label),
    h("input", { id: `period-${name}`, name, type, value, required: true, "aria-invalid": problems[name] ? "true" : false }));
  const byMonth = period.step === "month";
  const oneDay = ONE_DAY_STEPS.includes(period.step);
  const fields = oneDay ? [input("from", t("day"), "date", period.from)]
    : byMonth ? [input("from", t("period_from"), "month", period.from.slice(0, 7)), input("to", t("period_to"), "month", period.to.slice(0, 7))]
    : [input("from", t("from_day"), "date", period.from), input("to", t("to_day"), "date", period.to)];
  const previous = shiftedPeriod(period, -1);
  const next = shiftedPeriod(period, 1);
  const element = h("form", { class: "inline filters period", "aria-label": t("period_shown"), novalidate: true }, fields,
    h("button", { class: "primary", type: "submit" }, t("show")),
    h("a", { href: withParams(previous), class: "reset" }, t("previous_period")),
    next.from <= today() ? h("a", { href: withParams(next), class: "reset" }, t("next_period")) : null);
  // a day or month that is one, the end not before the start (series.py), said before asking
  guard(element, { from: { required: true, date: {} }, ...(oneDay ? {} : { to: { required: true, date: { min: (values) => values.from } } }) });
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    const { from, to } = Object.fromEntries(new FormData(element).entries());
    if (byMonth) go(withParams({ from: `${from}-01`, to: /^\d{4}-\d{2}$/.test(to) ? monthEnd(to) : to }));
    else go(withParams({ from, to: oneDay ? from : to }));
  });
  return element;
}

// The chart's values as a table; a day or a month leads to its own detail.
function seriesTable(answer, meter) {
  const stacked = meter.tariff_option === "off_peak";
  const priced = answer.points.some((point) => point.cost !== undefined);
  const earlier = answer.previous?.points;
  const columns = ["col_period", "consumed", ...(stacked ? ["peak_hours", "off_peak_hours"] : []), ...(meter.has_production ? ["injected"] : []),
    ...(priced ? ["cost_incl_tax"] : []), ...(earlier ? ["previous_year"] : [])];
  const unit = answer.unit;
  const detail = (point) => {
    const name = pointName(answer.step, point.start);
    if (answer.step === "day") return h("a", { href: withParams({ step: "half_hour", from: point.start.slice(0, 10), to: null }), "aria-label": t("detail_label", name) }, name);
    if (answer.step === "month") {
      const month = point.start.slice(0, 7);
      return h("a", { href: withParams({ step: "day", from: `${month}-01`, to: monthEnd(month) }), "aria-label": t("detail_label", name) }, name);
    }
    return name;
  };
  return h("div", { class: "table-scroll" }, h("table", { class: "series" }, headCells(columns, columns.slice(1)),
    h("tbody", {}, answer.points.map((point, index) => h("tr", { "data-start": point.start },
      h("th", { scope: "row" }, detail(point), point.value == null ? h("span", { class: "muted" }, ` — ${t("no_reading")}`)
        : point.complete === false ? h("span", { class: "muted" }, ` — ${t("partial")}`) : null),
      h("td", { class: "number" }, figure(point, "value", unit)),
      stacked ? [h("td", { class: "number" }, figure(point, "peak", unit)), h("td", { class: "number" }, figure(point, "off_peak", unit))] : null,
      meter.has_production ? h("td", { class: "number" }, figure(point, "injected", unit)) : null,
      priced ? costCell(point.cost) : null,
      earlier ? previousCell(earlier[index], "value", unit) : null)))));
}

// A file from the API (it needs the token, so no plain link): fetched, then saved under its name.
async function saveFile(path) {
  const answer = await api("GET", path, undefined, { auth: true, raw: true });
  const name = /filename="([^"]+)"/.exec(answer.headers.get("Content-Disposition") || "")?.[1] || "export.csv";
  const url = URL.createObjectURL(await answer.blob());
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function chartCard(meter) {
  const period = chartPeriod();
  const base = `/consumption/meters/${enc(meter.meter_id)}`;
  let answer = null;
  let failure = null;
  try {
    answer = await authed("GET", `${base}/series?${new URLSearchParams(period)}`);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401 || error.status >= 500) throw error;
    failure = error;
  }
  const stacked = meter.tariff_option === "off_peak";
  const totals = answer?.totals || {};
  const unit = answer?.unit;
  const earlier = answer?.previous;
  const legend = [...(stacked ? [["peak", "peak_hours"], ["off-peak", "off_peak_hours"]] : [["consumed", "consumed"]]),
    ...(meter.has_production ? [["injected", "injected"]] : []), ...(earlier ? [["previous", "legend_previous_year"]] : [])];
  const total = (key, item, field) => [[key, figure(item, field, unit)]];
  const spent = (key, cost) => cost === undefined ? [] : [[key, cost ? [costAmount(cost), " ", h("span", { class: "muted" }, `(${costState(cost)})`)] : null]];
  const label = () => [t("chart_label", lowerFirst(t(`step_${answer.step}`)), shortDay(answer.from), shortDay(answer.to), figure(totals, "consumed", unit)),
    totals.cost ? t("chart_label_cost", costAmount(totals.cost)) : null,
    earlier ? t("chart_label_previous", figure(earlier.totals, "consumed", unit), costAmount(earlier.totals.cost)) : null].filter(Boolean).join(" ");
  const exportPath = `${base}/export.csv?${new URLSearchParams({ from: period.from, to: period.to })}`;
  return h("section", { class: "card", id: "chart", "data-meter": meter.meter_id, "data-step": period.step },
    h("div", { class: "card-head" }, h("h2", {}, t("meter_title", meter.pdl || meter.meter_id)),
      h("span", { class: "muted" }, meter.tariff_option ? t(`tariff_${meter.tariff_option}`) : null,
        meter.off_peak_hours?.length ? ` · ${t("off_peak_hours")} ${meter.off_peak_hours.map(range).join(", ")}` : null)),
    stepTabs(period),
    periodForm(period, failure),
    COMPARED_STEPS.includes(period.step) ? h("p", { class: "compare" }, h("a", { href: withParams({ compare: period.compare ? "none" : null }) },
      t(period.compare ? "compare_hide" : "compare_show"))) : null,
    failure ? notice("error", errorText(failure)) : [
      definitions([...total("consumed", totals, "consumed"),
        ...(stacked ? [...total("peak_hours", totals, "peak"), ...total("off_peak_hours", totals, "off_peak")] : []),
        ...(meter.has_production ? total("injected", totals, "injected") : []),
        ...spent("cost_incl_tax", totals.cost),
        ...(earlier ? [...total("previous_consumed", earlier.totals, "consumed"), ...spent("previous_cost", earlier.totals.cost)] : [])]),
      barChart(answer, meter, label()),
      h("ul", { class: "legend", "aria-hidden": "true" }, legend.map(([className, key]) => h("li", {}, h("span", { class: `swatch ${className}` }), t(key)))),
      h("details", {}, h("summary", {}, t("chart_table")), seriesTable(answer, meter)),
    ],
    h("div", { class: "row-actions" }, actionButton(t("download_csv"), () => saveFile(exportPath), { className: "small" })));
}

async function summaryCard(meter) {
  const thisYear = Number(today().slice(0, 4));
  const first = Number(meter.active_from.slice(0, 4));
  const year = Number(param("year")) || thisYear;
  const summary = await authed("GET", `/consumption/meters/${enc(meter.meter_id)}/summary?year=${year}`);
  const unit = summary.unit || meter.unit;
  const stacked = meter.tariff_option === "off_peak";
  const priced = summary.total_cost !== undefined;
  const columns = ["month", "consumed", ...(stacked ? ["peak_hours", "off_peak_hours"] : []), ...(meter.has_production ? ["injected"] : []),
    ...(priced ? ["cost_incl_tax", "previous_year"] : [])];
  const years = Array.from({ length: Math.max(thisYear - first + 1, 1) }, (_, back) => thisYear - back);
  const sums = summary.quantities ? summary : { quantities: { total: atResolution(summary.total), previous_year_total: atResolution(summary.previous_year_total) } };
  const totalRow = (label, field, cost) => h("tr", {}, h("th", { scope: "row" }, label), h("td", { class: "number" }, figure(sums, field, unit)),
    columns.slice(2, priced ? -2 : undefined).map(() => h("td")), priced ? [cost === undefined ? h("td") : costCell(cost), h("td")] : null);
  return h("section", { class: "card", id: "summary", "data-year": summary.year }, h("h2", {}, t("summary_title")),
    years.length > 1 ? h("nav", { class: "tabs", "aria-label": t("year") }, years.map((each) =>
      h("a", { href: withParams({ year: each }), "aria-current": each === summary.year ? "page" : false }, each))) : null,
    summary.months.length ? h("div", { class: "table-scroll" }, h("table", { class: "summary" }, headCells(columns, columns.slice(1)),
      h("tbody", {}, summary.months.map((month) => h("tr", { "data-month": month.month, "data-estimated": String(month.estimated) },
        h("th", { scope: "row" }, h("a", { href: withParams({ step: "day", from: `${month.month}-01`, to: monthEnd(month.month) }) },
          monthName(month.month))),
        h("td", { class: "number" }, month.estimated ? [h("span", { class: "status estimated" }, t("estimated")), " "] : null,
          figure(month, "consumed", unit)),
        stacked ? [h("td", { class: "number" }, figure(month, "peak", unit)), h("td", { class: "number" }, figure(month, "off_peak", unit))] : null,
        meter.has_production ? h("td", { class: "number" }, figure(month, "injected", unit)) : null,
        priced ? [costCell(month.cost), previousCell(month.previous_year, "consumed", unit)] : null))),
      h("tfoot", {}, totalRow(t("year_total", summary.year), "total", summary.total_cost ?? null),
        totalRow(t("year_total", summary.year - 1), "previous_year_total"))))
      : h("p", { class: "muted" }, t("no_months")),
    summary.months.some((month) => month.estimated) ? h("p", { class: "hint" }, t("estimated_hint")) : null,
    priced ? h("p", { class: "hint" }, t("cost_hint")) : null);
}

// The chart and the year of one meter, with tabs when the customer has several.
export async function meterBlock(meters) {
  const meter = meters.find((each) => each.meter_id === param("meter"))
    || meters.find((each) => each.status === "active") || meters[0];
  return [
    meters.length > 1 ? h("nav", { class: "tabs", "aria-label": t("meters_label") }, meters.map((each) =>
      h("a", { href: withParams({ meter: each.meter_id, year: null }), "aria-current": each === meter ? "page" : false },
        t("meter_title", each.pdl || each.meter_id)))) : null,
    ...(await Promise.all([chartCard(meter), summaryCard(meter)])),
  ];
}

function batteryCard(battery) {
  const kwh = (value) => reading(atResolution(value), "kWh");
  const overflow = battery.months.some((month) => month.overflow_kwh !== undefined);
  return h("section", { class: "card", id: "battery" }, h("h2", {}, t("battery_title")),
    h("p", {}, t("battery_intro")),
    h("ul", { class: "battery-facts" },
      h("li", { "data-field": "capacity" }, t("battery_capacity", kwh(battery.capacity_kwh))),
      battery.withdrawal_cents_per_kwh == null ? null
        : h("li", { "data-field": "withdrawal" }, t("battery_withdrawal", unitPrice(battery.withdrawal_cents_per_kwh, "EUR"))),
      battery.beyond_capacity ? h("li", { "data-field": "beyond" }, t(`battery_beyond_${battery.beyond_capacity}`)) : null),
    h("div", { class: "gauge" }, h("span", { id: "battery-charge", class: "gauge-name" }, t("battery_charge")),
      h("meter", { min: 0, max: battery.capacity_kwh, value: battery.level_kwh, "aria-labelledby": "battery-charge battery-level" }),
      h("span", { id: "battery-level", "data-field": "level" }, t("battery_level", kwh(battery.level_kwh), kwh(battery.capacity_kwh)),
        battery.capacity_kwh ? ` (${percent(100 * battery.level_kwh / battery.capacity_kwh)})` : null)),
    // a region the keyboard can scroll, on a phone where its columns overflow
    battery.months.length ? h("div", { class: "table-scroll", role: "region", tabindex: "0", "aria-label": t("battery_title") }, h("table", { class: "battery" },
      headCells(["month", "stored", "restored", "level_end", ...(overflow ? ["overflow"] : [])], ["stored", "restored", "level_end", "overflow"]),
      h("tbody", {}, battery.months.map((month) => h("tr", { "data-month": month.month },
        h("th", { scope: "row" }, monthName(month.month)), h("td", { class: "number" }, kwh(month.stored_kwh)),
        h("td", { class: "number" }, kwh(month.restored_kwh)), h("td", { class: "number" }, kwh(month.level_kwh)),
        overflow ? h("td", { class: "number" }, kwh(month.overflow_kwh)) : null)))))
      : h("p", { class: "muted" }, t("no_months")));
}

function usageCard(usage) {
  const name = (unit) => has(`allowance_name_${unit}`) ? t(`allowance_name_${unit}`) : unit;
  return h("section", { class: "card", id: "mobile-usage", "data-line": usage.subscription_id }, h("h2", {}, t("mobile_title")),
    usage.lines?.length > 1 ? h("nav", { class: "tabs", "aria-label": t("mobile_title") }, usage.lines.map((line) =>
      h("a", { href: withParams({ line }), "aria-current": line === usage.subscription_id ? "page" : false }, t("mobile_line", line)))) : null,
    // the line's allowance period runs from its billing day: [period_start, period_end)
    h("p", { class: "muted", "data-field": "period", "data-start": usage.period_start, "data-end": usage.period_end },
      t("usage_period", dayRange(usage.period_start, addDays(usage.period_end, -1)))),
    h("ul", { class: "plain allowances" }, usage.allowances.map((allowance) => {
      const id = `allowance-${allowance.unit}`;
      return h("li", { "data-unit": allowance.unit },
        h("span", { class: "gauge-name", id }, name(allowance.unit)),
        allowance.included == null ? null : h("meter", { min: 0, max: allowance.included, high: allowance.included * 0.9,
          value: Math.min(allowance.used, allowance.included), "aria-labelledby": `${id} ${id}-text` }),
        h("span", { id: `${id}-text`, class: "usage" }, allowance.included == null
          ? [measure(allowance.used, allowance.unit), " — ", h("strong", {}, t("unlimited"))]
          : t("usage_of", measure(allowance.used, allowance.unit), measure(allowance.included, allowance.unit))),
        allowance.remaining == null ? null : h("span", { class: "muted" }, t("remaining", measure(allowance.remaining, allowance.unit))));
    })),
    definitions([["out_of_plan", money(usage.out_of_plan_cents, usage.currency)]]));
}

export const allMeters = () => authed("GET", "/consumption/meters").then((answer) => answer.items);

export async function consumptionPage() {
  const line = param("line");
  const [meters, battery, usage] = await Promise.all([allMeters(), optional("/consumption/battery"),
    optional(`/consumption/usage${line ? `?subscription_id=${enc(line)}` : ""}`)]);
  const electricity = meters.filter((meter) => meter.kind === "electricity");
  return h("div", { class: "consumption" }, pageTitle(t("nav_consumption")),
    electricity.length ? await meterBlock(electricity) : null,
    battery ? batteryCard(battery) : null,
    usage ? usageCard(usage) : null,
    electricity.length || usage ? null : h("section", { class: "card" }, h("p", {}, t("no_meters"))));
}
