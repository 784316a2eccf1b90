"""Meter readings arrive as CSV files dropped in the ingest bucket (API.md "Consumption"): each
bad row is reported with its line number and a reason while the good rows of the file are kept;
a file counts once, and a reading sets its half-hour, so nothing is ever counted twice — not
even when two files of the same day are read at once. Days when the clocks change have 46 and
50 half-hours, and a reading lands in the half-hour its time with offset names."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from conftest import (
    STOCKAGE_TARIFF,
    csv_file,
    drop,
    drop_file,
    electricity_meter,
    file_name,
    local_half_hours,
    new_pdl,
    ok,
    rows,
    whole_days,
)
from guichet_contracts import observability
from guichet_local.testing import together

DAY = "2026-03-02"
GOOD_BEFORE = f"{DAY}T10:00:00+01:00"
GOOD_AFTER = f"{DAY}T11:00:00+01:00"


def meter_reading(customer: Any, pdl: str) -> str:
    """The customer's meter of this PDL: what the API names what the files name by its PDL."""
    meters = ok(customer.call("GET", "/meters"))["items"]
    return next(meter["meter_id"] for meter in meters if meter["pdl"] == pdl)


def readings_of(customer: Any, pdl: str, day: str = DAY, field: str = "value") -> dict[str, float]:
    """The half-hours of `day` that hold a reading, as the customer's meter of the PDL shows them:
    {start: value}."""
    meter_id = meter_reading(customer, pdl)
    series = ok(customer.call("GET", f"/meters/{meter_id}/series?from={day}&to={day}&step=half_hour"))
    return {point["start"]: point[field] for point in series["points"] if point[field]}


def month_total(customer: Any, pdl: str, month: str = "2026-03") -> float | None:
    meter_id = meter_reading(customer, pdl)
    series = ok(customer.call("GET", f"/meters/{meter_id}/series?from={month}-01&to={month}-01&step=month"))
    (point,) = series["points"]
    return point["value"]  # type: ignore[no-any-return]


@pytest.fixture
def household(customer_factory: Any) -> tuple[Any, str]:
    """A customer with a consuming meter (no production), from 1 January 2026; its PDL, which the
    files name."""
    customer = customer_factory()
    _, pdl = electricity_meter(customer)
    return customer, pdl


@pytest.mark.parametrize("header", ["meter_id,start,value,direction\n", "\ufeffmeter_id,start,value\n", ""])
def test_the_header_is_optional(household: tuple[Any, str], header: str) -> None:
    # Given a meter, and a file of two readings with a header, a header after a BOM, or none
    customer, pdl = household
    body = header + "\n".join(rows(pdl, {GOOD_BEFORE: "0.412", GOOD_AFTER: "1.25"})) + "\n"

    # When the file is dropped
    report = drop(customer.client, body)

    # Then both rows are read, and only them
    assert (report["status"], report["rows"], report["accepted"], report["rejected"]) == (
        "ingested",
        2,
        2,
        [],
    )
    assert readings_of(customer, pdl) == {GOOD_BEFORE: 0.412, GOOD_AFTER: 1.25}


def test_the_report_names_the_file_and_its_digest_and_is_left_next_to_it(household: tuple[Any, str]) -> None:
    # Given a meter's file
    import hashlib

    customer, pdl = household
    body = csv_file(rows(pdl, {GOOD_BEFORE: "1"}))
    name = file_name()

    # When it is dropped
    report = drop_file(customer.client, name, body)

    # Then its report (read from reports/<name>.json) names it and its SHA-256
    assert report["file"] == f"readings/{name}"
    assert report["sha256"] == hashlib.sha256(body.encode()).hexdigest()


