"""Meters: what the consumption service measures for a customer, kept from subscription events.

Each subscription has meters of its own: an electricity subscription one, `E<subscription_id>`;
a mobile line one per allowance unit (GB, min, sms), `M<subscription_id>-<unit>`. A meter
measures a point of delivery — the PDL for electricity (or, without one yet, the meter itself),
the unit of the line for mobile — whose readings it shares with every other meter of that point
(the successive occupants of a home), and shows and bills only its own days: from its
subscription's start to its end (SubscriptionCancelled or SubscriptionExpired). A newcomer never
reads a reading from before their start, and the previous occupant keeps their meter and its
history. When a subscription starts on a point still held by an older one, the older meter ends
the day before (a move-in ends the previous occupant's supply of that point, as a supplier
switch does); whatever order the events arrive in, each day of a point has one meter.

An electricity meter keeps its tariff history (chalicelib/tariffs.py); a mobile line its plans
(chalicelib/lines.py). Events arrive at least once and in any order: an activation delivered
again changes nothing, an end already there stands unless earlier, and an event about a
subscription whose activation has not arrived yet fails so that it comes back.
"""

from __future__ import annotations

import itertools
import zlib
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError

from . import tariffs
from .errors import NotFound, NotYetKnown
from .models import ACTIVE_SHARDS, Item, Line, Meter, Point, customer_pk, meter_pk, point_pk, transaction

if TYPE_CHECKING:
    from guichet_contracts.domain_events.subscriptions import Subscription

logger = Logger(child=True)

PRODUCING_OFFERS = ("virtual_storage", "surplus_resale")
METERED = ("electricity", "mobile")
_RETRIES = 10


def as_dict(meter: Meter, today: date) -> dict[str, Any]:
    """A meter as the API shows it: for electricity, the tariff option and hours in force today."""
    tariff = tariffs.in_force(meter, today)
    return {
        "meter_id": meter.meter_id,
        "subscription_id": meter.subscription_id,
        "kind": meter.kind,
        "unit": meter.unit,
        "pdl": meter.pdl,
        "tariff_option": tariff.option if tariff else None,
        "off_peak_hours": tariff.hours_as_dicts() if tariff else [],
        "has_production": bool(meter.has_production),
        "offer": meter.offer,
        "status": meter.status,
        "active_from": meter.active_from,
        "closed_on": meter.closed_on,
    }


def listing(customer_id: str) -> list[Meter]:
    """The customer's meters, one Query of the `by_customer` index."""
    found = Item.by_customer.query(customer_pk(customer_id), Item.customer_sk.startswith("METER#"))
    return [item for item in found if isinstance(item, Meter)]


def owned(customer_id: str, meter_id: str) -> Meter:
    """The customer's meter; another customer's answers exactly like a missing one."""
    if not meter_id or len(meter_id) > 64:
        raise NotFound()
    meter = _get(meter_id)
    if meter is None or meter.customer_id != customer_id:
        raise NotFound()
    return meter


def _get(meter_id: str) -> Meter | None:
    try:
        return Meter.get(meter_pk(meter_id), "METER", consistent_read=True)
    except DoesNotExist:
        return None


def of_point(point_id: str) -> list[Meter]:
    """Every meter of a point of delivery, oldest first (one GetItem, one BatchGetItem); none
    when the point is unknown."""
    try:
        point = Point.get(point_pk(point_id), "POINT", consistent_read=True)
    except DoesNotExist:
        return []
    keys = [(meter_pk(meter_id), "METER") for meter_id in sorted(point.meter_ids)]
    found = Meter.batch_get(keys, consistent_read=True)
    return sorted(found, key=lambda meter: (meter.active_from, meter.meter_id))


