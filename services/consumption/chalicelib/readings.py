"""Meter readings: CSV files (or batches of JSON items over the API, chalicelib/batches.py) in,
day buckets and monthly totals out.

A CSV row is `meter_id,start,value[,direction]`: `meter_id` names the point of delivery (an
electricity PDL, or the meter id of a meter without one; a mobile line's allowance meter);
`start` an ISO 8601 time with its offset, on a half-hour; `value` the reading for that half-hour
in the point's unit (kWh for electricity); `direction` `consumption` (default) or `injection`.
Readings belong to the point, whichever meter (occupant) it had that day: they land in day
buckets — one item per point per local day, its half-hours as one compact string (46, 48 or 50
of them on the days the clocks change) — then each touched month's total is computed again from
its day buckets. Each meter of the point shows and bills only its own days of them.

A file's rows and a batch's items are checked by one function (`take`) and stored by one
(`store`). Ingesting is idempotent twice over: a file already counted (same SHA-256) is not read again,
and a reading sets its half-hour rather than adding to it, so the same reading from another
file changes nothing. A bad row is rejected with its line number in the file's report and
never stops the good rows; nothing is dropped without being reported. A file with rejected
rows is not counted as done, so it can be fed again once mended (or once its meter exists).

Readings of a month already closed are billed at the meter's next close as a complement
(chalicelib/complements.py): each file marks the months it touched for the meters of those days.
French energy law bills no consumption older than 14 months before the point's last reading:
such rows are stored for the history, never billed, and the file's report lists them
(`beyond_billing_limit`).
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import io
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from dateutil.relativedelta import relativedelta
from guichet_contracts import observability
from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist, PutError

from . import meters as meter_records
from . import tariffs
from .models import DayBucket, IngestedFile, LateReadings, Meter, MonthTotal, meter_pk, point_pk
from .settings import settings

logger = Logger(child=True)

HALF_HOUR = timedelta(minutes=30)
PRECISION = Decimal("0.001")  # readings are kept to the watt-hour
MAX_READING = Decimal(100_000)  # a half-hour beyond this is a unit mistake, not a reading
MAX_ROWS = 2_000_000
DIRECTIONS = ("consumption", "injection")
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # the days this service keeps readings of
BILLABLE_MONTHS = 14  # no consumption older than this before the last reading is billed
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


@lru_cache(maxsize=2048)
def off_peak_slots(day: date, hours: str) -> tuple[bool, ...]:
    """Which half-hours of `day` are off-peak with these off-peak hours ("22:00-06:00,…"; none
    when empty, as on the base option)."""
    count = slots_in(day)
    if not hours:
        return (False,) * count
    ranges = []
    for part in hours.split(","):
        start, end = part.split("-")
        ranges.append((_minutes(start), _minutes(end)))
    flags = []
    for index in range(count):
        local = slot_start(day, index)
        minute = local.hour * 60 + local.minute
        flags.append(any(_within(minute, start, end) for start, end in ranges))
    return tuple(flags)


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
    lines: list[list[int]] = field(default_factory=list)  # the file's lines of this day: [first, last] runs

    def read_at(self, line: int) -> None:
        if self.lines and self.lines[-1][1] == line - 1:
            self.lines[-1][1] = line
        else:
            self.lines.append([line, line])


def split(bucket: DayBucket, hours: str) -> tuple[Decimal, Decimal, Decimal]:
    """The day's (consumed, peak, off-peak) with these off-peak hours: as stored when the bucket
    was split with them, else split again from its half-hours."""
    consumed = Decimal(bucket.consumed)
    if (bucket.hours or "") == hours:
        return consumed, Decimal(bucket.peak), Decimal(bucket.off_peak)
    values = decode(bucket.consumption, int(bucket.slots))
    flags = off_peak_slots(bucket_day(bucket), hours)
    low = sum((value for value, off in zip(values, flags, strict=True) if value and off), Decimal(0))
    return consumed, consumed - low, low


def bucket_day(bucket: DayBucket) -> date:
    return date.fromisoformat(bucket.day)


def apply(point_id: str, day: date, readings: DayReadings, hours: str) -> set[tuple[str, int]]:
    """Set these half-hours of the point's day bucket, split into peak and off-peak with the
    off-peak hours of that day's occupant; concurrent writers retry (versioned item). The
    (direction, half-hour) of these readings that the bucket held already, with the same value:
    a bucket they all were already leaves untouched."""
    count = slots_in(day)
    off_peak = off_peak_slots(day, hours)
    for attempt in range(_RETRIES):
        try:
            bucket = DayBucket.get(point_pk(point_id), f"DAY#{day.isoformat()}", consistent_read=True)
        except DoesNotExist:
            bucket = DayBucket(point_pk(point_id), f"DAY#{day.isoformat()}", day=day.isoformat())
        consumption = decode(bucket.consumption if bucket.version else None, count)
        injection = decode(bucket.injection if bucket.version else None, count)
        held = {
            (direction, index)
            for direction, given, stored in (
                ("consumption", readings.consumption, consumption),
                ("injection", readings.injection, injection),
            )
            for index, value in given.items()
            if stored[index] == value
        }
        unchanged = len(held) == len(readings.consumption) + len(readings.injection)
        if unchanged and bucket.version and (bucket.hours or "") == hours and int(bucket.slots) == count:
            return held  # nothing to change: the same readings, split the same way
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
        bucket.hours = hours
        bucket.injected = decimal_text(sum((value for value in injection if value is not None), Decimal(0)))
        bucket.readings = sum(value is not None for value in consumption)
        try:
            bucket.save()
            return held
        except PutError:
            time.sleep(0.002 * (attempt + 1))  # another file wrote this day meanwhile: merge again
    raise RuntimeError(f"day {day} of point {point_id} is too busy")


def recount_month(point_id: str, month: str) -> MonthTotal:
    """The point's month, computed again from its day buckets (one Query of ≤ 31 items).

    The month item is read before its days and written on the condition that nobody wrote it
    in between, so a total computed from days another writer had not finished is retried.
    """
    pk = point_pk(point_id)
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
        hours = {bucket.hours or "" for bucket in days}
        total = MonthTotal(
            pk,
            f"MONTH#{month}",
            month=month,
            consumed=decimal_text(sum((Decimal(day.consumed) for day in days), Decimal(0))),
            peak=decimal_text(sum((Decimal(day.peak) for day in days), Decimal(0))),
            off_peak=decimal_text(sum((Decimal(day.off_peak) for day in days), Decimal(0))),
            hours=hours.pop() if len(hours) == 1 else None,
            injected=decimal_text(sum((Decimal(day.injected) for day in days), Decimal(0))),
            days_with_readings=sum(1 for day in days if int(day.readings) == int(day.slots)),
            days_in_month=month_days(month),
        )
        if revision >= 0 and _same_total(current, total):
            return current  # the days add up as before (the same readings fed again): no write
        total.revision = revision + 1
        condition = MonthTotal.pk.does_not_exist() if revision < 0 else MonthTotal.revision == revision
        try:
            total.save(condition=condition)
            return total
        except PutError:
            time.sleep(0.002 * (attempt + 1))
    raise RuntimeError(f"month {month} of point {point_id} is too busy")


def _same_total(stored: MonthTotal, computed: MonthTotal) -> bool:
    names = ("consumed", "peak", "off_peak", "hours", "injected", "days_with_readings", "days_in_month")
    return all(str(getattr(stored, name)) == str(getattr(computed, name)) for name in names)


# ---- what a meter reads of its point ------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """A meter's kWh (or GB, min…) over some of its own days."""

    consumed: Decimal
    peak: Decimal
    off_peak: Decimal
    injected: Decimal
    days_with_readings: int  # days read in full
    days: int

    @property
    def complete(self) -> bool:
        return self.days_with_readings >= self.days

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.consumed + other.consumed,
            self.peak + other.peak,
            self.off_peak + other.off_peak,
            self.injected + other.injected,
            self.days_with_readings + other.days_with_readings,
            self.days + other.days,
        )


