"""Consumption service tests: the real Chalice app on moto, resources from the deployed template.

One moto backend serves the session. Access tokens come from a test signer whose public key is
published where the service reads it; meters arrive through SubscriptionActivated, readings as
CSV files dropped in the ingest bucket (the "Object Created" event S3 sends to EventBridge).
"""

from __future__ import annotations

import itertools
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from guichet_contracts.domain_events.subscriptions import (
    SubscriptionActivated,
    SubscriptionCancelled,
    SubscriptionChanged,
    SubscriptionExpired,
)
from guichet_local.testing import (
    ACCOUNT_ID,
    REGION,
    EventLog,
    Signer,
    a_subscription,
    answer,
    deliver,
    load_stage_environment,
    serialise_aws_calls,
)

SERVICE_DIR = Path(__file__).resolve().parents[1]
STACK = "guichet-test"

sys.path.insert(0, str(SERVICE_DIR))
load_stage_environment(
    SERVICE_DIR,
    CONSUMPTION_TABLE_NAME=f"{STACK}-consumption",
    CONSUMPTION_INGEST_BUCKET=f"{STACK}-consumption-ingest-123456789012",
    GUICHET_EXPORTS_BUCKET=f"{STACK}-exports",
)

ENERGY_RATES = {"base": 19.52, "peak": 20.81, "off_peak": 16.35}
STOCKAGE_TARIFF = {
    "energy_rates_cents_per_kwh": {"base": 19.52, "peak": 20.81, "off_peak": 16.35},
    "battery_capacity_kwh": 300,
    "storage_withdrawal_cents_per_kwh": 9.6,
}
SURPLUS_TARIFF = {
    "energy_rates_cents_per_kwh": {"base": 19.52, "peak": 20.81, "off_peak": 16.35},
    "resale_rate_cents_per_kwh": 10,
}
MOBILE_TARIFF = {
    "allowances": [
        {"unit": "GB", "included": 50},
        {"unit": "min", "included": None},
        {"unit": "sms", "included": None},
    ],
    "out_of_plan_cents": {"GB": 500, "min": 20, "sms": 10},
}

_SERIALS = itertools.count(1)


def new_customer_id(prefix: str = "tc") -> str:
    """A customer id no other test of this process has: the tables live as long as the process,
    and six random digits would collide (over a thousand customers a run, a birthday problem)."""
    return f"{prefix}{next(_SERIALS):06d}-GU"


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer()


@pytest.fixture(scope="session", autouse=True)
def aws(signer: Signer) -> Iterator[None]:
    import os

    from guichet_local.resources import create_exports_bucket, deploy_service_resources
    from guichet_local.testing import emulated_aws

    with emulated_aws():
        outputs = deploy_service_resources(SERVICE_DIR, STACK)
        create_exports_bucket(os.environ["GUICHET_EXPORTS_BUCKET"])
        assert outputs["CONSUMPTION_TABLE_NAME"] == os.environ["CONSUMPTION_TABLE_NAME"]
        assert outputs["CONSUMPTION_INGEST_BUCKET"] == os.environ["CONSUMPTION_INGEST_BUCKET"]
        signer.publish()
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


@pytest.fixture(scope="session")
def published() -> EventLog:
    return EventLog("guichet.consumption")


