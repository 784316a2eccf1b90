"""Invoices service tests: the real Chalice app on moto, resources from the deployed template.

One moto backend serves the session. Access tokens come from a test signer whose public key
is published where the service reads it; billing parties arrive through CustomerRegistered.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from guichet_local.testing import REGION, Signer, deliver, load_stage_environment

SERVICE_DIR = Path(__file__).resolve().parents[1]
STACK = "guichet-test"

sys.path.insert(0, str(SERVICE_DIR))
load_stage_environment(
    SERVICE_DIR,
    INVOICES_TABLE_NAME=f"{STACK}-invoices",
    INVOICES_PDF_BUCKET=f"{STACK}-invoices-123456789012",
)


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer()


@pytest.fixture(scope="session", autouse=True)
def aws(signer: Signer) -> Iterator[None]:
    import os

    from guichet_local.resources import deploy_service_resources, verify_mail_sender
    from moto import mock_aws

    with mock_aws():
        outputs = deploy_service_resources(SERVICE_DIR, STACK)
        assert outputs["INVOICES_TABLE_NAME"] == os.environ["INVOICES_TABLE_NAME"]
        assert outputs["INVOICES_PDF_BUCKET"] == os.environ["INVOICES_PDF_BUCKET"]
        verify_mail_sender(os.environ["GUICHET_MAIL_SENDER"])
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


@dataclass
class Customer:
    customer_id: str
    email: str
    token: str
    client: Any

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        import json

        sent = {"authorization": f"Bearer {self.token}", **(headers or {})}
        payload = b""
        if body is not None:
            sent["content-type"] = "application/json"
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.client.http.request(method, path, headers=sent, body=payload)


@pytest.fixture
def customer_factory(client: Any, signer: Signer) -> Any:
    def make(language: str = "fr", **profile: Any) -> Customer:
        customer_id = f"ti{uuid.uuid4().int % 1_000_000:06d}-GU"
        email = f"{customer_id.lower()}@example.org"
        data = {
            "customer_id": customer_id,
            "email": email,
            "first_name": "Test",
            "last_name": "Client",
            "company": None,
            "language": language,
            "address": {
                "line1": "1 rue de la Paix",
                "line2": None,
                "postal_code": "75002",
                "city": "Paris",
                "country": "FR",
            },
            **profile,
        }
        deliver(client, "customer_changed", "guichet.auth", "CustomerRegistered", data)
        return Customer(customer_id, email, signer.token(customer_id), client)

    return make


def order_placed(
    client: Any, customer_id: str, lines: list[dict[str, Any]], order_id: str | None = None
) -> str:
    """Deliver an OrderPlaced as the subscriptions service sends it; returns the order id."""
    order_id = order_id or uuid.uuid4().hex[:16]
    total = sum(line["unit_price_cents"] * line.get("quantity", 1) for line in lines)
    deliver(
        client,
        "order_placed",
        "guichet.subscriptions",
        "OrderPlaced",
        {
            "order_id": order_id,
            "customer_id": customer_id,
            "kind": "purchase",
            "currency": "EUR",
            "total_cents": total,
            "prices_include_tax": True,
            "lines": [
                {
                    "product_id": line.get("product_id", "hosting-linux-100"),
                    "family": line.get("family", "hosting"),
                    "description": line["description"],
                    "quantity": line.get("quantity", 1),
                    "unit": line.get("unit", "month"),
                    "unit_price_cents": line["unit_price_cents"],
                    "total_cents": line["unit_price_cents"] * line.get("quantity", 1),
                    "tax_rate": line.get("tax_rate", "20.0"),
                    **{key: line[key] for key in ("payment_mode", "energy") if key in line},
                }
                for line in lines
            ],
        },
    )
    return order_id


@pytest.fixture
def mailbox() -> Any:
    from guichet_local.mailbox import Mailbox

    return Mailbox(REGION)
