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

from decimal import Decimal
from typing import Any

# the pricing of a line and the VAT of a document live in guichet_contracts.pricing, which the
# consumption service prices its months with too
from guichet_contracts.pricing import (  # noqa: F401 (this module's names, as its callers read them)
    PricedLine,
    breakdown,
    cents,
    decimal_text,
    line_excluding_tax,
    tax,
)


def breakdown_of_bases(bases: dict[Decimal, int]) -> list[dict[str, Any]]:
    """VAT per rate of bases summed by rate (stored lines, read back), highest rate first."""
    return [
        {"rate": rate_text(rate), "base_cents": bases[rate], "tax_cents": tax(bases[rate], rate)}
        for rate in sorted(bases, reverse=True)
    ]


def rate_text(rate: Decimal) -> str:
    """A rate as the Factur-X document and its checks write it: "20.0", "5.5", "2.1", "0.0"."""
    text = format(rate.normalize(), "f")
    return text if "." in text else f"{text}.0"
