"""What a customer reads of a meter: series at a chosen step, a year's summary, a CSV export.

Every read is one Query of the partition of the meter's point of delivery: day buckets for
half-hours, hours and days (≤ 366 items for a year), monthly totals for months and summaries
(and a month's day buckets when the meter held the point for part of it). A meter shows only the
days from its subscription's start to its end, split into peak and off-peak with the off-peak
hours of its tariff of each day.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from guichet_contracts.words import Phrase

from . import costs, tariffs
from .errors import RangeTooLong, ValidationFailed
from .models import DayBucket, Meter, MonthClosed, MonthTotal, meter_pk, point_pk
from .readings import Figures, decode, month_days, off_peak_slots, own_month, slot_start, split

STEPS = ("half_hour", "hour", "day", "month")
MAX_DAYS = {"half_hour": 366, "hour": 366, "day": 3660, "month": 3660}
DEFAULT_DAYS = {"half_hour": 1, "hour": 7, "day": 30, "month": 365}
# quantities as text, to what is worth reading: a meter reads the watt-hour of each half-hour; a
# day or a month reads well to the tenth of a kWh (a bill shows whole kWh)
RESOLUTION = {
    "half_hour": Decimal("0.001"),
    "hour": Decimal("0.001"),
    "day": Decimal("0.1"),
    "month": Decimal("0.1"),
}
COMPARED_STEPS = ("day", "month")
_QUANTITIES = ("value", "peak", "off_peak", "injected")


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def quantity(value: Decimal | float | None, resolution: Decimal) -> str | None:
    """A quantity as decimal text at `resolution` ("412.3"), rounded half up; None stays None."""
    if value is None:
        return None
    return format(Decimal(str(value)).quantize(resolution, rounding=ROUND_HALF_UP), "f")


def _with_quantities(point: dict[str, Any], resolution: Decimal, names: tuple[str, ...]) -> dict[str, Any]:
    point["quantities"] = {name: quantity(point[name], resolution) for name in names}
    return point


def visible_range(
    meter: Meter, first: date | None, last: date | None, step: str, today: date
) -> tuple[date, date]:
    """The days asked for, checked, then narrowed to the meter's own days."""
    last = last or today
    first = first or last - timedelta(days=DEFAULT_DAYS[step] - 1)
    if step == "month":
        first, last = first.replace(day=1), last.replace(day=month_days(last.isoformat()[:7]))
    if last < first:
        raise ValidationFailed(fields={"to": Phrase("field.not_before_from")})
    if (last - first).days + 1 > MAX_DAYS[step]:
        raise RangeTooLong(fields={"from": Phrase("field.range_days", days=MAX_DAYS[step], step=step)})
    first = max(first, date.fromisoformat(meter.active_from))
    if meter.closed_on:
        last = min(last, date.fromisoformat(meter.closed_on))
    return first, last


def _days(meter: Meter, first: date, last: date) -> dict[date, DayBucket]:
    if last < first:
        return {}
    found = DayBucket.query(
        point_pk(meter.point_id), DayBucket.sk.between(f"DAY#{first.isoformat()}", f"DAY#{last.isoformat()}")
    )
    return {date.fromisoformat(bucket.day): bucket for bucket in found}


