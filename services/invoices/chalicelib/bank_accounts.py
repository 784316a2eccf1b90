"""The customer's bank account and SEPA mandate, for direct debits.

The IBAN is validated with schwifty (bank_details), stored whole for the debits and shown
masked in every answer and log line. Each change signs a new mandate (new reference, signed
today) and mails the customer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist

from . import billing_parties, mailing
from .errors import NotFound
from .models import BankAccount, customer_pk

logger = Logger(child=True)


def as_dict(account: BankAccount) -> dict[str, Any]:
    from .bank_details import mask

    return {
        "iban_masked": mask(account.iban),
        "bic": account.bic,
        "holder": account.holder,
        "mandate_reference": account.mandate_reference,
        "signed_on": account.signed_on,
    }


def get(customer_id: str) -> BankAccount:
    try:
        return BankAccount.get(customer_pk(customer_id), "BANK_ACCOUNT")
    except DoesNotExist:
        raise NotFound() from None


def change(
    customer_id: str, *, iban: str, bic: str | None, holder: str, now: datetime, today: str
) -> BankAccount:
    from .bank_details import mandate_reference, mask, validate

    details = validate(iban, bic, holder)
    try:
        sequence = int(get(customer_id).mandate_sequence) + 1
    except NotFound:
        sequence = 1
    account = BankAccount(
        customer_pk(customer_id),
        "BANK_ACCOUNT",
        customer_id=customer_id,
        iban=details.iban,
        bic=details.bic,
        holder=details.holder,
        mandate_reference=mandate_reference(customer_id, sequence),
        mandate_sequence=sequence,
        signed_on=today,
        updated_at=now,
    )
    account.save()
    party = billing_parties.get(customer_id)
    language = party.language if party else "fr"
    mailing.notify(
        "bank_account_changed",
        party,
        security=True,  # new bank details: the backup email is told too
        iban_masked=mask(details.iban),
        mandate_reference=account.mandate_reference,
        signed_on=mailing.day(today, language),
        changed_at=mailing.moment(now, language),
    )
    logger.info("bank account changed", extra={"customer_id": customer_id, "iban": mask(details.iban)})
    _announce_mandate(account)
    return account


def _announce_mandate(account: BankAccount) -> None:
    """MandateSigned (never the IBAN), then the orders that waited for a mandate are settled."""
    from datetime import date

    from guichet_contracts import events
    from guichet_contracts.domain_events.invoices import MandateSigned

    from . import order_settlement
    from .settings import settings

    events.publish(
        MandateSigned(
            customer_id=account.customer_id,
            mandate_reference=account.mandate_reference,
            signed_on=date.fromisoformat(account.signed_on),
        ),
        bus_name=settings.event_bus_name,
    )
    order_settlement.mandate_signed(account.customer_id)
