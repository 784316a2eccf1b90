"""Meter readings over the API, end to end over HTTP on the local runtime (issue 12): the
provider's system posts a day of half-hours for a customer's energy meter with an operator token
(`POST /consumption/operator/readings`, scope readings:write), and the customer's consumption API
shows them exactly as it shows the same readings dropped as a meter file (`make ingest`). The
same batch again changes nothing; a customer's token is refused there.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from conftest import eventually
from customers import verified_customer

PARIS = ZoneInfo("Europe/Paris")
CAMILLE = {
    "first_name": "Camille",
    "last_name": "Roux",
    "address": {"line1": "3 quai des Chartrons", "postal_code": "33000", "city": "Bordeaux", "country": "FR"},
}


def an_electricity_item(pdl: str, label: str) -> dict[str, Any]:
    return {
        "product_id": "electricity-essentielle",
        "label": label,
        "options": {
            "pdl": pdl,
            "subscribed_power_kva": 6,
            "tariff_option": "base",
            "payment_mode": "per_invoice",
        },
    }


def test_a_day_posted_by_the_provider_reads_as_the_same_day_dropped_as_a_file(runtime: Any) -> None:
    from guichet_local.operator_token import local_token

    # Given a customer of the runtime (no demo) with two electricity contracts, one PDL each
    customer = verified_customer(runtime, "e2e-readings-api", **CAMILLE)
    auth = customer.auth
    by_api, by_file = (f"{uuid.uuid4().int % 10**14:014d}" for _ in range(2))
    order = runtime.post(
        "/subscriptions/orders",
        json={"items": [an_electricity_item(by_api, "Maison"), an_electricity_item(by_file, "Atelier")]},
        headers={**auth, "Idempotency-Key": f"order-{uuid.uuid4()}"},
    )
    assert order.status_code == 201, order.text
    meters = eventually(
        lambda: (lambda items: items if len(items) == 2 else None)(
            runtime.get("/consumption/meters", headers=auth).json()["items"]
        ),
        timeout=30,
    )
    assert meters, "the meters did not appear in time"
    meter_of = {meter["pdl"]: meter["meter_id"] for meter in meters}

    # and the half-hours of the runtime's day (its first day as the meters' own), varying
    day = runtime.now().astimezone(PARIS).date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)
    after = datetime(day.year, day.month, day.day, tzinfo=PARIS) + timedelta(days=1)
    count = int((after.astimezone(UTC) - midnight) / timedelta(minutes=30))
    starts = [(midnight + timedelta(minutes=30 * n)).astimezone(PARIS).isoformat() for n in range(count)]
    values = [f"{0.2 + (n % 7) * 0.031:.3f}" for n in range(count)]

    # When the provider posts them for one PDL, with an operator token of the readings:write scope
    token = local_token(runtime.port, ["readings:write"], operator="billing-sync")
    operator = {"Authorization": f"Bearer {token}"}
    batch = {
        "readings": [
            {"meter_id": by_api, "start": start, "value": float(value)}
            for start, value in zip(starts, values, strict=True)
        ]
    }
    posted = runtime.post("/consumption/operator/readings", json=batch, headers=operator)
    # and the same readings arrive for the other PDL as a dropped meter file
    rows = ["meter_id,start,value"] + [f"{by_file},{s},{v}" for s, v in zip(starts, values, strict=True)]
    report = runtime.post(f"/_local/ingest?name=e2e-api-{by_file}.csv", data="\n".join(rows).encode()).json()

    # Then every item is accepted, as every row of the file
    assert posted.status_code == 200, posted.text
    answer = posted.json()
    assert (answer["status"], answer["accepted"], answer["rejected"]) == ("received", count, 0), answer
    assert (report["status"], report["accepted"], report["rejected"]) == ("ingested", count, []), report
    # and the customer's consumption API shows both days alike: half-hours, the day and its cost
    for step in ("half_hour", "day", "month"):
        params = {"from": day.isoformat(), "to": day.isoformat(), "step": step}
        seen = [
            runtime.get(f"/consumption/meters/{meter_of[pdl]}/series", headers=auth, params=params).json()
            for pdl in (by_api, by_file)
        ]
        assert seen[0]["points"] == seen[1]["points"], step
        assert seen[0]["totals"] == seen[1]["totals"], step
    day_total = sum(float(value) for value in values)
    assert abs(seen[0]["totals"]["consumed"] - day_total) < 0.01

    # When the provider posts the same batch again, and a customer's token posts it
    again = runtime.post("/consumption/operator/readings", json=batch, headers=operator)
    as_customer = runtime.post("/consumption/operator/readings", json=batch, headers=auth)

    # Then the batch is known (every item a duplicate) and the customer is refused
    assert again.status_code == 200, again.text
    assert (again.json()["status"], again.json()["duplicate"]) == ("already_received", count)
    assert as_customer.status_code == 401, as_customer.text
