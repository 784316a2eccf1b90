"""The catalog as operator data, end to end over HTTP on a local runtime of its own, under a
controlled clock (issue 12): the provider's system puts a catalog where a mobile plan and an
electricity offer cost more (`PUT /subscriptions/operator/catalog`, scope catalog:write). A new
order is invoiced at the new price at once; the customer's running contracts are told by mail
that morning, then keep their price until their renewal a month later: the mobile line's renewal
is invoiced at the new price, and the electricity contract's January at the old rates and
subscription, its February (after its renewal in place) at the new ones — the subscriptions,
consumption and invoices services each doing their part through the events.

The runtime is the module's own (`--clock`): every date is the test's, and the catalog versions it
stores concern no other test.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from conftest import REPO, LocalRuntime, _stopped_cleanly, eventually
from customers import (
    PASSWORD,
    Customer,
    client_address,
    electricity_item,
    order_invoice,
    pay_order,
    place_order,
    verified_customer,
)

FILE = json.loads((REPO / "services/subscriptions/chalicelib/catalog.json").read_text(encoding="utf-8"))
PLAN = "mobile-150go-5g"  # 15.99 € a month in catalog.json, renewed by itself
ENERGY = "electricity-essentielle"  # 15.74 € a month at 6 kVA, base 19.52 c/kWh
START = "2030-01-01T03:30:00Z"  # 04:30 in Paris on 1 January, before the day's reminders (05:00 UTC)
NOÉMIE = {
    "first_name": "Noémie",
    "last_name": "Garnier",
    "address": {"line1": "8 rue des Tanneurs", "postal_code": "67000", "city": "Strasbourg", "country": "FR"},
}


@pytest.fixture(scope="module")
def clocked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    started = LocalRuntime.start(
        tmp_path_factory.mktemp("catalog-runtime"), "--no-demo", "--trust-forwarded-for", "--clock", START
    )
    yield started
    _stopped_cleanly(started)


def dearer() -> dict[str, Any]:
    """catalog.json with the plan at 17.99 € and the electricity offer at +1 € a month, base 23 c/kWh."""
    document = copy.deepcopy(FILE)
    for product in document["products"]:
        if product["product_id"] == PLAN:
            product["price_cents"] = 1799
        if product["product_id"] == ENERGY:
            by_power = {power: cents + 100 for power, cents in product["price_cents_by_power_kva"].items()}
            product["price_cents_by_power_kva"] = by_power
            product["price_cents"] = by_power[str(product["reference_power_kva"])]
            product["energy_rates_cents_per_kwh"] = {"base": 23.0, "peak": 24.0, "off_peak": 18.0}
    return document


def move_clock(runtime: LocalRuntime, now: str) -> None:
    moved = runtime.post("/_local/clock", json={"now": now}, timeout=600)
    assert moved.status_code == 200, moved.text
    failed = [job for job in moved.json()["fired"] if not job.get("ok", True)]
    assert not failed, failed


def handled(runtime: LocalRuntime) -> None:
    """The events published so far delivered and handled: under the controlled clock they are
    when the clock moves (a minute on)."""
    move_clock(runtime, (runtime.now() + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))


def logged_in_again(runtime: LocalRuntime, customer: Customer) -> Customer:
    tokens = runtime.post(
        "/auth/login",
        json={"login": customer.email, "password": PASSWORD},
        headers={"X-Forwarded-For": client_address()},
    ).json()
    return Customer(customer.customer_id, customer.email, tokens)


def energy_invoice(runtime: LocalRuntime, customer: Any, month_start: str) -> dict[str, Any]:
    def issued() -> dict[str, Any] | None:
        for item in runtime.get("/invoices", headers=customer.auth).json()["items"]:
            if item["period_start"] == month_start and item["order_id"] is None:
                return dict(runtime.get(f"/invoices/{item['invoice_id']}", headers=customer.auth).json())
        return None

    invoice = eventually(issued, timeout=30)
    assert invoice, f"the month from {month_start} was not invoiced"
    return invoice


def test_a_dearer_catalog_applies_to_new_orders_at_once_and_to_running_contracts_a_month_after_notice(
    clocked: LocalRuntime,
) -> None:
    from guichet_local.operator_token import local_token

    runtime = clocked
    # Given, on 1 January 2030, a customer with a paid mobile line and an electricity contract
    customer = verified_customer(runtime, "e2e-catalog", **NOÉMIE)
    line_order = place_order(runtime, customer, {"product_id": PLAN, "label": "Noémie"})
    handled(runtime)
    assert pay_order(runtime, customer, line_order["order_id"])["status"] == "succeeded"
    pdl = f"{uuid.uuid4().int % 10**14:014d}"
    place_order(runtime, customer, electricity_item(pdl))
    handled(runtime)
    running = {
        s["product_id"]: s for s in runtime.get("/subscriptions", headers=customer.auth).json()["items"]
    }
    assert (running[PLAN]["price_cents"], running[ENERGY]["price_cents"]) == (1599, 1574)
    assert running[PLAN]["renews_on"] == running[ENERGY]["renews_on"] == "2030-02-01"

    # When the provider's system puts a dearer catalog (a customer's token is refused there)
    with time_machine.travel(runtime.now(), tick=False):  # the token dated by the runtime's clock
        token = local_token(runtime.port, ["catalog:write"], operator="pim-sync")
    operator = {"Authorization": f"Bearer {token}"}
    refused = runtime.request("PUT", "/subscriptions/operator/catalog", json=dearer(), headers=customer.auth)
    assert refused.status_code == 401
    put = runtime.request("PUT", "/subscriptions/operator/catalog", json=dearer(), headers=operator)
    assert put.status_code == 201, put.text
    assert sorted(put.json()["changed"]) == [ENERGY, PLAN] and put.json()["client_id"] == "pim-sync"

    # Then a new order is invoiced at the new price at once, and the running contracts keep theirs
    second = place_order(runtime, customer, {"product_id": PLAN, "label": "Deuxième"})
    handled(runtime)
    assert order_invoice(runtime, customer, second["order_id"])["total_cents"] == 1799
    mine = {
        s["subscription_id"]: s for s in runtime.get("/subscriptions", headers=customer.auth).json()["items"]
    }
    assert mine[running[PLAN]["subscription_id"]]["price_cents"] == 1599
    assert mine[running[ENERGY]["subscription_id"]]["price_cents"] == 1574

    # When a kWh is read on 15 January and on 15 February, and the clock moves to 1 March (the
    # daily jobs firing on the way: the notices, the renewals, the monthly closes)
    rows = ["meter_id,start,value", f"{pdl},2030-01-15T11:00:00Z,1", f"{pdl},2030-02-15T11:00:00Z,1"]
    report = runtime.post(f"/_local/ingest?name=e2e-catalog-{pdl}.csv", data="\n".join(rows).encode()).json()
    assert report["status"] == "ingested", report
    move_clock(runtime, "2030-03-01T07:00:00Z")
    customer = logged_in_again(runtime, customer)  # two months later: a new session

    # Then each contract's customer was told on 1 January, with the customer id
    notices = [m for m in runtime.mail() if customer.email in m["to"] and "Nouveau prix" in m["subject"]]
    assert len(notices) == 2 and all(customer.customer_id in m["text"] for m in notices), notices
    assert all("1 février 2030" in m["subject"] for m in notices)
    # the line's renewal on 1 February is invoiced at the new price
    renewals = [
        o
        for o in runtime.get("/subscriptions/orders", headers=customer.auth).json()["items"]
        if o["kind"] == "renewal"
    ]
    assert [order_invoice(runtime, customer, o["order_id"])["total_cents"] for o in renewals] == [1799]
    # and the electricity contract's January is billed at the old terms, its February at the new
    january, february = (energy_invoice(runtime, customer, day) for day in ("2030-01-01", "2030-02-01"))
    billed = [
        {
            line["unit"]: line["unit_price_cents"]
            for line in invoice["lines"]
            if line["unit"] in ("kWh", "month")
        }
        for invoice in (january, february)
    ]
    # (lines without VAT: 15.74 € and 16.74 € a month are 13.12 € and 13.95 €; 19.52 c/kWh shown as 20)
    assert billed == [{"kWh": 20, "month": 1312}, {"kWh": 23, "month": 1395}]
    assert (
        runtime.get(f"/subscriptions/{running[ENERGY]['subscription_id']}", headers=customer.auth).json()[
            "price_cents"
        ]
        == 1674
    )
