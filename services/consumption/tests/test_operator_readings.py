"""Meter readings over the API (POST /consumption/operator/readings): the provider's systems send a
batch of JSON items, each a meter file's row, with an operator token of the readings:write scope.
Each item is answered by its index (accepted, duplicate, rejected with its fields) and a bad one
never stops the others; the readings land as a dropped file's do (the same check, the same
store), and the same batch twice changes nothing the second time."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import (
    assert_documented,
    csv_file,
    drop,
    electricity_meter,
    local_half_hours,
    new_pdl,
    ok,
    rows,
)
from guichet_local.testing import assert_error

DAY = "2026-03-02"
AFTER_THE_DAY = "2026-03-03T08:00:00+01:00"  # when the provider sends the day's readings


def paris_day(day: str = DAY) -> list[str]:
    from datetime import date

    return [start.isoformat() for start in local_half_hours(date.fromisoformat(day))]


class Provider:
    """The provider's system, posting batches with its operator token."""

    def __init__(self, client: Any, token: str, document: dict[str, Any]) -> None:
        self.client, self.token, self.document = client, token, document

    def post(self, body: Any, headers: dict[str, str] | None = None, *, token: str | None = None) -> Any:
        sent = {"authorization": f"Bearer {token or self.token}", "content-type": "application/json"}
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = self.client.http.request(
            "POST", "/operator/readings", headers={**sent, **(headers or {})}, body=payload
        )
        assert_documented(self.document, "POST", "/operator/readings", response)
        return response

    def held(self, point: str, query: str, *, token: str | None = None) -> Any:
        sent = {"authorization": f"Bearer {token or self.token}"}
        response = self.client.http.get(f"/operator/meters/{point}/readings{query}", headers=sent)
        assert_documented(self.document, "GET", "/operator/meters/{meter_id}/readings", response)
        return response

    def send(self, items: list[Any], **headers: str) -> dict[str, Any]:
        return dict(ok(self.post({"readings": items}, headers)))


@pytest.fixture
def provider(
    client: Any, signer: Any, openapi_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Provider:
    from datetime import datetime

    from chalicelib import operator_api

    # the batches are taken as of the morning after the day they read
    monkeypatch.setattr(operator_api, "_now", lambda: datetime.fromisoformat(AFTER_THE_DAY))
    return Provider(
        client, signer.operator_token("readings:write", operator_id="billing-sync"), openapi_document
    )


@pytest.fixture
def household(customer_factory: Any) -> tuple[Any, str, str]:
    """A customer with a consuming meter from 1 January 2026: (customer, meter id, PDL)."""
    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer)
    return customer, meter_id, pdl


def half_hours_of(customer: Any, meter_id: str, day: str = DAY) -> dict[str, float]:
    series = ok(customer.call("GET", f"/meters/{meter_id}/series?from={day}&to={day}&step=half_hour"))
    return {point["start"]: point["value"] for point in series["points"] if point["value"] is not None}


def a_day(pdl: str, value: str = "0.25") -> list[dict[str, Any]]:
    return [{"meter_id": pdl, "start": start, "value": value} for start in paris_day()]


