"""Payments: card with each sandbox test card, direct debit (with and without a mandate), cheque
and TIP, several invoices at once, amounts, paid invoices, and two payments racing for one invoice.

Events are read as a subscriber would: an EventBridge rule on `source: guichet.invoices` feeding
an SQS queue, in moto (`published`). Mails are read from moto's SES (`mails_to`).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import (
    SELLER_NAME,
    mails_to,
    new_client,
    on_client,
    ordered_invoice,
    pay_key,
    payments_in_table,
    provider_charges,
    snapshot,
    stored_invoice,
)
from guichet_local.testing import answer, assert_error

GOOD_IBAN = "FR1420041010050500013M02606"
POOR_IBAN = "FR7630004000010000000040294"  # sandbox: declined, insufficient_funds


def pay(customer: Any, invoice: Any, **body: Any) -> Any:
    return customer.call("POST", f"/{invoice.invoice_id}/payments", body, pay_key())


@pytest.mark.parametrize("card", ["tok_visa", "4242 4242 4242 4242", "4242-4242-4242-4242"])
def test_a_card_that_succeeds_pays_the_invoice(
    customer_factory: Any, mailbox: Any, published: Any, card: str
) -> None:
    # Given a customer's open invoice of an order
    customer = customer_factory()
    invoice = ordered_invoice(customer, 3490)

    # When they pay it with a sandbox card that succeeds
    response = pay(customer, invoice, method="card", card_token=card)

    # Then the payment succeeded for the whole amount, and the invoice is paid
    assert response.status_code == 201, response.body
    payment = answer(response)
    assert (payment["status"], payment["amount_cents"], payment["method"]) == ("succeeded", 3490, "card")
    assert payment["failure_code"] is None and payment["instructions"] is None
    stored = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert (stored.status, stored.amount_due_cents, stored.payment_lock) == ("paid", 0, None)
    assert stored.due_pk is None  # no longer waits for a due date
    (item,) = payments_in_table(customer.customer_id)
    assert (item.payment_id, item.status) == (payment["payment_id"], "succeeded")
    (charge,) = provider_charges(customer.customer_id).values()
    assert charge.succeeded and item.provider_reference == charge.reference
    # and PaymentSucceeded was published with the payment, the invoice and its order
    (event,) = published.of(customer.customer_id, "PaymentSucceeded")
    data = event["detail"]["data"]
    assert (data["payment_id"], data["amount_cents"], data["status"]) == (
        payment["payment_id"],
        3490,
        "succeeded",
    )
    assert data["invoices"] == [
        {"invoice_id": invoice.invoice_id, "number": invoice.number, "order_id": invoice.order_id}
    ]
    assert published.of(customer.customer_id, "PaymentFailed") == []
    # and, nothing being due any more, the invoice is said paid and its order paid, once each
    (paid,) = published.of(customer.customer_id, "InvoicePaid")
    assert (paid["detail"]["data"]["invoice_id"], paid["detail"]["data"]["total_cents"]) == (
        invoice.invoice_id,
        3490,
    )
    (order,) = published.of(customer.customer_id, "OrderPaid")
    assert order["detail"]["data"] == {
        "order_id": invoice.order_id,
        "customer_id": customer.customer_id,
        "invoice_id": invoice.invoice_id,
        "amount_paid_cents": 3490,
        "currency": "EUR",
        "settled_by": "payment",
    }
    # and the customer got a receipt
    (receipt,) = mails_to(mailbox, customer.email, "Nous avons bien reçu votre paiement")
    assert "34,90" in receipt["subject"] and invoice.number in receipt["text"]


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ("tok_chargeDeclined", "card_declined"),
        ("4000 0000 0000 0002", "card_declined"),
        ("tok_insufficientFunds", "insufficient_funds"),
        ("tok_expiredCard", "expired_card"),
        ("tok_incorrectCvc", "incorrect_cvc"),
        ("4000000000000127", "incorrect_cvc"),
        ("tok_unknown", "invalid_card"),
    ],
)
def test_a_declined_card_leaves_the_invoice_open(
    customer_factory: Any, mailbox: Any, published: Any, card: str, code: str
) -> None:
    # Given a customer's open invoice
    customer = customer_factory()
    invoice = ordered_invoice(customer, 1250)

    # When they pay it with a sandbox card that is declined
    response = pay(customer, invoice, method="card", card_token=card)

    # Then the payment is recorded as failed with the decline code, and the invoice is still open
    assert response.status_code == 201, response.body
    payment = answer(response)
    assert (payment["status"], payment["failure_code"]) == ("failed", code)
    (item,) = payments_in_table(customer.customer_id)
    assert (item.status, item.failure_code) == ("failed", code)
    stored = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert (stored.status, stored.amount_due_cents, stored.payments) == ("open", 1250, [])
    assert stored.payment_lock is None  # released: another payment may be tried
    # and PaymentFailed was published, and the customer told by mail
    (event,) = published.of(customer.customer_id, "PaymentFailed")
    assert (event["detail"]["data"]["payment_id"], event["detail"]["data"]["failure_code"]) == (
        payment["payment_id"],
        code,
    )
    assert published.of(customer.customer_id, "PaymentSucceeded") == []
    (notice,) = mails_to(mailbox, customer.email, "n'a pas abouti")
    assert "12,50" in notice["subject"] and invoice.number in notice["text"]
    # with the reason in the customer's language
    reason = {
        "card_declined": "carte refusée",
        "insufficient_funds": "provision insuffisante",
        "expired_card": "carte expirée",
        "incorrect_cvc": "cryptogramme incorrect",
        "invalid_card": "carte invalide",
    }[code]
    assert f"Motif : {reason}" in notice["text"]
    # and a good card pays it afterwards
    retry = pay(customer, invoice, method="card", card_token="tok_visa")
    assert answer(retry)["status"] == "succeeded"
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "paid"


def test_direct_debit_without_bank_details_is_refused(customer_factory: Any, published: Any) -> None:
    # Given a customer without bank details and an open invoice
    customer = customer_factory()
    invoice = ordered_invoice(customer, 800)

    # When they pay it by direct debit
    response = pay(customer, invoice, method="direct_debit")

    # Then 409 no_bank_account, and nothing was recorded, charged or published
    assert_error(response, 409, "no_bank_account")
    assert payments_in_table(customer.customer_id) == [] and provider_charges(customer.customer_id) == {}
    assert snapshot(stored_invoice(customer.customer_id, invoice.invoice_id)) == snapshot(invoice)
    assert published.of(customer.customer_id, "PaymentSucceeded") == []


@pytest.mark.parametrize(("iban", "status", "due"), [(GOOD_IBAN, "succeeded", 0), (POOR_IBAN, "failed", 800)])
def test_direct_debit_with_bank_details_debits_the_mandate(
    customer_factory: Any, iban: str, status: str, due: int
) -> None:
    # Given a customer with bank details and an open invoice
    customer = customer_factory()
    account = answer(customer.call("PUT", "/bank-account", {"iban": iban, "holder": "Test Client"}))
    invoice = ordered_invoice(customer, 800)

    # When they pay it by direct debit
    response = pay(customer, invoice, method="direct_debit")

    # Then the mandate was debited once, with the sandbox's outcome for that account
    assert response.status_code == 201, response.body
    assert (answer(response)["status"], answer(response)["method"]) == (status, "direct_debit")
    assert len(provider_charges(customer.customer_id)) == 1
    assert stored_invoice(customer.customer_id, invoice.invoice_id).amount_due_cents == due
    assert account["mandate_reference"].startswith("GUICHET-")


@pytest.mark.parametrize(("method", "subject"), [("check", "par chèque"), ("tip", "par TIP")])
def test_cheque_and_tip_are_pending_with_instructions(
    customer_factory: Any, mailbox: Any, method: str, subject: str
) -> None:
    # Given a customer's open invoice (issued with a TIP slip for one who chose to pay by TIP)
    customer = customer_factory()
    if method == "tip":
        assert customer.call("PATCH", "/preferences", {"payment_method": "tip"}).status_code == 200
    invoice = ordered_invoice(customer, 6000)

    # When they choose to pay it by cheque or TIP
    response = pay(customer, invoice, method=method)

    # Then 201, pending, with what to do: the payee, a reference naming them and the invoice, the address
    assert response.status_code == 201, response.body
    payment = answer(response)
    assert (payment["status"], payment["method"], payment["amount_cents"]) == ("pending", method, 6000)
    instructions = payment["instructions"]
    assert instructions["payee"] == SELLER_NAME
    assert customer.customer_id in instructions["reference"] and invoice.number in instructions["reference"]
    assert instructions["address"] == ["10 rue de la Gare", "59000 Lille"]
    assert instructions["due_on"] == invoice.due_on
    # and the same by mail; the invoice stays open; nothing is charged
    (mail,) = mails_to(mailbox, customer.email, subject)
    assert "60,00" in mail["subject"]
    assert instructions["reference"] in mail["text"] and "59000 Lille" in mail["text"]
    stored = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert (stored.status, stored.amount_due_cents) == ("open", 6000)
    assert provider_charges(customer.customer_id) == {}
    assert [item.status for item in payments_in_table(customer.customer_id)] == ["pending"]


def test_one_payment_settles_several_invoices(customer_factory: Any, published: Any) -> None:
    # Given a customer's three open invoices
    customer = customer_factory()
    invoices = [ordered_invoice(customer, price) for price in (1000, 2345, 99)]

    # When they pay them in one payment
    response = customer.call(
        "POST",
        "/payments",
        {
            "invoice_ids": [invoice.invoice_id for invoice in invoices],
            "method": "card",
            "card_token": "tok_visa",
        },
        pay_key(),
    )

    # Then one payment of the sum, one charge, every invoice paid by it
    assert response.status_code == 201, response.body
    payment = answer(response)
    assert (payment["status"], payment["amount_cents"]) == ("succeeded", 3444)
    assert (
        len(provider_charges(customer.customer_id)) == 1 and len(payments_in_table(customer.customer_id)) == 1
    )
    for invoice in invoices:
        stored = stored_invoice(customer.customer_id, invoice.invoice_id)
        assert (stored.status, stored.amount_due_cents) == ("paid", 0)
        assert [(applied.payment_id, applied.amount_cents) for applied in stored.payments] == [
            (payment["payment_id"], invoice.total_cents)
        ]
    (event,) = published.of(customer.customer_id, "PaymentSucceeded")
    assert [item["invoice_id"] for item in event["detail"]["data"]["invoices"]] == [
        i.invoice_id for i in invoices
    ]
    assert [item["order_id"] for item in event["detail"]["data"]["invoices"]] == [
        invoice.order_id for invoice in invoices
    ]
    assert sorted(
        event["detail"]["data"]["order_id"] for event in published.of(customer.customer_id, "OrderPaid")
    ) == sorted(invoice.order_id for invoice in invoices)


def test_several_invoices_with_one_already_paid_are_refused_whole(customer_factory: Any) -> None:
    # Given a paid invoice and an open one
    customer = customer_factory()
    paid, still_open = ordered_invoice(customer, 500), ordered_invoice(customer, 700)
    assert answer(pay(customer, paid, method="card", card_token="tok_visa"))["status"] == "succeeded"

    # When both are paid together
    response = customer.call(
        "POST",
        "/payments",
        {"invoice_ids": [still_open.invoice_id, paid.invoice_id], "method": "card", "card_token": "tok_visa"},
        pay_key(),
    )

    # Then 409 nothing_due, and the open one is neither charged nor changed
    assert_error(response, 409, "nothing_due", "invoice_ids")
    assert len(provider_charges(customer.customer_id)) == 1
    assert snapshot(stored_invoice(customer.customer_id, still_open.invoice_id)) == snapshot(still_open)


def test_the_same_invoice_twice_in_one_payment_is_refused(customer_factory: Any) -> None:
    customer = customer_factory()
    invoice = ordered_invoice(customer, 500)
    response = customer.call(
        "POST", "/payments", {"invoice_ids": [invoice.invoice_id] * 2, "method": "check"}, pay_key()
    )
    assert_error(response, 422, "validation_failed", "invoice_ids")
    assert payments_in_table(customer.customer_id) == []


def test_an_amount_above_what_is_due_is_refused(customer_factory: Any) -> None:
    # Given an invoice of 19.99 €
    customer = customer_factory()
    invoice = ordered_invoice(customer, 1999)

    # When 20.00 € is paid on it
    response = pay(customer, invoice, method="card", card_token="tok_visa", amount_cents=2000)

    # Then 422 amount_exceeds_due naming the amount, and nothing is charged or changed
    assert_error(response, 422, "amount_exceeds_due", "amount_cents")
    assert payments_in_table(customer.customer_id) == [] and provider_charges(customer.customer_id) == {}
    assert snapshot(stored_invoice(customer.customer_id, invoice.invoice_id)) == snapshot(invoice)


def test_an_amount_is_a_whole_number_of_cents_as_json_has_it(customer_factory: Any) -> None:
    # Given an invoice of 19.99 €
    customer = customer_factory()
    invoice = ordered_invoice(customer, 1999)

    # When 5.00 € is paid as 500.0 cents (JSON's 500, which the document allows), then as 1.5 and "500"
    paid = pay(customer, invoice, method="card", card_token="tok_visa", amount_cents=500.0)
    halves = pay(customer, invoice, method="card", card_token="tok_visa", amount_cents=1.5)
    text = pay(customer, invoice, method="card", card_token="tok_visa", amount_cents="500")

    # Then 500.0 is 500 cents (it was a 422); a fraction of a cent and a text are refused
    assert paid.status_code == 201, paid.body
    assert answer(paid)["amount_cents"] == 500
    assert_error(halves, 422, "validation_failed", "amount_cents")
    assert_error(text, 422, "validation_failed", "amount_cents")


def test_a_partial_payment_lowers_what_is_due(customer_factory: Any) -> None:
    # Given an invoice of 19.99 €
    customer = customer_factory()
    invoice = ordered_invoice(customer, 1999)

    # When 5.00 € then the rest are paid
    first = pay(customer, invoice, method="card", card_token="tok_visa", amount_cents=500)
    after_first = stored_invoice(customer.customer_id, invoice.invoice_id)
    rest = pay(customer, invoice, method="card", card_token="tok_visa")

    # Then it is open owing 14.99 € after the first, paid after the rest (which was 14.99 €)
    assert answer(first)["amount_cents"] == 500
    assert (after_first.status, after_first.amount_due_cents) == ("open", 1499)
    assert answer(rest)["amount_cents"] == 1499
    final = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert (final.status, final.amount_due_cents) == ("paid", 0)
    assert [applied.amount_cents for applied in final.payments] == [500, 1499]


@pytest.mark.parametrize("method", ["card", "check", "tip", "direct_debit"])
def test_paying_a_paid_invoice_is_refused(customer_factory: Any, method: str) -> None:
    # Given a paid invoice
    customer = customer_factory()
    invoice = ordered_invoice(customer, 1500)
    assert answer(pay(customer, invoice, method="card", card_token="tok_visa"))["status"] == "succeeded"
    paid = stored_invoice(customer.customer_id, invoice.invoice_id)

    # When it is paid again
    response = pay(customer, invoice, method=method, card_token="tok_visa")

    # Then 409 nothing_due, and nothing more is charged or recorded
    assert_error(response, 409, "nothing_due")
    assert (
        len(provider_charges(customer.customer_id)) == 1 and len(payments_in_table(customer.customer_id)) == 1
    )
    assert snapshot(stored_invoice(customer.customer_id, invoice.invoice_id)) == snapshot(paid)


def test_a_resale_invoice_cannot_be_paid_by_the_customer(customer_factory: Any, route_clock: Any) -> None:
    # Given a resale invoice of 1 November 2026 (the provider buys the customer's surplus)
    from datetime import date

    from conftest import issue_invoice, paris_noon, priced

    customer = customer_factory()
    invoice = issue_invoice(
        customer.customer_id,
        date(2026, 11, 1),
        kind="resale",
        payment_mode="transfer",
        lines=[priced(900, rate="0")],
    )

    # When the customer tries to pay it the next day (while it can be consulted: 24 months)
    route_clock(paris_noon(date(2026, 11, 2)))
    response = pay(customer, invoice, method="card", card_token="tok_visa")

    # Then 409 nothing_due
    assert_error(response, 409, "nothing_due")
    assert provider_charges(customer.customer_id) == {}


def test_a_card_payment_needs_a_card_token(customer_factory: Any) -> None:
    customer = customer_factory()
    invoice = ordered_invoice(customer, 1500)
    response = pay(customer, invoice, method="card")
    assert_error(response, 422, "validation_failed", "card_token")
    assert payments_in_table(customer.customer_id) == []


def test_two_payments_of_one_invoice_at_once_charge_once(
    app: Any, customer_factory: Any, concurrent_app: Any
) -> None:
    # Given a customer's open invoice, and two tabs of the portal (two keys)
    customer = customer_factory()
    invoice = ordered_invoice(customer, 5000)
    tabs = [on_client(customer, new_client(app)) for _ in range(2)]

    # When both pay it by card at the same moment
    responses = concurrent_app(
        *[lambda tab=tab: pay(tab, invoice, method="card", card_token="tok_visa") for tab in tabs]
    )

    # Then one payment went through, the other was refused with 409, and one charge was made
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 409], [response.body[:200] for response in responses]
    refused = next(response for response in responses if response.status_code == 409)
    assert answer(refused)["error"]["code"] in ("payment_in_progress", "nothing_due")
    assert len(provider_charges(customer.customer_id)) == 1
    (item,) = payments_in_table(customer.customer_id)
    stored = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert (stored.status, stored.amount_due_cents, [a.payment_id for a in stored.payments]) == (
        "paid",
        0,
        [item.payment_id],
    )
