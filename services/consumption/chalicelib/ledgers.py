"""What the monthly close left a customer: the virtual battery and the surplus kitty.

The kitty is what the resale invoices credited and not yet paid out: each close credits the
month's surplus bought (`MonthClosed.kitty_cents` is the total credited to date), and each
SurplusPaidOut of the invoices service (the resale invoice paid out on its due date) takes that
month's amount off, recorded once per payout (`PaidOut`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist, PutError

from . import tariffs
from .errors import NotFound
from .models import Meter, MonthClosed, PaidOut, meter_pk

if TYPE_CHECKING:
    from guichet_contracts.domain_events.invoices import SurplusPaidOut

logger = Logger(child=True)

MONTHS_SHOWN = 12


def _meter_with(meters: list[Meter], attribute: str) -> tuple[Meter, tariffs.Tariff]:
    """The customer's meter whose current tariff has a battery (or a resale rate), with that tariff."""
    found = [
        (meter, tariff)
        for meter, tariff in ((meter, tariffs.latest(meter)) for meter in meters)
        if tariff is not None and getattr(tariff, attribute) is not None
    ]
    if not found:
        raise NotFound()
    return max(found, key=lambda pair: (pair[0].status == "active", pair[0].active_from))


def _closed(meter: Meter) -> list[MonthClosed]:
    """The last months closed, oldest first: one Query."""
    found = MonthClosed.query(
        meter_pk(meter.meter_id),
        MonthClosed.sk.startswith("CLOSED#"),
        scan_index_forward=False,
        limit=MONTHS_SHOWN,
    )
    return sorted(found, key=lambda item: item.month)


def battery(meters: list[Meter]) -> dict[str, Any]:
    meter, tariff = _meter_with(meters, "battery_capacity_kwh")
    months = _closed(meter)
    return {
        "meter_id": meter.meter_id,
        "capacity_kwh": float(tariff.battery_capacity_kwh or 0),
        "level_kwh": float(Decimal(months[-1].level_kwh or 0)) if months else 0.0,
        "months": [
            {
                "month": item.month,
                "stored_kwh": float(Decimal(item.stored_kwh or 0)),
                "restored_kwh": float(Decimal(item.restored_kwh or 0)),
                "level_kwh": float(Decimal(item.level_kwh or 0)),
            }
            for item in months
        ],
    }


def surplus(meters: list[Meter]) -> dict[str, Any]:
    """The kitty and the months sold: the kWh bought at each close (the month's injection, with
    the late readings of earlier months that close settled) and what they were credited."""
    meter, tariff = _meter_with(meters, "resale_cents_per_kwh")
    months = _closed(meter)
    paid = {
        item.month: item
        for item in PaidOut.query(meter_pk(meter.meter_id), PaidOut.sk.startswith("PAIDOUT#"))
    }
    paid_out = sum(int(item.amount_cents) for item in paid.values())
    credited = int(months[-1].kitty_cents or 0) if months else 0
    return {
        "meter_id": meter.meter_id,
        "kitty_cents": credited - paid_out,
        "paid_out_cents": paid_out,
        "currency": "EUR",
        "rate_cents_per_kwh": float(tariff.resale_cents_per_kwh or 0),
        "months": [
            {
                "month": item.month,
                "injected_kwh": float(Decimal(item.settled_injection_kwh or item.injected_kwh)),
                "rate_cents_per_kwh": float(Decimal(item.resale_cents_per_kwh or 0)),
                "credited_cents": int(item.credited_cents or 0),
                "paid_out_on": paid[item.month].paid_on if item.month in paid else None,
            }
            for item in months
        ],
    }


def paid_out(payout: SurplusPaidOut, *, now: datetime) -> bool:
    """Record a month of the kitty paid out (once per payout; True if now). The payout is the
    one the close told (`<meter id>-<YYYY-MM>`), of a meter of that subscription."""
    meter_id, month = payout.payout_id[:-8], payout.payout_id[-7:]
    if payout.payout_id[-8:-7] != "-" or not meter_id:
        raise NotFound()
    try:
        meter = Meter.get(meter_pk(meter_id), "METER")
        closed = MonthClosed.get(meter_pk(meter_id), f"CLOSED#{month}")
    except DoesNotExist:
        raise NotFound() from None
    if meter.subscription_id != payout.subscription_id or meter.customer_id != payout.customer_id:
        raise NotFound()
    try:
        PaidOut(
            meter_pk(meter_id),
            f"PAIDOUT#{payout.payout_id}",
            payout_id=payout.payout_id,
            month=closed.month,
            invoice_id=payout.invoice_id,
            amount_cents=payout.amount_cents,
            paid_on=payout.on.isoformat(),
            recorded_at=now,
        ).save(condition=PaidOut.pk.does_not_exist())
    except PutError:
        return False  # told twice
    logger.info(
        "surplus paid out",
        extra={"meter_id": meter_id, "month": closed.month, "amount_cents": payout.amount_cents},
    )
    return True
