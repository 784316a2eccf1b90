"""The monthly close: each electricity meter's own days of the month are totalled, the late
readings of earlier months billed as complements, the virtual battery and the surplus kitty
settled, and the invoices service is told (ConsumptionPeriodClosed, SurplusPayout).

Each meter is closed with the tariff in force that month (chalicelib/tariffs.py). When a home
changes hands during the month, each occupant's meter closes its own days; the contract's last
month is `final`.

Virtual battery (offer `virtual_storage`): the month's injected kWh are stored as far as the
battery has room; consumption is then restored from what it holds, and only the rest is billed
at the grid rates (restored kWh are billed at the storage withdrawal rate). Surplus resale
(offer `surplus_resale`): the month's injected kWh are bought at the offer's rate and credited
to the customer's kitty, and a resale invoice follows.

Late readings (chalicelib/complements.py) are settled at the close that finds them, with that
close's battery and kitty: late injected kWh join the month's injection (stored in the battery
as far as it has room, or bought at this close's rate); late consumed kWh are restored from the
battery after the month's own consumption, as far as it holds, and the rest is billed as the
complement, at its own month's rates. A downward correction is credited at its month's grid
rates and leaves the battery as it is; a downward correction of injection is taken from the
injection settled at this close, and what it cannot cover is carried to the next.

A month is closed once per meter: its MonthClosed item is written on the condition that it is
not there yet, with the events it tells, which are published after it is saved and marked told
then — a run that finds a close not told (a crash in between) tells it again; the invoices
service bills each meter-month and each payout once anyway. Runs do not overlap (chalicelib/leases.py).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from guichet_contracts import events
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError

if TYPE_CHECKING:
    from guichet_contracts.domain_events.consumption import Battery, Complement, ConsumptionPeriodClosed

from . import complements, leases, tariffs
from .models import (
    ACTIVE_SHARDS,
    Corrected,
    Item,
    JobRun,
    LateReadings,
    Meter,
    MonthClosed,
    meter_pk,
    transaction,
)
from .readings import NOTHING, Figures, billable_from, by_day, decimal_text, month_days, own_days
from .settings import settings

logger = Logger(child=True)

JOB = "close_month"
KWH = Decimal("0.001")
_RETRIES = 10


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


def close_month(now: datetime, run_id: str | None = None) -> dict[str, int]:
    """Close every month that ended before `now` and is not closed yet, for every meter
    (`run_id`: the invocation, whose retry takes over the lease it left, leases.py)."""
    outcome = {"closed": 0, "already": 0, "payouts": 0, "corrected": 0}
    holder = leases.take(JOB, run_id)
    if holder is None:
        logger.warning("close_month is already running: this run leaves the work to it")
        return outcome
    try:
        months = months_to_close(previous_month(local_day(now)))
        for month in months:
            for meter in active_meters():
                result = close(meter, month, now=now)
                if result == "not_running" and meter.closed_on and meter.closed_on[:7] < month:
                    result = correct_ended(meter, month, now=now)
                outcome["closed"] += result in ("closed", "closed_with_payout")
                outcome["already"] += result == "already"
                outcome["payouts"] += result == "closed_with_payout"
                outcome["corrected"] += result == "corrected"
                _retire_if_ended(meter, month)
        if months:
            try:
                JobRun("JOB#close_month", "JOB", covered_until=months[-1]).save(
                    condition=JobRun.pk.does_not_exist() | (JobRun.covered_until < months[-1])
                )
            except PutError:
                pass
    finally:
        leases.release(JOB, holder)
    return outcome


def catch_up(meter: Meter, now: datetime) -> list[str]:
    """A meter activated after the monthly close already covered its first months (a contract
    started on the 30th whose activation arrives on the 2nd): close those months for it now, as
    the job would have; the months closed."""
    try:
        covered = JobRun.get("JOB#close_month", "JOB", consistent_read=True).covered_until
    except DoesNotExist:
        return []
    done = []
    month, last = (meter.billed_from or meter.active_from)[:7], min(covered, previous_month(local_day(now)))
    while month <= last:
        if close(meter, month, now=now) in ("closed", "closed_with_payout"):
            done.append(month)
        _retire_if_ended(meter, month)
        month = _next_month(month)
    if done:
        logger.info("months closed on activation", extra={"meter_id": meter.meter_id, "months": done})
    return done


def active_meters() -> list[Meter]:
    found: list[Meter] = []
    for shard in range(ACTIVE_SHARDS):
        found.extend(item for item in Item.active.query(f"ACTIVE#{shard}") if isinstance(item, Meter))
    return found


def close(meter: Meter, month: str, *, now: datetime, announce: bool = True) -> str:
    """Close one meter's month: 'closed' ('closed_with_payout' when it credited the surplus kitty,
    which a SurplusPayout tells), 'already' (closed before) or 'not_running' (outside the
    meter's days). Without `announce`, nothing is told (the demo's past months)."""
    first, last = own_days(meter, month)
    if last < first:
        return "not_running"
    for _ in range(_RETRIES):
        try:
            closed = MonthClosed.get(meter_pk(meter.meter_id), f"CLOSED#{month}", consistent_read=True)
        except DoesNotExist:
            pass
        else:
            if announce and not closed.announced:
                _tell(closed)  # closed by a run that stopped before telling it
            return "already"
        closed, late = _closed(meter, month, first, last, now)
        closed.announced = not announce  # nothing to tell: the demo's past months
        if _save(meter, closed, late):
            break
    else:
        raise RuntimeError(f"month {month} of meter {meter.meter_id} is too busy")
    logger.info("month closed", extra={"meter_id": meter.meter_id, "month": month})
    if announce:
        _tell(closed)
    return "closed_with_payout" if closed.credited_cents else "closed"


def _closed(
    meter: Meter, month: str, first: date, last: date, now: datetime
) -> tuple[MonthClosed, list[complements.Late]]:
    """The month's close as it reads now (not saved): its figures, the complements it bills and
    the events that tell them; with the marked months it settles."""
    from guichet_contracts.domain_events import consumption as contract

    tariff = tariffs.in_force(meter, first)
    assert tariff is not None  # an electricity meter has one from its activation
    days = by_day(meter, first, last)
    total = sum(days.values(), NOTHING)
    complete = total.days_with_readings >= (last - first).days + 1
    late = complements.found(meter, month, lambda: billable_from(meter.point_id))
    billable = [item for item in late if item.tariff is not None and item.difference != complements.ZERO]
    previous = _previous(meter, month)

    # injection settled now: the month's own, the late one, and what a correction left owed
    owed_before = Decimal(previous.injection_owed_kwh or 0) if previous else Decimal(0)
    settled = total.injected + sum((item.difference.injected for item in billable), Decimal(0)) + owed_before
    owed, settled = min(settled, Decimal(0)), max(settled, Decimal(0))
    closed = MonthClosed(
        meter_pk(meter.meter_id),
        f"CLOSED#{month}",
        month=month,
        consumed_kwh=decimal_text(total.consumed),
        injected_kwh=decimal_text(total.injected),
        settled_injection_kwh=decimal_text(settled),
        injection_owed_kwh=decimal_text(owed),
        billed_days=complements.encode_days(month, days),
        announced=False,
        closed_at=now,
    )
    # late consumption to bill, before the battery: (month, peak, off-peak)
    late_consumed = [(item, item.difference.peak, item.difference.off_peak) for item in billable]
    billed = total.consumed
    battery = None
    if tariff.battery_capacity_kwh is not None:
        level_before = _level(previous)
        stored, restored = battery_month(level_before, settled, total.consumed, tariff.battery_capacity_kwh)
        billed = total.consumed - restored
        available = level_before + stored - restored
        for index, (item, peak, off_peak) in enumerate(late_consumed):
            consumed = peak + off_peak
            if consumed <= 0 or available <= 0:
                continue  # a downward correction is credited at the grid rates, the battery untouched
            taken = min(consumed, available)
            available -= taken
            restored += taken
            late_consumed[index] = (item, *_shares(consumed - taken, consumed, peak))
        closed.stored_kwh, closed.restored_kwh = decimal_text(stored), decimal_text(restored)
        closed.level_kwh = decimal_text(level_before + stored - restored)
        battery = _battery(tariff, level_before, stored, restored)
    # what is billed at the grid rates keeps the month's peak / off-peak shares
    billed_peak, billed_off_peak = _shares(billed, total.consumed, total.peak)
    closed.billed_peak_kwh, closed.billed_off_peak_kwh = (
        decimal_text(billed_peak),
        decimal_text(billed_off_peak),
    )
    payout = None
    if tariff.resale_cents_per_kwh is not None:
        closed.resale_cents_per_kwh = str(tariff.resale_cents_per_kwh)
        closed.credited_cents = int(
            (settled * tariff.resale_cents_per_kwh).quantize(Decimal(1), ROUND_HALF_UP)
        )
        closed.kitty_cents = (int(previous.kitty_cents or 0) if previous else 0) + closed.credited_cents
        if closed.credited_cents:
            payout = contract.SurplusPayout(
                payout_id=f"{meter.meter_id}-{month}",
                customer_id=meter.customer_id,
                meter_id=meter.meter_id,
                subscription_id=meter.subscription_id,
                month=month,
                injected_kwh=_kwh(settled),
                rate_cents_per_kwh=tariff.resale_cents_per_kwh,
                amount_cents=closed.credited_cents,
                currency="EUR",
            )
    period_closed = _period_closed(
        meter,
        month,
        tariff,
        (billed_peak, billed_off_peak, total.injected),
        estimated=not complete,
        battery=battery,
        complements=[
            contract.Complement(
                month=item.month,
                tariff_option=item.tariff.option,  # type: ignore[union-attr, arg-type]
                rates_cents_per_kwh=item.tariff.rates,  # type: ignore[union-attr]
                consumed_kwh=_kwh(peak + off_peak),
                peak_kwh=_kwh(peak),
                off_peak_kwh=_kwh(off_peak),
            )
            for item, peak, off_peak in late_consumed
            if peak or off_peak
        ],
    )
    closed.announcement = {
        "period_closed": period_closed.data(),
        "payout": payout.data() if payout else None,
    }
    return closed, late


def battery_month(
    level: Decimal, injected: Decimal, consumed: Decimal, capacity: Decimal
) -> tuple[Decimal, Decimal]:
    """A virtual battery's month: (stored, restored). The injected kWh are stored as far as the
    battery has room (what lies beyond its capacity is not stored, nor bought: it went to the
    grid); the month's consumption is then restored from what it holds."""
    stored = max(Decimal(0), min(injected, capacity - level))
    return stored, min(consumed, level + stored)


