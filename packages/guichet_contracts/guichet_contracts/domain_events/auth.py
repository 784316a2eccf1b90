"""Events of the auth service: the customer's billing-relevant profile, which the subscriptions
and invoices services keep a copy of (documents, invoices and mail never call auth)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import StringConstraints

from . import Day, DomainEvent, Id, Language, Part

Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class Address(Part):
    line1: str
    line2: str | None
    postal_code: str
    city: str
    country: Country


class CustomerProfile(DomainEvent):
    # version 2 added external_id: the provider's own id of an imported customer (none otherwise)
    version: ClassVar[int] = 2

    customer_id: Id
    external_id: Id | None
    email: str
    first_name: str
    last_name: str
    company: str | None
    phone: str | None
    language: Language
    address: Address | None

    @classmethod
    def upgraded(cls, version: int, data: dict[str, Any]) -> dict[str, Any] | None:
        # version 1 was published before customers could be imported: none had a provider's id
        return {**data, "external_id": None} if version == 1 and "external_id" not in data else None


class CustomerRegistered(CustomerProfile):
    name: ClassVar[str] = "CustomerRegistered"
    producer: ClassVar[str] = "auth"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "subscriptions", "invoices")
    when: ClassVar[str] = "An account is created (before its email is verified)."


class CustomerUpdated(CustomerProfile):
    name: ClassVar[str] = "CustomerUpdated"
    producer: ClassVar[str] = "auth"
    consumers: ClassVar[tuple[str, ...]] = ("auth", "subscriptions", "invoices")
    when: ClassVar[str] = "The profile changed (name, company, phone, language, address or email)."

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
