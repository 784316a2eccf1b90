"""Meters: what the consumption service measures for a customer, kept from subscription events.

An electricity subscription has one meter, named by its PDL (the grid operator's point of
delivery, which identifies the readings it sends) or, without one yet, by the subscription. A
mobile subscription has one meter per allowance unit (GB, min, sms). A meter only ever shows
the readings from the day its subscription started (a new occupant of a home never sees the
previous one's) to the day it was cancelled. A point of delivery taken over by a newer
subscription becomes that subscription's meter; a late event of an older one changes nothing.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist

from .errors import NotFound
from .models import ACTIVE_SHARDS, Item, Meter, customer_pk, meter_pk

if TYPE_CHECKING:
    from guichet_contracts.domain_events.subscriptions import SubscriptionActivated, SubscriptionCancelled

logger = Logger(child=True)

PRODUCING_OFFERS = ("virtual_storage", "surplus_resale")


def as_dict(meter: Meter) -> dict[str, Any]:
    return {
        "meter_id": meter.meter_id,
        "subscription_id": meter.subscription_id,
        "kind": meter.kind,
        "unit": meter.unit,
        "pdl": meter.pdl,
        "tariff_option": meter.tariff_option,
        "off_peak_hours": meter.off_peak_hours or [],
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
    try:
        meter = Meter.get(meter_pk(meter_id), "METER")
    except DoesNotExist:
        raise NotFound() from None
    if meter.customer_id != customer_id:
        raise NotFound()
    return meter


def _active_keys(meter_id: str) -> tuple[str, str]:
    return f"ACTIVE#{zlib.crc32(meter_id.encode()) % ACTIVE_SHARDS}", meter_id


def _decimal_text(value: Any) -> str | None:
    return None if value is None else str(value)


def activated(event: SubscriptionActivated, *, now: datetime) -> list[Meter]:
    """SubscriptionActivated: the meters of an electricity or mobile subscription (again: no change)."""
    subscription = event.subscription
    tariff = subscription.tariff
    subscription_id = subscription.subscription_id
    started_on = subscription.started_on.isoformat()
    common: dict[str, Any] = {
        "customer_id": subscription.customer_id,
        "subscription_id": subscription_id,
        "status": "active",
        "active_from": started_on,
        "updated_at": now,
    }
    meters: list[Meter] = []
    if subscription.family == "electricity":
        contract = subscription.contract
        offer = contract.offer
        meter_id = contract.pdl or f"E{subscription_id}"
        meter = Meter(
            meter_pk(meter_id),
            "METER",
            meter_id=meter_id,
            kind="electricity",
            unit="kWh",
            pdl=contract.pdl,
            offer=offer,
            tariff_option=contract.tariff_option or "base",
            off_peak_hours=[hours.model_dump() for hours in contract.off_peak_hours or []],
            has_production=offer in PRODUCING_OFFERS,
            payment_mode=contract.payment_mode,
            rates_cents_per_kwh={
                name: str(rate) for name, rate in (tariff.energy_rates_cents_per_kwh or {}).items()
            },
            subscription_price_cents=subscription.price_cents,
            battery_capacity_kwh=_decimal_text(tariff.battery_capacity_kwh),
            withdrawal_cents_per_kwh=_decimal_text(tariff.storage_withdrawal_cents_per_kwh),
            resale_cents_per_kwh=_decimal_text(tariff.resale_rate_cents_per_kwh),
            **common,
        )
        meter.active_pk, meter.active_sk = _active_keys(meter_id)
        meters.append(meter)
    elif subscription.family == "mobile":
        prices = tariff.out_of_plan_cents or {}
        for allowance in tariff.allowances or []:
            unit = allowance.unit
            meter_id = f"M{subscription_id}-{unit}"
            meters.append(
                Meter(
                    meter_pk(meter_id),
                    "METER",
                    meter_id=meter_id,
                    kind="mobile",
                    unit=unit,
                    included=_decimal_text(allowance.included),
                    out_of_plan_cents=prices.get(unit),
                    **common,
                )
            )
    kept = []
    for meter in meters:
        try:
            known = Meter.get(meter.pk, "METER")
        except DoesNotExist:
            known = None
        if known is not None and known.subscription_id == subscription_id:
            continue  # a redelivery: what the meter became since (cancelled, say) stands
        if known is not None and known.active_from > started_on:
            # a late event of an older subscription of this point of delivery: the newer one owns it
            logger.warning("older subscription of a meter ignored", extra={"meter_id": meter.meter_id})
            continue
        meter.customer_pk, meter.customer_sk = customer_pk(meter.customer_id), f"METER#{meter.meter_id}"
        meter.save()
        kept.append(meter)
    meters = kept
    if meters:
        logger.info(
            "meters active",
            extra={"subscription_id": subscription_id, "meters": [m.meter_id for m in meters]},
        )
    return meters


def cancelled(event: SubscriptionCancelled, *, now: datetime) -> int:
    """SubscriptionCancelled: its meters stop on its last day of service (again: no change).

    An electricity meter stays in the `active` index until close_month has closed its last
    month, so that month is still billed.
    """
    subscription_id = event.subscription.subscription_id
    ended_on = event.ended_on.isoformat()
    closed = 0
    for meter in listing(event.subscription.customer_id):
        if meter.subscription_id != subscription_id or meter.status == "closed":
            continue
        meter.update(
            actions=[Meter.status.set("closed"), Meter.closed_on.set(ended_on), Meter.updated_at.set(now)]
        )
        closed += 1
    return closed
