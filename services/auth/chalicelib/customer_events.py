"""CustomerRegistered and CustomerUpdated: the billing-relevant profile other services keep a copy of."""

from __future__ import annotations

from typing import Any

from guichet_contracts import events

from .models import Account
from .settings import settings

SOURCE = "guichet.auth"


def billing_profile(account: Account) -> dict[str, Any]:
    return {
        "customer_id": account.customer_id,
        "email": account.email,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "company": account.company,
        "phone": account.phone,
        "language": account.language,
        "address": account.address.as_dict() if account.address else None,
    }


def registered(account: Account) -> None:
    events.publish(
        events.Envelope(source=SOURCE, name="CustomerRegistered", data=billing_profile(account)),
        bus_name=settings.event_bus_name,
    )


def updated(account: Account, changed: list[str]) -> None:
    data = {**billing_profile(account), "changed": sorted(changed)}
    events.publish(
        events.Envelope(source=SOURCE, name="CustomerUpdated", data=data),
        bus_name=settings.event_bus_name,
    )
