"""GDPR: this service's part of a customer's data export (meters, readings day by day and as a
half-hour CSV, monthly figures, lines), and the readings erased on CustomerClosed."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from typing import Any

import boto3
from conftest import Customer, csv_file, drop, electricity_meter, whole_days
from guichet_contracts.domain_events.auth import CustomerClosed, DataExportRequested
from guichet_local.testing import EventLog, deliver, table_models

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
BUCKET = os.environ["GUICHET_EXPORTS_BUCKET"]


def one_of_each(customer: Customer) -> tuple[str, str]:
    """A customer with an item of every exported kind; the electricity meter and its PDL."""
    from chalicelib.models import (
        Corrected,
        LateReadings,
        MonthClosed,
        MonthTotal,
        PaidOut,
        UsagePeriod,
        line_pk,
        meter_pk,
    )

    meter_id, pdl = electricity_meter(customer, started_on="2026-03-01")
    report = drop(customer.client, csv_file(whole_days(pdl, date(2026, 3, 2), date(2026, 3, 3))))
    assert report["accepted"] > 0, report
    plan = {"allowances": [{"unit": "GB", "included": 20}], "out_of_plan_cents": {"GB": 500}}
    customer.subscribe("mobile", offer=None, tariff=plan, started_on="2026-03-01")
    pk = meter_pk(meter_id)
    MonthClosed(
        pk,
        "CLOSED#2026-03",
        month="2026-03",
        consumed_kwh="48",
        billed_peak_kwh="48",
        billed_off_peak_kwh="0",
        injected_kwh="0",
        closed_at=NOW,
    ).save()
    LateReadings(pk, "LATE#2026-03", month="2026-03", revision=1).save()
    Corrected(pk, "CORRECTED#2026-03", month="2026-03", closed_at=NOW).save()
    PaidOut(
        pk,
        "PAIDOUT#p1",
        payout_id="p1",
        month="2026-03",
        invoice_id="in_1",
        amount_cents=1,
        paid_on="2026-04-05",
        recorded_at=NOW,
    ).save()
    mobile = customer.subscriptions[-1]
    UsagePeriod(
        line_pk(mobile),
        "PERIOD#2026-03-01",
        period_start="2026-03-01",
        period_end="2026-04-01",
        announcement={},
        closed_at=NOW,
    ).save()
    assert list(MonthTotal.query(f"POINT#{pdl}"))  # the readings made their month's total
    return meter_id, pdl


def test_every_model_of_the_table_is_exported_or_said_why_not() -> None:
    from chalicelib import personal_data
    from chalicelib.models import Item

    assert set(personal_data.EXPORTED) & set(personal_data.NOT_EXPORTED) == set()
    assert table_models(Item) == set(personal_data.EXPORTED) | set(personal_data.NOT_EXPORTED)


def test_the_part_holds_an_item_of_each_kind_and_the_half_hour_readings(
    client: Any, customer_factory: Any
) -> None:
    from chalicelib import personal_data

    published = EventLog("guichet.consumption")
    customer = customer_factory()
    one_of_each(customer)
    deliver(
        client,
        "data_export_requested",
        DataExportRequested(export_id="ex_c1", customer_id=customer.customer_id),
    )

    s3 = boto3.client("s3")
    keys = {
        entry["Key"]
        for entry in s3.list_objects_v2(Bucket=BUCKET, Prefix="exports/ex_c1/consumption/")["Contents"]
    }
    document = json.loads(
        s3.get_object(Bucket=BUCKET, Key="exports/ex_c1/consumption/data.json")["Body"].read()
    )
    assert set(document["items"]) == set(personal_data.EXPORTED)
    readings = (
        s3.get_object(Bucket=BUCKET, Key="exports/ex_c1/consumption/readings.csv")["Body"].read().decode()
    )
    lines = readings.splitlines()
    assert lines[0] == "day,half_hour,consumption_kwh,injection_kwh"
    assert len(lines) == 1 + 2 * 48 and lines[1].startswith("2026-03-02,0,0.5")
    assert "exports/ex_c1/consumption/month_closes.csv" in keys
    announced = published.of(customer.customer_id, "ConsumptionDataExported")
    assert announced and set(announced[-1]["detail"]["data"]["keys"]) == keys


def test_closing_erases_the_readings_of_the_meter_s_days_and_keeps_what_was_billed(
    client: Any, customer_factory: Any
) -> None:
    from chalicelib.models import DayBucket, MonthClosed, MonthTotal, meter_pk, point_pk

    customer = customer_factory()
    meter_id, pdl = one_of_each(customer)
    closed = CustomerClosed(customer_id=customer.customer_id, closed_on=date(2026, 11, 20))
    deliver(client, "customer_closed", closed)
    deliver(client, "customer_closed", closed)  # again: the same result

    assert not list(DayBucket.query(point_pk(pdl), DayBucket.sk.startswith("DAY#")))
    assert not list(MonthTotal.query(point_pk(pdl), MonthTotal.sk.startswith("MONTH#")))
    assert list(MonthClosed.query(meter_pk(meter_id), MonthClosed.sk.startswith("CLOSED#")))
