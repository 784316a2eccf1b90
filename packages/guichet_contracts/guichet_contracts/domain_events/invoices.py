"""Events of the invoices service: invoices issued, paid, voided or unpaid, orders paid,
mandates signed, payments and refunds."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from . import Cents, Currency, DataExportPart, Day, DomainEvent, Id, Part, PositiveCents

Kind = Literal["invoice", "credit_note", "resale", "regularization"]
Method = Literal["card", "direct_debit", "check", "tip", "transfer", "credit"]


class InvoiceIssued(DomainEvent):
    name: ClassVar[str] = "InvoiceIssued"
    producer: ClassVar[str] = "invoices"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "subscriptions")
    when: ClassVar[str] = "An invoice, credit note, resale or regularization invoice was numbered and stored."

    invoice_id: Id
    number: str
    kind: Kind
    customer_id: Id
    issued_on: Day
    due_on: Day
    period_start: Day | None
    period_end: Day | None
    status: Literal["open", "paid", "refunded"]
    total_excl_tax_cents: Cents
    tax_cents: Cents
    total_cents: Cents
    amount_due_cents: Cents
    currency: Currency
    payment_mode: str
    order_id: Id | None
    subscription_ids: list[Id]


class InvoicePaid(DomainEvent):
    name: ClassVar[str] = "InvoicePaid"
    producer: ClassVar[str] = "invoices"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "subscriptions")
    when: ClassVar[str] = "Nothing is due on an invoice any more (paid in full, whatever the methods)."

    invoice_id: Id
    number: str
    customer_id: Id
    order_id: Id | None
    subscription_ids: list[Id]
    total_cents: Cents
    currency: Currency
    paid_on: Day


class OrderPaid(DomainEvent):
    name: ClassVar[str] = "OrderPaid"
    producer: ClassVar[str] = "invoices"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "subscriptions")
    when: ClassVar[str] = (
        "Everything an order asks before provisioning is there: its invoice fully paid (or nothing "
        "due upfront), and a SEPA mandate when a line is paid by monthly debits."
    )

    order_id: Id
    customer_id: Id
    invoice_id: Id | None
    amount_paid_cents: PositiveCents
    currency: Currency
    settled_by: Literal["payment", "mandate", "nothing_due"]


class MandateSigned(DomainEvent):
    name: ClassVar[str] = "MandateSigned"
    producer: ClassVar[str] = "invoices"
    consumers: ClassVar[tuple[str, ...]] = ("subscriptions",)
    when: ClassVar[str] = "The customer gave bank details: a SEPA mandate is on file (never the IBAN itself)."

    customer_id: Id
    mandate_reference: str
    signed_on: Day


class PaidInvoice(Part):
    invoice_id: Id
    number: str
    order_id: Id | None


class PaymentOutcome(DomainEvent):
    payment_id: Id
    customer_id: Id
    method: Method
    status: Literal["succeeded", "failed", "pending", "expired"]
    amount_cents: PositiveCents
    currency: Currency
    invoices: list[PaidInvoice]
    failure_code: str | None
    created_at: datetime


class PaymentSucceeded(PaymentOutcome):
    name: ClassVar[str] = "PaymentSucceeded"
    producer: ClassVar[str] = "invoices"
    consumers: ClassVar[tuple[str, ...]] = ("auth",)
    when: ClassVar[str] = "Money was received for one or several invoices (card, debit, cheque or TIP)."


class PaymentFailed(PaymentOutcome):
    name: ClassVar[str] = "PaymentFailed"
    producer: ClassVar[str] = "invoices"
    consumers: ClassVar[tuple[str, ...]] = ("auth",)
    when: ClassVar[str] = (
        "A card payment or a direct debit was declined (`failed`), or a cheque or TIP never arrived "
        "(`expired`, recorded by an operator)."
    )


class InvoiceUnpaid(DomainEvent):
    name: ClassVar[str] = "InvoiceUnpaid"
    producer: ClassVar[str] = "invoices"
    consumers: ClassVar[tuple[str, ...]] = ("subscriptions",)
    when: ClassVar[str] = (
        "An invoice is still unpaid after its last reminder: the subscriptions it bills are suspended."
    )

    invoice_id: Id
    number: str
    customer_id: Id
    order_id: Id | None
    subscription_ids: list[Id]
    due_on: Day
    amount_due_cents: PositiveCents
    currency: Currency
    days_late: int


class InvoiceVoided(DomainEvent):
    name: ClassVar[str] = "InvoiceVoided"
    producer: ClassVar[str] = "invoices"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "subscriptions")
    when: ClassVar[str] = (
        "An order's invoice was never paid by its deadline: it is void, and its order is cancelled."
    )

    invoice_id: Id
    number: str
    customer_id: Id
    order_id: Id | None
    reason: Literal["order_unpaid"]
    on: Day


class PaymentRefunded(DomainEvent):
    name: ClassVar[str] = "PaymentRefunded"
    producer: ClassVar[str] = "invoices"
    consumers: ClassVar[tuple[str, ...]] = ("auth",)
    when: ClassVar[str] = (
        "Money owed to the customer (a credit note, a negative regularization, a surplus resale "
        "invoice) was paid back, "
        "by the method that paid: a card refund, a transfer to the mandate's account, or a refund "
        "an operator made by hand (`check`, `transfer`). One event per refund."
    )

    refund_id: Id
    customer_id: Id
    invoice_id: Id  # the credit note or regularization paid back
    payment_id: Id | None  # the payment refunded, when one is
    method: Method
    amount_cents: PositiveCents
    currency: Currency
    on: Day


class SurplusPaidOut(DomainEvent):
    name: ClassVar[str] = "SurplusPaidOut"
    producer: ClassVar[str] = "invoices"
    consumers: ClassVar[tuple[str, ...]] = ("consumption",)
    when: ClassVar[str] = (
        "A surplus resale invoice was paid out to the customer (on its due date, by transfer to the "
        "account on file, or by hand by an operator): the kitty no longer holds that month."
    )

    payout_id: Id  # the SurplusPayout that the resale invoice bills
    customer_id: Id
    subscription_id: Id
    invoice_id: Id
    amount_cents: PositiveCents
    currency: Currency
    on: Day


class InvoicesDataExported(DataExportPart):
    name: ClassVar[str] = "InvoicesDataExported"
    producer: ClassVar[str] = "invoices"
    consumers: ClassVar[tuple[str, ...]] = ("auth",)
    when: ClassVar[str] = (
        "The invoices service wrote its part of a data export: invoices (and their PDFs), payments, "
        "refunds, schedules, bank account and billing preferences."
    )
