"""What a month of electricity costs, priced once for both services that speak of it: the invoices
service bills a closed month with these lines (billing_events.py), and the consumption service
shows a customer the same figures for each month and day of their series (its series.py), so
that the portal's euros are the invoice's.

A month (ConsumptionPeriodClosed): the subscription, agreed tax included, for the whole month, or
by the day for the days the contract ran; the kWh billed at the grid rates (base, or peak and
off-peak), without tax; the kWh taken back from a virtual battery at its withdrawal rate. VAT is
20 % on the whole bill (since 2025-08-01), summed once on the bill's base (pricing.breakdown).
The complements of earlier months read late are lines of the month's invoice too, each at its own
month's rates, but they are the cost of those months, not of this one.

The taxes other than VAT (`taxes`): the offer's prices include them — the kWh rates the accise on
electricity, the subscription the CTA (contribution tarifaire d'acheminement) — so they add nothing
to a bill's total; the invoice shows what they come to, at the rates the offer states (catalog
fields, carried by the month's event): the accise on the month's kWh (the grid's and those taken
back from a virtual battery), the CTA on the network's fixed part of the month's subscription.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from .pricing import PricedLine, breakdown, cents, line_excluding_tax

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .domain_events.consumption import Complement, ConsumptionPeriodClosed

ENERGY_TAX_RATE = Decimal("20.0")


class Wording(Protocol):
    """Words a line's description with the values it names: `say("peak", month="2026-10")`."""

    def __call__(self, key: str, **values: Any) -> str: ...


# The lines' descriptions in French, the words the consumption service never shows and the
# invoices service replaces with the buyer's language (its catalogs' "invoice line" messages).
FRENCH = {
    "subscription": "Abonnement électricité {month}",
    "subscription_days": "Abonnement électricité {month} (du {start} au {end}, {days} j / {days_in_month})",
    "base": "Consommation {month}",
    "peak": "Heures pleines {month}",
    "off_peak": "Heures creuses {month}",
    "battery": "Déstockage batterie virtuelle {month}",
    "complement": "Complément {line}",
}


def french(key: str, **values: Any) -> str:
    return FRENCH[key].format(**values)


@dataclass(frozen=True)
class Cost:
    """A priced period in cents: its base without tax, its VAT, and the total tax included."""

    excl_tax_cents: int
    tax_cents: int
    incl_tax_cents: int


def cost(lines: Iterable[PricedLine]) -> Cost:
    """What lines cost together, VAT summed as on an invoice."""
    summed = breakdown(lines)
    excl = sum(int(group["base_cents"]) for group in summed)
    tax = sum(int(group["tax_cents"]) for group in summed)
    return Cost(excl_tax_cents=excl, tax_cents=tax, incl_tax_cents=excl + tax)


@dataclass(frozen=True)
class Taxes:
    """The taxes other than VAT a month's prices include, excluding VAT, in cents."""

    accise_kwh: Decimal  # the month's kWh the accise is levied on
    accise_cents_per_kwh: Decimal
    accise_cents: int
    cta_base_cents: int  # the network's fixed part of the month's subscription, excluding VAT
    cta_rate_percent: Decimal
    cta_cents: int


def taxes(closed: ConsumptionPeriodClosed) -> Taxes | None:
    """The accise and the CTA included in a month's own lines; None when its offer states none."""
    rates = closed.taxes
    if rates is None:
        return None
    kwh = closed.consumed_kwh
    if closed.battery is not None and closed.battery.withdrawal_cents_per_kwh is not None:
        kwh += max(closed.battery.restored_kwh, Decimal(0))
    base = cents(Decimal(subscription_line(closed).total_excl_tax_cents) * rates.cta_base_percent / 100)
    return Taxes(
        accise_kwh=kwh,
        accise_cents_per_kwh=rates.accise_cents_per_kwh,
        accise_cents=cents(kwh * rates.accise_cents_per_kwh),
        cta_base_cents=base,
        cta_rate_percent=rates.cta_rate_percent,
        cta_cents=cents(Decimal(base) * rates.cta_rate_percent / 100),
    )


