"""The answers of the consumption API as pydantic models: the OpenAPI document's response schemas
are generated from them (openapi.py), as the request bodies of the other services are from theirs.

The routes build plain dicts; the route tests validate every real answer against the schemas
generated here, which allow no other field: a field added to an answer and not here fails them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from guichet_contracts.validation import ResponseModel, not_null
from pydantic import BaseModel, ConfigDict, Field


class Health(ResponseModel):
    status: Literal["ok"]


class Hours(ResponseModel):
    start: str
    end: str


class Meter(ResponseModel):
    # these may be absent (older meters), never null
    model_config = ConfigDict(json_schema_extra=not_null("status", "active_from"))

    meter_id: str = Field(
        description="The subscription's own meter: E<subscription_id> for electricity (its readings "
        "are the PDL's), M<subscription_id>-<unit> for a mobile line's allowance"
    )
    subscription_id: str
    kind: Literal["electricity", "mobile"]
    unit: str
    pdl: str | None = Field(description="The point of delivery the meter reads (electricity)")
    tariff_option: str | None = Field(description="The tariff option in force today")
    off_peak_hours: list[Hours]
    has_production: bool
    offer: str | None = None
    status: Literal["active", "closed"] | None = None
    active_from: date | None = Field(default=None, description="Its first own day")
    closed_on: date | None = Field(
        default=None,
        description="Its last own day: the subscription ended, or a newer one of its PDL started",
    )


def _quantity() -> Any:
    return Field(
        pattern="^-?[0-9]+(\\.[0-9]+)?$",
        description="The figure as decimal text at the answer's `resolution` (rounded half up)",
    )


class Cost(ResponseModel):
    """What a period's kWh cost, priced as the invoice prices them (chalicelib/costs.py)."""

    energy_excl_tax_cents: int = Field(description="The kWh at the contract's rates then, without tax")
    subscription_excl_tax_cents: int | None = Field(
        description="The subscription for the contract's days of the month, without tax (months only)"
    )
    excl_tax_cents: int
    tax_cents: int = Field(description="VAT (20 % on the whole bill), summed as on the invoice")
    incl_tax_cents: int
    currency: str
    billed: bool = Field(
        description="true: the month is closed and this is what its invoice billed for it; false: an "
        "estimate from what is read so far (a day, or a month not closed yet)"
    )


class PointQuantities(ResponseModel):
    value: str | None = _quantity()
    peak: str | None = _quantity()
    off_peak: str | None = _quantity()
    injected: str | None = _quantity()


class Point(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("complete", "quantities"))

    start: datetime
    value: float | None
    peak: float | None
    off_peak: float | None
    injected: float | None
    complete: bool | None = None
    quantities: PointQuantities | None = Field(
        default=None, description="value, peak, off_peak, injected as text"
    )
    cost: Cost | None = Field(
        default=None, description="Day and month steps: the cost of the point's kWh (null: nothing read)"
    )


class TotalQuantities(ResponseModel):
    consumed: str = _quantity()
    peak: str = _quantity()
    off_peak: str = _quantity()
    injected: str = _quantity()


class Totals(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("quantities"))

    consumed: float
    peak: float
    off_peak: float
    injected: float
    quantities: TotalQuantities | None = None
    cost: Cost | None = Field(default=None, description="Day and month steps: the points' costs added up")


class Previous(ResponseModel):
    from_: date = Field(alias="from")
    to: date
    points: list[Point] = Field(
        description="Aligned with `points`: the i-th is the i-th one's day or month a year before"
    )
    totals: Totals


class Series(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("meter_id", "from", "to", "resolution"))

    meter_id: str | None = None
    unit: str
    step: Literal["half_hour", "hour", "day", "month"]
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    resolution: str | None = Field(
        default=None,
        description="The rounding of the quantities' text: 0.001 (Wh) for half-hours and hours, "
        "0.1 for days and months",
    )
    points: list[Point]
    totals: Totals
    previous: Previous | None = Field(
        default=None,
        description="With compare=previous_year (day and month steps): the same period a year earlier",
    )


class MonthQuantities(ResponseModel):
    consumed: str | None = _quantity()
    peak: str | None = _quantity()
    off_peak: str | None = _quantity()
    injected: str | None = _quantity()


class EarlierMonth(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("quantities"))

    month: str = Field(pattern="^[0-9]{4}-[0-9]{2}$")
    consumed: float | None
    peak: float | None
    off_peak: float | None
    injected: float | None
    estimated: bool
    quantities: MonthQuantities | None = None
    cost: Cost | None = None


class SummaryMonth(EarlierMonth):
    previous_year: EarlierMonth | None = Field(
        default=None, description="The same month a year earlier (whole), null when it was not the meter's"
    )


class SummaryQuantities(ResponseModel):
    total: str = _quantity()
    previous_year_total: str | None = _quantity()


