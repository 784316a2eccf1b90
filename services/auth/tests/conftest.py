"""Auth service tests: the real Chalice app on moto, resources from the deployed template.

One moto backend serves the whole session (tables and keys are made once); tests stay
independent by each registering their own customers.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from guichet_local.testing import serialise_aws_calls

SERVICE_DIR = Path(__file__).resolve().parents[1]
STACK = "guichet-test"
PASSWORD = "correct horse battery staple 42"

sys.path.insert(0, str(SERVICE_DIR))
_config = json.loads((SERVICE_DIR / ".chalice" / "config.json").read_text())
os.environ.update(_config["environment_variables"])
os.environ.update(_config["stages"]["local"]["environment_variables"])
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AUTH_TABLE_NAME": f"{STACK}-auth",
        "GUICHET_EXPORTS_BUCKET": f"{STACK}-exports",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture(scope="session", autouse=True)
def aws() -> Iterator[None]:
    from guichet_local.resources import create_exports_bucket, deploy_service_resources
    from guichet_local.testing import emulated_aws

    with emulated_aws():
        outputs = deploy_service_resources(SERVICE_DIR, STACK)
        assert outputs["AUTH_TABLE_NAME"] == os.environ["AUTH_TABLE_NAME"]
        create_exports_bucket(os.environ["GUICHET_EXPORTS_BUCKET"])
        import boto3

        boto3.client("ses").verify_email_identity(EmailAddress="no-reply@guichet.test")
        yield


@pytest.fixture(scope="module", autouse=True)
def empty_table_after_each_module() -> Iterator[None]:
    """Remove every item when a test module ends. Tests never share items across modules, and
    moto copies the whole table on each transaction: a table that only grows slows the tier."""
    yield
    import boto3

    table = boto3.resource("dynamodb").Table(os.environ["AUTH_TABLE_NAME"])
    scan: dict[str, Any] = {"ProjectionExpression": "pk, sk"}
    with table.batch_writer() as batch:
        while True:
            page = table.scan(**scan)
            for key in page["Items"]:
                batch.delete_item(Key={"pk": key["pk"], "sk": key["sk"]})
            if "LastEvaluatedKey" not in page:
                break
            scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.fixture(scope="session")
def app() -> Any:
    from app import app as chalice_app

    return chalice_app


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from chalice.test import Client

    with Client(app, stage_name="local", project_dir=str(SERVICE_DIR)) as test_client:
        yield test_client


class Mailbox:
    """What SES (moto) has sent, parsed like a mail client would (each message once per session)."""

    _parsed: dict[int, tuple[str, dict[str, str]] | None] = {}

    def messages(self, to: str) -> list[dict[str, str]]:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        found = []
        for message in ses_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].sent_messages:
            if id(message) not in self._parsed:  # moto keeps every message: ids stay theirs
                self._parsed[id(message)] = self._parse(message)
            parsed = self._parsed[id(message)]
            if parsed is None or to.lower() not in parsed[0]:
                continue
            found.append(dict(parsed[1]))
        return found

    @staticmethod
    def _parse(message: Any) -> tuple[str, dict[str, str]] | None:
        raw = getattr(message, "raw_data", None)
        if raw is None:
            return None
        parsed = message_from_bytes(raw.encode() if isinstance(raw, str) else raw, policy=policy.default)
        parts = {
            part.get_content_type(): part.get_payload(decode=True).decode()
            for part in parsed.walk()
            if not part.is_multipart()
        }
        return parsed["To"].lower(), {
            "subject": str(parsed["Subject"]),
            "text": parts.get("text/plain", ""),
            "html": parts.get("text/html", ""),
        }

    def last(self, to: str) -> dict[str, str]:
        messages = self.messages(to)
        assert messages, f"no email to {to}"
        return messages[-1]


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


def unique_email(tag: str = "client") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.org"


# --- helpers of the route tests ------------------------------------------------------------

JSON = {"content-type": "application/json"}
CUSTOMER_ID = re.compile(r"^[a-z]{2}[0-9]{6}-[A-Z0-9]{2,10}$")


def bearer(access_token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {access_token}"}


def call(
    client: Any,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """One request through the Chalice test client; `body` is JSON-encoded unless it is str/bytes."""
    sent = dict(JSON)
    if token:
        sent.update(bearer(token))
    sent.update(headers or {})
    raw = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
    return client.http.request(method, path, headers=sent, body=raw if raw is not None else b"")


def assert_error(response: Any, status: int, code: str, *, fields: tuple[str, ...] = ()) -> dict[str, Any]:
    """The response is the error body of API.md with this status and code (and names these fields)."""
    assert response.status_code == status, (response.status_code, response.body)
    body = json.loads(response.body)
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"].strip(), error
    assert "Traceback" not in response.body.decode()
    for name in fields:  # "roles" is named by "roles" or by "roles.0" (the first wrong item)
        named = error.get("fields", {})
        assert any(key == name or key.startswith(f"{name}.") for key in named), (name, error)
    return error


def link_token(message: dict[str, str], portal_path: str) -> str:
    """The token of the portal link `portal_path?token=…` in a mail's text and HTML parts."""
    found = re.search(rf"/{re.escape(portal_path)}\?token=([\w-]+)", message["text"])
    assert found, f"no {portal_path} link in {message['text']!r}"
    assert found.group(1) in message["html"]
    return found.group(1)


