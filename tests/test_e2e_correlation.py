"""One request's correlation id in the logs of every handler it caused, across services, over the
local runtime (README, "Operating Guichet"): each worker's stdout, Powertools' JSON lines and the
EMF documents, is its log file under the runtime's state directory (`logs` in its description).

Paying an order's invoice (invoices' API) says the invoice paid (subscriptions' invoice_paid) and
the order paid (subscriptions' order_paid), which provisions the subscription, whose activation
invoices (subscription_activated: a monthly payer's schedule) and consumption (its meters) both
handle: four services' worth of handlers, all under the id the payment request gave.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from conftest import eventually
from customers import order_invoice, place_order, verified_customer

SERVICES = ("auth", "subscriptions", "invoices", "consumption")
# the handlers the payment causes (docs/LIFECYCLE.md, "Order"), by service; "api_handler" is the
# HTTP function (Chalice's name for it)
CAUSED_BY_PAYMENT = {
    # the auth service's handlers take the events a provider may want as webhooks
    # (PaymentSucceeded, OrderPaid; SubscriptionActivated, OrderCompleted), and keep what a closure
    # of the account must wait for (closure.py: the contract running, the invoice paid)
    "auth": {
        "webhooks_from_invoices",
        "webhooks_from_subscriptions",
        "contract_standing",
        "invoice_standing",
    },
    "invoices": {"api_handler", "subscription_activated"},
    "subscriptions": {"invoice_paid", "order_paid"},
    "consumption": {"subscription_activated"},
}


def log_lines(runtime: Any, service: str) -> list[dict[str, Any]]:
    """The structured lines of a service's worker log (a line being written is skipped)."""
    lines = []
    path = Path(runtime.description["logs"]) / f"{service}.log"
    for raw in path.read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue
    return lines


def handlers_under(runtime: Any, correlation_id: str) -> dict[str, set[str]]:
    """Which handlers of which service logged under `correlation_id` (by the local function name,
    `guichet-<service>-local-<handler>`, or Chalice's `api_handler`)."""
    found: dict[str, set[str]] = defaultdict(set)
    for service in SERVICES:
        for line in log_lines(runtime, service):
            if line.get("correlation_id") == correlation_id:
                found[service].add(str(line.get("function_name", "?")).rpartition("-local-")[2])
    return dict(found)


def test_a_payment_s_correlation_id_is_in_the_logs_of_every_handler_it_caused(runtime: Any) -> None:
    # Given an order placed under a correlation id of its own, and its invoice
    customer = verified_customer(runtime, "e2e-correlation", first_name="Inès", last_name="Morel")
    ordering, paying = f"order-{uuid.uuid4()}", f"pay-{uuid.uuid4()}"
    order = runtime.post(
        "/subscriptions/orders",
        json={"items": [{"product_id": "hosting-linux-10000", "label": "suivi"}]},
        headers={**customer.auth, "Idempotency-Key": f"order-{uuid.uuid4()}", "X-Correlation-Id": ordering},
    )
    assert order.status_code == 201, order.text
    assert order.headers["X-Correlation-Id"] == ordering
    invoice = order_invoice(runtime, customer, order.json()["order_id"])

    # When the customer pays it, the request carrying a correlation id
    paid = runtime.post(
        f"/invoices/{invoice['invoice_id']}/payments",
        json={"method": "card", "card_token": "tok_visa"},
        headers={**customer.auth, "Idempotency-Key": f"pay-{uuid.uuid4()}", "X-Correlation-Id": paying},
    )
    assert paid.status_code == 201, paid.text
    assert eventually(
        lambda: runtime.get("/subscriptions", headers=customer.auth).json()["items"], timeout=20
    ), "the order was never provisioned"
    runtime.settle()

    # Then every handler the payment caused, in every service it reached, logged under its id
    under_payment = eventually(
        lambda: (found := handlers_under(runtime, paying)) == CAUSED_BY_PAYMENT and found, timeout=10
    )
    assert under_payment == CAUSED_BY_PAYMENT, handlers_under(runtime, paying)
    # each with the Lambda context of its invocation
    for service in CAUSED_BY_PAYMENT:
        for line in log_lines(runtime, service):
            if line.get("correlation_id") == paying:
                assert line["function_request_id"] and "cold_start" in line, line
    # and the order's own work (the invoice it caused) under the order's id, apart
    under_order = handlers_under(runtime, ordering)
    assert under_order["subscriptions"] >= {"api_handler", "invoice_issued"}
    assert under_order["invoices"] >= {"order_placed"}
    # the auth service's only work for either: taking the events a provider may want as webhooks,
    # and the invoice due, which a closure of the account waits for
    assert under_order["auth"] == {
        "webhooks_from_subscriptions",
        "webhooks_from_invoices",
        "invoice_standing",
    }


def test_business_signals_reach_the_worker_logs_as_emf(runtime: Any) -> None:
    """What CloudWatch reads from a function's log on AWS: the signals of the order and payment."""
    from guichet_contracts import observability

    customer = verified_customer(runtime, "e2e-signals", first_name="Léa", last_name="Roux")
    before = {service: observability.emitted(_raw(runtime, service)) for service in SERVICES}
    placed = place_order(runtime, customer, {"product_id": "hosting-linux-10000", "label": "emf"})
    invoice = order_invoice(runtime, customer, placed["order_id"])
    declined = runtime.post(
        f"/invoices/{invoice['invoice_id']}/payments",
        json={"method": "card", "card_token": "tok_chargeDeclined"},
        headers={**customer.auth, "Idempotency-Key": f"pay-{uuid.uuid4()}"},
    )
    assert declined.status_code in (201, 402), declined.text
    accepted = runtime.post(
        f"/invoices/{invoice['invoice_id']}/payments",
        json={"method": "card", "card_token": "tok_visa"},
        headers={**customer.auth, "Idempotency-Key": f"pay-{uuid.uuid4()}"},
    )
    assert accepted.status_code == 201, accepted.text
    runtime.settle()

    after = {service: observability.emitted(_raw(runtime, service)) for service in SERVICES}
    assert after["subscriptions"]["OrdersPlaced"] - before["subscriptions"]["OrdersPlaced"] == 1
    assert after["invoices"]["InvoicesIssued"] - before["invoices"]["InvoicesIssued"] == 1
    assert after["invoices"]["PaymentsFailed"] - before["invoices"]["PaymentsFailed"] == 1
    assert after["invoices"]["PaymentsSucceeded"] - before["invoices"]["PaymentsSucceeded"] == 1


def test_a_scheduled_job_runs_under_a_new_correlation_id_each_time(runtime: Any) -> None:
    # When the auth job is fired twice (`make job`)
    for _ in range(2):
        fired = runtime.job("auth.apply_pending_email_changes", at="2026-11-22T09:30:00Z")
        assert fired.returncode == 0, fired.stderr

    # Then each run logged, with its Lambda context, that it started an id of its own
    started = [
        line
        for line in log_lines(runtime, "auth")
        if line["message"] == "event received, new correlation id"
        and line.get("function_name") == "guichet-auth-local-apply_pending_email_changes"
    ]
    assert len(started) >= 2
    assert started[-1]["correlation_id"] != started[-2]["correlation_id"]
    assert started[-1]["detail_type"] == "Scheduled Event"


def _raw(runtime: Any, service: str) -> list[str]:
    return (Path(runtime.description["logs"]) / f"{service}.log").read_text(errors="replace").splitlines()