@dataclass
class Customer:
    customer_id: str
    token: str
    client: Any
    subscriptions: list[str] = field(default_factory=list)

    def call(self, method: str, path: str, headers: dict[str, str] | None = None) -> Any:
        sent = {"authorization": f"Bearer {self.token}", **(headers or {})}
        return self.client.http.request(method, path, headers=sent, body=b"")

    def subscribe(
        self,
        family: str = "electricity",
        *,
        offer: str | None = "base",
        tariff: dict[str, Any] | None = None,
        started_on: str = "2026-01-01",
        pdl: str | None = None,
        tariff_option: str = "base",
        off_peak_hours: list[dict[str, str]] | None = None,
        payment_mode: str = "per_invoice",
        price_cents: int = 1574,
        subscription_id: str | None = None,
        billed_from: str | None = None,
    ) -> str:
        """Deliver SubscriptionActivated as the subscriptions service sends it; the subscription id.
        Given `subscription_id`, the event is about that subscription again (a redelivery); given
        `billed_from`, it is a contract imported from the provider, billed by Guichet from that day."""
        subscription = a_subscription(
            self.customer_id,
            family,
            subscription_id=subscription_id,
            started_on=started_on,
            price_cents=price_cents,
            offer=offer,
            payment_mode=payment_mode,
            pdl=pdl,
            tariff_option=tariff_option,
            off_peak_hours=off_peak_hours,
            tariff=tariff if tariff is not None else {"energy_rates_cents_per_kwh": ENERGY_RATES},
        )
        deliver(
            self.client,
            "subscription_activated",
            SubscriptionActivated(
                subscription=subscription,
                order_id=None,
                origin="import" if billed_from else "order",
                billed_from=date.fromisoformat(billed_from) if billed_from else subscription.started_on,
            ),
        )
        self.subscriptions.append(subscription.subscription_id)
        return str(subscription.subscription_id)

    def cancel(self, subscription_id: str, family: str = "electricity", ended_on: date | None = None) -> None:
        """Deliver SubscriptionCancelled as the subscriptions service sends it (ended today, unless
        `ended_on` says when)."""
        deliver(
            self.client,
            "subscription_cancelled",
            SubscriptionCancelled(
                subscription=a_subscription(
                    self.customer_id, family, subscription_id=subscription_id, status="cancelled"
                ),
                ended_on=ended_on or datetime.now(ZoneInfo("Europe/Paris")).date(),
                immediate=True,
                reason="test",
                refund=None,
            ),
        )

    def expire(self, subscription_id: str, ended_on: date, family: str = "electricity") -> None:
        """Deliver SubscriptionExpired: the period ended without renewal, `ended_on` its last day."""
        deliver(
            self.client,
            "subscription_expired",
            SubscriptionExpired(
                subscription=a_subscription(
                    self.customer_id, family, subscription_id=subscription_id, status="expired"
                ),
                ended_on=ended_on,
            ),
        )

    def change(
        self,
        subscription_id: str,
        effective_on: str,
        family: str = "electricity",
        *,
        started_on: str = "2026-01-01",
        tariff: dict[str, Any] | None = None,
        occurred_at: datetime | None = None,
        **contract: Any,
    ) -> None:
        """Deliver SubscriptionChanged: the subscription as it is now (its new `tariff` and
        `contract` fields: tariff_option, off_peak_hours, price_cents, offer…) from `effective_on`."""
        now = a_subscription(
            self.customer_id,
            family,
            subscription_id=subscription_id,
            started_on=started_on,
            tariff=tariff if tariff is not None else {"energy_rates_cents_per_kwh": ENERGY_RATES},
            **contract,
        )
        deliver(
            self.client,
            "subscription_changed",
            SubscriptionChanged(
                subscription=now,
                effective_on=date.fromisoformat(effective_on),
                previous_product_id=now.product_id,
                previous_name=now.name,
                previous_price_cents=now.price_cents,
                previous_contract=now.contract,
                credit=None,
                charge=None,
            ),
            occurred_at=occurred_at,
        )


@pytest.fixture
def customer_factory(client: Any, signer: Signer) -> Any:
    def make() -> Customer:
        customer_id = new_customer_id()
        return Customer(customer_id, signer.token(customer_id), client)

    return make


def drop_file(client: Any, name: str, content: str | bytes) -> dict[str, Any]:
    """Put a CSV in the ingest bucket under readings/ and deliver the event S3 sends; the report."""
    import json

    import boto3
    from chalicelib.settings import settings

    key = f"readings/{name}"
    body = content.encode() if isinstance(content, str) else content
    boto3.client("s3").put_object(Bucket=settings.ingest_bucket, Key=key, Body=body)
    event = client.events.generate_cw_event(
        source="aws.s3",
        detail_type="Object Created",
        detail={"bucket": {"name": settings.ingest_bucket}, "object": {"key": key, "size": len(body)}},
        resources=[f"arn:aws:s3:::{settings.ingest_bucket}"],
    )
    sent_at = sent_after(body)
    if sent_at is None:
        client.lambda_.invoke("meter_readings_dropped", event)
    else:  # the grid operator sends a file once its last half-hour has ended
        import time_machine

        with time_machine.travel(sent_at, tick=False):
            client.lambda_.invoke("meter_readings_dropped", event)
    stored = boto3.client("s3").get_object(Bucket=settings.ingest_bucket, Key=f"reports/{name}.json")
    return dict(json.loads(stored["Body"].read()))