class Summary(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra=not_null("meter_id", "unit", "year", "resolution", "quantities")
    )

    meter_id: str | None = None
    unit: str | None = None
    year: int | None = None
    resolution: str | None = None
    months: list[SummaryMonth]
    total: float
    previous_year_total: float | None
    quantities: SummaryQuantities | None = None
    total_cost: Cost | None = Field(default=None, description="The months' costs added up")


class BatteryMonth(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("overflow_kwh"))

    month: str
    stored_kwh: float
    restored_kwh: float
    level_kwh: float
    overflow_kwh: float | None = Field(
        default=None, description="Injected kWh the battery had no room for: not stored, nor bought"
    )


class Battery(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("meter_id", "beyond_capacity"))

    meter_id: str | None = None
    capacity_kwh: float = Field(description="What the battery holds at most")
    level_kwh: float
    withdrawal_cents_per_kwh: float | None = Field(
        default=None, description="The rate restored kWh are billed at, without tax, instead of the grid's"
    )
    beyond_capacity: Literal["not_stored"] | None = Field(
        default=None,
        description="What becomes of injection beyond the capacity: not stored, nor bought "
        "(it goes to the grid)",
    )
    months: list[BatteryMonth]


class SurplusMonth(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("in_kitty_cents"))

    month: str
    injected_kwh: float
    rate_cents_per_kwh: float
    credited_cents: int
    in_kitty_cents: int | None = Field(
        default=None, description="What of the month is still in the kitty (0 once paid out)"
    )
    paid_out_on: date | None = None
    resale_invoice_id: str | None = Field(default=None, description="The resale invoice that paid it out")


class Surplus(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("meter_id", "rate_cents_per_kwh", "payout_rule"))

    meter_id: str | None = None
    kitty_cents: int = Field(
        description="credited by the closes, not yet paid out: the sum of the months' in_kitty_cents"
    )
    paid_out_cents: int = Field(description="paid out to the customer so far")
    currency: str
    rate_cents_per_kwh: float | None = None
    payout_rule: Literal["resale_invoice_due_date"] | None = Field(
        default=None,
        description="Each month is paid out by transfer on the due date of its resale invoice, issued "
        "when the month is closed (the 1st of the next month) with the provider's payment terms",
    )
    months: list[SurplusMonth] = Field(
        description="Every month still holding something in the kitty, and the last twelve months closed"
    )


class Allowance(ResponseModel):
    unit: str
    included: float | None
    used: float
    remaining: float | None


class Usage(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("subscription_id", "currency", "lines"))

    subscription_id: str | None = None
    period: str = Field(
        pattern="^[0-9]{4}-[0-9]{2}$", description="The month the current allowance period starts in"
    )
    period_start: date = Field(
        description="The current allowance period's first day (the line's billing day)"
    )
    period_end: date = Field(
        description="The first day of the next period: the period is [period_start, period_end)"
    )
    allowances: list[Allowance]
    out_of_plan_cents: int
    currency: str | None = None
    lines: list[str] | None = None


class ReadingOutcome(ResponseModel):
    index: int = Field(ge=0, description="The item's place in `readings`, from 0")
    status: Literal["accepted", "duplicate", "rejected"] = Field(
        description="duplicate: its half-hour held this value already, or an earlier item gave it"
    )
    fields: dict[str, str] | None = Field(
        default=None, description="rejected: what is wrong with which field, in the request's language"
    )


class BeyondBillingLimit(ResponseModel):
    meter_id: str
    last_reading: date = Field(description="The last day the point has readings of")
    billable_from: date = Field(description="14 months before it: older consumption is never billed")
    items: int
    indexes: list[list[int]] = Field(description="The items concerned, as [first, last] runs of indexes")


class ReadingsReceived(ResponseModel):
    batch: str = Field(description="The batch's SHA-256, over its readings as canonical JSON")
    status: Literal["received", "already_received"] = Field(
        description="already_received: the same batch was taken whole before; nothing changed"
    )
    received: int
    accepted: int
    duplicate: int
    rejected: int
    items: list[ReadingOutcome]
    beyond_billing_limit: list[BeyondBillingLimit] = Field(
        description="Accepted readings older than 14 months before their point's last reading: kept "
        "for the history, never billed"
    )


class HalfHourReceived(ResponseModel):
    start: datetime = Field(description="The half-hour's start, with its offset (Paris time)")
    consumption: str | None = _quantity()
    injection: str | None = _quantity()


class ReadingsHeld(ResponseModel):
    meter_id: str = Field(description="The point of delivery, as the readings name it")
    unit: str
    from_: date = Field(alias="from")
    to: date
    items: list[HalfHourReceived] = Field(description="Every half-hour read, in time order")


ANSWERS: tuple[type[BaseModel], ...] = (
    Health,
    Meter,
    Series,
    Summary,
    Battery,
    Surplus,
    Usage,
    ReadingsReceived,
    ReadingsHeld,
)
