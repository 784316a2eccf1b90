"""Webhooks end to end over HTTP on the local runtime (issue 12, point 3): a provider's client
registers an endpoint (`POST /auth/operator/webhooks/endpoints`, scope webhooks:manage) and its
receiver, a small HTTP server on 127.0.0.1 written from docs/WEBHOOKS.md alone, gets the signed
events of a customer journey; down for a while (answering 503), it gets every event once it is
back and the retry job has run; a replay sends one event again with the same id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from conftest import eventually
from customers import Customer, pay_order, place_order, verified_customer

ENDPOINTS = "/auth/operator/webhooks/endpoints"
MAELLE = {"first_name": "Maëlle", "last_name": "Guérin"}
TOLERANCE_SECONDS = 300  # what docs/WEBHOOKS.md recommends
# a delivery is attempted when its event is handled, or else by the retry job within a minute
WAIT = 90


class DocumentedReceiver:
    """A receiver as docs/WEBHOOKS.md tells one to write: the raw body, `Guichet-Signature`'s `t`
    and `v1` values, HMAC-SHA256(secret, t + "." + body) in hex compared in constant time with
    each `v1`, `t` within 5 minutes of its clock; 400 when the check fails, else `status` (2xx:
    taken). It deduplicates on the body's `id` and keeps every request it took."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.secret = ""
        self.status = 204
        self.clock = clock
        self.taken: list[dict[str, Any]] = []  # every request answered 2xx, duplicates included
        self.refused: list[str] = []  # why a request was refused (a bad signature)
        self.unavailable = 0  # requests answered with a non-2xx status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not receiver.verify(raw, self.headers.get("Guichet-Signature") or ""):
                    receiver.refused.append(self.headers.get("Guichet-Signature") or "")
                    status = 400
                elif not 200 <= receiver.status < 300:
                    receiver.unavailable += 1
                    status = receiver.status
                else:
                    receiver.taken.append({"headers": dict(self.headers), "event": json.loads(raw)})
                    status = receiver.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/guichet/events"

    def verify(self, raw_body: bytes, header: str) -> bool:
        parts = [item.split("=", 1) for item in header.split(",") if "=" in item]
        timestamps = [value for key, value in parts if key == "t"]
        if len(timestamps) != 1 or not timestamps[0].isdigit():
            return False
        expected = hmac.new(
            self.secret.encode(), timestamps[0].encode() + b"." + raw_body, hashlib.sha256
        ).hexdigest()
        signed = any(hmac.compare_digest(expected, value) for key, value in parts if key == "v1")
        return signed and abs(self.clock() - int(timestamps[0])) <= TOLERANCE_SECONDS

    def events_of(self, customer_id: str) -> dict[str, dict[str, Any]]:
        """The events taken about this customer, once each (by id)."""
        return {
            item["event"]["id"]: item["event"]
            for item in self.taken
            if customer_id
            in (
                item["event"]["data"].get("customer_id"),
                item["event"]["data"].get("subscription", {}).get("customer_id"),
            )
        }

    def types_of(self, customer_id: str) -> set[str]:
        return {event["type"] for event in self.events_of(customer_id).values()}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(runtime: Any) -> Iterator[DocumentedReceiver]:
    # its clock is the runtime's (what the services sign with), read apart from the test's session
    def runtime_clock() -> float:
        answer = requests.get(f"{runtime.url}/_local/clock", timeout=10).json()["now"]
        return datetime.fromisoformat(answer.replace("Z", "+00:00")).timestamp()

    started = DocumentedReceiver(clock=runtime_clock)
    yield started
    started.stop()


@pytest.fixture
def provider(runtime: Any, receiver: DocumentedReceiver) -> Iterator[dict[str, Any]]:
    """A client of the provider with an endpoint for every type at the receiver (deleted after)."""
    from guichet_local.operator_token import local_token

    client_id = f"oc_{uuid.uuid4().hex[:24]}"
    headers = {
        "Authorization": f"Bearer {local_token(runtime.port, ['webhooks:manage'], operator=client_id)}"
    }
    made = runtime.post(ENDPOINTS, json={"url": receiver.url, "event_types": ["*"]}, headers=headers)
    assert made.status_code == 201, made.text
    receiver.secret = made.json()["secret"]
    endpoint_id = made.json()["endpoint_id"]
    yield {"headers": headers, "endpoint": f"{ENDPOINTS}/{endpoint_id}"}
    assert runtime.request("DELETE", f"{ENDPOINTS}/{endpoint_id}", headers=headers).status_code == 204


