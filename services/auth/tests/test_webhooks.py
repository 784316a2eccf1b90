"""Webhook endpoints of the operator API and the deliveries of domain events to them (issue 12,
point 3; docs/WEBHOOKS.md): endpoints per client with the webhooks:manage scope, another
client's answering 404; URLs refused off https or on a private address; the secret shown once and
rotated; each event fanned out to the endpoints wanting its type, once however often it is handled;
retried with exponential backoff until 72 hours after the event, with the clock set by the test;
a replay resending the same event id.

Receivers are small HTTP servers on 127.0.0.1 (the local stage allows loopback endpoints).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import itertools
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import assert_documented, assert_error, call, operator_token
from guichet_contracts import observability
from guichet_contracts.domain_events.auth import CustomerRegistered
from guichet_contracts.domain_events.invoices import OrderPaid
from guichet_local.testing import deliver

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
ENDPOINTS = "/operator/webhooks/endpoints"


class Receiver:
    """An HTTP server on 127.0.0.1 recording each POST (path, headers, body), answering `status`."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.received.append(
                    {"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)}
                )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def at(self, path: str) -> list[dict[str, Any]]:
        return [request for request in self.received if request["path"] == path]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    yield started
    started.stop()


@pytest.fixture(autouse=True)
def no_endpoint_of_another_test() -> None:
    """Every event goes to every endpoint of the table: each test starts with none."""
    from chalicelib.models import WEBHOOK_ENDPOINTS, WebhookEndpoint

    for endpoint in WebhookEndpoint.query(WEBHOOK_ENDPOINTS):
        endpoint.delete()


def a_client_id() -> str:
    return "oc_" + uuid.uuid4().hex[:24]


@dataclasses.dataclass
class Client:
    """A machine client calling the webhook routes with its operator token."""

    http: Any
    client_id: str

    @property
    def token(self) -> str:
        return operator_token("webhooks:manage", operator_id=self.client_id)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = call(self.http, method, path, body, token=self.token, headers={"Accept-Language": "en"})
        assert_documented(method, path_template(path), response)
        return response

    def create(self, url: str, event_types: list[str] | None = None, **fields: Any) -> dict[str, Any]:
        body = {"url": url, **({"event_types": event_types} if event_types else {}), **fields}
        response = self.call("POST", ENDPOINTS, body)
        assert response.status_code == 201, response.body
        return dict(response.json_body)

    def deliveries(self, endpoint_id: str) -> list[dict[str, Any]]:
        response = self.call("GET", f"{ENDPOINTS}/{endpoint_id}/deliveries")
        assert response.status_code == 200, response.body
        return list(response.json_body["items"])


def path_template(path: str) -> str:
    """The documented path of a concrete one (ids replaced by their parameter)."""
    parts = path.split("?")[0].split("/")
    names = {4: "{endpoint_id}", 6: "{delivery_id}"}
    return "/".join(names.get(index, part) for index, part in enumerate(parts))


@pytest.fixture
def operator(client: Any) -> Client:
    return Client(client, a_client_id())


@pytest.fixture
def other_operator(client: Any) -> Client:
    return Client(client, a_client_id())


def order_paid(customer_id: str = "ab123456-GU") -> OrderPaid:
    return OrderPaid(
        order_id="O-2027-000001",
        customer_id=customer_id,
        invoice_id="F-2027-000001",
        amount_paid_cents=2990,
        currency="EUR",
        settled_by="payment",
    )


def a_customer_registered() -> CustomerRegistered:
    return CustomerRegistered(
        customer_id="cd654321-GU",
        email="jeanne@example.org",
        first_name="Jeanne",
        last_name="Martin",
        company=None,
        phone=None,
        language="fr",
        address=None,
        external_id=None,
        siren=None,
        siret=None,
        vat_number=None,
        backup_email=None,
    )


def handle(http: Any, handler: str, event: Any, *, event_id: str, at: datetime = T0) -> Any:
    """The event delivered to a handler of the service at `at` (its occurred_at too)."""
    import time_machine

    with time_machine.travel(at, tick=False):
        return deliver(http, handler, event, event_id=event_id, occurred_at=at).payload


