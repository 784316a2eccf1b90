"""Suspension for non-payment and resumption on payment (docs/LIFECYCLE.md): InvoiceUnpaid (still
unpaid after the last reminder) suspends the subscriptions an invoice bills; InvoicePaid of the
last of them resumes it; each step is announced and mailed once, whatever the order and number
of deliveries. A household's electricity is never cut automatically. An order whose invoice is
voided unpaid (InvoiceVoided) is cancelled."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from conftest import (
    Customer,
    electricity_options,
    mails_to,
    order_and_pay,
    orders_of,
    place_order,
    set_renewal,
    subscription_of,
)
from guichet_contracts.domain_events.invoices import InvoicePaid, InvoiceUnpaid, InvoiceVoided
from guichet_local.testing import answer, deliver


def unpaid(customer: Customer, invoice_id: str, *subscription_ids: str) -> InvoiceUnpaid:
    return InvoiceUnpaid(
        invoice_id=invoice_id,
        number=f"F2064-{invoice_id[-6:]}",
        customer_id=customer.customer_id,
        order_id=None,
        subscription_ids=list(subscription_ids),
        due_on=date(2064, 1, 20),
        amount_due_cents=999,
        currency="EUR",
        days_late=38,
    )


def paid(customer: Customer, invoice_id: str, *subscription_ids: str) -> InvoicePaid:
    return InvoicePaid(
        invoice_id=invoice_id,
        number=f"F2064-{invoice_id[-6:]}",
        customer_id=customer.customer_id,
        order_id=None,
        subscription_ids=list(subscription_ids),
        total_cents=999,
        currency="EUR",
        paid_on=date(2064, 3, 2),
    )


def invoice_id() -> str:
    return f"in_20640101_{uuid.uuid4().hex[:10]}"


def statuses_told(published: Any, customer: Customer) -> list[tuple[str, str]]:
    return [
        (event["detail-type"], event["detail"]["data"]["reason"])
        for event in published.of(customer.customer_id)
        if event["detail-type"] in ("SubscriptionSuspended", "SubscriptionResumed")
    ]


def test_an_unpaid_invoice_suspends_what_it_bills_and_its_payment_resumes_it(
    customer_factory: Any, published: Any, mailbox: Any
) -> None:
    # Given an active mobile line and the invoice of its renewal, still unpaid after its last reminder
    customer = customer_factory()
    line = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    invoice = invoice_id()

    # When InvoiceUnpaid arrives (twice: at least once delivery)
    for _ in range(2):
        deliver(customer.client, "invoice_unpaid", unpaid(customer, invoice, line))

    # Then the line is suspended, announced and mailed once
    assert subscription_of(customer, line)["status"] == "suspended"
    assert statuses_told(published, customer) == [("SubscriptionSuspended", "unpaid")]
    (suspended,) = mails_to(mailbox, customer.email, "suspendu")
    assert customer.customer_id in suspended["text"] and "/my-invoices" in suspended["text"]

    # When the invoice is paid (InvoicePaid, twice), and its InvoiceUnpaid comes again, late
    for _ in range(2):
        deliver(customer.client, "invoice_paid", paid(customer, invoice, line))
    deliver(customer.client, "invoice_unpaid", unpaid(customer, invoice, line))

    # Then the line is active again, resumed once, and the late event suspends nothing
    assert subscription_of(customer, line)["status"] == "active"
    assert statuses_told(published, customer) == [
        ("SubscriptionSuspended", "unpaid"),
        ("SubscriptionResumed", "paid"),
    ]
    assert len(mails_to(mailbox, customer.email, "rétabli")) == 1


def test_a_subscription_waiting_for_two_unpaid_invoices_resumes_when_both_are_paid(
    customer_factory: Any,
) -> None:
    # Given a hosting pack suspended for two unpaid invoices
    customer = customer_factory()
    pack = order_and_pay(customer, "mobile-2h", "Ligne")["subscription_id"]
    first, second = invoice_id(), invoice_id()
    deliver(customer.client, "invoice_unpaid", unpaid(customer, first, pack))
    deliver(customer.client, "invoice_unpaid", unpaid(customer, second, pack))

    # When the first is paid
    deliver(customer.client, "invoice_paid", paid(customer, first, pack))

    # Then it stays suspended, until the second is paid too
    assert subscription_of(customer, pack)["status"] == "suspended"
    deliver(customer.client, "invoice_paid", paid(customer, second, pack))
    assert subscription_of(customer, pack)["status"] == "active"


def test_a_households_electricity_is_not_cut_automatically_a_businesss_is(customer_factory: Any) -> None:
    # Given a household's electricity contract and a business's, each with an unpaid invoice
    household = customer_factory()
    business = customer_factory(company="Atelier Roussel SARL")
    homes = order_and_pay(household, "electricity-essentielle", "Maison", electricity_options())
    shop = order_and_pay(business, "electricity-verte-pro", "Atelier", electricity_options())

    # When both invoices are still unpaid after their last reminder
    deliver(household.client, "invoice_unpaid", unpaid(household, invoice_id(), homes["subscription_id"]))
    deliver(business.client, "invoice_unpaid", unpaid(business, invoice_id(), shop["subscription_id"]))

    # Then the home keeps its supply (a procedure for an operator), the business's is suspended
    assert subscription_of(household, homes["subscription_id"])["status"] == "active"
    assert subscription_of(business, shop["subscription_id"])["status"] == "suspended"


def test_a_suspended_subscription_is_not_renewed_at_its_term(customer_factory: Any, fresh_jobs: None) -> None:
    # Given an auto-renewed line suspended for an unpaid invoice, whose period ends on 5 April 2064
    from chalicelib import renewals

    customer = customer_factory()
    line = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    set_renewal(customer, line, date(2064, 4, 5))
    deliver(customer.client, "invoice_unpaid", unpaid(customer, invoice_id(), line))

    # When its term comes
    outcome = renewals.expire_and_renew(now=datetime(2064, 4, 5, 0, 30, tzinfo=UTC))

    # Then it ends: no renewal is ordered for a service suspended for non-payment
    assert (outcome["expired"], outcome["renewal_orders"]) == (1, 0)
    assert subscription_of(customer, line)["status"] == "expired"


def test_an_order_whose_invoice_is_voided_unpaid_is_cancelled_once(
    customer_factory: Any, mailbox: Any
) -> None:
    # Given an order waiting for its payment, and a completed one
    customer = customer_factory()
    order_and_pay(customer, "mobile-50go", "Autre")
    (done,) = [order["order_id"] for order in orders_of(customer)]
    waiting = answer(place_order(customer, [{"product_id": "mobile-2h", "label": "Ligne"}]))["order_id"]

    # When the waiting order's invoice is voided (delivered twice), and a voided invoice names the other
    for order_id in (waiting, waiting, done):
        voided = InvoiceVoided(
            invoice_id=invoice_id(),
            number="F2064-000042",
            customer_id=customer.customer_id,
            order_id=order_id,
            reason="order_unpaid",
            on=date(2064, 2, 1),
        )
        deliver(customer.client, "invoice_voided", voided)

    # Then the waiting order is cancelled, once, and the customer told; the completed one is untouched
    statuses = {order["order_id"]: order for order in orders_of(customer)}
    assert statuses[waiting]["status"] == "cancelled"
    assert [step["status"] for step in statuses[waiting]["history"]] == ["received", "cancelled"]
    assert statuses[done]["status"] == "completed"
    # and this service mails nothing: the invoices service's mail about the void tells the customer, once
    assert mails_to(mailbox, customer.email, "annulée") == []


def test_a_paid_renewal_of_a_suspended_line_resumes_it_only_with_its_invoice_paid_whatever_comes_first(
    customer_factory: Any, published: Any, mailbox: Any
) -> None:
    from conftest import idempotency_key, pay

    # Given a line suspended for its renewal's invoice, unpaid
    customer = customer_factory()
    line = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    renews_on = subscription_of(customer, line)["renews_on"]
    renewal = customer.call("POST", f"/{line}/renew", {"periods": 1}, headers=idempotency_key())
    assert renewal.status_code == 201, renewal.body
    invoice = invoice_id()
    deliver(customer.client, "invoice_unpaid", unpaid(customer, invoice, line))
    assert subscription_of(customer, line)["status"] == "suspended"

    # When that invoice is paid, and the renewal's OrderPaid arrives before the InvoicePaid
    pay(customer, answer(renewal)["order_id"])

    # Then the renewal extends the line, which waits suspended for the InvoicePaid
    extended = subscription_of(customer, line)
    assert (extended["status"], extended["renews_on"] > renews_on) == ("suspended", True)
    deliver(customer.client, "invoice_paid", paid(customer, invoice, line))

    # And then it runs again, resumed and told so once (the payment's order of events aside)
    assert subscription_of(customer, line)["status"] == "active"
    assert statuses_told(published, customer) == [
        ("SubscriptionSuspended", "unpaid"),
        ("SubscriptionResumed", "paid"),
    ]
    assert len(mails_to(mailbox, customer.email, "rétabli")) == 1
