"""Billing preferences: paperless billing, and whether a new invoice is announced by email."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from .models import Preferences, customer_pk


def get(customer_id: str) -> Preferences:
    try:
        return Preferences.get(customer_pk(customer_id), "PREFERENCES")
    except DoesNotExist:
        return Preferences(customer_pk(customer_id), "PREFERENCES", paperless=True, notify_new_invoice=True)


def as_dict(preferences: Preferences) -> dict[str, Any]:
    return {
        "paperless": bool(preferences.paperless),
        "notify_new_invoice": bool(preferences.notify_new_invoice),
    }


def change(customer_id: str, changes: dict[str, bool]) -> Preferences:
    preferences = get(customer_id)
    for name, value in changes.items():
        setattr(preferences, name, value)
    preferences.save()
    return preferences
