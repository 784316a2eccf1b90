"""Subscriptions service benchmarks (issue 3).

1. Cold import of the app ÷ `python -c 'import boto3'` (goal ≤ 1.3), fresh interpreters, alternated.
2. DynamoDB requests per route (goal: 1 for a single-item read, ≤ 2 for the dashboard), counted
   at PynamoDB's connection on moto, on a warm container.
3. Items the reminder job reads with 10,000 and with 100,000 subscriptions of which 10 are due
   (goal: equal): the job reads the renewal days it covers through the `renewals` index.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from harness import (
    ROOT,
    DynamoCalls,
    cold_import_ratio,
    deployed_on_moto,
    requests_made,
    service_environment,
)

SERVICE = ROOT / "services" / "subscriptions"
RESOURCES = {
    "SUBSCRIPTIONS_TABLE_NAME": "bench-subscriptions",
    "SUBSCRIPTIONS_DOCUMENTS_BUCKET": "bench-documents-123456789012",
}


def in_process() -> None:
    import logging

    logging.disable(logging.WARNING)
    os.environ.update(service_environment(SERVICE, **RESOURCES))
    sys.path.insert(0, str(SERVICE))
    sys.path.insert(0, str(SERVICE / "tests"))
    # the service's test fixtures set the test stack's names in the environment: deploy that stack
    from conftest import STACK

    with deployed_on_moto(SERVICE, STACK) as signer:
        requests_per_route(signer)
        reminder_reads()


def requests_per_route(signer) -> None:  # type: ignore[no-untyped-def]
    from app import app
    from chalice.test import Client
    from conftest import deliver
    from guichet_contracts.domain_events.invoices import OrderPaid
    from guichet_local.testing import a_customer

    client = Client(app, stage_name="local", project_dir=str(SERVICE))
    customer_id = "bm000001-GU"
    deliver(client, "customer_changed", a_customer(customer_id, "bench@example.org"))
    headers = {"authorization": f"Bearer {signer.token(customer_id)}", "content-type": "application/json"}
    for product, label in (
        ("hosting-linux-100", "site"),
        ("mobile-50go", "ligne"),
        ("website-site-basic", "vitrine"),
    ):
        order = json.loads(
            client.http.post(
                "/orders",
                headers={**headers, "idempotency-key": str(uuid.uuid4())},
                body=json.dumps({"items": [{"product_id": product, "label": label}]}),
            ).body
        )
        deliver(
            client,
            "order_paid",
            OrderPaid(
                order_id=order["order_id"],
                customer_id=customer_id,
                invoice_id=None,
                amount_paid_cents=int(order["total_cents"]),
                currency="EUR",
                settled_by="payment",
            ),
        )
    subscriptions = json.loads(client.http.get("/", headers=headers).body)["items"]
    subscription_id = subscriptions[0]["subscription_id"]
    client.http.get("/dashboard", headers=headers)  # warm
    calls = DynamoCalls()
    for name, path in (
        ("GET /subscriptions/{id}", f"/{subscription_id}"),
        ("GET /subscriptions/orders/{id}", f"/orders/{order['order_id']}"),
        ("GET /subscriptions/dashboard", "/dashboard"),
        ("GET /subscriptions (list)", "/"),
    ):
        answer, counted = calls.during(lambda path=path: client.http.get(path, headers=headers))
        assert answer.status_code == 200, (path, answer.body)
        print(f"DynamoDB requests, {name}: {requests_made(counted)}")


def reminder_reads() -> None:
    from chalicelib import renewals
    from chalicelib.models import Customer, Subscription, customer_pk
    from chalicelib.subscriptions import renewal_keys

    now = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    today = renewals.local_day(now)

    def subscription(index: int, renews_in_days: int) -> Subscription:
        customer_id = f"bn{index % 1000:06d}-GU"
        renews_on = (today + timedelta(days=renews_in_days)).isoformat()
        renews_pk, renews_sk = renewal_keys(f"s{index}", customer_id, renews_on, "active")
        return Subscription(
            customer_pk(customer_id),
            f"SUB#s{index}",
            subscription_id=f"s{index}",
            customer_id=customer_id,
            dossier_number=f"H{index:08d}",
            product_id="hosting-linux-100",
            family="hosting",
            name="Pack hébergement Linux 100 Mo",
            label=f"site {index}",
            status="active",
            renews_on=renews_on,
            auto_renew=False,
            price_cents=499,
            currency="EUR",
            billing_period="month",
            contract={"contract_number": f"C{index}", "payment_mode": "per_invoice"},
            search_text=f"site {index}",
            created_at=now,
            updated_at=now,
            renews_pk=renews_pk,
            renews_sk=renews_sk,
        )

    with Customer.batch_write() as batch:
        for index in range(1000):
            batch.save(
                Customer(
                    customer_pk(f"bn{index:06d}-GU"),
                    "PROFILE",
                    customer_id=f"bn{index:06d}-GU",
                    email=f"bn{index}@example.org",
                    first_name="B",
                    last_name="N",
                    language="fr",
                    version="1",
                )
            )
    written = 0
    results = []
    for total in (10_000, 100_000):
        started = time.perf_counter()
        with Subscription.batch_write() as batch:
            while written < total:
                # 10 of them renew in 7 days (due); the others in 40 to 400 days (not due today)
                days = 7 if written < 10 else 40 + written % 360
                batch.save(subscription(written, days))
                written += 1
        loaded = time.perf_counter() - started
        renewals.JobRun(
            "JOB#renewal_reminders", "JOB", covered_until=(today - timedelta(days=1)).isoformat()
        ).save()
        for index in range(10):
            renewals.ReminderSent(
                f"REMINDER#s{index}", f"{(today + timedelta(days=7)).isoformat()}#7"
            ).delete()
        items = ItemsRead()
        sent = renewals.send_reminders(now)
        results.append((total, items.count, sent))
        items.stop()
        print(
            f"reminder job with {total:,} subscriptions ({loaded:.0f} s to load): "
            f"{items.count} items read, {sent} mails"
        )
    ratio = results[1][1] / results[0][1] if results[0][1] else float("nan")
    print(f"reminder job items read, 100,000 ÷ 10,000 subscriptions: {ratio:.2f} (goal 1.00)")


class ItemsRead:
    """Counts the items DynamoDB returns to Query/Scan/GetItem through PynamoDB."""

    def __init__(self) -> None:
        from pynamodb.connection.base import Connection

        self.count = 0
        self._original = Connection._make_api_call
        original = self._original

        def counting(connection, operation_name, operation_kwargs, *args, **kwargs):  # type: ignore[no-untyped-def]
            answer = original(connection, operation_name, operation_kwargs, *args, **kwargs)
            if operation_name in ("Query", "Scan"):
                self.count += int(answer.get("Count", 0))
            elif operation_name == "GetItem" and answer.get("Item"):
                self.count += 1
            return answer

        Connection._make_api_call = counting  # type: ignore[method-assign]

    def stop(self) -> None:
        from pynamodb.connection.base import Connection

        Connection._make_api_call = self._original  # type: ignore[method-assign]


if __name__ == "__main__":
    cold_import_ratio(SERVICE, service_environment(SERVICE, **RESOURCES), "subscriptions app")
    in_process()
