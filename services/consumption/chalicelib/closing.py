"""The monthly close: each electricity meter's month is totalled, the virtual battery and the
surplus kitty are settled, and the invoices service is told (ConsumptionPeriodClosed,
SurplusPayout).

Virtual battery (offer `virtual_storage`): the month's injected kWh are stored as far as the
battery has room; consumption is then restored from what it holds, and only the rest is billed
at the grid rates (restored kWh are billed at the storage withdrawal rate). Surplus resale
(offer `surplus_resale`): the month's injected kWh are bought at the offer's rate and credited
to the customer's kitty, and a resale invoice follows.

A month is closed once per meter: the MonthClosed item is written on the condition that it is
not there yet. Its events go out before it is written, so a crash in between sends them again
on the next run — the invoices service bills each meter-month and each payout once anyway.
Runs do not overlap: a run holds a lease while it works, and a run that finds it held (a second
delivery of the schedule, a `make job` meanwhile) leaves the work to it rather than telling the
same months again. A lease outlives a dead run by 15 minutes at most, a Lambda's longest run.
"""

from __future__ import annotations

import time
import uuid
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from aws_lambda_powertools import Logger
from guichet_contracts import events
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from .models import ACTIVE_SHARDS, Item, JobLease, JobRun, Meter, MonthClosed, MonthTotal, meter_pk
from .readings import decimal_text, month_days, own_days, own_month_total
from .settings import settings

logger = Logger(child=True)

SOURCE = "guichet.consumption"
FIRST_RUN_MONTHS = 1
LEASE_SECONDS = 900


def local_day(now: datetime) -> date:
    return now.astimezone(settings.timezone).date()


def previous_month(day: date) -> str:
    first = day.replace(day=1) - timedelta(days=1)
    return first.isoformat()[:7]


def _next_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def months_to_close(last: str) -> list[str]:
    """The months not closed yet, up to `last` (a late run catches up; the first closes one)."""
    try:
        covered = JobRun.get("JOB#close_month", "JOB").covered_until
    except DoesNotExist:
        return [last]
    months = []
    month = _next_month(covered)
    while month <= last:
        months.append(month)
        month = _next_month(month)
    return months


def close_month(now: datetime) -> dict[str, int]:
    """Close every month that ended before `now` and is not closed yet, for every meter."""
    outcome = {"closed": 0, "already": 0, "payouts": 0}
    holder = _take_lease()
    if holder is None:
        logger.warning("close_month is already running: this run leaves the work to it")
        return outcome
    try:
        months = months_to_close(previous_month(local_day(now)))
        for month in months:
            for meter in active_meters():
                result = close(meter, month, now=now)
                outcome["closed"] += result in ("closed", "closed_with_payout")
                outcome["already"] += result == "already"
                outcome["payouts"] += result == "closed_with_payout"
                _retire_if_ended(meter, month)
        if months:
            try:
                JobRun("JOB#close_month", "JOB", covered_until=months[-1]).save(
                    condition=JobRun.pk.does_not_exist() | (JobRun.covered_until < months[-1])
                )
            except PutError:
                pass
    finally:
        _release_lease(holder)
    return outcome


def _take_lease() -> str | None:
    """This run's lease on the job, or None when another run holds it."""
    holder, wall_clock = uuid.uuid4().hex, int(time.time())
    try:
        JobLease("JOB#close_month", "LEASE", holder=holder, expires_at=wall_clock + LEASE_SECONDS).save(
            condition=JobLease.pk.does_not_exist() | (JobLease.expires_at < wall_clock)
        )
    except PutError:
        return None
    return holder


def _release_lease(holder: str) -> None:
    try:
        JobLease("JOB#close_month", "LEASE").delete(condition=JobLease.holder == holder)
    except DeleteError:
        pass  # it expired and another run took it over


def active_meters() -> list[Meter]:
    found: list[Meter] = []
    for shard in range(ACTIVE_SHARDS):
        found.extend(item for item in Item.active.query(f"ACTIVE#{shard}") if isinstance(item, Meter))
    return found


