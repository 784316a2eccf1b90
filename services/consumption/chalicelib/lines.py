"""Mobile lines: allowances by the line's own billing period, and the daily close of those periods.

A line's allowance periods follow its billing day, not the calendar: period k is
[started_on + k months, started_on + k+1 months) — a line started on 31 January has periods
from 31 January, 28 (29) February, 31 March… A line keeps its plans over time (allowance per
unit, price of a unit beyond it, tax included), each from the day it took effect; a period is
measured against the plan in force at its end, so a plan changed during a period counts for the
whole of it. Each unit (GB, min, sms) is a meter of its own, `M<subscription_id>-<unit>`,
whose readings the CSV files name.

The daily job closes each period that has ended — the last one of an ended line at its last day
of service — and tells the invoices service what was used beyond the plan (UsagePeriodClosed):
once per line and period, however often or late it runs (a missed day is caught up). A period's
figures are saved before they are told, and told again by a run that finds them untold.
Usage read after its period closed is shown but not billed.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from dateutil.relativedelta import relativedelta
from guichet_contracts import events
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from . import leases
from .errors import NotFound
from .models import ACTIVE_SHARDS, DayBucket, Item, Line, Meter, UsagePeriod, line_pk, point_pk
from .settings import settings

if TYPE_CHECKING:
    from guichet_contracts.domain_events.subscriptions import Subscription

logger = Logger(child=True)

UNITS_ORDER = ("GB", "min", "sms")
JOB = "close_allowance_periods"


def _unit_order(unit: str) -> tuple[int, str]:
    return (UNITS_ORDER.index(unit) if unit in UNITS_ORDER else len(UNITS_ORDER), unit)


def meter_id(subscription_id: str, unit: str) -> str:
    return f"M{subscription_id}-{unit}"


# ---- periods and plans ---------------------------------------------------------------------


def period_containing(started_on: date, day: date) -> tuple[date, date]:
    """The allowance period [start, end) of a line started on `started_on` that holds `day`."""
    if day < started_on:
        return started_on, started_on + relativedelta(months=1)
    count = (day.year - started_on.year) * 12 + day.month - started_on.month
    if started_on + relativedelta(months=count) > day:
        count -= 1
    return started_on + relativedelta(months=count), started_on + relativedelta(months=count + 1)


def period_after(line: Line, start: date) -> tuple[date, date]:
    """The period starting on `start`, cut at the line's last day of service."""
    _, end = period_containing(date.fromisoformat(line.started_on), start)
    if line.closed_on:
        end = min(end, date.fromisoformat(line.closed_on) + timedelta(days=1))
    return start, end


def plan_entry(subscription: Subscription, effective_on: date, *, changed_at: str) -> dict[str, Any]:
    tariff = subscription.tariff
    return {
        "from": effective_on.isoformat(),
        "allowances": {
            allowance.unit: None if allowance.included is None else str(allowance.included)
            for allowance in tariff.allowances or []
        },
        "out_of_plan_cents": dict(tariff.out_of_plan_cents or {}),
        "changed_at": changed_at,
    }


def plan_for(line: Line, end: date) -> dict[str, Any]:
    """The plan a period ending (exclusive) on `end` is measured against: the last one in force."""
    plans = sorted(line.plans, key=lambda plan: str(plan["from"]))
    found = [plan for plan in plans if plan["from"] < end.isoformat()]
    return found[-1] if found else plans[0]


# ---- the line's life, from subscription events -------------------------------------------------


def due_keys(line: Line) -> tuple[str, str]:
    """Where the line sits in the `active` index: by the day its next period ends."""
    _, end = period_after(line, date.fromisoformat(line.next_period_start))
    shard = zlib.crc32(line.subscription_id.encode()) % ACTIVE_SHARDS
    return f"LINE#{shard}", f"{end}#{line.subscription_id}"


def new_line(subscription: Subscription, *, now: datetime, billed_from: date | None = None) -> Line:
    """The Line item of a mobile subscription as activated (not saved). Its first period to close
    is the one holding `billed_from` (a line imported from the provider, which billed the periods
    before: their usage is shown, never billed here)."""
    plan = plan_entry(subscription, subscription.started_on, changed_at="")
    first = subscription.started_on
    if billed_from is not None and billed_from > first:
        first = period_containing(subscription.started_on, billed_from)[0]
    line = Line(
        line_pk(subscription.subscription_id),
        "LINE",
        subscription_id=subscription.subscription_id,
        customer_id=subscription.customer_id,
        started_on=subscription.started_on.isoformat(),
        units=sorted(plan["allowances"], key=_unit_order),
        plans=[plan],
        next_period_start=first.isoformat(),
        updated_at=now,
    )
    line.active_pk, line.active_sk = due_keys(line)
    return line


