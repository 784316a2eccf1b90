"""Days of service: which days a subscription ran, by the rules of docs/LIFECYCLE.md.

A period is half-open, `[start, end)`; `renews_on` is the first day of the next period. A
subscription runs from `started_on` (the day it was provisioned) until its last day of service:
the day of an immediate cancellation, or the day before `renews_on` when its period ended without
renewal (a cancellation planned for the end of the period, an expiry). These are the rules, not
what a service may have stored: the invariants compare the two.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dateutil.relativedelta import relativedelta

from .scenarios import Facts

WAITING = ("pending_confirmation", "to_configure")


def day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def last_day_of_service(subscription: dict[str, Any], facts: Facts) -> date | None:
    """The last day the subscription ran, or None while it runs."""
    status = subscription["status"]
    renews_on = date.fromisoformat(subscription["renews_on"])
    moved_out = facts.move_outs.get(subscription["subscription_id"])
    if moved_out is not None and status in ("cancelled", "active", "suspended"):
        return moved_out  # a newcomer moved in the day after: the holder's contract ends that day
    if status == "cancelled":
        asked = facts.cancellations.get(subscription["subscription_id"])
        if asked is not None and asked[1] == "immediately":
            return asked[0]
        if asked is not None:  # planned for the end of the period
            return renews_on - timedelta(days=1)
        cancel_at = day(subscription.get("cancel_at"))
        return cancel_at or renews_on - timedelta(days=1)
    if status == "expired":
        return renews_on - timedelta(days=1)
    return None


def runs_on(subscription: dict[str, Any], on: date, facts: Facts) -> bool:
    started = day(subscription.get("started_on"))
    if started is None or on < started or subscription["status"] in WAITING:
        return False
    last = last_day_of_service(subscription, facts)
    return last is None or on <= last


def month_days(month: str) -> list[date]:
    year, number = (int(part) for part in month.split("-"))
    return [date(year, number, n) for n in range(1, calendar.monthrange(year, number)[1] + 1)]


def service_days_in(subscription: dict[str, Any], month: str, facts: Facts) -> list[date]:
    return [on for on in month_days(month) if runs_on(subscription, on, facts)]


def months_between(first: date, last: date) -> list[str]:
    months, cursor = [], first.replace(day=1)
    while cursor <= last:
        months.append(cursor.isoformat()[:7])
        cursor += relativedelta(months=1)
    return months


def add_periods(start: date, billing_period: str, periods: int) -> date:
    return start + (
        relativedelta(years=periods) if billing_period == "year" else relativedelta(months=periods)
    )


def whole_periods(start: date, end: date, billing_period: str) -> int | None:
    """How many periods [start, end) holds, None when it is not a whole number of them."""
    count, cursor = 0, start
    while cursor < end:
        count += 1
        cursor = add_periods(start, billing_period, count)
    return count if cursor == end else None


def prorated(price_cents: int, days: int, days_in_period: int) -> int:
    """`price × days ÷ days in the period`, rounded half up (docs/LIFECYCLE.md, "Money")."""
    return int((Decimal(price_cents) * days / days_in_period).quantize(Decimal(1), rounding=ROUND_HALF_UP))