def energy_lines(
    month: str,
    tariff_option: str,
    rates: dict[str, Decimal],
    kwh: tuple[Decimal, Decimal, Decimal],
    *,
    complement: bool = False,
    say: Wording = french,
) -> list[PricedLine]:
    """The kWh lines of a month: (consumed, peak, off-peak) at the contract's rates, excluding tax
    (`complement`: kWh of an earlier month read late)."""
    consumed, peak, off_peak = kwh
    usage = [(peak, "peak"), (off_peak, "off_peak")] if tariff_option == "off_peak" else [(consumed, "base")]

    def described(rate: str) -> str:
        line = say(rate, month=month)
        return say("complement", line=line) if complement else line

    return [
        line_excluding_tax(
            description=described(rate),
            quantity=quantity,
            unit="kWh",
            unit_price_cents=Decimal(rates[rate]),
            tax_rate=ENERGY_TAX_RATE,
            tax_included=False,
        )
        for quantity, rate in usage
    ]


def subscription_line(closed: ConsumptionPeriodClosed, say: Wording = french) -> PricedLine:
    """The month's subscription: whole, or by the day for the days of the month the contract ran."""
    month = closed.month
    days = (closed.period_end - closed.period_start).days + 1
    if days >= closed.days_in_month:
        return line_excluding_tax(
            description=say("subscription", month=month),
            quantity=Decimal(1),
            unit="month",
            unit_price_cents=Decimal(closed.subscription_price_cents),
            tax_rate=ENERGY_TAX_RATE,
            tax_included=True,
        )
    return line_excluding_tax(
        description=say(
            "subscription_days",
            month=month,
            start=f"{closed.period_start:%d/%m}",
            end=f"{closed.period_end:%d/%m}",
            days=days,
            days_in_month=closed.days_in_month,
        ),
        quantity=Decimal(days),
        unit="day",
        unit_price_cents=Decimal(closed.subscription_price_cents) / closed.days_in_month,
        tax_rate=ENERGY_TAX_RATE,
        tax_included=True,
    )


def month_energy_lines(closed: ConsumptionPeriodClosed, say: Wording = french) -> list[PricedLine]:
    """The month's own kWh: at the grid rates, and those restored by a virtual battery at its
    withdrawal rate."""
    lines = energy_lines(
        closed.month,
        closed.tariff_option,
        closed.rates_cents_per_kwh,
        (closed.consumed_kwh, closed.peak_kwh, closed.off_peak_kwh),
        say=say,
    )
    battery = closed.battery
    if battery is not None and battery.restored_kwh > 0 and battery.withdrawal_cents_per_kwh is not None:
        # kWh taken back from the virtual battery are billed at its withdrawal rate, not the grid's
        lines.append(
            line_excluding_tax(
                description=say("battery", month=closed.month),
                quantity=battery.restored_kwh,
                unit="kWh",
                unit_price_cents=battery.withdrawal_cents_per_kwh,
                tax_rate=ENERGY_TAX_RATE,
                tax_included=False,
            )
        )
    return lines


def month_lines(closed: ConsumptionPeriodClosed, say: Wording = french) -> list[PricedLine]:
    """The month's own lines (its subscription and its kWh), without complements."""
    return [subscription_line(closed, say), *month_energy_lines(closed, say)]


def complement_lines(complements: Iterable[Complement], say: Wording = french) -> list[PricedLine]:
    """kWh of earlier months read after they were billed, each at its month's rates."""
    lines: list[PricedLine] = []
    for complement in complements:
        lines += energy_lines(
            complement.month,
            complement.tariff_option,
            complement.rates_cents_per_kwh,
            (complement.consumed_kwh, complement.peak_kwh, complement.off_peak_kwh),
            complement=True,
            say=say,
        )
    return lines
