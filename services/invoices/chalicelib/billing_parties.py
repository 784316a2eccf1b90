"""The billing party: the customer's name and address as printed on invoices, kept from auth's events.

An invoice PDF never calls the auth service: CustomerRegistered/CustomerUpdated keep this copy,
and each invoice keeps the party as it was printed. Older events never overwrite newer ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist, PutError

from .models import BillingParty, customer_pk

if TYPE_CHECKING:
    from guichet_contracts.domain_events.auth import CustomerProfile


def remember(profile: CustomerProfile, *, occurred_at: str) -> bool:
    party = BillingParty(
        customer_pk(profile.customer_id),
        "PROFILE",
        customer_id=profile.customer_id,
        email=profile.email,
        backup_email=profile.backup_email,
        first_name=profile.first_name,
        last_name=profile.last_name,
        company=profile.company,
        siren=profile.siren,
        siret=profile.siret,
        vat_number=profile.vat_number,
        language=profile.language,
        address=profile.address.model_dump() if profile.address else None,
        version=occurred_at,
    )
    try:
        party.save(condition=BillingParty.pk.does_not_exist() | (BillingParty.version <= occurred_at))
    except PutError:
        return False
    return True


def get(customer_id: str) -> BillingParty | None:
    try:
        return BillingParty.get(customer_pk(customer_id), "PROFILE")
    except DoesNotExist:
        return None


def printed(party: BillingParty | None, customer_id: str) -> dict[str, Any]:
    """The buyer block of an invoice (the company when there is one, else the person), with a
    business's SIREN (BT-47) and VAT number (BT-48)."""
    if party is None:
        return {
            "customer_id": customer_id,
            "name": customer_id,
            "address": None,
            "siren": None,
            "vat_number": None,
            "email": None,
        }
    person = f"{party.first_name} {party.last_name}".strip()
    return {
        "customer_id": customer_id,
        "name": party.company or person,
        "contact": person if party.company else None,
        "address": party.address,
        "siren": party.siren,
        "vat_number": party.vat_number,
        "email": party.email,
    }