def run_job(http: Any, at: datetime) -> dict[str, int]:
    event = http.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    event["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return dict(http.lambda_.invoke("retry_webhook_deliveries", event).payload)


def signatures(request: dict[str, Any]) -> tuple[int, list[str]]:
    header = request["headers"]["Guichet-Signature"]
    pairs = [item.split("=", 1) for item in header.split(",")]
    timestamp = int(next(value for key, value in pairs if key == "t"))
    return timestamp, [value for key, value in pairs if key == "v1"]


def signed_by(request: dict[str, Any], secret: str) -> bool:
    timestamp, given = signatures(request)
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + request["body"], hashlib.sha256
    ).hexdigest()
    return any(hmac.compare_digest(expected, signature) for signature in given)


# --- endpoints --------------------------------------------------------------------------------


def test_a_client_makes_lists_changes_and_deletes_its_endpoints_and_sees_no_other_s(
    operator: Client, other_operator: Client, receiver: Receiver
) -> None:
    # Given an endpoint a client made for two event types
    made = operator.create(
        receiver.url(), ["order.paid", "invoice.issued", "order.paid"], description="Facturation"
    )
    endpoint_id = made["endpoint_id"]

    # Then the answer shows it, types once each, enabled, with its secret
    assert made["url"] == receiver.url() and made["enabled"] is True
    assert made["event_types"] == ["invoice.issued", "order.paid"]
    assert made["description"] == "Facturation"
    assert made["secret"].startswith("whsec_")
    # And the client lists and reads it, never with its secret
    listed = operator.call("GET", ENDPOINTS).json_body["items"]
    assert [item["endpoint_id"] for item in listed] == [endpoint_id]
    read = operator.call("GET", f"{ENDPOINTS}/{endpoint_id}").json_body
    assert "secret" not in read and "secret" not in listed[0]
    assert made["secret"] not in json.dumps(read)

    # When another client asks for it, changes it, rotates or deletes it
    for method, path, body in (
        ("GET", f"{ENDPOINTS}/{endpoint_id}", None),
        ("PATCH", f"{ENDPOINTS}/{endpoint_id}", {"enabled": False}),
        ("POST", f"{ENDPOINTS}/{endpoint_id}/rotate-secret", None),
        ("GET", f"{ENDPOINTS}/{endpoint_id}/deliveries", None),
        ("DELETE", f"{ENDPOINTS}/{endpoint_id}", None),
    ):
        # Then it does not exist for it
        assert_error(other_operator.call(method, path, body), 404, "not_found")
    assert other_operator.call("GET", ENDPOINTS).json_body["items"] == []

    # When its client disables it and changes its types and description
    changed = operator.call(
        "PATCH", f"{ENDPOINTS}/{endpoint_id}", {"enabled": False, "event_types": ["*"], "description": None}
    )
    assert changed.status_code == 200, changed.body
    assert (changed.json_body["enabled"], changed.json_body["event_types"]) == (False, ["*"])
    assert changed.json_body["description"] is None
    # and deletes it
    assert operator.call("DELETE", f"{ENDPOINTS}/{endpoint_id}").status_code == 204

    # Then it is gone
    assert_error(operator.call("GET", f"{ENDPOINTS}/{endpoint_id}"), 404, "not_found")
    assert operator.call("GET", ENDPOINTS).json_body["items"] == []


def test_the_routes_take_an_operator_token_with_the_webhooks_scope_only(client: Any, customer: Any) -> None:
    body = {"url": "https://hooks.example.com/guichet"}
    # Given no token, a customer's, and an operator's of another scope
    assert_error(call(client, "POST", ENDPOINTS, body), 401, "unauthenticated")
    assert_error(call(client, "POST", ENDPOINTS, body, token=customer.access_token), 401, "unauthenticated")
    wrong_scope = operator_token("customers:write", operator_id=a_client_id())
    assert_error(call(client, "POST", ENDPOINTS, body, token=wrong_scope), 403, "insufficient_scope")
    assert_error(call(client, "GET", ENDPOINTS, token=wrong_scope), 403, "insufficient_scope")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/guichet", "must be an https:// URL"),
        ("https://10.0.0.8/hook", "public address"),
        ("https://192.168.1.10/hook", "public address"),
        ("https://169.254.169.254/latest/meta-data", "public address"),
        ("https://[fd00::1]/hook", "public address"),
        ("https://[::ffff:10.0.0.1]/hook", "public address"),
        ("https://0.0.0.0/hook", "public address"),
        ("https://printer.local/hook", "public address"),
        ("https://intranet/hook", "public address"),
        ("https://user:secret@hooks.example.com/", "user name or password"),
        ("https://hooks.example.com/#part", "not a valid URL"),
        ("https://hooks.example.com:99999/", "not a valid URL"),
        ("ftp://hooks.example.com/", "must be an https:// URL"),
        ("not a url", "not a valid URL"),
    ],
)
def test_an_endpoint_off_https_or_on_a_private_address_is_refused(
    operator: Client, url: str, why: str
) -> None:
    response = operator.call("POST", ENDPOINTS, {"url": url})
    error = assert_error(response, 422, "validation_failed", fields=("url",))
    assert why in error["fields"]["url"]
    assert operator.call("GET", ENDPOINTS).json_body["items"] == []