def sent_after(body: bytes) -> datetime | None:
    """When a file of readings is sent: an hour after the end of its last half-hour (None when no
    row gives a start a test could read; the file is then ingested as of now)."""
    import csv

    starts = []
    for line in body.decode("utf-8", errors="replace").splitlines():
        try:
            start = datetime.fromisoformat(next(csv.reader([line[:1000]]))[1].strip())
        except (IndexError, ValueError, StopIteration, csv.Error):
            continue
        if start.tzinfo is not None and 2000 <= start.year <= 2099:
            starts.append(start)
    return max(starts) + timedelta(minutes=90) if starts else None


def meter_of(customer: Customer, subscription_id: str, unit: str = "kWh") -> str:
    meters = answer(customer.call("GET", "/meters"))["items"]
    return next(
        m["meter_id"] for m in meters if m["subscription_id"] == subscription_id and m["unit"] == unit
    )


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# =============================================================================================
# Helpers of the route, ingestion and job tests.
# =============================================================================================

PREFIX = "/consumption"  # where API Gateway mounts this app; the test client calls it without
PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 11, 23)  # what the routes read as today, unless a test sets another day


@pytest.fixture(autouse=True)
def route_today(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], date]:
    """`set_to(day)`: the routes read `day` as today (chalicelib.api._today); TODAY by default, so
    that no answer depends on the day the suite runs. Events and jobs keep their own clocks."""
    from chalicelib import api

    def set_to(day: date) -> date:
        monkeypatch.setattr(api, "_today", lambda: day)
        return day

    set_to(TODAY)
    return set_to


def new_pdl() -> str:
    """A point of delivery of its own (14 digits): meters live in the session's one table."""
    return f"{uuid.uuid4().int % 10**14:014d}"


def file_name() -> str:
    return f"test-{uuid.uuid4().hex[:12]}.csv"


def drop(client: Any, content: str | bytes) -> dict[str, Any]:
    """`drop_file` under a name of its own; the report."""
    return drop_file(client, file_name(), content)


def local_half_hours(day: date) -> list[datetime]:
    """The starts of the half-hours of a Paris day (46, 48 or 50), as Paris times."""
    first = datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)
    after = datetime.combine(day + timedelta(days=1), time(0), tzinfo=PARIS).astimezone(UTC)
    count = int((after - first) / timedelta(minutes=30))
    return [(first + index * timedelta(minutes=30)).astimezone(PARIS) for index in range(count)]


def rows(meter_id: str, readings: dict[str, Any], direction: str | None = None) -> list[str]:
    """CSV rows `meter_id,start,value[,direction]`, one per {start: value}."""
    suffix = f",{direction}" if direction else ""
    return [f"{meter_id},{start},{value}{suffix}" for start, value in readings.items()]


def csv_file(*lines: str | list[str], header: bool = True) -> str:
    """A meter CSV file of these rows (lists of rows are flattened), with the header by default."""
    flat = [line for part in lines for line in ([part] if isinstance(part, str) else part)]
    return "\n".join((["meter_id,start,value,direction"] if header else []) + flat) + "\n"


def whole_days(meter_id: str, first: date, last: date, value: str = "0.5") -> list[str]:
    """A reading for every half-hour of the days from `first` to `last`."""
    found = []
    day = first
    while day <= last:
        found += [f"{meter_id},{start.isoformat()},{value}" for start in local_half_hours(day)]
        day += timedelta(days=1)
    return found


def ok(response: Any) -> Any:
    """The JSON body of a 200 answer."""
    assert response.status_code == 200, (response.status_code, response.body[:500])
    return answer(response)