def test_a_day_of_readings_lands_as_the_same_readings_in_a_file_do(
    customer_factory: Any, provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    # Given two customers with a meter each, and the same day of varying readings for both
    by_api, by_file = customer_factory(), customer_factory()
    api_meter, api_pdl = electricity_meter(by_api)
    file_meter, file_pdl = electricity_meter(by_file)
    values = [f"{0.1 + index * 0.013:.3f}" for index in range(48)]

    # When one gets them over the API (numbers as JSON has them) and the other in a dropped file
    answer = provider.send(
        [
            {"meter_id": api_pdl, "start": start, "value": float(value)}
            for start, value in zip(paris_day(), values, strict=True)
        ]
    )
    report = drop(by_file.client, csv_file(rows(file_pdl, dict(zip(paris_day(), values, strict=True)))))

    # Then every item is accepted, by its index
    assert (answer["status"], answer["received"], answer["accepted"], answer["duplicate"]) == (
        "received",
        48,
        48,
        0,
    )
    assert [item["index"] for item in answer["items"]] == list(range(48))
    assert {item["status"] for item in answer["items"]} == {"accepted"}
    assert report["accepted"] == 48
    # and the customer sees what the file's customer sees: the half-hours, the day, the month
    assert half_hours_of(by_api, api_meter) == half_hours_of(by_file, file_meter) != {}
    for step, day in (("day", DAY), ("month", "2026-03-01")):
        path = "/meters/{}/series?from=" + day + "&to=" + day + f"&step={step}"
        api_series = ok(by_api.call("GET", path.format(api_meter)))
        file_series = ok(by_file.call("GET", path.format(file_meter)))
        assert api_series["points"] == file_series["points"] and api_series["totals"] == file_series["totals"]
    # and the batch is logged with the operator who sent it
    assert any(
        record.getMessage() == "operator sent meter readings"
        and getattr(record, "operator", None) == "billing-sync"
        for record in caplog.records
    )


def test_bad_items_are_rejected_by_index_with_their_fields_and_the_rest_is_applied(
    household: tuple[Any, str, str], provider: Provider
) -> None:
    # Given a batch whose good items surround bad ones
    customer, meter_id, pdl = household
    starts = paris_day()
    items = [
        {"meter_id": pdl, "start": starts[20], "value": 0.5},  # 0
        {"meter_id": pdl, "start": "2026-03-02T10:15:00+01:00", "value": 1},  # 1 not on a half-hour
        {"meter_id": new_pdl(), "start": starts[21], "value": 1},  # 2 no such meter
        {"meter_id": pdl, "start": starts[21], "value": -1},  # 3 negative
        {"meter_id": pdl, "start": "2026-03-02T11:00:00", "value": 1},  # 4 no offset
        {"meter_id": pdl, "start": starts[21], "value": "1", "owner": "x"},  # 5 unknown field
        "not an object",  # 6
        {"meter_id": pdl, "value": True},  # 7 no start, a boolean value
        {"meter_id": pdl, "start": starts[21], "value": 1, "direction": "injection"},  # 8 no production
        {"meter_id": pdl, "start": starts[20], "value": "0.75"},  # 9 item 0 gave another value
        {"meter_id": pdl, "start": "2026-03-04T10:00:00+01:00", "value": 1},  # 10 from the future
        {"meter_id": pdl, "start": starts[22], "value": "0.125", "direction": "consumption"},  # 11
    ]

    # When it is sent (asking for English)
    answer = provider.send(items, **{"accept-language": "en"})

    # Then each bad item is rejected by its index, naming its field in the API's words
    rejected = {item["index"]: item["fields"] for item in answer["items"] if item["status"] == "rejected"}
    assert {index: sorted(fields) for index, fields in rejected.items()} == {
        1: ["start"],
        2: ["meter_id"],
        3: ["value"],
        4: ["start"],
        5: ["owner"],
        6: ["item"],
        7: ["start", "value"],
        8: ["direction"],
        9: ["start"],
        10: ["start"],
    }
    assert rejected[1]["start"] == "must be on the hour or the half-hour"
    assert rejected[2]["meter_id"] == "names an unknown meter"
    assert rejected[9]["start"] == "item 0 gives this half-hour another value"
    assert "cannot be from the future" in rejected[10]["start"]
    assert (answer["accepted"], answer["duplicate"], answer["rejected"]) == (2, 0, 10)
    # and the good ones are in
    assert half_hours_of(customer, meter_id) == {starts[20]: 0.5, starts[22]: 0.125}


def test_the_field_errors_are_in_the_request_s_language(
    household: tuple[Any, str, str], provider: Provider
) -> None:
    # Given an item of an unknown meter
    _, _, pdl = household
    item = {"meter_id": pdl + "0", "start": paris_day()[0], "value": 1}

    # When it is sent in French (the default) and in Italian
    french = provider.send([item])["items"][0]["fields"]["meter_id"]
    italian = provider.send([item], **{"accept-language": "it"})["items"][0]["fields"]["meter_id"]

    # Then each says it in its language
    assert (french, italian) == ("désigne un compteur inconnu", "indica un contatore sconosciuto")


def test_the_same_batch_twice_changes_nothing_the_second_time(
    household: tuple[Any, str, str], provider: Provider
) -> None:
    # Given a day sent once
    from chalicelib.models import DayBucket, LateReadings, MonthTotal, meter_pk, point_pk

    customer, meter_id, pdl = household
    batch = a_day(pdl)
    first = provider.send(batch)
    bucket = DayBucket.get(point_pk(pdl), f"DAY#{DAY}", consistent_read=True)
    month = MonthTotal.get(point_pk(pdl), "MONTH#2026-03", consistent_read=True)
    mark = LateReadings.get(meter_pk(meter_id), "LATE#2026-03", consistent_read=True)
    seen = half_hours_of(customer, meter_id)

    # When the same batch is sent again
    again = provider.send(batch)

    # Then it is answered from the first one's record: every item a duplicate, nothing written
    assert (first["status"], first["accepted"]) == ("received", 48)
    assert (again["status"], again["batch"], again["accepted"], again["duplicate"]) == (
        "already_received",
        first["batch"],
        0,
        48,
    )
    assert {item["status"] for item in again["items"]} == {"duplicate"}
    assert DayBucket.get(point_pk(pdl), f"DAY#{DAY}", consistent_read=True).version == bucket.version
    assert MonthTotal.get(point_pk(pdl), "MONTH#2026-03", consistent_read=True).revision == month.revision
    assert (
        LateReadings.get(meter_pk(meter_id), "LATE#2026-03", consistent_read=True).revision == mark.revision
    )
    assert half_hours_of(customer, meter_id) == seen


def test_readings_held_already_are_duplicates_and_rewrite_nothing(
    household: tuple[Any, str, str], provider: Provider
) -> None:
    # Given a day dropped as a file
    from chalicelib.models import DayBucket, MonthTotal, point_pk

    customer, meter_id, pdl = household
    starts = paris_day()
    assert drop(customer.client, csv_file(rows(pdl, dict.fromkeys(starts, "0.25"))))["accepted"] == 48
    bucket = DayBucket.get(point_pk(pdl), f"DAY#{DAY}", consistent_read=True)
    month = MonthTotal.get(point_pk(pdl), "MONTH#2026-03", consistent_read=True)

    # When a batch gives two of its half-hours again (one twice), with the same values (0.250 is 0.25)
    answer = provider.send(
        [
            {"meter_id": pdl, "start": starts[0], "value": "0.250"},
            {"meter_id": pdl, "start": starts[1], "value": 0.25},
            {"meter_id": pdl, "start": starts[1], "value": 0.25},
        ]
    )

    # Then they are duplicates, and neither the day nor the month is written again
    assert [item["status"] for item in answer["items"]] == ["duplicate"] * 3
    assert DayBucket.get(point_pk(pdl), f"DAY#{DAY}", consistent_read=True).version == bucket.version
    assert MonthTotal.get(point_pk(pdl), "MONTH#2026-03", consistent_read=True).revision == month.revision

    # When a third one gives another value
    changed = provider.send([{"meter_id": pdl, "start": starts[0], "value": 1}])

    # Then it is accepted and the customer sees it
    assert changed["items"] == [{"index": 0, "status": "accepted"}]
    assert half_hours_of(customer, meter_id)[starts[0]] == 1.0


def test_a_batch_with_rejected_items_is_not_recorded_and_can_be_sent_again_once_mended(
    customer_factory: Any, provider: Provider
) -> None:
    # Given a batch naming a PDL no meter reads yet
    customer = customer_factory()
    pdl = new_pdl()
    batch = a_day(pdl)
    refused = provider.send(batch)

    # When its meter arrives and the same batch is sent again
    meter_id, _ = electricity_meter(customer, pdl=pdl)
    taken = provider.send(batch)

    # Then it was all rejected the first time, and is all taken the second
    assert (refused["status"], refused["rejected"]) == ("received", 48)
    assert (taken["status"], taken["accepted"]) == ("received", 48)
    assert len(half_hours_of(customer, meter_id)) == 48


def test_readings_of_a_closed_month_are_marked_for_the_next_close(
    household: tuple[Any, str, str], provider: Provider
) -> None:
    # Given a meter
    from chalicelib.models import LateReadings, meter_pk

    _, meter_id, pdl = household

    # When a batch brings readings of March
    provider.send(a_day(pdl))

    # Then March is marked for the meter's closes, as a file's readings mark it
    assert LateReadings.get(meter_pk(meter_id), "LATE#2026-03", consistent_read=True).month == "2026-03"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        pytest.param({"readings": []}, 422, "validation_failed", "readings", id="empty"),
        pytest.param({}, 422, "validation_failed", "readings", id="no-readings"),
        pytest.param({"readings": {"a": 1}}, 422, "validation_failed", "readings", id="not-a-list"),
        pytest.param({"readings": [], "owner": "x"}, 422, "validation_failed", "owner", id="extra-field"),
        pytest.param(b"[1, 2]", 400, "malformed_request", None, id="not-an-object"),
        pytest.param(b"{", 400, "malformed_request", None, id="not-json"),
    ],
)
def test_a_malformed_batch_is_refused_whole(
    provider: Provider, body: Any, status: int, code: str, field: str | None
) -> None:
    # When a batch that is not one is sent
    response = provider.post(body)

    # Then it is refused with the error body
    assert_error(response, status, code, *([field] if field else []))


