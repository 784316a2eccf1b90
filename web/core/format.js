// Every amount, date and quantity the portal shows, formatted by Intl in the page's language:
// fr "1 234,56 €", it "1.234,56 €", en "€1,234.56". A date (YYYY-MM-DD) is a calendar day, read
// as local and never through UTC, so it is never shifted by a time zone.

import { has, locale, t } from "./i18n.js";

// Money: `digits` up to 4 for a unit price such as 0,1952 €/kWh.
export function amount(value, currency = "EUR", digits = 2) {
  return new Intl.NumberFormat(locale(), {
    style: "currency", currency: currency || "EUR", minimumFractionDigits: 2, maximumFractionDigits: Math.max(2, digits),
  }).format(value);
}
export const money = (cents, currency) => amount(cents / 100, currency);
export const unitPrice = (cents, currency) => amount(cents / 100, currency, 4);
export const price = (cents, currency, period) => `${money(cents, currency)}/${t(`per_${period}`)}`;

export const calendarDay = (iso) => {
  const [year, month, date] = iso.split("-").map(Number);
  return new Date(year, month - 1, date);
};
const dates = (options) => new Intl.DateTimeFormat(locale(), options);
export const day = (iso) => iso ? dates({ dateStyle: "long" }).format(calendarDay(iso)) : t("none");
export const shortDay = (iso) => iso ? dates({ dateStyle: "medium" }).format(calendarDay(iso)) : t("none");
export const dayRange = (start, end) => dates({ dateStyle: "medium" }).formatRange(calendarDay(start), calendarDay(end));
export const longDay = (date) => dates({ weekday: "long", day: "numeric", month: "long" }).format(date);
export const monthName = (value) => {
  const [year, number] = value.split("-").map(Number);
  return dates({ month: "long", year: "numeric" }).format(new Date(year, number - 1, 1));
};
export const shortMonth = (iso) => dates({ month: "short" }).format(calendarDay(iso.slice(0, 10)));
// An instant (ISO 8601 with its offset), in the browser's time zone.
export const moment = (iso) => dates({ dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
export const clock = (iso) => dates({ hour: "2-digit", minute: "2-digit" }).format(new Date(iso));

// Calendar arithmetic on YYYY-MM-DD and YYYY-MM, in local days.
export const localDayKey = (date) =>
  `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
export const monthOf = (date) => `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}`;
export const today = () => localDayKey(new Date());
export function monthsBack(count, from = new Date()) {
  const date = new Date(from.getFullYear(), from.getMonth(), 1);
  date.setMonth(date.getMonth() - count);
  return monthOf(date);
}
export const addDays = (iso, count) => {
  const date = calendarDay(iso);
  date.setDate(date.getDate() + count);
  return localDayKey(date);
};
export const addMonths = (month, count) => {
  const [year, number] = month.split("-").map(Number);
  return monthOf(new Date(year, number - 1 + count, 1));
};
export const monthEnd = (month) => addDays(`${addMonths(month, 1)}-01`, -1);

export const quantity = (text) => new Intl.NumberFormat(locale(), { maximumFractionDigits: 3 }).format(Number(text));
export const percent = (rate) => new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 2 }).format(Number(rate) / 100);
export const size = (megabytes) => new Intl.NumberFormat(locale(), { style: "unit", unit: megabytes >= 1000 ? "gigabyte" : "megabyte" })
  .format(megabytes >= 1000 ? megabytes / 1000 : megabytes);
export const unitName = (unit) => has(`unit_${String(unit).toLowerCase()}`) ? t(`unit_${String(unit).toLowerCase()}`) : unit;
export const methodName = (method) => has(`method_${method}`) ? t(`method_${method}`) : method;
export const measure = (value, unit) => value == null ? t("none") : `${quantity(value)}\u00a0${unitName(unit)}`;
export const lowerFirst = (text) => text.charAt(0).toLowerCase() + text.slice(1);
