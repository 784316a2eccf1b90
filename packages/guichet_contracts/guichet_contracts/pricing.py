"""How a line of an invoice is priced and how a document's VAT is summed: integer cents, rounded
half away from zero; one module, so that what the consumption service shows a customer for a
month is what the invoices service bills (services/invoices/chalicelib/vat.py tells the rules).

- A line is priced without tax; a price agreed tax included is divided by (1 + rate).
- VAT is computed once per rate on the sum of that rate's lines, except for prices agreed tax
  included, which keep their total.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


@dataclass(frozen=True)
class PricedLine:
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal  # currency units, excluding tax
    tax_rate: Decimal
    total_excl_tax_cents: int
    total_incl_tax_cents: int | None = None  # the price agreed tax included, when it was


def cents(value: Decimal) -> int:
    """An exact amount of cents rounded to a whole cent, half away from zero."""
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def tax(base_cents: int, rate: Decimal) -> int:
    """The VAT of a base at a rate (in %), rounded once."""
    return cents(Decimal(base_cents) * rate / 100)


def line_excluding_tax(
    *,
    description: str,
    quantity: Decimal,
    unit: str,
    unit_price_cents: Decimal,
    tax_rate: Decimal,
    tax_included: bool,
) -> PricedLine:
    """A line priced without tax; a price given tax included is divided by (1 + rate)."""
    total = unit_price_cents * quantity
    included = cents(total) if tax_included else None
    if tax_included:
        total = total * 100 / (100 + tax_rate)
        unit_price_cents = unit_price_cents * 100 / (100 + tax_rate)
    return PricedLine(
        description=description,
        quantity=quantity,
        unit=unit,
        unit_price=(unit_price_cents / 100).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
        tax_rate=tax_rate,
        total_excl_tax_cents=cents(total),
        total_incl_tax_cents=included,
    )


def breakdown(lines: Iterable[PricedLine]) -> list[dict[str, Any]]:
    """VAT per rate of priced lines, highest rate first: [{"rate", "base_cents", "tax_cents"}]."""
    groups: dict[Decimal, list[PricedLine]] = {}
    for line in lines:
        groups.setdefault(line.tax_rate.normalize(), []).append(line)
    summed = []
    for rate in sorted(groups, reverse=True):
        group = groups[rate]
        base = sum(line.total_excl_tax_cents for line in group)
        if all(line.total_incl_tax_cents is not None for line in group):
            vat = sum(int(line.total_incl_tax_cents or 0) for line in group) - base
        else:
            vat = tax(base, rate)
        summed.append({"rate": decimal_text(rate), "base_cents": base, "tax_cents": vat})
    return summed


def decimal_text(value: Decimal) -> str:
    """A decimal as stored and answered: "1", "342.5", "0.1952"."""
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")
