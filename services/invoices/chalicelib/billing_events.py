"""What other services' events bill: orders, closed consumption periods, surplus payouts.

Each event issues at most one invoice, keyed by its business id (the order, the meter's month,
the payout), however often EventBridge delivers it.
- OrderPlaced: the priced lines of an order (prices include VAT). An electricity line of a
  monthly payer is not invoiced: it starts the year's payment schedule instead.
- ConsumptionPeriodClosed: a month of electricity priced with the contract's rates (peak and
  off-peak, or base) plus the month's subscription, for a customer who pays per invoice; for a
  monthly payer it counts toward the year's regularization.
- SurplusPayout: a resale invoice, the provider buying the customer's surplus (self-billing;
  no VAT for a household producer under the franchise en base).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from . import invoicing, schedules
from .models import Invoice

ENERGY_TAX_RATE = Decimal("20.0")
RESALE_TAX_RATE = Decimal("0")


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def order_placed(data: dict[str, Any], *, now: datetime) -> Invoice | None:
    today = invoicing.local_day(now)
    lines = []
    for line in data["lines"]:
        energy = line.get("energy")
        if line.get("family") == "electricity" and line.get("payment_mode") == "monthly" and energy:
            schedules.create(data["customer_id"], start=today, estimated_annual_cents=estimate(line, energy))
            continue
        lines.append(
            invoicing.line_excluding_tax(
                description=line["description"],
                quantity=_decimal(line["quantity"]),
                unit=line["unit"],
                unit_price_cents=_decimal(line["unit_price_cents"]),
                tax_rate=_decimal(line.get("tax_rate", "20.0")),
                tax_included=bool(data.get("prices_include_tax", True)),
            )
        )
    if not lines:
        return None
    return invoicing.issue(
        data["customer_id"],
        kind="invoice",
        source=f"ORDER#{data['order_id']}",
        lines=lines,
        issued_on=today,
        now=now,
        order_id=data["order_id"],
        currency=data.get("currency", "EUR"),
    )


def estimate(line: dict[str, Any], energy: dict[str, Any]) -> int:
    """A year of a monthly payer: twelve months of subscription plus the typical consumption
    for the subscribed power at the contract's rates (62 % peak, 38 % off-peak when split)."""
    rates = {name: _decimal(rate) for name, rate in (energy.get("rates_cents_per_kwh") or {}).items()}
    kwh = _decimal(energy.get("estimated_annual_kwh", 0))
    if energy.get("tariff_option") == "off_peak" and "peak" in rates and "off_peak" in rates:
        energy_cents = kwh * (Decimal("0.62") * rates["peak"] + Decimal("0.38") * rates["off_peak"])
    else:
        energy_cents = kwh * rates.get("base", Decimal(0))
    subscription = _decimal(line["unit_price_cents"]) * 12
    return invoicing.cents(subscription + energy_cents * (100 + ENERGY_TAX_RATE) / 100)


def consumption_period_closed(data: dict[str, Any], *, now: datetime) -> Invoice | None:
    month = data["month"]
    rates = {name: _decimal(rate) for name, rate in data["rates_cents_per_kwh"].items()}
    lines = [
        invoicing.line_excluding_tax(
            description=f"Abonnement électricité {month}",
            quantity=Decimal(1),
            unit="month",
            unit_price_cents=_decimal(data.get("subscription_price_cents", 0)),
            tax_rate=ENERGY_TAX_RATE,
            tax_included=True,
        )
    ]
    if data.get("tariff_option") == "off_peak":
        usage = [("Heures pleines", "peak_kwh", "peak"), ("Heures creuses", "off_peak_kwh", "off_peak")]
    else:
        usage = [("Consommation", "consumed_kwh", "base")]
    for label, field, rate in usage:
        lines.append(
            invoicing.line_excluding_tax(
                description=f"{label} {month}",
                quantity=_decimal(data.get(field, 0)),
                unit="kWh",
                unit_price_cents=rates[rate],
                tax_rate=ENERGY_TAX_RATE,
                tax_included=False,
            )
        )
    battery = data.get("battery") or {}
    restored = _decimal(battery.get("restored_kwh") or 0)
    if restored > 0 and battery.get("withdrawal_cents_per_kwh") is not None:
        # kWh taken back from the virtual battery are billed at its withdrawal rate, not the grid's
        lines.append(
            invoicing.line_excluding_tax(
                description=f"Déstockage batterie virtuelle {month}",
                quantity=restored,
                unit="kWh",
                unit_price_cents=_decimal(battery["withdrawal_cents_per_kwh"]),
                tax_rate=ENERGY_TAX_RATE,
                tax_included=False,
            )
        )
    if data.get("payment_mode") == "monthly":
        excl = sum(line.total_excl_tax_cents for line in lines)
        schedules.add_consumption(
            data["customer_id"],
            month=month,
            amount_cents=invoicing.cents(Decimal(excl) * (100 + ENERGY_TAX_RATE) / 100),
        )
        return None
    start, end = date.fromisoformat(data["period_start"]), date.fromisoformat(data["period_end"])
    return invoicing.issue(
        data["customer_id"],
        kind="invoice",
        source=f"CONSUMPTION#{data['meter_id']}#{month}",
        lines=lines,
        issued_on=invoicing.local_day(now),
        now=now,
        period=(start, end),
    )


def surplus_payout(data: dict[str, Any], *, now: datetime) -> Invoice:
    month = data["month"]
    line = invoicing.line_excluding_tax(
        description=f"Rachat du surplus injecté {month}",
        quantity=_decimal(data["injected_kwh"]),
        unit="kWh",
        unit_price_cents=_decimal(data["rate_cents_per_kwh"]),
        tax_rate=RESALE_TAX_RATE,
        tax_included=False,
    )
    year, number = (int(part) for part in month.split("-"))
    last_day = calendar.monthrange(year, number)[1]
    return invoicing.issue(
        data["customer_id"],
        kind="resale",
        source=f"SURPLUS#{data['payout_id']}",
        lines=[line],
        issued_on=invoicing.local_day(now),
        now=now,
        period=(date(year, number, 1), date(year, number, last_day)),
        payment_mode="transfer",
        already_paid=True,
    )
