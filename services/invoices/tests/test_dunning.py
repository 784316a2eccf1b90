"""Dunning after the reminders (dunning.mark_overdue): an invoice that bills subscriptions still
unpaid after its last reminder leads to their suspension (the last reminder names the day,
InvoiceUnpaid is published once on that day); a purchase order's invoice never paid is voided
(InvoiceVoided, mailed, the order never settled, a late payment refused), a part paid being
refunded with a credit note; a cheque or TIP on its way postpones both.

Time is the job's `now` (and the moment an order's event is handled, set with time-machine);
suspensions happen in 2045, voids in 2046, years of this module's own.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from conftest import (
    Operator,
    invoice_of_order,
    issue_invoice,
    job_ran_until,
    mails_to,
    order_placed,
    paris_noon,
    pay_key,
    priced,
    provider_refunds,
    refunds_of,
    stored_invoice,
    subject,
)
from guichet_local.testing import answer, assert_error

ISSUED_ON = date(2045, 3, 2)
DUE_ON = date(2045, 3, 17)
SUSPEND_ON = date(2045, 4, 24)  # 38 days late: 8 days after the last reminder


def run(day: date) -> dict[str, int]:
    """The daily job on `day`, having covered every day before (the index holds what is due then)."""
    from chalicelib import dunning

    job_ran_until("mark_overdue", day - timedelta(days=1))
    return dunning.mark_overdue(now=paris_noon(day))


@pytest.fixture
def renewal_invoice(customer_factory: Any, fresh_jobs: None) -> Any:
    """An open invoice of 60 € billing a subscription, due on 17 March 2045."""
    customer = customer_factory()
    invoice = issue_invoice(
        customer.customer_id, ISSUED_ON, lines=[priced(5000)], subscription_ids=["sub-vps"]
    )
    assert invoice.due_on == DUE_ON.isoformat()
    return customer, invoice


def test_the_last_reminder_names_the_suspension_day_and_that_day_publishes_invoice_unpaid_once(
    renewal_invoice: Any, mailbox: Any, published: Any
) -> None:
    # Given an unpaid invoice billing a subscription, reminded 1 and 15 days late
    customer, invoice = renewal_invoice
    run(DUE_ON + timedelta(days=1))
    run(DUE_ON + timedelta(days=15))

    # When the last reminder goes, 30 days late
    run(DUE_ON + timedelta(days=30))

    # Then it names the day the service will be suspended
    (last,) = mails_to(mailbox, customer.email, subject("overdue_reminder", number=invoice.number, stage=3))
    assert "sera suspendu le 24 avril 2045" in last["text"] and customer.customer_id in last["text"]

    # When the job runs the day before, then on that day, twice, then again having forgotten
    # what it covered
    before = run(SUSPEND_ON - timedelta(days=1))
    on_the_day = run(SUSPEND_ON)
    again = run(SUSPEND_ON)
    from chalicelib import dunning

    dunning.mark_overdue(now=paris_noon(SUSPEND_ON + timedelta(days=1)))

    # Then InvoiceUnpaid was published once, on that day, for its subscriptions and what is due
    assert (before["unpaid"], on_the_day["unpaid"], again["unpaid"]) == (0, 1, 0)
    (unpaid,) = published.of(customer.customer_id, "InvoiceUnpaid")
    data = unpaid["detail"]["data"]
    assert data["invoice_id"] == invoice.invoice_id and data["subscription_ids"] == ["sub-vps"]
    assert (data["amount_due_cents"], data["days_late"], data["due_on"]) == (6000, 38, DUE_ON.isoformat())
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "overdue"


def test_an_invoice_paid_before_the_suspension_day_publishes_nothing(
    renewal_invoice: Any, published: Any
) -> None:
    # Given the last reminder sent
    from chalicelib import payments

    customer, invoice = renewal_invoice
    for late in (1, 15, 30):
        run(DUE_ON + timedelta(days=late))

    # When it is paid, then the suspension day comes
    payments.pay(
        customer.customer_id,
        [invoice.invoice_id],
        method="card",
        card_token="tok_visa",
        now=paris_noon(SUSPEND_ON - timedelta(days=2)),
    )
    outcome = run(SUSPEND_ON)

    # Then nothing is suspended: the payment was announced (InvoicePaid)
    assert stored_invoice(customer.customer_id, invoice.invoice_id).due_pk is None
    assert outcome["unpaid"] == 0
    assert published.of(customer.customer_id, "InvoiceUnpaid") == []
    assert len(published.of(customer.customer_id, "InvoicePaid")) == 1


def test_a_cheque_on_its_way_postpones_the_suspension(
    renewal_invoice: Any, operator: Operator, published: Any
) -> None:
    # Given the last reminder sent, then a cheque announced for the invoice
    customer, invoice = renewal_invoice
    for late in (1, 15, 30):
        run(DUE_ON + timedelta(days=late))
    payment = answer(customer.call("POST", f"/{invoice.invoice_id}/payments", {"method": "check"}, pay_key()))

    # When the suspension day comes
    held = run(SUSPEND_ON)

    # Then nothing is published while the cheque is awaited
    assert held["unpaid"] == 0 and published.of(customer.customer_id, "InvoiceUnpaid") == []

    # When the operator records it never came, and the job runs the next day
    assert operator.expired(customer, payment["payment_id"]).status_code == 200
    later = run(SUSPEND_ON + timedelta(days=1))

    # Then the subscriptions are to be suspended
    assert later["unpaid"] == 1
    assert len(published.of(customer.customer_id, "InvoiceUnpaid")) == 1


def test_an_invoice_billing_no_subscription_is_never_suspended(
    customer_factory: Any, fresh_jobs: None, mailbox: Any, published: Any
) -> None:
    # Given an unpaid invoice billing no subscription
    customer = customer_factory()
    invoice = issue_invoice(customer.customer_id, ISSUED_ON, lines=[priced(5000)])

    # When its reminders go and the day it would be suspended comes
    for late in (1, 15, 30, 38):
        run(DUE_ON + timedelta(days=late))

    # Then its last reminder names no suspension day, and nothing is published
    (last,) = mails_to(mailbox, customer.email, subject("overdue_reminder", number=invoice.number, stage=3))
    assert "sera suspendu le" not in last["text"]
    assert published.of(customer.customer_id, "InvoiceUnpaid") == []


# An order's invoice never paid.

ORDERED_AT = paris_noon(date(2046, 3, 2))
ORDER_DUE = date(2046, 3, 17)
CANCEL_ON = date(2046, 3, 31)  # 14 days after the due date


@pytest.fixture
def ordered(customer_factory: Any, fresh_jobs: None) -> Any:
    """A purchase of 79.90 € ordered on 2 March 2046, its invoice due on 17 March, unpaid."""
    customer = customer_factory()
    with time_machine.travel(ORDERED_AT, tick=False):
        order_id = order_placed(
            customer.client,
            customer.customer_id,
            [{"description": "Serveur dédié", "unit_price_cents": 7990}],
        )
    invoice = invoice_of_order(order_id)
    assert invoice.due_on == ORDER_DUE.isoformat()
    return customer, order_id, invoice


def settlement_of(customer: Any, order_id: str) -> Any:
    from chalicelib.models import OrderSettlement, customer_pk

    return OrderSettlement.get(customer_pk(customer.customer_id), f"ORDER#{order_id}", consistent_read=True)


def test_an_unpaid_orders_invoice_is_voided_and_the_order_given_up(
    ordered: Any, mailbox: Any, published: Any, route_clock: Any
) -> None:
    # Given an order's invoice unpaid at its due date
    customer, order_id, invoice = ordered

    # When the job runs the day after: one reminder, naming the day the order will be cancelled
    run(ORDER_DUE + timedelta(days=1))
    (reminder,) = mails_to(
        mailbox, customer.email, subject("overdue_reminder", number=invoice.number, stage=1)
    )
    assert "sans paiement d'ici le 31 mars 2046, elle sera annulée" in reminder["text"]

    # When it runs 13 days late, then on the day (twice)
    before = run(CANCEL_ON - timedelta(days=1))
    voided = run(CANCEL_ON)
    again = run(CANCEL_ON)

    # Then the invoice was voided on that day, once: nothing due, InvoiceVoided, mailed, the order
    # no longer awaits payment
    assert (before["voided"], voided["voided"], again["voided"]) == (0, 1, 0)
    stored = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert (stored.status, stored.amount_due_cents, stored.voided_on, stored.due_pk) == (
        "void",
        0,
        CANCEL_ON.isoformat(),
        None,
    )
    (event,) = published.of(customer.customer_id, "InvoiceVoided")
    assert event["detail"]["data"] == {
        "invoice_id": invoice.invoice_id,
        "number": invoice.number,
        "customer_id": customer.customer_id,
        "order_id": order_id,
        "reason": "order_unpaid",
        "on": CANCEL_ON.isoformat(),
    }
    (mail,) = mails_to(mailbox, customer.email, "Votre commande est annulée")
    assert invoice.number in mail["text"] and customer.customer_id in mail["text"]
    assert settlement_of(customer, order_id).status == "cancelled"
    # and only one reminder went (no stage 2 for an order)
    assert len(mails_to(mailbox, customer.email, invoice.number)) == 3  # issued, reminder, voided

    # When the customer pays it late
    route_clock(paris_noon(CANCEL_ON + timedelta(days=1)))
    late = customer.call(
        "POST", f"/{invoice.invoice_id}/payments", {"method": "card", "card_token": "tok_visa"}, pay_key()
    )

    # Then 409 invoice_void: nothing is charged and the order is never paid
    assert_error(late, 409, "invoice_void")
    assert published.of(customer.customer_id, "OrderPaid") == []
    assert answer(customer.call("GET", f"/{invoice.invoice_id}"))["status"] == "void"


def test_a_partly_paid_orders_invoice_is_voided_and_what_was_paid_refunded(
    ordered: Any, mailbox: Any, published: Any
) -> None:
    # Given an order's invoice of 79.90 € of which 20 € was paid by card
    from chalicelib import payments

    customer, _, invoice = ordered
    part = payments.pay(
        customer.customer_id,
        [invoice.invoice_id],
        method="card",
        card_token="tok_visa",
        amount_cents=2000,
        now=paris_noon(date(2046, 3, 10)),
    )
    assert part.status == "succeeded"

    # When the day to give the order up comes
    run(ORDER_DUE + timedelta(days=1))
    assert run(CANCEL_ON)["voided"] == 1

    # Then the invoice is void, cancelled by a credit note of its total, and the 20 € paid went
    # back to the card (PaymentRefunded), the credit note showing refunded
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "void"
    from chalicelib.models import Invoice, customer_pk

    (note,) = [
        item
        for item in Invoice.query(customer_pk(customer.customer_id), Invoice.sk.startswith("INVOICE#"))
        if item.kind == "credit_note"
    ]
    assert (note.credited_invoice_id, note.total_cents, note.owed_cents, note.status) == (
        invoice.invoice_id,
        -7990,
        2000,
        "refunded",
    )
    (refund,) = refunds_of(customer.customer_id, note.invoice_id)
    assert (refund.method, refund.amount_cents, refund.payment_id, refund.status) == (
        "card",
        2000,
        part.payment_id,
        "succeeded",
    )
    (charge,) = provider_refunds(customer.customer_id).values()
    assert charge.succeeded and charge.reference == refund.provider_reference
    (refunded,) = published.of(customer.customer_id, "PaymentRefunded")
    assert refunded["detail"]["data"]["amount_cents"] == 2000
    assert refunded["detail"]["data"]["invoice_id"] == note.invoice_id
    (mail,) = mails_to(mailbox, customer.email, "Votre commande est annulée")
    assert "20,00" in mail["text"]
    assert len(mails_to(mailbox, customer.email, "Remboursement de 20,00")) == 1
    assert published.of(customer.customer_id, "OrderPaid") == []


def test_a_cheque_on_its_way_postpones_the_void(ordered: Any, operator: Operator, published: Any) -> None:
    # Given an order's invoice sent by cheque (pending)
    customer, _, invoice = ordered
    payment = answer(customer.call("POST", f"/{invoice.invoice_id}/payments", {"method": "check"}, pay_key()))
    run(ORDER_DUE + timedelta(days=1))

    # When the day to give the order up comes
    held = run(CANCEL_ON)

    # Then it is kept while the cheque is awaited
    assert held["voided"] == 0
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "overdue"

    # When the cheque is received (recorded by an operator) the next day
    assert operator.received(customer, payment["payment_id"]).status_code == 200
    later = run(CANCEL_ON + timedelta(days=1))

    # Then the invoice is paid, the order settled, and nothing is voided
    assert later["voided"] == 0
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "paid"
    assert len(published.of(customer.customer_id, "OrderPaid")) == 1
    assert published.of(customer.customer_id, "InvoiceVoided") == []


def test_a_renewals_invoice_is_not_voided(customer_factory: Any, fresh_jobs: None, published: Any) -> None:
    # Given a renewal order's invoice (it bills the subscription renewed), unpaid
    customer = customer_factory()
    with time_machine.travel(ORDERED_AT, tick=False):
        order_id = order_placed(
            customer.client,
            customer.customer_id,
            [
                {
                    "description": "Renouvellement VPS",
                    "unit_price_cents": 2990,
                    "subscription_id": "sub-renewed",
                }
            ],
            kind="renewal",
        )
    invoice = invoice_of_order(order_id)

    # When the day a purchase would be given up comes
    run(ORDER_DUE + timedelta(days=1))
    outcome = run(CANCEL_ON)

    # Then it stays due: its subscription is suspended later instead
    assert outcome["voided"] == 0
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "overdue"
    assert published.of(customer.customer_id, "InvoiceVoided") == []
