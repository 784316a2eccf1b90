"""The README's "A provider's quickstart", command by command, on the local runtime: a machine
client made by `make operator-client`, its OAuth token, the catalog read and put back, a webhook
endpoint on the runtime's own receiver, a customers file made by `guichet_local.sample_customers`
imported, each customer's activation mail in the local mailbox with the customer id, each
`customer.registered` event delivered, signed, to the receiver (200 customers here, the README
says 1,000: the same commands; bench/customer_import_bench.py measures 10,000), and invoices of
the provider's billing for three of them, a JSON Lines file, then a PDF and its mail."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from typing import Any

from conftest import REPO, eventually
from customers import provider_invoice

COUNT = 200


def test_the_providers_quickstart_holds(runtime: Any) -> None:
    from guichet_local.sample_customers import csv_text

    # make operator-client NAME="Mon SI" SCOPES="customers:write catalog:write webhooks:manage invoices:write"
    made = subprocess.run(
        [
            *(sys.executable, "-m", "guichet_local.operator_clients", "--port", str(runtime.port), "create"),
            *("--name", "Mon SI", "--scopes", "customers:write catalog:write webhooks:manage invoices:write"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    client = json.loads(made.stdout)
    # TOKEN=$(curl -s -u "<client_id>:<client_secret>" -d grant_type=client_credentials .../oauth/token)
    issued = runtime.post(
        "/auth/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert issued.status_code == 200, issued.text
    auth = {"Authorization": f"Bearer {issued.json()['access_token']}"}

    # the catalog: read, put back (the same document: nothing changes for the other tests)
    current = runtime.get("/subscriptions/operator/catalog", headers=auth)
    assert current.status_code == 200, current.text
    put = runtime.request(
        "PUT", "/subscriptions/operator/catalog", json=current.json()["document"], headers=auth
    )
    assert put.status_code in (200, 201), put.text

    # a webhook endpoint on the runtime's receiver, for the customers the import registers
    inbox = f"quickstart-{uuid.uuid4().hex[:8]}"
    endpoint = runtime.post(
        "/auth/operator/webhooks/endpoints",
        json={"url": f"{runtime.url}/_local/webhooks/{inbox}", "event_types": ["customer.registered"]},
        headers=auth,
    )
    assert endpoint.status_code == 201, endpoint.text
    secret = endpoint.json()["secret"]

    # python -m guichet_local.sample_customers 1000 > customers.csv; POST it
    prefix = f"qs{uuid.uuid4().hex[:6]}"
    submitted = runtime.post(
        "/auth/operator/customers/imports",
        data=csv_text(COUNT, prefix).encode(),
        headers={**auth, "Content-Type": "text/csv"},
    )
    assert submitted.status_code == 202, submitted.text
    import_id = submitted.json()["import_id"]
    assert runtime.job("auth.apply_customer_imports").returncode == 0

    def report() -> Any:
        answer = runtime.get(f"/auth/operator/customers/imports/{import_id}?limit=100", headers=auth).json()
        return answer if answer["status"] == "done" else None

    done = eventually(report, timeout=120)
    assert done is not None, "the import did not finish"
    assert (done["rows"], done["created"], done["rejected"], done["invitations_sent"]) == (
        COUNT,
        COUNT,
        0,
        COUNT,
    )

    # the activation mails, in the local mailbox, each with its customer id
    ids = {line["external_id"]: line["customer_id"] for line in done["items"]}
    invited = [mail for mail in runtime.mail() if prefix in str(mail["to"])]
    assert len(invited) == COUNT
    for external_id, customer_id in ids.items():
        (mail,) = [mail for mail in invited if f"{external_id}@example.org" in str(mail["to"])]
        assert customer_id in mail["text"]

    # the deliveries, signed as docs/WEBHOOKS.md says, one per customer
    def delivered() -> list[dict[str, Any]] | None:
        items = [
            item for item in runtime.get("/_local/webhooks.json").json()["items"] if item["name"] == inbox
        ]
        return items if len(items) >= COUNT else None

    received = eventually(delivered, timeout=120)
    assert received is not None, "the webhook deliveries did not all arrive"
    assert {item["body"]["data"]["customer_id"] for item in received} >= set(ids.values())
    for item in received[:5]:  # the signature itself: tests/test_e2e_webhooks.py, from the documentation
        assert item["body"]["type"] == "customer.registered"
        assert (
            item["headers"]["Guichet-Signature"].startswith("t=")
            and ",v1=" in item["headers"]["Guichet-Signature"]
        )
    assert secret.startswith("whsec_")
    log = runtime.get(
        f"/auth/operator/webhooks/endpoints/{endpoint.json()['endpoint_id']}/deliveries", headers=auth
    )
    assert log.status_code == 200 and {item["status"] for item in log.json()["items"]} == {"succeeded"}

    # 5. their invoices: the first three customers of the report, one line each (jq in the README)
    first = runtime.get(f"/auth/operator/customers/imports/{import_id}?limit=3", headers=auth).json()["items"]
    lines = [
        {
            "customer_id": line["customer_id"],
            "external_id": f"INV-{line['external_id']}",
            **provider_invoice(f"FA-{line['external_id']}"),
        }
        for line in first
    ]
    runtime.settle()  # CustomerRegistered reached the invoices service
    invoices = runtime.post(
        "/invoices/operator/provider-invoices/imports",
        data="".join(json.dumps(line) + "\n" for line in lines).encode(),
        headers={**auth, "Content-Type": "application/jsonl"},
    )
    assert invoices.status_code == 202, invoices.text
    assert runtime.job("invoices.apply_invoice_imports").returncode == 0

    def invoices_report() -> Any:
        path = f"/invoices/operator/provider-invoices/imports/{invoices.json()['import_id']}"
        answer = runtime.get(path, headers=auth).json()
        return answer if answer["status"] == "done" else None

    applied = eventually(invoices_report, timeout=60)
    assert applied is not None, "the invoices import did not finish"
    assert (applied["created"], [item["awaiting_pdf"] for item in applied["items"]]) == (3, [True] * 3), (
        applied
    )
    # one PDF, and its "new invoice" mail
    one = lines[0]
    stored = runtime.request(
        "PUT",
        f"/invoices/operator/customers/{one['customer_id']}/provider-invoices/{one['external_id']}/pdf",
        data=b"%PDF-1.7\n% the provider's invoice\n%%EOF\n",
        headers={**auth, "Content-Type": "application/pdf"},
    )
    assert stored.status_code == 201, stored.text
    assert eventually(
        lambda: [mail for mail in runtime.mail() if one["number"] in mail["subject"]], timeout=30
    )
