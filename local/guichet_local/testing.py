"""Test support shared by the services' test suites (never packaged with a service).

- `emulated_aws`: moto in this process, with the emulator's speed-ups;
- `load_stage_environment`: a service's `local` stage variables from its .chalice/config.json,
  plus moto's fake credentials, as the local runtime gives them;
- `Signer`: signs access tokens exactly as the auth service does (ES256, kid, typ at+jwt,
  every claim), so a service under test verifies them through its real code path;
- `deliver`: hands one domain event, in the envelope of guichet_contracts.events, to a Chalice
  event handler, as EventBridge would (`deliver_detail`: any detail, malformed ones included);
- `EventLog`: the events a service published, read from an SQS queue that an EventBridge rule on
  its source feeds (as the services that consume them receive them);
- `routed_operations`, `documented_operations`, `schema_refs`: what a service's OpenAPI tests
  compare (the app's routes, the document's operations, the `$ref`s it uses);
- `serialise_aws_calls`, `together`, `serving_from_threads`: concurrency tests, with each AWS
  call atomic as on AWS and the app serving several threads as several Lambda containers do;
- `answer`, `assert_error`, `assert_valid_openapi`: what a test client's answer says, checked
  against the error body and the OpenAPI 3.1 rules of API.md.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REGION = "eu-west-3"
ACCOUNT_ID = "123456789012"


@contextmanager
def emulated_aws() -> Iterator[None]:
    """moto in this process, as the services' tests use it, with the speed-ups of the local
    runtime's emulator (the same answers: emulator.py, tests/test_emulator.py); without them a
    transaction copies every table first, a third of the services' tests' time."""
    from moto import mock_aws

    from .emulator import speed_up

    speed_up()
    with mock_aws():
        yield


def load_stage_environment(service_dir: Path, **overrides: str) -> None:
    config = json.loads((service_dir / ".chalice" / "config.json").read_text())
    os.environ.update(config["environment_variables"])
    os.environ.update(config["stages"]["local"]["environment_variables"])
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            **overrides,
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)


class Signer:
    """Signs access tokens as the auth service does, with a key of its own."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec
        from jwt.algorithms import ECAlgorithm

        self.key = ec.generate_private_key(ec.SECP256R1())
        self.kid = f"test-{uuid.uuid4().hex[:8]}"
        jwk = json.loads(ECAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": self.kid, "alg": "ES256", "use": "sig"}]}

    def publish(self) -> None:
        """Put the public key where services read it (the auth service's JWKS secret)."""
        import boto3

        boto3.client("secretsmanager").create_secret(
            Name=os.environ["GUICHET_JWT_PUBLIC_KEYS_SECRET"], SecretString=json.dumps(self.jwks)
        )

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

    def operator_token(self, *scopes: str, operator_id: str = "ops:camille") -> str:
        """An operator token for these scopes, signed as `make operator-token` signs one."""
        from guichet_contracts import operator_tokens

        return operator_tokens.sign(
            self.key,
            kid=self.kid,
            issuer=os.environ["GUICHET_JWT_ISSUER"],
            audience=os.environ["GUICHET_OPERATOR_AUDIENCE"],
            operator_id=operator_id,
            scopes=list(scopes),
            now=datetime.now(UTC),
        )


def deliver(
    client: Any,
    handler: str,
    event: Any,
    *,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Any:
    """Deliver one domain event (a guichet_contracts.domain_events model) to a handler of the app
    behind a chalice.test.Client, in its envelope, as EventBridge would."""
    from guichet_contracts import events

    detail = events.detail(event, event_id=event_id, occurred_at=occurred_at)
    return deliver_detail(client, handler, event.source(), event.name, detail)


def deliver_detail(client: Any, handler: str, source: str, detail_type: str, detail: Any) -> Any:
    """Deliver an event exactly as given, envelope included: what a test of a malformed event sends."""
    event = client.events.generate_cw_event(
        source=source, detail_type=detail_type, detail=detail, resources=[]
    )
    return client.lambda_.invoke(handler, event)


def a_customer(customer_id: str, email: str | None = None, **profile: Any) -> Any:
    """CustomerRegistered as the auth service sends it, with what a test does not care about filled in."""
    from guichet_contracts.domain_events.auth import CustomerRegistered

    data: dict[str, Any] = {
        "customer_id": customer_id,
        "external_id": None,
        "siren": None,
        "siret": None,
        "vat_number": None,
        "backup_email": None,
        "email": email or f"{customer_id.lower()}@example.org",
        "first_name": "Test",
        "last_name": "Client",
        "company": None,
        "phone": None,
        "language": "fr",
        "address": None,
        **profile,
    }
    return CustomerRegistered.model_validate(data, strict=False)


def a_subscription(
    customer_id: str,
    family: str = "electricity",
    *,
    subscription_id: str | None = None,
    started_on: str = "2026-01-01",
    renews_on: str | None = None,
    product_id: str | None = None,
    price_cents: int = 1574,
    offer: str | None = None,
    payment_mode: str | None = None,
    pdl: str | None = None,
    tariff_option: str | None = None,
    off_peak_hours: list[dict[str, str]] | None = None,
    subscribed_power_kva: int | None = None,
    tariff: dict[str, Any] | None = None,
    status: str = "active",
    **changes: Any,
) -> Any:
    """A subscription as the subscriptions service's events carry it (guichet_contracts), with
    what a test does not care about filled in; energy fields only for electricity."""
    from datetime import date

    from dateutil.relativedelta import relativedelta
    from guichet_contracts.domain_events.subscriptions import Contract, Subscription, Tariff

    energy = family == "electricity"
    start = date.fromisoformat(started_on)
    return Subscription(
        subscription_id=subscription_id or uuid.uuid4().hex[:16],
        customer_id=customer_id,
        dossier_number="E00000001" if energy else "M00000001",
        product_id=product_id or f"{family}-test",
        family=family,
        name=f"{family} test",
        label="Test",
        status=status,
        started_on=start,
        renews_on=date.fromisoformat(renews_on) if renews_on else start + relativedelta(months=1),
        auto_renew=True,
        price_cents=price_cents,
        currency="EUR",
        billing_period="month",
        commitment_months=0,
        contract=Contract(
            contract_number="C20260000001",
            offer=offer,
            payment_mode=payment_mode or ("monthly" if energy else "per_invoice"),
            pdl=pdl if energy else None,
            off_peak_hours=(
                [dict(hours) for hours in off_peak_hours or []] if energy else None  # type: ignore[misc]
            ),
            subscribed_power_kva=(subscribed_power_kva or 6) if energy else None,
            tariff_option=(tariff_option or "base") if energy else None,
        ),
        tariff=Tariff.model_validate(tariff or {}, strict=False),
        **changes,
    )


class EventLog:
    """Events put on the default bus by `source` (`guichet.invoices`), oldest first."""

    def __init__(self, source: str) -> None:
        import boto3

        name = f"{source.replace('.', '-')}-events-under-test"
        self._sqs = boto3.client("sqs")
        self._seen: list[dict[str, Any]] = []
        self.queue_url = self._sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events = boto3.client("events")
        events.put_rule(Name=name, EventPattern=json.dumps({"source": [source]}), State="ENABLED")
        events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])

    def _drain(self) -> None:
        # A receive can come back empty while messages wait: moto stops it at the first message
        # older than the queue's retention (4 days) as seen from a clock a test moved
        # (time_machine), and hides that one for the visibility timeout. So an empty receive ends
        # the drain only once the queue counts no visible message.
        while True:
            messages = self._sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages and not self._visible_messages():
                return
            for message in messages:
                self._seen.append(json.loads(message["Body"]))
                self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def _visible_messages(self) -> int:
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def of(self, customer_id: str, name: str | None = None) -> list[dict[str, Any]]:
        """The events about this customer, of one detail-type if given."""
        self._drain()
        return [
            event
            for event in self._seen
            if customer_of(event["detail"]["data"]) == customer_id
            and (name is None or event["detail-type"] == name)
        ]