NOTHING = Figures(Decimal(0), Decimal(0), Decimal(0), Decimal(0), 0, 0)


def by_day(meter: Meter, first: date, last: date) -> dict[date, Figures]:
    """The meter's figures of each day of [first, last] read (one Query of the point's day
    buckets), split with the off-peak hours of its tariff that day. The caller narrows the days
    to the meter's own."""
    if last < first:
        return {}
    found = DayBucket.query(
        point_pk(meter.point_id),
        DayBucket.sk.between(f"DAY#{first.isoformat()}", f"DAY#{last.isoformat()}"),
    )
    days = {}
    for bucket in found:
        day = bucket_day(bucket)
        consumed, peak, low = split(bucket, tariffs.hours_on(meter, day))
        complete = int(bucket.readings) == int(bucket.slots)
        days[day] = Figures(consumed, peak, low, Decimal(bucket.injected), int(complete), 1)
    return days


def own_days(meter: Meter, month: str) -> tuple[date, date]:
    """The days of `month` that are the meter's own: from its subscription's start to its end."""
    return meter_records.own_days(
        meter, date.fromisoformat(f"{month}-01"), date.fromisoformat(f"{month}-{month_days(month):02d}")
    )


def _one_hours(meter: Meter, first: date, last: date) -> str | None:
    """The off-peak hours of every day of [first, last], or None when the tariff changes within."""
    hours = tariffs.hours_on(meter, first)
    changes = [tariff for tariff in tariffs.history(meter) if first < tariff.effective_on <= last]
    return None if any(tariff.hours != hours for tariff in changes) else hours


