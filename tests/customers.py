"""Customers of the local runtime for the end-to-end and browser tests, made over HTTP.

    customer = verified_customer(runtime, "e2e-inv", first_name="Camille", last_name="Durand")
    customer.customer_id, customer.email, customer.tokens, customer.auth (the Authorization header)
    open_session(page, runtime, customer)   the portal in a browser page, logged in as the customer
    payment_succeeded(runtime, customer_id, order_id, amount_cents)   as the invoices service says it

How a person registers and logs in, step by step, is what test_e2e_auth and test_browser_portal
test; the others start from a customer made here.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

PASSWORD = "a long and personal passphrase 2026"


@dataclass(frozen=True)
class Customer:
    customer_id: str
    email: str
    tokens: dict[str, Any]  # the answer of POST /auth/login

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}


def verified_customer(runtime: Any, email_prefix: str, **profile: Any) -> Customer:
    """Register with `profile` (names, address, language...), open the link mailed to verify, log in."""
    email = f"{email_prefix}-{uuid.uuid4().hex[:8]}@example.org"
    registered = runtime.post("/auth/register", json={"email": email, "password": PASSWORD, **profile})
    assert registered.status_code == 201, registered.text
    mail = next(mail for mail in runtime.mail() if email in mail["to"])
    token = re.search(r"verify-email\?token=(\S+)", mail["text"]).group(1)  # type: ignore[union-attr]
    assert runtime.post("/auth/verify-email", json={"token": token}).status_code == 200
    tokens = runtime.post("/auth/login", json={"login": email, "password": PASSWORD}).json()
    return Customer(registered.json()["customer_id"], email, tokens)


def open_session(page: Any, runtime: Any, customer: Customer) -> None:
    """Give the portal in `page` the customer's tokens, where it keeps them after a login."""
    page.goto(f"{runtime.url}/login")
    page.evaluate(
        "([access, refresh]) => { sessionStorage.setItem('guichet.access', access);"
        " sessionStorage.setItem('guichet.refresh', refresh); }",
        [customer.tokens["access_token"], customer.tokens["refresh_token"]],
    )


def payment_succeeded(runtime: Any, customer_id: str, order_id: str, amount_cents: int) -> dict[str, Any]:
    """Put the event the invoices service sends once an order's invoice is paid; put_events' answer."""
    detail = {
        "event_id": str(uuid.uuid4()),
        "version": 1,
        "occurred_at": "2026-11-23T10:00:00Z",
        "data": {"customer_id": customer_id, "order_id": order_id, "amount_cents": amount_cents},
    }
    entry = {"Source": "guichet.invoices", "DetailType": "PaymentSucceeded", "Detail": json.dumps(detail)}
    return runtime.aws("events").put_events(Entries=[entry])