def _level(previous: MonthClosed | None) -> Decimal:
    """What the battery held at the end of the month before (0 before its first month)."""
    return Decimal(previous.level_kwh or 0) if previous else Decimal(0)


def _battery(tariff: tariffs.Tariff, level: Decimal, stored: Decimal, restored: Decimal) -> Battery:
    """The battery's month as its invoice shows it, from the level it started at."""
    from guichet_contracts.domain_events import consumption as contract

    return contract.Battery(
        stored_kwh=_kwh(stored),
        restored_kwh=_kwh(restored),
        level_kwh=_kwh(level + stored - restored),
        withdrawal_cents_per_kwh=tariff.withdrawal_cents_per_kwh,
    )


def estimate(
    meter: Meter, month: str, total: Figures, previous: MonthClosed | None
) -> ConsumptionPeriodClosed:
    """The month as its close would bill it with what is read now (its complements apart): the
    battery filled and drawn from the level `previous` left; for a month not closed yet."""

    first, _ = own_days(meter, month)
    tariff = tariffs.in_force(meter, first)
    assert tariff is not None  # an electricity meter has one from its activation
    billed, battery = total.consumed, None
    if tariff.battery_capacity_kwh is not None:
        level = _level(previous)
        stored, restored = battery_month(level, total.injected, total.consumed, tariff.battery_capacity_kwh)
        billed = total.consumed - restored
        battery = _battery(tariff, level, stored, restored)
    peak, off_peak = _shares(billed, total.consumed, total.peak)
    return _period_closed(
        meter,
        month,
        tariff,
        (peak, off_peak, total.injected),
        estimated=True,
        battery=battery,
        complements=[],
    )


