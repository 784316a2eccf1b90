"""A provider's system as a machine client of the local runtime, end to end: made by the operator
command (`make operator-client`, guichet_local.operator_clients), it gets an operator token from
`POST /auth/oauth/token`, acts on the invoices' and subscriptions' operator routes (each write
logged under its client id) and is refused on customer routes; rotated, both secrets work; revoked,
none does.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from conftest import REPO, eventually
from customers import client_address, order_invoice, verified_customer

SCOPES = "invoices:write subscriptions:write"


def operator_clients(runtime: Any, *arguments: str) -> tuple[int, Any, str]:
    """`make operator-client…` against this runtime: (exit status, the JSON printed, stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "guichet_local.operator_clients", "--port", str(runtime.port), *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else None, done.stderr


def token_answer(runtime: Any, client_id: str, secret: str, **form: str) -> Any:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return runtime.post(
        "/auth/oauth/token",
        data={"grant_type": "client_credentials", **form},
        headers={"Authorization": f"Basic {basic}", "X-Forwarded-For": client_address()},
    )


def log_lines(runtime: Any, service: str) -> list[dict[str, Any]]:
    text = (Path(runtime.description["logs"]) / f"{service}.log").read_text(errors="replace")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_machine_client_acts_on_operator_routes_and_never_on_customer_routes(runtime: Any) -> None:
    # Given a customer whose mobile line waits for a cheque
    customer = verified_customer(runtime, "e2e-client", first_name="Noé", last_name="Marchal")
    order = runtime.post(
        "/subscriptions/orders",
        json={"items": [{"product_id": "mobile-50go", "label": "Ligne de Noé"}]},
        headers={**customer.auth, "Idempotency-Key": f"order-{uuid.uuid4()}"},
    )
    assert order.status_code == 201, order.text
    invoice = order_invoice(runtime, customer, order.json()["order_id"], timeout=30)
    cheque = runtime.post(
        f"/invoices/{invoice['invoice_id']}/payments",
        json={"method": "check"},
        headers={**customer.auth, "Idempotency-Key": f"pay-{uuid.uuid4()}"},
    )
    assert cheque.status_code == 201 and cheque.json()["status"] == "pending", cheque.text

    # When the provider makes a machine client with the operator command and gets a token
    status, made, said = operator_clients(runtime, "create", "--name", "Facturation", "--scopes", SCOPES)
    assert status == 0, said
    client_id, secret = made["client_id"], made["client_secret"]
    assert "shown this once" in said and made["scopes"] == ["subscriptions:write", "invoices:write"]
    answer = token_answer(runtime, client_id, secret)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    token = answer.json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}

    # Then it records the cheque received (invoices) and suspends then resumes the line (subscriptions)
    received = runtime.post(
        f"/invoices/operator/customers/{customer.customer_id}/payments/{cheque.json()['payment_id']}/received",
        headers=bearer,
    )
    assert received.status_code == 200 and received.json()["status"] == "succeeded", received.text

    def line() -> str | None:
        items = runtime.get("/subscriptions", headers=customer.auth).json()["items"]
        return next((item["subscription_id"] for item in items if item["status"] == "active"), None)

    subscription_id = eventually(line, timeout=60)
    assert subscription_id, "the paid line was not activated"
    route = f"/subscriptions/operator/customers/{customer.customer_id}/subscriptions/{subscription_id}"
    suspended = runtime.post(f"{route}/suspend", headers=bearer)
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended", suspended.text
    resumed = runtime.post(f"{route}/resume", headers=bearer)
    assert resumed.status_code == 200 and resumed.json()["status"] == "active", resumed.text

    # And each write is logged under the client's id
    assert any(
        line.get("message") == "operator recorded a payment received" and line.get("operator") == client_id
        for line in log_lines(runtime, "invoices")
    )
    logged = {
        line["message"]
        for line in log_lines(runtime, "subscriptions")
        if line.get("operator") == client_id and line.get("subscription_id") == subscription_id
    }
    assert logged == {"operator suspended a subscription", "operator resumed a subscription"}

    # But its token opens no customer route, and the customer's token no operator route
    for path in ("/invoices", "/subscriptions", "/auth/me", "/consumption/meters"):
        refused = runtime.get(path, headers=bearer)
        assert refused.status_code == 401, (path, refused.text)
    as_customer = runtime.post(f"{route}/suspend", headers=customer.auth)
    assert as_customer.status_code == 401, as_customer.text


def test_a_client_is_listed_rotated_and_revoked_by_the_operator_command(runtime: Any) -> None:
    status, made, said = operator_clients(runtime, "create", "--name", "CRM", "--scopes", "invoices:write")
    assert status == 0, said
    client_id, first = made["client_id"], made["client_secret"]

    # rotated: the new secret works, and the one before still does (24 h of grace)
    status, rotated, said = operator_clients(runtime, "rotate", client_id)
    assert status == 0, said
    second = rotated["client_secret"]
    assert second != first and [kept["expires_at"] is None for kept in rotated["secrets"]] == [False, True]
    assert token_answer(runtime, client_id, first).status_code == 200
    assert token_answer(runtime, client_id, second, scope="invoices:write").status_code == 200

    # listed, without any secret
    status, listed, said = operator_clients(runtime, "list")
    assert status == 0, said
    mine = [item for item in listed["items"] if item["client_id"] == client_id]
    assert len(mine) == 1 and mine[0]["name"] == "CRM" and mine[0]["rotated_at"]
    assert first not in json.dumps(listed) and second not in json.dumps(listed)

    # revoked: no secret works, and an unknown client is told apart from nothing
    status, _, said = operator_clients(runtime, "revoke", client_id)
    assert status == 0, said
    for secret in (first, second):
        refused = token_answer(runtime, client_id, secret)
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client", refused.text
    status, _, said = operator_clients(runtime, "rotate", "oc_" + "0" * 24)
    assert status == 2 and "no client" in said
    status, _, said = operator_clients(runtime, "create", "--name", "X", "--scopes", "root:write")
    assert status == 2 and "unknown scope root:write" in said
