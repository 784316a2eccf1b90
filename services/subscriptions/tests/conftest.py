"""Subscriptions service tests: the real Chalice app on moto, resources from the deployed template.

One moto backend serves the session. Access tokens are signed here with a test key whose
public half is published where the service reads it (the auth service's JWKS secret), so
the service verifies them exactly as in production. Customers are made unique per test.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

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
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)


class Signer:
    """Signs access tokens as the auth service does (ES256, kid, typ at+jwt, every claim)."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec
        from jwt.algorithms import ECAlgorithm

        self.key = ec.generate_private_key(ec.SECP256R1())
        self.kid = "test-key"
        jwk = json.loads(ECAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": self.kid, "alg": "ES256", "use": "sig"}]}

    def token(self, customer_id: str, **overrides: Any) -> str:
        import jwt

        now = int(time.time())
        claims = {
            "iss": os.environ["GUICHET_JWT_ISSUER"],
            "aud": os.environ["GUICHET_JWT_AUDIENCE"],
            "sub": customer_id,
            "sid": uuid.uuid4().hex,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + 900,
            **overrides,
        }
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": self.kid, "typ": "at+jwt"})


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer()


@pytest.fixture(scope="session", autouse=True)
def aws(signer: Signer) -> Iterator[None]:
    import boto3
    from guichet_local.resources import deploy_service_resources, verify_mail_sender
    from moto import mock_aws

    with mock_aws():
        outputs = deploy_service_resources(SERVICE_DIR, STACK)
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
        return self.client.http.request(method, path, headers=sent, body=payload)


def deliver(
    client: Any,
    handler: str,
    source: str,
    detail_type: str,
    data: dict[str, Any],
    event_id: str | None = None,
) -> Any:
    """Deliver one event of the envelope of guichet_contracts.events to a handler, as EventBridge would."""
    detail = {
        "event_id": event_id or str(uuid.uuid4()),
        "version": 1,
        "occurred_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "data": data,
    }
    event = client.events.generate_cw_event(
        source=source, detail_type=detail_type, detail=detail, resources=[]
    )
    return client.lambda_.invoke(handler, event)


@pytest.fixture
def customer_factory(client: Any, signer: Signer) -> Any:
    def make(language: str = "fr", address: dict[str, str] | None = None, **profile: Any) -> Customer:
        customer_id = f"tc{uuid.uuid4().int % 1_000_000:06d}-GU"
        email = f"{customer_id.lower()}@example.org"
        data = {
            "customer_id": customer_id,
            "email": email,
            "first_name": "Test",
            "last_name": "Client",
            "company": None,
            "phone": "+33612345678",
            "language": language,
            "address": address
            if address is not None
            else {
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


@pytest.fixture
def mailbox() -> Any:
    from guichet_local.mailbox import Mailbox

    return Mailbox(REGION)
