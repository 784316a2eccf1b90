"""The answers of the subscriptions API as pydantic models: the OpenAPI document's response schemas
are generated from them (openapi.py), as its request bodies are from schemas.py.

The routes build plain dicts (subscriptions.as_dict, orders.as_dict...); the route tests validate
every real answer against the schemas generated here, which allow no other field: a field added
to an answer and not here fails them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from guichet_contracts.validation import ResponseModel, not_null
from pydantic import BaseModel, ConfigDict, Field

from .technical_settings import (
    DomainOptions,
    DomainSettings,
    ElectricityOptions,
    ElectricitySettings,
    HostingOptions,
    HostingSettings,
    InternetOptions,
    InternetSettings,
    MobileOptions,
    MobileSettings,
    WebsiteOptions,
    WebsiteSettings,
)

Family = Literal["domain", "website", "hosting", "internet", "mobile", "electricity"]
Status = Literal["pending_confirmation", "to_configure", "active", "suspended", "expired", "cancelled"]
OrderStatus = Literal["received", "paid", "provisioning", "completed", "failed", "cancelled"]
BillingPeriod = Literal["month", "year"]
CLOCK = "^[0-2][0-9]:[0-5][0-9]$"  # HH:MM, as technical_settings writes it


class Health(ResponseModel):
    status: Literal["ok"]


class Allowance(ResponseModel):
    unit: str
    included: float | None = Field(description="null: unlimited")


class Product(ResponseModel):
    # the offer details are there when the catalog gives them, never as null (catalog._extras)
    model_config = ConfigDict(json_schema_extra=not_null())

    product_id: str
    family: Family
    name: str
    description: str
    price_cents: int
    currency: str
    billing_period: BillingPeriod
    commitment_months: int
    offer: str | None = None
    battery_capacity_kwh: float | None = None
    resale_rate_cents_per_kwh: float | None = None
    allowances: list[Allowance] | None = None
    storage_mb: int | None = None
    energy_rates_cents_per_kwh: dict[str, float] | None = None
    price_cents_by_power_kva: dict[str, int] | None = Field(
        default=None, description="The price of a period by subscribed power (kVA)"
    )
    apn: str | None = Field(default=None, description="A mobile plan's network access point name")


class Catalog(ResponseModel):
    items: list[Product]


class Hours(ResponseModel):
    start: str = Field(pattern=CLOCK)
    end: str = Field(pattern=CLOCK)


class Contract(ResponseModel):
    contract_number: str
    offer: str | None
    payment_mode: Literal["monthly", "per_invoice"]
    # energy fields: null for the other families
    pdl: str | None
    off_peak_hours: list[Hours] | None
    subscribed_power_kva: int | None
    tariff_option: Literal["base", "off_peak"] | None


class Subscription(ResponseModel):
    """A subscription as listed (the list, the dashboard)."""

    subscription_id: str
    dossier_number: str
    product_id: str
    family: Family
    name: str
    label: str
    status: Status
    remarks: str | None
    started_on: date | None
    renews_on: date = Field(description="The end of the paid period")
    auto_renew: bool
    price_cents: int
    currency: str
    billing_period: BillingPeriod
    commitment_months: int
    cancel_at: date | None = Field(description="The day a planned cancellation takes effect")


class NoSettings(ResponseModel):
    """No technical settings given yet."""


# A subscription's settings and options are those its family's model validated (technical_settings)
Settings = (
    DomainSettings
    | WebsiteSettings
    | HostingSettings
    | InternetSettings
    | MobileSettings
    | ElectricitySettings
    | NoSettings
)
Options = (
    DomainOptions | WebsiteOptions | HostingOptions | InternetOptions | MobileOptions | ElectricityOptions
)


class SubscriptionDetail(Subscription):
    """A subscription with its contract, technical settings and options (one subscription's routes)."""

    contract: Contract
    settings: Settings = Field(description="Technical settings, as the family's model has them")
    options: Options = Field(description="The options it was ordered or changed with")


class OrderLine(ResponseModel):
    product_id: str
    family: Family
    name: str
    label: str
    options: Options
    periods: int = Field(ge=1)
    billing_period: BillingPeriod
    unit_price_cents: int
    total_cents: int
    subscription_id: str | None = Field(description="Set for a renewal, or once provisioned")


class Step(ResponseModel):
    status: OrderStatus
    at: datetime


class Order(ResponseModel):
    order_id: str
    kind: Literal["purchase", "renewal"]
    status: OrderStatus
    items: list[OrderLine]
    total_cents: int
    currency: str
    created_at: datetime
    history: list[Step]
    awaiting: Literal["payment", "mandate"] | None = Field(description="What a received order waits for")
    invoice_id: str | None = Field(description="Its invoice, once issued")
    terms_version: str | None = Field(description="The version of the terms of sale accepted with the order")


class Dashboard(ResponseModel):
    expiring_soon: list[Subscription]
    to_configure: list[Subscription]
    orders_in_progress: list[Order]


class Document(ResponseModel):
    kind: Literal["contract", "terms", "proof_of_address"]
    title: str


class Documents(ResponseModel):
    items: list[Document]


class Link(ResponseModel):
    url: str
    expires_at: datetime


class TermsLink(Link):
    version: str = Field(
        description="The version of the terms of sale in force, to send back as the order's terms_version"
    )


class Slot(ResponseModel):
    start: datetime
    end: datetime


class Slots(ResponseModel):
    items: list[Slot]


class Appointment(ResponseModel):
    appointment_id: str
    start: datetime
    end: datetime
    topic: str
    phone: str


class SupportMessage(ResponseModel):
    message_id: str
    topic: Literal["billing", "technical", "sales", "other"]
    subject: str
    message: str
    subscription_id: str | None
    sent_at: datetime


ANSWERS: tuple[type[BaseModel], ...] = (
    Health,
    Catalog,
    Subscription,
    SubscriptionDetail,
    Dashboard,
    Order,
    Documents,
    Link,
    TermsLink,
    Slots,
    Appointment,
    SupportMessage,
)
