"""Contracts imported by the provider, end to end over HTTP on a local runtime (issue 12).

The provider imports a customer (auth) and then two running contracts of theirs naming the
customer by the provider's own id: an electricity contract billed by the provider until the end
of last month, and a hosting plan whose current period the provider billed. The customer sees
both in the portal's API with their documents; the electricity meter exists and takes the
provider's readings for its PDL; nothing is invoiced for what the provider billed; the month
closed next and the hosting plan's renewal are billed by Guichet.

The test moves the jobs' clock (the month's close, the renewal day): it runs on a runtime of its
own, so that the days those jobs cover are not taken from the other tests of the shared one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import eventually

PARIS = ZoneInfo("Europe/Paris")
PASSWORD = "a long and personal passphrase 2026"


@pytest.fixture(scope="module")
def own_runtime(launch_runtime: Any) -> Iterator[Any]:
    started = launch_runtime("contract-import", "--no-demo", "--trust-forwarded-for")
    yield started
    assert started.stop() == 0, started.output()


def operator(runtime: Any, scope: str, content_type: str | None = None) -> dict[str, str]:
    from guichet_local.operator_token import local_token

    headers = {"Authorization": f"Bearer {local_token(runtime.port, [scope], operator='crm-sync')}"}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def imported(runtime: Any, path: str, job: str, scope: str, content: str) -> dict[str, Any]:
    """Submit a file, run its job now, and read its report once done."""
    submitted = runtime.post(path, data=content.encode(), headers=operator(runtime, scope, "text/csv"))
    assert submitted.status_code == 202, submitted.text
    ran = runtime.job(job, at=iso(runtime.now()))
    assert ran.returncode == 0, ran.stderr

    def done() -> dict[str, Any] | None:
        report = runtime.get(
            f"{path}/{submitted.json()['import_id']}",
            headers={**operator(runtime, scope), "Accept-Language": "en"},
        )
        assert report.status_code == 200, report.text
        return report.json() if report.json()["status"] == "done" else None

    report = eventually(done, timeout=60)
    assert report, f"{path}: the import is not done after a minute"
    return report


def an_imported_customer(runtime: Any, external_id: str) -> dict[str, str]:
    """The provider's customer imported into auth, activated through the mailed link, logged in."""
    email = f"import-{uuid.uuid4().hex[:8]}@example.org"
    content = (
        "external_id,email,first_name,last_name,address_line1,address_postal_code,address_city,address_country\n"
        f"{external_id},{email},Agnès,Lemoine,3 place du Théâtre,59800,Lille,FR\n"
    )
    report = imported(
        runtime, "/auth/operator/customers/imports", "auth.apply_customer_imports", "customers:write", content
    )
    assert report["created"] == 1, report
    mail = next(mail for mail in runtime.mail() if email in mail["to"])
    token = re.search(r"/activate\?token=([A-Za-z0-9_-]+)", mail["text"]).group(1)  # type: ignore[union-attr]
    assert runtime.post("/auth/activate", json={"token": token, "password": PASSWORD}).status_code == 200
    session = runtime.post("/auth/login", json={"login": email, "password": PASSWORD})
    assert session.status_code == 200, session.text
    return {"Authorization": f"Bearer {session.json()['access_token']}"}


