"""Subscriptions service tests: the real Chalice app on moto, resources from the deployed template.

One moto backend serves the session. Access tokens are signed here with a test key whose
public half is published where the service reads it (the auth service's JWKS secret), so
the service verifies them exactly as in production. Customers are made unique per test.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from guichet_contracts.domain_events.auth import CustomerRegistered, CustomerUpdated
from guichet_contracts.domain_events.invoices import OrderPaid
from guichet_local.testing import (
    EventLog,
    Signer,
    answer,
    deliver,
    serialise_aws_calls,
    serving_from_threads,
    together,
)

SERVICE_DIR = Path(__file__).resolve().parents[1]
STACK = "guichet-test"
REGION = "eu-west-3"

sys.path.insert(0, str(SERVICE_DIR))
_config = json.loads((SERVICE_DIR / ".chalice" / "config.json").read_text())
os.environ.update(_config["environment_variables"])
os.environ.update(_config["stages"]["local"]["environment_variables"])
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "SUBSCRIPTIONS_TABLE_NAME": f"{STACK}-subscriptions",
        "SUBSCRIPTIONS_DOCUMENTS_BUCKET": f"{STACK}-documents-123456789012",
        "GUICHET_EXPORTS_BUCKET": f"{STACK}-exports",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)


SIGNER = Signer()  # the session's signing key, for tests that sign a token at another time

_SERIALS = itertools.count(1)


def new_customer_id(prefix: str = "tc") -> str:
    """A customer id no other test of this process has: the tables live as long as the process,
    and six random digits would collide (over a thousand customers a run, a birthday problem)."""
    return f"{prefix}{next(_SERIALS):06d}-GU"


@pytest.fixture(scope="session")
def signer() -> Signer:
    return SIGNER


@pytest.fixture(scope="session", autouse=True)
def aws(signer: Signer) -> Iterator[None]:
    import boto3
    from guichet_local.resources import create_exports_bucket, deploy_service_resources, verify_mail_sender
    from guichet_local.testing import emulated_aws

    with emulated_aws():
        outputs = deploy_service_resources(SERVICE_DIR, STACK)
        create_exports_bucket(os.environ["GUICHET_EXPORTS_BUCKET"])
        assert outputs["SUBSCRIPTIONS_TABLE_NAME"] == os.environ["SUBSCRIPTIONS_TABLE_NAME"]
        assert outputs["SUBSCRIPTIONS_DOCUMENTS_BUCKET"] == os.environ["SUBSCRIPTIONS_DOCUMENTS_BUCKET"]
        verify_mail_sender(os.environ["GUICHET_MAIL_SENDER"])
        boto3.client("secretsmanager").create_secret(
            Name=os.environ["GUICHET_JWT_PUBLIC_KEYS_SECRET"], SecretString=json.dumps(signer.jwks)
        )
        yield


@pytest.fixture(scope="session")
def app() -> Any:
    from app import app as chalice_app

    return chalice_app


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from chalice.test import Client

    with Client(app, stage_name="local", project_dir=str(SERVICE_DIR)) as test_client:
        yield test_client


@dataclass
class Customer:
    """A customer known to the service (its copy came through CustomerRegistered) and its token."""

    customer_id: str
    email: str
    token: str
    client: Any

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        sent = {"authorization": f"Bearer {self.token}", **(headers or {})}
        payload = b""
        if body is not None:
            sent["content-type"] = "application/json"
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = self.client.http.request(method, path, headers=sent, body=payload)
        assert_answer_documented(method, path, response)
        return response


@pytest.fixture
def customer_factory(client: Any, signer: Signer) -> Any:
    def make(language: str = "fr", address: dict[str, str] | bool | None = True, **profile: Any) -> Customer:
        """A customer; `address=None` for one without a postal address."""
        customer_id = new_customer_id()
        email = f"{customer_id.lower()}@example.org"
        data = {
            "customer_id": customer_id,
            "email": email,
            "first_name": "Test",
            "last_name": "Client",
            "company": None,
            "phone": "+33612345678",
            "language": language,
            "external_id": None,
            "siren": None,
            "siret": None,
            "vat_number": None,
            "backup_email": None,
            "address": address
            if address is not True
            else {
                "line1": "1 rue de la Paix",
                "line2": None,
                "postal_code": "75002",
                "city": "Paris",
                "country": "FR",
            },
            **profile,
        }
        deliver(client, "customer_changed", CustomerRegistered(**data))
        return Customer(customer_id, email, signer.token(customer_id), client)

    return make


@pytest.fixture
def mailbox() -> Any:
    from guichet_local.mailbox import Mailbox

    return Mailbox(REGION)


# =============================================================================================
# Helpers of the service's route, lifecycle, job and contract tests.
# =============================================================================================

PREFIX = "/subscriptions"  # where API Gateway mounts this app; the test client calls it without
DEFAULT_ADDRESS = {
    "line1": "1 rue de la Paix",
    "line2": None,
    "postal_code": "75002",
    "city": "Paris",
    "country": "FR",
}


def register_customer(
    client: Any, signer: Signer, language: str = "fr", address: dict[str, Any] | None = None, **profile: Any
) -> Customer:
    """What `customer_factory` makes, for fixtures that live longer than one test."""
    customer_id = new_customer_id()
    email = f"{customer_id.lower()}@example.org"
    data = {
        "customer_id": customer_id,
        "external_id": None,
        "siren": None,
        "siret": None,
        "vat_number": None,
        "backup_email": None,
        "email": email,
        "first_name": "Test",
        "last_name": "Client",
        "company": None,
        "phone": "+33612345678",
        "language": language,
        "address": DEFAULT_ADDRESS if address is None else address,
        **profile,
    }
    deliver(client, "customer_changed", CustomerRegistered(**data))
    return Customer(customer_id, email, signer.token(customer_id), client)


def update_customer(customer: Customer, **changes: Any) -> None:
    """auth's CustomerUpdated for this customer (the service keeps the newest copy)."""
    data = {
        "customer_id": customer.customer_id,
        "external_id": None,
        "siren": None,
        "siret": None,
        "vat_number": None,
        "backup_email": None,
        "email": customer.email,
        "first_name": "Test",
        "last_name": "Client",
        "company": None,
        "phone": "+33612345678",
        "language": "fr",
        "address": DEFAULT_ADDRESS,
        **changes,
    }
    deliver(customer.client, "customer_changed", CustomerUpdated(**data, changed=sorted(changes)))


