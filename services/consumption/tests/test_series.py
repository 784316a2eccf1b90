"""A meter's series (API.md "Consumption"): points at a step of half an hour, an hour, a day or a
month, each split into peak and off-peak by the meter's off-peak hours, null where no reading
arrived; ranges checked (never a 500), and narrowed to the meter's own days, so that a new
occupant of a home never sees the previous one's consumption."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from conftest import (
    STOCKAGE_TARIFF,
    csv_file,
    drop,
    electricity_meter,
    new_client,
    new_pdl,
    ok,
    register,
    rows,
)
from guichet_local.testing import assert_error

OFF_PEAK = [{"start": "22:00", "end": "06:00"}]
# 2 March: 1 kWh peak at 21:30, then 2 + 3 off-peak; 3 March: 4 off-peak at 05:30, 5 + 6 peak;
# nothing on 1 and 4 March; 10 kWh peak on 10 April
READINGS = {
    "2026-03-02T21:30:00+01:00": "1",
    "2026-03-02T22:00:00+01:00": "2",
    "2026-03-02T23:30:00+01:00": "3",
    "2026-03-03T05:30:00+01:00": "4",
    "2026-03-03T06:00:00+01:00": "5",
    "2026-03-03T12:00:00+01:00": "6",
    "2026-04-10T12:00:00+02:00": "10",
}


@pytest.fixture(scope="module")
def off_peak_meter(app: Any, signer: Any) -> tuple[Any, str]:
    """A meter on the off-peak option (22:00–06:00) from 1 January 2026, with READINGS."""
    customer = register(new_client(app), signer)
    meter_id, pdl = electricity_meter(
        customer, tariff_option="off_peak", off_peak_hours=OFF_PEAK, started_on="2026-01-01"
    )
    report = drop(customer.client, csv_file(rows(pdl, READINGS)))
    assert report["accepted"] == len(READINGS), report
    return customer, meter_id


def series(customer: Any, meter_id: str, query: str) -> dict[str, Any]:
    return dict(ok(customer.call("GET", f"/meters/{meter_id}/series?{query}")))


def figures(totals: dict[str, Any]) -> dict[str, Any]:
    """The totals' kWh as numbers (the fields the series had from the start)."""
    return {name: totals[name] for name in ("consumed", "peak", "off_peak", "injected")}


def test_half_hours_hold_each_reading_in_its_period_and_null_where_none_arrived(
    off_peak_meter: tuple[Any, str],
) -> None:
    # Given a meter on the off-peak option with three readings on 2 March
    customer, meter_id = off_peak_meter

    # When 2 March is asked half-hour by half-hour
    answer = series(customer, meter_id, "from=2026-03-02&to=2026-03-02&step=half_hour")

    # Then 48 points from midnight, Paris time
    points = answer["points"]
    assert (answer["unit"], answer["step"], len(points)) == ("kWh", "half_hour", 48)
    assert points[0]["start"] == "2026-03-02T00:00:00+01:00"
    assert points[47]["start"] == "2026-03-02T23:30:00+01:00"
    # each reading in its half-hour, peak before 22:00 and off-peak after
    read = {point["start"][11:16]: (point["value"], point["peak"], point["off_peak"]) for point in points}
    assert read["21:30"] == (1, 1, 0)
    assert read["22:00"] == (2, 0, 2)
    assert read["23:30"] == (3, 0, 3)
    # and the other 45 half-hours are null, not zero
    missing = [point for point in points if point["start"][11:16] not in ("21:30", "22:00", "23:30")]
    assert len(missing) == 45
    assert {(point["value"], point["peak"], point["off_peak"]) for point in missing} == {(None, None, None)}
    assert figures(answer["totals"]) == {"consumed": 6, "peak": 1, "off_peak": 5, "injected": 0}


