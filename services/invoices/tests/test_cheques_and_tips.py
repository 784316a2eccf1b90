"""Cheques and TIPs: a pending one holds its invoice (paying it again by any method answers 409
payment_pending) until an operator records it received (the payment succeeds, the invoice is
paid, InvoicePaid, the order settled) or expired (the invoice is payable again, mailed). A
customer who prefers TIP gets invoices issued with payment mode tip and a TIP slip on their PDF;
an invoice without a slip cannot be paid by TIP.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import (
    Operator,
    invoice_of_order,
    mails_to,
    order_placed,
    ordered_invoice,
    pay_key,
    payments_in_table,
    pdf_text,
    provider_charges,
    snapshot,
    stored_invoice,
    with_mandate,
)
from guichet_local.testing import answer, assert_error


def pay(customer: Any, invoice: Any, **body: Any) -> Any:
    return customer.call("POST", f"/{invoice.invoice_id}/payments", body, pay_key())


def prefers(customer: Any, method: str) -> Any:
    response = customer.call("PATCH", "/preferences", {"payment_method": method})
    assert response.status_code == 200, response.body
    return answer(response)


@pytest.mark.parametrize("method", ["check", "tip"])
@pytest.mark.parametrize(
    "again",
    [
        {"method": "card", "card_token": "tok_visa"},
        {"method": "check"},
        {"method": "tip"},
        {"method": "direct_debit"},
    ],
    ids=["card", "check", "tip", "direct_debit"],
)
def test_a_pending_cheque_or_tip_holds_its_invoice(customer_factory: Any, method: str, again: Any) -> None:
    # Given a TIP payer with a mandate and an open invoice, sent by cheque or TIP (pending)
    customer = customer_factory()
    with_mandate(customer)
    prefers(customer, "tip")
    invoice = ordered_invoice(customer, 3000)
    assert invoice.payment_mode == "tip"
    assert answer(pay(customer, invoice, method=method))["status"] == "pending"
    held = stored_invoice(customer.customer_id, invoice.invoice_id)

    # When it is paid again, by any method, alone or with others
    alone = pay(customer, invoice, **again)
    other = ordered_invoice(customer, 1000)
    together = customer.call(
        "POST", "/payments", {"invoice_ids": [other.invoice_id, invoice.invoice_id], **again}, pay_key()
    )

    # Then 409 payment_pending, and nothing is charged, recorded or changed
    assert_error(alone, 409, "payment_pending", "invoice_ids")
    assert_error(together, 409, "payment_pending", "invoice_ids")
    assert provider_charges(customer.customer_id) == {}
    assert len(payments_in_table(customer.customer_id)) == 1
    assert snapshot(stored_invoice(customer.customer_id, invoice.invoice_id)) == snapshot(held)
    assert (
        answer(customer.call("GET", f"/{invoice.invoice_id}"))["pending_payment_id"]
        == held.pending_payment_id
    )


def test_a_cheque_received_pays_the_invoice_and_settles_the_order(
    customer_factory: Any, operator: Operator, published: Any, mailbox: Any
) -> None:
    # Given an order's invoice of 49.90 € sent by cheque
    customer = customer_factory()
    order_id = order_placed(
        customer.client, customer.customer_id, [{"description": "VPS", "unit_price_cents": 4990}]
    )
    invoice = invoice_of_order(order_id)
    payment_id = answer(pay(customer, invoice, method="check"))["payment_id"]
    assert published.of(customer.customer_id, "OrderPaid") == []

    # When an operator records it received, twice (a double click)
    first = operator.received(customer, payment_id)
    again = operator.received(customer, payment_id)

    # Then the payment succeeded once, the invoice is paid and free, the order is paid
    assert (first.status_code, again.status_code) == (200, 200)
    assert answer(first)["status"] == answer(again)["status"] == "succeeded"
    stored = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert (stored.status, stored.amount_due_cents, stored.pending_payment_id) == ("paid", 0, None)
    assert [(item.method, item.amount_cents) for item in stored.payments] == [("check", 4990)]
    assert len(published.of(customer.customer_id, "PaymentSucceeded")) == 1
    assert [
        event["detail"]["data"]["invoice_id"] for event in published.of(customer.customer_id, "InvoicePaid")
    ] == [invoice.invoice_id]
    (paid,) = published.of(customer.customer_id, "OrderPaid")
    assert paid["detail"]["data"]["order_id"] == order_id
    assert len(mails_to(mailbox, customer.email, "Nous avons bien reçu")) == 1
    # and paying it now says nothing is due
    assert_error(pay(customer, invoice, method="card", card_token="tok_visa"), 409, "nothing_due")


def test_a_cheque_that_never_comes_frees_the_invoice(
    customer_factory: Any, operator: Operator, published: Any, mailbox: Any
) -> None:
    # Given an invoice sent by cheque
    customer = customer_factory()
    invoice = ordered_invoice(customer, 2000)
    payment_id = answer(pay(customer, invoice, method="check"))["payment_id"]

    # When an operator records it expired
    response = operator.expired(customer, payment_id)

    # Then the payment expired, the customer is told, and the invoice can be paid again
    assert response.status_code == 200, response.body
    assert (answer(response)["status"], answer(response)["failure_code"]) == ("expired", "not_received")
    (failed,) = published.of(customer.customer_id, "PaymentFailed")
    assert failed["detail"]["data"]["status"] == "expired"
    (mail,) = mails_to(mailbox, customer.email, "ne nous est pas parvenu")
    assert invoice.number in mail["text"] and customer.customer_id in mail["text"]
    assert stored_invoice(customer.customer_id, invoice.invoice_id).pending_payment_id is None
    assert answer(pay(customer, invoice, method="card", card_token="tok_visa"))["status"] == "succeeded"
    # and recording it received now is refused
    assert_error(operator.received(customer, payment_id), 409, "payment_not_pending")


def test_recording_what_is_not_an_awaited_cheque_is_refused(
    customer_factory: Any, operator: Operator
) -> None:
    # Given a card payment, and a payment id that does not exist
    customer = customer_factory()
    invoice = ordered_invoice(customer, 2000)
    card = answer(pay(customer, invoice, method="card", card_token="tok_visa"))

    # Then neither can be recorded received
    assert_error(operator.received(customer, card["payment_id"]), 409, "payment_not_pending")
    assert_error(operator.received(customer, "pay_20260101_000000000000"), 404, "not_found")
    assert_error(operator.expired(customer, "nonsense" * 200), 404, "not_found")


def test_paying_by_tip_an_invoice_without_a_slip_is_refused(customer_factory: Any) -> None:
    # Given a card payer's invoice (no TIP slip on it)
    customer = customer_factory()
    invoice = ordered_invoice(customer, 1500)
    assert invoice.payment_mode == "card"

    # When they pay it by TIP
    response = pay(customer, invoice, method="tip")

    # Then 409 no_tip_slip, and nothing is recorded
    assert_error(response, 409, "no_tip_slip", "invoice_ids")
    assert payments_in_table(customer.customer_id) == []


def test_a_tip_payers_invoice_carries_the_tip_slip(customer_factory: Any, mailbox: Any) -> None:
    # Given a customer with bank details who chose to pay by TIP
    customer = customer_factory()
    with_mandate(customer, iban="FR7630006000011234567890189")
    assert prefers(customer, "tip")["payment_method"] == "tip"

    # When an invoice of 84.00 € is issued for them
    invoice = ordered_invoice(customer, 8400)

    # Then it is to be paid by TIP, and its PDF carries the slip: payee, reference, amount, their
    # account (masked)
    assert invoice.payment_mode == "tip"
    from chalicelib import invoicing

    text = pdf_text(invoicing.render(invoice, duplicate=False))
    slip = text[text.index("TIP SEPA — titre interbancaire") :]
    assert "Guichet Télécom & Énergie SAS" in slip
    assert f"{customer.customer_id} {invoice.number}" in slip
    assert "84,00 €" in slip
    assert "FR76 **** **** 0189" in slip and "FR7630006000011234567890189" not in text
    # and paying by TIP is pending, with a mail pointing to that PDF
    assert answer(pay(customer, invoice, method="tip"))["status"] == "pending"
    (mail,) = mails_to(mailbox, customer.email, "par TIP")
    assert "bas de votre facture" in mail["text"] and f"invoice?id={invoice.invoice_id}" in mail["text"]


def test_a_card_payers_invoice_has_no_tip_slip(customer_factory: Any) -> None:
    customer = customer_factory()
    invoice = ordered_invoice(customer, 8400)
    from chalicelib import invoicing

    assert "TIP SEPA — titre interbancaire" not in pdf_text(invoicing.render(invoice, duplicate=False))


def test_the_preferred_payment_method_decides_how_invoices_are_issued(customer_factory: Any) -> None:
    # Given a customer without bank details
    customer = customer_factory()
    assert answer(customer.call("GET", "/preferences"))["payment_method"] == "card"

    # When they ask for direct debit: 409, no mandate
    assert_error(
        customer.call("PATCH", "/preferences", {"payment_method": "direct_debit"}), 409, "no_bank_account"
    )

    # When they choose cheques, then give bank details, then choose direct debit
    assert prefers(customer, "check")["payment_method"] == "check"
    assert ordered_invoice(customer, 1000).payment_mode == "check"
    with_mandate(customer)
    assert answer(customer.call("GET", "/preferences"))["payment_method"] == "check"
    assert prefers(customer, "direct_debit")["payment_method"] == "direct_debit"

    # Then the next invoice is debited
    assert ordered_invoice(customer, 1000).payment_mode == "direct_debit"


@pytest.mark.parametrize("value", ["cash", None, 3, ""])
def test_an_unknown_payment_method_is_refused(customer_factory: Any, value: Any) -> None:
    customer = customer_factory()
    response = customer.call("PATCH", "/preferences", {"payment_method": value})
    assert_error(response, 422, "validation_failed", "payment_method")
    assert answer(customer.call("GET", "/preferences"))["payment_method"] == "card"


def test_a_cheque_and_a_card_at_once_leave_one_of_them(
    app: Any, customer_factory: Any, concurrent_app: Any
) -> None:
    # Given an open invoice, and two tabs of the portal
    from conftest import new_client, on_client

    customer = customer_factory()
    invoice = ordered_invoice(customer, 4500)
    cheque_tab, card_tab = (on_client(customer, new_client(app)) for _ in range(2))

    # When one sends a cheque and the other pays by card at the same moment
    cheque, card = concurrent_app(
        lambda: pay(cheque_tab, invoice, method="check"),
        lambda: pay(card_tab, invoice, method="card", card_token="tok_visa"),
    )

    # Then exactly one of them holds or pays the invoice, the other answers 409
    assert sorted((cheque.status_code, card.status_code)) == [201, 409], (cheque.body[:200], card.body[:200])
    stored = stored_invoice(customer.customer_id, invoice.invoice_id)
    if cheque.status_code == 201:
        assert (stored.status, stored.pending_payment_id) == ("open", answer(cheque)["payment_id"])
        assert provider_charges(customer.customer_id) == {}
    else:
        assert (stored.status, stored.pending_payment_id) == ("paid", None)
        assert payments_in_table(customer.customer_id)[0].status == "succeeded"
    assert len(payments_in_table(customer.customer_id)) == 1


def test_one_cheque_recorded_received_twice_at_once_pays_once(
    customer_factory: Any, operator: Operator, concurrent_app: Any, app: Any, published: Any
) -> None:
    # Given an invoice sent by cheque, and two operators' sessions
    from conftest import new_client

    customer = customer_factory()
    invoice = ordered_invoice(customer, 3300)
    payment_id = answer(pay(customer, invoice, method="check"))["payment_id"]
    desks = [Operator(operator.token, new_client(app)) for _ in range(2)]

    # When both record it received at the same moment
    answers = concurrent_app(*[lambda desk=desk: desk.received(customer, payment_id) for desk in desks])

    # Then both answer the succeeded payment, applied once, announced once
    assert [response.status_code for response in answers] == [200, 200]
    stored = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert [(item.payment_id, item.amount_cents) for item in stored.payments] == [(payment_id, 3300)]
    assert len(published.of(customer.customer_id, "PaymentSucceeded")) == 1
    assert len(published.of(customer.customer_id, "InvoicePaid")) == 1
