"""Events of the subscriptions service: orders placed, and every change of a subscription's
life (docs/LIFECYCLE.md) that another service bills or measures."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, StringConstraints

from . import (
    BillingPeriod,
    Currency,
    DataExportPart,
    Day,
    DomainEvent,
    Family,
    Id,
    Kwh,
    Part,
    PaymentMode,
    PositiveCents,
    Rate,
)

Clock = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Status = Literal["pending_confirmation", "to_configure", "active", "suspended", "expired", "cancelled"]


class OrderLine(Part):
    product_id: Id
    family: Family
    description: str
    quantity: Annotated[int, Field(ge=1)]
    unit: BillingPeriod
    unit_price_cents: PositiveCents
    total_cents: PositiveCents
    tax_rate: Rate
    subscription_id: Id | None  # the subscription a renewal is for
    # upfront: on the order's invoice; in_arrears: billed by the month once consumed (energy)
    billing: Literal["upfront", "in_arrears"]
    payment_mode: PaymentMode


class OrderPlaced(DomainEvent):
    name: ClassVar[str] = "OrderPlaced"
    producer: ClassVar[str] = "subscriptions"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "invoices")
    when: ClassVar[str] = (
        "A customer ordered (purchase) or a period is to be renewed (renewal): the invoices service "
        "bills the upfront lines and says when the order is paid (OrderPaid)."
    )

    order_id: Id
    customer_id: Id
    kind: Literal["purchase", "renewal"]
    currency: Currency
    total_cents: PositiveCents
    prices_include_tax: bool
    # a line is paid by monthly direct debits: the order is paid only once a mandate is on file
    needs_mandate: bool
    lines: Annotated[list[OrderLine], Field(min_length=1)]


class OrderCompleted(DomainEvent):
    name: ClassVar[str] = "OrderCompleted"
    producer: ClassVar[str] = "subscriptions"
    consumers: ClassVar[tuple[str, ...]] = ("auth",)
    when: ClassVar[str] = (
        "A paid order's items are all provisioned: its new subscriptions exist (each announced by "
        "SubscriptionActivated), or the subscriptions it renews were extended (SubscriptionRenewed)."
    )

    order_id: Id
    customer_id: Id
    kind: Literal["purchase", "renewal"]
    subscription_ids: Annotated[list[Id], Field(min_length=1)]  # one per line, in the order's order


class TimeRange(Part):
    start: Clock
    end: Clock


class Contract(Part):
    contract_number: Id
    offer: str | None
    payment_mode: PaymentMode
    pdl: Annotated[str, StringConstraints(pattern=r"^[0-9]{14}$")] | None
    off_peak_hours: list[TimeRange] | None
    subscribed_power_kva: int | None
    tariff_option: Literal["base", "off_peak"] | None


class Allowance(Part):
    unit: str
    included: Decimal | None  # None: unlimited


class Tariff(Part):
    """How the product's use is measured and priced; what the consumption service keeps."""

    energy_rates_cents_per_kwh: dict[str, Rate] | None = None
    battery_capacity_kwh: Kwh | None = None
    storage_withdrawal_cents_per_kwh: Rate | None = None
    resale_rate_cents_per_kwh: Rate | None = None
    estimated_annual_kwh: int | None = None
    allowances: list[Allowance] | None = None
    out_of_plan_cents: dict[str, int] | None = None
    # the taxes other than VAT an energy offer's prices include (accise per kWh; CTA in % of
    # `cta_base_percent` of the subscription excluding VAT)
    accise_cents_per_kwh: Rate | None = None
    cta_rate_percent: Rate | None = None
    cta_base_percent: Rate | None = None


class Subscription(Part):
    subscription_id: Id
    customer_id: Id
    dossier_number: str
    product_id: Id
    family: Family
    name: str
    label: str
    status: Status
    started_on: Day
    renews_on: Day  # the first day after the current period
    auto_renew: bool
    price_cents: PositiveCents  # per billing period, tax included
    currency: Currency
    billing_period: BillingPeriod
    commitment_months: int
    contract: Contract
    tariff: Tariff


class Proration(Part):
    """A share of a prepaid period, by day: `days` of the `days_in_period` of [period_start, period_end)."""

    period_start: Day
    period_end: Day
    days_in_period: Annotated[int, Field(ge=1)]
    days: Annotated[int, Field(ge=0)]
    price_cents: PositiveCents  # the full period's price the share is of
    amount_cents: PositiveCents  # price_cents × days ÷ days_in_period, rounded half up
    currency: Currency