def a_closed_month(customer_id: str, month: str = "2026-10", **changes: Any) -> dict[str, Any]:
    """The data of a ConsumptionPeriodClosed as the consumption service sends it: a whole month on
    the base option, 210.5 kWh at 25.16 c, the subscription 15.47 € (tax included), no taxes
    stated apart from VAT; `changes` override."""
    import calendar

    year, number = (int(part) for part in month.split("-"))
    days = calendar.monthrange(year, number)[1]
    return {
        "customer_id": customer_id,
        "meter_id": f"PDL{uuid.uuid4().hex[:10]}",
        "subscription_id": f"sub{customer_id}",
        "month": month,
        "period_start": f"{month}-01",
        "period_end": f"{month}-{days:02d}",
        "days_in_month": days,
        "payment_mode": "per_invoice",
        "tariff_option": "base",
        "rates_cents_per_kwh": {"base": "25.16"},
        "subscription_price_cents": 1547,
        "consumed_kwh": "210.5",
        "peak_kwh": "210.5",
        "off_peak_kwh": "0",
        "injected_kwh": "0",
        "estimated": False,
        "battery": None,
        "complements": [],
        "final": False,
        "taxes": None,
        **changes,
    }


def customer_of(data: dict[str, Any]) -> str | None:
    """The customer an event's data is about (subscription events carry it in `subscription`)."""
    subscription = data.get("subscription")
    return str(subscription["customer_id"]) if isinstance(subscription, dict) else data.get("customer_id")


def routed_operations(app: Any, prefix: str) -> set[tuple[str, str]]:
    """(method, path) of every route of a Chalice app mounted under `prefix` (`/invoices`)."""
    return {
        (method.lower(), (prefix + path).rstrip("/"))
        for path, methods in app.routes.items()
        for method in methods
    }


