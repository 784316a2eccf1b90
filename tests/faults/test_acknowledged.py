"""The read-back of acknowledged writes (acknowledged.py) on answers and tables given by hand: each
kind of loss it must name is named, and what was kept is not (no runtime needed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from .acknowledged import Ledger

NOW = datetime(2027, 1, 25, 17, 0, tzinfo=UTC)
CUSTOMER = "lg101821-GU"
NEWCOMER = "jr879530-GU"


class Answer:
    def __init__(self, status_code: int, body: Any = None) -> None:
        self.status_code = status_code
        self.content = b"" if body is None else json.dumps(body).encode()
        self._body = body

    def json(self) -> Any:
        return self._body


class Service:
    """What a GET answers, by path (or by "<customer id> <path>" for one customer), and what the
    tables hold, by (service, pk)."""

    def __init__(self) -> None:
        self.pages: dict[str, Any] = {}
        self.tables: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def read(self, customer_id: str, path: str) -> Answer:
        page = self.pages.get(f"{customer_id} {path}", self.pages.get(path))
        return Answer(404, {"error": {}}) if page is None else Answer(200, page)

    def items(self, service: str, pk: str, prefix: str) -> list[dict[str, Any]]:
        return [item for item in self.tables.get((service, pk), []) if item["sk"].startswith(prefix)]


def acknowledged(
    ledger: Ledger, method: str, path: str, body: Any, answer: Any, key: str | None = None
) -> None:
    ledger.request(method, path, body, Answer(201, answer), CUSTOMER, NOW, key)


def a_card_payment(ledger: Ledger, status: str) -> None:
    """pay_1 answered to the key k1, for the invoice in_1."""
    body = {"method": "card", "card_token": "tok_visa"}
    acknowledged(
        ledger, "POST", "/invoices/in_1/payments", body, {"payment_id": "pay_1", "status": status}, key="k1"
    )


def an_order_a_payment_and_preferences(ledger: Ledger, service: Service) -> None:
    """Three writes acknowledged, and the payment stored, with a direct debit of the jobs'."""
    acknowledged(
        ledger,
        "POST",
        "/subscriptions/orders",
        {"items": [{"product_id": "mobile-2h"}]},
        {"order_id": "or_1"},
    )
    a_card_payment(ledger, "succeeded")
    acknowledged(
        ledger, "PATCH", "/invoices/preferences", {"payment_method": "tip"}, {"payment_method": "tip"}
    )
    service.tables[("invoices", f"CUSTOMER#{CUSTOMER}")] = [
        {"sk": "PAYMENT#pay_1", "payment_id": "pay_1", "status": "succeeded", "method": "card"},
        {"sk": "PAYMENT#pay_2", "payment_id": "pay_2", "status": "succeeded", "method": "direct_debit"},
    ]


def test_an_order_a_payment_and_preferences_read_back_pass() -> None:
    ledger, service = Ledger(), Service()
    an_order_a_payment_and_preferences(ledger, service)
    service.pages = {
        "/subscriptions/orders/or_1": {"order_id": "or_1", "items": [{"product_id": "mobile-2h"}]},
        "/invoices/in_1": {"payments": [{"payment_id": "pay_1", "status": "succeeded"}]},
        "/invoices/preferences": {"payment_method": "tip", "paperless": True},
        "/consumption/meters": {"items": []},
    }

    assert ledger.check(service.read, service.items) == []
    assert ledger.count == 3


def test_each_lost_write_is_named() -> None:
    ledger, service = Ledger(), Service()
    an_order_a_payment_and_preferences(ledger, service)
    service.pages = {
        "/subscriptions/orders/or_1": {"order_id": "or_1", "items": [{"product_id": "mobile-1h"}]},
        "/invoices/in_1": {"payments": []},
        "/invoices/preferences": {"payment_method": "card"},
        "/consumption/meters": {"items": []},
    }

    failures = ledger.check(service.read, service.items)

    assert len(failures) == 3, failures
    assert "POST /subscriptions/orders acknowledged, lost" in failures[0]
    assert "ordered ['mobile-2h'], the order holds ['mobile-1h']" in failures[0]
    assert "invoice in_1 has no payment pay_1" in failures[1]
    assert "sent payment_method='tip', reads 'card'" in failures[2]


def test_an_order_not_found_is_named() -> None:
    ledger, service = Ledger(), Service()
    acknowledged(ledger, "POST", "/subscriptions/orders", {"items": []}, {"order_id": "or_1"})
    service.pages = {"/consumption/meters": {"items": []}}

    assert ledger.check(service.read, service.items) == [
        "POST /subscriptions/orders acknowledged, lost: /subscriptions/orders at 2027-01-25 17:00 "
        f"(customer {CUSTOMER}): GET /subscriptions/orders/or_1 answered 404"
    ]


def test_a_later_write_of_the_same_setting_is_the_one_read() -> None:
    ledger, service = Ledger(), Service()
    acknowledged(ledger, "PATCH", "/invoices/preferences", {"payment_method": "tip"}, {})
    acknowledged(ledger, "PATCH", "/invoices/preferences", {"payment_method": "check"}, {})
    service.pages = {
        "/invoices/preferences": {"payment_method": "check"},
        "/consumption/meters": {"items": []},
    }

    assert ledger.check(service.read, service.items) == []


