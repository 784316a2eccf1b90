"""Request bodies of the subscriptions API, validated with pydantic (imported by the routes that take one)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

import phonenumbers
from guichet_contracts import validation
from guichet_contracts.validation import INTEGRAL, NOT_BLANK, french_phone
from guichet_contracts.words import Invalid
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StrictBool, StringConstraints

# a text the validator strips first: something else than spaces
Stripped = Annotated[str, Field(json_schema_extra=NOT_BLANK)]
Label = Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ProductId = Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


def _phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        raise Invalid("field.phone") from None
    if not phonenumbers.is_valid_number(number):
        raise Invalid("field.phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise Invalid("field.timezone")
    return value


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderItem(_Body):
    product_id: ProductId
    label: Label | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class OrderRequest(_Body):
    items: Annotated[list[OrderItem], Field(min_length=1, max_length=20)]
    # the version of the terms of sale the customer accepted (the brand's, GET /catalog/terms)
    terms_version: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None
    ) = None


class RenewRequest(_Body):
    periods: Annotated[int, Strict(), Field(ge=1, le=10), INTEGRAL] = 1


class SubscriptionChanges(_Body):
    auto_renew: StrictBool | None = None
    product_id: ProductId | None = None
    options: dict[str, Any] | None = None


CancellationReason = Annotated[
    Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
]


class Cancellation(_Body):
    # French law (consumer code L215-1-1, "résiliation en trois clics"): a cancellation asks for no reason
    reason: (
        Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None
    ) = None
    at: Literal["end_of_period", "immediately"] = "end_of_period"


class AppointmentRequest(_Body):
    start: Annotated[datetime, AfterValidator(_aware)]
    topic: Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    phone: Annotated[
        str, StringConstraints(max_length=32), AfterValidator(_phone), Field(json_schema_extra=french_phone)
    ]


class SupportMessageRequest(_Body):
    topic: Literal["billing", "technical", "sales", "other"]
    subject: Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    message: Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    subscription_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


# --- the provider's contracts (contract_import.py) ---

EXTERNAL_ID = r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,99}$"  # the provider's ids, as the auth service's
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=EXTERNAL_ID)]
CustomerId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9-]{1,64}$")]


class ContractTerms(_Body):
    """A contract as the provider's systems know it: the body of one PUT, and each row of a file
    (with its ids). Dates are days (YYYY-MM-DD); `renews_on` is the first day of the next period."""

    product_id: ProductId
    label: Label | None = None
    status: Literal["active", "suspended", "cancelled", "expired"]
    started_on: date
    renews_on: date | None = Field(default=None, description="A running contract's next period's first day")
    ended_on: date | None = Field(default=None, description="An ended contract's last day of service")
    billed_until: date | None = Field(
        default=None,
        description="The last day the provider billed (energy: required; a period paid in advance: "
        "the day before renews_on, its default)",
    )
    auto_renew: bool | None = Field(default=None, description="Default: the offer's terms")
    commitment_ends_on: date | None = None
    options: dict[str, Any] = Field(default_factory=dict, description="An order's options (energy fields)")


class ImportedContract(ContractTerms):
    """One row of a contracts file: the contract, the provider's id of it, and its customer."""

    external_id: ExternalId
    customer_id: CustomerId | None = None
    customer_external_id: ExternalId | None = None


# the operator's catalog bodies (catalog_api.py), for the OpenAPI document
from .catalog_schema import CatalogDocument, CatalogProductUpdate  # noqa: E402

__all__ = ["CatalogDocument", "CatalogProductUpdate"]

Body = TypeVar("Body", bound=_Body)


def parse(model: type[Body], data: Any) -> Body:
    return validation.parse(model, data)
