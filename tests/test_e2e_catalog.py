"""The catalog as operator data, end to end over HTTP on the local runtime (issue 12): the
provider's system puts a catalog where a mobile plan costs more (`PUT
/subscriptions/operator/catalog`, scope catalog:write); a new order is invoiced at the new price
at once, while a customer's running line is told a month ahead and invoiced at its old price at
the renewal that comes sooner, then at the new one. catalog.json's own document is put back at
the end (the runtime is the session's).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from conftest import REPO, eventually
from customers import order_invoice, pay_order, place_order, verified_customer

FILE = json.loads((REPO / "services/subscriptions/chalicelib/catalog.json").read_text(encoding="utf-8"))
PLAN = "mobile-150go-5g"  # 15.99 € a month in catalog.json, renewed by itself
NOÉMIE = {
    "first_name": "Noémie",
    "last_name": "Garnier",
    "address": {"line1": "8 rue des Tanneurs", "postal_code": "67000", "city": "Strasbourg", "country": "FR"},
}


@pytest.fixture
def operator(runtime: Any) -> Iterator[dict[str, str]]:
    """The provider's catalog client; catalog.json's document is put back after the test."""
    from guichet_local.operator_token import local_token

    headers = {"Authorization": f"Bearer {local_token(runtime.port, ['catalog:write'], operator='pim-sync')}"}
    yield headers
    restored = runtime.request("PUT", "/subscriptions/operator/catalog", json=FILE, headers=headers)
    assert restored.status_code in (200, 201), restored.text


def priced(cents: int) -> dict[str, Any]:
    document = copy.deepcopy(FILE)
    for product in document["products"]:
        if product["product_id"] == PLAN:
            product["price_cents"] = cents
    return document


def renewal_invoice(runtime: Any, customer: Any, known: set[str]) -> dict[str, Any]:
    """The invoice of the renewal order the daily job placed, one not in `known`."""

    def placed() -> dict[str, Any] | None:
        orders = runtime.get("/subscriptions/orders", headers=customer.auth).json()["items"]
        return next((o for o in orders if o["kind"] == "renewal" and o["order_id"] not in known), None)

    order = eventually(placed, timeout=30)
    assert order, "no renewal order was placed"
    known.add(order["order_id"])
    return order_invoice(runtime, customer, order["order_id"])


def test_a_price_change_reaches_new_orders_at_once_and_a_running_line_at_the_renewal_a_month_after_its_notice(
    runtime: Any, operator: dict[str, str]
) -> None:
    # Given a customer whose mobile line (15.99 € a month) is paid and running
    customer = verified_customer(runtime, "e2e-catalog", **NOÉMIE)
    first = place_order(runtime, customer, {"product_id": PLAN, "label": "Noémie"})
    pay_order(runtime, customer, first["order_id"])
    runtime.settle()
    (line,) = [
        s
        for s in runtime.get("/subscriptions", headers=customer.auth).json()["items"]
        if s["product_id"] == PLAN
    ]
    renews_on = date.fromisoformat(line["renews_on"])

    # When the provider puts a catalog where the plan costs 17.99 €
    put = runtime.request("PUT", "/subscriptions/operator/catalog", json=priced(1799), headers=operator)
    assert put.status_code == 201, put.text
    assert put.json()["changed"] == [PLAN] and put.json()["client_id"] == "pim-sync"

    # Then a new order is invoiced at 17.99 € at once, and the running line still costs 15.99 €
    second = place_order(runtime, customer, {"product_id": PLAN, "label": "Deuxième"})
    assert order_invoice(runtime, customer, second["order_id"])["total_cents"] == 1799
    assert (
        runtime.get(f"/subscriptions/{line['subscription_id']}", headers=customer.auth).json()["price_cents"]
        == 1599
    )

    # When the daily job runs 10 days before the line's renewal: the customer is told
    ten_days_before = renews_on - timedelta(days=10)
    noticed = runtime.job("subscriptions.send_renewal_reminders", at=f"{ten_days_before}T05:00:00Z")
    assert noticed.returncode == 0, noticed.stdout + noticed.stderr
    notices = [
        mail for mail in runtime.mail() if customer.email in mail["to"] and "Nouveau prix" in mail["subject"]
    ]
    assert len(notices) == 1 and customer.customer_id in notices[0]["text"], [m["subject"] for m in notices]

    # and the line renews (less than a month after the notice), then renews again
    known: set[str] = set()
    invoices = []
    for _ in range(2):
        current = runtime.get(f"/subscriptions/{line['subscription_id']}", headers=customer.auth).json()
        run = runtime.job("subscriptions.expire_and_renew", at=f"{current['renews_on']}T00:30:00Z")
        assert run.returncode == 0, run.stdout + run.stderr
        invoice = renewal_invoice(runtime, customer, known)
        invoices.append(invoice["total_cents"])
        paid = runtime.post(
            f"/invoices/{invoice['invoice_id']}/payments",
            json={"method": "card", "card_token": "tok_visa"},
            headers={**customer.auth, "Idempotency-Key": f"renewal-{invoice['invoice_id']}"},
        )
        assert paid.status_code == 201, paid.text
        runtime.settle()

    # Then the first renewal is invoiced at the old price, the second at the new one
    assert invoices == [1599, 1799]
    after = runtime.get(f"/subscriptions/{line['subscription_id']}", headers=customer.auth).json()
    assert after["price_cents"] == 1799 and after["renews_on"] > current["renews_on"]


def test_the_operator_catalog_refuses_a_customer_token(runtime: Any) -> None:
    customer = verified_customer(runtime, "e2e-catalog-refused", **NOÉMIE)
    refused = runtime.request("PUT", "/subscriptions/operator/catalog", json=priced(1), headers=customer.auth)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
