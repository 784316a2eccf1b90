"""Billing preferences: paperless billing, whether a new invoice is announced by email, and how
the customer pays their next invoices (card, direct debit, cheque or TIP): invoices are issued
with that payment mode (invoicing.default_payment_mode), a TIP payer's with a TIP slip on their
PDF. Direct debit needs a mandate on file (409 no_bank_account otherwise); without a choice, a
customer with a mandate pays by direct debit, others by card."""

from __future__ import annotations

from typing import Any

from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist

from .errors import NoBankAccount
from .models import BankAccount, Preferences, customer_pk


def get(customer_id: str) -> Preferences:
    try:
        return Preferences.get(customer_pk(customer_id), "PREFERENCES")
    except DoesNotExist:
        return Preferences(customer_pk(customer_id), "PREFERENCES", paperless=True, notify_new_invoice=True)


def as_dict(preferences: Preferences) -> dict[str, Any]:
    from .invoicing import default_payment_mode

    return {
        "paperless": bool(preferences.paperless),
        "notify_new_invoice": bool(preferences.notify_new_invoice),
        "payment_method": default_payment_mode(preferences.pk.removeprefix("CUSTOMER#")),
    }


def change(customer_id: str, changes: dict[str, Any]) -> Preferences:
    if changes.get("payment_method") == "direct_debit":
        try:
            BankAccount.get(customer_pk(customer_id), "BANK_ACCOUNT", consistent_read=True)
        except DoesNotExist:
            raise NoBankAccount(fields={"payment_method": Phrase("field.needs_mandate")}) from None
    preferences = get(customer_id)
    for name, value in changes.items():
        setattr(preferences, name, value)
    preferences.save()
    return preferences