def first_of_next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def test_imported_contracts_show_in_the_portal_and_are_billed_from_where_the_provider_stopped(
    own_runtime: Any,
) -> None:
    runtime = own_runtime
    today = runtime.now().astimezone(PARIS).date()
    month_start = today.replace(day=1)
    renews_on = today + timedelta(days=3)
    pdl = f"{uuid.uuid4().int % 10**14:014d}"

    # Given a customer of the provider, imported into auth and activated
    crm_id = f"crm-{uuid.uuid4().hex[:8]}"
    auth = an_imported_customer(runtime, crm_id)
    runtime.settle()  # CustomerRegistered reached the subscriptions service

    # and last month closed already (a meter activated later catches up the months closed)
    assert runtime.job("consumption.close_month", at=f"{month_start}T02:00:00Z").returncode == 0

    # When the provider imports their electricity contract (billed until the end of last month)
    # and their hosting plan (its period billed until renews_on), naming them by its own id
    content = (
        "external_id,customer_external_id,product_id,label,status,started_on,renews_on,billed_until,"
        "pdl,subscribed_power_kva,tariff_option,payment_mode\n"
        f"E-{crm_id},{crm_id},electricity-essentielle,Maison,active,2024-01-01,{date(today.year + 1, 1, 1)},"
        f"{month_start - timedelta(days=1)},{pdl},6,base,per_invoice\n"
        f"H-{crm_id},{crm_id},hosting-linux-100,Site,active,2025-01-15,{renews_on},,,,,\n"
    )
    report = imported(
        runtime,
        "/subscriptions/operator/subscriptions/imports",
        "subscriptions.apply_contract_imports",
        "subscriptions:write",
        content,
    )

    # Then both are created, and the customer sees them with their documents
    assert (report["created"], report["rejected"]) == (2, 0), report
    listed = {item["label"]: item for item in runtime.get("/subscriptions", headers=auth).json()["items"]}
    assert set(listed) == {"Maison", "Site"}
    for item in listed.values():
        detail = runtime.get(f"/subscriptions/{item['subscription_id']}", headers=auth).json()
        assert detail["imported"]["imported_on"] == today.isoformat()
        documents = runtime.get(f"/subscriptions/{item['subscription_id']}/documents", headers=auth).json()
        assert "contract" in [document["kind"] for document in documents["items"]]
        link = runtime.get(f"/subscriptions/{item['subscription_id']}/documents/contract", headers=auth)
        assert link.status_code == 200, link.text

    # And the electricity meter exists and takes the provider's readings for its PDL
    meters = eventually(lambda: runtime.get("/consumption/meters", headers=auth).json()["items"], timeout=30)
    assert [meter["pdl"] for meter in meters] == [pdl]
    midnight = datetime(today.year, today.month, today.day, tzinfo=PARIS)
    readings = [
        {"meter_id": pdl, "start": (midnight + timedelta(minutes=30 * n)).isoformat(), "value": 0.5}
        for n in range(10)
    ]
    posted = runtime.post(
        "/consumption/operator/readings",
        json={"readings": readings},
        headers=operator(runtime, "readings:write"),
    )
    assert posted.status_code == 200, posted.text
    assert posted.json()["accepted"] == 10

    # And nothing is invoiced for what the provider billed
    runtime.settle()
    assert runtime.get("/invoices", headers=auth).json()["items"] == []

    # When the month closes, then the hosting plan's renewal day comes
    closing = first_of_next_month(today)
    assert runtime.job("consumption.close_month", at=f"{closing}T02:00:00Z").returncode == 0
    assert runtime.job("subscriptions.expire_and_renew", at=f"{renews_on}T00:00:00Z").returncode == 0

    # Then Guichet bills the month from its first day (the provider billed before) and the renewal
    def invoiced() -> list[dict[str, Any]] | None:
        items = runtime.get("/invoices", headers=auth).json()["items"]
        return items if len(items) == 2 else None

    invoices = eventually(invoiced, timeout=60)
    assert invoices, runtime.get("/invoices", headers=auth).json()
    energy = next(item for item in invoices if item["order_id"] is None)
    renewal = next(item for item in invoices if item["order_id"] is not None)
    assert (energy["period_start"], energy["period_end"]) == (
        month_start.isoformat(),
        (closing - timedelta(days=1)).isoformat(),
    )
    lines = runtime.get(f"/invoices/{energy['invoice_id']}", headers=auth).json()["lines"]
    assert [line["quantity"] for line in lines if line["unit"] == "kWh"] == ["5"]
    assert renewal["total_cents"] == 499
