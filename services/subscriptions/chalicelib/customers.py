"""The customer's details this service keeps, copied from auth's CustomerRegistered/Updated events.

Documents and emails need the name, address and language; keeping a copy means no call to the
auth service. An event older than the copy (events can arrive out of order) changes nothing.
The provider's id of an imported customer (`external_id`) is kept too, with an item mapping it
to the customer's id, so that a contracts file may name customers by the provider's ids.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from .models import Customer, CustomerExternalId, customer_pk

if TYPE_CHECKING:
    from guichet_contracts.domain_events.auth import CustomerProfile

logger = Logger(child=True)


def remember(profile: CustomerProfile, *, occurred_at: str) -> bool:
    """Store the copy unless a newer one is there; True when written. An update of the profile's
    fields, not a new item: what this service adds to the copy (a mandate on file) stays."""
    values: dict[str, Any] = {
        "customer_id": profile.customer_id,
        "email": profile.email,
        "first_name": profile.first_name,
        "last_name": profile.last_name,
        "company": profile.company,
        "siren": profile.siren,
        "siret": profile.siret,
        "vat_number": profile.vat_number,
        "phone": profile.phone,
        "language": profile.language,
        "address": profile.address.model_dump() if profile.address else None,
        "version": occurred_at,
        "external_id": profile.external_id,
    }
    actions: list[Action] = [Customer.item_type.set(Customer)]  # type: ignore[arg-type]
    for name, value in values.items():
        attribute = getattr(Customer, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    try:
        Customer(customer_pk(profile.customer_id), "PROFILE").update(
            actions=actions, condition=Customer.pk.does_not_exist() | (Customer.version <= occurred_at)
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        logger.info("older customer event ignored", extra={"customer_id": profile.customer_id})
        return False
    if profile.external_id:
        # the provider names its customers by its own ids in contract imports (contract_import.py)
        CustomerExternalId(
            *external_customer_key(profile.external_id), customer_id=profile.customer_id
        ).save()
    return True


def external_customer_key(external_id: str) -> tuple[str, str]:
    return f"EXTCUSTOMER#{external_id}", "CUSTOMER"


def mandate_signed(customer_id: str, mandate_reference: str) -> None:
    """Remember that a SEPA mandate is on file (the invoices service keeps the account itself)."""
    try:
        Customer(customer_pk(customer_id), "PROFILE").update(
            actions=[Customer.mandate_reference.set(mandate_reference)], condition=Customer.pk.exists()
        )
    except UpdateError:
        logger.warning("mandate of an unknown customer", extra={"customer_id": customer_id})


def get(customer_id: str) -> Customer | None:
    try:
        return Customer.get(customer_pk(customer_id), "PROFILE")
    except DoesNotExist:
        return None


def as_document_data(customer: Customer) -> dict[str, Any]:
    return {
        "customer_id": customer.customer_id,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "company": customer.company,
        "siren": customer.siren,
        "siret": customer.siret,
        "vat_number": customer.vat_number,
        "email": customer.email,
        "phone": customer.phone,
        "address": customer.address,
        "language": customer.language,
    }
