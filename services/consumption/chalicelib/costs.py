"""What a meter's kWh cost, in euros, as the invoices service bills them: the same lines, priced
by the same code (guichet_contracts.electricity_bill), so that the portal's euros are the
invoice's.

- A month closed: what its close told the invoices service (ConsumptionPeriodClosed), priced: its
  subscription for the contract's days of the month and its kWh, at the grid rates and, with a
  virtual battery, at the withdrawal rate — the month's invoice (or, for a monthly payer, what the
  month adds to the year's regularization) less the complements of earlier months it carries.
  Readings of the month that arrive after its close are billed as complements on a later invoice:
  they are not in the month's cost (`billed` true).
- A month not closed yet: the same, with what is read so far, as its close would bill it now
  (`billed` false): the battery filled and drawn from the level the last close left.
- A day: its kWh at the rates of the tariff of that day, VAT included as on the month's invoice;
  no subscription, and before the virtual battery (the month settles it).

Amounts are integer cents: `excl_tax_cents` (the base), `tax_cents` (VAT, 20 % on the whole
bill), `incl_tax_cents`, with `energy_excl_tax_cents` and `subscription_excl_tax_cents` (months
only) apart. Meters without a tariff (a mobile line's allowance) have no cost (null).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from guichet_contracts import electricity_bill
from guichet_contracts.domain_events.consumption import ConsumptionPeriodClosed

from . import closing, tariffs

if TYPE_CHECKING:
    from collections.abc import Iterable

    from guichet_contracts.pricing import PricedLine

    from .models import Meter, MonthClosed
    from .readings import Figures

CURRENCY = "EUR"


def _answer(
    lines: list[PricedLine], subscription: list[PricedLine] | None, *, billed: bool
) -> dict[str, Any]:
    total = electricity_bill.cost([*lines, *(subscription or [])])
    return {
        "energy_excl_tax_cents": sum(line.total_excl_tax_cents for line in lines),
        "subscription_excl_tax_cents": None
        if subscription is None
        else sum(line.total_excl_tax_cents for line in subscription),
        "excl_tax_cents": total.excl_tax_cents,
        "tax_cents": total.tax_cents,
        "incl_tax_cents": total.incl_tax_cents,
        "currency": CURRENCY,
        "billed": billed,
    }


def _priced(closed: ConsumptionPeriodClosed, *, billed: bool) -> dict[str, Any]:
    return _answer(
        electricity_bill.month_energy_lines(closed),
        [electricity_bill.subscription_line(closed)],
        billed=billed,
    )


def month(
    meter: Meter, name: str, total: Figures | None, closes: dict[str, MonthClosed]
) -> dict[str, Any] | None:
    """The cost of a month of the meter (`closes`: its closes by month, the earlier ones too)."""
    if not meter.tariffs:
        return None
    closed = closes.get(name)
    if closed is not None and closed.announcement:
        return _priced(closing.period_told(closed.announcement), billed=True)
    if total is None:
        return None
    earlier = [item for month, item in sorted(closes.items()) if month < name]
    return _priced(closing.estimate(meter, name, total, earlier[-1] if earlier else None), billed=False)


def day(meter: Meter, on: date, kwh: tuple[Decimal, Decimal, Decimal] | None) -> dict[str, Any] | None:
    """The cost of a day's (consumed, peak, off-peak) kWh at that day's rates."""
    tariff = tariffs.in_force(meter, on)
    if tariff is None or kwh is None:
        return None
    lines = electricity_bill.energy_lines(on.isoformat(), tariff.option, tariff.rates, kwh)
    return _answer(lines, None, billed=False)


def added(costs: Iterable[dict[str, Any] | None]) -> dict[str, Any] | None:
    """Costs summed field by field (a period's total); None when none is known."""
    known = [item for item in costs if item is not None]
    if not known:
        return None
    subscriptions = [item["subscription_excl_tax_cents"] for item in known]
    return {
        "energy_excl_tax_cents": sum(item["energy_excl_tax_cents"] for item in known),
        "subscription_excl_tax_cents": None
        if all(value is None for value in subscriptions)
        else sum(value or 0 for value in subscriptions),
        "excl_tax_cents": sum(item["excl_tax_cents"] for item in known),
        "tax_cents": sum(item["tax_cents"] for item in known),
        "incl_tax_cents": sum(item["incl_tax_cents"] for item in known),
        "currency": CURRENCY,
        "billed": all(item["billed"] for item in known),
    }
