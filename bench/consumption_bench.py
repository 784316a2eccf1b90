"""Consumption service benchmarks.

1. Cold import of the app ÷ `python -c 'import boto3'` (goal ≤ 1.3), fresh interpreters, alternated.
2. A meter-year of half-hours (17,520 readings) read for GET …/series?step=half_hour over 366
   days: DynamoDB requests (goal 1 Query of the PDL's day buckets, after the meter's GetItem)
   and items read (goal ≤ 366), counted on moto.
3. Decoding that year from its 365 day buckets (one compact string per day) ÷ decoding the same
   readings stored as one item per half-hour, through PynamoDB in both cases, interleaved
   (reported).
4. Ingesting the meter-year as one CSV file: DynamoDB requests (reported: about two per day
   touched and three per month).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, date, datetime, timedelta

from harness import (
    ROOT,
    DynamoCalls,
    cold_import_ratio,
    deployed_on_moto,
    interleaved_medians,
    requests_made,
    service_environment,
)

SERVICE = ROOT / "services" / "consumption"
RESOURCES = {
    "CONSUMPTION_TABLE_NAME": "guichet-test-consumption",
    "CONSUMPTION_INGEST_BUCKET": "guichet-test-consumption-ingest-123456789012",
    "GUICHET_MAIL_SENDER": "Guichet <no-reply@guichet.test>",
}
ROUNDS = 7


def year_csv(meter_id: str) -> str:
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    rows = ["meter_id,start,value"]
    start = datetime(2025, 1, 1, tzinfo=paris).astimezone(UTC)
    end = datetime(2026, 1, 1, tzinfo=paris).astimezone(UTC)
    moment, index = start, 0
    while moment < end:
        rows.append(f"{meter_id},{moment.strftime('%Y-%m-%dT%H:%M:%SZ')},{0.2 + (index % 48) / 100:.3f}")
        moment += timedelta(minutes=30)
        index += 1
    return "\n".join(rows)


def year_of_readings() -> None:
    import logging

    logging.disable(logging.WARNING)
    os.environ.update(service_environment(SERVICE, **RESOURCES))
    sys.path.insert(0, str(SERVICE))
    from guichet_contracts.domain_events.subscriptions import SubscriptionActivated
    from guichet_local.testing import a_subscription, deliver

    with deployed_on_moto(SERVICE, "guichet-test") as signer:
        from app import app
        from chalice.test import Client
        from chalicelib import readings

        client = Client(app, stage_name="local", project_dir=str(SERVICE))
        customer_id = "bc000001-GU"
        deliver(
            client,
            "subscription_activated",
            SubscriptionActivated(
                subscription=a_subscription(
                    customer_id,
                    subscription_id="benchmeter",
                    started_on="2024-12-01",
                    offer="base",
                    pdl="99999999999999",
                    tariff={"energy_rates_cents_per_kwh": {"base": "19.52"}},
                ),
                order_id=None,
                origin="order",
                billed_from=date(2024, 12, 1),
            ),
        )
        content = year_csv("99999999999999").encode()
        calls = DynamoCalls()
        report, counted = calls.during(
            lambda: readings.ingest("readings/year.csv", content, now=datetime.now(UTC))
        )
        print(
            f"ingesting a meter-year CSV ({report.accepted} readings, {len(report.rejected)} rejected): "
            f"{requests_made(counted)} DynamoDB requests (reported)"
        )
        headers = {"authorization": f"Bearer {signer.token(customer_id)}"}
        # the subscription's meter, reading the PDL the file named
        path = "/meters/Ebenchmeter/series?step=half_hour&from=2025-01-01&to=2025-12-31"
        client.http.get(path, headers=headers)  # warm
        answer, counted = calls.during(lambda: client.http.get(path, headers=headers))
        points = json.loads(answer.body)["points"]
        days = len({point["start"][:10] for point in points})
        print(
            f"DynamoDB requests, a meter-year at half-hour step ({len(points)} points, {days} day items): "
            f"{requests_made(counted)} (goal 1 Query, ≤ 366 items)"
        )
        decode_ratio()


def decode_ratio() -> None:
    """The same year decoded from day buckets and from one item per reading, both through PynamoDB."""
    from chalicelib import readings
    from chalicelib.models import DayBucket, point_pk
    from pynamodb.attributes import NumberAttribute, UnicodeAttribute
    from pynamodb.models import Model

    class Reading(Model):  # the design not taken: one item per half-hour
        class Meta:
            table_name = "unused"

        pk = UnicodeAttribute(hash_key=True)
        sk = UnicodeAttribute(range_key=True)
        value = NumberAttribute()

    buckets = list(DayBucket.query(point_pk("99999999999999"), DayBucket.sk.startswith("DAY#")))
    raw_days = [bucket.serialize() for bucket in buckets]
    raw_readings = [
        Reading(f"METER#x#{bucket.day}", f"{index:02d}", value=float(value or 0)).serialize()
        for bucket in buckets
        for index, value in enumerate(readings.decode(bucket.consumption, int(bucket.slots)))
    ]

    def from_days() -> int:
        total = 0
        for raw in raw_days:
            bucket = DayBucket.from_raw_data(raw)
            total += len(readings.decode(bucket.consumption, int(bucket.slots)))
        return total

    def from_items() -> int:
        return sum(1 for raw in raw_readings if Reading.from_raw_data(raw).value is not None)

    assert from_days() == from_items() == len(raw_readings)
    per_day, per_reading = interleaved_medians(from_days, from_items, ROUNDS)
    print(
        f"decoding a meter-year: {len(raw_days)} day buckets {per_day * 1000:.0f} ms, "
        f"{len(raw_readings)} reading items {per_reading * 1000:.0f} ms, ratio {per_reading / per_day:.1f} "
        "(reported)"
    )


if __name__ == "__main__":
    cold_import_ratio(SERVICE, service_environment(SERVICE, **RESOURCES), "consumption app")
    year_of_readings()
