"""Customers of the local runtime for the end-to-end and browser tests, made over HTTP.

    customer = verified_customer(runtime, "e2e-inv", first_name="Camille", last_name="Durand")
    customer.customer_id, customer.email, customer.tokens, customer.auth (the Authorization header)
    open_session(page, runtime, customer)   the portal in a browser page, logged in as the customer
    pay_order(runtime, customer, order_id)   pay the order's invoice by card, as the customer would
    provider_invoice(number, issued_on)      an invoice of the provider's billing, (operator routes)

How a person registers and logs in, step by step, is what test_e2e_auth and test_browser_portal
test; the others start from a customer made here.
"""

from __future__ import annotations

import itertools
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
    # from an address of its own: the services limit registrations and logins per client address
    address = {"X-Forwarded-For": client_address()}
    registered = runtime.post(
        "/auth/register", json={"email": email, "password": PASSWORD, **profile}, headers=address
    )
    assert registered.status_code == 201, registered.text
    mail = next(mail for mail in runtime.mail() if email in mail["to"])
    token = re.search(r"verify-email\?token=(\S+)", mail["text"]).group(1)  # type: ignore[union-attr]
    assert runtime.post("/auth/verify-email", json={"token": token}).status_code == 200
    tokens = runtime.post("/auth/login", json={"login": email, "password": PASSWORD}, headers=address).json()
    return Customer(registered.json()["customer_id"], email, tokens)


# Counted, not drawn: random ones collide over a run's thousands of calls.
_ADDRESS_SERIALS = itertools.count(1)


def client_address() -> str:
    """An address of a private range nobody else in the run has (the runtime of the tests takes
    the client's address from X-Forwarded-For: `--trust-forwarded-for`)."""
    serial = next(_ADDRESS_SERIALS)
    return f"10.{serial // 64516 % 256}.{serial // 254 % 254 + 1}.{serial % 254 + 1}"


def electricity_item(pdl: str, label: str = "Maison") -> dict[str, Any]:
    """An order item: an electricity contract of the PDL, base tariff, billed per invoice."""
    options = {"pdl": pdl, "subscribed_power_kva": 6, "tariff_option": "base", "payment_mode": "per_invoice"}
    return {"product_id": "electricity-essentielle", "label": label, "options": options}


def place_order(runtime: Any, customer: Customer, *items: dict[str, Any]) -> dict[str, Any]:
    """POST /subscriptions/orders of the items as the customer (a new Idempotency-Key); the order."""
    order = runtime.post(
        "/subscriptions/orders",
        json={"items": list(items)},
        headers={**customer.auth, "Idempotency-Key": f"order-{uuid.uuid4()}"},
    )
    assert order.status_code == 201, order.text
    return dict(order.json())


def open_session(page: Any, runtime: Any, customer: Customer) -> None:
    """Give the portal in `page` the customer's session where a login leaves it: the refresh token
    in the auth service's HttpOnly cookie, and the mark that this browser logged in (the portal's
    first page then refreshes by the cookie)."""
    set_session_cookie(page, runtime, customer.tokens["refresh_token"])


def set_session_cookie(page: Any, runtime: Any, refresh_token: str) -> None:
    """The auth service's session cookie (services/auth/chalicelib/session_cookie.py) in `page`'s
    browser, holding `refresh_token`, and the portal's mark that this browser logged in."""
    page.context.add_cookies(
        [
            {
                "name": "guichet_refresh",
                "value": refresh_token,
                "domain": "127.0.0.1",
                "path": "/auth",
                "httpOnly": True,
                "secure": True,
                "sameSite": "Strict",
            }
        ]
    )
    page.goto(f"{runtime.url}/login")
    page.evaluate("() => localStorage.setItem('guichet.session', '1')")


def order_invoice(runtime: Any, customer: Customer, order_id: str, timeout: float = 20.0) -> dict[str, Any]:
    """The invoice the invoices service issued for the order (it follows OrderPlaced), once the
    order is handled in full (what follows the invoice in the same handler, the order's settlement,
    included)."""
    from conftest import eventually

    def issued() -> dict[str, Any] | None:
        items = runtime.get("/invoices", headers=customer.auth).json()["items"]
        return next((item for item in items if item["order_id"] == order_id), None)

    invoice = eventually(issued, timeout=timeout)
    assert invoice, f"no invoice was issued for order {order_id}"
    runtime.settle(timeout=timeout)
    return invoice


def pay_order(
    runtime: Any, customer: Customer, order_id: str, card_token: str = "tok_visa"
) -> dict[str, Any]:
    """Pay the order's invoice in full by card through the invoices API; the payment."""
    invoice = order_invoice(runtime, customer, order_id)
    paid = runtime.post(
        f"/invoices/{invoice['invoice_id']}/payments",
        json={"method": "card", "card_token": card_token},
        headers={**customer.auth, "Idempotency-Key": f"pay-{uuid.uuid4()}"},
    )
    assert paid.status_code == 201, paid.text
    return dict(paid.json())


def mailed(runtime: Any, customer: Customer, containing: str, timeout: float = 60.0) -> dict[str, Any]:
    """The newest mail to the customer whose text holds `containing`, once it is there."""
    from conftest import eventually

    found = eventually(
        lambda: next(
            (mail for mail in runtime.mail() if customer.email in mail["to"] and containing in mail["text"]),
            None,
        ),
        timeout=timeout,
    )
    assert found, f"no mail to {customer.email} says {containing!r}"
    return dict(found)


def cancel_every_subscription_now(runtime: Any, customer: Customer) -> None:
    """Cancel each of the customer's subscriptions immediately, and wait for what follows."""
    for subscription in runtime.get("/subscriptions", headers=customer.auth).json()["items"]:
        cancelled = runtime.post(
            f"/subscriptions/{subscription['subscription_id']}/cancel",
            json={"at": "immediately"},
            headers=customer.auth,
        )
        assert cancelled.status_code == 200, cancelled.text
    runtime.settle()


def provider_invoice(
    number: str, issued_on: Any = "2026-11-03", due_on: Any = "2026-12-03"
) -> dict[str, Any]:
    """An invoice of the provider's own billing as its operator routes take it: one line of
    29.99 € at 20 % (35.99 €); the days as dates or ISO text."""
    return {
        "number": number,
        "issued_on": str(issued_on),
        "due_on": str(due_on),
        "currency": "EUR",
        "lines": [{"label": "Fibre 1 Gb/s", "quantity": "1", "unit_price": "29.99", "vat_rate": "20"}],
        "total_excl_tax_cents": 2999,
        "tax_cents": 600,
        "total_cents": 3599,
    }