def own_days(meter: Meter, first: date, last: date) -> tuple[date, date]:
    """The days of [first, last] that the meter bills (last < first: none): its own, from the first
    day Guichet bills (an imported contract's days before were billed by the provider)."""
    first = max(first, date.fromisoformat(meter.billed_from or meter.active_from))
    if meter.closed_on:
        last = min(last, date.fromisoformat(meter.closed_on))
    return first, last


def active_keys(meter_id: str) -> tuple[str, str]:
    return f"ACTIVE#{zlib.crc32(meter_id.encode()) % ACTIVE_SHARDS}", meter_id


def _new_meter(
    subscription: Subscription, meter_id: str, point_id: str, *, kind: str, unit: str, now: datetime
) -> Meter:
    meter = Meter(
        meter_pk(meter_id),
        "METER",
        meter_id=meter_id,
        point_id=point_id,
        customer_id=subscription.customer_id,
        subscription_id=subscription.subscription_id,
        kind=kind,
        unit=unit,
        status="active",
        active_from=subscription.started_on.isoformat(),
        updated_at=now,
    )
    meter.customer_pk, meter.customer_sk = customer_pk(subscription.customer_id), f"METER#{meter_id}"
    return meter


# ---- SubscriptionActivated ------------------------------------------------------------------


def activated(subscription: Subscription, *, now: datetime, billed_from: date | None = None) -> list[Meter]:
    """The meters of an electricity or mobile subscription, made once (a redelivery changes
    nothing); the ones made now. `billed_from`: the first day Guichet bills (later than the start
    for a contract imported from the provider)."""
    if subscription.family == "electricity":
        made = _electricity_activated(subscription, now, billed_from)
    elif subscription.family == "mobile":
        made = _mobile_activated(subscription, now, billed_from)
    else:
        return []
    if made:
        logger.info(
            "meters active",
            extra={"subscription_id": subscription.subscription_id, "meters": [m.meter_id for m in made]},
        )
    return made


def _electricity_activated(
    subscription: Subscription, now: datetime, billed_from: date | None
) -> list[Meter]:
    contract = subscription.contract
    meter_id = f"E{subscription.subscription_id}"
    point_id = contract.pdl or meter_id
    meter = _new_meter(subscription, meter_id, point_id, kind="electricity", unit="kWh", now=now)
    if billed_from is not None and billed_from > subscription.started_on:
        meter.billed_from = billed_from.isoformat()
    meter.pdl = contract.pdl
    meter.offer = contract.offer
    meter.has_production = contract.offer in PRODUCING_OFFERS
    meter.payment_mode = contract.payment_mode
    # the activation's tariff comes before any change, even one of the same day
    meter.tariffs = [tariffs.entry(subscription, subscription.started_on, changed_at="")]
    meter.active_pk, meter.active_sk = active_keys(meter_id)
    made = _save_new([meter], [point_id], line=None)
    _one_meter_a_day(point_id, now)
    if made:
        from . import closing

        closing.catch_up(Meter.get(meter_pk(meter_id), "METER", consistent_read=True), now)
    return made


def _mobile_activated(subscription: Subscription, now: datetime, billed_from: date | None) -> list[Meter]:
    from . import lines

    line = lines.new_line(subscription, now=now, billed_from=billed_from)
    meters = [_unit_meter(subscription, unit, now) for unit in line.units]
    return _save_new(meters, [meter.point_id for meter in meters], line=line)


def _unit_meter(subscription: Subscription, unit: str, now: datetime) -> Meter:
    """The meter of one allowance unit of a mobile line: a point of its own."""
    from . import lines

    meter_id = lines.meter_id(subscription.subscription_id, unit)
    return _new_meter(subscription, meter_id, meter_id, kind="mobile", unit=unit, now=now)