def idempotency_key() -> dict[str, str]:
    return {"idempotency-key": uuid.uuid4().hex}


def place_order(customer: Customer, items: list[dict[str, Any]], key: str | None = None) -> Any:
    """POST /orders with these lines (a fresh Idempotency-Key unless one is given)."""
    headers = {"idempotency-key": key} if key is not None else idempotency_key()
    return customer.call("POST", "/orders", {"items": items}, headers=headers)


def order_paid(customer: Customer, order_id: str) -> OrderPaid:
    """The invoices service's OrderPaid for this order."""
    return OrderPaid(
        order_id=order_id,
        customer_id=customer.customer_id,
        invoice_id=None,
        amount_paid_cents=0,
        currency="EUR",
        settled_by="nothing_due",
    )


def pay(customer: Customer, order_id: str, event_id: str | None = None) -> None:
    """The invoices service's OrderPaid for this order, as EventBridge delivers it."""
    deliver(customer.client, "order_paid", order_paid(customer, order_id), event_id=event_id)


def order_and_pay_many(
    customer: Customer, lines: list[tuple[str, str, dict[str, Any] | None]]
) -> list[dict[str, Any]]:
    """One order of these (product_id, label, options) lines, paid: the subscriptions it made, in order."""
    placed = place_order(
        customer,
        [
            {"product_id": product, "label": label, "options": options or {}}
            for product, label, options in lines
        ],
    )
    assert placed.status_code == 201, placed.body
    order_id = answer(placed)["order_id"]
    pay(customer, order_id)
    completed = answer(customer.call("GET", f"/orders/{order_id}"))
    assert completed["status"] == "completed", completed
    return [answer(customer.call("GET", f"/{line['subscription_id']}")) for line in completed["items"]]