def get(subscription_id: str) -> Line | None:
    try:
        return Line.get(line_pk(subscription_id), "LINE", consistent_read=True)
    except DoesNotExist:
        return None


def _save(line: Line, revision: int) -> bool:
    """Save the line if nobody changed it since it was read at `revision`."""
    line.revision = revision + 1
    try:
        line.save(condition=Line.revision == revision)
    except PutError:
        return False
    return True


def changed(subscription: Subscription, effective_on: date, *, changed_at: str, now: datetime) -> bool:
    """A plan change: the plan in force from `effective_on`, its new units added to the line's
    (each needs a meter); False when the change was there already."""
    for _ in range(10):
        line = get(subscription.subscription_id)
        if line is None:
            return False
        revision = int(line.revision)
        new = plan_entry(subscription, effective_on, changed_at=changed_at)
        same_day = [plan for plan in line.plans if plan["from"] == new["from"]]
        if same_day and same_day[0]["changed_at"] >= new["changed_at"]:
            return False  # this change (or a later one of that day) is there already
        line.plans = sorted(
            [plan for plan in line.plans if plan["from"] != new["from"]] + [new],
            key=lambda plan: str(plan["from"]),
        )
        added = [unit for unit in new["allowances"] if unit not in line.units]
        line.units = sorted([*line.units, *added], key=_unit_order)
        line.updated_at = now
        if _save(line, revision):
            return True
    raise RuntimeError(f"line {subscription.subscription_id} is too busy")


def ended(subscription_id: str, ended_on: date, *, now: datetime) -> Line | None:
    """The line ends on `ended_on` (its last period is cut there); an earlier end stands."""
    for _ in range(10):
        line = get(subscription_id)
        if line is None:
            return None
        revision = int(line.revision)
        if line.closed_on and line.closed_on <= ended_on.isoformat():
            return line
        line.closed_on = ended_on.isoformat()
        line.updated_at = now
        if line.active_pk:
            line.active_pk, line.active_sk = due_keys(line)
        if _save(line, revision):
            return line
    raise RuntimeError(f"line {subscription_id} is too busy")


# ---- usage ----------------------------------------------------------------------------------


def used(line: Line, start: date, end: date) -> dict[str, Decimal]:
    """What each unit used in [start, end): one Query of ≤ 31 day buckets per unit."""
    found = {}
    for unit in line.units:
        if end <= start:
            found[unit] = Decimal(0)
            continue
        buckets = DayBucket.query(
            point_pk(meter_id(line.subscription_id, unit)),
            DayBucket.sk.between(f"DAY#{start.isoformat()}", f"DAY#{(end - timedelta(days=1)).isoformat()}"),
        )
        found[unit] = sum((Decimal(bucket.consumed) for bucket in buckets), Decimal(0))
    return found


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def charges(line: Line, end: date, usage: dict[str, Decimal]) -> list[dict[str, Any]]:
    """Each unit against the plan of the period ending on `end`: what lies beyond, and its price."""
    plan = plan_for(line, end)
    found = []
    for unit in line.units:
        included_text = plan["allowances"].get(unit)
        included = None if included_text is None else Decimal(included_text)
        beyond = max(Decimal(0), usage[unit] - included) if included is not None else Decimal(0)
        price = int(plan["out_of_plan_cents"].get(unit) or 0)
        found.append(
            {
                "unit": unit,
                "included": included,
                "used": usage[unit],
                "beyond": beyond,
                "unit_price_cents": price,
                "amount_cents": _cents(beyond * price),
            }
        )
    return found


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def current(meters: list[Meter], today: date, subscription_id: str | None) -> dict[str, Any]:
    """The current allowance period of one mobile line (the first one, unless `subscription_id`
    names it): what each unit used so far against its plan, and what lies beyond it."""
    lines = sorted(
        {meter.subscription_id for meter in meters if meter.kind == "mobile" and meter.status == "active"}
    )
    if subscription_id is not None and subscription_id not in lines:
        raise NotFound()
    if not lines:
        raise NotFound()
    chosen = subscription_id or lines[0]
    line = get(chosen)
    if line is None:
        raise NotFound()
    start, end = period_containing(date.fromisoformat(line.started_on), today)
    priced = charges(line, end, used(line, start, min(end, today + timedelta(days=1))))
    return {
        "subscription_id": chosen,
        "period": start.isoformat()[:7],
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "allowances": [
            {
                "unit": charge["unit"],
                "included": _number(charge["included"]),
                "used": float(charge["used"]),
                "remaining": None
                if charge["included"] is None
                else float(max(Decimal(0), charge["included"] - charge["used"])),
            }
            for charge in priced
        ],
        "out_of_plan_cents": sum(charge["amount_cents"] for charge in priced),
        "currency": "EUR",
        "lines": lines,
    }


