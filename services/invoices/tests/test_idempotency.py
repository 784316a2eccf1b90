"""Idempotency-Key on payments (API.md "Conventions"): a replay answers the first status and body
and charges nothing more, sequential or concurrent; another body with the same key is refused;
a payment without a key is refused; keys belong to one customer.

Concurrent requests run through the real app from several threads (`concurrent_app`: Chalice's
per-app `current_request` kept per thread, each thread with its own test client, each AWS call
atomic as on AWS, since moto is not thread-safe for transactions).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from conftest import (
    new_client,
    on_client,
    ordered_invoice,
    payments_in_table,
    provider_charges,
    snapshot,
    stored_invoice,
)
from guichet_local.testing import answer, assert_error

CARD = {"method": "card", "card_token": "tok_visa"}


def pay(customer: Any, invoice_id: str, key: str | None, body: Any = CARD) -> Any:
    headers = {"idempotency-key": key} if key is not None else {}
    return customer.call("POST", f"/{invoice_id}/payments", body, headers)


def one_charge(customer: Any, invoice: Any, first: dict[str, Any]) -> None:
    """Exactly one payment item, one provider charge, and the invoice paid once by it."""
    payments = payments_in_table(customer.customer_id)
    assert [payment.payment_id for payment in payments] == [first["payment_id"]]
    charges = provider_charges(customer.customer_id)
    assert len(charges) == 1, charges
    assert [charge.reference for charge in charges.values()] == [payments[0].provider_reference]
    stored = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert (stored.status, stored.amount_due_cents) == ("paid", 0)
    assert [applied.payment_id for applied in stored.payments] == [first["payment_id"]]


def test_a_payment_that_failed_after_its_charge_is_charged_once_when_sent_again(
    customer_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a customer's open invoice, and DynamoDB throttling once the transaction that records a
    # card payment (found by the fault-injection tier: the retry found the invoice locked by the
    # first attempt, answered 409 until the lock expired, then charged the card a second time
    # under another payment's key)
    from conftest import payment_record_throttled_once

    customer = customer_factory()
    invoice = ordered_invoice(customer, 3300)
    key = uuid.uuid4().hex
    payment_record_throttled_once(monkeypatch)

    # When the payment is sent: 503 after the card was charged; and the client sends it again
    assert_error(pay(customer, invoice.invoice_id, key), 503, "service_unavailable")
    again = pay(customer, invoice.invoice_id, key)

    # Then the second answer is the payment, made with the first attempt's charge: one charge in all
    assert again.status_code == 201, again.body
    assert answer(again)["status"] == "succeeded"
    one_charge(customer, invoice, answer(again))


def test_the_same_payment_sent_five_times_charges_once(customer_factory: Any) -> None:
    # Given a customer's open invoice and a key
    customer = customer_factory()
    invoice = ordered_invoice(customer, 2990)
    key = uuid.uuid4().hex

    # When the same payment is sent five times with it
    responses = [pay(customer, invoice.invoice_id, key) for _ in range(5)]

    # Then every answer is the first one (201, succeeded), and one charge was made
    assert [response.status_code for response in responses] == [201] * 5
    first = answer(responses[0])
    assert first["status"] == "succeeded" and first["amount_cents"] == 2990
    assert all(answer(response) == first for response in responses)
    one_charge(customer, invoice, first)


def test_the_same_payment_sent_five_times_at_once_charges_once(
    app: Any, customer_factory: Any, concurrent_app: Any
) -> None:
    # Given a customer on five clients (five containers), an open invoice and one key
    customer = customer_factory()
    invoice = ordered_invoice(customer, 4100)
    key = uuid.uuid4().hex
    clients = [on_client(customer, new_client(app)) for _ in range(5)]

    # When the five send the same payment at the same moment
    responses = concurrent_app(
        *[lambda client=client: pay(client, invoice.invoice_id, key) for client in clients]
    )

    # Then all five got the first answer, and exactly one charge was made
    answers = [(response.status_code, answer(response)) for response in responses]
    assert answers == [(201, answers[0][1])] * 5, [response.body[:200] for response in responses]
    assert answers[0][1]["status"] == "succeeded"
    one_charge(customer, invoice, answers[0][1])


def test_a_declined_payment_replays_its_decline_without_charging_again(customer_factory: Any) -> None:
    # Given a payment declined by the provider
    customer = customer_factory()
    invoice = ordered_invoice(customer, 990)
    key = uuid.uuid4().hex
    body = {"method": "card", "card_token": "tok_chargeDeclined"}
    first = pay(customer, invoice.invoice_id, key, body)

    # When it is sent again with its key
    again = pay(customer, invoice.invoice_id, key, body)

    # Then the same decline answers, one payment item and one provider call were made
    assert first.status_code == again.status_code == 201
    assert answer(again) == answer(first) and answer(first)["status"] == "failed"
    assert len(payments_in_table(customer.customer_id)) == 1
    assert len(provider_charges(customer.customer_id)) == 1
    assert stored_invoice(customer.customer_id, invoice.invoice_id).amount_due_cents == 990


def test_the_same_key_with_another_body_is_refused(customer_factory: Any) -> None:
    # Given a payment by cheque made with a key
    customer = customer_factory()
    invoice = ordered_invoice(customer, 1234)
    key = uuid.uuid4().hex
    first = pay(customer, invoice.invoice_id, key, {"method": "check"})
    assert first.status_code == 201

    # When the key comes with a card payment, and with another invoice
    other_body = pay(customer, invoice.invoice_id, key, CARD)
    other_invoice = ordered_invoice(customer, 100)
    other_path = pay(customer, other_invoice.invoice_id, key, {"method": "check"})

    # Then both are refused, nothing is charged, and the first answer still replays
    assert_error(other_body, 422, "idempotency_key_reused")
    assert_error(other_path, 422, "idempotency_key_reused")
    assert [payment.payment_id for payment in payments_in_table(customer.customer_id)] == [
        answer(first)["payment_id"]
    ]
    assert provider_charges(customer.customer_id) == {}
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "open"
    assert answer(pay(customer, invoice.invoice_id, key, {"method": "check"})) == answer(first)


@pytest.mark.parametrize(
    "key",
    [None, "", "x" * 256, "clé-accentuée", "with space"],
    ids=["none", "empty", "256", "non-ascii", "space"],
)
def test_a_payment_without_a_valid_key_is_refused(customer_factory: Any, key: str | None) -> None:
    # Given a customer's open invoice
    customer = customer_factory()
    invoice = ordered_invoice(customer, 500)

    # When it is paid without a (valid) Idempotency-Key, on both payment routes
    one = pay(customer, invoice.invoice_id, key)
    headers = {"idempotency-key": key} if key is not None else {}
    several = customer.call("POST", "/payments", {"invoice_ids": [invoice.invoice_id], **CARD}, headers)

    # Then both are refused, and nothing is charged
    assert_error(one, 400, "idempotency_key_required")
    assert_error(several, 400, "idempotency_key_required")
    assert payments_in_table(customer.customer_id) == [] and provider_charges(customer.customer_id) == {}
    assert snapshot(stored_invoice(customer.customer_id, invoice.invoice_id)) == snapshot(invoice)


def test_a_key_of_255_characters_is_accepted(customer_factory: Any) -> None:
    # Given a customer's open invoice
    customer = customer_factory()
    invoice = ordered_invoice(customer, 500)

    # When it is paid with a key of the maximum length
    response = pay(customer, invoice.invoice_id, "k" * 255)

    # Then it is paid
    assert response.status_code == 201 and answer(response)["status"] == "succeeded"


def test_keys_are_scoped_to_the_customer(customer_factory: Any) -> None:
    # Given Alice's payment made with a key
    alice, bob = customer_factory(), customer_factory()
    alices, bobs = ordered_invoice(alice, 700), ordered_invoice(bob, 700)
    key = uuid.uuid4().hex
    alices_payment = pay(alice, alices.invoice_id, key)

    # When Bob pays his own invoice with the same key
    bobs_payment = pay(bob, bobs.invoice_id, key)

    # Then Bob's payment is his own, not Alice's answer, and each was charged once
    assert alices_payment.status_code == bobs_payment.status_code == 201
    assert answer(bobs_payment)["payment_id"] != answer(alices_payment)["payment_id"]
    assert answer(bobs_payment)["invoice_ids"] == [bobs.invoice_id]
    assert len(provider_charges(alice.customer_id)) == len(provider_charges(bob.customer_id)) == 1
    assert stored_invoice(bob.customer_id, bobs.invoice_id).status == "paid"


def test_paying_several_replays_with_its_key(customer_factory: Any) -> None:
    # Given two open invoices paid together with a key
    customer = customer_factory()
    first, second = ordered_invoice(customer, 1000), ordered_invoice(customer, 2000)
    body = {"invoice_ids": [first.invoice_id, second.invoice_id], **CARD}
    key = {"idempotency-key": uuid.uuid4().hex}
    responses = [customer.call("POST", "/payments", body, key) for _ in range(3)]

    # Then the three answers are the first, and one charge of 3000 was made
    assert [response.status_code for response in responses] == [201] * 3
    assert answer(responses[1]) == answer(responses[2]) == answer(responses[0])
    charges = provider_charges(customer.customer_id)
    assert len(charges) == 1 and len(payments_in_table(customer.customer_id)) == 1
    assert payments_in_table(customer.customer_id)[0].amount_cents == 3000


def run_card_payment(customer: Any, invoice: Any, *, amount_cents: int, key: str, at: tuple[int, ...]) -> Any:
    """The payment domain function run as a request with its Idempotency-Key runs it (not a replay
    of the key's record: as when that record was lost with the first answer)."""
    from datetime import UTC, datetime

    from chalicelib import payments

    return payments.pay(
        customer.customer_id,
        [invoice.invoice_id],
        method="card",
        card_token="tok_visa",
        amount_cents=amount_cents,
        request_key=key,
        now=datetime(*at, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("first_at", "again_at"),
    [
        ((2026, 11, 23, 22, 59, 58), (2026, 11, 23, 23, 0, 3)),  # across midnight in Paris
        ((2026, 11, 23, 23, 59, 58), (2026, 11, 24, 0, 0, 3)),  # across midnight in UTC
    ],
)
def test_a_part_payment_run_again_the_next_day_with_its_key_is_the_same_payment(
    customer_factory: Any, first_at: tuple[int, ...], again_at: tuple[int, ...]
) -> None:
    # Given part of an invoice paid by card with a key late one evening, the payment recorded
    # but its answer lost with the key's record (the request is run again, not replayed)
    customer = customer_factory()
    invoice = ordered_invoice(customer, 5000)
    first = run_card_payment(customer, invoice, amount_cents=2000, key="evening-key", at=first_at)

    # When the same request runs again after midnight
    again = run_card_payment(customer, invoice, amount_cents=2000, key="evening-key", at=again_at)

    # Then it is the first payment: one payment, one charge, the invoice lowered once
    assert again.payment_id == first.payment_id and again.status == "succeeded"
    assert [payment.payment_id for payment in payments_in_table(customer.customer_id)] == [first.payment_id]
    assert len(provider_charges(customer.customer_id)) == 1
    assert stored_invoice(customer.customer_id, invoice.invoice_id).amount_due_cents == 3000


def test_a_key_run_again_with_another_payment_is_refused(customer_factory: Any) -> None:
    # Given a part payment recorded under a key
    from guichet_contracts.idempotency import IdempotencyKeyReused

    customer = customer_factory()
    invoice = ordered_invoice(customer, 5000)
    at = (2026, 11, 23, 10, 0)
    run_card_payment(customer, invoice, amount_cents=2000, key="k", at=at)

    # When the key comes back with another amount, run again (its record lost)
    with pytest.raises(IdempotencyKeyReused):
        run_card_payment(customer, invoice, amount_cents=2500, key="k", at=at)

    # Then nothing more was charged or recorded
    assert len(payments_in_table(customer.customer_id)) == 1
    assert stored_invoice(customer.customer_id, invoice.invoice_id).amount_due_cents == 3000