def documented_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(method, path) of every operation of an OpenAPI document."""
    return {(method, path) for path, operations in document["paths"].items() for method in operations}


def query_schema(document: dict[str, Any], method: str, path: str, name: str) -> dict[str, Any]:
    """The schema of a query parameter of an operation, less the empty value (as if absent) every
    one of them also takes."""
    parameters = document["paths"][path][method]["parameters"]
    schema = next(parameter["schema"] for parameter in parameters if parameter["name"] == name)
    assert {"type": "string", "maxLength": 0} in schema.get("anyOf", [{"type": "string", "maxLength": 0}])
    return dict(next(choice for choice in schema["anyOf"] if choice.get("maxLength") != 0))


def assert_generated_from(document: dict[str, Any], models: tuple[Any, ...]) -> None:
    """Each response model's schema is in the document as the model gives it, and allows no
    field beyond the model's (additionalProperties: false)."""
    schemas = document["components"]["schemas"]
    for model in models:
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        generated.pop("$defs", None)
        assert schemas[model.__name__] == generated, model.__name__
        assert generated["additionalProperties"] is False, model.__name__


def schema_refs(node: Any) -> list[str]:
    """Every `$ref` used anywhere in an OpenAPI document (or part of one)."""
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in schema_refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in schema_refs(value)]
    return []


def serialise_aws_calls(monkeypatch: Any) -> None:
    """Each AWS call atomic, as on AWS. moto is not thread-safe: two conditional puts could both
    pass, and a failed DynamoDB transaction restores a snapshot of the whole table, erasing the
    writes other threads made meanwhile."""
    import threading

    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.RLock()
    original = BotocoreStubber.process_request

    def atomic(self: Any, request: Any) -> Any:
        with lock:
            return original(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", atomic)


def together(*calls: Any) -> list[Any]:
    """The calls started at the same moment from threads of their own; their results in order."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    barrier = threading.Barrier(len(calls))

    def started_together(call: Any) -> Any:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(started_together, calls))


@contextmanager
def serving_from_threads(app: Any, monkeypatch: Any) -> Iterator[None]:
    """The Chalice app serves requests from several threads at once, as several Lambda
    containers do. Chalice keeps `current_request` on the app object (one container serves one
    request at a time) and its test client swaps `os.environ` around each call: here the request
    is kept per thread and the environment (already complete) left alone; the rest is the real app."""
    import threading

    from chalice.test import BaseClient

    per_thread = threading.local()
    original_class = type(app)
    app.__class__ = type(
        "PerThreadRequestChalice",
        (original_class,),
        {
            "current_request": property(
                lambda self: getattr(per_thread, "request", None),
                lambda self, value: setattr(per_thread, "request", value),
            ),
            "lambda_context": property(
                lambda self: getattr(per_thread, "context", None),
                lambda self, value: setattr(per_thread, "context", value),
            ),
        },
    )
    monkeypatch.setattr(BaseClient, "_patched_env_vars", lambda self, variables: nullcontext())
    try:
        yield
    finally:
        app.__class__ = original_class


def answer(response: Any) -> Any:
    """The JSON body of a chalice.test.Client response (None when there is none)."""
    return json.loads(response.body) if response.body else None


def assert_error(response: Any, status: int, code: str, *fields: str) -> dict[str, Any]:
    """The answer is the error body of API.md with this status and code, naming these fields."""
    assert response.status_code == status, (response.status_code, response.body[:500])
    body = answer(response)
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"].strip(), error
    assert set(error) <= {"code", "message", "fields"}, error
    assert "Traceback" not in response.body.decode("utf-8", "replace")
    for name in fields:
        assert name in error.get("fields", {}), (name, error)
    return dict(error)


# pydantic's own English (docs.pydantic.dev, "Validation Errors") and the services' English words:
# never in an error answered to a person who reads Italian or French
ENGLISH = re.compile(
    r"should have at least|should have at most|Field required|Input should be|Value error|Extra inputs|"
    r"String should|is not a known field|is required|must be|is not a valid|valid email|ISO 3166"
)


def assert_said_in(response: Any, language: str) -> dict[str, Any]:
    """An error answer whose message and field problems are in `language` (fr or it: no English)."""
    assert response.status_code >= 400, (response.status_code, response.body[:500])
    assert response.headers["Content-Language"] == language
    error: dict[str, Any] = answer(response)["error"]
    for text in [error["message"], *error.get("fields", {}).values()]:
        assert not ENGLISH.search(text), error
    return error


def assert_valid_openapi(document: dict[str, Any]) -> None:
    """A valid OpenAPI 3.1 document whose every `$ref` names one of its components."""
    from openapi_spec_validator import OpenAPIV31SpecValidator, validate

    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["openapi"] == "3.1.0"
    components = document["components"]["schemas"]
    every_ref = schema_refs(document)
    assert every_ref
    assert all(ref.removeprefix("#/components/schemas/") in components for ref in every_ref), every_ref


def table_models(base: Any) -> set[str]:
    """The names of every model of a service's table: each subclass of its base model `base`
    (the one holding `Meta.table_name`), wherever in its chalicelib it is defined (every module
    of the package is imported first). What a personal-data test holds each service's lists to."""
    import importlib
    import pkgutil

    package = importlib.import_module(base.__module__.rpartition(".")[0])
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    found: set[str] = set()
    pending = list(base.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        found.add(model.__name__)
    return found
