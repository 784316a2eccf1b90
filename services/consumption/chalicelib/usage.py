"""Telecom allowances: what a mobile line used this month against what its plan includes."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pynamodb.exceptions import DoesNotExist

from .errors import NotFound
from .models import Meter, MonthTotal, meter_pk

UNITS_ORDER = ("GB", "min", "sms")


def current(meters: list[Meter], today: date, subscription_id: str | None) -> dict[str, Any]:
    """The month's allowances of one mobile line (the first one, unless `subscription_id` names it)."""
    lines = sorted(
        {meter.subscription_id for meter in meters if meter.kind == "mobile" and meter.status == "active"}
    )
    if subscription_id is not None and subscription_id not in lines:
        raise NotFound()
    if not lines:
        raise NotFound()
    chosen = subscription_id or lines[0]
    month = today.isoformat()[:7]
    allowances = []
    out_of_plan = 0
    own = [meter for meter in meters if meter.subscription_id == chosen]
    for meter in sorted(own, key=lambda m: UNITS_ORDER.index(m.unit) if m.unit in UNITS_ORDER else 99):
        try:
            used = Decimal(MonthTotal.get(meter_pk(meter.meter_id), f"MONTH#{month}").consumed)
        except DoesNotExist:
            used = Decimal(0)
        included = Decimal(meter.included) if meter.included is not None else None
        beyond = max(Decimal(0), used - included) if included is not None else Decimal(0)
        out_of_plan += int(
            (beyond * int(meter.out_of_plan_cents or 0)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        )
        allowances.append(
            {
                "unit": meter.unit,
                "included": float(included) if included is not None else None,
                "used": float(used),
                "remaining": float(max(Decimal(0), included - used)) if included is not None else None,
            }
        )
    return {
        "subscription_id": chosen,
        "period": month,
        "allowances": allowances,
        "out_of_plan_cents": out_of_plan,
        "currency": "EUR",
        "lines": lines,
    }