def _each_day(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def series(meter: Meter, first: date, last: date, step: str, compare: str | None = None) -> dict[str, Any]:
    """The points of [first, last] at `step`, with their totals; with `compare` "previous_year"
    (day and month steps), the same days one year earlier, point by point (`previous`)."""
    points = _points(meter, first, last, step)
    answer = {
        "meter_id": meter.meter_id,
        "unit": meter.unit,
        "step": step,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "resolution": str(RESOLUTION[step]),
        "points": points,
        "totals": _totals(points, step),
    }
    if compare == "previous_year":
        if step not in COMPARED_STEPS:
            raise ValidationFailed(fields={"compare": "only with step day or month"})
        answer["previous"] = _previous_year(meter, first, last, step)
    return answer


def _points(meter: Meter, first: date, last: date, step: str) -> list[dict[str, Any]]:
    if step == "month":
        return _months(meter, first, last)
    points: list[dict[str, Any]] = []
    buckets = _days(meter, first, last)
    for day in _each_day(first, last) if last >= first else ():
        bucket = buckets.get(day)
        if step == "day":
            points.append(_day_point(meter, day, bucket))
        else:
            points.extend(_slot_points(meter, day, bucket, pair=step == "hour"))
    return points


def _totals(points: list[dict[str, Any]], step: str) -> dict[str, Any]:
    totals = {
        name: sum((Decimal(str(point[name])) for point in points if point[name] is not None), Decimal(0))
        for name in ("value", "peak", "off_peak", "injected")
    }
    answer: dict[str, Any] = {
        "consumed": _number(totals["value"]),
        "peak": _number(totals["peak"]),
        "off_peak": _number(totals["off_peak"]),
        "injected": _number(totals["injected"]),
        "quantities": {
            "consumed": quantity(totals["value"], RESOLUTION[step]),
            "peak": quantity(totals["peak"], RESOLUTION[step]),
            "off_peak": quantity(totals["off_peak"], RESOLUTION[step]),
            "injected": quantity(totals["injected"], RESOLUTION[step]),
        },
    }
    if step in COMPARED_STEPS:
        answer["cost"] = costs.added(point["cost"] for point in points)
    return answer


def _previous_year(meter: Meter, first: date, last: date, step: str) -> dict[str, Any]:
    """The same period one year earlier, aligned with the points of [first, last]: the i-th point
    is the i-th one's day (or month) a year before (29 February: the 28th); a day that was not
    the meter's own (before its start: another occupant's perhaps) has no figures (nulls)."""
    year = relativedelta(years=1)
    if step == "month":
        points = _months(meter, first - year, last - year)
    else:
        active_from = date.fromisoformat(meter.active_from)
        closed_on = date.fromisoformat(meter.closed_on) if meter.closed_on else None
        buckets = _days(meter, first - year, last - year)
        points = []
        for day in _each_day(first, last) if last >= first else ():
            earlier = day - year
            own = active_from <= earlier and (closed_on is None or earlier <= closed_on)
            points.append(_day_point(meter, earlier, buckets.get(earlier) if own else None))
    return {
        "from": (first - year).isoformat(),
        "to": (last - year).isoformat(),
        "points": points,
        "totals": _totals(points, step),
    }


def _day_point(meter: Meter, day: date, bucket: DayBucket | None) -> dict[str, Any]:
    start = slot_start(day, 0).isoformat()
    if bucket is None:
        point: dict[str, Any] = {
            "start": start,
            "value": None,
            "peak": None,
            "off_peak": None,
            "injected": None,
            "cost": None,
        }
        return _with_quantities(point, RESOLUTION["day"], _QUANTITIES)
    consumed, peak, low = split(bucket, tariffs.hours_on(meter, day))
    point = {
        "start": start,
        "value": _number(consumed),
        "peak": _number(peak),
        "off_peak": _number(low),
        "injected": _number(Decimal(bucket.injected)),
        "complete": int(bucket.readings) == int(bucket.slots),
        "cost": costs.day(meter, day, (consumed, peak, low)),
    }
    return _with_quantities(point, RESOLUTION["day"], _QUANTITIES)


def _slot_points(meter: Meter, day: date, bucket: DayBucket | None, *, pair: bool) -> list[dict[str, Any]]:
    count = int(bucket.slots) if bucket else None
    off_peak = off_peak_slots(day, tariffs.hours_on(meter, day))
    count = count or len(off_peak)
    consumption = decode(bucket.consumption if bucket else None, count)
    injection = decode(bucket.injection if bucket else None, count)
    width = 2 if pair else 1
    points = []
    for index in range(0, count, width):
        group = range(index, min(index + width, count))
        values = [consumption[i] for i in group]
        known = [value for value in values if value is not None]
        value = sum(known, Decimal(0)) if known else None
        low = sum((consumption[i] or Decimal(0) for i in group if off_peak[i]), Decimal(0))
        injected_values = [reading for reading in (injection[i] for i in group) if reading is not None]
        # a half-hour read of a producing meter without an injection reading injected nothing;
        # a half-hour not read at all is unknown (null), like its consumption
        read = injected_values or (meter.has_production and value is not None)
        injected = sum(injected_values, Decimal(0)) if read else None
        point = {
            "start": slot_start(day, index).isoformat(),
            "value": _number(value),
            "peak": _number(None if value is None else value - low),
            "off_peak": _number(None if value is None else low),
            "injected": _number(injected),
        }
        points.append(_with_quantities(point, RESOLUTION["half_hour"], _QUANTITIES))
    return points


def _months(meter: Meter, first: date, last: date) -> list[dict[str, Any]]:
    if last < first:
        return []
    found = MonthTotal.query(
        point_pk(meter.point_id),
        MonthTotal.sk.between(f"MONTH#{first.isoformat()[:7]}", f"MONTH#{last.isoformat()[:7]}"),
    )
    totals = {total.month: total for total in found}
    closes = _closes(meter, last.isoformat()[:7])
    points = []
    month = first.replace(day=1)
    while month <= last:
        name = month.isoformat()[:7]
        total = own_month(meter, name, totals.get(name)) if _own(meter, name) else None
        point = _month_point(month, total)
        point["cost"] = costs.month(meter, name, total, closes) if _own(meter, name) else None
        points.append(_with_quantities(point, RESOLUTION["month"], _QUANTITIES))
        month += relativedelta(months=1)
    return points


def _own(meter: Meter, month: str) -> bool:
    """Some days of `month` are the meter's own."""
    return meter.active_from[:7] <= month <= (meter.closed_on or "9999-12")[:7]


def _closes(meter: Meter, last: str) -> dict[str, MonthClosed]:
    """The meter's months closed up to `last`, by month: one Query."""
    found = MonthClosed.query(meter_pk(meter.meter_id), MonthClosed.sk.between("CLOSED#", f"CLOSED#{last}"))
    return {item.month: item for item in found}


def _month_point(month: date, total: Figures | None) -> dict[str, Any]:
    start = slot_start(month, 0).isoformat()
    if total is None:
        return {"start": start, "value": None, "peak": None, "off_peak": None, "injected": None}
    return {
        "start": start,
        "value": _number(total.consumed),
        "peak": _number(total.peak),
        "off_peak": _number(total.off_peak),
        "injected": _number(total.injected),
        "complete": total.complete,
    }


def summary(meter: Meter, year: int, today: date) -> dict[str, Any]:
    """The months of `year` (to this month), each estimated when some of its days lack readings,
    with its cost and the same month a year earlier; the year's total and the previous year's:
    one Query of ≤ 24 monthly totals, one of the meter's closes."""
    found = MonthTotal.query(
        point_pk(meter.point_id), MonthTotal.sk.between(f"MONTH#{year - 1}-01", f"MONTH#{year}-12")
    )
    totals = {total.month: total for total in found}
    closes = _closes(meter, f"{year}-12")
    active_from, closed_in = meter.active_from[:7], (meter.closed_on or "9999-12")[:7]
    months = []
    for number in range(1, 13):
        month = f"{year}-{number:02d}"
        if month > min(today.isoformat()[:7], closed_in):
            break
        if month < active_from:
            continue
        item = _summary_month(meter, month, totals, closes)
        earlier = f"{year - 1}-{number:02d}"
        item["previous_year"] = (
            _summary_month(meter, earlier, totals, closes) if active_from <= earlier <= closed_in else None
        )
        months.append(item)
    previous = [
        total
        for total in (
            own_month(meter, name, stored, with_split=False)
            for name, stored in totals.items()
            if name.startswith(f"{year - 1}-") and active_from <= name <= closed_in
        )
        if total is not None
    ]
    total = sum((Decimal(str(m["consumed"])) for m in months if m["consumed"] is not None), Decimal(0))
    previous_total = sum((Decimal(t.consumed) for t in previous), Decimal(0)) if previous else None
    resolution = RESOLUTION["month"]
    return {
        "meter_id": meter.meter_id,
        "unit": meter.unit,
        "year": year,
        "resolution": str(resolution),
        "months": months,
        "total": _number(total),
        "previous_year_total": _number(previous_total),
        "quantities": {
            "total": quantity(total, resolution),
            "previous_year_total": quantity(previous_total, resolution),
        },
        "total_cost": costs.added(m["cost"] for m in months),
    }


def _summary_month(
    meter: Meter, month: str, totals: dict[str, MonthTotal], closes: dict[str, MonthClosed]
) -> dict[str, Any]:
    total = own_month(meter, month, totals.get(month))
    item: dict[str, Any] = {
        "month": month,
        "consumed": None,
        "peak": None,
        "off_peak": None,
        "injected": None,
        "estimated": False,
    }
    if total is not None:
        item.update(
            consumed=_number(total.consumed),
            peak=_number(total.peak),
            off_peak=_number(total.off_peak),
            injected=_number(total.injected),
            # some half-hours are still missing: the grid operator will send them (or estimate them)
            estimated=not total.complete,
        )
    item["quantities"] = {
        name: quantity(item[name], RESOLUTION["month"])
        for name in ("consumed", "peak", "off_peak", "injected")
    }
    item["cost"] = costs.month(meter, month, total, closes)
    return item


def export_csv(meter: Meter, first: date, last: date) -> str:
    """The half-hours of the period as CSV (the meter's own format, with local times)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    unit = meter.unit
    columns = ["start", "end", f"consumption_{unit}"]
    if meter.has_production:
        columns.append(f"injection_{unit}")
    if meter.kind == "electricity":
        columns.append("period")
    writer.writerow(columns)
    buckets = _days(meter, first, last)
    for day in _each_day(first, last) if last >= first else ():
        bucket = buckets.get(day)
        if bucket is None:
            continue
        count = int(bucket.slots)
        consumption = decode(bucket.consumption, count)
        injection = decode(bucket.injection, count)
        tariff = tariffs.in_force(meter, day)
        off_peak = off_peak_slots(day, tariff.hours if tariff else "")
        for index in range(count):
            if consumption[index] is None and injection[index] is None:
                continue
            row = [slot_start(day, index).isoformat(), _end(day, index, count), _cell(consumption[index])]
            if meter.has_production:
                row.append(_cell(injection[index]))
            if tariff is not None:
                row.append(
                    ("off_peak" if off_peak[index] else "peak") if tariff.option == "off_peak" else "base"
                )
            writer.writerow(row)
    return out.getvalue()


def _end(day: date, index: int, count: int) -> str:
    return (
        slot_start(day + timedelta(days=1), 0) if index + 1 == count else slot_start(day, index + 1)
    ).isoformat()


def _cell(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")
