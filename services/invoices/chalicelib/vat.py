"""VAT and rounding, in one place: how an invoice's lines are priced, how its VAT is summed per
rate, and what its Factur-X XML states (cii.py reads the same functions).

- Money is integer cents; a computed amount is rounded half away from zero (12.5 → 13,
  -12.5 → -13), so that a credit note is the exact mirror of its invoice.
- A line is priced without tax; a price agreed tax included is divided by (1 + rate).
- VAT is computed once per rate on the sum of that rate's lines, never per line, as EN 16931
  (BR-S-09, BR-CO-14) and the French invoicing rules want — except for prices agreed tax
  included, which keep their total: the rate's VAT is that total minus its base (what a consumer
  was shown is what is billed, as French B2C invoices do).
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


def breakdown_of_bases(bases: dict[Decimal, int]) -> list[dict[str, Any]]:
    """VAT per rate of bases summed by rate (stored lines, read back), highest rate first."""
    return [
        {"rate": rate_text(rate), "base_cents": bases[rate], "tax_cents": tax(bases[rate], rate)}
        for rate in sorted(bases, reverse=True)
    ]


def decimal_text(value: Decimal) -> str:
    """A decimal as stored and answered: "1", "342.5", "0.1952"."""
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def rate_text(rate: Decimal) -> str:
    """A rate as the Factur-X document and its checks write it: "20.0", "5.5", "2.1", "0.0"."""
    text = format(rate.normalize(), "f")
    return text if "." in text else f"{text}.0"