def _save_new(meters: list[Meter], points: list[str], *, line: Line | None) -> list[Meter]:
    """Save new meters (and the line) in one transaction, each point knowing its meter; nothing
    when they are there already (a redelivery: what they became since stands)."""
    try:
        with transaction() as writes:
            for meter in meters:
                writes.save(meter, condition=Meter.pk.does_not_exist())
            for meter, point_id in zip(meters, points, strict=True):
                writes.update(
                    Point(point_pk(point_id), "POINT"),
                    actions=[
                        Point.item_type.set(Point),
                        Point.point_id.set(point_id),
                        Point.meter_ids.add({meter.meter_id}),
                    ],
                )
            if line is not None:
                writes.save(line, condition=Line.pk.does_not_exist())
    except TransactWriteError:
        if all(_get(meter.meter_id) is not None for meter in meters):
            return []
        raise
    return meters


def _one_meter_a_day(point_id: str, now: datetime) -> None:
    """Each meter of the point ends, at the latest, the day before the next one starts."""
    meters = of_point(point_id)
    for older, newer in itertools.pairwise(meters):
        if older.active_from == newer.active_from:
            logger.warning(
                "two subscriptions of a point start the same day",
                extra={"point_id": point_id, "meters": [older.meter_id, newer.meter_id]},
            )
            continue
        eve = date.fromisoformat(newer.active_from) - timedelta(days=1)
        if older.closed_on is None or older.closed_on > eve.isoformat():
            logger.warning(
                "a newer subscription of its point ends a meter",
                extra={"meter_id": older.meter_id, "by": newer.meter_id, "closed_on": eve.isoformat()},
            )
            end(older, eve, now=now)


# ---- SubscriptionCancelled, SubscriptionExpired ---------------------------------------------


def end(meter: Meter, ended_on: date, *, now: datetime) -> bool:
    """The meter's last day is `ended_on`, unless it already ended earlier; True when changed.

    An electricity meter stays in the `active` index until close_month has closed its last
    month, so that month is still billed (`final`)."""
    for _ in range(_RETRIES):
        if meter.closed_on and meter.closed_on <= ended_on.isoformat():
            return False
        revision = int(meter.revision)
        meter.status, meter.closed_on, meter.updated_at = "closed", ended_on.isoformat(), now
        meter.revision = revision + 1
        try:
            meter.save(condition=Meter.revision == revision)
            return True
        except PutError:
            fresh = _get(meter.meter_id)
            if fresh is None:
                return False
            meter = fresh
    raise RuntimeError(f"meter {meter.meter_id} is too busy")


def _subscription_meters(subscription: Subscription) -> list[Meter]:
    """The meters of this subscription (NotYetKnown before its activation arrived); none when it
    is not measured, or when the event names another customer than the meters'."""
    from . import lines

    subscription_id = subscription.subscription_id
    if subscription.family == "electricity":
        meter_ids = [f"E{subscription_id}"]
    elif subscription.family == "mobile":
        line = lines.get(subscription_id)
        if line is None:
            raise NotYetKnown(f"subscription {subscription_id} has no line yet")
        meter_ids = [lines.meter_id(subscription_id, unit) for unit in line.units]
    else:
        return []
    found = [meter for meter in (_get(meter_id) for meter_id in meter_ids) if meter is not None]
    if not found:
        raise NotYetKnown(f"subscription {subscription_id} has no meter yet")
    if any(meter.customer_id != subscription.customer_id for meter in found):
        logger.warning(
            "an event names another customer than its subscription's meters",
            extra={"subscription_id": subscription_id},
        )
        return []
    return found


def ended(subscription: Subscription, ended_on: date, *, now: datetime) -> int:
    """SubscriptionCancelled / SubscriptionExpired: its meters stop on its last day of service
    (again: no change); how many changed."""
    from . import lines

    meters = _subscription_meters(subscription)
    if meters and subscription.family == "mobile":
        lines.ended(subscription.subscription_id, ended_on, now=now)
    return sum(end(meter, ended_on, now=now) for meter in meters)


# ---- SubscriptionRenewed --------------------------------------------------------------------