def test_a_payment_stored_twice_for_one_key_is_named() -> None:
    ledger, service = Ledger(), Service()
    a_card_payment(ledger, "failed")
    service.pages = {"/consumption/meters": {"items": []}}
    service.tables[("invoices", f"CUSTOMER#{CUSTOMER}")] = [
        {"sk": "PAYMENT#pay_1", "payment_id": "pay_1", "status": "failed", "method": "card"},
        {"sk": "PAYMENT#pay_1b", "payment_id": "pay_1b", "status": "succeeded", "method": "card"},
    ]

    failures = ledger.check(service.read, service.items)

    assert failures == [
        f"customer {CUSTOMER}: payment pay_1b (card, succeeded, None c) stored, no request answered with it"
    ]


def test_a_reading_acknowledged_and_not_stored_is_named() -> None:
    ledger, service = Ledger(), Service()
    acknowledged(
        ledger, "PUT", "/invoices/bank-account", {"iban": "FR76"}, {"holder": "A", "iban_masked": "FR76…"}
    )
    rows = "meter_id,start,value,direction\n12345678901234,2027-01-23T03:00:00Z,0.111,consumption\n"
    rows += "12345678901234,2027-01-23T03:30:00Z,0.2,consumption\n"
    ledger.file("enedis.csv", rows.encode(), {"accepted": 2, "rejected": []})
    service.pages = {
        "/invoices/bank-account": {"holder": "A", "iban_masked": "FR76…"},
        "/consumption/meters": {"items": [{"meter_id": "m1", "pdl": "12345678901234"}]},
        "/consumption/meters/m1/series?from=2027-01-22&to=2027-01-24&step=half_hour": {
            "points": [{"start": "2027-01-23T03:00:00Z", "value": 0.111}]
        },
    }

    failures = ledger.check(service.read, service.items)

    assert failures == [
        "meter file enedis.csv acknowledged, lost: "
        "12345678901234 2027-01-23T03:30Z consumption 0.2, read None"
    ]


def test_a_write_route_without_a_read_back_is_a_failure() -> None:
    ledger, service = Ledger(), Service()
    ledger.request("POST", "/subscriptions/sub_1/cancel", {}, Answer(200, {}), CUSTOMER, NOW)
    ledger.request("POST", "/auth/login", {}, Answer(200, {}), None, NOW)  # tokens: read back by their use
    service.pages = {"/consumption/meters": {"items": []}}

    assert ledger.check(service.read, service.items) == [
        "POST /subscriptions/sub_1/cancel: a write with no read-back in tests/faults/acknowledged.py"
    ]


def test_the_readings_of_a_home_that_changed_hands_are_read_by_each_occupant() -> None:
    ledger, service = Ledger(), Service()
    for customer_id in (CUSTOMER, NEWCOMER):
        ledger.request(
            "POST",
            "/auth/register",
            {"email": f"{customer_id}@example.org"},
            Answer(201, {"customer_id": customer_id}),
            None,
            NOW,
        )
        service.pages[f"{customer_id} /auth/me"] = {
            "customer_id": customer_id,
            "email": f"{customer_id}@example.org",
        }
    rows = "meter_id,start,value\n"
    rows += "12345678901234,2027-01-23T03:00:00Z,0.1\n12345678901234,2027-01-25T03:00:00Z,0.3\n"
    ledger.file("enedis.csv", rows.encode(), {"accepted": 2, "rejected": []})
    series = "/consumption/meters/{}/series?from=2027-01-22&to=2027-01-26&step=half_hour"
    service.pages |= {
        f"{CUSTOMER} /consumption/meters": {"items": [{"meter_id": "m1", "pdl": "12345678901234"}]},
        f"{NEWCOMER} /consumption/meters": {"items": [{"meter_id": "m2", "pdl": "12345678901234"}]},
        series.format("m1"): {"points": [{"start": "2027-01-23T03:00:00Z", "value": 0.1}]},
        series.format("m2"): {"points": [{"start": "2027-01-25T03:00:00Z", "value": 0.3}]},
    }

    assert ledger.check(service.read, service.items) == []

    service.pages[series.format("m2")] = {"points": []}
    assert ledger.check(service.read, service.items) == [
        "meter file enedis.csv acknowledged, lost: "
        "12345678901234 2027-01-25T03:00Z consumption 0.3, read None"
    ]


def test_a_write_whose_customer_cannot_read_is_lost_and_the_others_still_read() -> None:
    ledger, service = Ledger(), Service()
    acknowledged(ledger, "PATCH", "/invoices/preferences", {"paperless": True}, {"paperless": True})
    ledger.request(
        "POST", "/auth/verify-email", {"token": "t"}, Answer(200, {"customer_id": NEWCOMER}), None, NOW
    )
    service.pages = {"/invoices/preferences": {"paperless": True}, "/consumption/meters": {"items": []}}

    def read(customer_id: str, path: str) -> Answer:
        if customer_id == NEWCOMER:
            raise AssertionError(f"{customer_id} logs in: expected 200, got 403")
        return service.read(customer_id, path)

    assert ledger.check(read, service.items) == [
        "POST /auth/verify-email acknowledged, lost: /auth/verify-email at 2027-01-25 17:00 "
        "(customer jr879530-GU): "
        "could not be read back: AssertionError('jr879530-GU logs in: expected 200, got 403')"
    ]
