// The consumption chart: the series as SVG bars, its axis and its points' names.

import { h } from "../core/dom.js";
import { monthName, quantity, shortDay, shortMonth, unitName } from "../core/format.js";
import { t } from "../core/i18n.js";
import { costAmount, figure } from "./consumption-money.js";

// What one point of a series is called: its month, its day or its time (the meter's local time).
export function pointName(step, start) {
  if (step === "month") return monthName(start.slice(0, 7));
  if (step === "day") return shortDay(start.slice(0, 10));
  return start.slice(11, 16);
}

const axisLabel = (step, start) => step === "month"
  ? shortMonth(start)
  : step === "day" ? String(Number(start.slice(8, 10))) : start.slice(11, 16);

// The series as bars: consumption up (peak and off-peak stacked with the off-peak option),
// injection down when the meter produces; a point without reading has no bar. With the same
// period a year earlier (`answer.previous`), a narrower grey bar beside each one: that year's.
export function barChart(answer, meter, label) {
  const points = answer.points;
  const earlier = answer.previous?.points || [];
  const stacked = meter.tariff_option === "off_peak";
  const producing = meter.has_production;
  const high = Math.max(0, ...[...points, ...earlier].map((point) => point?.value ?? 0));
  const low = producing ? Math.max(0, ...points.map((point) => point.injected ?? 0)) : 0;
  const raw = Math.max(high, low, 0.001) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const tick = [1, 2, 2.5, 5, 10].map((factor) => factor * power).find((each) => each >= raw);
  const top = Math.ceil(high / tick) * tick || tick;
  const bottom = Math.ceil(low / tick) * tick;
  // drawn for the screen's width: on a phone a narrower drawing, so that once scaled to the
  // page its bars keep a readable height and its texts a readable size (about 11 px)
  const narrow = globalThis.matchMedia?.("(max-width: 40rem)").matches;
  const [width, height, left, right, above, below] = narrow ? [360, 280, 48, 4, 26, 24] : [800, 290, 56, 8, 26, 24];
  const plot = height - above - below;
  const y = (value) => above + (top - value) / (top + bottom) * plot;
  const band = (width - left - right) / Math.max(points.length, 1);
  const every = Math.ceil(points.length / (narrow ? 6 : 12));
  const barWidth = earlier.length ? band * 0.45 : band * 0.7;
  const rect = (className, x, from, to, wide = barWidth) => h("svg:rect", { class: className, x, width: wide,
    y: Math.min(y(from), y(to)), height: Math.max(Math.abs(y(from) - y(to)), 0) });
  const ticks = [];
  for (let index = -Math.round(bottom / tick); index <= Math.round(top / tick); index += 1) ticks.push(index * tick);
  return h("svg:svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label },
    ticks.map((value) => h("svg:g", { class: value === 0 ? "axis zero" : "axis" },
      h("svg:line", { x1: left, x2: width - right, y1: y(value), y2: y(value) }),
      h("svg:text", { x: left - 6, y: y(value) + 4, "text-anchor": "end" }, quantity(Math.abs(value))))),
    h("svg:text", { class: "unit", x: left - 6, y: 11, "text-anchor": "end" }, unitName(answer.unit)),
    points.map((point, index) => {
      const x = left + index * band + band * 0.15;
      const before = earlier[index];
      const values = [[t("consumed"), figure(point, "value", answer.unit)],
        ...(stacked ? [[t("peak_hours"), figure(point, "peak", answer.unit)], [t("off_peak_hours"), figure(point, "off_peak", answer.unit)]] : []),
        ...(producing ? [[t("injected"), figure(point, "injected", answer.unit)]] : []),
        ...(point.cost !== undefined ? [[t("cost_incl_tax"), costAmount(point.cost)]] : []),
        ...(before ? [[t("previous_consumed"), figure(before, "value", answer.unit)], [t("previous_cost"), costAmount(before.cost)]] : [])];
      return h("svg:g", { class: point.complete === false ? "bar partial" : "bar", "data-start": point.start },
        h("svg:title", {}, `${pointName(answer.step, point.start)} — ${values.map(([name, value]) =>
          `${name} : ${value}`).join(", ")}${point.complete === false ? ` (${t("partial")})` : ""}`),
        point.value == null ? null : stacked
          ? [rect("off-peak", x, 0, point.off_peak ?? 0), rect("peak", x, point.off_peak ?? 0, point.value)]
          : rect("consumed", x, 0, point.value),
        producing && point.injected ? rect("injected", x, -point.injected, 0) : null,
        before?.value != null ? rect("previous", x + barWidth + band * 0.05, 0, before.value, band * 0.25) : null,
        index % every ? null : h("svg:text", { class: "label", x: x + band * 0.35, y: height - 6, "text-anchor": "middle" },
          axisLabel(answer.step, point.start)));
    }));
}

