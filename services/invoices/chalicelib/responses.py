"""The answers of the invoices API as pydantic models: the OpenAPI document's response schemas are
generated from them (openapi.py), as its request bodies are from schemas.py.

The routes build plain dicts (invoicing.summary and detail, payments.as_dict...); the route tests
validate every real answer against the schemas generated here, which allow no other field: a
field added to an answer and not here fails them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from guichet_contracts.validation import ResponseModel, not_null
from pydantic import BaseModel, ConfigDict, Field

Method = Literal["card", "direct_debit", "check", "tip"]
DECIMAL = "^-?[0-9]+(\\.[0-9]+)?$"  # a decimal as text: "1", "342.5", "20.0" (vat.decimal_text)


class Health(ResponseModel):
    status: Literal["ok"]


class Invoice(ResponseModel):
    """An invoice as listed."""

    invoice_id: str
    number: str = Field(
        pattern="^(F[0-9]{4}-[0-9]{6,}|[A-Za-z0-9][A-Za-z0-9/_.-]{0,39})$",
        description="Guichet's own: F<year>-<n>, sequential per year, no gap; an imported invoice"
        " (origin provider) keeps the number of the provider's billing",
    )
    kind: Literal["invoice", "credit_note", "resale", "regularization"]
    issued_on: date
    due_on: date
    period_start: date | None
    period_end: date | None
    # refunded: a credit note or negative regularization whose money went back
    status: Literal["open", "paid", "overdue", "void", "refunded"]
    total_excl_tax_cents: int
    tax_cents: int
    total_cents: int
    amount_due_cents: int = Field(ge=0)
    currency: str
    customer_id: str
    payment_mode: Literal["card", "direct_debit", "check", "tip", "transfer"]
    order_id: str | None
    pending_payment_id: str | None = Field(
        description="A cheque or TIP on its way holds the invoice: paying it again answers 409"
    )
    origin: Literal["guichet", "provider"] = Field(
        description="guichet: issued by Guichet; provider: issued by the provider's own billing and imported"
    )
    external_id: str | None = Field(description="The provider's id of an imported invoice")


class Line(ResponseModel):
    description: str
    quantity: str = Field(pattern=DECIMAL)
    unit: str
    unit_price_cents: int = Field(description="Rounded for display; the line's total is exact")
    unit_price: str | None = Field(pattern=DECIMAL, description="The exact unit price in currency units")
    tax_rate: str = Field(pattern=DECIMAL)
    total_excl_tax_cents: int


class AppliedPayment(ResponseModel):
    payment_id: str
    amount_cents: int
    method: Literal["card", "direct_debit", "check", "tip", "credit"] = Field(
        description="credit: a credit note's amount deducted"
    )
    status: Literal["succeeded"]
    at: datetime


class TaxGroup(ResponseModel):
    rate: str = Field(pattern=DECIMAL)
    base_cents: int
    tax_cents: int


class Refund(ResponseModel):
    refund_id: str
    invoice_id: str
    payment_id: str | None
    method: Literal["card", "transfer", "check", "manual"]
    status: Literal["pending", "succeeded", "failed"]
    amount_cents: int = Field(ge=1)
    currency: str
    failure_code: str | None
    refunded_on: date | None


class InvoiceDetail(Invoice):
    """An invoice with its lines, the payments applied to it, its VAT per rate; a credit document
    also says what it owes the customer and how it goes back."""

    model_config = ConfigDict(json_schema_extra=not_null("owed_cents", "carried", "refunds"))

    lines: list[Line]
    payments: list[AppliedPayment]
    credited_invoice_id: str | None = Field(description="The invoice a credit note is against")
    tax_breakdown: list[TaxGroup]
    vat_regime: Literal["reverse_charge"] | None = Field(
        default=None,
        description="reverse_charge: an EU business customer's autoliquidation (no VAT billed, "
        "art. 196 of directive 2006/112/CE); null: French VAT",
    )
    owed_cents: int | None = Field(
        default=None, ge=0, description="A credit document: what goes back to the customer"
    )
    carried: bool | None = Field(default=None, description="Deducted from the next invoice")
    refunds: list[Refund] | None = None
    pending_payment: Payment | None = Field(
        default=None,
        description="The payment holding the invoice (pending_payment_id), with the action a card "
        "payment awaiting 3-D Secure still needs: finish it, or pay again (which cancels it)",
    )


class Link(ResponseModel):
    url: str
    expires_at: datetime


class Instructions(ResponseModel):
    """Where to send a cheque or a TIP, and the reference to write on it."""

    payee: str
    reference: str
    address: list[str]
    due_on: date


class PaymentAction(ResponseModel):
    """What the customer's page must do to finish a card payment: authenticate it (3-D Secure)
    with the provider's script and this secret."""

    type: Literal["authenticate"]
    client_secret: str


