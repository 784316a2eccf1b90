"""The order → payment → provisioning lifecycle across services, over HTTP on the local runtime
(docs/LIFECYCLE.md, "Order"): an order is provisioned only once everything it asks is there —
its invoice paid in full, and a SEPA mandate when energy is paid by monthly debits."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from conftest import eventually
from customers import Customer, order_invoice, verified_customer

GOOD_IBAN = "FR7630006000011234567890189"


def order(runtime: Any, customer: Customer, product_id: str, label: str, **options: Any) -> dict[str, Any]:
    placed = runtime.post(
        "/subscriptions/orders",
        json={"items": [{"product_id": product_id, "label": label, "options": options}]},
        headers={**customer.auth, "Idempotency-Key": f"order-{uuid.uuid4()}"},
    )
    assert placed.status_code == 201, placed.text
    return dict(placed.json())


def status_of(runtime: Any, customer: Customer, order_id: str) -> str:
    return str(runtime.get(f"/subscriptions/orders/{order_id}", headers=customer.auth).json()["status"])


def pay(runtime: Any, customer: Customer, invoice_id: str, **body: Any) -> dict[str, Any]:
    paid = runtime.post(
        f"/invoices/{invoice_id}/payments",
        json={"method": "card", "card_token": "tok_visa", **body},
        headers={**customer.auth, "Idempotency-Key": f"pay-{uuid.uuid4()}"},
    )
    assert paid.status_code == 201, paid.text
    return dict(paid.json())


def settled(runtime: Any, customer: Customer, order_id: str) -> bool:
    """Whether the order is provisioned within a few seconds (events handled in the background)."""
    return bool(eventually(lambda: status_of(runtime, customer, order_id) == "completed", timeout=10))


def test_a_partial_payment_provisions_nothing_and_the_rest_provisions_the_order(runtime: Any) -> None:
    # Given a 149 € hosting plan ordered, and its invoice
    customer = verified_customer(runtime, "e2e-partial", first_name="Paul", last_name="Girard")
    placed = order(runtime, customer, "hosting-linux-10000", "grand-site")
    invoice = order_invoice(runtime, customer, placed["order_id"])
    assert invoice["total_cents"] == 14900
    # which the order names, saying it waits for its payment
    named = eventually(
        lambda: (
            (
                found := runtime.get(
                    f"/subscriptions/orders/{placed['order_id']}", headers=customer.auth
                ).json()
            )["invoice_id"]
            and found
        )
    )
    assert named and (named["invoice_id"], named["awaiting"]) == (invoice["invoice_id"], "payment")

    # When the customer pays 1 cent of it
    assert pay(runtime, customer, invoice["invoice_id"], amount_cents=1)["status"] == "succeeded"

    # Then nothing is provisioned: the order still waits, and no subscription exists
    assert not settled(runtime, customer, placed["order_id"])
    assert runtime.get("/subscriptions", headers=customer.auth).json()["items"] == []

    # When the rest is paid
    assert pay(runtime, customer, invoice["invoice_id"])["amount_cents"] == 14899

    # Then the order is completed, with its one subscription
    assert settled(runtime, customer, placed["order_id"])
    (subscription,) = runtime.get("/subscriptions", headers=customer.auth).json()["items"]
    assert subscription["product_id"] == "hosting-linux-10000"


def test_monthly_paid_electricity_waits_for_a_mandate_and_only_then_gets_its_schedule(runtime: Any) -> None:
    # Given a customer without bank details ordering electricity paid by monthly debits
    customer = verified_customer(runtime, "e2e-monthly", first_name="Inès", last_name="Morel")
    pdl = f"{uuid.uuid4().int % 10**14:014d}"
    placed = order(
        runtime,
        customer,
        "electricity-essentielle",
        "Maison",
        pdl=pdl,
        subscribed_power_kva=6,
        tariff_option="base",
        payment_mode="monthly",
    )

    # Then nothing is invoiced upfront (energy is billed in arrears), the order says it waits for a
    # mandate: nothing provisioned, no meter, no schedule to debit
    assert placed["awaiting"] == "mandate"
    assert not settled(runtime, customer, placed["order_id"])
    assert runtime.get("/invoices", headers=customer.auth).json()["items"] == []
    assert runtime.get("/consumption/meters", headers=customer.auth).json()["items"] == []
    assert runtime.get("/invoices/schedule", headers=customer.auth).status_code == 404

    # When they give their bank details (a SEPA mandate)
    signed = runtime.request(
        "PUT",
        "/invoices/bank-account",
        json={"iban": GOOD_IBAN, "holder": "Inès Morel"},
        headers=customer.auth,
    )
    assert signed.status_code == 200, signed.text

    # Then the order is provisioned: the contract is active, its meter exists, and its schedule
    # starts the month after the contract's first day
    assert settled(runtime, customer, placed["order_id"])
    (subscription,) = runtime.get("/subscriptions", headers=customer.auth).json()["items"]
    assert subscription["status"] == "active"
    meters = eventually(lambda: runtime.get("/consumption/meters", headers=customer.auth).json()["items"])
    assert [meter["pdl"] for meter in meters] == [pdl]  # the subscription's meter, reading its PDL
    answered = eventually(
        lambda: (
            (found := runtime.get("/invoices/schedule", headers=customer.auth)).status_code == 200 and found
        ),
        timeout=10,
    )
    assert answered, "no schedule after the contract was activated"
    schedule = answered.json()
    started = date.fromisoformat(subscription["started_on"])
    first_due = date.fromisoformat(schedule["installments"][0]["due_on"])
    assert (first_due.year * 12 + first_due.month) - (started.year * 12 + started.month) == 1
    assert {item["status"] for item in schedule["installments"]} == {"scheduled"}


def test_an_unpaid_renewal_suspends_the_service_and_its_payment_brings_it_back(launch_runtime: Any) -> None:
    """Across services, over HTTP, with the daily jobs run as of the days that matter (on a runtime
    of its own: the jobs' marks move far ahead)."""
    runtime = launch_runtime("suspension", "--no-demo")
    try:
        # Given a customer's mobile line, paid, and its renewal ordered but never paid
        customer = verified_customer(runtime, "e2e-unpaid", first_name="Léo", last_name="Petit")
        placed = order(runtime, customer, "mobile-2h", "Ligne de Léo")
        pay(runtime, customer, order_invoice(runtime, customer, placed["order_id"])["invoice_id"])
        assert settled(runtime, customer, placed["order_id"])
        (line,) = runtime.get("/subscriptions", headers=customer.auth).json()["items"]
        renewal = runtime.post(
            f"/subscriptions/{line['subscription_id']}/renew",
            json={"periods": 1},
            headers={**customer.auth, "Idempotency-Key": f"renew-{uuid.uuid4()}"},
        ).json()
        invoice = order_invoice(runtime, customer, renewal["order_id"])
        due_on = date.fromisoformat(invoice["due_on"])

        # When the dunning job runs the day after its due date, then 15, 30 and 38 days late
        for late in (1, 15, 30, 38):
            done = runtime.job("invoices.mark_overdue", at=f"{due_on + timedelta(days=late)}T06:00:00Z")
            assert done.returncode == 0, done.stderr

        # Then the line is suspended, and the customer told so
        def status() -> str:
            answer = runtime.get(f"/subscriptions/{line['subscription_id']}", headers=customer.auth)
            return str(answer.json()["status"])

        def mailed(words: str) -> bool:
            return any(words in mail["subject"] for mail in runtime.mail() if customer.email in mail["to"])

        assert eventually(lambda: status() == "suspended", timeout=20), status()
        assert eventually(lambda: mailed("suspendu")), [mail["subject"] for mail in runtime.mail()][:10]

        # When the customer pays the renewal's invoice
        assert pay(runtime, customer, invoice["invoice_id"])["status"] == "succeeded"

        # Then the line runs again, renewed by one more month
        assert eventually(lambda: status() == "active", timeout=20), status()
        runtime.settle()  # the renewal's month follows the resumption
        renewed = runtime.get(f"/subscriptions/{line['subscription_id']}", headers=customer.auth).json()
        assert renewed["renews_on"] > line["renews_on"]
        assert eventually(lambda: mailed("rétabli")), [mail["subject"] for mail in runtime.mail()][:10]
    finally:
        assert runtime.stop() == 0
