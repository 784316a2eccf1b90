"""Demo consumption of the local run (API.md "Local run"). Never packaged: it lives outside chalicelib.

The meters come from the SubscriptionActivated events of the subscriptions demo (the local
runtime loads it first and waits for its events). Each electricity meter's PDL gets half-hourly
readings from its subscription's start to yesterday — a household or workshop profile with
winter heating, and solar injection for the producers — and its past months are closed as the
monthly job would have closed them, without telling the invoices service again (its own demo
already holds those invoices). A mobile line gets its current allowance period's data, calls and
texts (from its billing day), its past periods counted as closed by the daily job.
Loading twice changes nothing.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from chalicelib import closing, lines, readings, tariffs
from chalicelib.models import DayBucket, JobRun, Meter, point_pk

# meter offer -> (typical kWh per day in January, in July, solar peak kWh per half-hour in June)
PROFILES = {
    "virtual_storage": (22.0, 9.0, 1.6),
    "surplus_resale": (16.0, 7.0, 2.2),
    "green": (60.0, 38.0, 0.0),
}
DEFAULT_PROFILE = (14.0, 7.0, 0.0)
MOBILE_PER_DAY = {"GB": 1.1, "min": 14.0, "sms": 6.0}


def load(now: datetime) -> list[dict[str, str]]:
    today = closing.local_day(now)
    meters = list(Meter.scan())  # demo data only: a few meters in a local table
    for meter in meters:
        if any(DayBucket.query(point_pk(meter.point_id), DayBucket.sk.startswith("DAY#"), limit=1)):
            continue  # already loaded
        if meter.kind == "electricity":
            _electricity(meter, today, now)
        elif meter.kind == "mobile":
            _mobile(meter, today)
    last_month = closing.previous_month(today)
    try:
        JobRun.get("JOB#close_month", "JOB")
    except JobRun.DoesNotExist:
        JobRun("JOB#close_month", "JOB", covered_until=last_month).save()
    return []


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _electricity(meter: Meter, today: date, now: datetime) -> None:
    winter, summer, solar_peak = PROFILES.get(meter.offer or "", DEFAULT_PROFILE)
    chance = random.Random(meter.point_id)  # noqa: S311 (demo figures, the same at every load)
    first = date.fromisoformat(meter.active_from)
    buckets = []
    months: set[str] = set()
    for day in _days(first, today - timedelta(days=1)):
        season = (1 + math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365)) / 2  # 1 in January
        daily = summer + (winter - summer) * season
        count = readings.slots_in(day)
        consumption: list[Decimal | None] = []
        injection: list[Decimal | None] = []
        for index in range(count):
            local = readings.slot_start(day, index)
            hour = local.hour + local.minute / 60
            shape = 0.6 + 0.9 * math.exp(-((hour - 8) ** 2) / 3) + 1.3 * math.exp(-((hour - 19.5) ** 2) / 4)
            value = daily / 48 * shape / 1.05 * chance.uniform(0.75, 1.25)
            consumption.append(Decimal(str(round(value, 3))))
            if solar_peak:
                sun = max(0.0, math.cos(math.pi * (hour - 13.5) / 10)) ** 2 * (1 - 0.7 * season)
                produced = solar_peak * sun * chance.uniform(0.3, 1.0)
                injection.append(Decimal(str(round(produced, 3))) if produced >= 0.001 else Decimal(0))
        buckets.append(_bucket(meter, day, consumption, injection if solar_peak else None))
        months.add(day.isoformat()[:7])
    with DayBucket.batch_write() as batch:
        for bucket in buckets:
            batch.save(bucket)
    for month in sorted(months):
        readings.recount_month(meter.point_id, month)
    for month in sorted(months):
        if month < today.isoformat()[:7]:
            closing.close(meter, month, now=now, announce=False)


def _bucket(
    meter: Meter, day: date, consumption: list[Decimal | None], injection: list[Decimal | None] | None
) -> DayBucket:
    hours = tariffs.hours_on(meter, day)
    off_peak = readings.off_peak_slots(day, hours)
    low = sum(
        (value or Decimal(0) for value, off in zip(consumption, off_peak, strict=True) if off), Decimal(0)
    )
    total = sum((value or Decimal(0) for value in consumption), Decimal(0))
    return DayBucket(
        point_pk(meter.point_id),
        f"DAY#{day.isoformat()}",
        day=day.isoformat(),
        slots=len(consumption),
        consumption=readings.encode(consumption),
        injection=readings.encode(injection) if injection else None,
        consumed=readings.decimal_text(total),
        peak=readings.decimal_text(total - low),
        off_peak=readings.decimal_text(low),
        hours=hours,
        injected=readings.decimal_text(sum((value or Decimal(0) for value in injection or []), Decimal(0))),
        readings=len(consumption),
        version=1,
    )


def _mobile(meter: Meter, today: date) -> None:
    line = lines.get(meter.subscription_id)
    if line is None:
        return
    start, _ = lines.period_containing(date.fromisoformat(line.started_on), today)
    if line.next_period_start < start.isoformat():
        # the daily job closed the periods before this one (the invoices demo bills none of them)
        line.next_period_start = start.isoformat()
        line.active_pk, line.active_sk = lines.due_keys(line)
        line.save()
    chance = random.Random(meter.meter_id)  # noqa: S311 (demo figures, the same at every load)
    per_day = MOBILE_PER_DAY.get(meter.unit, 1.0)
    days = _days(start, today - timedelta(days=1))
    with DayBucket.batch_write() as batch:
        for day in days:
            count = readings.slots_in(day)
            values: list[Decimal | None] = [Decimal(0)] * count
            for _ in range(chance.randint(3, 9)):  # a few sessions a day, in waking hours
                index = chance.randint(16, min(count - 1, 45))
                amount = per_day / 5 * chance.uniform(0.3, 1.8)
                digits = 3 if meter.unit == "GB" else 0  # minutes and texts are whole
                values[index] = (values[index] or Decimal(0)) + Decimal(str(round(amount, digits)))
            batch.save(_bucket(meter, day, values, None))
    for month in sorted({day.isoformat()[:7] for day in days}):
        readings.recount_month(meter.point_id, month)
