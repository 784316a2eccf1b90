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


class Imported(ResponseModel):
    """A contract imported from the provider's systems rather than ordered here."""

    imported_on: date = Field(description="The day it was imported")
    billed_from: date | None = Field(
        description="The first day billed here (the provider billed before); null: an ended contract"
    )
    commitment_ends_on: date | None = Field(description="The end of its commitment, if any")


class Acceptance(ResponseModel):
    """The order a subscription was made by, as its contract records it."""

    order_id: str
    at: datetime = Field(description="When the customer placed the order, committing to pay")
    terms_version: str | None = Field(description="The terms of sale accepted with it; null: none shown")


class SubscriptionDetail(Subscription):
    """A subscription with its contract, technical settings and options (one subscription's routes)."""

    imported: Imported | None = Field(description="null: ordered here")
    accepted: Acceptance | None = Field(
        description="The order that made it; null: imported, or ordered before orders were recorded with it"
    )
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
    kind: Literal["contract", "terms", "proof_of_address", "cancellation"]
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


# --- the provider's contracts (operator routes, contract_import.py) ---


class ProviderContract(SubscriptionDetail):
    """An imported contract as an operator sees it: the subscription, its customer, the provider's
    id of it, and (for a PUT) what the PUT did."""

    model_config = ConfigDict(json_schema_extra=not_null("result"))

    customer_id: str
    external_id: str | None
    ended_on: date | None = Field(description="An ended contract's last day of service, as imported")
    commitment_ends_on: date | None
    result: Literal["created", "updated", "unchanged"] | None = None


class ContractImportLine(ResponseModel):
    """One row of a contracts file: its line number and what became of it."""

    model_config = ConfigDict(json_schema_extra=not_null("customer_id", "subscription_id", "fields"))

    line: int = Field(ge=1)
    external_id: str | None
    status: Literal["created", "updated", "unchanged", "rejected"]
    customer_id: str | None = None
    subscription_id: str | None = None
    fields: dict[str, str] | None = None  # a rejected row: each wrong field (or column) and why


class ContractImport(ResponseModel):
    """A contracts file: where its import is, and its counts once applied."""

    import_id: str
    status: Literal["queued", "importing", "done"]
    format: Literal["csv", "jsonl"]
    sha256: str
    submitted_at: datetime
    finished_at: datetime | None
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int


class ContractImportReport(ContractImport):
    """The import and a page of its lines (`?status=` for one kind, `?cursor=` for the next page)."""

    items: list[ContractImportLine]
    next_cursor: str | None


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
    ProviderContract,
    ContractImport,
    ContractImportReport,
)