BAD_ROWS = [
    pytest.param("{meter},{day}T10:30:00+01:00", "expected meter_id,start,value", id="two-columns"),
    pytest.param(
        "{meter},{day}T10:30:00+01:00,1,consumption,extra", "expected meter_id,start,value", id="five-columns"
    ),
    pytest.param("{unknown},{day}T10:30:00+01:00,1", "unknown meter", id="unknown-meter"),
    pytest.param("{meter},{day}T10:30:00,1", "offset", id="start-without-offset"),
    pytest.param("{meter},02/03/2026 10:30,1", "ISO 8601", id="start-not-iso"),
    pytest.param("{meter},,1", "ISO 8601", id="start-empty"),
    pytest.param("{meter},{day}T10:15:00+01:00,1", "half-hour", id="start-quarter-past"),
    pytest.param("{meter},{day}T10:30:10+01:00,1", "half-hour", id="start-with-seconds"),
    pytest.param("{meter},{day}T10:30:00+05:45,1", "half-hour", id="start-off-the-grid-by-its-offset"),
    pytest.param("{meter},{day}T10:30:00+01:00,-0.5", "from 0 to", id="negative-value"),
    pytest.param("{meter},{day}T10:30:00+01:00,abc", "must be a number", id="non-numeric-value"),
    pytest.param("{meter},{day}T10:30:00+01:00,", "must be a number", id="empty-value"),
    pytest.param("{meter},{day}T10:30:00+01:00,1e9", "from 0 to", id="huge-value"),
    pytest.param("{meter},{day}T10:30:00+01:00,NaN", "from 0 to", id="nan-value"),
    pytest.param("{meter},{day}T10:30:00+01:00,Infinity", "from 0 to", id="infinite-value"),
    pytest.param("{meter},{day}T10:30:00+01:00,1,export", "direction", id="bad-direction"),
    pytest.param("{meter},{day}T10:30:00+01:00,1,injection", "does not inject", id="injection-no-production"),
    pytest.param(
        "{meter},{day}T10:00:00+01:00,9.9", "line 2 gives this half-hour another value", id="conflict"
    ),
    pytest.param(
        "{meter},{day}T09:00:00Z,9.9", "line 2 gives this half-hour another value", id="conflict-utc"
    ),
    pytest.param("{meter},9999-12-31T12:00:00+00:00,1", "out of range", id="start-year-9999"),
    pytest.param("{meter},{day}T10:30:00+01:00," + "9" * 200_000, "", id="value-of-200000-digits"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_ROWS)
def test_a_bad_row_is_rejected_with_its_line_and_the_good_rows_are_kept(
    household: tuple[Any, str], bad: str, reason: str
) -> None:
    # Given a meter, and a file whose third line is bad between two good ones
    customer, pdl = household
    body = csv_file(
        rows(pdl, {GOOD_BEFORE: "0.5"}),
        bad.format(meter=pdl, unknown=new_pdl(), day=DAY),
        rows(pdl, {GOOD_AFTER: "0.75"}),
    )

    # When the file is dropped
    report = drop(customer.client, body)

    # Then line 3 is rejected with a reason a person can act on, and lines 2 and 4 are read
    assert (report["rows"], report["accepted"]) == (3, 2)
    (rejected,) = report["rejected"]
    assert rejected["line"] == 3
    assert reason in rejected["error"] and len(rejected["error"]) < 200, rejected
    assert readings_of(customer, pdl) == {GOOD_BEFORE: 0.5, GOOD_AFTER: 0.75}


def test_every_bad_row_of_a_file_is_reported(
    household: tuple[Any, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a file of 5 rows, 3 of them bad
    customer, pdl = household
    body = csv_file(
        rows(pdl, {GOOD_BEFORE: "1"}),
        f"{pdl},{DAY}T10:15:00+01:00,1",
        "",
        f"{pdl},{DAY}T10:30:00+01:00,-1",
        rows(pdl, {GOOD_AFTER: "2"}),
        f"{new_pdl()},{DAY}T10:30:00+01:00,1",
    )

    # When it is dropped
    report = drop(customer.client, body)

    # Then each bad row is reported by its line (the blank line counts as a line, not as a row)
    assert [row["line"] for row in report["rejected"]] == [3, 5, 7]
    assert (report["rows"], report["accepted"]) == (5, 2)
    # and counted for the operators' alarm
    assert observability.emitted(capsys.readouterr().out.splitlines())["MeterRowsRejected"] == 3


def test_a_row_that_is_not_utf8_is_rejected_and_the_good_rows_are_kept(household: tuple[Any, str]) -> None:
    # Given a file whose third line holds bytes that are not UTF-8 (Latin-1 "é")
    customer, pdl = household
    body = csv_file(
        rows(pdl, {GOOD_BEFORE: "0.5"}),
        f"{pdl},{DAY}T10:30:00+01:00,1,consommation-\xe9",
        rows(pdl, {GOOD_AFTER: "0.75"}),
    ).encode("latin-1")

    # When it is dropped
    report = drop(customer.client, body)

    # Then that line is rejected as not UTF-8 and the others are read
    (rejected,) = report["rejected"]
    assert rejected["line"] == 3 and "UTF-8" in rejected["error"]
    assert (report["rows"], report["accepted"]) == (3, 2)
    assert readings_of(customer, pdl) == {GOOD_BEFORE: 0.5, GOOD_AFTER: 0.75}


def test_a_quote_left_open_is_reported_with_the_lines_it_swallows(household: tuple[Any, str]) -> None:
    # Given a file whose third line opens a quote that no line closes
    customer, pdl = household
    body = csv_file(
        rows(pdl, {GOOD_BEFORE: "0.5"}),
        f'{pdl},{DAY}T10:30:00+01:00,"1',
        rows(pdl, {GOOD_AFTER: "0.75"}),
    )

    # When it is dropped
    report = drop(customer.client, body)

    # Then the report says which lines the open quote made into one row: none is lost unsaid
    (rejected,) = report["rejected"]
    assert rejected["line"] == 3 and "lines 3 to 4" in rejected["error"], rejected
    assert readings_of(customer, pdl) == {GOOD_BEFORE: 0.5}


def test_an_injection_reading_of_a_producing_meter_is_kept_apart(customer_factory: Any) -> None:
    # Given a meter with a virtual battery (it injects)
    customer = customer_factory()
    _, pdl = electricity_meter(customer, offer="virtual_storage", tariff=STOCKAGE_TARIFF)

    # When a file gives a half-hour's consumption and injection
    report = drop(
        customer.client,
        csv_file(rows(pdl, {GOOD_BEFORE: "0.2"}), rows(pdl, {GOOD_BEFORE: "1.4"}, "injection")),
    )

    # Then both are read, each in its own column
    assert (report["accepted"], report["rejected"]) == (2, [])
    assert readings_of(customer, pdl) == {GOOD_BEFORE: 0.2}
    assert readings_of(customer, pdl, field="injected") == {GOOD_BEFORE: 1.4}


def test_the_same_file_dropped_twice_counts_once(household: tuple[Any, str]) -> None:
    # Given a file of three readings, dropped once
    customer, pdl = household
    body = csv_file(rows(pdl, {GOOD_BEFORE: "1", GOOD_AFTER: "2", f"{DAY}T12:00:00+01:00": "3"}))
    first = drop(customer.client, body)
    assert (first["status"], first["accepted"]) == ("ingested", 3)

    # When the same file is dropped again (under another name, even)
    second = drop(customer.client, body)

    # Then the second report says it was already ingested, with the first run's counts
    assert second["status"] == "already_ingested"
    assert (second["sha256"], second["rows"], second["accepted"]) == (first["sha256"], 3, 3)
    # and the totals did not change
    assert month_total(customer, pdl) == 6


def test_the_same_readings_in_another_file_are_not_counted_twice(household: tuple[Any, str]) -> None:
    # Given readings ingested from one file
    customer, pdl = household
    readings = {GOOD_BEFORE: "1.5", GOOD_AFTER: "2.5"}
    drop(customer.client, csv_file(rows(pdl, readings)))

    # When another file (no header, other order, UTC times) gives the same readings
    again = csv_file(f"{pdl},{DAY}T10:00:00Z,2.5", f"{pdl},{DAY}T09:00:00Z,1.5", header=False)
    report = drop(customer.client, again)

    # Then it is read, and nothing is counted twice
    assert (report["status"], report["accepted"]) == ("ingested", 2)
    assert readings_of(customer, pdl) == {GOOD_BEFORE: 1.5, GOOD_AFTER: 2.5}
    assert month_total(customer, pdl) == 4


def test_a_later_file_corrects_a_half_hour(household: tuple[Any, str]) -> None:
    # Given a half-hour read as 1.5 kWh
    customer, pdl = household
    drop(customer.client, csv_file(rows(pdl, {GOOD_BEFORE: "1.5", GOOD_AFTER: "1"})))

    # When a later file gives it as 0.5 kWh
    drop(customer.client, csv_file(rows(pdl, {GOOD_BEFORE: "0.5"})))

    # Then the half-hour holds 0.5 and the month's total follows
    assert readings_of(customer, pdl) == {GOOD_BEFORE: 0.5, GOOD_AFTER: 1}
    assert month_total(customer, pdl) == 1.5


def test_a_file_with_rejected_rows_can_be_fed_again_once_its_meter_exists(customer_factory: Any) -> None:
    # Given a file for a PDL that has no meter yet, dropped: its rows are rejected
    customer = customer_factory()
    pdl = new_pdl()
    body = csv_file(rows(pdl, {GOOD_BEFORE: "1", GOOD_AFTER: "2"}))
    refused = drop(customer.client, body)
    assert (refused["status"], refused["accepted"], len(refused["rejected"])) == ("ingested", 0, 2)

    # When the meter's subscription is activated and the same file is dropped again
    customer.subscribe(pdl=pdl)
    report = drop(customer.client, body)

    # Then it is read this time
    assert (report["status"], report["accepted"], report["rejected"]) == ("ingested", 2, [])
    assert month_total(customer, pdl) == 3


def test_readings_stay_at_a_thousandth_of_a_kwh(household: tuple[Any, str]) -> None:
    # Given readings with more decimals than a watt-hour
    customer, pdl = household

    # When they are ingested
    drop(customer.client, csv_file(rows(pdl, {GOOD_BEFORE: "0.1234", GOOD_AFTER: "0.0005"})))

    # Then each is rounded half up to the watt-hour
    assert readings_of(customer, pdl) == {GOOD_BEFORE: 0.123, GOOD_AFTER: 0.001}


def test_files_of_the_same_days_read_at_once_keep_every_files_readings(
    household: tuple[Any, str], serialised_aws: None
) -> None:
    # Given four files, each with every fourth half-hour of 2 March and one half-hour of 3 March
    from datetime import UTC, datetime

    from chalicelib import readings

    customer, pdl = household
    starts = [start.isoformat() for start in local_half_hours(date(2026, 3, 2))]
    files = [
        csv_file(
            rows(pdl, {start: "1" for start in starts[part::4]}),
            rows(pdl, {f"2026-03-03T0{part}:00:00+01:00": "0.5"}),
        ).encode()
        for part in range(4)
    ]

    def ingest(part: int) -> Any:
        return lambda: readings.ingest(f"readings/race-{part}.csv", files[part], now=datetime.now(UTC))

    # When they are read at the same moment, as four deliveries would
    reports = together(*(ingest(part) for part in range(4)))

    # Then every file was read, and every half-hour of both days holds its reading
    assert [(report.accepted, report.rejected) for report in reports] == [(13, [])] * 4
    assert len(readings_of(customer, pdl)) == 48
    assert len(readings_of(customer, pdl, "2026-03-03")) == 4
    # and the month's total counts all four files: 48 × 1 + 4 × 0.5
    assert month_total(customer, pdl) == 50


def test_a_month_total_computed_while_another_file_lands_is_computed_again(
    household: tuple[Any, str], serialised_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a file of 2 March being read: it has read the month's days to total them, and is held
    # there until a file of 3 March has been read and has saved its own total of the month
    import threading
    from datetime import UTC, datetime

    from chalicelib import readings
    from chalicelib.models import DayBucket, MonthTotal

    customer, pdl = household
    first_file = csv_file(rows(pdl, {"2026-03-02T12:00:00+01:00": "1"})).encode()
    second_file = csv_file(rows(pdl, {"2026-03-03T12:00:00+01:00": "2"})).encode()
    first_held, second_saved = threading.Event(), threading.Event()
    original_query, original_save = DayBucket.query, MonthTotal.save

    def query(*args: Any, **kwargs: Any) -> Any:
        found = list(original_query(*args, **kwargs))
        if threading.current_thread().name == "first-file" and not first_held.is_set():
            first_held.set()
            second_saved.wait(timeout=10)
        return iter(found)

    def save(self: Any, *args: Any, **kwargs: Any) -> Any:
        saved = original_save(self, *args, **kwargs)
        if threading.current_thread().name != "first-file":
            second_saved.set()
        return saved

    monkeypatch.setattr(DayBucket, "query", query)
    monkeypatch.setattr(MonthTotal, "save", save)
    first = threading.Thread(
        target=lambda: readings.ingest("readings/first.csv", first_file, now=datetime.now(UTC)),
        name="first-file",
    )
    first.start()
    assert first_held.wait(timeout=10)

    # When the file of 3 March is read meanwhile, and the first one then saves its total
    readings.ingest("readings/second.csv", second_file, now=datetime.now(UTC))
    first.join(timeout=20)

    # Then the month's total holds both days: the total of the first file, made from days that
    # were no longer all there was, was computed again
    assert second_saved.is_set() and not first.is_alive()
    assert month_total(customer, pdl) == 3


def test_the_spring_forward_day_has_46_half_hours(household: tuple[Any, str]) -> None:
    # Given a meter, and a file with every half-hour of 29 March 2026 in Paris (02:00 → 03:00)
    customer, pdl = household
    day = date(2026, 3, 29)
    report = drop(customer.client, csv_file(whole_days(pdl, day, day, "0.25")))

    # When the day is read
    half_hours = ok(
        customer.call(
            "GET",
            f"/meters/{meter_reading(customer, pdl)}/series?from=2026-03-29&to=2026-03-29&step=half_hour",
        )
    )
    days = ok(
        customer.call(
            "GET", f"/meters/{meter_reading(customer, pdl)}/series?from=2026-03-29&to=2026-03-29&step=day"
        )
    )

    # Then it has 46 half-hours, all read, jumping from 01:30+01:00 to 03:00+02:00
    assert (report["rows"], report["accepted"]) == (46, 46)
    starts = [point["start"] for point in half_hours["points"]]
    assert len(starts) == 46
    assert starts[3:5] == ["2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00"]
    assert {point["value"] for point in half_hours["points"]} == {0.25}
    # and the day is complete: 46 × 0.25 kWh
    (point,) = days["points"]
    assert (point["value"], point["complete"]) == (11.5, True)


def test_the_fall_back_day_has_50_half_hours(household: tuple[Any, str]) -> None:
    # Given a meter, and a file with every half-hour of 25 October 2026 in Paris (03:00 → 02:00)
    customer, pdl = household
    day = date(2026, 10, 25)
    report = drop(customer.client, csv_file(whole_days(pdl, day, day, "0.1")))

    # When the day is read
    half_hours = ok(
        customer.call(
            "GET",
            f"/meters/{meter_reading(customer, pdl)}/series?from=2026-10-25&to=2026-10-25&step=half_hour",
        )
    )
    days = ok(
        customer.call(
            "GET", f"/meters/{meter_reading(customer, pdl)}/series?from=2026-10-25&to=2026-10-25&step=day"
        )
    )

    # Then it has 50 half-hours, 02:00 and 02:30 twice (summer time, then winter time)
    assert (report["rows"], report["accepted"]) == (50, 50)
    starts = [point["start"] for point in half_hours["points"]]
    assert len(starts) == 50
    assert starts[4:8] == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:30:00+01:00",
    ]
    (point,) = days["points"]
    assert (point["value"], point["complete"]) == (5.0, True)


def test_a_reading_of_the_repeated_hour_lands_in_its_own_half_hour(household: tuple[Any, str]) -> None:
    # Given a meter
    customer, pdl = household

    # When the two 02:30 of 25 October are read, with their offsets, and a half-hour after them
    drop(
        customer.client,
        csv_file(
            rows(
                pdl,
                {
                    "2026-10-25T02:30:00+02:00": "1.1",
                    "2026-10-25T02:30:00+01:00": "2.2",
                    "2026-10-25T03:00:00+01:00": "3.3",
                },
            )
        ),
    )

    # Then each lands in its own half-hour, the hours pair them as the clock shows them
    assert readings_of(customer, pdl, "2026-10-25") == {
        "2026-10-25T02:30:00+02:00": 1.1,
        "2026-10-25T02:30:00+01:00": 2.2,
        "2026-10-25T03:00:00+01:00": 3.3,
    }
    hours = ok(
        customer.call(
            "GET", f"/meters/{meter_reading(customer, pdl)}/series?from=2026-10-25&to=2026-10-25&step=hour"
        )
    )
    assert len(hours["points"]) == 25
    values = {point["start"]: point["value"] for point in hours["points"] if point["value"]}
    assert values == {
        "2026-10-25T02:00:00+02:00": 1.1,
        "2026-10-25T02:00:00+01:00": 2.2,
        "2026-10-25T03:00:00+01:00": 3.3,
    }


def test_a_reading_given_in_utc_lands_in_the_paris_half_hour(household: tuple[Any, str]) -> None:
    # Given a meter
    customer, pdl = household

    # When a reading of 29 March at 01:00Z (03:00 in Paris, summer time) and one of 23:30Z the day
    # before (00:30 in Paris) are ingested
    drop(
        customer.client,
        csv_file(rows(pdl, {"2026-03-29T01:00:00Z": "4", "2026-03-28T23:30:00+00:00": "5"})),
    )

    # Then both are half-hours of the 29th, in Paris time
    assert readings_of(customer, pdl, "2026-03-29") == {
        "2026-03-29T03:00:00+02:00": 4,
        "2026-03-29T00:30:00+01:00": 5,
    }
    assert readings_of(customer, pdl, "2026-03-28") == {}


@pytest.mark.parametrize(
    ("bucket", "key"),
    [("someone-elses-bucket", "readings/x.csv"), (None, "reports/x.csv.json")],
    ids=["another-bucket", "a-report"],
)
def test_an_object_outside_the_readings_of_the_ingest_bucket_is_not_read(
    client: Any, bucket: str | None, key: str
) -> None:
    # Given an "Object Created" event of another bucket, or of a report the service wrote
    from chalicelib.settings import settings

    event = client.events.generate_cw_event(
        source="aws.s3",
        detail_type="Object Created",
        detail={"bucket": {"name": bucket or settings.ingest_bucket}, "object": {"key": key}},
        resources=[],
    )

    # When it reaches the handler
    result = client.lambda_.invoke("meter_readings_dropped", event)

    # Then nothing is read (no object is even fetched) and no report is made
    assert result.payload is None


def test_rows_older_than_14_months_before_the_last_reading_are_kept_and_reported(
    household: tuple[Any, str],
) -> None:
    # Given a PDL read until 2 March 2026
    customer, pdl = household
    drop(customer.client, csv_file(rows(pdl, {GOOD_BEFORE: "1"})))

    # When a file brings readings of 1 and 2 January 2025 (beyond 2 January 2025, 14 months before
    # the last reading, French energy law bills nothing) and of 3 January 2025
    report = drop(
        customer.client,
        csv_file(
            rows(pdl, {"2025-01-01T12:00:00+01:00": "1", "2025-01-01T12:30:00+01:00": "1"}),
            rows(pdl, {"2025-01-03T12:00:00+01:00": "2", "2025-01-01T13:00:00+01:00": "1"}),
        ),
    )

    # Then every row is kept, and the report names those beyond the limit, which are never billed
    assert (report["accepted"], report["rejected"]) == (4, [])
    assert report["beyond_billing_limit"] == [
        {
            "meter_id": pdl,
            "last_reading": "2026-03-02",
            "billable_from": "2025-01-02",
            "rows": 3,
            "lines": [[2, 3], [5, 5]],
        }
    ]


def test_readings_of_days_to_come_are_rejected(household: tuple[Any, str]) -> None:
    # Given a file the grid operator sends on 2 March 2026 at 12:45 (Paris), holding the morning,
    # the evening of the day under way, tomorrow and a day of 2090
    from chalicelib import readings

    customer, pdl = household
    body = csv_file(
        rows(pdl, {GOOD_BEFORE: "0.5"}),
        rows(pdl, {f"{DAY}T23:30:00+01:00": "0.25"}),
        rows(pdl, {"2026-03-03T00:00:00+01:00": "0.75"}),
        rows(pdl, {"2090-03-02T10:00:00+01:00": "1"}),
    )
    sent = datetime(2026, 3, 2, 11, 45, tzinfo=UTC)

    # When it is ingested
    report = readings.ingest(f"readings/{file_name()}", body.encode(), now=sent)

    # Then the day under way is kept (the operator's clock may run a little ahead); the days to
    # come are rejected with their lines
    assert (report.rows, report.accepted) == (4, 2)
    assert [(row["line"], "cannot be from the future" in row["error"]) for row in report.rejected] == [
        (4, True),
        (5, True),
    ]
    assert readings_of(customer, pdl) == {GOOD_BEFORE: 0.5, f"{DAY}T23:30:00+01:00": 0.25}
