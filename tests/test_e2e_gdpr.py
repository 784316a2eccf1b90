"""GDPR self-service over the local runtime (docs/PRIVACY.md): a customer's copy of their data
holds every item every service keeps about them; closing the account leaves no trace of their
name, email, phone or address outside the invoices' legal minimum.

Which item is of which model is read from each service's own models (a subprocess per service,
as each service's `chalicelib` is its own package), so a model added to a table without being
exported, or said why not, fails here too.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
import zipfile
import zlib
from typing import Any

import pytest
import requests
from conftest import REPO, eventually
from customers import (
    PASSWORD,
    Customer,
    cancel_every_subscription_now,
    client_address,
    electricity_item,
    mailed,
    pay_order,
    place_order,
    verified_customer,
)

SERVICES = ("auth", "subscriptions", "invoices", "consumption")
# auth items keyed by what they count or by a secret's digest (pk = <sk>#…): throttles, mail caps,
# refresh and one-time tokens, none of them exported (auth's NOT_EXPORTED)
EXPORTED_AUTH_KINDS = ("LOGIN", "EXTERNAL", "RECOVERY")

_INTROSPECT = """
import json, sys
from pathlib import Path
from guichet_local.testing import load_stage_environment, table_models
prefix = sys.argv[1].upper()
names = ("TABLE_NAME", "DOCUMENTS_BUCKET", "PDF_BUCKET", "INGEST_BUCKET")
load_stage_environment(Path("."), **{f"{prefix}_{name}": "unused" for name in names})
sys.path.insert(0, ".")
from chalicelib import models, personal_data
base = getattr(models, "Item", None) or models._AuthItem
attribute = base._get_discriminator_attribute() if base is not models.__dict__.get("_AuthItem") else None
kinds = {value: model.__name__ for model, value in (attribute._class_map.items() if attribute else [])}
print(json.dumps({"models": sorted(table_models(base)), "exported": list(personal_data.EXPORTED),
                  "not_exported": sorted(personal_data.NOT_EXPORTED), "kinds": kinds}))