def test_an_oversized_batch_is_refused_and_changes_nothing(
    household: tuple[Any, str, str], provider: Provider
) -> None:
    # Given a meter, a batch of 1,501 readings, and a body over 1 MB
    from chalicelib.schemas import MAX_READINGS

    customer, meter_id, pdl = household
    too_many = [{"meter_id": pdl, "start": paris_day()[0], "value": 1}] * (MAX_READINGS + 1)
    too_big = {"readings": [{"meter_id": pdl, "start": paris_day()[0], "value": "1" + "0" * 1_000_000}]}

    # When they are sent
    counted = provider.post({"readings": too_many})
    heavy = provider.post(too_big)

    # Then 422 naming the readings, and 413; the meter read nothing
    assert_error(counted, 422, "validation_failed", "readings")
    assert_error(heavy, 413, "payload_too_large")
    assert half_hours_of(customer, meter_id) == {}


def test_the_route_takes_only_an_operator_token_with_the_readings_scope(
    household: tuple[Any, str, str], provider: Provider, signer: Any
) -> None:
    # Given a day of readings
    customer, meter_id, pdl = household
    body = {"readings": a_day(pdl)}

    # When it is sent without a token, with the customer's own token, and with an operator token
    # of another scope
    nobody = provider.post(body, token="not-a-token")
    as_customer = provider.post(body, token=customer.token)
    unscoped = provider.post(body, token=signer.operator_token("invoices:write"))

    # Then 401, 401 and 403 insufficient_scope; nothing was read
    assert_error(nobody, 401, "unauthenticated")
    assert_error(as_customer, 401, "unauthenticated")
    assert_error(unscoped, 403, "insufficient_scope", "scope")
    assert half_hours_of(customer, meter_id) == {}