_PHONE_SERIALS = itertools.count(1)


def unique_phone() -> tuple[str, str]:
    """A valid French mobile number nobody has yet: (national form with spaces, E.164)."""
    digits = f"{next(_PHONE_SERIALS):06d}"
    national = f"06 12 {digits[:2]} {digits[2:4]} {digits[4:]}"
    return national, f"+33612{digits}"


def subject(template: str, language: str = "en") -> str:
    """The subject line of one of the service's email templates."""
    from guichet_contracts import mail

    return mail.subject(SERVICE_DIR / "chalicelib" / "templates", template, language)


def subjects(mailbox: Mailbox, to: str) -> list[str]:
    return [message["subject"] for message in mailbox.messages(to)]


@dataclass
class Customer:
    customer_id: str
    email: str
    password: str
    access_token: str
    refresh_token: str
    session_id: str


def registration(email: str | None = None, **fields: Any) -> dict[str, Any]:
    """A valid registration body (English, so that mails read in English)."""
    return {
        "email": email or unique_email(),
        "password": PASSWORD,
        "first_name": "Élodie",
        "last_name": "Œuvray",
        "language": "en",
        **fields,
    }


def register(client: Any, mailbox: Mailbox, **fields: Any) -> tuple[str, str, str]:
    """Register; returns (customer id, email, the verification token of the mail)."""
    body = registration(**fields)
    response = call(client, "POST", "/register", body)
    assert response.status_code == 201, response.body
    email = response.json_body["email"]
    return response.json_body["customer_id"], email, link_token(mailbox.last(email), "verify-email")


def verify(client: Any, token: str) -> None:
    response = call(client, "POST", "/verify-email", {"token": token})
    assert response.status_code == 200, response.body


def login(client: Any, login_name: str, password: str = PASSWORD, **headers: str) -> Any:
    return call(client, "POST", "/login", {"login": login_name, "password": password}, headers=headers)


def tokens_of(client: Any, login_name: str, password: str = PASSWORD) -> dict[str, Any]:
    response = login(client, login_name, password)
    assert response.status_code == 200, response.body
    return response.json_body


def new_customer(client: Any, mailbox: Mailbox, **fields: Any) -> Customer:
    """Register, verify the email with the mailed link and log in."""
    customer_id, email, token = register(client, mailbox, **fields)
    verify(client, token)
    pair = tokens_of(client, email, fields.get("password", PASSWORD))
    return Customer(
        customer_id=customer_id,
        email=email,
        password=fields.get("password", PASSWORD),
        access_token=pair["access_token"],
        refresh_token=pair["refresh_token"],
        session_id=pair["session_id"],
    )


