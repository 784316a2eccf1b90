"""Request bodies of the invoices API, validated with pydantic (imported by the routes that take one)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from guichet_contracts import validation
from guichet_contracts.validation import INTEGRAL, NOT_BLANK, not_null
from pydantic import BaseModel, ConfigDict, Field, Strict, StrictBool, StringConstraints

Method = Literal["card", "direct_debit", "check", "tip"]
# a text the validator strips first: something else than spaces
Stripped = Annotated[str, Field(json_schema_extra=NOT_BLANK)]
CardToken = Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
InvoiceId = Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

# What the document says of a holder (bank_details checks it: 2 to 70 characters once stripped,
# letters, digits, spaces and ' - . &): names of Latin letters, which the validator takes; it
# takes other letters too, which a JSON schema's regular expression cannot name portably.
_LETTER = "0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff"
HOLDER = {"pattern": f"^[{_LETTER}][{_LETTER} '.&-]{{0,68}}[{_LETTER}'.&-]$"}


class _Body(BaseModel):
    # strict: a JSON body says what it means ("10" is not 10 cents, "yes" is not true)
    model_config = ConfigDict(extra="forbid", strict=True)


class PaymentRequest(_Body):
    method: Method
    card_token: CardToken | None = None
    amount_cents: Annotated[int, Strict(), Field(gt=0), INTEGRAL] | None = None


class MultiPaymentRequest(_Body):
    # distinct: payments.pay refuses an invoice listed twice (422)
    invoice_ids: Annotated[
        list[InvoiceId], Field(min_length=1, max_length=50, json_schema_extra={"uniqueItems": True})
    ]
    method: Method
    card_token: CardToken | None = None


class BankAccountBody(_Body):
    iban: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    bic: Annotated[str, StringConstraints(max_length=16)] | None = None
    holder: Annotated[str, StringConstraints(min_length=1, max_length=140), Field(json_schema_extra=HOLDER)]


class PreferencesChanges(_Body):
    # each may be left out, none may be null (api.preferences_change)
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=not_null())

    paperless: StrictBool | None = None
    notify_new_invoice: StrictBool | None = None
    # how the next invoices are paid: TIP invoices carry a TIP slip; direct debit needs a mandate
    payment_method: Method | None = None


OperatorScope = Literal["invoices:write"]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]


class CreditNoteRequest(_Body):
    amount_cents: Annotated[int, Strict(), Field(gt=0, le=100_000_000), INTEGRAL]
    reason: Reason


class RefundMade(_Body):
    method: Literal["transfer", "check"]


# an invoice of the provider's own billing (provider_invoices.py): numbers as the provider gives
# them; Guichet's own numbers (F<year>-<n>) are refused there, whatever the pattern lets through
ProviderNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,39}$")]
Decimal4 = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,9}(\.[0-9]{1,4})?$")]
VatRate = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,2}(\.[0-9]{1,2})?$")]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Cents = Annotated[int, Strict(), Field(ge=0, le=100_000_000), INTEGRAL]
Day = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
    Field(json_schema_extra={"format": "date"}),
]
SubscriptionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class ProviderLine(_Body):
    label: Label
    quantity: Decimal4 = Field(description='A decimal as text, e.g. "1" or "342.5"')
    unit_price: Decimal4 = Field(description='Excluding tax, in euros, as text: "29.99", at most 4 decimals')
    vat_rate: VatRate = Field(description='In percent, as text: "20", "5.5"')


class ProviderInvoice(_Body):
    number: ProviderNumber
    issued_on: Day
    due_on: Day
    currency: Literal["EUR"]
    lines: Annotated[list[ProviderLine], Field(min_length=1, max_length=200)]
    total_excl_tax_cents: Cents
    tax_cents: Cents
    total_cents: Cents
    subscription_id: SubscriptionId | None = None


class ImportedInvoice(ProviderInvoice):
    """A line of an invoices file: the ProviderInvoice body, its customer and the provider's id."""

    customer_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]
    external_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")]


Body = TypeVar("Body", bound=_Body)


def parse(model: type[Body], data: Any) -> Body:
    return validation.parse(model, data)