def order_and_pay(
    customer: Customer, product_id: str, label: str, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Order one product and pay for it: the subscription it made (with contract and settings)."""
    return order_and_pay_many(customer, [(product_id, label, options)])[0]


def subscription_of(customer: Customer, subscription_id: str) -> dict[str, Any]:
    response = customer.call("GET", f"/{subscription_id}")
    assert response.status_code == 200, response.body
    return dict(answer(response))


def orders_of(customer: Customer) -> list[dict[str, Any]]:
    response = customer.call("GET", "/orders")
    assert response.status_code == 200, response.body
    return list(answer(response)["items"])


def set_renewal(customer: Customer, subscription_id: str, renews_on: Any) -> None:
    """Stands in for the passage of time: the subscription's paid period now ends on `renews_on`.

    The stored item is changed as the service would have written it (its `renewals` index keys
    follow the date), so the daily jobs find it on that day.
    """
    from chalicelib.models import Subscription, customer_pk
    from chalicelib.subscriptions import renewal_keys

    item = Subscription.get(customer_pk(customer.customer_id), f"SUB#{subscription_id}")
    day = renews_on.isoformat()
    renews_pk, renews_sk = renewal_keys(subscription_id, customer.customer_id, day, item.status)
    item.update(
        actions=[
            Subscription.renews_on.set(day),
            Subscription.renews_pk.set(renews_pk) if renews_pk else Subscription.renews_pk.remove(),
            Subscription.renews_sk.set(renews_sk) if renews_sk else Subscription.renews_sk.remove(),
        ]
    )


def mails_to(mailbox: Any, address: str, containing: str = "") -> list[dict[str, Any]]:
    """Mails sent to `address` whose subject contains `containing`, newest first (as `mailbox.items()`
    gives them; only the messages SES sent to that address are parsed, the session sends hundreds)."""
    from moto.ses.models import ses_backends

    sent = ses_backends[mailbox.account_id][mailbox.region].sent_messages
    mine = [
        message for message in reversed(sent) if address in (getattr(message, "destinations", None) or [])
    ]
    return [
        item
        for item in (mailbox._item(message) for message in mine)
        if item["to"] == address and containing in item["subject"]
    ]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def forget_job_marks() -> None:
    """The daily jobs forget the last day they covered: their next run covers the week before it,
    as a first run does (or as a run that overlaps another one, or whose mark was lost)."""
    from chalicelib.models import JobRun

    for name in ("renewal_reminders", "expire_and_renew"):
        JobRun(f"JOB#{name}", "JOB").delete()


def job_ran_until(job: str, day: Any) -> None:
    """As if the daily job `job` (renewal_reminders, expire_and_renew) had run every day until `day`
    included: its next run covers the days after. Runs of a job cost one renewal-index query per
    covered day (and moto answers an index query by reading the whole table), so tests start the
    job where they need it rather than replaying months."""
    from chalicelib.models import JobRun

    JobRun(f"JOB#{job}", "JOB", covered_until=day.isoformat()).save()


@pytest.fixture
def fresh_jobs() -> Iterator[None]:
    """Jobs are global and each test drives them at dates of its own (a year of its own, so that
    no other test's subscription is due then); without this, a test run at an earlier date than a
    previous one would find its days already covered."""
    forget_job_marks()
    yield
    forget_job_marks()


@pytest.fixture
def serialised_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    serialise_aws_calls(monkeypatch)


@pytest.fixture
def concurrent_app(app: Any, serialised_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The app serves requests from several threads at once, as several Lambda containers do;
    returns `together(*calls)`: the calls started together from threads, their results in order."""
    with serving_from_threads(app, monkeypatch):
        yield together


def new_client(app: Any) -> Any:
    """A test client of its own: for one thread of `concurrent_app`, or a module-scoped fixture."""
    from chalice.test import Client

    return Client(app, stage_name="local", project_dir=str(SERVICE_DIR))


class DynamoCalls:
    """DynamoDB requests made through PynamoDB, by operation; the items Query and Scan returned;
    the string values the queries asked for (their keys)."""

    def __init__(self) -> None:
        from collections import Counter

        self.requests: Counter[str] = Counter()
        self.items_read = 0
        self.queried_keys: list[str] = []

    def reset(self) -> None:
        self.requests.clear()
        self.items_read = 0
        self.queried_keys.clear()

    @property
    def total(self) -> int:
        return sum(self.requests.values())


@pytest.fixture
def dynamo_calls(monkeypatch: pytest.MonkeyPatch) -> DynamoCalls:
    """Counts DynamoDB requests and items read at PynamoDB's connection (the hook of bench/harness.py)."""
    from pynamodb.connection.base import Connection

    calls = DynamoCalls()
    original = Connection._make_api_call

    def counting(
        connection: Any, operation_name: str, operation_kwargs: Any, *args: Any, **kwargs: Any
    ) -> Any:
        calls.requests[operation_name] += 1
        result = original(connection, operation_name, operation_kwargs, *args, **kwargs)
        if operation_name in ("Query", "Scan"):
            calls.items_read += int(result.get("ScannedCount", result.get("Count", 0)))
            values = operation_kwargs.get("ExpressionAttributeValues", {})
            calls.queried_keys += [value["S"] for value in values.values() if "S" in value]
        return result

    monkeypatch.setattr(Connection, "_make_api_call", counting)
    return calls


@pytest.fixture(scope="session")
def published() -> EventLog:
    return EventLog("guichet.subscriptions")


@pytest.fixture(scope="session")
def openapi_document(app: Any) -> dict[str, Any]:
    """The document the service serves at GET /subscriptions/openapi.json."""
    from chalice.test import Client

    response = Client(app, stage_name="local", project_dir=str(SERVICE_DIR)).http.get("/openapi.json")
    assert response.status_code == 200, response.body
    return dict(answer(response))


@functools.cache
def _served_document() -> dict[str, Any]:
    from chalicelib.openapi import document

    return document()


def assert_answer_documented(method: str, path: str, response: Any) -> None:
    """Every answer a test gets, when its route documents its status, validates against the
    document: the response models describe every answer the tests see, not a chosen few."""
    from guichet_contracts.openapi import route_of

    route = route_of(_served_document(), "subscriptions", path, method=method, status=response.status_code)
    if route is not None:
        assert_documented(_served_document(), method, route, response)


def assert_documented(document: dict[str, Any], method: str, path: str, response: Any) -> None:
    """The answer's status is documented for this route (path as the app routes it) and its JSON
    body validates against the schema the document gives for that status."""
    from jsonschema import Draft202012Validator

    operation = document["paths"][(PREFIX + path).rstrip("/")][method.lower()]
    documented = operation["responses"]
    status = str(response.status_code)
    assert status in documented, (method, path, status, sorted(documented), response.body[:300])
    content = documented[status].get("content")
    if content is None:
        assert not response.body, (method, path, "an answer without a documented body", response.body[:300])
        return
    schema = {"components": document["components"], **content["application/json"]["schema"]}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = [
        f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(answer(response))
    ]
    assert not problems, (method, path, status, problems)


@pytest.fixture
def route_clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """`set_to(moment)`: the routes read this moment as now (chalicelib.api._now), so that slots and
    bookings are checked against a chosen date; jobs and events keep their own clocks."""
    from chalicelib import api

    def set_to(moment: datetime) -> datetime:
        monkeypatch.setattr(api, "_now", lambda: moment)
        return moment

    return set_to


def electricity_options(**changes: Any) -> dict[str, Any]:
    """The options of an electricity order at 9 kVA on the off-peak option, on a point of delivery
    of its own (a point is supplied under one contract at a time), typed with spaces as a customer
    would: the service keeps its 14 digits."""
    digits = f"{uuid.uuid4().int % 10**14:014d}"
    return {
        "pdl": f"{digits[:4]} {digits[4:8]} {digits[8:12]} {digits[12:]}",
        "subscribed_power_kva": 9,
        "tariff_option": "off_peak",
        "off_peak_hours": [{"start": "23h00", "end": "07:00"}],
        **changes,
    }
