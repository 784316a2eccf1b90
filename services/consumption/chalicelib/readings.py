"""Meter readings: CSV files in, day buckets and monthly totals out.

A CSV row is `meter_id,start,value[,direction]`: `start` an ISO 8601 time with its offset, on a
half-hour; `value` the meter's reading for that half-hour in its unit (kWh for electricity);
`direction` `consumption` (default) or `injection`. Readings land in day buckets — one item per
meter per local day, its half-hours as one compact string (46, 48 or 50 of them on the days
the clocks change) — then each touched month's total is computed again from its day buckets.

Ingesting is idempotent twice over: a file already counted (same SHA-256) is not read again,
and a reading sets its half-hour rather than adding to it, so the same reading from another
file changes nothing. A bad row is rejected with its line number in the file's report and
never stops the good rows; nothing is dropped without being reported. A file with rejected
rows is not counted as done, so it can be fed again once mended (or once its meter exists).
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import io
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist, PutError

from .models import DayBucket, IngestedFile, Meter, MonthTotal, meter_pk
from .settings import settings

logger = Logger(child=True)

HALF_HOUR = timedelta(minutes=30)
PRECISION = Decimal("0.001")  # readings are kept to the watt-hour
MAX_READING = Decimal(100_000)  # a half-hour beyond this is a unit mistake, not a reading
MAX_ROWS = 2_000_000
DIRECTIONS = ("consumption", "injection")
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # the days this service keeps readings of
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_RETRIES = 20


# ---- time: local days of half-hours --------------------------------------------------------


def day_start(day: date) -> datetime:
    """The UTC instant at which `day` starts in the service's time zone."""
    return datetime(day.year, day.month, day.day, tzinfo=settings.timezone).astimezone(UTC)


def slots_in(day: date) -> int:
    return int((day_start(day + timedelta(days=1)) - day_start(day)) / HALF_HOUR)


def slot_of(start: datetime) -> tuple[date, int]:
    """The local day and the index of the half-hour starting at `start` (aware)."""
    local = start.astimezone(settings.timezone)
    day = local.date()
    offset = start.astimezone(UTC) - day_start(day)
    if offset % HALF_HOUR:
        raise ValueError("start must be on the hour or the half-hour")
    return day, int(offset / HALF_HOUR)


def slot_start(day: date, index: int) -> datetime:
    """The local (aware) time at which half-hour `index` of `day` starts."""
    return (day_start(day) + index * HALF_HOUR).astimezone(settings.timezone)


def off_peak_slots(day: date, meter: Meter) -> list[bool]:
    """Which half-hours of `day` are off-peak for this meter (none on the base option)."""
    count = slots_in(day)
    if meter.tariff_option != "off_peak" or not meter.off_peak_hours:
        return [False] * count
    ranges = [(_minutes(hours["start"]), _minutes(hours["end"])) for hours in meter.off_peak_hours]
    flags = []
    for index in range(count):
        local = slot_start(day, index)
        minute = local.hour * 60 + local.minute
        flags.append(any(_within(minute, start, end) for start, end in ranges))
    return flags


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _within(minute: int, start: int, end: int) -> bool:
    return start <= minute < end if start < end else minute >= start or minute < end


# ---- day buckets ---------------------------------------------------------------------------


def encode(values: list[Decimal | None]) -> str:
    return ",".join("" if value is None else format(value.normalize(), "f") for value in values)


def decode(text: str | None, count: int) -> list[Decimal | None]:
    if not text:
        return [None] * count
    values = [Decimal(part) if part else None for part in text.split(",")]
    return (values + [None] * count)[:count]


def month_days(month: str) -> int:
    year, number = (int(part) for part in month.split("-"))
    return calendar.monthrange(year, number)[1]


@dataclass
class DayReadings:
    consumption: dict[int, Decimal] = field(default_factory=dict)
    injection: dict[int, Decimal] = field(default_factory=dict)


def apply(meter: Meter, day: date, readings: DayReadings) -> None:
    """Set these half-hours of the meter's day bucket; concurrent writers retry (versioned item)."""
    count = slots_in(day)
    off_peak = off_peak_slots(day, meter)
    for attempt in range(_RETRIES):
        try:
            bucket = DayBucket.get(meter_pk(meter.meter_id), f"DAY#{day.isoformat()}", consistent_read=True)
        except DoesNotExist:
            bucket = DayBucket(meter_pk(meter.meter_id), f"DAY#{day.isoformat()}", day=day.isoformat())
        consumption = decode(bucket.consumption if bucket.version else None, count)
        injection = decode(bucket.injection if bucket.version else None, count)
        for index, value in readings.consumption.items():
            consumption[index] = value
        for index, value in readings.injection.items():
            injection[index] = value
        peak = sum(
            (v for v, off in zip(consumption, off_peak, strict=True) if v is not None and not off), Decimal(0)
        )
        low = sum(
            (v for v, off in zip(consumption, off_peak, strict=True) if v is not None and off), Decimal(0)
        )
        bucket.slots = count
        bucket.consumption = encode(consumption)
        bucket.injection = encode(injection) if any(value is not None for value in injection) else None
        bucket.consumed = decimal_text(peak + low)
        bucket.peak = decimal_text(peak)
        bucket.off_peak = decimal_text(low)
        bucket.injected = decimal_text(sum((value for value in injection if value is not None), Decimal(0)))
        bucket.readings = sum(value is not None for value in consumption)
        try:
            bucket.save()
            return
        except PutError:
            time.sleep(0.002 * (attempt + 1))  # another file wrote this day meanwhile: merge again
    raise RuntimeError(f"day {day} of meter {meter.meter_id} is too busy")


