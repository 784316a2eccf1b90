"""Issue 3 end to end over HTTP on the local runtime: order → pay → completed → listed → renew →
reminder emails on the right dates, with the jobs run as `make job` runs them.

The invoices service does not exist yet, so the payment arrives as invoices will send it: a
PaymentSucceeded event on the runtime's EventBridge, routed to the subscriptions handler.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import date, timedelta
from typing import Any

PASSWORD = "a long and personal passphrase 2026"


def customer_token(runtime: Any) -> tuple[str, str, str]:
    email = f"e2e-sub-{uuid.uuid4().hex[:8]}@example.org"
    registered = runtime.post(
        "/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "first_name": "Ugo",
            "last_name": "Rossi",
            "language": "it",
        },
    ).json()
    link = next(mail for mail in runtime.mail() if email in mail["to"])["text"]
    token = link.split("token=", 1)[1].split()[0]
    assert runtime.post("/auth/verify-email", json={"token": token}).status_code == 200
    tokens = runtime.post("/auth/login", json={"login": email, "password": PASSWORD}).json()
    return registered["customer_id"], email, tokens["access_token"]


def wait_for(predicate: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the event to be handled")


def test_order_pay_complete_list_renew_and_remind(runtime: Any) -> None:
    customer_id, email, access = customer_token(runtime)
    auth = {"Authorization": f"Bearer {access}"}

    # the customer copy arrives through CustomerRegistered: ordering needs nothing else
    order = runtime.post(
        "/subscriptions/orders",
        json={"items": [{"product_id": "hosting-linux-100", "label": "rossi-shop"}]},
        headers={**auth, "Idempotency-Key": f"order-{uuid.uuid4()}"},
    )
    assert order.status_code == 201, order.text
    order_id = order.json()["order_id"]
    assert order.json()["status"] == "received"

    # invoices says the order's invoice is paid
    runtime.aws("events").put_events(
        Entries=[
            {
                "Source": "guichet.invoices",
                "DetailType": "PaymentSucceeded",
                "Detail": json.dumps(
                    {
                        "event_id": str(uuid.uuid4()),
                        "version": 1,
                        "occurred_at": "2026-11-23T10:00:00Z",
                        "data": {"customer_id": customer_id, "order_id": order_id, "amount_cents": 499},
                    }
                ),
            }
        ]
    )
    completed = wait_for(
        lambda: (
            (answer := runtime.get(f"/subscriptions/orders/{order_id}", headers=auth).json())["status"]
            == "completed"
            and answer
        )
    )
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