def test_hours_add_their_two_half_hours_and_split_off_peak_across_midnight(
    off_peak_meter: tuple[Any, str],
) -> None:
    # Given the same meter (off-peak 22:00–06:00, crossing midnight)
    customer, meter_id = off_peak_meter

    # When 2 and 3 March are asked hour by hour
    answer = series(customer, meter_id, "from=2026-03-02&to=2026-03-03&step=hour")

    # Then 48 hours, and those with readings split at 22:00 and 06:00
    points = answer["points"]
    assert len(points) == 48
    read = {
        point["start"]: (point["value"], point["peak"], point["off_peak"])
        for point in points
        if point["value"]
    }
    assert read == {
        "2026-03-02T21:00:00+01:00": (1, 1, 0),
        "2026-03-02T22:00:00+01:00": (2, 0, 2),
        "2026-03-02T23:00:00+01:00": (3, 0, 3),
        "2026-03-03T05:00:00+01:00": (4, 0, 4),
        "2026-03-03T06:00:00+01:00": (5, 5, 0),
        "2026-03-03T12:00:00+01:00": (6, 6, 0),
    }
    assert figures(answer["totals"]) == {"consumed": 21, "peak": 12, "off_peak": 9, "injected": 0}


def test_days_total_their_half_hours_and_a_day_without_readings_is_null(
    off_peak_meter: tuple[Any, str],
) -> None:
    # Given the same meter
    customer, meter_id = off_peak_meter

    # When 1 to 4 March are asked day by day
    answer = series(customer, meter_id, "from=2026-03-01&to=2026-03-04&step=day")

    # Then four days from midnight, the two read ones split into peak and off-peak, the others null
    points = [(p["start"], p["value"], p["peak"], p["off_peak"]) for p in answer["points"]]
    assert points == [
        ("2026-03-01T00:00:00+01:00", None, None, None),
        ("2026-03-02T00:00:00+01:00", 6, 1, 5),
        ("2026-03-03T00:00:00+01:00", 15, 11, 4),
        ("2026-03-04T00:00:00+01:00", None, None, None),
    ]
    # and a day with a few of its 48 half-hours is not complete
    assert answer["points"][1]["complete"] is False
    assert figures(answer["totals"]) == {"consumed": 21, "peak": 12, "off_peak": 9, "injected": 0}


def test_months_total_their_days(off_peak_meter: tuple[Any, str]) -> None:
    # Given the same meter, read in March and April
    customer, meter_id = off_peak_meter

    # When February to April are asked month by month (the days given fall inside the months)
    answer = series(customer, meter_id, "from=2026-02-14&to=2026-04-02&step=month")

    # Then three months from their first midnight (summer time in April), February null
    points = [(p["start"], p["value"], p["peak"], p["off_peak"]) for p in answer["points"]]
    assert points == [
        ("2026-02-01T00:00:00+01:00", None, None, None),
        ("2026-03-01T00:00:00+01:00", 21, 12, 9),
        ("2026-04-01T00:00:00+02:00", 10, 10, 0),
    ]
    assert figures(answer["totals"]) == {"consumed": 31, "peak": 22, "off_peak": 9, "injected": 0}


def test_a_meter_on_the_base_option_has_no_off_peak(customer_factory: Any) -> None:
    # Given a meter on the base option, read at 23:00 (off-peak for others)
    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer)
    drop(customer.client, csv_file(rows(pdl, {"2026-03-02T23:00:00+01:00": "2"})))

    # When the day is asked
    answer = series(customer, meter_id, "from=2026-03-02&to=2026-03-02&step=day")

    # Then it is all peak
    (point,) = answer["points"]
    assert (point["value"], point["peak"], point["off_peak"]) == (2, 2, 0)


def test_injection_is_its_own_column(customer_factory: Any) -> None:
    # Given a meter with a virtual battery, consuming and injecting at noon
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

    # When the hour and the day are asked
    hours = series(customer, meter_id, "from=2026-06-02&to=2026-06-02&step=hour")
    days = series(customer, meter_id, "from=2026-06-02&to=2026-06-02&step=day")

    # Then injection is counted apart from consumption
    noon = next(point for point in hours["points"] if point["start"] == "2026-06-02T12:00:00+02:00")
    assert (noon["value"], noon["injected"]) == (0.3, 2.9)
    assert (days["points"][0]["value"], days["points"][0]["injected"]) == (0.3, 2.9)
    assert hours["totals"]["injected"] == 2.9