"""


@pytest.fixture(scope="module")
def models() -> dict[str, dict[str, Any]]:
    """Per service: its models, which are exported and which not, and its discriminator values."""
    found = {}
    for service in SERVICES:
        done = subprocess.run(
            [sys.executable, "-c", _INTROSPECT, service],
            cwd=REPO / "services" / service,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        found[service] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def scan(runtime: Any, service: str) -> list[dict[str, Any]]:
    """Every item of a service's table, as plain JSON values."""
    from boto3.dynamodb.types import TypeDeserializer

    client, plain = runtime.aws("dynamodb"), TypeDeserializer()
    table = next(name for name in client.list_tables()["TableNames"] if name.endswith(f"-{service}"))
    items, pages = [], {"TableName": table}
    while True:
        page = client.scan(**pages)
        items += [{key: plain.deserialize(value) for key, value in item.items()} for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        pages["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def text(item: Any) -> str:
    """An item as text to search, its binary values (an import file's compressed parts) read as
    the text they hold where they can be decompressed."""
    return json.dumps(item, default=_readable, ensure_ascii=False)


def _readable(value: Any) -> str:
    from boto3.dynamodb.types import Binary

    if not isinstance(value, (Binary, bytes)):
        return str(value)
    raw = bytes(value.value) if isinstance(value, Binary) else value
    try:
        raw = zlib.decompressobj().decompress(raw)  # a file's first part decompresses on its own
    except zlib.error:
        pass
    return raw.decode("utf-8", "replace")


def webhook_delivery(service: str, item: dict[str, Any]) -> bool:
    """An event as delivered to one of the provider's webhook endpoints (auth's WebhookDelivery, not
    exported and kept 30 days: docs/PRIVACY.md), there whenever another test registered an endpoint."""
    return service == "auth" and item["pk"].startswith("WEBHOOK#") and item["sk"].startswith("DELIVERY#")


def download(runtime: Any, customer: Customer) -> tuple[str, zipfile.ZipFile]:
    started = runtime.post("/auth/me/data-exports", headers=customer.auth)
    assert started.status_code == 202, started.text
    export_id = started.json()["export_id"]

    def ready() -> dict[str, Any] | None:
        shown = runtime.get(f"/auth/me/data-exports/{export_id}", headers=customer.auth).json()
        return shown if shown["status"] == "ready" else None

    shown = eventually(ready, timeout=60)
    assert shown, "the export was not ready in time"
    # the link is mailed just after the export is marked ready
    assert customer.customer_id in mailed(runtime, customer, "/exports/", timeout=30)["text"]
    body = requests.get(shown["download_url"], timeout=30)
    assert body.status_code == 200
    return export_id, zipfile.ZipFile(io.BytesIO(body.content))


def a_customer_with_data(runtime: Any, tag: str, **profile: Any) -> Customer:
    """A customer with a profile, a contact, a support message, an electricity contract with
    readings and a paid order of a domain (an invoice and a payment)."""
    customer = verified_customer(runtime, tag, **profile)
    contact = runtime.post(
        "/auth/me/contacts",
        json={
            "name": "Paul Quintard",
            "email": f"paul-{uuid.uuid4().hex[:6]}@example.org",
            "roles": ["billing"],
        },
        headers=customer.auth,
    )
    assert contact.status_code == 201, contact.text
    message = runtime.post(
        "/subscriptions/support-messages",
        json={"topic": "other", "subject": "Déménagement", "message": "Je déménage le mois prochain."},
        headers={**customer.auth, "Idempotency-Key": f"msg-{uuid.uuid4()}"},
    )
    assert message.status_code == 201, message.text
    pdl = f"{uuid.uuid4().int % 10**14:014d}"
    place_order(runtime, customer, electricity_item(pdl))
    meters = eventually(
        lambda: runtime.get("/consumption/meters", headers=customer.auth).json()["items"], timeout=30
    )
    assert meters
    today = runtime.now().date()
    start = f"{today.isoformat()}T00:00:00Z"
    report = runtime.post(
        f"/_local/ingest?name=gdpr-{pdl}.csv", data=f"meter_id,start,value\n{pdl},{start},0.5\n".encode()
    ).json()
    assert report["accepted"] == 1, report
    order = place_order(runtime, customer, {"product_id": "mobile-50go", "label": "Ma ligne"})
    pay_order(runtime, customer, order["order_id"])
    runtime.settle()
    return customer


def test_the_export_holds_every_item_every_service_keeps_about_the_customer(
    runtime: Any, models: dict[str, dict[str, Any]]
) -> None:
    for service, found in models.items():  # every model is exported, or said why not
        assert set(found["models"]) == set(found["exported"]) | set(found["not_exported"]), service
        assert not set(found["exported"]) & set(found["not_exported"]), service
    customer = a_customer_with_data(
        runtime, "gdpr-export", first_name="Lise", last_name="Marchal", phone="06 11 22 33 44"
    )

    _, archive = download(runtime, customer)

    names = set(archive.namelist())
    assert {f"{service}/data.json" for service in SERVICES} <= names
    assert any(name.startswith("invoices/invoices/") and name.endswith(".pdf") for name in names)
    assert {
        "invoices/invoices.csv",
        "invoices/payments.csv",
        "subscriptions/orders.csv",
        "consumption/readings.csv",
    } <= names
    for service in SERVICES:
        part = json.loads(archive.read(f"{service}/data.json"))
        exported = {(record["pk"], record["sk"]) for records in part["items"].values() for record in records}
        kinds = models[service]["kinds"]
        missing = []
        for item in scan(runtime, service):
            if customer.customer_id not in text(item) or item["pk"].startswith("IDEMPOTENCY#"):
                continue  # not about this customer, or a Powertools idempotency record (hours)
            model = kinds.get(item.get("type")) if kinds else None
            if model in models[service]["not_exported"] or webhook_delivery(service, item):
                continue
            if (
                service == "auth"
                and item["pk"].startswith(f"{item['sk']}#")
                and item["sk"] not in EXPORTED_AUTH_KINDS
            ):
                continue  # a counter, or a secret's digest: never exported
            if (item["pk"], item["sk"]) not in exported:
                missing.append((model, item["pk"], item["sk"]))
        assert missing == [], (service, missing)


def test_a_closed_account_leaves_no_personal_data_outside_the_invoices_legal_minimum(runtime: Any) -> None:
    phone, e164 = "06 55 44 33 22", "+33655443322"
    address = {
        "line1": "12 impasse des Glycines",
        "line2": None,
        "postal_code": "69003",
        "city": "Lyon",
        "country": "FR",
    }
    customer = a_customer_with_data(
        runtime, "gdpr-close", first_name="Oriane", last_name="Vasseur-Klein", phone=phone, address=address
    )
    export_id, _ = download(runtime, customer)  # a copy of the customer's data waits in the bucket
    cancel_every_subscription_now(runtime, customer)
    due = [
        item
        for item in runtime.get("/invoices", headers=customer.auth).json()["items"]
        if item["amount_due_cents"] > 0
    ]
    assert due == [], due

    closed = runtime.post("/auth/me/closure", json={"password": PASSWORD}, headers=customer.auth)
    assert closed.status_code == 204, closed.text
    runtime.settle()

    mail = next(mail for mail in runtime.mail() if customer.email in mail["to"] and "10 " in mail["text"])
    assert customer.customer_id in mail["text"] and mail["subject"] != ""
    login = runtime.post(
        "/auth/login",
        json={"login": customer.email, "password": PASSWORD},
        headers={"X-Forwarded-For": client_address()},
    )
    assert login.status_code == 401
    traces = (customer.email, "Oriane", "Vasseur-Klein", e164, phone, "Glycines")
    for service in SERVICES:
        for item in scan(runtime, service):
            if (
                service == "invoices"
                and item.get("type") == "invoice"
                and item["customer_id"] == customer.customer_id
            ):
                party = json.loads(item["billing_party"])  # a JSONAttribute: stored as text
                # the legal minimum: the buyer's name and address as printed, nothing else
                assert customer.email not in text(item) and party.get("email") is None, item["pk"]
                assert e164 not in text(item)
                continue
            if webhook_delivery(service, item):
                continue  # sent to the provider's systems, kept 30 days then deleted (docs/PRIVACY.md)
            found = [trace for trace in traces if trace in text(item)]
            assert found == [], (service, item["pk"], item["sk"], found)
    s3 = runtime.aws("s3")
    for bucket in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for entry in page.get("Versions", []):
                key = entry["Key"]
                assert not [trace for trace in traces if trace in key], (bucket, key)
                if customer.customer_id not in key:
                    continue
                assert "-invoices-" in bucket, (bucket, key)  # only the invoice PDFs stay (the contract's go)
                version = {} if entry["VersionId"] == "null" else {"VersionId": entry["VersionId"]}
                metadata = s3.head_object(Bucket=bucket, Key=key, **version).get("Metadata", {})
                assert not [trace for trace in traces if trace in text(metadata)], (bucket, key)
    # the copy of the data is gone with the account
    assert (
        s3.list_objects_v2(Bucket="guichet-local-exports", Prefix=f"exports/{export_id}/").get("KeyCount")
        == 0
    )