def _period_closed(
    meter: Meter,
    month: str,
    tariff: tariffs.Tariff,
    kwh: tuple[Decimal, Decimal, Decimal],
    *,
    estimated: bool,
    battery: Battery | None,
    complements: list[Complement],
) -> ConsumptionPeriodClosed:
    """What a close tells of the meter's month: (peak, off-peak, injected) kWh billed."""
    from guichet_contracts.domain_events import consumption as contract

    first, last = own_days(meter, month)
    peak, off_peak, injected = kwh
    return contract.ConsumptionPeriodClosed(
        customer_id=meter.customer_id,
        meter_id=meter.meter_id,
        subscription_id=meter.subscription_id,
        month=month,
        period_start=first,
        period_end=last,
        days_in_month=month_days(month),
        payment_mode=meter.payment_mode,  # type: ignore[arg-type]
        tariff_option=tariff.option,  # type: ignore[arg-type]
        rates_cents_per_kwh=tariff.rates,
        subscription_price_cents=tariff.subscription_price_cents,
        consumed_kwh=_kwh(peak + off_peak),
        peak_kwh=_kwh(peak),
        off_peak_kwh=_kwh(off_peak),
        injected_kwh=_kwh(injected),
        estimated=estimated,
        battery=battery,
        complements=complements,
        final=bool(meter.closed_on and meter.closed_on <= last.isoformat()),
        taxes=None if tariff.taxes is None else contract.EnergyTaxes(**tariff.taxes),
    )