def deliveries(runtime: Any, provider: dict[str, Any]) -> list[dict[str, Any]]:
    """The endpoint's whole delivery log, newest first."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = "?limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = runtime.get(f"{provider['endpoint']}/deliveries{query}", headers=provider["headers"])
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return items


def a_mobile_line() -> dict[str, Any]:
    return {"product_id": "mobile-50go", "label": "Ligne"}


JOURNEY = {
    "customer.registered",
    "order.placed",
    "invoice.issued",
    "payment.succeeded",
    "order.paid",
    "subscription.activated",
    "order.completed",
}


def test_a_receiver_gets_the_signed_events_of_a_journey_even_after_being_down(
    runtime: Any, receiver: DocumentedReceiver, provider: dict[str, Any]
) -> None:
    # Given the receiver up
    # When a customer registers, orders a mobile line and pays for it
    customer: Customer = verified_customer(runtime, "e2e-webhooks", **MAELLE)
    order = place_order(runtime, customer, a_mobile_line())
    pay_order(runtime, customer, order["order_id"])
    runtime.settle()

    # Then the receiver got each event of the journey, signed (nothing refused), with its data
    assert eventually(lambda: receiver.types_of(customer.customer_id) >= JOURNEY, timeout=WAIT), (
        receiver.types_of(customer.customer_id)
    )
    assert receiver.refused == []
    events = receiver.events_of(customer.customer_id).values()
    by_type = {event["type"]: event for event in events}
    assert by_type["order.paid"]["data"]["order_id"] == order["order_id"]
    assert by_type["order.completed"]["data"]["order_id"] == order["order_id"]
    assert by_type["customer.registered"]["data"]["email"] == customer.email
    for item in receiver.taken:
        assert item["headers"]["Guichet-Event-Id"] == item["event"]["id"]
        assert item["headers"]["Guichet-Event-Type"] == item["event"]["type"]

    # Given the receiver down (503)
    receiver.status = 503
    # When the customer changes their profile and books an appointment meanwhile
    changed = runtime.request("PATCH", "/auth/me", json={"first_name": "Maëlle-Anne"}, headers=customer.auth)
    assert changed.status_code == 200, changed.text
    runtime.settle()
    down = {"customer.updated"}
    # every delivery of them failed once, with the receiver's status
    assert eventually(
        lambda: (
            {
                item["event_type"]
                for item in deliveries(runtime, provider)
                if item["status"] == "pending" and item["last_status_code"] == 503
            }
            >= down
        ),
        timeout=WAIT,
    )
    assert not down & receiver.types_of(customer.customer_id)

    # When the receiver is back and the retry job runs ten minutes on
    receiver.status = 200
    ran = runtime.job("auth.retry_webhook_deliveries", at=_iso(runtime.now() + timedelta(minutes=10)))
    assert ran.returncode == 0, ran.stderr

    # Then it got them too, and the log says they succeeded
    assert eventually(lambda: down <= receiver.types_of(customer.customer_id), timeout=WAIT)
    log = {item["event_id"]: item for item in deliveries(runtime, provider)}
    for event_id, event in receiver.events_of(customer.customer_id).items():
        assert log[event_id]["status"] == "succeeded", log[event_id]
        assert log[event_id]["event_type"] == event["type"]
    assert receiver.refused == []


def test_a_replay_sends_one_event_again_with_its_id(
    runtime: Any, receiver: DocumentedReceiver, provider: dict[str, Any]
) -> None:
    # Given a customer's registration delivered to the receiver
    customer = verified_customer(runtime, "e2e-webhooks-replay", **MAELLE)
    runtime.settle()
    assert eventually(lambda: "customer.registered" in receiver.types_of(customer.customer_id), timeout=WAIT)
    (event,) = [
        item
        for item in receiver.events_of(customer.customer_id).values()
        if item["type"] == "customer.registered"
    ]
    (delivery,) = [item for item in deliveries(runtime, provider) if item["event_id"] == event["id"]]

    # When the provider replays it
    replayed = runtime.post(
        f"{provider['endpoint']}/deliveries/{delivery['delivery_id']}/replay", headers=provider["headers"]
    )

    # Then the receiver got the same event a second time, same id and body, another delivery id
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["attempts"] == delivery["attempts"] + 1
    copies = [item for item in receiver.taken if item["event"]["id"] == event["id"]]
    assert len(copies) == 2
    assert copies[0]["event"] == copies[1]["event"] == replayed.json()["payload"]
    assert copies[0]["headers"]["Guichet-Delivery-Id"] != copies[1]["headers"]["Guichet-Delivery-Id"]
    # And a client without the scope, or another client, cannot replay it
    from guichet_local.operator_token import local_token

    path = f"{provider['endpoint']}/deliveries/{delivery['delivery_id']}/replay"
    other = local_token(runtime.port, ["webhooks:manage"], operator=f"oc_{uuid.uuid4().hex[:24]}")
    assert runtime.post(path, headers={"Authorization": f"Bearer {other}"}).status_code == 404
    unscoped = local_token(runtime.port, ["customers:write"], operator="ops:e2e")
    assert runtime.post(path, headers={"Authorization": f"Bearer {unscoped}"}).status_code == 403
    assert runtime.post(path, headers=customer.auth).status_code == 401
    assert len([item for item in receiver.taken if item["event"]["id"] == event["id"]]) == 2


def test_the_local_receiver_records_what_it_gets(runtime: Any) -> None:
    from guichet_local.operator_token import local_token

    # Given an endpoint at the runtime's own receiver, for customer.registered
    client_id = f"oc_{uuid.uuid4().hex[:24]}"
    headers = {
        "Authorization": f"Bearer {local_token(runtime.port, ['webhooks:manage'], operator=client_id)}"
    }
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    made = runtime.post(
        ENDPOINTS,
        json={"url": f"{runtime.url}/_local/webhooks/{name}", "event_types": ["customer.registered"]},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    try:
        # When a customer registers
        customer = verified_customer(runtime, "e2e-webhooks-local", **MAELLE)
        runtime.settle()

        # Then /_local/webhooks.json shows the event under that name, with its signature
        def received() -> list[dict[str, Any]]:
            items = runtime.get("/_local/webhooks.json").json()["items"]
            return [item for item in items if item["name"] == name]

        items = eventually(received, timeout=WAIT)
        assert items, "the local receiver got nothing"
        (item,) = [item for item in items if item["body"]["data"]["customer_id"] == customer.customer_id]
        assert item["body"]["type"] == "customer.registered"
        assert item["headers"]["Guichet-Signature"].startswith("t=")
    finally:
        runtime.request("DELETE", f"{ENDPOINTS}/{made.json()['endpoint_id']}", headers=headers)


def _iso(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
