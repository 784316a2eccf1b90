"""The customer journeys of `make load`, written once for locust and for the cost model's count.

Each journey is a function of a `Visit`: a client (locust's HttpSession, or `Client` below for
a request at a time) and the demo customer it is logged in as. Requests are named by their route
template (`GET /invoices/{id}/pdf`), the name the load table and the cost model use.

- `login`: POST /auth/login (the portal then reads GET /auth/me);
- `home`: the dashboard the portal shows after login: GET /auth/me, /subscriptions/dashboard,
  /subscriptions;
- `invoices`: GET /invoices (the history's first page);
- `invoice_pdf`: GET /invoices, GET /invoices/{id}/pdf, then the 300-second S3 link it answers
  (a customer with no invoice yet, under load, only sees the empty list);
- `consumption_year`: GET /consumption/meters, then a year of days and the year's summary of the
  first meter (electricity customers);
- `payment`: a card payment as the portal does it: an order (a mobile line, the cheapest product
  a customer of any kind may order), its invoice awaited in the list (the invoices service
  issues it on OrderPlaced), then POST /invoices/{id}/payments by card with an Idempotency-Key.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import requests

PASSWORD = "Guichet-demo-2026!"  # every demo customer's (services/auth/demo.py)
CARD_PAYERS = ["abonne@demo.guichet.test", "mobile@demo.guichet.test"]
ELECTRICITY = ["stockage@demo.guichet.test", "surplus@demo.guichet.test", "verte@demo.guichet.test"]
CUSTOMERS = [*CARD_PAYERS, *ELECTRICITY, "hebergement@demo.guichet.test"]
ORDERED_PRODUCT = "mobile-2h"
INVOICE_WAIT_SECONDS = 30.0


class JourneyFailed(RuntimeError):
    pass


class Client:
    """A `requests` session on the runtime's address that takes locust's `name=` and ignores it."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def request(self, method: str, path: str, name: str | None = None, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else self.base_url + path
        return self.session.request(method, url, timeout=60, **kwargs)


@dataclass
class Visit:
    client: Any  # locust's HttpSession or Client
    login: str
    token: str = ""
    invoice_ids: list[str] = field(default_factory=list)

    def call(self, method: str, path: str, name: str, **kwargs: Any) -> Any:
        headers = {
            **kwargs.pop("headers", {}),
            **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
        }
        answer = self.client.request(method, path, name=name, headers=headers, **kwargs)
        if answer.status_code >= 400:
            raise JourneyFailed(f"{name}: {answer.status_code} {answer.text[:300]}")
        return answer


def login(visit: Visit) -> None:
    visit.token = ""
    answer = visit.call(
        "POST", "/auth/login", "POST /auth/login", json={"login": visit.login, "password": PASSWORD}
    )
    visit.token = answer.json()["access_token"]
    visit.call("GET", "/auth/me", "GET /auth/me")


def home(visit: Visit) -> None:
    visit.call("GET", "/auth/me", "GET /auth/me")
    visit.call("GET", "/subscriptions/dashboard", "GET /subscriptions/dashboard")
    visit.call("GET", "/subscriptions", "GET /subscriptions")


def invoices(visit: Visit) -> None:
    items = visit.call("GET", "/invoices", "GET /invoices").json()["items"]
    visit.invoice_ids = [item["invoice_id"] for item in items]


def invoice_pdf(visit: Visit, *, required: bool = True) -> None:
    """The PDF of the latest invoice; a customer without one (not required) sees the empty list."""
    invoices(visit)
    if not visit.invoice_ids:
        if required:
            raise JourneyFailed(f"{visit.login} has no invoice")
        return
    link = visit.call("GET", f"/invoices/{visit.invoice_ids[0]}/pdf", "GET /invoices/{id}/pdf").json()
    pdf = visit.client.request("GET", link["url"], name="S3 GET (the PDF's link)")
    if pdf.status_code != 200 or not pdf.content.startswith(b"%PDF"):
        raise JourneyFailed(f"the PDF link answered {pdf.status_code}")


def consumption_year(visit: Visit, today: date | None = None) -> None:
    meters = visit.call("GET", "/consumption/meters", "GET /consumption/meters").json()["items"]
    if not meters:
        raise JourneyFailed(f"{visit.login} has no meter")
    meter = meters[0]["meter_id"]
    last = today or date.today()
    period = {"from": (last - timedelta(days=364)).isoformat(), "to": last.isoformat(), "step": "day"}
    visit.call(
        "GET", f"/consumption/meters/{meter}/series", "GET /consumption/meters/{id}/series", params=period
    )
    visit.call(
        "GET",
        f"/consumption/meters/{meter}/summary",
        "GET /consumption/meters/{id}/summary",
        params={"year": str(last.year)},
    )


def payment(visit: Visit, sleep: Callable[[float], None] = time.sleep) -> None:
    order = visit.call(
        "POST",
        "/subscriptions/orders",
        "POST /subscriptions/orders",
        json={"items": [{"product_id": ORDERED_PRODUCT, "label": "Ligne de charge"}]},
        headers={"Idempotency-Key": f"load-order-{uuid.uuid4()}"},
    ).json()
    deadline = time.monotonic() + INVOICE_WAIT_SECONDS
    while True:
        items = visit.call("GET", "/invoices", "GET /invoices (awaiting the order's invoice)").json()["items"]
        invoice = next((item for item in items if item.get("order_id") == order["order_id"]), None)
        if invoice is not None:
            break
        if time.monotonic() > deadline:
            raise JourneyFailed(
                f"no invoice for order {order['order_id']} after {INVOICE_WAIT_SECONDS:.0f} s"
            )
        sleep(0.25)
    paid = visit.call(
        "POST",
        f"/invoices/{invoice['invoice_id']}/payments",
        "POST /invoices/{id}/payments",
        json={"method": "card", "card_token": "tok_visa"},
        headers={"Idempotency-Key": f"load-pay-{uuid.uuid4()}"},
    ).json()
    if paid.get("status") != "succeeded":
        raise JourneyFailed(f"the card payment is {paid.get('status')}")


JOURNEYS: dict[str, Callable[[Visit], None]] = {
    "login": login,
    "home": home,
    "invoices": invoices,
    "invoice_pdf": invoice_pdf,
    "consumption_year": consumption_year,
    "payment": payment,
}
# who each journey is measured with: a card payer pays, an electricity customer reads a year
MEASURED_AS = {
    "login": CARD_PAYERS[0],
    "home": CARD_PAYERS[0],
    "invoices": CARD_PAYERS[0],
    "invoice_pdf": CARD_PAYERS[0],
    "consumption_year": ELECTRICITY[0],
    "payment": CARD_PAYERS[0],
}