def period_told(announcement: dict[str, Any]) -> ConsumptionPeriodClosed:
    """The ConsumptionPeriodClosed a close stored to announce; one stored before the event's
    version 2 is read as that version's upgrade says (no taxes stated)."""
    from guichet_contracts.domain_events import consumption as contract

    data = announcement["period_closed"]
    data = contract.ConsumptionPeriodClosed.upgraded(1, data) or data
    return contract.ConsumptionPeriodClosed.model_validate_json(json.dumps(data))


def correct_ended(meter: Meter, month: str, *, now: datetime) -> str:
    """An ended meter's late readings, found by the close of `month` (its final month is closed,
    so no month of its own is left to carry them): billed as complements by ConsumptionCorrected,
    at each month's tariff, once. Late injection is not bought any more, nor stored: the contract
    and its battery or kitty ended with the final month. 'corrected', 'already' or 'nothing'."""
    from guichet_contracts.domain_events import consumption as contract

    key = (meter_pk(meter.meter_id), f"CORRECTED#{month}")
    for _ in range(_RETRIES):
        try:
            done = Corrected.get(*key, consistent_read=True)
        except DoesNotExist:
            pass
        else:
            if done.announcement and not done.announced:
                _tell_correction(done)  # saved by a run that stopped before telling it
            return "already"
        late = complements.found(meter, month, lambda: billable_from(meter.point_id))
        if not late:
            return "nothing"
        billed = [
            contract.Complement(
                month=item.month,
                tariff_option=item.tariff.option,  # type: ignore[arg-type]
                rates_cents_per_kwh=item.tariff.rates,
                consumed_kwh=_kwh(item.difference.peak + item.difference.off_peak),
                peak_kwh=_kwh(item.difference.peak),
                off_peak_kwh=_kwh(item.difference.off_peak),
            )
            for item in late
            if item.tariff is not None and (item.difference.peak or item.difference.off_peak)
        ]
        told = (
            contract.ConsumptionCorrected(
                correction_id=f"{meter.meter_id}-{month}",
                customer_id=meter.customer_id,
                meter_id=meter.meter_id,
                subscription_id=meter.subscription_id,
                month=month,
                complements=billed,
            ).data()
            if billed
            else None
        )
        done = Corrected(*key, month=month, announcement=told, announced=False, closed_at=now)
        if _save(meter, done, late):
            break
    else:
        raise RuntimeError(f"month {month} of meter {meter.meter_id} is too busy")
    if done.announcement is None:
        return "nothing"
    logger.info("ended meter's late readings billed", extra={"meter_id": meter.meter_id, "month": month})
    _tell_correction(done)
    return "corrected"