class Payment(ResponseModel):
    payment_id: str
    status: Literal["succeeded", "failed", "pending", "expired"]
    amount_cents: int = Field(ge=1)
    currency: str
    method: Method
    invoice_ids: list[str]
    failure_code: str | None
    instructions: Instructions | None
    action: PaymentAction | None
    created_at: datetime


class PaymentProvider(ResponseModel):
    """Which provider takes card payments, for the portal's card form."""

    provider: Literal["sandbox", "stripe"]
    publishable_key: str | None


class WebhookReceived(ResponseModel):
    received: Literal[True]
    handled: bool = Field(description="False for an event already handled, or one Guichet does not use")


class Installment(ResponseModel):
    number: int = Field(ge=1)
    due_on: date
    amount_cents: int
    status: Literal["scheduled", "collecting", "paid", "retrying", "failed", "paused", "skipped", "cancelled"]
    retry_on: date | None = Field(description="The next try of a retrying installment")


class ContractSchedule(ResponseModel):
    """One contract's year of monthly debits."""

    subscription_id: str
    year: int
    estimated_annual_cents: int
    currency: str
    installments: list[Installment]
    regularization_on: date
    consumption_billed_cents: int = Field(description="The energy billed so far, from closed periods")
    ended_on: date | None = Field(description="The contract's last day, once it ended")


class Schedule(ContractSchedule):
    """The first running contract's schedule, and every contract's in `schedules`."""

    schedules: list[ContractSchedule]


class BankAccount(ResponseModel):
    iban_masked: str
    bic: str
    holder: str
    mandate_reference: str
    signed_on: date


class Preferences(ResponseModel):
    paperless: bool
    notify_new_invoice: bool
    payment_method: Method


class InvoiceImportLine(ResponseModel):
    """One line of an invoices file: its number and what became of it."""

    model_config = ConfigDict(
        json_schema_extra=not_null("customer_id", "invoice_id", "number", "awaiting_pdf", "fields")
    )

    line: int = Field(ge=1)
    external_id: str | None
    status: Literal["created", "unchanged", "rejected"]
    customer_id: str | None = None
    invoice_id: str | None = None
    number: str | None = None
    awaiting_pdf: bool | None = Field(
        default=None,
        description="true while its PDF has not been stored (PUT .../provider-invoices/{external_id}/pdf):"
        " the invoice is announced to the customer then",
    )
    fields: dict[str, str] | None = None  # a rejected line: each wrong field and why


class InvoiceImport(ResponseModel):
    """An invoices file: where its import is, and its counts once applied."""

    import_id: str
    status: Literal["queued", "importing", "done"]
    format: Literal["jsonl"]
    sha256: str
    submitted_at: datetime
    finished_at: datetime | None
    rows: int
    created: int
    updated: int = Field(description="always 0: an issued invoice is never changed")
    unchanged: int
    rejected: int


class InvoiceImportReport(InvoiceImport):
    """The import and a page of its lines (`?status=` for one kind, `?cursor=` for the next page)."""

    items: list[InvoiceImportLine]
    next_cursor: str | None


ANSWERS: tuple[type[BaseModel], ...] = (
    Health,
    Invoice,
    InvoiceDetail,
    Refund,
    Link,
    Payment,
    Schedule,
    BankAccount,
    Preferences,
    PaymentProvider,
    WebhookReceived,
    InvoiceImport,
    InvoiceImportReport,
)