def test_a_half_hour_not_read_is_null_for_a_producing_meter_too(customer_factory: Any) -> None:
    # Given a meter with a virtual battery read at noon only on 2 June (consumption, no injection)
    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer, offer="virtual_storage", tariff=STOCKAGE_TARIFF)
    drop(customer.client, csv_file(rows(pdl, {"2026-06-02T12:00:00+02:00": "0.3"})))

    # When 2 and 3 June are asked half-hour by half-hour
    answer = series(customer, meter_id, "from=2026-06-02&to=2026-06-03&step=half_hour")

    # Then the half-hour read injected nothing, and every half-hour not read is null, injection too
    points = {point["start"]: (point["value"], point["injected"]) for point in answer["points"]}
    assert points.pop("2026-06-02T12:00:00+02:00") == (0.3, 0)
    assert set(points.values()) == {(None, None)}


def test_without_dates_a_series_ends_today(customer_factory: Any, route_today: Any) -> None:
    # Given a meter, and today being 23 November 2026
    customer = customer_factory()
    meter_id, _ = electricity_meter(customer)
    route_today(date(2026, 11, 23))

    # When the series is asked without dates, per day, per hour, per month
    days = series(customer, meter_id, "")
    hours = series(customer, meter_id, "step=hour")
    months = series(customer, meter_id, "step=month")

    # Then: the last 30 days, the last 7 days' hours, the last 12 months and this one
    assert (days["step"], days["from"], days["to"], len(days["points"])) == (
        "day",
        "2026-10-25",
        "2026-11-23",
        30,
    )
    assert (hours["from"], hours["to"], len(hours["points"])) == ("2026-11-17", "2026-11-23", 7 * 24)
    assert (months["from"], months["to"]) == ("2026-01-01", "2026-11-30")  # the meter started in January
    assert len(months["points"]) == 11


def test_a_series_never_shows_days_before_the_meter_started(customer_factory: Any) -> None:
    # Given a meter from 1 March, and a reading of 28 February in a file
    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer, started_on="2026-03-01")
    drop(
        customer.client,
        csv_file(rows(pdl, {"2026-02-28T12:00:00+01:00": "9", "2026-03-01T12:00:00+01:00": "1"})),
    )

    # When February and March are asked
    answer = series(customer, meter_id, "from=2026-02-27&to=2026-03-02&step=day")

    # Then the series starts on 1 March
    assert answer["from"] == "2026-03-01"
    assert [point["start"][:10] for point in answer["points"]] == ["2026-03-01", "2026-03-02"]
    assert answer["totals"]["consumed"] == 1


@pytest.fixture
def closed_on_15_march(customer_factory: Any) -> tuple[Any, str]:
    """A meter read on 10 and 20 March (4 and 3 kWh), its subscription cancelled on 15 March."""

    customer = customer_factory()
    pdl = new_pdl()
    subscription_id = customer.subscribe(pdl=pdl)
    drop(
        customer.client,
        csv_file(rows(pdl, {"2026-03-10T12:00:00+01:00": "4", "2026-03-20T12:00:00+01:00": "3"})),
    )
    customer.cancel(subscription_id, ended_on=date(2026, 3, 15))
    return customer, f"E{subscription_id}"


def test_a_series_stops_on_the_day_the_meter_was_closed(closed_on_15_march: tuple[Any, str]) -> None:
    # Given a meter closed on 15 March, read on the 10th and the 20th
    customer, meter_id = closed_on_15_march

    # When March is asked day by day
    answer = series(customer, meter_id, "from=2026-03-01&to=2026-03-31&step=day")

    # Then it ends on the 15th, without the 20th's reading
    assert answer["to"] == "2026-03-15"
    assert answer["points"][-1]["start"][:10] == "2026-03-15"
    assert answer["totals"]["consumed"] == 4


