"""The customer's details the service keeps from auth's CustomerRegistered/CustomerUpdated: the
newest copy wins whatever order events arrive in, and emails follow it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conftest import DEFAULT_ADDRESS, Customer, mails_to, place_order
from guichet_contracts.domain_events.auth import CustomerUpdated
from guichet_local.testing import answer, deliver


def customer_event(customer: Customer, occurred_at: str, **changes: Any) -> None:
    """auth's CustomerUpdated for this customer, as it occurred at `occurred_at`."""
    data = {
        "customer_id": customer.customer_id,
        "external_id": None,
        "siren": None,
        "siret": None,
        "vat_number": None,
        "backup_email": None,
        "email": customer.email,
        "first_name": "Test",
        "last_name": "Client",
        "company": None,
        "phone": None,
        "language": "fr",
        "address": DEFAULT_ADDRESS,
        **changes,
    }
    deliver(
        customer.client,
        "customer_changed",
        CustomerUpdated(**data, changed=sorted(changes)),
        occurred_at=datetime.strptime(occurred_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
    )


def order_mail_subject(customer: Customer, mailbox: Any) -> str:
    order_id = answer(place_order(customer, [{"product_id": "mobile-2h", "label": "Ligne"}]))["order_id"]
    mails = mails_to(mailbox, customer.email, order_id)
    assert len(mails) == 1
    return str(mails[0]["subject"])


def test_a_newer_copy_changes_the_language_of_the_emails(customer_factory: Any, mailbox: Any) -> None:
    # Given a customer registered in French
    customer = customer_factory()

    # When auth says they now read English
    customer_event(customer, "2099-01-01T00:00:00Z", language="en")

    # Then the next email is in English
    assert order_mail_subject(customer, mailbox).startswith("We have received your order")


def test_an_older_event_arriving_late_changes_nothing(customer_factory: Any, mailbox: Any) -> None:
    # Given a customer whose latest details (English) occurred on 2 January 2099
    customer = customer_factory()
    customer_event(customer, "2099-01-02T00:00:00Z", language="en")

    # When an older update (Italian, 1 January 2099) arrives late
    customer_event(customer, "2099-01-01T00:00:00Z", language="it")

    # Then the newer details stay
    assert order_mail_subject(customer, mailbox).startswith("We have received your order")


def test_a_profile_change_keeps_the_mandate_on_file(customer_factory: Any) -> None:
    # Given a customer who signed a SEPA mandate
    from datetime import date

    from conftest import electricity_options
    from guichet_contracts.domain_events.invoices import MandateSigned

    customer = customer_factory()
    signed = MandateSigned(
        customer_id=customer.customer_id, mandate_reference="GUICHET-M2", signed_on=date(2026, 12, 4)
    )
    deliver(customer.client, "mandate_signed", signed)

    # When their profile changes afterwards (a new phone)
    customer_event(customer, "2030-01-01T00:00:00Z", phone="+33698765432")

    # Then an energy order paid by monthly debits still finds the mandate on file
    order = place_order(
        customer,
        [{"product_id": "electricity-essentielle", "label": "Maison", "options": electricity_options()}],
    )
    assert answer(order)["awaiting"] == "payment"
