"""Operator routes (docs/LIFECYCLE.md): the back office suspends or resumes a subscription by hand
with an operator token (subscriptions:write); a customer's access token is refused there, and an
operator suspension is lifted only by an operator (a payment does not)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from conftest import Customer, mails_to, order_and_pay, subscription_of
from guichet_contracts.domain_events.invoices import InvoicePaid
from guichet_local.testing import Signer, answer, assert_error, deliver


def operator_call(customer: Customer, token: str, subscription_id: str, action: str) -> Any:
    path = f"/operator/customers/{customer.customer_id}/subscriptions/{subscription_id}/{action}"
    return customer.client.http.request("POST", path, headers={"authorization": f"Bearer {token}"}, body=b"")


def test_an_operator_suspends_and_resumes_a_subscription(
    customer_factory: Any, signer: Signer, published: Any, mailbox: Any
) -> None:
    # Given an active mobile line
    customer = customer_factory()
    line = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    token = signer.operator_token("subscriptions:write")

    # When an operator suspends it
    suspended = operator_call(customer, token, line, "suspend")

    # Then it is suspended by an operator, announced and mailed
    assert suspended.status_code == 200, suspended.body
    assert answer(suspended)["status"] == "suspended"
    (event,) = published.of(customer.customer_id, "SubscriptionSuspended")
    assert (event["detail"]["data"]["reason"], event["detail"]["data"]["invoice_ids"]) == ("operator", [])
    assert len(mails_to(mailbox, customer.email, "suspendu")) == 1

    # When an invoice of it is said paid, nothing changes: only an operator lifts their suspension
    paid = InvoicePaid(
        invoice_id=f"in_20261204_{uuid.uuid4().hex[:10]}",
        number="F2026-000999",
        customer_id=customer.customer_id,
        order_id=None,
        subscription_ids=[line],
        total_cents=999,
        currency="EUR",
        paid_on=date(2026, 12, 4),
    )
    deliver(customer.client, "invoice_paid", paid)
    assert subscription_of(customer, line)["status"] == "suspended"

    # When the operator resumes it, and again
    resumed = operator_call(customer, token, line, "resume")
    again = operator_call(customer, token, line, "resume")

    # Then it runs again, announced once; a second resume is refused
    assert resumed.status_code == 200 and answer(resumed)["status"] == "active"
    assert_error(again, 409, "forbidden_transition", "status")
    assert [
        e["detail"]["data"]["reason"] for e in published.of(customer.customer_id, "SubscriptionResumed")
    ] == ["operator"]


def test_operator_routes_refuse_customer_tokens_and_tokens_without_the_scope(
    customer_factory: Any, signer: Signer
) -> None:
    # Given an active line
    customer = customer_factory()
    line = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]

    # When its own customer, and an operator allowed only invoices, try to suspend it
    as_customer = operator_call(customer, customer.token, line, "suspend")
    wrong_scope = operator_call(customer, signer.operator_token("invoices:write"), line, "suspend")

    # Then 401 and 403, and it still runs
    assert_error(as_customer, 401, "unauthenticated")
    assert_error(wrong_scope, 403, "insufficient_scope")
    assert subscription_of(customer, line)["status"] == "active"
    # and an operator token is refused on a customer route
    operator = signer.operator_token("subscriptions:write")
    answered = customer.client.http.get(f"/{line}", headers={"authorization": f"Bearer {operator}"})
    assert_error(answered, 401, "unauthenticated")


def test_an_unknown_subscription_is_a_404_for_operators_too(customer_factory: Any, signer: Signer) -> None:
    customer = customer_factory()
    token = signer.operator_token("subscriptions:write")
    assert_error(operator_call(customer, token, "0000000000000000", "suspend"), 404, "not_found")
    assert_error(operator_call(customer, token, "not%20an%20id", "suspend"), 404, "not_found")