def recount_month(meter_id: str, month: str) -> MonthTotal:
    """The month's total, computed again from its day buckets (one Query of ≤ 31 items).

    The month item is read before its days and written on the condition that nobody wrote it
    in between, so a total computed from days another writer had not finished is retried.
    """
    pk = meter_pk(meter_id)
    for attempt in range(_RETRIES):
        try:
            current = MonthTotal.get(pk, f"MONTH#{month}", consistent_read=True)
            revision = int(current.revision)
        except DoesNotExist:
            revision = -1
        days = list(
            DayBucket.query(
                pk, DayBucket.sk.between(f"DAY#{month}-01", f"DAY#{month}-31"), consistent_read=True
            )
        )
        total = _summed(meter_id, month, days, month_days(month))
        total.revision = revision + 1
        condition = MonthTotal.pk.does_not_exist() if revision < 0 else MonthTotal.revision == revision
        try:
            total.save(condition=condition)
            return total
        except PutError:
            time.sleep(0.002 * (attempt + 1))
    raise RuntimeError(f"month {month} of meter {meter_id} is too busy")


def _summed(meter_id: str, month: str, days: list[DayBucket], days_in_month: int) -> MonthTotal:
    return MonthTotal(
        meter_pk(meter_id),
        f"MONTH#{month}",
        month=month,
        consumed=decimal_text(sum((Decimal(day.consumed) for day in days), Decimal(0))),
        peak=decimal_text(sum((Decimal(day.peak) for day in days), Decimal(0))),
        off_peak=decimal_text(sum((Decimal(day.off_peak) for day in days), Decimal(0))),
        injected=decimal_text(sum((Decimal(day.injected) for day in days), Decimal(0))),
        days_with_readings=sum(1 for day in days if int(day.readings) == int(day.slots)),
        days_in_month=days_in_month,
    )


def own_days(meter: Meter, month: str) -> tuple[date, date]:
    """The days of `month` that are the meter's own: from its subscription's start to its end."""
    first = max(date.fromisoformat(f"{month}-01"), date.fromisoformat(meter.active_from))
    last = date.fromisoformat(f"{month}-{month_days(month):02d}")
    if meter.closed_on:
        last = min(last, date.fromisoformat(meter.closed_on))
    return first, last


def own_month_total(meter: Meter, month: str, stored: MonthTotal | None) -> MonthTotal | None:
    """The month's total as the meter's customer sees it and is billed it: the `stored` total,
    unless the subscription started or ended during the month. The stored total then also holds
    the days of the home's other occupant, and the meter's own days are added up instead (one
    Query of ≤ 31 day buckets); its `days_in_month` are the meter's own days."""
    first, last = own_days(meter, month)
    if first.day == 1 and last.day == month_days(month):
        return stored
    if last < first:
        return None
    days = list(
        DayBucket.query(
            meter_pk(meter.meter_id),
            DayBucket.sk.between(f"DAY#{first.isoformat()}", f"DAY#{last.isoformat()}"),
        )
    )
    return _summed(meter.meter_id, month, days, (last - first).days + 1) if days else None


def decimal_text(value: Decimal) -> str:
    return format(value.quantize(PRECISION, rounding=ROUND_HALF_UP).normalize(), "f")


# ---- CSV files -----------------------------------------------------------------------------


@dataclass
class Report:
    file: str
    sha256: str
    status: str = "ingested"
    rows: int = 0
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, line: int, error: str) -> None:
        self.rejected.append({"line": line, "error": error})

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "status": self.status,
            "rows": self.rows,
            "accepted": self.accepted,
            "rejected": self.rejected,
        }


def ingest(key: str, content: bytes, *, now: datetime) -> Report:
    """Read one CSV file of readings into the day buckets and monthly totals; its report."""
    digest = hashlib.sha256(content).hexdigest()
    report = Report(file=key, sha256=digest)
    try:
        counted = IngestedFile.get(f"FILE#{digest}", "FILE")
    except DoesNotExist:
        pass
    else:
        report.status, report.rows, report.accepted = (
            "already_ingested",
            int(counted.rows),
            int(counted.accepted),
        )
        return report
    meters: dict[str, Meter | None] = {}
    grouped = _parse(content, report, meters)
    months: set[tuple[str, str]] = set()
    for (meter_id, day), readings in sorted(grouped.items()):
        meter = meters[meter_id]
        assert meter is not None  # only known meters' rows are grouped
        apply(meter, day, readings)
        months.add((meter_id, day.isoformat()[:7]))
    for meter_id, month in sorted(months):
        recount_month(meter_id, month)
    if report.rejected:
        # not counted as done: once its meter exists or its rows are mended, the same file can be
        # fed again (its good rows set the same half-hours again, which changes nothing)
        _log_rejected(report)
        return report
    try:
        IngestedFile(
            f"FILE#{digest}",
            "FILE",
            key=key,
            rows=report.rows,
            accepted=report.accepted,
            rejected=len(report.rejected),
            at=now,
        ).save(condition=IngestedFile.pk.does_not_exist())
    except PutError:
        pass  # counted by a concurrent delivery of the same file: its readings are the same
    logger.info(
        "meter readings ingested", extra={"file": key, "rows": report.rows, "accepted": report.accepted}
    )
    return report


