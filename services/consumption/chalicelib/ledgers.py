"""What the monthly close left a customer: the virtual battery and the surplus kitty.

Virtual battery: each close stores the month's injected kWh as far as the battery has room
(its capacity less its level); what lies beyond is neither stored nor bought — it went to the
grid (`overflow_kwh`, closing.battery_month). Consumption is then restored from the battery, and
restored kWh are billed at the withdrawal rate instead of the grid's.

The kitty is what the resale invoices credited and not yet paid out: each close credits the
month's surplus bought (its `credited_cents`), for which the invoices service issues a resale
invoice, paid out by transfer on its due date (issued when the month closes, due after the
provider's payment terms: `payout_rule`); its SurplusPaidOut takes that month's amount off,
recorded once per payout (`PaidOut`). The kitty is the sum of what its months still hold
(`in_kitty_cents`), and every month that holds something is listed, however old, with the last
twelve months closed: the total is what its months add up to.
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
# a kitty month is paid out on the due date of its resale invoice (the invoices service's terms)
PAYOUT_RULE = "resale_invoice_due_date"
# injection beyond the battery's room is not stored, nor bought: it goes to the grid
BEYOND_CAPACITY = "not_stored"


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
        "withdrawal_cents_per_kwh": None
        if tariff.withdrawal_cents_per_kwh is None
        else float(tariff.withdrawal_cents_per_kwh),
        "beyond_capacity": BEYOND_CAPACITY,
        "months": [
            {
                "month": item.month,
                "stored_kwh": float(Decimal(item.stored_kwh or 0)),
                "restored_kwh": float(Decimal(item.restored_kwh or 0)),
                "level_kwh": float(Decimal(item.level_kwh or 0)),
                "overflow_kwh": float(
                    max(Decimal(0), _settled(item) - Decimal(item.stored_kwh or 0))
                    if item.stored_kwh is not None
                    else Decimal(0)
                ),
            }
            for item in months
        ],
    }


def _settled(item: MonthClosed) -> Decimal:
    """The injected kWh a close settled (the month's, and late ones of earlier months)."""
    return Decimal(item.settled_injection_kwh or item.injected_kwh)


def surplus(meters: list[Meter]) -> dict[str, Any]:
    """The kitty and the months sold: the kWh bought at each close (the month's injection, with
    the late readings of earlier months that close settled), what they were credited, and what
    each still holds; the months still holding something and the last twelve (two Queries)."""
    meter, tariff = _meter_with(meters, "resale_cents_per_kwh")
    closes = sorted(
        MonthClosed.query(meter_pk(meter.meter_id), MonthClosed.sk.startswith("CLOSED#")),
        key=lambda item: item.month,
    )
    paid = {
        item.month: item
        for item in PaidOut.query(meter_pk(meter.meter_id), PaidOut.sk.startswith("PAIDOUT#"))
    }
    months = []
    for index, item in enumerate(closes):
        credited = int(item.credited_cents or 0)
        payout = paid.get(item.month)
        held = credited - (int(payout.amount_cents) if payout else 0)
        if held or index >= len(closes) - MONTHS_SHOWN:
            months.append(
                {
                    "month": item.month,
                    "injected_kwh": float(_settled(item)),
                    "rate_cents_per_kwh": float(Decimal(item.resale_cents_per_kwh or 0)),
                    "credited_cents": credited,
                    "in_kitty_cents": held,
                    "paid_out_on": payout.paid_on if payout else None,
                    "resale_invoice_id": payout.invoice_id if payout else None,
                }
            )
    return {
        "meter_id": meter.meter_id,
        # what the months hold: all credited less all paid out, as the resale invoices say
        "kitty_cents": sum(month["in_kitty_cents"] for month in months),
        "paid_out_cents": sum(int(item.amount_cents) for item in paid.values()),
        "currency": "EUR",
        "rate_cents_per_kwh": float(tariff.resale_cents_per_kwh or 0),
        "payout_rule": PAYOUT_RULE,
        "months": months,
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