def test_the_month_a_meter_was_closed_in_counts_its_days_until_then(
    closed_on_15_march: tuple[Any, str],
) -> None:
    # Given a meter closed on 15 March, read on the 10th and the 20th
    customer, meter_id = closed_on_15_march

    # When March and April are asked as months
    answer = series(customer, meter_id, "from=2026-03-01&to=2026-04-30&step=month")

    # Then March holds the 10th's 4 kWh only, and April is not shown
    assert [(point["start"][:7], point["value"]) for point in answer["points"]] == [("2026-03", 4)]


BAD_QUERIES = [
    pytest.param("step=weekly", 422, "validation_failed", "step", id="unknown-step"),
    pytest.param("step=HOUR", 422, "validation_failed", "step", id="step-in-capitals"),
    pytest.param("from=²", 422, "validation_failed", "from", id="superscript-digit"),
    pytest.param("from=２０２６-０１-０１", 422, "validation_failed", "from", id="fullwidth-digits"),
    pytest.param("from=2026-02-30", 422, "validation_failed", "from", id="no-such-day"),
    pytest.param("to=2026-13-01", 422, "validation_failed", "to", id="no-such-month"),
    pytest.param("from=20260301", 422, "validation_failed", "from", id="compact-date"),
    pytest.param("from=2026-03-01T00:00:00", 422, "validation_failed", "from", id="a-time"),
    pytest.param("from=" + "9" * 5000, 422, "validation_failed", "from", id="huge"),
    pytest.param("from=2026-03-05&to=2026-03-01", 422, "validation_failed", "to", id="to-before-from"),
    pytest.param(
        "step=half_hour&from=2025-01-01&to=2026-01-02", 422, "range_too_long", "from", id="367-half-hour-days"
    ),
    pytest.param(
        "step=hour&from=2025-01-01&to=2026-01-02", 422, "range_too_long", "from", id="367-hour-days"
    ),
    pytest.param(
        "step=day&from=2000-01-01&to=2026-01-02", 422, "range_too_long", "from", id="26-years-of-days"
    ),
]


@pytest.mark.parametrize(("query", "status", "code", "field"), BAD_QUERIES)
def test_a_bad_query_is_a_422_naming_the_field(
    off_peak_meter: tuple[Any, str], query: str, status: int, code: str, field: str
) -> None:
    # Given a meter
    customer, meter_id = off_peak_meter

    # When its series is asked with a bad query
    response = customer.call("GET", f"/meters/{meter_id}/series?{query}")

    # Then 422 with the error body, naming the field (never a 500)
    assert_error(response, status, code, field)


def test_a_year_of_half_hours_is_allowed(off_peak_meter: tuple[Any, str]) -> None:
    # Given a meter
    customer, meter_id = off_peak_meter

    # When 366 days of half-hours are asked (a leap year's worth)
    answer = series(customer, meter_id, "step=half_hour&from=2026-01-01&to=2027-01-01")

    # Then they are given, 48 a day but on the two days the clocks change
    assert len(answer["points"]) == 366 * 48  # 46 on 29 March, 50 on 25 October
    assert answer["totals"]["consumed"] == 31


def test_an_empty_parameter_counts_as_absent(off_peak_meter: tuple[Any, str], route_today: Any) -> None:
    # Given a meter, and today being 3 March 2026
    customer, meter_id = off_peak_meter
    route_today(date(2026, 3, 3))

    # When the series is asked with empty parameters
    answer = series(customer, meter_id, "from=&to=&step=")

    # Then it is the default: the last 30 days
    assert (answer["step"], answer["from"], answer["to"]) == ("day", "2026-02-02", "2026-03-03")


def test_another_customers_meter_is_not_found_even_with_a_bad_range(
    off_peak_meter: tuple[Any, str], customer_factory: Any
) -> None:
    # Given a meter of someone else
    _, meter_id = off_peak_meter
    stranger = customer_factory()

    # When a stranger asks its series with a range too long for the step
    response = stranger.call("GET", f"/meters/{meter_id}/series?step=hour&from=2020-01-01&to=2026-01-01")

    # Then 404, as for a meter that does not exist: the range says nothing about it
    assert_error(response, 404, "not_found")
    missing = stranger.call("GET", f"/meters/{new_pdl()}/series?step=hour&from=2020-01-01&to=2026-01-01")
    assert response.body == missing.body