class SubscriptionActivated(DomainEvent):
    name: ClassVar[str] = "SubscriptionActivated"
    # version 2 added `origin` and `billed_from`: a contract imported from the provider's systems
    version: ClassVar[int] = 2
    producer: ClassVar[str] = "subscriptions"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "invoices", "consumption")
    when: ClassVar[str] = (
        "A paid order was provisioned (`origin: order`), or a running contract was imported from the "
        "provider's systems (`origin: import`): the subscription exists from `started_on`, and "
        "Guichet bills it from `billed_from` (an order's `started_on`; an import's first day the "
        "provider did not bill)."
    )

    subscription: Subscription
    order_id: Id | None
    origin: Literal["order", "import"]
    billed_from: Day

    @classmethod
    def upgraded(cls, version: int, data: dict[str, Any]) -> dict[str, Any] | None:
        # version 1 was published before contracts could be imported: every one was an order's,
        # billed by Guichet from its first day
        subscription = data.get("subscription")
        if version != 1 or "origin" in data or "billed_from" in data or not isinstance(subscription, dict):
            return None
        return {**data, "origin": "order", "billed_from": subscription.get("started_on")}


class SubscriptionRenewed(DomainEvent):
    name: ClassVar[str] = "SubscriptionRenewed"
    producer: ClassVar[str] = "subscriptions"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "consumption")
    when: ClassVar[str] = (
        "A new period started: a paid renewal order, or an energy contract renewed in place "
        "(billed in arrears, it needs no order). The subscription carries the terms of the new "
        "period: a newer catalog version's price and tariff apply from a renewal (announced a "
        "month before when dearer)."
    )

    subscription: Subscription
    order_id: Id | None
    period_start: Day
    period_end: Day


class SubscriptionCancelled(DomainEvent):
    name: ClassVar[str] = "SubscriptionCancelled"
    # version 2: `reason` null when the customer gave none (cancelling in three clicks asks for none)
    version: ClassVar[int] = 2
    producer: ClassVar[str] = "subscriptions"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "invoices", "consumption")
    when: ClassVar[str] = (
        "The subscription ended by cancellation. `ended_on` is its last day of service; an "
        "immediate cancellation of a prepaid period credits its unused days (`refund`)."
    )

    subscription: Subscription
    ended_on: Day
    immediate: bool
    reason: str | None  # the customer's words, when given (a cancellation asks for none)
    refund: Proration | None

    @classmethod
    def upgraded(cls, version: int, data: dict[str, Any]) -> dict[str, Any] | None:
        # version 1 said an untold reason as ""
        if version != 1 or not isinstance(data.get("reason"), str):
            return None
        return {**data, "reason": data["reason"] or None}


class SubscriptionChanged(DomainEvent):
    name: ClassVar[str] = "SubscriptionChanged"
    producer: ClassVar[str] = "subscriptions"
    consumers: ClassVar[tuple[str, ...]] = ("invoices", "consumption")
    when: ClassVar[str] = (
        "The plan (product) or the contract (energy option, hours, power) changed. A plan change "
        "is prorated by day over the current period: `credit` of the old plan, `charge` of the new."
    )

    subscription: Subscription  # as it is now
    effective_on: Day
    previous_product_id: Id
    previous_name: str
    previous_price_cents: PositiveCents
    previous_contract: Contract
    credit: Proration | None
    charge: Proration | None


class SubscriptionSuspended(DomainEvent):
    name: ClassVar[str] = "SubscriptionSuspended"
    producer: ClassVar[str] = "subscriptions"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "invoices")
    when: ClassVar[str] = "Service stopped: an invoice still unpaid after its last reminder, or an operator."

    subscription: Subscription
    reason: Literal["unpaid", "operator"]
    invoice_ids: list[Id]
    on: Day


class SubscriptionResumed(DomainEvent):
    name: ClassVar[str] = "SubscriptionResumed"
    producer: ClassVar[str] = "subscriptions"
    consumers: ClassVar[tuple[str, ...]] = ("invoices",)
    when: ClassVar[str] = "Service back: the unpaid invoices were paid, or an operator."

    subscription: Subscription
    reason: Literal["paid", "operator"]
    on: Day


class SubscriptionExpired(DomainEvent):
    name: ClassVar[str] = "SubscriptionExpired"
    producer: ClassVar[str] = "subscriptions"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "invoices", "consumption")
    when: ClassVar[str] = "A period ended without renewal; `ended_on` is its last day of service."

    subscription: Subscription
    ended_on: Day


Moment = Annotated[
    str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
]


class AppointmentBooked(DomainEvent):
    name: ClassVar[str] = "AppointmentBooked"
    producer: ClassVar[str] = "subscriptions"
    consumers: ClassVar[tuple[str, ...]] = ("auth",)
    when: ClassVar[str] = "A customer booked a phone appointment with an advisor (a 30-minute slot)."

    appointment_id: Id
    customer_id: Id
    start: Moment  # UTC, like 2027-03-23T09:30:00Z
    end: Moment
    topic: str
    phone: str  # E.164: the number the advisor calls


class SubscriptionsDataExported(DataExportPart):
    name: ClassVar[str] = "SubscriptionsDataExported"
    producer: ClassVar[str] = "subscriptions"
    consumers: ClassVar[tuple[str, ...]] = ("auth",)
    when: ClassVar[str] = (
        "The subscriptions service wrote its part of a data export: the customer's profile copy, "
        "subscriptions, orders, appointments, messages and contract documents."
    )
