"""The consumption service's part of a customer's data export and of an account's closure
(guichet_contracts.personal_data; docs/PRIVACY.md).

Exported: the customer's meters with what each month's close billed (battery and kitty ledgers),
late readings, corrections and payouts; the readings of each meter's own days (the day buckets of
its point, as a half-hour CSV too) and the point's monthly totals of those months; the points of
delivery; the mobile lines and their allowance periods.

On closure: the readings of the meters' own days are deleted (the half-hour curve says how a
home lives), and so are the monthly totals of months the customer's meter covered alone. What
each close billed stays (MonthClosed, UsagePeriod: the support of invoices kept ten years). This
table holds no name, email, phone or address.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import personal_data

from .models import DayBucket, Item, Meter, MonthTotal, Point, line_pk, meter_pk, point_pk
from .settings import settings

logger = Logger(child=True)

SERVICE = "consumption"
EXPORTED = (
    "Meter",
    "Point",
    "DayBucket",
    "MonthTotal",
    "MonthClosed",
    "LateReadings",
    "Corrected",
    "PaidOut",
    "Line",
    "UsagePeriod",
)
NOT_EXPORTED = {
    "IngestedFile": "a meter data file counted once (the rows of every customer of the file)",
    "JobRun": "the last month the monthly close covered",
    "JobLease": "a run of a job under way",
}
TABULAR = {
    "MonthClosed": "month_closes.csv",
    "MonthTotal": "month_totals.csv",
    "UsagePeriod": "usage_periods.csv",
}
_LAST_DAY = "9999-12-31"


def _own_days(meter: Meter) -> tuple[str, str]:
    return meter.active_from, meter.closed_on or _LAST_DAY


def customer_items(customer_id: str) -> list[Any]:
    """Every item of the table about the customer: its meters and theirs, the readings of their
    own days, their points and lines."""
    from .meters import listing

    found: list[Any] = []
    points: set[str] = set()
    lines: set[str] = set()
    for meter in listing(customer_id):
        found.extend(Item.query(meter_pk(meter.meter_id)))
        first, last = _own_days(meter)
        found.extend(
            DayBucket.query(point_pk(meter.point_id), DayBucket.sk.between(f"DAY#{first}", f"DAY#{last}"))
        )
        found.extend(
            MonthTotal.query(
                point_pk(meter.point_id), MonthTotal.sk.between(f"MONTH#{first[:7]}", f"MONTH#{last[:7]}")
            )
        )
        if meter.point_id not in points:
            points.add(meter.point_id)
            found.extend(Point.query(point_pk(meter.point_id), Point.sk == "POINT"))
        if meter.kind == "mobile" and meter.subscription_id not in lines:
            lines.add(meter.subscription_id)
            found.extend(Item.query(line_pk(meter.subscription_id)))
    return found


def readings_csv(buckets: list[DayBucket]) -> str:
    """The half-hour readings of day buckets: day, half-hour (0-based), consumption and injection
    in kWh (empty: no reading)."""
    lines = ["day,half_hour,consumption_kwh,injection_kwh"]
    for bucket in sorted(buckets, key=lambda item: (item.pk, item.day)):
        consumed = bucket.consumption.split(",")
        injected = (bucket.injection or "").split(",") if bucket.injection else [""] * len(consumed)
        for slot, value in enumerate(consumed):
            lines.append(f"{bucket.day},{slot},{value},{injected[slot] if slot < len(injected) else ''}")
    return "\n".join(lines) + "\n"


def export(export_id: str, customer_id: str) -> list[str]:
    """Write the customer's part of export `export_id`; the keys written."""
    part = personal_data.Part(SERVICE, customer_id)
    items = customer_items(customer_id)
    part.add(items)
    buckets = [item for item in items if isinstance(item, DayBucket)]
    if buckets:
        part.add_file("readings.csv", readings_csv(buckets).encode(), "text/csv")
    return part.write(settings.exports_bucket, export_id, tabular=TABULAR)


def erase(customer_id: str) -> int:
    """Delete the readings of the customer's meters' own days (CustomerClosed), and the monthly
    totals of months no other meter shares; the items deleted. Again: nothing more to delete."""
    from .meters import listing

    deleted = 0
    meters = listing(customer_id)
    for meter in meters:
        first, last = _own_days(meter)
        for bucket in DayBucket.query(
            point_pk(meter.point_id), DayBucket.sk.between(f"DAY#{first}", f"DAY#{last}")
        ):
            bucket.delete()
            deleted += 1
        others = [
            other
            for other in _point_meters(meter.point_id)
            if other.meter_id != meter.meter_id and other.customer_id != customer_id
        ]
        for total in MonthTotal.query(
            point_pk(meter.point_id), MonthTotal.sk.between(f"MONTH#{first[:7]}", f"MONTH#{last[:7]}")
        ):
            if not any(_covers(other, total.month) for other in others):
                total.delete()
                deleted += 1
    logger.info("customer's readings erased", extra={"customer_id": customer_id, "deleted": deleted})
    return deleted


def _point_meters(point_id: str) -> list[Meter]:
    from .meters import of_point

    return of_point(point_id)


def _covers(meter: Meter, month: str) -> bool:
    first, last = _own_days(meter)
    return first[:7] <= month <= last[:7]