# ---- a home changes hands: Alice until 15 March, Bob from 16 March ---------------------------


@pytest.fixture(scope="module")
def moved_home(app: Any, signer: Any) -> tuple[Any, Any, str, str]:
    """Alice's meter read in February and March (her 8 kWh of 10 February and 4 kWh of 10 March),
    her subscription cancelled on 15 March; Bob's subscription of the same PDL from 16 March (his
    3 kWh of 20 March). Alice's meter and Bob's."""

    client = new_client(app)
    alice, bob = register(client, signer), register(client, signer)
    pdl = new_pdl()
    alices = alice.subscribe(pdl=pdl, started_on="2026-01-01")
    drop(
        client,
        csv_file(
            rows(
                pdl,
                {
                    "2026-02-10T12:00:00+01:00": "8",
                    "2026-03-10T12:00:00+01:00": "4",
                    "2026-03-20T12:00:00+01:00": "3",
                },
            )
        ),
    )
    alice.cancel(alices, ended_on=date(2026, 3, 15))
    bobs = bob.subscribe(pdl=pdl, started_on="2026-03-16")
    return alice, bob, f"E{alices}", f"E{bobs}"


def test_a_new_occupant_does_not_see_the_previous_ones_days(moved_home: tuple[Any, Any, str, str]) -> None:
    # Given Bob living since 16 March where Alice lived
    _, bob, _, bobs = moved_home

    # When Bob asks March day by day, and February
    march = series(bob, bobs, "from=2026-03-01&to=2026-03-31&step=day")
    february = series(bob, bobs, "from=2026-02-01&to=2026-02-28&step=day")

    # Then he sees his days only: from the 16th, his 3 kWh of the 20th
    assert march["points"][0]["start"][:10] == "2026-03-16"
    assert len(march["points"]) == 16
    assert march["totals"]["consumed"] == 3
    assert february["points"] == [] and february["totals"]["consumed"] == 0


def test_a_new_occupant_does_not_see_the_previous_ones_consumption_in_the_month_they_moved_in(
    moved_home: tuple[Any, Any, str, str],
) -> None:
    # Given Bob living since 16 March where Alice lived (she used 4 kWh on 10 March)
    _, bob, _, bobs = moved_home

    # When Bob asks March as a month
    answer = series(bob, bobs, "from=2026-03-01&to=2026-03-31&step=month")

    # Then March holds his 3 kWh only
    (point,) = answer["points"]
    assert point["value"] == 3
    assert answer["totals"]["consumed"] == 3


def test_the_previous_occupant_keeps_her_meter_and_its_history(moved_home: tuple[Any, Any, str, str]) -> None:
    # Given Alice, who left on 15 March, and Bob who moved in on the 16th
    alice, _, alices, _ = moved_home

    # When Alice asks her meter's February and March
    days = series(alice, alices, "from=2026-03-01&to=2026-03-31&step=day")
    months = series(alice, alices, "from=2026-02-01&to=2026-03-31&step=month")

    # Then she sees her own days, until the 15th, and never Bob's
    assert (days["to"], days["totals"]["consumed"]) == ("2026-03-15", 4)
    assert [(point["start"][:7], point["value"]) for point in months["points"]] == [
        ("2026-02", 8),
        ("2026-03", 4),
    ]


def test_each_occupant_reaches_only_their_own_meter(moved_home: tuple[Any, Any, str, str]) -> None:
    # Given Alice and Bob, each with a meter of the same PDL
    alice, bob, alices, bobs = moved_home

    # When each asks the other's meter
    # Then 404, as for a meter that does not exist
    assert_error(alice.call("GET", f"/meters/{bobs}/series?step=day"), 404, "not_found")
    assert_error(bob.call("GET", f"/meters/{alices}/series?step=day"), 404, "not_found")