# ---- the daily close of allowance periods ---------------------------------------------------


def close_periods(now: datetime, run_id: str | None = None) -> dict[str, int]:
    """Close every allowance period that ended by `now` (a Paris day) and is not closed yet
    (`run_id`: the invocation, whose retry takes over the lease it left, leases.py)."""
    outcome = {"closed": 0, "charged": 0, "already": 0}
    holder = leases.take(JOB, run_id)
    if holder is None:
        logger.warning("close_allowance_periods is already running: this run leaves the work to it")
        return outcome
    try:
        today = now.astimezone(settings.timezone).date()
        for line in _due_lines(today):
            for result in _close_due(line, today, now):
                outcome["closed"] += result in ("closed", "charged")
                outcome["charged"] += result == "charged"
                outcome["already"] += result == "already"
    finally:
        leases.release(JOB, holder)
    return outcome


def _due_lines(today: date) -> list[Line]:
    """Lines whose next period ended by `today`: one Query per shard of the `active` index."""
    after = (today + timedelta(days=1)).isoformat()
    found: list[Line] = []
    for shard in range(ACTIVE_SHARDS):
        found.extend(
            item
            for item in Item.active.query(f"LINE#{shard}", Item.active_sk < after)
            if isinstance(item, Line)
        )
    return found


def _close_due(line: Line, today: date, now: datetime) -> list[str]:
    results: list[str] = []
    while True:
        start, end = period_after(line, date.fromisoformat(line.next_period_start))
        if end <= start:
            _retire(line)
            return results
        if end > today:
            return results
        results.append(_close(line, start, end, now))
        revision = int(line.revision)
        line.next_period_start = end.isoformat()
        line.updated_at = now
        if line.closed_on and end > date.fromisoformat(line.closed_on):
            line.active_pk = line.active_sk = None  # its last period is closed
        else:
            line.active_pk, line.active_sk = due_keys(line)
        if not _save(line, revision):
            fresh = get(line.subscription_id)
            if fresh is None or fresh.next_period_start == start.isoformat():
                raise RuntimeError(f"line {line.subscription_id} is too busy")
            line = fresh  # changed meanwhile (a plan, its end): carry on from what it is now
        if line.active_pk is None:
            return results


def _retire(line: Line) -> None:
    try:
        line.update(
            actions=[Line.active_pk.remove(), Line.active_sk.remove()],
            condition=Line.next_period_start == line.next_period_start,
        )
    except UpdateError:
        pass  # changed meanwhile: the next run sees it as it is


def _close(line: Line, start: date, end: date, now: datetime) -> str:
    """Close the period [start, end) once: 'charged' (something beyond the plan), 'closed' or
    'already' (closed and told before)."""
    from guichet_contracts.domain_events.consumption import UsageCharge, UsagePeriodClosed

    key = (line_pk(line.subscription_id), f"PERIOD#{start.isoformat()}")
    try:
        period = UsagePeriod.get(*key, consistent_read=True)
        result = "already"
    except DoesNotExist:
        priced = charges(line, end, used(line, start, end))
        event = UsagePeriodClosed(
            customer_id=line.customer_id,
            subscription_id=line.subscription_id,
            period_start=start,
            period_end=end,
            charges=[UsageCharge(**charge) for charge in priced],
            amount_cents=sum(charge["amount_cents"] for charge in priced),
            currency="EUR",
        )
        period = UsagePeriod(
            *key,
            period_start=start.isoformat(),
            period_end=end.isoformat(),
            announcement=event.data(),
            announced=False,
            closed_at=now,
        )
        try:
            period.save(condition=UsagePeriod.pk.does_not_exist())
            result = "charged" if event.amount_cents else "closed"
        except PutError:
            period = UsagePeriod.get(*key, consistent_read=True)
            result = "already"
    if not period.announced:
        import json

        events.publish(
            UsagePeriodClosed.model_validate_json(json.dumps(period.announcement)),
            bus_name=settings.event_bus_name,
        )
        period.update(actions=[UsagePeriod.announced.set(True)])
        logger.info(
            "allowance period closed",
            extra={"subscription_id": line.subscription_id, "period_start": start.isoformat()},
        )
    return result