def own_month(
    meter: Meter, month: str, stored: MonthTotal | None, *, with_split: bool = True
) -> Figures | None:
    """The month as the meter's customer sees it: its own days of the point's month. The point's
    `stored` total when the meter held the point all month and it was split with the meter's
    hours (or the split does not matter: not `with_split`), else its own days added up (one
    Query of ≤ 31 day buckets); None: not its month, or nothing read."""
    first, last = own_days(meter, month)
    if last < first:
        return None
    whole = first.day == 1 and last.day == month_days(month)
    hours = _one_hours(meter, first, last)
    same_split = not with_split or (
        hours is not None and stored is not None and (stored.hours or "") == hours
    )
    if whole and stored is not None and same_split:
        return Figures(
            Decimal(stored.consumed),
            Decimal(stored.peak),
            Decimal(stored.off_peak),
            Decimal(stored.injected),
            int(stored.days_with_readings),
            int(stored.days_in_month),
        )
    if whole and stored is None:
        return None
    days = by_day(meter, first, last)
    if not days:
        return None
    total = sum(days.values(), NOTHING)
    return Figures(
        total.consumed,
        total.peak,
        total.off_peak,
        total.injected,
        total.days_with_readings,
        (last - first).days + 1,
    )


def decimal_text(value: Decimal) -> str:
    return format(value.quantize(PRECISION, rounding=ROUND_HALF_UP).normalize(), "f")


# ---- what a point received ---------------------------------------------------------------

MAX_RECEIVED_DAYS = 31  # what the provider checks at once: a month