def test_loopback_endpoints_are_for_the_local_stage_only(
    operator: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import webhook_endpoints

    # Given a stage that is not the local one
    monkeypatch.setattr(
        webhook_endpoints,
        "settings",
        dataclasses.replace(webhook_endpoints.settings, stage="prod", webhooks_allow_loopback=False),
    )
    # Then the local receiver's addresses are refused
    for url, why in (
        ("http://127.0.0.1:8000/_local/webhooks/demo", "https://"),
        ("https://127.0.0.1/hook", "public address"),
        ("https://localhost/hook", "public address"),
        ("https://[::1]/hook", "public address"),
    ):
        error = assert_error(operator.call("POST", ENDPOINTS, {"url": url}), 422, "validation_failed")
        assert why in error["fields"]["url"], url


def test_unknown_event_types_and_unknown_fields_are_refused(operator: Client) -> None:
    for body, field in (
        ({"url": "https://hooks.example.com/", "event_types": ["order.shipped"]}, "event_types"),
        ({"url": "https://hooks.example.com/", "event_types": []}, "event_types"),
        ({"url": "https://hooks.example.com/", "secret": "whsec_mine"}, "secret"),
        ({"event_types": ["*"]}, "url"),
    ):
        assert_error(operator.call("POST", ENDPOINTS, body), 422, "validation_failed", fields=(field,))


def test_a_change_cannot_clear_what_an_endpoint_needs(operator: Client, receiver: Receiver) -> None:
    endpoint = operator.create(receiver.url(), ["order.paid"])
    path = f"{ENDPOINTS}/{endpoint['endpoint_id']}"
    for name in ("url", "event_types", "enabled"):
        error = assert_error(
            operator.call("PATCH", path, {name: None}), 422, "validation_failed", fields=(name,)
        )
        assert error["fields"][name] == "must not be empty"
    assert operator.call("GET", path).json_body == {
        key: value for key, value in endpoint.items() if key != "secret"
    }


def test_a_client_has_sixteen_endpoints_at_most(operator: Client) -> None:
    for number in range(16):
        operator.create(f"https://hooks.example.com/{number}")
    response = operator.call("POST", ENDPOINTS, {"url": "https://hooks.example.com/17"})
    assert_error(response, 409, "too_many_endpoints")
    assert len(operator.call("GET", ENDPOINTS).json_body["items"]) == 16


def test_a_rotated_secret_signs_beside_the_new_one_for_a_day(
    client: Any, operator: Client, receiver: Receiver
) -> None:
    import time_machine

    # Given an endpoint made at T0, its secret rotated an hour later
    with time_machine.travel(T0, tick=False):
        made = operator.create(receiver.url(), ["order.paid"])
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        rotated = operator.call("POST", f"{ENDPOINTS}/{made['endpoint_id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.body
    new_secret = rotated.json_body["secret"]
    assert new_secret.startswith("whsec_") and new_secret != made["secret"]
    assert [(item["created_at"], item["expires_at"]) for item in rotated.json_body["secrets"]] == [
        ("2027-03-01T09:00:00Z", "2027-03-02T10:00:00Z"),
        ("2027-03-01T10:00:00Z", None),
    ]

    # When an event goes out during the grace, and another after it
    handle(client, "webhooks_from_invoices", order_paid(), event_id="evt-1", at=T0 + timedelta(hours=2))
    handle(client, "webhooks_from_invoices", order_paid(), event_id="evt-2", at=T0 + timedelta(hours=26))

    # Then the first is signed by both secrets, the second by the new one only
    during, after = receiver.received
    assert len(signatures(during)[1]) == 2
    assert signed_by(during, made["secret"]) and signed_by(during, new_secret)
    assert signatures(after)[1] and signed_by(after, new_secret) and not signed_by(after, made["secret"])


# --- deliveries -------------------------------------------------------------------------------


def test_an_event_goes_to_each_enabled_endpoint_wanting_its_type_signed(
    client: Any, operator: Client, other_operator: Client, receiver: Receiver
) -> None:
    # Given endpoints of two clients: for order.paid, for everything, for customers, and a
    # disabled one for everything
    paid = operator.create(receiver.url("/paid"), ["order.paid"])
    every = other_operator.create(receiver.url("/every"), ["*"])
    other_operator.create(receiver.url("/customers"), ["customer.registered", "customer.updated"])
    off = operator.create(receiver.url("/off"))
    assert operator.call("PATCH", f"{ENDPOINTS}/{off['endpoint_id']}", {"enabled": False}).status_code == 200

    # When the invoices service says an order is paid
    event_id = str(uuid.uuid4())
    handled = handle(client, "webhooks_from_invoices", order_paid(), event_id=event_id)

    # Then the two endpoints wanting order.paid got it at once, and no other
    assert handled == {"recorded": 2, "succeeded": 2}
    assert sorted(request["path"] for request in receiver.received) == ["/every", "/paid"]
    for request, endpoint in ((receiver.at("/paid")[0], paid), (receiver.at("/every")[0], every)):
        # as the public event, signed with the endpoint's secret at the moment of sending
        assert json.loads(request["body"]) == {
            "id": event_id,
            "type": "order.paid",
            "created": "2027-03-01T09:00:00Z",
            "data": order_paid().data(),
        }
        assert signed_by(request, endpoint["secret"])
        assert signatures(request)[0] == int(T0.timestamp())
        assert request["headers"]["Content-Type"] == "application/json"
        assert request["headers"]["Guichet-Event-Id"] == event_id
        assert request["headers"]["Guichet-Event-Type"] == "order.paid"
    assert not signed_by(receiver.at("/paid")[0], every["secret"])
    # And each client's log shows its delivery, succeeded at the first attempt
    (logged,) = operator.deliveries(paid["endpoint_id"])
    assert (logged["event_id"], logged["event_type"], logged["status"]) == (
        event_id,
        "order.paid",
        "succeeded",
    )
    assert (logged["attempts"], logged["last_status_code"], logged["next_attempt_at"]) == (1, 200, None)
    assert operator.deliveries(off["endpoint_id"]) == []

    # When a customer registers
    handle(client, "webhooks_from_auth", a_customer_registered(), event_id=str(uuid.uuid4()))

    # Then the customers' endpoint and the one for everything get it
    assert sorted(request["path"] for request in receiver.received) == [
        "/customers",
        "/every",
        "/every",
        "/paid",
    ]


def test_an_event_handled_twice_is_delivered_once(client: Any, operator: Client, receiver: Receiver) -> None:
    # Given an endpoint for order.paid
    endpoint = operator.create(receiver.url(), ["order.paid"])
    event_id = str(uuid.uuid4())

    # When EventBridge hands the same event over twice
    first = handle(client, "webhooks_from_invoices", order_paid(), event_id=event_id)
    second = handle(client, "webhooks_from_invoices", order_paid(), event_id=event_id)

    # Then it was recorded and sent once
    assert (first["recorded"], second["recorded"]) == (1, 0)
    assert len(receiver.received) == 1
    assert len(operator.deliveries(endpoint["endpoint_id"])) == 1


def test_an_event_off_its_contract_is_refused(client: Any) -> None:
    from guichet_local.testing import deliver_detail

    detail = {"event_id": "e-1", "version": 1, "occurred_at": "2027-03-01T09:00:00Z", "data": {"order_id": 1}}
    with pytest.raises(Exception, match="does not validate"):
        deliver_detail(client, "webhooks_from_invoices", "guichet.invoices", "OrderPaid", detail)


def test_the_handlers_take_exactly_the_events_sent_out_as_webhooks(app: Any) -> None:
    from chalicelib.webhook_events import PUBLIC_TYPES, models

    patterns = [
        handler.event_pattern
        for handler in app.event_sources
        if getattr(handler, "name", "").startswith("webhooks_from_")
    ]
    taken = {
        (source, name)
        for pattern in patterns
        for source in pattern["source"]
        for name in pattern["detail-type"]
    }
    assert taken == {(model.source(), model.name) for model in models()}
    assert {model.name for model in models()} == set(PUBLIC_TYPES)


def test_a_failing_receiver_is_retried_with_backoff_until_72_hours_after_the_event(
    client: Any, operator: Client, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a receiver answering 503, and an endpoint of it for order.paid
    capsys.readouterr()
    receiver.status = 503
    endpoint = operator.create(receiver.url(), ["order.paid"])

    # When an order is paid at T0 and the retry job runs whenever a delivery is due
    handle(client, "webhooks_from_invoices", order_paid(), event_id=str(uuid.uuid4()))
    (delivery,) = operator.deliveries(endpoint["endpoint_id"])
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == ("pending", 1, 503)
    assert delivery["last_error"] == "HTTP 503"
    attempts_at = [T0]
    while delivery["status"] == "pending":
        due = datetime.fromisoformat(delivery["next_attempt_at"].replace("Z", "+00:00"))
        # a run a second before is too early: nothing is sent
        before = len(receiver.received)
        run_job(client, due - timedelta(seconds=1))
        assert len(receiver.received) == before
        run_job(client, due)
        attempts_at.append(due)
        (delivery,) = operator.deliveries(endpoint["endpoint_id"])

    # Then the attempts came 1, 2, 4 ... minutes apart, then hourly
    gaps = [
        int((later - earlier) / timedelta(minutes=1)) for earlier, later in itertools.pairwise(attempts_at)
    ]
    assert gaps[:7] == [1, 2, 4, 8, 16, 32, 60]
    assert set(gaps[6:]) == {60}
    # until the next would fall 72 hours after the event: then it failed for good
    assert attempts_at[-1] < T0 + timedelta(hours=72) <= attempts_at[-1] + timedelta(hours=1)
    assert (delivery["status"], delivery["attempts"], delivery["next_attempt_at"]) == (
        "failed",
        len(attempts_at),
        None,
    )
    assert len(receiver.received) == len(attempts_at)
    # and every attempt carried the same event and a delivery id of its own
    assert len({request["body"] for request in receiver.received}) == 1
    assert len({request["headers"]["Guichet-Delivery-Id"] for request in receiver.received}) == len(
        attempts_at
    )
    # And no later run sends it again
    run_job(client, T0 + timedelta(hours=80))
    assert len(receiver.received) == len(attempts_at)
    # and the delivery given up was counted once, for its alarm
    emitted = observability.emitted(capsys.readouterr().out.splitlines())
    assert emitted.get("WebhookDeliveriesFailed") == 1


def test_a_receiver_back_gets_the_event_and_a_run_twice_for_one_moment_sends_once(
    client: Any, operator: Client, receiver: Receiver
) -> None:
    # Given a delivery that failed twice (T0, T0 + 1 min)
    receiver.status = 503
    endpoint = operator.create(receiver.url(), ["order.paid"])
    handle(client, "webhooks_from_invoices", order_paid(), event_id=str(uuid.uuid4()))
    run_job(client, T0 + timedelta(minutes=1))

    # When the receiver is back and the job runs twice when the delivery is due (T0 + 3 min)
    receiver.status = 204
    first = run_job(client, T0 + timedelta(minutes=3))
    second = run_job(client, T0 + timedelta(minutes=3))

    # Then the third attempt succeeded, once
    assert (first["attempted"], first["succeeded"], second["attempted"]) == (1, 1, 0)
    assert [request["path"] for request in receiver.received] == ["/hook"] * 3
    (delivery,) = operator.deliveries(endpoint["endpoint_id"])
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == ("succeeded", 3, 204)
    # And nothing is due any more
    assert run_job(client, T0 + timedelta(hours=2))["attempted"] == 0


def test_a_deleted_endpoint_s_pending_deliveries_stop(
    client: Any, operator: Client, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    receiver.status = 500
    endpoint = operator.create(receiver.url(), ["order.paid"])
    handle(client, "webhooks_from_invoices", order_paid(), event_id=str(uuid.uuid4()))
    assert operator.call("DELETE", f"{ENDPOINTS}/{endpoint['endpoint_id']}").status_code == 204

    outcome = run_job(client, T0 + timedelta(minutes=1))

    assert (outcome["attempted"], outcome["failed"]) == (0, 1)
    assert len(receiver.received) == 1
    assert observability.emitted(capsys.readouterr().out.splitlines()).get("WebhookDeliveriesFailed") == 1


def test_a_redirect_is_not_followed(client: Any, operator: Client, receiver: Receiver) -> None:
    receiver.status = 307
    endpoint = operator.create(receiver.url(), ["order.paid"])
    handle(client, "webhooks_from_invoices", order_paid(), event_id=str(uuid.uuid4()))
    (delivery,) = operator.deliveries(endpoint["endpoint_id"])
    assert (delivery["status"], delivery["last_status_code"]) == ("pending", 307)
    assert delivery["last_error"] == "a redirect, not followed"


def test_a_replay_sends_the_same_event_again_now(client: Any, operator: Client, receiver: Receiver) -> None:
    # Given a delivery that succeeded
    endpoint = operator.create(receiver.url(), ["order.paid"])
    event_id = str(uuid.uuid4())
    handle(client, "webhooks_from_invoices", order_paid(), event_id=event_id)
    (delivery,) = operator.deliveries(endpoint["endpoint_id"])
    path = f"{ENDPOINTS}/{endpoint['endpoint_id']}/deliveries/{delivery['delivery_id']}"

    # When its client reads it and replays it
    read = operator.call("GET", path)
    replayed = operator.call("POST", f"{path}/replay")

    # Then the body is the event, sent a second time with the same id and a new delivery id
    assert read.status_code == 200 and replayed.status_code == 200, replayed.body
    assert read.json_body["payload"]["id"] == event_id
    assert (replayed.json_body["attempts"], replayed.json_body["status"]) == (2, "succeeded")
    first, again = receiver.received
    assert first["body"] == again["body"] and json.loads(again["body"])["id"] == event_id
    assert first["headers"]["Guichet-Delivery-Id"] != again["headers"]["Guichet-Delivery-Id"]
    assert signed_by(again, endpoint["secret"])
    # And another client cannot read or replay it; an unknown delivery is not found
    other = Client(client, a_client_id())
    assert_error(other.call("POST", f"{path}/replay"), 404, "not_found")
    assert_error(other.call("GET", path), 404, "not_found")
    unknown = f"{ENDPOINTS}/{endpoint['endpoint_id']}/deliveries/{'0' * 30}"
    assert_error(operator.call("GET", unknown), 404, "not_found")
    assert_error(operator.call("POST", f"{unknown}/replay"), 404, "not_found")
    assert len(receiver.received) == 2


def test_the_log_lists_deliveries_newest_event_first_by_pages(
    client: Any, operator: Client, receiver: Receiver
) -> None:
    endpoint = operator.create(receiver.url(), ["order.paid"])
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for minutes, event_id in enumerate(ids):
        handle(
            client,
            "webhooks_from_invoices",
            order_paid(),
            event_id=event_id,
            at=T0 + timedelta(minutes=minutes),
        )
    base = f"{ENDPOINTS}/{endpoint['endpoint_id']}/deliveries"

    first = operator.call("GET", f"{base}?limit=2").json_body
    second = operator.call("GET", f"{base}?limit=2&cursor={first['next_cursor']}").json_body

    assert [item["event_id"] for item in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None
    # a cursor of another endpoint's log is refused
    other = operator.create(receiver.url("/other"), ["order.paid"])
    response = operator.call(
        "GET", f"{ENDPOINTS}/{other['endpoint_id']}/deliveries?cursor={first['next_cursor']}"
    )
    assert_error(response, 422, "validation_failed", fields=("cursor",))


def test_the_backoff_doubles_from_a_minute_up_to_an_hour() -> None:
    from chalicelib.webhook_deliveries import delay_after

    assert [delay_after(n) / timedelta(minutes=1) for n in range(1, 10)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert delay_after(500) == timedelta(hours=1)
