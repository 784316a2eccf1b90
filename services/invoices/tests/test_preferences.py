"""Billing preferences: the defaults, PATCH of one field at a time, and notify_new_invoice deciding
whether the next invoice is announced by email."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import mails_to, ordered_invoice
from guichet_local.testing import answer, assert_error


def preferences_of(customer: Any) -> dict[str, Any]:
    response = customer.call("GET", "/preferences")
    assert response.status_code == 200, response.body
    return dict(answer(response))


def test_the_defaults_are_paperless_and_notified(customer_factory: Any) -> None:
    # Given a new customer
    customer = customer_factory()
    # When they read their preferences
    # Then paperless billing and new-invoice emails are on
    assert preferences_of(customer) == {
        "paperless": True,
        "notify_new_invoice": True,
        "payment_method": "card",
    }


def test_patch_changes_only_what_it_names_and_keeps_it(customer_factory: Any) -> None:
    # Given a customer with the defaults
    customer = customer_factory()

    # When they turn paperless off, then new-invoice emails off, then send nothing to change
    first = customer.call("PATCH", "/preferences", {"paperless": False})
    second = customer.call("PATCH", "/preferences", {"notify_new_invoice": False})
    nothing = customer.call("PATCH", "/preferences", {})

    # Then each answer shows the preferences after it, the other field kept, and they are stored
    assert answer(first) == {"paperless": False, "notify_new_invoice": True, "payment_method": "card"}
    assert answer(second) == {"paperless": False, "notify_new_invoice": False, "payment_method": "card"}
    assert (nothing.status_code, answer(nothing)) == (
        200,
        {"paperless": False, "notify_new_invoice": False, "payment_method": "card"},
    )
    assert preferences_of(customer) == {
        "paperless": False,
        "notify_new_invoice": False,
        "payment_method": "card",
    }
    from chalicelib.models import Preferences, customer_pk

    stored = Preferences.get(customer_pk(customer.customer_id), "PREFERENCES")
    assert (stored.paperless, stored.notify_new_invoice) == (False, False)


def test_no_invoice_email_while_notifications_are_off(customer_factory: Any, mailbox: Any) -> None:
    # Given a customer who turned new-invoice emails off
    customer = customer_factory()
    assert customer.call("PATCH", "/preferences", {"notify_new_invoice": False}).status_code == 200

    # When an invoice is issued for them
    quiet = ordered_invoice(customer, 1500)

    # Then it exists, but no "invoice issued" email went out
    assert quiet.number
    assert mails_to(mailbox, customer.email, quiet.number) == []

    # When they turn them back on, the next invoice is announced
    assert customer.call("PATCH", "/preferences", {"notify_new_invoice": True}).status_code == 200
    announced = ordered_invoice(customer, 1600)
    (mail,) = mails_to(mailbox, customer.email, announced.number)
    assert "disponible" in mail["subject"] and "16,00" in mail["text"]
    assert mails_to(mailbox, customer.email, quiet.number) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"paperless": None}, "paperless"),
        ({"notify_new_invoice": "maybe"}, "notify_new_invoice"),
        ({"paperless": []}, "paperless"),
        ({"paperless": {"on": True}}, "paperless"),
        ({"paperless": 2}, "paperless"),
        ({"dark_mode": True}, "dark_mode"),
    ],
)
def test_values_that_are_not_true_or_false_are_refused(customer_factory: Any, body: Any, field: str) -> None:
    # Given a customer with the defaults
    customer = customer_factory()

    # When they send something that is not a known boolean preference
    response = customer.call("PATCH", "/preferences", body)

    # Then 422 naming it, and nothing changed
    assert_error(response, 422, "validation_failed", field)
    assert preferences_of(customer) == {
        "paperless": True,
        "notify_new_invoice": True,
        "payment_method": "card",
    }
