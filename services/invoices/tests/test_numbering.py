"""Invoice numbers: sequential per year, without gap or duplicate, even when issues race; and one
invoice per business event, however often EventBridge delivers it.

Concurrency runs the real domain (`invoicing.issue`, `billing_events.*`) from threads, each AWS
call atomic as on AWS (`serialised_aws`: moto is not thread-safe, and a failed transaction
restores a snapshot of the whole table, which would erase parallel writes). The year 2031 is
this module's own: no other test issues an invoice dated then (and the race runs on an empty
table: see `empty_table`).
"""

from __future__ import annotations

import threading
import uuid
from datetime import date
from typing import Any

import pytest
from conftest import (
    consumption_closed,
    invoices_in_table,
    issue_invoice,
    mails_to,
    order_event,
    paris_noon,
    pdf_objects,
    priced,
    surplus_payout,
    together,
)
from guichet_local.testing import deliver

YEAR = 2031


def test_fifty_concurrent_issues_take_the_numbers_1_to_50_of_their_year(
    customer_factory: Any, empty_table: None, serialised_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a service that has issued before (its DynamoDB clients are built: fifty threads building
    # fifty botocore clients at once would be what is measured), and fifty business events of fifty
    # different sources, all to be issued in a year nobody else uses. The PDF of each is a stub here:
    # what is raced is the number (test_pdf.py reads real PDFs).
    from chalicelib import invoicing

    customers = [customer_factory() for _ in range(5)]
    issue_invoice(customers[0].customer_id, date(YEAR - 1, 12, 31))
    monkeypatch.setattr(invoicing, "render", lambda invoice, duplicate: b"%PDF-1.7 stub")
    issued_on = date(YEAR, 4, 1)

    # When their fifty invoices are issued at the same moment
    invoices = together(
        *[
            lambda index=index: issue_invoice(
                customers[index % 5].customer_id,
                issued_on,
                source=f"NUMBERING#{uuid.uuid4().hex}",
                lines=[priced(100 + index)],
            )
            for index in range(50)
        ]
    )

    # Then the numbers are F2031-000001 .. F2031-000050: no gap, no duplicate
    numbers = sorted(invoice.number for invoice in invoices)
    assert numbers == [f"F{YEAR}-{n:06d}" for n in range(1, 51)]
    # and each stored invoice carries the number its issue returned, once
    stored = {
        invoice.invoice_id: invoice.number
        for customer in customers
        for invoice in invoices_in_table(customer.customer_id)
        if invoice.number.startswith(f"F{YEAR}-")
    }
    assert sorted(stored.values()) == numbers
    assert {invoice.invoice_id: invoice.number for invoice in invoices} == stored
    from chalicelib.models import Counter

    assert Counter.get(f"COUNTER#{YEAR}", "COUNTER").value == 50


def test_each_year_has_its_own_sequence(customer_factory: Any) -> None:
    # Given a customer
    customer = customer_factory()

    # When invoices are issued on the last day of a year and the first of the next (years of this test)
    last = issue_invoice(customer.customer_id, date(2038, 12, 31))
    first = issue_invoice(customer.customer_id, date(2039, 1, 1))
    second = issue_invoice(customer.customer_id, date(2039, 1, 2))

    # Then each year counts from 1
    assert [last.number, first.number, second.number] == ["F2038-000001", "F2039-000001", "F2039-000002"]


EVENTS = [
    pytest.param("order_placed", id="OrderPlaced"),
    pytest.param("consumption_period_closed", id="ConsumptionPeriodClosed"),
    pytest.param("surplus_payout", id="SurplusPayout"),
]


def business_event(handler: str, customer_id: str) -> Any:
    """One business event of this kind (an order, a meter's month, a payout)."""
    key = uuid.uuid4().hex[:12]
    if handler == "order_placed":
        return order_event(customer_id, [{"description": "Hébergement", "unit_price_cents": 990}], key)
    if handler == "consumption_period_closed":
        return consumption_closed(customer_id, meter_id=f"PDL{key}")
    return surplus_payout(customer_id, payout_id=key)


@pytest.mark.parametrize("handler", EVENTS)
def test_an_event_delivered_three_times_issues_one_invoice(
    customer_factory: Any, mailbox: Any, published: Any, handler: str
) -> None:
    # Given a business event (the same order, meter and month, or payout)
    customer = customer_factory()
    event = business_event(handler, customer.customer_id)

    # When EventBridge delivers it three times (each a new delivery, with its own event id)
    for _ in range(3):
        deliver(customer.client, handler, event)

    # Then one invoice was issued, announced once by mail and once on the bus
    invoices = invoices_in_table(customer.customer_id)
    assert len(invoices) == 1, [invoice.number for invoice in invoices]
    assert len(mails_to(mailbox, customer.email, invoices[0].number)) == 1
    issued = published.of(customer.customer_id, "InvoiceIssued")
    assert [event["detail"]["data"]["invoice_id"] for event in issued] == [invoices[0].invoice_id]


@pytest.fixture
def issues_meet_after_the_issue_key_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three deliveries of one event all pass the "already issued?" read before any of them writes:
    each waits for the others right after it (where a real race lets them all through)."""
    from chalicelib import billing_parties, invoicing

    barrier = threading.Barrier(3)
    original = billing_parties.get

    def met(customer_id: str) -> Any:
        barrier.wait(timeout=10)
        return original(customer_id)

    monkeypatch.setattr(invoicing.billing_parties, "get", met)


@pytest.mark.parametrize("handler", EVENTS)
def test_an_event_delivered_three_times_at_once_issues_and_announces_one_invoice(
    customer_factory: Any,
    mailbox: Any,
    published: Any,
    serialised_aws: None,
    issues_meet_after_the_issue_key_check: None,
    handler: str,
) -> None:
    # Given a business event
    customer = customer_factory()
    event = business_event(handler, customer.customer_id)
    from chalicelib import billing_events

    domain = getattr(billing_events, handler)

    # When three deliveries of it are handled at the same moment
    invoices = together(*[lambda: domain(event, now=paris_noon(date(2026, 11, 2))) for _ in range(3)])

    # Then one invoice exists, all three got it, and it was announced once by mail and on the bus
    stored = invoices_in_table(customer.customer_id)
    assert len(stored) == 1
    assert {invoice.invoice_id for invoice in invoices} == {stored[0].invoice_id}
    assert {invoice.number for invoice in invoices} == {stored[0].number}
    issued = published.of(customer.customer_id, "InvoiceIssued")
    assert len(mails_to(mailbox, customer.email, stored[0].number)) == 1
    assert [event["detail"]["data"]["invoice_id"] for event in issued] == [stored[0].invoice_id]
    # and its PDF was stored once: one version, never replaced by a racing delivery
    assert [len(versions) for versions in pdf_objects(customer.customer_id).values()] == [1]


def test_two_deliveries_rendering_a_missing_pdf_at_once_store_it_once(
    customer_factory: Any, serialised_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an issued invoice whose PDF is missing (the delivery that issued it stopped before storing it)
    import threading

    import boto3
    from chalicelib import invoicing
    from chalicelib.settings import settings

    customer = customer_factory()
    invoice = issue_invoice(customer.customer_id, date(YEAR, 6, 1))
    s3 = boto3.client("s3")
    for version_id in pdf_objects(customer.customer_id)[invoice.pdf_key]:
        s3.delete_object(Bucket=settings.pdf_bucket, Key=invoice.pdf_key, VersionId=version_id)
    assert pdf_objects(customer.customer_id) == {}

    # When two redeliveries both find it missing and render it at the same moment
    both_rendering = threading.Barrier(2)
    original = invoicing.render

    def render_together(*args: Any, **kwargs: Any) -> bytes:
        both_rendering.wait(timeout=10)
        return original(*args, **kwargs)

    monkeypatch.setattr(invoicing, "render", render_together)
    together(lambda: invoicing.ensure_pdf(invoice), lambda: invoicing.ensure_pdf(invoice))

    # Then the first stored PDF is kept and never replaced: one version
    assert [len(versions) for versions in pdf_objects(customer.customer_id).values()] == [1]