def test_an_operator_token_is_refused_on_the_customer_routes(
    household: tuple[Any, str, str], signer: Any, client: Any
) -> None:
    # Given an operator token of the readings scope
    _, meter_id, _ = household
    token = signer.operator_token("readings:write")

    # When it asks for a customer's route
    response = client.http.get(f"/meters/{meter_id}/series", headers={"authorization": f"Bearer {token}"})

    # Then 401: it has no session
    assert_error(response, 401, "unauthenticated")


def test_the_provider_reads_back_what_a_point_received_by_file_and_by_batch(
    household: tuple[Any, str, str], provider: Provider
) -> None:
    # Given a point that received two half-hours by file and one consumed and injected by batch
    customer, _, pdl = household
    starts = paris_day()
    drop(customer.client, csv_file(rows(pdl, {starts[0]: "0.5", starts[1]: "0.25"})))
    provider.send([{"meter_id": pdl, "start": starts[3], "value": 1.5}])

    # When the provider reads the day back
    held = ok(provider.held(pdl, f"?from={DAY}&to={DAY}"))

    # Then it gets every half-hour read, in time order, as decimal text
    assert (held["meter_id"], held["unit"], held["from"], held["to"]) == (pdl, "kWh", DAY, DAY)
    assert held["items"] == [
        {"start": starts[0], "consumption": "0.5", "injection": None},
        {"start": starts[1], "consumption": "0.25", "injection": None},
        {"start": starts[3], "consumption": "1.5", "injection": None},
    ]
    # and nothing of the days around it
    assert ok(provider.held(pdl, "?from=2026-03-03&to=2026-04-02"))["items"] == []


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        pytest.param("?to=2026-03-02", 422, "from", id="no-from"),
        pytest.param("?from=2026-03-02", 422, "to", id="no-to"),
        pytest.param("?from=2026-03-02&to=2026-03-01", 422, "to", id="backwards"),
        pytest.param("?from=2026-03-01&to=2026-04-01", 422, "to", id="32-days"),
        pytest.param("?from=2026-02-30&to=2026-03-01", 422, "from", id="no-such-day"),
    ],
)
def test_reading_back_needs_a_period_of_31_days_at_most(
    household: tuple[Any, str, str], provider: Provider, query: str, status: int, field: str
) -> None:
    _, _, pdl = household
    response = provider.held(pdl, query)
    assert_error(response, status, "range_too_long" if "04-01" in query else "validation_failed", field)


def test_reading_back_an_unknown_point_or_without_the_scope_is_refused(
    household: tuple[Any, str, str], provider: Provider, signer: Any
) -> None:
    customer, meter_id, pdl = household
    period = f"?from={DAY}&to={DAY}"
    assert_error(provider.held(new_pdl(), period), 404, "not_found")
    assert_error(provider.held(meter_id, period), 404, "not_found")  # the API's meter id is not a point
    assert_error(provider.held(pdl, period, token=customer.token), 401, "unauthenticated")
    assert_error(
        provider.held(pdl, period, token=signer.operator_token("invoices:write")), 403, "insufficient_scope"
    )