def stored_meter(meter_id: str) -> Any:
    from chalicelib.models import Meter, meter_pk

    return Meter.get(meter_pk(meter_id), "METER", consistent_read=True)


def electricity_meter(customer: Customer, **subscription: Any) -> tuple[str, str]:
    """A new electricity subscription of the customer, on a PDL of its own: its meter id (what the
    API names) and its PDL (what the readings name)."""
    pdl = subscription.setdefault("pdl", new_pdl())
    return meter_of(customer, customer.subscribe(**subscription)), pdl


@pytest.fixture
def serialised_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    serialise_aws_calls(monkeypatch)


@pytest.fixture
def own_table() -> Iterator[None]:
    """For this test, the consumption table is empty, as in a fresh deployment; the session's table
    comes back after it (what the test wrote goes with the empty one).

    The monthly close walks every active meter of the table, and moto answers an index Query by
    reading the whole table: a job test on the session's table would close the months of every
    meter the suite made, and take seconds to do it."""
    import copy
    import os
    from collections import defaultdict

    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[ACCOUNT_ID][REGION]
    name = os.environ["CONSUMPTION_TABLE_NAME"]
    session_table = backend.tables[name]
    fresh = copy.copy(session_table)
    fresh.items = defaultdict(dict)
    backend.tables[name] = fresh
    try:
        yield
    finally:
        backend.tables[name] = session_table


def forget_job_mark() -> None:
    """close_month forgets the last month it covered (its next run closes the month before)."""
    from chalicelib.models import JobRun

    JobRun("JOB#close_month", "JOB").delete()


def job_ran_until(month: str) -> None:
    """As if close_month had closed every month until `month` included."""
    from chalicelib.models import JobRun

    JobRun("JOB#close_month", "JOB", covered_until=month).save()


@pytest.fixture
def fresh_jobs(own_table: None) -> Iterator[None]:
    """Jobs are global: each job test runs on a table of its own, at months of its own (years
    from 2040), and close_month starts from no mark."""
    forget_job_mark()
    yield
    forget_job_mark()


def close_month(at: str) -> dict[str, int]:
    """Run the monthly job as of `at` (a Paris time, e.g. "2041-04-01T03:00")."""
    from chalicelib.closing import close_month as run

    return run(now=datetime.fromisoformat(at).replace(tzinfo=PARIS).astimezone(UTC))


@pytest.fixture(scope="session")
def openapi_document(app: Any) -> dict[str, Any]:
    """The document the service serves at GET /consumption/openapi.json."""
    from chalice.test import Client

    with Client(app, stage_name="local", project_dir=str(SERVICE_DIR)) as own:
        response = own.http.get("/openapi.json")
    assert response.status_code == 200, response.body
    return dict(answer(response))


def assert_documented(document: dict[str, Any], method: str, route: str, response: Any) -> None:
    """The answer's status is documented for this route (path as the app routes it) and its JSON
    body validates (resolving $ref) against the schema the document gives for that status."""
    from jsonschema import Draft202012Validator

    operation = document["paths"][(PREFIX + route).rstrip("/")][method.lower()]
    documented = operation["responses"]
    status = str(response.status_code)
    assert status in documented, (method, route, status, sorted(documented), response.body[:300])
    content = documented[status].get("content")
    if content is None:
        return  # the document itself, whose schema is OpenAPI's
    # a dict answer leaves as JSON without a header in the test client (API Gateway adds it)
    media_type = response.headers.get("Content-Type", "application/json").split(";")[0].strip()
    assert media_type in content, (method, route, status, media_type, sorted(content))
    if media_type != "application/json":
        return
    schema = {"components": document["components"], **content["application/json"]["schema"]}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = [
        f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(answer(response))
    ]
    assert not problems, (method, route, status, problems)


def new_client(app: Any) -> Any:
    """A test client of its own (for module-scoped fixtures)."""
    from chalice.test import Client

    return Client(app, stage_name="local", project_dir=str(SERVICE_DIR))


def register(client: Any, signer: Signer) -> Customer:
    """What `customer_factory` makes, on a client of the caller's (for module-scoped fixtures)."""
    customer_id = new_customer_id("tm")
    return Customer(customer_id, signer.token(customer_id), client)