def _tell_correction(done: Corrected) -> None:
    from guichet_contracts.domain_events import consumption as contract

    events.publish(
        contract.ConsumptionCorrected.model_validate_json(json.dumps(done.announcement)),
        bus_name=settings.event_bus_name,
    )
    done.update(actions=[Corrected.announced.set(True)])


def _kwh(value: Decimal) -> Decimal:
    """kWh as the events write them: to the watt-hour, without trailing zeros."""
    return Decimal(decimal_text(value))


def _shares(kwh: Decimal, consumed: Decimal, peak: Decimal) -> tuple[Decimal, Decimal]:
    """`kwh` split into peak and off-peak as `consumed` was (all peak when it was nothing)."""
    peak_share = peak / consumed if consumed else Decimal(1)
    billed_peak = (kwh * peak_share).quantize(KWH, rounding=ROUND_HALF_UP)
    return billed_peak, kwh - billed_peak


def _save(meter: Meter, closed: MonthClosed | Corrected, late: list[complements.Late]) -> bool:
    """Save the close, what each earlier month is now billed for, and the marks it read gone,
    in one write; False when a mark or an earlier close changed meanwhile, or another run closed
    the month (the caller reads again)."""
    try:
        with transaction() as writes:
            writes.save(closed, condition=Item.pk.does_not_exist())
            for item in late:
                if item.closed is not None and item.billed_days is not None:
                    writes.update(
                        item.closed,
                        actions=[
                            MonthClosed.billed_days.set(item.billed_days),
                            MonthClosed.revision.set(item.revision + 1),
                        ],
                        condition=MonthClosed.revision == item.revision,
                    )
                writes.delete(
                    LateReadings(meter_pk(meter.meter_id), f"LATE#{item.month}"),
                    condition=LateReadings.revision == item.mark_revision,
                )
    except TransactWriteError:
        return False
    return True


def _tell(closed: MonthClosed) -> None:
    from guichet_contracts.domain_events import consumption as contract

    told = closed.announcement or {}
    events.publish(
        period_told(told),
        bus_name=settings.event_bus_name,
    )
    if told["payout"] is not None:
        events.publish(
            contract.SurplusPayout.model_validate_json(json.dumps(told["payout"])),
            bus_name=settings.event_bus_name,
        )
    closed.update(actions=[MonthClosed.announced.set(True)])


def _previous(meter: Meter, month: str) -> MonthClosed | None:
    """The last month closed before `month` (the battery level and the kitty carry over)."""
    found = list(
        MonthClosed.query(
            meter_pk(meter.meter_id),
            MonthClosed.sk.between("CLOSED#", f"CLOSED#{month}"),
            scan_index_forward=False,
            limit=2,
            consistent_read=True,
        )
    )
    earlier = [item for item in found if item.month < month]
    return earlier[0] if earlier else None


def _retire_if_ended(meter: Meter, month: str) -> None:
    """A meter that ended leaves the `active` index once the month it ended in is closed, and no
    late readings wait to be billed (a file marking it brings it back: readings.py)."""
    if meter.closed_on and meter.closed_on[:7] <= month and meter.active_pk:
        waiting = LateReadings.query(meter_pk(meter.meter_id), LateReadings.sk.startswith("LATE#"), limit=1)
        if next(iter(waiting), None) is not None:
            return
        meter.update(actions=[Meter.active_pk.remove(), Meter.active_sk.remove(), Meter.revision.add(1)])
