"""VAT and rounding, in one place: how an invoice's lines are priced, how its VAT is summed per
rate, and what its Factur-X XML states (cii.py reads the same functions).

- Money is integer cents; a computed amount is rounded half away from zero (12.5 → 13,
  -12.5 → -13), so that a credit note is the exact mirror of its invoice.
- A line is priced without tax; a price agreed tax included is divided by (1 + rate).
- VAT is computed once per rate on the sum of that rate's lines, never per line, as EN 16931
  (BR-S-09, BR-CO-14) and the French invoicing rules want — except for prices agreed tax
  included, which keep their total: the rate's VAT is that total minus its base (what a consumer
  was shown is what is billed, as French B2C invoices do).
- Which VAT applies (`regime`), decided when an invoice is issued and kept on it (vat_regime):
  French VAT as the lines were priced, except the reverse charge (autoliquidation, art. 196 of
  directive 2006/112/CE) of services to a business customer established in another EU member
  state, which says so by its VAT number: the lines are billed without VAT (category AE in the
  Factur-X XML) and the customer accounts for the VAT in its own country. Electricity (lines in
  kWh) is not reverse-charged: delivered to a meter in France to a customer who consumes it,
  it is taxed where it is consumed (art. 39 of the directive), in France. A surplus resale (the
  customer sells) is not the provider's supply. A credit note follows the invoice it credits.
  The VAT number is checked by its form when the customer gives it (guichet_contracts.companies);
  VIES, which says whether it is registered, is not reachable from here.
"""

from __future__ import annotations

from dataclasses import replace
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


REVERSE_CHARGE = "reverse_charge"
SELLER_COUNTRY = "FR"


def regime(buyer: dict[str, Any], *, kind: str, lines: list[PricedLine]) -> str | None:
    """How VAT applies to an invoice of `kind` to `buyer` (billing_parties.printed): REVERSE_CHARGE
    for services to a business with a VAT number of another EU member state, None (French VAT as
    priced) otherwise. See the module's docstring for the rule."""
    number = str(buyer.get("vat_number") or "").replace(" ", "").upper()
    if kind == "resale" or not number:
        return None
    if not _of_another_member_state(number):
        return None
    if any(line.unit.strip().lower() == "kwh" for line in lines):
        return None
    return REVERSE_CHARGE


def _of_another_member_state(number: str) -> bool:
    """A VAT number of an EU member state other than the seller's ("EL" is Greece's prefix;
    Northern Ireland's "XI" numbers are for goods only, not for these services)."""
    from guichet_contracts.companies import eu_vat, vat_country

    country = vat_country(number)
    return country != SELLER_COUNTRY and country.lower() in eu_vat.MEMBER_STATES


def under(regime_: str | None, lines: list[PricedLine]) -> list[PricedLine]:
    """The lines as billed under a regime: without VAT under the reverse charge (the price
    without tax is the price; what was agreed tax included loses its VAT), as priced otherwise."""
    if regime_ != REVERSE_CHARGE:
        return lines
    return [replace(line, tax_rate=Decimal("0"), total_incl_tax_cents=None) for line in lines]
