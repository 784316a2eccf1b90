"""Events of the auth service: the customer's billing-relevant profile, which the subscriptions
and invoices services keep a copy of (documents, invoices and mail never call auth)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, StringConstraints, model_validator

from .. import companies
from . import Day, DomainEvent, Id, Language, Part

Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
# a business customer's identifiers, checked on read as the auth service checked them (companies.py)
Siren = Annotated[str, AfterValidator(companies.siren)]
Siret = Annotated[str, AfterValidator(companies.siret)]
VatNumber = Annotated[str, AfterValidator(companies.vat_number)]


class Address(Part):
    line1: str
    line2: str | None
    postal_code: str
    city: str
    country: Country


class CustomerProfile(DomainEvent):
    # version 2 added external_id: the provider's own id of an imported customer (none otherwise);
    # version 3 the identifiers of a business customer: SIREN, SIRET, EU VAT number (none for a
    # person; a business has a SIREN or a VAT number), and the backup email, which receives the
    # security notices (a changed password, email, bank details or second factor) as the email does
    version: ClassVar[int] = 3

    customer_id: Id
    external_id: Id | None
    email: str
    backup_email: str | None
    first_name: str
    last_name: str
    company: str | None
    phone: str | None
    language: Language
    address: Address | None
    siren: Siren | None
    siret: Siret | None
    vat_number: VatNumber | None

    @model_validator(mode="after")
    def _consistent_identifiers(self) -> CustomerProfile:
        problems = companies.problems(
            {"siren": self.siren, "siret": self.siret, "vat_number": self.vat_number}
        )
        if problems:
            raise ValueError(", ".join(f"{field}: {problem}" for field, problem in sorted(problems.items())))
        return self

    @classmethod
    def upgraded(cls, version: int, data: dict[str, Any]) -> dict[str, Any] | None:
        # version 1 was published before customers could be imported: none had a provider's id;
        # versions 1 and 2 before a customer could give a business's identifiers, and without the
        # backup email (which only auth used then)
        if version not in (1, 2) or any(key in data for key in _ADDED_IN_3):
            return None
        if version == 1:
            if "external_id" in data:
                return None
            data = {**data, "external_id": None}
        return {**data, **dict.fromkeys(_ADDED_IN_3)}


_ADDED_IN_3 = ("siren", "siret", "vat_number", "backup_email")


class CustomerRegistered(CustomerProfile):
    name: ClassVar[str] = "CustomerRegistered"
    producer: ClassVar[str] = "auth"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "subscriptions", "invoices")
    when: ClassVar[str] = "An account is created (before its email is verified)."


class CustomerUpdated(CustomerProfile):
    name: ClassVar[str] = "CustomerUpdated"
    producer: ClassVar[str] = "auth"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "subscriptions", "invoices")
    when: ClassVar[str] = (
        "The profile changed (name, company, a business's identifiers, phone, language, address or email)."
    )

    changed: list[str]


class DataExportRequested(DomainEvent):
    name: ClassVar[str] = "DataExportRequested"
    producer: ClassVar[str] = "auth"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "subscriptions", "invoices", "consumption")
    when: ClassVar[str] = (
        "A customer asked for a copy of their data (GDPR articles 15 and 20): each service writes "
        "what it holds about the customer under `exports/<export_id>/<service>/` of the exports "
        "bucket and announces its part (auth's own part is recorded without an event)."
    )

    export_id: Id
    customer_id: Id


class CustomerClosed(DomainEvent):
    name: ClassVar[str] = "CustomerClosed"
    producer: ClassVar[str] = "auth"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "subscriptions", "invoices", "consumption")
    when: ClassVar[str] = (
        "A customer closed their account (GDPR article 17), no contract running and nothing due: "
        "every service erases or pseudonymizes the customer's personal data, keeping invoices and "
        "payment records with the legal minimum identity (docs/PRIVACY.md). No login is possible."
    )

    customer_id: Id
    closed_on: Day
