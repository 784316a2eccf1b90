"""The catalog document an operator puts (the schema of `catalog.json`) and what the catalog's
operator routes answer, as pydantic models: the validation of catalog_versions.py and the
OpenAPI document's schemas."""

from __future__ import annotations

from typing import Annotated, Literal

from guichet_contracts.validation import INTEGRAL, NOT_BLANK, ResponseModel
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, Strict, StrictBool, StringConstraints

MAX_PRODUCTS = 500

Text = Annotated[
    str,
    Field(json_schema_extra=NOT_BLANK),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
]
LongText = Annotated[
    str,
    Field(json_schema_extra=NOT_BLANK),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
]
Cents = Annotated[int, Strict(), Field(ge=0, le=100_000_000), INTEGRAL]
Count = Annotated[int, Strict(), Field(ge=0, le=1_000_000), INTEGRAL]
Rate = Annotated[float, Strict(), Field(ge=0, le=10_000, allow_inf_nan=False)]  # cents per kWh, as given
Percent = Annotated[float, Strict(), Field(ge=0, le=100, allow_inf_nan=False)]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
ProductKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Allowance(_Strict):
    unit: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{1,10}$")]
    included: Count | None  # null: unlimited


class EnergyRates(_Strict):
    base: Rate
    peak: Rate
    off_peak: Rate


class CatalogProduct(_Strict):
    product_id: ProductKey
    family: Literal["domain", "website", "hosting", "internet", "mobile", "electricity"]
    name: Text
    description: LongText
    price_cents: Cents
    currency: CurrencyCode | None = None  # the document's when left out
    billing_period: Literal["month", "year"]
    commitment_months: Annotated[int, Strict(), Field(ge=0, le=60), INTEGRAL] = 0
    requires_confirmation: StrictBool = False
    auto_renew: StrictBool | None = None  # by default: monthly offers and energy renew
    withdrawn: StrictBool = False  # no longer orderable nor listed; running contracts keep it
    offer: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")] | None = None
    # what the offer is made of, shown to customers (catalog._extras) and set up with
    platform: Literal["linux", "windows"] | None = None
    storage_mb: Count | None = None
    technology: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,20}$")] | None = None
    download_mbps: Count | None = None
    upload_mbps: Count | None = None
    apn: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.-]{1,63}$")] | None = None
    allowances: Annotated[list[Allowance], Field(max_length=10)] | None = None
    out_of_plan_cents: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{1,10}$")], Cents] | None = (
        None
    )
    reference_power_kva: Annotated[int, Strict(), Field(ge=3, le=36), INTEGRAL] | None = None
    energy_rates_cents_per_kwh: EnergyRates | None = None
    price_cents_by_power_kva: (
        dict[Annotated[str, StringConstraints(pattern=r"^[0-9]{1,2}$")], Cents] | None
    ) = None
    battery_capacity_kwh: Annotated[float, Strict(), Field(gt=0, le=100_000, allow_inf_nan=False)] | None = (
        None
    )
    storage_withdrawal_cents_per_kwh: Rate | None = None
    resale_rate_cents_per_kwh: Rate | None = None
    # the taxes other than VAT the offer's prices include (electricity_bill.taxes shows them apart):
    # the accise on electricity per kWh, and the CTA, a percentage of the network's fixed part,
    # `cta_base_percent` of the subscription excluding VAT
    accise_cents_per_kwh: Rate | None = None
    cta_rate_percent: Percent | None = None
    cta_base_percent: Percent | None = None


class CatalogDocument(_Strict):
    """A whole catalog, as `catalog.json` holds it."""

    currency: CurrencyCode = "EUR"
    products: Annotated[list[CatalogProduct], Field(min_length=1, max_length=MAX_PRODUCTS)]


class CatalogProductUpdate(CatalogProduct):
    """One product put by its path (PUT /operator/catalog/products/{product_id}): its id is the path's."""

    product_id: ProductKey | None = None  # type: ignore[assignment]


# ---- answers ---------------------------------------------------------------------------------


class CatalogVersionSummary(ResponseModel):
    version: int  # 0: catalog.json, the default while no version is stored
    digest: str  # SHA-256 of the canonical JSON of the document
    created_at: AwareDatetime | None
    client_id: str | None  # the operator client that put it
    changed: list[str]  # product ids added or changed (withdrawn included) by this version


class CatalogCurrent(CatalogVersionSummary):
    document: CatalogDocument


class CatalogVersions(ResponseModel):
    items: list[CatalogVersionSummary]
    next_cursor: str | None


ANSWERS = (CatalogVersionSummary, CatalogCurrent, CatalogVersions)