def close(meter: Meter, month: str, *, now: datetime, announce: bool = True) -> str:
    """Close one meter's month: 'closed' ('closed_with_payout' when it credited the surplus kitty,
    which a SurplusPayout tells), 'already' (closed before) or 'not_running' (outside
    the meter's days)."""
    first, last = f"{month}-01", f"{month}-{month_days(month):02d}"
    if meter.active_from > last or (meter.closed_on and meter.closed_on < first):
        return "not_running"
    try:
        MonthClosed.get(meter_pk(meter.meter_id), f"CLOSED#{month}")
        return "already"
    except DoesNotExist:
        pass
    try:
        month_total: MonthTotal | None = MonthTotal.get(
            meter_pk(meter.meter_id), f"MONTH#{month}", consistent_read=True
        )
    except DoesNotExist:
        month_total = None
    total = own_month_total(meter, month, month_total)  # only the meter's own days of the month
    if total is not None:
        consumed, peak, injected = Decimal(total.consumed), Decimal(total.peak), Decimal(total.injected)
        complete = int(total.days_with_readings) >= int(total.days_in_month)
    else:
        consumed = peak = injected = Decimal(0)
        complete = False
    closed = MonthClosed(
        meter_pk(meter.meter_id),
        f"CLOSED#{month}",
        month=month,
        consumed_kwh=decimal_text(consumed),
        injected_kwh=decimal_text(injected),
        closed_at=now,
    )
    billed = consumed
    if meter.battery_capacity_kwh:
        capacity = Decimal(meter.battery_capacity_kwh)
        level_before = _previous_level(meter, month)
        stored = min(injected, capacity - level_before)
        restored = min(consumed, level_before + stored)
        closed.stored_kwh, closed.restored_kwh = decimal_text(stored), decimal_text(restored)
        closed.level_kwh = decimal_text(level_before + stored - restored)
        billed = consumed - restored
    # what is billed at the grid rates keeps the month's peak / off-peak shares
    peak_share = peak / consumed if consumed else Decimal(1)
    billed_peak = (billed * peak_share).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    closed.billed_peak_kwh, closed.billed_off_peak_kwh = (
        decimal_text(billed_peak),
        decimal_text(billed - billed_peak),
    )
    if meter.resale_cents_per_kwh:
        rate = Decimal(meter.resale_cents_per_kwh)
        closed.resale_cents_per_kwh = meter.resale_cents_per_kwh
        closed.credited_cents = int((injected * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        closed.kitty_cents = _previous_kitty(meter, month) + closed.credited_cents
    if announce:
        _announce(meter, month, closed, complete)
    try:
        closed.save(condition=MonthClosed.pk.does_not_exist())
    except PutError:
        return "already"  # an overlapping run closed it (and announced the same figures)
    logger.info("month closed", extra={"meter_id": meter.meter_id, "month": month})
    return "closed_with_payout" if closed.credited_cents else "closed"


def _previous(meter: Meter, month: str) -> MonthClosed | None:
    """The last month closed before `month` (the battery level and the kitty carry over)."""
    found = list(
        MonthClosed.query(
            meter_pk(meter.meter_id),
            MonthClosed.sk.between("CLOSED#", f"CLOSED#{month}"),
            scan_index_forward=False,
            limit=2,
        )
    )
    earlier = [item for item in found if item.month < month]
    return earlier[0] if earlier else None


def _previous_level(meter: Meter, month: str) -> Decimal:
    previous = _previous(meter, month)
    return Decimal(previous.level_kwh) if previous and previous.level_kwh else Decimal(0)


def _previous_kitty(meter: Meter, month: str) -> int:
    previous = _previous(meter, month)
    return int(previous.kitty_cents) if previous and previous.kitty_cents is not None else 0


def _announce(meter: Meter, month: str, closed: MonthClosed, complete: bool) -> None:
    from guichet_contracts.domain_events import consumption as contract

    first, last = own_days(meter, month)
    battery = None
    if meter.battery_capacity_kwh:
        battery = contract.Battery(
            stored_kwh=Decimal(closed.stored_kwh or 0),
            restored_kwh=Decimal(closed.restored_kwh or 0),
            level_kwh=Decimal(closed.level_kwh or 0),
            withdrawal_cents_per_kwh=Decimal(meter.withdrawal_cents_per_kwh)
            if meter.withdrawal_cents_per_kwh
            else None,
        )
    events.publish(
        contract.ConsumptionPeriodClosed(
            customer_id=meter.customer_id,
            meter_id=meter.meter_id,
            subscription_id=meter.subscription_id,
            month=month,
            period_start=first,
            period_end=last,
            days_in_month=month_days(month),
            payment_mode=meter.payment_mode,  # type: ignore[arg-type]
            tariff_option=meter.tariff_option or "base",  # type: ignore[arg-type]
            rates_cents_per_kwh={
                name: Decimal(rate) for name, rate in (meter.rates_cents_per_kwh or {}).items()
            },
            subscription_price_cents=int(meter.subscription_price_cents or 0),
            consumed_kwh=Decimal(closed.billed_peak_kwh) + Decimal(closed.billed_off_peak_kwh),
            peak_kwh=Decimal(closed.billed_peak_kwh),
            off_peak_kwh=Decimal(closed.billed_off_peak_kwh),
            injected_kwh=Decimal(closed.injected_kwh),
            estimated=not complete,
            battery=battery,
            complements=[],
            final=bool(meter.closed_on and meter.closed_on <= last.isoformat()),
        ),
        bus_name=settings.event_bus_name,
    )
    if meter.resale_cents_per_kwh and closed.credited_cents:
        events.publish(
            contract.SurplusPayout(
                payout_id=f"{meter.meter_id}-{month}",
                customer_id=meter.customer_id,
                meter_id=meter.meter_id,
                subscription_id=meter.subscription_id,
                month=month,
                injected_kwh=Decimal(closed.injected_kwh),
                rate_cents_per_kwh=Decimal(meter.resale_cents_per_kwh),
                amount_cents=int(closed.credited_cents),
                currency="EUR",
            ),
            bus_name=settings.event_bus_name,
        )


def _retire_if_ended(meter: Meter, month: str) -> None:
    """A cancelled meter leaves the `active` index once the month it ended in is closed."""
    if meter.closed_on and meter.closed_on[:7] <= month and meter.active_pk:
        meter.update(actions=[Meter.active_pk.remove(), Meter.active_sk.remove()])
