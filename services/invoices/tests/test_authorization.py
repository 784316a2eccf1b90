"""Object-level authorization: a customer reaching for another customer's invoice gets the 404 of
a missing one (API.md "Auth"), and nothing is made, charged, linked or changed on the way."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import (
    ordered_invoice,
    pay_key,
    payments_in_table,
    pdf_objects,
    provider_charges,
    snapshot,
    stored_invoice,
)
from guichet_local.testing import answer, assert_error

MISSING = "in_20260101_00000000ff"


@pytest.fixture
def alice_and_bob(customer_factory: Any) -> Any:
    """Alice, with an open invoice of her own, and Bob, with his (whose PDF is stored)."""
    alice, bob = customer_factory(), customer_factory()
    return alice, ordered_invoice(alice, 1500), bob, ordered_invoice(bob, 2500)


def nothing_changed(alice: Any, alices: Any, bob: Any, bobs: Any, bobs_pdfs: dict[str, Any]) -> None:
    assert payments_in_table(alice.customer_id) == [] and payments_in_table(bob.customer_id) == []
    assert provider_charges(alice.customer_id) == {} and provider_charges(bob.customer_id) == {}
    assert snapshot(stored_invoice(bob.customer_id, bobs.invoice_id)) == snapshot(bobs)
    assert snapshot(stored_invoice(alice.customer_id, alices.invoice_id)) == snapshot(alices)
    assert pdf_objects(bob.customer_id) == bobs_pdfs
    assert list(pdf_objects(alice.customer_id)) == [alices.pdf_key]


@pytest.mark.parametrize(
    ("method", "suffix", "body", "headers"),
    [
        ("GET", "", None, {}),
        ("GET", "/pdf", None, {}),
        ("POST", "/duplicate", None, {}),
        ("POST", "/payments", {"method": "card", "card_token": "tok_visa"}, pay_key()),
        ("POST", "/payments", {"method": "check"}, pay_key()),
    ],
    ids=["get", "pdf", "duplicate", "pay-card", "pay-check"],
)
def test_another_customers_invoice_is_not_found_and_nothing_happens(
    alice_and_bob: Any, method: str, suffix: str, body: Any, headers: dict[str, str]
) -> None:
    # Given Alice and Bob, each with an invoice, and Bob's PDF stored
    alice, alices, bob, bobs = alice_and_bob
    bobs_pdfs = pdf_objects(bob.customer_id)
    assert list(bobs_pdfs) == [bobs.pdf_key]

    # When Alice calls the route on Bob's invoice, and on an invoice that does not exist
    foreign = alice.call(method, f"/{bobs.invoice_id}{suffix}", body, headers)
    missing = alice.call(
        method, f"/{MISSING}{suffix}", body, {key: value + "-2" for key, value in headers.items()}
    )

    # Then both are the same 404 error body, with no link in it
    assert_error(foreign, 404, "not_found")
    assert answer(foreign) == answer(missing)
    assert "url" not in foreign.body.decode()
    # and nothing was paid, charged, stamped, stored or changed
    nothing_changed(alice, alices, bob, bobs, bobs_pdfs)
    from chalicelib.models import Stamp

    assert list(Stamp.query(f"STAMP#duplicate#{bobs.invoice_id}")) == []
    # Bob still sees his invoice as it was
    assert answer(bob.call("GET", f"/{bobs.invoice_id}"))["amount_due_cents"] == 2500


@pytest.mark.parametrize("with_own", [False, True], ids=["only-bobs", "alices-and-bobs"])
def test_paying_several_with_another_customers_invoice_is_not_found_and_nothing_happens(
    alice_and_bob: Any, with_own: bool
) -> None:
    # Given Alice and Bob, each with an open invoice
    alice, alices, bob, bobs = alice_and_bob
    bobs_pdfs = pdf_objects(bob.customer_id)
    ids = [alices.invoice_id, bobs.invoice_id] if with_own else [bobs.invoice_id]
    key = pay_key()

    # When Alice pays a list of invoices holding Bob's
    response = alice.call(
        "POST", "/payments", {"invoice_ids": ids, "method": "card", "card_token": "tok_visa"}, key
    )

    # Then 404, and nothing was paid, charged or changed, her own invoice included
    assert_error(response, 404, "not_found")
    nothing_changed(alice, alices, bob, bobs, bobs_pdfs)
    # and the key was not spent: it serves for another body afterwards
    retry = alice.call(
        "POST",
        "/payments",
        {"invoice_ids": [alices.invoice_id], "method": "card", "card_token": "tok_visa"},
        key,
    )
    assert retry.status_code == 201, retry.body
    assert answer(retry)["status"] == "succeeded"
    assert snapshot(stored_invoice(bob.customer_id, bobs.invoice_id)) == snapshot(bobs)


def test_a_customer_sees_only_their_own_invoices_in_the_list(alice_and_bob: Any) -> None:
    # Given Alice and Bob, each with an invoice
    alice, alices, bob, bobs = alice_and_bob

    # When each lists their invoices
    alices_list = answer(alice.call("GET", "/"))["items"]
    bobs_list = answer(bob.call("GET", "/"))["items"]

    # Then each sees their own only
    assert [item["invoice_id"] for item in alices_list] == [alices.invoice_id]
    assert [item["invoice_id"] for item in bobs_list] == [bobs.invoice_id]


def test_another_customers_cursor_is_refused(customer_factory: Any) -> None:
    # Given Bob with three invoices, and the cursor of his first page
    alice, bob = customer_factory(), customer_factory()
    for price in (100, 200, 300):
        ordered_invoice(bob, price)
    cursor = answer(bob.call("GET", "/?limit=1"))["next_cursor"]
    assert cursor

    # When Alice sends Bob's cursor
    response = alice.call("GET", f"/?limit=1&cursor={cursor}")

    # Then it is refused, naming the cursor (and nothing of Bob's leaks)
    assert_error(response, 422, "validation_failed", "cursor")
    assert bob.customer_id not in response.body.decode()
