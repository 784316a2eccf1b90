"""Issue 3 end to end over HTTP on the local runtime: order → its invoice paid by card → completed →
listed → renew → reminder emails on the right dates, with the jobs run as `make job` runs them.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from conftest import eventually
from customers import pay_order, verified_customer


def test_order_pay_complete_list_renew_and_remind(runtime: Any) -> None:
    customer = verified_customer(runtime, "e2e-sub", first_name="Ugo", last_name="Rossi", language="it")
    email, auth = customer.email, customer.auth

    # the customer copy arrives through CustomerRegistered: ordering needs nothing else
    order = runtime.post(
        "/subscriptions/orders",
        json={"items": [{"product_id": "hosting-linux-100", "label": "rossi-shop"}]},
        headers={**auth, "Idempotency-Key": f"order-{uuid.uuid4()}"},
    )
    assert order.status_code == 201, order.text
    order_id = order.json()["order_id"]
    assert order.json()["status"] == "received"

    # the customer pays the order's invoice: the invoices service says the order is paid
    assert pay_order(runtime, customer, order_id)["status"] == "succeeded"
    completed = eventually(
        lambda: (
            (answer := runtime.get(f"/subscriptions/orders/{order_id}", headers=auth).json())["status"]
            == "completed"
            and answer
        ),
        timeout=20,
    )
    assert completed, "timed out waiting for the event to be handled"
    assert [step["status"] for step in completed["history"]] == [
        "received",
        "paid",
        "provisioning",
        "completed",
    ]

    listed = runtime.get("/subscriptions", headers=auth, params={"family": "hosting"}).json()["items"]
    assert len(listed) == 1 and listed[0]["label"] == "rossi-shop"
    subscription = listed[0]
    assert subscription["status"] == "to_configure"
    configured = runtime.request(
        "PUT",
        f"/subscriptions/{subscription['subscription_id']}/settings",
        json={"database_name": "rossi_shop", "php_version": "8.3"},
        headers=auth,
    )
    assert configured.status_code == 200 and configured.json()["status"] == "active"

    renewal = runtime.post(
        f"/subscriptions/{subscription['subscription_id']}/renew",
        json={"periods": 1},
        headers={**auth, "Idempotency-Key": f"renew-{uuid.uuid4()}"},
    )
    assert renewal.status_code == 201 and renewal.json()["kind"] == "renewal"

    # a monthly plan renews by itself (one 7-day notice); the customer turns that off and renews by hand
    manual = runtime.request(
        "PATCH", f"/subscriptions/{subscription['subscription_id']}", json={"auto_renew": False}, headers=auth
    )
    assert manual.status_code == 200 and manual.json()["auto_renew"] is False

    # reminders: 30, 7 and 1 days before renews_on, each once, in the customer's language (it)
    renews_on = date.fromisoformat(subscription["renews_on"])
    reminders = lambda: [  # noqa: E731
        mail
        for mail in runtime.mail()
        if email in mail["to"] and "rossi-shop" in mail["text"] and "/subscription?id=" in mail["text"]
    ]
    for days_before, expected in ((30, 1), (30, 1), (7, 2), (1, 3), (1, 3)):
        at = f"{renews_on - timedelta(days=days_before)}T06:00:00Z"
        run = runtime.job("subscriptions.send_renewal_reminders", at=at)
        assert run.returncode == 0, run.stdout + run.stderr
        assert len(reminders()) == expected, (days_before, [mail["subject"] for mail in reminders()])
    assert all("Gentile Ugo" in mail["text"] for mail in reminders())
