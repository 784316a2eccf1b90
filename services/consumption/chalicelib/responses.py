"""The answers of the consumption API as pydantic models: the OpenAPI document's response schemas
are generated from them (openapi.py), as the request bodies of the other services are from theirs.

The routes build plain dicts; the route tests validate every real answer against the schemas
generated here, which allow no other field: a field added to an answer and not here fails them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

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


class Point(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("complete"))

    start: datetime
    value: float | None
    peak: float | None
    off_peak: float | None
    injected: float | None
    complete: bool | None = None


class Totals(ResponseModel):
    consumed: float
    peak: float
    off_peak: float
    injected: float


class Series(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("meter_id", "from", "to"))

    meter_id: str | None = None
    unit: str
    step: Literal["half_hour", "hour", "day", "month"]
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    points: list[Point]
    totals: Totals


class SummaryMonth(ResponseModel):
    month: str = Field(pattern="^[0-9]{4}-[0-9]{2}$")
    consumed: float | None
    peak: float | None
    off_peak: float | None
    injected: float | None
    estimated: bool


class Summary(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("meter_id", "unit", "year"))

    meter_id: str | None = None
    unit: str | None = None
    year: int | None = None
    months: list[SummaryMonth]
    total: float
    previous_year_total: float | None


class BatteryMonth(ResponseModel):
    month: str
    stored_kwh: float
    restored_kwh: float
    level_kwh: float


class Battery(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("meter_id"))

    meter_id: str | None = None
    capacity_kwh: float
    level_kwh: float
    months: list[BatteryMonth]


class SurplusMonth(ResponseModel):
    month: str
    injected_kwh: float
    rate_cents_per_kwh: float
    credited_cents: int
    paid_out_on: date | None = None


class Surplus(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("meter_id", "rate_cents_per_kwh"))

    meter_id: str | None = None
    kitty_cents: int = Field(description="credited by the closes, not yet paid out")
    paid_out_cents: int = Field(description="paid out to the customer so far")
    currency: str
    rate_cents_per_kwh: float | None = None
    months: list[SurplusMonth]


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


ANSWERS: tuple[type[BaseModel], ...] = (Health, Meter, Series, Summary, Battery, Surplus, Usage)