def renewed(subscription: Subscription, period_start: date, *, changed_at: str, now: datetime) -> bool:
    """SubscriptionRenewed: a new period may run on the terms of a newer catalog version (price,
    rates, allowances, announced a month before by the subscriptions service). Terms that differ
    from those in force join the history as a change does — an energy contract's from the first
    day of a month, a mobile line's from the period's start; the same terms add nothing."""
    from . import lines

    if subscription.family == "mobile":
        line = lines.get(subscription.subscription_id)
        if line is None:
            return False
        new = lines.plan_entry(subscription, period_start, changed_at=changed_at)
        in_force = [plan for plan in line.plans if plan["from"] <= period_start.isoformat()]
        current = (in_force or sorted(line.plans, key=lambda plan: str(plan["from"])))[-1]
        if _terms(current) == _terms(new):
            return False
        return changed(subscription, period_start, changed_at=changed_at, now=now)
    if subscription.family != "electricity":
        return False
    meters = _subscription_meters(subscription)
    if not meters:
        return False
    (meter,) = meters
    starts = energy_effective_on(period_start)
    current_tariff = tariffs.in_force(meter, starts)
    entry = tariffs.entry(subscription, starts, changed_at=changed_at)
    if current_tariff is not None and _terms(tariffs.as_entry(current_tariff)) == _terms(entry):
        return False
    return changed(subscription, starts, changed_at=changed_at, now=now)


def _terms(entry: dict[str, Any]) -> dict[str, Any]:
    """A history entry without when it applies from and when it was written."""
    return {name: value for name, value in entry.items() if name not in ("from", "changed_at")}


# ---- SubscriptionChanged --------------------------------------------------------------------


def energy_effective_on(effective_on: date) -> date:
    """An energy contract changes on the first day of a month; a change dated otherwise takes
    effect on the first day of the next one, so that each month has one tariff."""
    if effective_on.day == 1:
        return effective_on
    return (effective_on.replace(day=28) + timedelta(days=4)).replace(day=1)


def changed(subscription: Subscription, effective_on: date, *, changed_at: str, now: datetime) -> bool:
    """SubscriptionChanged: an electricity meter's tariff, or a mobile line's plan (with a meter
    for each unit it adds), from `effective_on`; False when that change was there already."""
    from . import lines

    meters = _subscription_meters(subscription)
    if not meters:
        return False
    if subscription.family == "mobile":
        changed_plan = lines.changed(subscription, effective_on, changed_at=changed_at, now=now)
        line = lines.get(subscription.subscription_id)
        metered = {meter.unit for meter in meters}
        missing = [unit for unit in (line.units if line else []) if unit not in metered]
        new = [_unit_meter(subscription, unit, now) for unit in missing]
        _save_new(new, [meter.point_id for meter in new], line=None)
        return changed_plan
    (meter,) = meters
    starts = energy_effective_on(effective_on)
    if starts != effective_on:
        logger.warning(
            "an energy contract change takes effect on the first day of a month",
            extra={"meter_id": meter.meter_id, "effective_on": str(effective_on), "from": str(starts)},
        )
    entry = tariffs.entry(subscription, starts, changed_at=changed_at)
    for _ in range(_RETRIES):
        history = tariffs.with_entry(list(meter.tariffs or []), entry)
        if history == meter.tariffs:
            return False
        revision = int(meter.revision)
        meter.tariffs = history
        meter.offer = subscription.contract.offer
        meter.has_production = bool(meter.has_production) or subscription.contract.offer in PRODUCING_OFFERS
        meter.payment_mode = subscription.contract.payment_mode
        meter.updated_at, meter.revision = now, revision + 1
        try:
            meter.save(condition=Meter.revision == revision)
            logger.info("tariff changed", extra={"meter_id": meter.meter_id, "from": str(starts)})
            return True
        except PutError:
            fresh = _get(meter.meter_id)
            if fresh is None:
                return False
            meter = fresh
    raise RuntimeError(f"meter {meter.meter_id} is too busy")
