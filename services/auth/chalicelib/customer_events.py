"""CustomerRegistered and CustomerUpdated: the billing-relevant profile other services keep a copy of."""

from __future__ import annotations

from typing import Any

from guichet_contracts import events
from guichet_contracts.domain_events.auth import CustomerRegistered, CustomerUpdated

from .models import Account
from .settings import settings


def billing_profile(account: Account) -> dict[str, Any]:
    return {
        "customer_id": account.customer_id,
        "external_id": account.external_id,  # the provider's id of an imported customer
        "email": account.email,
        "backup_email": account.backup_email,  # the security notices' second address (invoices' too)
        "first_name": account.first_name,
        "last_name": account.last_name,
        "company": account.company,
        "phone": account.phone,
        "language": account.language,
        "address": _address(account),
        "siren": account.siren,
        "siret": account.siret,
        "vat_number": account.vat_number,
    }


def _address(account: Account) -> dict[str, Any] | None:
    address = account.address
    if address is None:
        return None
    return {
        "line1": address.line1,
        "line2": address.line2,
        "postal_code": address.postal_code,
        "city": address.city,
        "country": address.country,
    }


def registered(account: Account) -> None:
    events.publish(CustomerRegistered(**billing_profile(account)), bus_name=settings.event_bus_name)


def updated(account: Account, changed: list[str]) -> None:
    events.publish(
        CustomerUpdated(**billing_profile(account), changed=sorted(changed)), bus_name=settings.event_bus_name
    )


def registered_many(accounts: list[Account]) -> None:
    """CustomerRegistered for each account (an import), ten to a PutEvents request."""
    events.publish_many(
        [CustomerRegistered(**billing_profile(account)) for account in accounts],
        bus_name=settings.event_bus_name,
    )


def updated_many(changes: list[tuple[Account, list[str]]]) -> None:
    events.publish_many(
        [
            CustomerUpdated(**billing_profile(account), changed=sorted(changed))
            for account, changed in changes
        ],
        bus_name=settings.event_bus_name,
    )