def received(point_id: str, first: date, last: date) -> dict[str, Any] | None:
    """The half-hours a point holds over the days [first, last], by file or by batch, as decimal
    text (one Query of ≤ 31 day buckets); None for a point no meter reads."""
    meters = _meters_of(point_id, {})
    if not meters:
        return None
    items = []
    found = DayBucket.query(
        point_pk(point_id), DayBucket.sk.between(f"DAY#{first.isoformat()}", f"DAY#{last.isoformat()}")
    )
    for bucket in found:
        day, count = bucket_day(bucket), int(bucket.slots)
        consumption, injection = decode(bucket.consumption, count), decode(bucket.injection, count)
        for index, (drawn, injected) in enumerate(zip(consumption, injection, strict=True)):
            if drawn is None and injected is None:
                continue
            items.append(
                {
                    "start": slot_start(day, index).isoformat(),
                    "consumption": None if drawn is None else decimal_text(drawn),
                    "injection": None if injected is None else decimal_text(injected),
                }
            )
    return {
        "meter_id": point_id,
        "unit": meters[-1].unit,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "items": items,
    }


# ---- CSV files -----------------------------------------------------------------------------


@dataclass
class Report:
    file: str
    sha256: str
    status: str = "ingested"
    rows: int = 0
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    # accepted rows older than 14 months before their point's last reading: kept, never billed
    beyond_billing_limit: list[dict[str, Any]] = field(default_factory=list)

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
            "beyond_billing_limit": self.beyond_billing_limit,
        }


Points = dict[str, list[Meter]]  # the points a file names, with their meters (none: unknown)


def ingest(key: str, content: bytes, *, now: datetime) -> Report:
    """Read one CSV file of readings into the day buckets and monthly totals; its report."""
    digest = hashlib.sha256(content).hexdigest()
    report = Report(file=key, sha256=digest)
    counted = already_counted(f"FILE#{digest}")
    if counted is not None:
        report.status, report.rows, report.accepted = (
            "already_ingested",
            int(counted.rows),
            int(counted.accepted),
        )
        return report
    points: Points = {}
    grouped = _parse(content, report, points, now)
    store(grouped, points)
    report.beyond_billing_limit = beyond_billing_limit(grouped)
    if report.rejected:
        # not counted as done: once its meter exists or its rows are mended, the same file can be
        # fed again (its good rows set the same half-hours again, which changes nothing)
        _log_rejected(report)
        observability.count("MeterRowsRejected", len(report.rejected))
        return report
    count_done(f"FILE#{digest}", key=key, rows=report.rows, accepted=report.accepted, now=now)
    logger.info(
        "meter readings ingested", extra={"file": key, "rows": report.rows, "accepted": report.accepted}
    )
    return report


Held = dict[tuple[str, date], set[tuple[str, int]]]  # per point and day: the slots read already


def store(grouped: dict[tuple[str, date], DayReadings], points: Points) -> Held:
    """Set the readings of a file or of a batch in their points' day buckets, count each touched
    month again and mark it for its meters' closes (late readings); what the buckets held already."""
    held: Held = {}
    months: set[tuple[str, str]] = set()
    for (point_id, day), readings in sorted(grouped.items()):
        held[(point_id, day)] = apply(point_id, day, readings, _hours_of(points[point_id], day))
        months.add((point_id, day.isoformat()[:7]))
    for point_id, month in sorted(months):
        recount_month(point_id, month)
    _mark_late(points, months)
    return held


def already_counted(pk: str) -> IngestedFile | None:
    """The record of a file (or a batch) whose every reading was taken, by its SHA-256."""
    try:
        return IngestedFile.get(pk, "FILE")
    except DoesNotExist:
        return None


def count_done(pk: str, *, key: str, rows: int, accepted: int, now: datetime) -> None:
    """Record a file (or a batch) as done: fed again, it is answered from this record."""
    try:
        IngestedFile(pk, "FILE", key=key, rows=rows, accepted=accepted, rejected=0, at=now).save(
            condition=IngestedFile.pk.does_not_exist()
        )
    except PutError:
        pass  # counted by a concurrent delivery of the same content: its readings are the same