def _log_rejected(report: Report) -> None:
    logger.warning(
        "meter readings ingested, some rows rejected",
        extra={
            "file": report.file,
            "rows": report.rows,
            "accepted": report.accepted,
            "rejected": len(report.rejected),
            "first_rejected_lines": [row["line"] for row in report.rejected[:20]],
        },
    )


def _parse(
    content: bytes, report: Report, meters: dict[str, Meter | None]
) -> dict[tuple[str, date], DayReadings]:
    """The file's good rows grouped by meter and day; each bad row rejected in the report.
    `meters` caches the meters named (None: unknown)."""
    grouped: dict[tuple[str, date], DayReadings] = defaultdict(DayReadings)
    seen: dict[tuple[str, str, date, int], tuple[int, Decimal]] = {}
    # bytes that are not UTF-8 become lone surrogates: only the rows holding them are refused
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig", errors="surrogateescape")))
    while True:
        line = reader.line_num + 1  # where the next row starts
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            report.rows += 1
            limit = csv.field_size_limit()
            report.reject(line, f"this line is not a CSV row (a field of over {limit} characters?)")
            continue
        if not row or all(not cell.strip() for cell in row):
            continue
        if line == 1 and row[0].strip().lower() == "meter_id":
            continue  # a header
        report.rows += 1
        if report.rows > MAX_ROWS:
            report.reject(line, f"the file has more than {MAX_ROWS} rows: the rest is not read")
            break
        if reader.line_num > line:
            # a quote left open swallows the lines after it: say which, rather than lose them
            problem: str | None = (
                f"a quote opened here is not closed: lines {line} to {reader.line_num} read as one row"
            )
        elif any(_NOT_UTF8.search(cell) for cell in row):
            problem = "this line is not UTF-8 text"
        else:
            problem = _row(row, line, grouped, seen, meters)
        if problem:
            report.reject(line, problem)
        else:
            report.accepted += 1
    return grouped


def _row(
    row: list[str],
    line: int,
    grouped: dict[tuple[str, date], DayReadings],
    seen: dict[tuple[str, str, date, int], tuple[int, Decimal]],
    meters: dict[str, Meter | None],
) -> str | None:
    if len(row) not in (3, 4):
        return "expected meter_id,start,value[,direction]"
    meter_id, raw_start, raw_value = (cell.strip() for cell in row[:3])
    direction = row[3].strip().lower() if len(row) == 4 and row[3].strip() else "consumption"
    if direction not in DIRECTIONS:
        return "direction must be consumption or injection"
    meter = _meter(meter_id, meters)
    if meter is None:
        return f"unknown meter {meter_id[:64]!r}"
    try:
        start = datetime.fromisoformat(raw_start)
    except ValueError:
        return "start must be an ISO 8601 time with its offset, e.g. 2026-11-02T14:30:00+01:00"
    if start.tzinfo is None:
        return "start must give its offset (e.g. +01:00 or Z)"
    try:
        value = Decimal(raw_value)
    except InvalidOperation:
        return f"value must be a number in {meter.unit}"
    if not value.is_finite() or value < 0 or value > MAX_READING:
        return f"value must be a number of {meter.unit} from 0 to {MAX_READING}"
    if direction == "injection" and not meter.has_production:
        return "this meter does not inject: an injection reading is refused"
    try:
        day, index = slot_of(start)
    except (ValueError, OverflowError) as error:
        return str(error) if isinstance(error, ValueError) else "start is out of range"
    if not FIRST_DAY <= day <= LAST_DAY:
        return f"start is out of range ({FIRST_DAY.year} to {LAST_DAY.year})"
    value = value.quantize(PRECISION, rounding=ROUND_HALF_UP)
    earlier = seen.get((meter_id, direction, day, index))
    if earlier is not None and earlier[1] != value:
        return f"line {earlier[0]} gives this half-hour another value"
    seen[(meter_id, direction, day, index)] = (line, value)
    readings = grouped[(meter_id, day)]
    (readings.injection if direction == "injection" else readings.consumption)[index] = value
    return None


def _meter(meter_id: str, meters: dict[str, Meter | None]) -> Meter | None:
    if not meter_id or len(meter_id) > 64:
        return None
    if meter_id not in meters:
        try:
            meters[meter_id] = Meter.get(meter_pk(meter_id), "METER")
        except DoesNotExist:
            meters[meter_id] = None
    return meters[meter_id]
