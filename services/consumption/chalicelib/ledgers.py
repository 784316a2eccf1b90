"""What the monthly close left a customer: the virtual battery and the surplus kitty."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import tariffs
from .errors import NotFound
from .models import Meter, MonthClosed, meter_pk

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
    return {
        "meter_id": meter.meter_id,
        "kitty_cents": int(months[-1].kitty_cents or 0) if months else 0,
        "currency": "EUR",
        "rate_cents_per_kwh": float(tariff.resale_cents_per_kwh or 0),
        "months": [
            {
                "month": item.month,
                "injected_kwh": float(Decimal(item.settled_injection_kwh or item.injected_kwh)),
                "rate_cents_per_kwh": float(Decimal(item.resale_cents_per_kwh or 0)),
                "credited_cents": int(item.credited_cents or 0),
            }
            for item in months
        ],
    }
