"""A meter's year (API.md "Consumption"): its months up to this one, each estimated while some of
its half-hours are missing, the year's total and the previous year's; `?year=` checked."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from conftest import csv_file, drop, electricity_meter, new_client, new_pdl, ok, register, rows, whole_days
from guichet_local.testing import assert_error

OFF_PEAK = [{"start": "22:00", "end": "06:00"}]


@pytest.fixture(scope="module")
def read_meter(app: Any, signer: Any) -> tuple[Any, str]:
    """An off-peak meter from 1 June 2025: 5 kWh in June 2025 and 7 in December 2025; every
    half-hour of February 2026 at 0.5 kWh (672 kWh, a third off-peak); 10 kWh in March 2026."""
    customer = register(new_client(app), signer)
    meter_id, pdl = electricity_meter(
        customer, started_on="2025-06-01", tariff_option="off_peak", off_peak_hours=OFF_PEAK
    )
    body = csv_file(
        whole_days(pdl, date(2026, 2, 1), date(2026, 2, 28), "0.5"),
        rows(
            pdl,
            {
                "2025-06-15T12:00:00+02:00": "5",
                "2025-12-15T12:00:00+01:00": "7",
                "2026-03-02T12:00:00+01:00": "6",
                "2026-03-03T23:00:00+01:00": "4",
            },
        ),
    )
    report = drop(customer.client, body)
    assert (report["accepted"], report["rejected"]) == (28 * 48 + 4, []), report["rejected"][:3]
    return customer, meter_id


def summary(customer: Any, meter_id: str, query: str = "") -> dict[str, Any]:
    return dict(ok(customer.call("GET", f"/meters/{meter_id}/summary{query}")))


def test_the_year_lists_its_months_until_this_one(read_meter: tuple[Any, str], route_today: Any) -> None:
    # Given a meter read in February and March 2026, and today being 15 May 2026
    customer, meter_id = read_meter
    route_today(date(2026, 5, 15))

    # When its summary is asked (this year by default)
    answer = summary(customer, meter_id)

    # Then January to May, each with its consumption split into peak and off-peak, null when unread
    months = {month["month"]: month for month in answer["months"]}
    assert list(months) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    assert [months[name]["consumed"] for name in months] == [None, 672, 10, None, None]
    assert (months["2026-02"]["peak"], months["2026-02"]["off_peak"]) == (448, 224)
    assert (months["2026-03"]["peak"], months["2026-03"]["off_peak"]) == (6, 4)
    assert answer["total"] == 682
    assert answer["year"] == 2026


def test_a_month_with_missing_half_hours_is_estimated(read_meter: tuple[Any, str], route_today: Any) -> None:
    # Given February read in full and March read for two half-hours only
    customer, meter_id = read_meter
    route_today(date(2026, 5, 15))

    # When the summary is asked
    months = {month["month"]: month for month in summary(customer, meter_id, "?year=2026")["months"]}

    # Then February is a measured month and March an estimated one
    assert months["2026-02"]["estimated"] is False
    assert months["2026-03"]["estimated"] is True


def test_the_previous_years_total_is_given_from_the_meters_start(
    read_meter: tuple[Any, str], route_today: Any
) -> None:
    # Given a meter from June 2025 read in June and December 2025
    customer, meter_id = read_meter
    route_today(date(2026, 5, 15))

    # When the summaries of 2026 and 2025 are asked
    this_year = summary(customer, meter_id, "?year=2026")
    last_year = summary(customer, meter_id, "?year=2025")

    # Then 2026 compares with 2025's 12 kWh; 2025 lists June to December and has nothing before
    assert this_year["previous_year_total"] == 12
    assert [month["month"] for month in last_year["months"]] == [f"2025-{n:02d}" for n in range(6, 13)]
    assert last_year["total"] == 12
    assert last_year["previous_year_total"] is None


def test_next_year_has_no_month_yet(read_meter: tuple[Any, str], route_today: Any) -> None:
    # Given today being 15 May 2026
    customer, meter_id = read_meter
    route_today(date(2026, 5, 15))

    # When 2027 is asked
    answer = summary(customer, meter_id, "?year=2027")

    # Then it has no month, a total of 0, and 2026's total to compare with
    assert (answer["months"], answer["total"], answer["previous_year_total"]) == ([], 0, 682)


@pytest.mark.parametrize(
    "year",
    ["1999", "2028", "abc", "²⁰²⁶", "２０２６", "20260", "2026.0", "-2026", " 2026", "9" * 5000],
)
def test_a_bad_year_is_a_422_naming_it(read_meter: tuple[Any, str], year: str, route_today: Any) -> None:
    # Given today being in 2026 (so 2000 to 2027 are years a summary can be asked for)
    customer, meter_id = read_meter
    route_today(date(2026, 5, 15))

    # When the summary is asked for a year that is not one of them
    response = customer.call("GET", f"/meters/{meter_id}/summary?year={year}")

    # Then 422 naming the year, never a 500
    assert_error(response, 422, "validation_failed", "year")


def test_a_new_occupant_s_summary_holds_only_their_own_days(customer_factory: Any, route_today: Any) -> None:
    # Given Alice's meter read in 2025 and on 10 March 2026, her subscription ended on 15 March;
    # and Bob in her home from 16 March, read on the 20th

    alice, bob = customer_factory(), customer_factory()
    pdl = new_pdl()
    alices = alice.subscribe(pdl=pdl, started_on="2025-01-01")
    drop(
        alice.client,
        csv_file(
            rows(
                pdl,
                {
                    "2025-11-10T12:00:00+01:00": "20",
                    "2026-03-10T12:00:00+01:00": "4",
                    "2026-03-20T12:00:00+01:00": "3",
                },
            )
        ),
    )
    alice.cancel(alices, ended_on=date(2026, 3, 15))
    bobs = bob.subscribe(pdl=pdl, started_on="2026-03-16")
    route_today(date(2026, 4, 10))

    # When Bob asks his summary of 2026, and Alice hers
    answer = summary(bob, f"E{bobs}", "?year=2026")
    hers = summary(alice, f"E{alices}", "?year=2026")

    # Then his starts in March with his 3 kWh, and Alice's 2025 is not his previous year
    assert [(month["month"], month["consumed"]) for month in answer["months"]] == [
        ("2026-03", 3),
        ("2026-04", None),
    ]
    assert (answer["total"], answer["previous_year_total"]) == (3, None)
    # and hers ends in March with her 4 kWh, her 2025 as her previous year
    assert [(month["month"], month["consumed"]) for month in hers["months"]][-1] == ("2026-03", 4)
    assert (hers["total"], hers["previous_year_total"]) == (4, 20)


def test_another_customers_summary_is_not_found(read_meter: tuple[Any, str], customer_factory: Any) -> None:
    # Given someone else's meter
    _, meter_id = read_meter

    # When a stranger asks its summary
    response = customer_factory().call("GET", f"/meters/{meter_id}/summary")

    # Then 404
    assert_error(response, 404, "not_found")


def test_a_closed_meter_s_summary_ends_with_the_month_it_was_closed_in(
    customer_factory: Any, route_today: Any
) -> None:
    # Given a meter from January 2026 read on 10 and 20 March, its subscription cancelled on 15 March

    customer = customer_factory()
    pdl = new_pdl()
    subscription_id = customer.subscribe(pdl=pdl, started_on="2026-01-01")
    drop(
        customer.client,
        csv_file(rows(pdl, {"2026-03-10T12:00:00+01:00": "4", "2026-03-20T12:00:00+01:00": "3"})),
    )
    customer.cancel(subscription_id, ended_on=date(2026, 3, 15))
    route_today(date(2026, 6, 10))

    # When its customer asks the summary of 2026 in June
    answer = summary(customer, f"E{subscription_id}", "?year=2026")

    # Then it ends in March, with the days until the 15th
    assert [(month["month"], month["consumed"]) for month in answer["months"]] == [
        ("2026-01", None),
        ("2026-02", None),
        ("2026-03", 4),
    ]
    assert answer["total"] == 4
