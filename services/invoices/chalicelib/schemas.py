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


Body = TypeVar("Body", bound=_Body)


def parse(model: type[Body], data: Any) -> Body:
    return validation.parse(model, data)