@pytest.fixture
def customer(client: Any, mailbox: Mailbox) -> Customer:
    return new_customer(client, mailbox)


@pytest.fixture
def other_customer(client: Any, mailbox: Mailbox) -> Customer:
    return new_customer(client, mailbox, first_name="Bruno", last_name="Costa")


def operator_token(*scopes: str, operator_id: str = "crm:sync") -> str:
    """An operator token (guichet_contracts.operator_tokens) signed with the service's own key."""
    from chalicelib import token_signing
    from chalicelib.settings import settings
    from guichet_contracts import operator_tokens

    key = token_signing.signing_key()
    return operator_tokens.sign(
        key.private_key,
        kid=key.kid,
        issuer=settings.jwt_issuer,
        audience=settings.operator_audience,
        operator_id=operator_id,
        scopes=list(scopes),
        now=datetime.now(UTC),
    )


def profile(client: Any, someone: Customer) -> dict[str, Any]:
    response = call(client, "GET", "/me", token=someone.access_token)
    assert response.status_code == 200, response.body
    return dict(response.json_body)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def serialised_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    serialise_aws_calls(monkeypatch)


@pytest.fixture
def no_forgot_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """The forgot-password answer waits 0.4 s on purpose (timing); tests that only need its mail skip it."""
    from chalicelib import credentials

    monkeypatch.setattr(credentials, "_FORGOT_FLOOR_SECONDS", 0)


# --- the OpenAPI document as the judge of answers -------------------------------------------


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    from chalicelib.openapi import document

    return document()


def assert_documented(method: str, path: str, response: Any) -> None:
    """The answer's status is documented for this route and its JSON body matches the schema."""
    from jsonschema import Draft202012Validator

    document = openapi_document()
    operation = document["paths"][f"/auth{path}"][method.lower()]
    documented = operation["responses"]
    assert str(response.status_code) in documented, (method, path, response.status_code, sorted(documented))
    content = documented[str(response.status_code)].get("content")
    if content is None:
        return
    schema = {"components": document["components"], **content["application/json"]["schema"]}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [
        f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(response.json_body)
    ]
    assert not errors, (method, path, errors)


# Counted, not drawn: random ones collide over a run's thousands of calls.
_ADDRESS_SERIALS = itertools.count(1)


@pytest.fixture(autouse=True)
def client_address(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Each test's requests come from an address of its own (the routes throttle failed logins
    per client address, and the test client says 127.0.0.1 for every request of the session);
    `client_address(ip)` moves the following requests to another one."""
    from chalice.local import LambdaEventConverter

    def move_to(ip: str) -> str:
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)
        return ip

    serial = next(_ADDRESS_SERIALS)
    move_to(f"10.{serial // 64516 % 256}.{serial // 254 % 254 + 1}.{serial % 254 + 1}")
    return move_to


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The routes' clock stopped on a whole second: login locks last whole seconds, so a test of
    them does not depend on when in the second it runs."""
    from chalicelib import api

    moment = datetime.now(UTC).replace(microsecond=0)
    monkeypatch.setattr(api, "_now", lambda: moment)
    return moment


def documented_routes() -> list[Any]:
    """The routes of chalicelib/openapi.py ROUTES, each with method, path, protected, body, responses."""
    from types import SimpleNamespace

    from chalicelib.openapi import ROUTES

    names = ("method", "path", "summary", "protected", "body", "responses")
    return [
        route if hasattr(route, "method") else SimpleNamespace(**dict(zip(names, route, strict=True)))
        for route in ROUTES
    ]


def run_schedule(client: Any, function: str, at: datetime) -> Any:
    """Run a scheduled function of the app as EventBridge would fire it at `at`; its payload."""
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    event["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return client.lambda_.invoke(function, event).payload
