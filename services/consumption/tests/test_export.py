"""The CSV export of a meter's half-hours (API.md "Consumption"): a text/csv attachment, one row
per half-hour read, with local start and end times and their offsets, the values as ingested and
the tariff period of each half-hour."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from conftest import MOBILE_TARIFF, STOCKAGE_TARIFF, csv_file, drop, electricity_meter, meter_of, rows
from guichet_local.testing import assert_error

OFF_PEAK = [{"start": "22:00", "end": "06:00"}]


def export(customer: Any, meter_id: str, query: str) -> tuple[Any, list[list[str]]]:
    """The answer, and its body parsed by the csv module."""
    response = customer.call("GET", f"/meters/{meter_id}/export.csv?{query}")
    assert response.status_code == 200, response.body[:300]
    text = response.body.decode("utf-8") if isinstance(response.body, bytes) else response.body
    return response, list(csv.reader(io.StringIO(text)))


@pytest.fixture
def off_peak_meter(customer_factory: Any) -> tuple[Any, str]:
    """An off-peak meter (22:00–06:00) read at 21:30, 22:00 and 23:30 on 2 March, and on 25
    October across the change of the clocks."""
    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer, tariff_option="off_peak", off_peak_hours=OFF_PEAK)
    readings = {
        "2026-03-02T21:30:00+01:00": "1.25",
        "2026-03-02T22:00:00+01:00": "0.5",
        "2026-03-02T23:30:00+01:00": "0.125",
        "2026-10-25T02:30:00+02:00": "1.1",
        "2026-10-25T02:30:00+01:00": "2.2",
    }
    assert drop(customer.client, csv_file(rows(pdl, readings)))["accepted"] == 5
    return customer, meter_id


def test_the_export_is_a_csv_attachment_named_after_the_meter_and_the_period(
    off_peak_meter: tuple[Any, str],
) -> None:
    # Given a meter with readings
    customer, meter_id = off_peak_meter

    # When its export of March is asked
    response, _ = export(customer, meter_id, "from=2026-03-01&to=2026-03-31")

    # Then it is a CSV file to download, named after the meter and the period
    assert response.headers["Content-Type"].split(";")[0] == "text/csv"
    assert "charset=utf-8" in response.headers["Content-Type"]
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="consommation-{meter_id}-2026-03-01-2026-03-31.csv"'
    )


def test_the_export_holds_each_half_hour_read_with_its_local_times_and_period(
    off_peak_meter: tuple[Any, str],
) -> None:
    # Given an off-peak meter read at 21:30, 22:00 and 23:30 on 2 March
    customer, meter_id = off_peak_meter

    # When its export of 1 to 3 March is parsed
    _, table = export(customer, meter_id, "from=2026-03-01&to=2026-03-03")

    # Then the columns are named with the unit, and each reading is one row, as ingested
    assert table == [
        ["start", "end", "consumption_kWh", "period"],
        ["2026-03-02T21:30:00+01:00", "2026-03-02T22:00:00+01:00", "1.25", "peak"],
        ["2026-03-02T22:00:00+01:00", "2026-03-02T22:30:00+01:00", "0.5", "off_peak"],
        ["2026-03-02T23:30:00+01:00", "2026-03-03T00:00:00+01:00", "0.125", "off_peak"],
    ]


def test_the_export_tells_the_two_half_hours_of_the_repeated_hour_apart(
    off_peak_meter: tuple[Any, str],
) -> None:
    # Given readings of both 02:30 of 25 October (summer time, then winter time)
    customer, meter_id = off_peak_meter

    # When that day is exported
    _, table = export(customer, meter_id, "from=2026-10-25&to=2026-10-25")

    # Then each has its own row, its offset telling which one it is
    assert table[1:] == [
        ["2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00", "1.1", "off_peak"],
        ["2026-10-25T02:30:00+01:00", "2026-10-25T03:00:00+01:00", "2.2", "off_peak"],
    ]


def test_a_producing_meter_exports_its_injection(customer_factory: Any) -> None:
    # Given a meter with a virtual battery (base option), consuming and injecting at noon
    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer, offer="virtual_storage", tariff=STOCKAGE_TARIFF)
    drop(
        customer.client,
        csv_file(
            rows(pdl, {"2026-06-02T12:00:00+02:00": "0.3"}),
            rows(
                pdl,
                {"2026-06-02T12:00:00+02:00": "1.7", "2026-06-02T12:30:00+02:00": "1.2"},
                "injection",
            ),
        ),
    )

    # When the day is exported
    _, table = export(customer, meter_id, "from=2026-06-02&to=2026-06-02")

    # Then injection has its own column, empty where no consumption was read
    assert table == [
        ["start", "end", "consumption_kWh", "injection_kWh", "period"],
        ["2026-06-02T12:00:00+02:00", "2026-06-02T12:30:00+02:00", "0.3", "1.7", "base"],
        ["2026-06-02T12:30:00+02:00", "2026-06-02T13:00:00+02:00", "", "1.2", "base"],
    ]


def test_a_mobile_meter_exports_in_its_own_unit(customer_factory: Any) -> None:
    # Given a mobile line, with 1.5 GB used one half-hour
    customer = customer_factory()
    subscription_id = customer.subscribe("mobile", offer=None, tariff=MOBILE_TARIFF)
    meter_id = meter_of(customer, subscription_id, "GB")
    drop(customer.client, csv_file(rows(meter_id, {"2026-11-02T18:00:00+01:00": "1.5"})))

    # When the day is exported
    _, table = export(customer, meter_id, "from=2026-11-02&to=2026-11-02")

    # Then its column is in GB, and it has no tariff period
    assert table == [
        ["start", "end", "consumption_GB"],
        ["2026-11-02T18:00:00+01:00", "2026-11-02T18:30:00+01:00", "1.5"],
    ]


def test_the_export_never_holds_days_before_the_meter_started(customer_factory: Any) -> None:
    # Given a meter from 2 March, and readings of 1 and 2 March
    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer, started_on="2026-03-02")
    drop(
        customer.client,
        csv_file(rows(pdl, {"2026-03-01T12:00:00+01:00": "9", "2026-03-02T12:00:00+01:00": "1"})),
    )

    # When March is exported
    response, table = export(customer, meter_id, "from=2026-03-01&to=2026-03-31")

    # Then only the 2nd is in it, and the file is named from the 2nd
    assert [row[0] for row in table[1:]] == ["2026-03-02T12:00:00+01:00"]
    assert "-2026-03-02-2026-03-31.csv" in response.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("from=2025-01-01&to=2026-01-02", "range_too_long", "from"),
        ("from=2026-03-05&to=2026-03-01", "validation_failed", "to"),
        ("from=2026-02-30", "validation_failed", "from"),
        ("to=²", "validation_failed", "to"),
    ],
)
def test_a_bad_period_is_a_422_naming_the_field(
    off_peak_meter: tuple[Any, str], query: str, code: str, field: str
) -> None:
    # Given a meter
    customer, meter_id = off_peak_meter

    # When its export is asked for a bad period
    response = customer.call("GET", f"/meters/{meter_id}/export.csv?{query}")

    # Then 422 with the error body (in JSON), naming the field
    assert_error(response, 422, code, field)
