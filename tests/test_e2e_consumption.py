"""Consumption end to end over HTTP on the local runtime: an electricity order (nothing to pay
upfront: energy is billed in arrears) → its meter appears → a CSV of readings is fed (`make
ingest`) → the series shows it → the monthly close (`make job consumption.close_month`) → the
invoices service bills those kWh and the subscription for the contract's own days of the month,
the euros the consumption API shows for that month;
a reading of that month arriving late is billed with the next month as a complement. A mobile
line ordered and paid → its allowances from its billing day → data used beyond the plan → the
daily close of its period (`make job consumption.close_allowance_periods`) → the out-of-plan
invoice.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from conftest import eventually
from customers import pay_order, verified_customer
from dateutil.relativedelta import relativedelta

PARIS = ZoneInfo("Europe/Paris")
MANON = {
    "first_name": "Manon",
    "last_name": "Lefèvre",
    "address": {"line1": "8 rue des Tanneurs", "postal_code": "67000", "city": "Strasbourg", "country": "FR"},
}


def first_of_next_month(day: Any) -> datetime:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime(following.year, following.month, 1, 3, 0, tzinfo=UTC)


def test_an_electricity_contract_is_metered_and_its_month_billed(runtime: Any) -> None:
    customer = verified_customer(runtime, "e2e-conso", **MANON)
    auth = customer.auth
    pdl = f"{uuid.uuid4().int % 10**14:014d}"

    # an electricity contract, billed per invoice, ordered and paid by card
    order = runtime.post(
        "/subscriptions/orders",
        json={
            "items": [
                {
                    "product_id": "electricity-essentielle",
                    "label": "Appartement",
                    "options": {
                        "pdl": pdl,
                        "subscribed_power_kva": 6,
                        "tariff_option": "base",
                        "payment_mode": "per_invoice",
                    },
                }
            ]
        },
        headers={**auth, "Idempotency-Key": f"order-{uuid.uuid4()}"},
    )
    assert order.status_code == 201, order.text
    order_id = order.json()["order_id"]

    # nothing is due upfront: the order is paid as placed (OrderPaid), provisioned, and not invoiced
    completed = eventually(
        lambda: (
            runtime.get(f"/subscriptions/orders/{order_id}", headers=auth).json()["status"] == "completed"
        ),
        timeout=30,
    )
    assert completed, "the order was not provisioned in time"
    assert [item for item in runtime.get("/invoices", headers=auth).json()["items"] if item["order_id"]] == []

    # SubscriptionActivated → the subscription's meter, reading the PDL
    meters = eventually(lambda: runtime.get("/consumption/meters", headers=auth).json()["items"], timeout=30)
    assert [(meter["pdl"], meter["unit"], meter["tariff_option"]) for meter in meters] == [
        (pdl, "kWh", "base")
    ]
    meter_id = meters[0]["meter_id"]
    assert meter_id == f"E{meters[0]['subscription_id']}"

    # a CSV of today's first ten half-hours, 0.5 kWh each, plus a bad row, fed to the ingest bucket
    today = datetime.now(PARIS).date()
    midnight = datetime(today.year, today.month, today.day, tzinfo=PARIS).astimezone(UTC)
    rows = ["meter_id,start,value"]
    rows += [
        f"{pdl},{(midnight + timedelta(minutes=30 * n)).strftime('%Y-%m-%dT%H:%M:%SZ')},0.5"
        for n in range(10)
    ]
    rows.append(f"{pdl},yesterday,0.5")
    report = runtime.post(f"/_local/ingest?name=e2e-{pdl}.csv", data="\n".join(rows).encode()).json()
    assert (report["status"], report["accepted"]) == ("ingested", 10), report
    assert [row["line"] for row in report["rejected"]] == [12]

    # the series shows the day's 5 kWh
    series = runtime.get(
        f"/consumption/meters/{meter_id}/series",
        headers=auth,
        params={"from": today.isoformat(), "to": today.isoformat(), "step": "day"},
    ).json()
    assert series["totals"]["consumed"] == 5.0

    # the month is closed on the 1st of the next → ConsumptionPeriodClosed → a consumption invoice
    closed = runtime.job("consumption.close_month", first_of_next_month(today).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert closed.returncode == 0, closed.stderr

    def consumption_invoice() -> dict[str, Any] | None:
        for item in runtime.get("/invoices", headers=auth).json()["items"]:
            if item["period_start"] == today.isoformat() and item["order_id"] is None:
                return dict(runtime.get(f"/invoices/{item['invoice_id']}", headers=auth).json())
        return None

    billed = eventually(consumption_invoice, timeout=30)
    assert billed, "the closed month was not invoiced in time"
    kwh = [line for line in billed["lines"] if line["unit"] == "kWh"]
    assert [line["quantity"] for line in kwh] == ["5"]
    assert kwh[0]["unit_price_cents"] == 20  # 19.52 c rounded for display; the total is exact
    # the subscription is billed once, for the days from the contract's first day to the month's end
    (subscription,) = [line for line in billed["lines"] if line["unit"] in ("month", "day")]
    last_day = first_of_next_month(today).date() - timedelta(days=1)
    days = (last_day - today).days + 1
    assert billed["period_end"] == last_day.isoformat()
    if today.day == 1:
        assert (subscription["unit"], subscription["quantity"]) == ("month", "1")
    else:
        assert (subscription["unit"], subscription["quantity"]) == ("day", str(days))

    # the consumption service shows the customer that month's cost as the invoice billed it,
    # with and without tax, in the series by the month and in the year's summary
    month = runtime.get(
        f"/consumption/meters/{meter_id}/series",
        headers=auth,
        params={"from": today.isoformat(), "to": today.isoformat(), "step": "month"},
    ).json()["points"][0]
    assert month["cost"]["billed"] is True
    invoiced = (
        billed["total_excl_tax_cents"],
        billed["tax_cents"],
        billed["total_cents"],
        billed["currency"],
    )
    shown = (
        month["cost"]["excl_tax_cents"],
        month["cost"]["tax_cents"],
        month["cost"]["incl_tax_cents"],
        month["cost"]["currency"],
    )
    assert shown == invoiced
    summary = runtime.get(
        f"/consumption/meters/{meter_id}/summary", headers=auth, params={"year": str(today.year)}
    ).json()
    (in_summary,) = [item for item in summary["months"] if item["month"] == f"{today:%Y-%m}"]
    assert in_summary["cost"] == month["cost"]

    # the invoice's PDF states the contract and the offer's taxes, included in the prices above:
    # the accise at the catalog's 3.085 c per kWh on the month's 5 kWh
    import io

    from pypdf import PdfReader

    link = runtime.get(f"/invoices/{billed['invoice_id']}/pdf", headers=auth).json()
    pages = PdfReader(io.BytesIO(runtime.http.get(link["url"], timeout=30).content)).pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages).replace("\u00a0", " ")
    assert f"Point de livraison (PDL) {pdl}" in text and "Puissance souscrite 6 kVA" in text
    assert "Accise sur l'électricité : 5 kWh × 30,85 €/MWh = 0,15 €" in text
    assert "www.energie-mediateur.fr" in text

    # a reading of that month, already billed, arrives late: 2 kWh of the day's twelfth half-hour
    twelfth = (midnight + timedelta(minutes=330)).strftime("%Y-%m-%dT%H:%M:%SZ")
    late = f"meter_id,start,value\n{pdl},{twelfth},2\n"
    report = runtime.post(f"/_local/ingest?name=e2e-late-{pdl}.csv", data=late.encode()).json()
    assert (report["status"], report["accepted"], report["beyond_billing_limit"]) == ("ingested", 1, []), (
        report
    )

    # the next month's close bills it as a complement, at the month's rates
    next_month = first_of_next_month(today).date()
    closed = runtime.job(
        "consumption.close_month", first_of_next_month(next_month).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    assert closed.returncode == 0, closed.stderr

    def next_invoice() -> dict[str, Any] | None:
        for item in runtime.get("/invoices", headers=auth).json()["items"]:
            if item["period_start"] == next_month.isoformat() and item["order_id"] is None:
                return dict(runtime.get(f"/invoices/{item['invoice_id']}", headers=auth).json())
        return None

    following = eventually(next_invoice, timeout=30)
    assert following, "the next month was not invoiced in time"
    complements = [line for line in following["lines"] if line["description"].startswith("Complément")]
    assert [(line["description"], line["quantity"], line["unit"]) for line in complements] == [
        (f"Complément Consommation {today:%Y-%m}", "2", "kWh")
    ]


def test_a_mobile_lines_use_beyond_its_plan_is_invoiced_when_its_period_ends(runtime: Any) -> None:
    customer = verified_customer(runtime, "e2e-mobile", first_name="Yanis", last_name="Benali")
    auth = customer.auth

    # a 1 GB line (5 € a GB beyond), ordered and paid by card
    order = runtime.post(
        "/subscriptions/orders",
        json={"items": [{"product_id": "mobile-2h", "label": "Ligne de Yanis"}]},
        headers={**auth, "Idempotency-Key": f"order-{uuid.uuid4()}"},
    )
    assert order.status_code == 201, order.text
    pay_order(runtime, customer, order.json()["order_id"])

    # SubscriptionActivated → its allowances, from its billing day (today) for a month
    usage = eventually(
        lambda: (answer := runtime.get("/consumption/usage", headers=auth)).ok and answer.json(), timeout=30
    )
    assert usage, "the line's allowances did not appear in time"
    line, start, end = usage["subscription_id"], usage["period_start"], usage["period_end"]
    assert end == (date.fromisoformat(start) + relativedelta(months=1)).isoformat()

    # 1.5 GB used today, fed as the operator's file names it
    midnight = datetime.fromisoformat(start).replace(tzinfo=PARIS).astimezone(UTC)
    nine = (midnight + timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M:%SZ")
    used = f"meter_id,start,value\nM{line}-GB,{nine},1.5\n"
    report = runtime.post(f"/_local/ingest?name=e2e-{line}.csv", data=used.encode()).json()
    assert (report["status"], report["accepted"]) == ("ingested", 1), report
    now = runtime.get("/consumption/usage", headers=auth).json()
    assert (now["allowances"][0]["used"], now["out_of_plan_cents"]) == (1.5, 250)

    # the period ends: the daily job closes it → UsagePeriodClosed → the out-of-plan invoice
    closed = runtime.job("consumption.close_allowance_periods", f"{end}T02:30:00Z")
    assert closed.returncode == 0, closed.stderr

    def usage_invoice() -> dict[str, Any] | None:
        for item in runtime.get("/invoices", headers=auth).json()["items"]:
            if item["period_start"] == start and item["order_id"] is None:
                return dict(runtime.get(f"/invoices/{item['invoice_id']}", headers=auth).json())
        return None

    billed = eventually(usage_invoice, timeout=30)
    assert billed, "the period's use beyond the plan was not invoiced in time"
    assert billed["total_cents"] == 250
    last_day = (date.fromisoformat(end) - timedelta(days=1)).isoformat()
    assert billed["period_end"] == last_day
    (charge,) = billed["lines"]
    assert charge["description"].startswith("Hors forfait : 0,5 Go de données du ")
