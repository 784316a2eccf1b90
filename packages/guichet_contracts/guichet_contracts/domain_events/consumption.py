"""Events of the consumption service: what a closed period of a meter bills."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from . import (
    Currency,
    DataExportPart,
    Day,
    DomainEvent,
    Id,
    Kwh,
    Month,
    Part,
    PaymentMode,
    PositiveCents,
    Rate,
)


class Battery(Part):
    stored_kwh: Kwh
    restored_kwh: Kwh
    level_kwh: Kwh
    withdrawal_cents_per_kwh: Rate | None


def _priced(option: str, rates: dict[str, Decimal]) -> None:
    """The rates a tariff option bills with must be there: base, or peak and off-peak."""
    needed = ("peak", "off_peak") if option == "off_peak" else ("base",)
    missing = [name for name in needed if name not in rates]
    if missing:
        raise ValueError(f"the {option} option needs the rates {', '.join(missing)}")


class Complement(Part):
    """kWh of an earlier month read after it was billed (late or corrected files): the difference
    with what was billed then, priced with that month's tariff. Negative when a file corrected
    readings downward."""

    month: Month
    tariff_option: Literal["base", "off_peak"]
    rates_cents_per_kwh: dict[str, Rate]
    consumed_kwh: Kwh
    peak_kwh: Kwh
    off_peak_kwh: Kwh

    @model_validator(mode="after")
    def _rates_of_its_option(self) -> Complement:
        _priced(self.tariff_option, self.rates_cents_per_kwh)
        return self


class EnergyTaxes(Part):
    """The taxes other than VAT the month's prices include, at the offer's rates: the accise on
    electricity per kWh billed, and the CTA, `cta_rate_percent` of the network's fixed part,
    which is `cta_base_percent` of the subscription excluding VAT (electricity_bill.taxes)."""

    accise_cents_per_kwh: Rate
    cta_rate_percent: Rate
    cta_base_percent: Rate


class ConsumptionPeriodClosed(DomainEvent):
    name: ClassVar[str] = "ConsumptionPeriodClosed"
    # version 2 added `taxes`: the accise and CTA rates of the month's tariff
    version: ClassVar[int] = 2
    producer: ClassVar[str] = "consumption"
    consumers: ClassVar[tuple[str, ...]] = ("invoices",)
    when: ClassVar[str] = (
        "An electricity meter's month was closed (the 1st of the next month): its kWh, the days of "
        "the month its contract ran (the subscription is billed for those days only), and the "
        "complements of earlier months read late. `final`: the contract's last month."
    )

    customer_id: Id
    meter_id: Id
    subscription_id: Id
    month: Month
    period_start: Day  # the contract's first day in the month
    period_end: Day  # its last day in the month (inclusive)
    days_in_month: Annotated[int, Field(ge=28, le=31)]
    payment_mode: PaymentMode
    tariff_option: Literal["base", "off_peak"]
    rates_cents_per_kwh: dict[str, Rate]
    subscription_price_cents: PositiveCents  # a whole month's, tax included
    consumed_kwh: Kwh  # billed at the grid rates (after the virtual battery)
    peak_kwh: Kwh
    off_peak_kwh: Kwh
    injected_kwh: Kwh
    estimated: bool
    battery: Battery | None
    complements: list[Complement]
    final: bool
    taxes: EnergyTaxes | None  # None: the offer stated none (a tariff from before they were carried)

    @classmethod
    def upgraded(cls, version: int, data: dict[str, Any]) -> dict[str, Any] | None:
        # version 1 was published before offers stated their taxes: it carried none
        if version != 1 or "taxes" in data:
            return None
        return {**data, "taxes": None}

    @model_validator(mode="after")
    def _rates_of_its_option(self) -> ConsumptionPeriodClosed:
        _priced(self.tariff_option, self.rates_cents_per_kwh)
        return self


class ConsumptionCorrected(DomainEvent):
    name: ClassVar[str] = "ConsumptionCorrected"
    producer: ClassVar[str] = "consumption"
    consumers: ClassVar[tuple[str, ...]] = ("invoices",)
    when: ClassVar[str] = (
        "Readings of an ended contract's months arrived, or were corrected, after its final month "
        "was closed: the monthly close of `month` found them (there is no month of its own left to "
        "carry them) and tells the complements, for a corrective invoice or credit."
    )

    correction_id: Id  # <meter id>-<month>: one per meter and close
    customer_id: Id
    meter_id: Id
    subscription_id: Id
    month: Month  # the close that found them
    complements: Annotated[list[Complement], Field(min_length=1)]


class SurplusPayout(DomainEvent):
    name: ClassVar[str] = "SurplusPayout"
    producer: ClassVar[str] = "consumption"
    consumers: ClassVar[tuple[str, ...]] = ("invoices",)
    when: ClassVar[str] = "A month of injected kWh was bought at the offer's rate and credited to the kitty."

    payout_id: Id
    customer_id: Id
    meter_id: Id
    subscription_id: Id
    month: Month
    injected_kwh: Kwh
    rate_cents_per_kwh: Rate
    amount_cents: PositiveCents
    currency: Currency


Quantity = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class UsageCharge(Part):
    """One unit of a line's plan over a period: what it used against what the plan includes
    (None: unlimited), what lies beyond, and its price (tax included) rounded half up."""

    unit: str
    included: Quantity | None
    used: Quantity
    beyond: Quantity
    unit_price_cents: PositiveCents
    amount_cents: PositiveCents


class UsagePeriodClosed(DomainEvent):
    name: ClassVar[str] = "UsagePeriodClosed"
    producer: ClassVar[str] = "consumption"
    consumers: ClassVar[tuple[str, ...]] = ("invoices",)
    when: ClassVar[str] = (
        "A telecom line's allowance period [period_start, period_end) ended (its billing day): "
        "what was used beyond the plan is billed (prices include VAT)."
    )

    customer_id: Id
    subscription_id: Id
    period_start: Day
    period_end: Day  # the first day of the next period (exclusive)
    charges: list[UsageCharge]
    amount_cents: PositiveCents  # the charges' amounts added up
    currency: Currency

    @model_validator(mode="after")
    def _adds_up(self) -> UsagePeriodClosed:
        if self.period_end <= self.period_start:
            raise ValueError("period_end must come after period_start")
        if self.amount_cents != sum(charge.amount_cents for charge in self.charges):
            raise ValueError("amount_cents must be the sum of the charges' amount_cents")
        return self


class ConsumptionDataExported(DataExportPart):
    name: ClassVar[str] = "ConsumptionDataExported"
    producer: ClassVar[str] = "consumption"
    consumers: ClassVar[tuple[str, ...]] = ("auth",)
    when: ClassVar[str] = (
        "The consumption service wrote its part of a data export: meters, readings (day by day), "
        "monthly totals and closes, lines and their allowance periods."
    )
