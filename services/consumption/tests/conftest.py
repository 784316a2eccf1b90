"""Consumption service tests: the real Chalice app on moto, resources from the deployed template.

One moto backend serves the session. Access tokens come from a test signer whose public key is
published where the service reads it; meters arrive through SubscriptionActivated, readings as
CSV files dropped in the ingest bucket (the "Object Created" event S3 sends to EventBridge).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from guichet_local.testing import EventLog, Signer, deliver, load_stage_environment

SERVICE_DIR = Path(__file__).resolve().parents[1]
STACK = "guichet-test"

sys.path.insert(0, str(SERVICE_DIR))
load_stage_environment(
    SERVICE_DIR,
    CONSUMPTION_TABLE_NAME=f"{STACK}-consumption",
    CONSUMPTION_INGEST_BUCKET=f"{STACK}-consumption-ingest-123456789012",
)

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


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer()


@pytest.fixture(scope="session", autouse=True)
def aws(signer: Signer) -> Iterator[None]:
    import os

    from guichet_local.resources import deploy_service_resources
    from moto import mock_aws

    with mock_aws():
        outputs = deploy_service_resources(SERVICE_DIR, STACK)
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
    ) -> str:
        """Deliver SubscriptionActivated as the subscriptions service sends it; the subscription id."""
        subscription_id = uuid.uuid4().hex[:16]
        contract: dict[str, Any] = {
            "contract_number": "C20260000001",
            "offer": offer,
            "payment_mode": payment_mode,
        }
        if family == "electricity":
            contract |= {
                "pdl": pdl,
                "tariff_option": tariff_option,
                "off_peak_hours": off_peak_hours or [],
                "subscribed_power_kva": 6,
            }
        deliver(
            self.client,
            "subscription_activated",
            "guichet.subscriptions",
            "SubscriptionActivated",
            {
                "subscription_id": subscription_id,
                "customer_id": self.customer_id,
                "family": family,
                "product_id": f"{family}-test",
                "status": "active",
                "started_on": started_on,
                "price_cents": price_cents,
                "currency": "EUR",
                "contract": contract,
                "options": {},
                "order_id": None,
                "tariff": tariff if tariff is not None else {"energy_rates_cents_per_kwh": {"base": 19.52}},
            },
        )
        self.subscriptions.append(subscription_id)
        return subscription_id


@pytest.fixture
def customer_factory(client: Any, signer: Signer) -> Any:
    def make() -> Customer:
        customer_id = f"tc{uuid.uuid4().int % 1_000_000:06d}-GU"
        return Customer(customer_id, signer.token(customer_id), client)

    return make


def answer(response: Any) -> Any:
    import json

    return json.loads(response.body)


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
    client.lambda_.invoke("meter_readings_dropped", event)
    stored = boto3.client("s3").get_object(Bucket=settings.ingest_bucket, Key=f"reports/{name}.json")
    return dict(json.loads(stored["Body"].read()))


def meter_of(customer: Customer, subscription_id: str, unit: str = "kWh") -> str:
    meters = answer(customer.call("GET", "/meters"))["items"]
    return next(
        m["meter_id"] for m in meters if m["subscription_id"] == subscription_id and m["unit"] == unit
    )


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