def occupant(meters: list[Meter], day: date) -> Meter | None:
    """The meter whose own day `day` is (the latest started, should two claim it)."""
    text = day.isoformat()
    holding = [
        meter
        for meter in meters
        if meter.active_from <= text and (meter.closed_on is None or text <= meter.closed_on)
    ]
    return holding[-1] if holding else None


def _hours_of(meters: list[Meter], day: date) -> str:
    """The off-peak hours a point's day is split with: its occupant's that day."""
    meter = occupant(meters, day)
    return tariffs.hours_on(meter, day) if meter else ""


def _mark_late(points: Points, months: set[tuple[str, str]]) -> None:
    """Each electricity meter whose own days hold readings of a touched month gets that month
    marked: the close of a month already closed then bills what changed as a complement, and the
    month's own close covers the mark of a month not closed yet. Marking every month, rather
    than only the months already closed, leaves no gap for a close running meanwhile."""
    for point_id, month in sorted(months):
        for meter in points[point_id]:
            first, last = own_days(meter, month)
            if meter.kind != "electricity" or last < first:
                continue
            LateReadings(meter_pk(meter.meter_id), f"LATE#{month}").update(
                actions=[
                    LateReadings.item_type.set(LateReadings),
                    LateReadings.month.set(month),
                    LateReadings.revision.add(1),
                ]
            )
            if meter.closed_on and not meter.active_pk:
                _back_to_the_close(meter)


def _back_to_the_close(meter: Meter) -> None:
    """An ended meter whose final month was closed (it left the `active` index) has late readings:
    the next monthly close visits it again, bills them (ConsumptionCorrected) and retires it."""
    from pynamodb.exceptions import UpdateError

    from .meters import active_keys

    active_pk, active_sk = active_keys(meter.meter_id)
    try:
        meter.update(
            actions=[Meter.active_pk.set(active_pk), Meter.active_sk.set(active_sk), Meter.revision.add(1)],
            condition=Meter.active_pk.does_not_exist(),
        )
    except UpdateError:
        pass  # back already


def last_reading(point_id: str) -> date | None:
    """The last day the point has readings of (one Query)."""
    found = list(
        DayBucket.query(
            point_pk(point_id), DayBucket.sk.startswith("DAY#"), scan_index_forward=False, limit=1
        )
    )
    return bucket_day(found[0]) if found else None


def billable_from(point_id: str) -> date | None:
    """The first day of the point whose consumption may still be billed: 14 months before its
    last reading (French energy law); None without readings."""
    last = last_reading(point_id)
    return None if last is None else last - relativedelta(months=BILLABLE_MONTHS)


def beyond_billing_limit(grouped: dict[tuple[str, date], DayReadings]) -> list[dict[str, Any]]:
    """Per point, the file's rows older than 14 months before its last reading."""
    found = []
    for point_id in sorted({point for point, _ in grouped}):
        last = last_reading(point_id)
        if last is None:
            continue
        limit = last - relativedelta(months=BILLABLE_MONTHS)
        runs = sorted(
            run
            for (point, day), readings in grouped.items()
            if point == point_id and day < limit
            for run in readings.lines
        )
        if not runs:
            continue
        merged: list[list[int]] = []
        for first, last_line in runs:
            if merged and merged[-1][1] >= first - 1:
                merged[-1][1] = max(merged[-1][1], last_line)
            else:
                merged.append([first, last_line])
        found.append(
            {
                "meter_id": point_id,
                "last_reading": last.isoformat(),
                "billable_from": limit.isoformat(),
                "rows": sum(last_line - first + 1 for first, last_line in merged),
                "lines": merged,
            }
        )
    return found


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
    content: bytes, report: Report, points: Points, now: datetime
) -> dict[tuple[str, date], DayReadings]:
    """The file's good rows grouped by point and day; each bad row rejected in the report.
    `points` caches the points named with their meters."""
    grouped: dict[tuple[str, date], DayReadings] = defaultdict(DayReadings)
    seen: Seen = {}
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
        elif len(row) not in (3, 4):
            problem = "expected meter_id,start,value[,direction]"
        else:
            cells = (row[0], row[1], row[2], row[3] if len(row) == 4 else "")
            taken = take(cells, line, grouped, seen, points, now)
            problem = str(taken) if isinstance(taken, Problem) else None
        if problem:
            report.reject(line, problem)
        else:
            report.accepted += 1
    return grouped


@dataclass(frozen=True)
class Problem:
    """Why a reading (a file's row, a batch's item) is refused: its field and what is wrong, in
    the API's words."""

    field: str
    phrase: Phrase

    def __str__(self) -> str:  # a file's report says it in English
        return f"{self.field}: {self.phrase}"


Slot = tuple[str, date, str, int]  # a reading's point, day, direction and half-hour
Seen = dict[Slot, tuple[int, Decimal]]  # each slot read so far: where (a line, an item) and its value


def take(
    fields: tuple[str, str, str, str],
    position: int,
    grouped: dict[tuple[str, date], DayReadings],
    seen: Seen,
    points: Points,
    now: datetime,
    *,
    conflict: Callable[[int], Phrase] = lambda line: Phrase("field.reading_conflict_line", line=line),
) -> Slot | Problem:
    """Check one reading (`meter_id, start, value, direction` as texts; direction empty for
    consumption) as a file's row or a batch's item gives it, at `position` (its line, its index),
    and group it with the others of its point and day; its slot, or why it is refused.
    `conflict` says where the reading of the same slot with another value is (its line, its item)."""
    raw_point, raw_start, raw_value, raw_direction = (cell.strip() for cell in fields)
    point_id = raw_point
    direction = raw_direction.lower() or "consumption"
    if direction not in DIRECTIONS:
        return Problem("direction", Phrase("field.one_of", allowed=", ".join(DIRECTIONS)))
    meters = _meters_of(point_id, points)
    if not meters:
        return Problem("meter_id", Phrase("field.unknown_meter"))
    unit = meters[-1].unit
    try:
        start = datetime.fromisoformat(raw_start)
    except ValueError:
        return Problem("start", Phrase("field.reading_start"))
    if start.tzinfo is None:
        return Problem("start", Phrase("field.offset"))
    try:
        value = Decimal(raw_value)
    except InvalidOperation:
        return Problem("value", Phrase("field.number"))
    if not value.is_finite() or value < 0 or value > MAX_READING:
        return Problem("value", Phrase("field.reading_value", unit=unit, maximum=MAX_READING))
    if direction == "injection" and not any(meter.has_production for meter in meters):
        return Problem("direction", Phrase("field.no_injection"))
    years = Phrase("field.reading_years", first=FIRST_DAY.year, last=LAST_DAY.year)
    try:
        day, index = slot_of(start)
    except ValueError:
        return Problem("start", Phrase("field.half_hour"))
    except OverflowError:
        return Problem("start", years)
    if not FIRST_DAY <= day <= LAST_DAY:
        return Problem("start", years)
    if day > now.astimezone(settings.timezone).date():
        # a file may hold the day under way (clocks differ a little), never a later day
        return Problem("start", Phrase("field.reading_future", day=day.isoformat()))
    value = value.quantize(PRECISION, rounding=ROUND_HALF_UP)
    slot = (point_id, day, direction, index)
    earlier = seen.get(slot)
    if earlier is not None and earlier[1] != value:
        return Problem("start", conflict(earlier[0]))
    seen[slot] = (position, value)
    readings = grouped[(point_id, day)]
    (readings.injection if direction == "injection" else readings.consumption)[index] = value
    readings.read_at(position)
    return slot


def _meters_of(point_id: str, points: Points) -> list[Meter]:
    if not point_id or len(point_id) > 64:
        return []
    if point_id not in points:
        points[point_id] = meter_records.of_point(point_id)
    return points[point_id]
