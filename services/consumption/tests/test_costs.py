"""What a meter's kWh cost (API.md "Consumption", chalicelib/costs.py): each day and month of the
series and each month of the summary priced at the contract's rates then, as the invoice prices
them (guichet_contracts.electricity_bill); the same period a year earlier on request; the
quantities as text at the step's resolution.

The subscription is 15.74 € a month tax included (1312 c without tax); the rates, without tax,
19.52 c/kWh base, 20.81 peak, 16.35 off-peak; VAT 20 % on the bill's base.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import (
    STOCKAGE_TARIFF,
    assert_documented,
    close_month,
    csv_file,
    drop,
    electricity_meter,
    job_ran_until,
    ok,
    rows,
)
from guichet_local.testing import assert_error

OFF_PEAK = [{"start": "22:00", "end": "06:00"}]


def read(customer: Any, pdl: str, consumed: dict[str, str], injected: dict[str, str] | None = None) -> None:
    report = drop(customer.client, csv_file(rows(pdl, consumed), rows(pdl, injected or {}, "injection")))
    assert report["rejected"] == [], report["rejected"]


def series(customer: Any, meter_id: str, query: str) -> dict[str, Any]:
    return dict(ok(customer.call("GET", f"/meters/{meter_id}/series?{query}")))


def euros(cost: dict[str, Any] | None) -> tuple[Any, ...] | None:
    if cost is None:
        return None
    return (
        cost["energy_excl_tax_cents"],
        cost["subscription_excl_tax_cents"],
        cost["excl_tax_cents"],
        cost["tax_cents"],
        cost["incl_tax_cents"],
        cost["currency"],
        cost["billed"],
    )


@pytest.fixture
def off_peak_meter(customer_factory: Any) -> tuple[Any, str]:
    """An off-peak meter (22:00–06:00) from 1 January 2026: on 2 March 1 kWh peak and 5 off-peak,
    on 3 March 4 off-peak and 11 peak."""
    customer = customer_factory()
    meter_id, pdl = electricity_meter(
        customer, tariff_option="off_peak", off_peak_hours=OFF_PEAK, started_on="2026-01-01"
    )
    read(
        customer,
        pdl,
        {
            "2026-03-02T21:30:00+01:00": "1",
            "2026-03-02T22:00:00+01:00": "2",
            "2026-03-02T23:30:00+01:00": "3",
            "2026-03-03T05:30:00+01:00": "4",
            "2026-03-03T06:00:00+01:00": "5",
            "2026-03-03T12:00:00+01:00": "6",
        },
    )
    return customer, meter_id


def test_a_month_costs_its_kwh_at_the_contracts_rates_and_its_subscription(
    off_peak_meter: tuple[Any, str],
) -> None:
    customer, meter_id = off_peak_meter

    # When March is asked month by month
    answer = series(customer, meter_id, "from=2026-03-01&to=2026-03-31&step=month")

    # Then it costs 12 kWh peak (249.72 → 250 c) and 9 off-peak (147.15 → 147 c), the month's
    # subscription (1312 c), VAT 20 % of the 1709 c base: 2051 c, an estimate (not closed yet)
    (march,) = answer["points"]
    assert euros(march["cost"]) == (397, 1312, 1709, 342, 2051, "EUR", False)
    assert euros(answer["totals"]["cost"]) == euros(march["cost"])


def test_a_day_costs_its_kwh_at_that_days_rates_without_subscription(off_peak_meter: tuple[Any, str]) -> None:
    customer, meter_id = off_peak_meter

    # When 1 to 3 March are asked day by day
    answer = series(customer, meter_id, "from=2026-03-01&to=2026-03-03&step=day")

    # Then 1 March (nothing read) has no cost; 2 March costs 1 kWh peak (21 c) and 5 off-peak
    # (81.75 → 82 c), VAT 21 c; 3 March 11 peak (228.91 → 229 c) and 4 off-peak (65.4 → 65 c)
    assert [euros(point["cost"]) for point in answer["points"]] == [
        None,
        (103, None, 103, 21, 124, "EUR", False),
        (294, None, 294, 59, 353, "EUR", False),
    ]
    # and the period's total adds the days up
    assert euros(answer["totals"]["cost"]) == (397, None, 397, 80, 477, "EUR", False)


def test_half_hours_carry_no_cost(off_peak_meter: tuple[Any, str]) -> None:
    customer, meter_id = off_peak_meter
    answer = series(customer, meter_id, "from=2026-03-02&to=2026-03-02&step=half_hour")
    assert {"cost"} & set(answer["points"][0]) == set()
    assert "cost" not in answer["totals"]


def test_each_day_and_month_is_priced_with_the_tariff_in_force_then(customer_factory: Any) -> None:
    # Given a base meter whose kWh rate becomes 25 c on 1 June 2026 (subscription 20 € TTC then)
    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer, started_on="2026-01-01")
    customer.change(
        customer.subscriptions[0],
        "2026-06-01",
        tariff={"energy_rates_cents_per_kwh": {"base": 25, "peak": 27, "off_peak": 20}},
        price_cents=2000,
    )
    read(customer, pdl, {"2026-05-31T12:00:00+02:00": "10", "2026-06-01T12:00:00+02:00": "10"})

    # When 31 May and 1 June are asked, by the day and by the month
    days = series(customer, meter_id, "from=2026-05-31&to=2026-06-01&step=day")["points"]
    months = series(customer, meter_id, "from=2026-05-01&to=2026-06-30&step=month")["points"]

    # Then May's kWh cost 19.52 c and June's 25 c; each month its own subscription
    assert [point["cost"]["energy_excl_tax_cents"] for point in days] == [195, 250]
    assert [euros(point["cost"]) for point in months] == [
        (195, 1312, 1507, 301, 1808, "EUR", False),
        (250, 1667, 1917, 383, 2300, "EUR", False),
    ]


@pytest.mark.usefixtures("fresh_jobs")
def test_a_closed_month_costs_what_its_invoice_billed(customer_factory: Any) -> None:
    # Given a base meter that consumed 10 kWh in March 2050
    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer, started_on="2050-01-01")
    read(customer, pdl, {"2050-03-10T12:00:00+01:00": "10"})
    march = "from=2050-03-01&to=2050-03-31&step=month"
    estimate = series(customer, meter_id, march)["points"][0]["cost"]

    # When March is closed, then 5 kWh of March arrive late
    job_ran_until("2050-02")
    close_month("2050-04-01T03:00")
    closed = series(customer, meter_id, march)["points"][0]
    read(customer, pdl, {"2050-03-11T12:00:00+01:00": "5"})
    late = series(customer, meter_id, march)["points"][0]

    # Then the estimate was what the close billed (10 kWh: 195 c, and the subscription), now billed;
    # the late kWh count in the month's consumption, but are billed as a complement of a later
    # invoice, not in March's cost
    assert euros(estimate) == (195, 1312, 1507, 301, 1808, "EUR", False)
    assert euros(closed["cost"]) == (195, 1312, 1507, 301, 1808, "EUR", True)
    assert (late["value"], euros(late["cost"])) == (15, euros(closed["cost"]))


@pytest.mark.usefixtures("fresh_jobs")
def test_a_month_with_a_virtual_battery_costs_the_grid_and_the_withdrawal(customer_factory: Any) -> None:
    # Given a 300 kWh virtual battery (withdrawal 9.6 c/kWh): April 2051 injects 100 and consumes
    # 40 (closed: 60 left); May consumes 100, not closed yet
    customer = customer_factory()
    meter_id, pdl = electricity_meter(
        customer, offer="virtual_storage", tariff=STOCKAGE_TARIFF, started_on="2051-01-01"
    )
    read(customer, pdl, {"2051-04-10T12:00:00+02:00": "40"}, {"2051-04-10T13:00:00+02:00": "100"})
    read(customer, pdl, {"2051-05-10T12:00:00+02:00": "100"})
    job_ran_until("2051-03")
    close_month("2051-05-01T03:00")
    may = "from=2051-05-01&to=2051-05-31&step=month"

    # When May is asked, before and after its close
    estimate = series(customer, meter_id, may)["points"][0]["cost"]
    close_month("2051-06-01T03:00")
    billed = series(customer, meter_id, may)["points"][0]["cost"]

    # Then May restores the 60 kWh left (576 c) and buys 40 at the grid rate (780.8 → 781 c)
    assert euros(estimate) == (1357, 1312, 2669, 534, 3203, "EUR", False)
    assert euros(billed) == (1357, 1312, 2669, 534, 3203, "EUR", True)
    # and April, all restored from the battery, cost 40 kWh of withdrawal (384 c)
    april = series(customer, meter_id, "from=2051-04-01&to=2051-04-30&step=month")["points"][0]["cost"]
    assert april["energy_excl_tax_cents"] == 384


def test_quantities_are_text_at_the_steps_resolution(customer_factory: Any) -> None:
    # Given three half-hours of 0.333 kWh on 5 March 2026
    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer, started_on="2026-01-01")
    read(
        customer,
        pdl,
        {f"2026-03-05T1{hour}:00:00+01:00": "0.333" for hour in range(3)},
    )

    # When the day is asked by the half-hour, by the day and by the month
    halves = series(customer, meter_id, "from=2026-03-05&to=2026-03-05&step=half_hour")
    days = series(customer, meter_id, "from=2026-03-05&to=2026-03-05&step=day")
    months = series(customer, meter_id, "from=2026-03-01&to=2026-03-31&step=month")

    # Then half-hours read to the watt-hour, days and months to the tenth of a kWh
    assert (halves["resolution"], days["resolution"], months["resolution"]) == ("0.001", "0.1", "0.1")
    read_halves = [point["quantities"]["value"] for point in halves["points"] if point["value"] is not None]
    assert read_halves == ["0.333", "0.333", "0.333"]
    assert halves["points"][0]["quantities"] == {
        "value": None,
        "peak": None,
        "off_peak": None,
        "injected": None,
    }
    assert days["points"][0]["quantities"]["value"] == "1.0"
    assert days["totals"]["quantities"]["consumed"] == "1.0"
    assert months["points"][0]["quantities"] == {
        "value": "1.0",
        "peak": "1.0",
        "off_peak": "0.0",
        "injected": "0.0",
    }


@pytest.fixture
def two_years(customer_factory: Any) -> tuple[Any, str]:
    """A base meter from 15 March 2025: 4 kWh on 20 March 2025, 6 on 20 March 2026."""
    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer, started_on="2025-03-15")
    read(customer, pdl, {"2025-03-20T12:00:00+01:00": "4", "2026-03-20T12:00:00+01:00": "6"})
    return customer, meter_id


def test_days_compared_with_the_year_before_point_by_point(
    two_years: tuple[Any, str], openapi_document: dict[str, Any]
) -> None:
    customer, meter_id = two_years

    # When 13 to 20 March 2026 are asked with the year before
    response = customer.call(
        "GET", f"/meters/{meter_id}/series?from=2026-03-13&to=2026-03-20&step=day&compare=previous_year"
    )
    assert_documented(openapi_document, "GET", "/meters/{meter_id}/series", response)
    answer = ok(response)

    # Then `previous` has one point per point, a year earlier: the days before the meter's start
    # have nothing (nulls), 20 March 2025 its 4 kWh, priced at its rates
    previous = answer["previous"]
    assert (previous["from"], previous["to"]) == ("2025-03-13", "2025-03-20")
    assert len(previous["points"]) == len(answer["points"]) == 8
    assert [point["start"][:10] for point in previous["points"]] == [
        f"2025-03-{day}" for day in range(13, 21)
    ]
    assert [point["value"] for point in previous["points"]] == [None] * 7 + [4]
    assert previous["points"][7]["cost"]["energy_excl_tax_cents"] == 78  # 4 × 19.52 = 78.08
    assert (answer["points"][7]["value"], previous["totals"]["consumed"]) == (6, 4)
    assert previous["totals"]["quantities"]["consumed"] == "4.0"


def test_months_compared_with_the_year_before(two_years: tuple[Any, str]) -> None:
    customer, meter_id = two_years

    # When March 2026 is asked by the month with the year before
    answer = series(customer, meter_id, "from=2026-03-01&to=2026-03-31&step=month&compare=previous_year")

    # Then March 2025 has its 4 kWh and its subscription for the meter's 17 days of it
    (march,) = answer["previous"]["points"]
    assert (march["start"][:7], march["value"]) == ("2025-03", 4)
    assert march["cost"]["subscription_excl_tax_cents"] == 719  # 1574 × 17 / 31 / 1.2 = 719.3


def test_a_leap_day_is_compared_with_the_28th(customer_factory: Any) -> None:
    customer = customer_factory()
    meter_id, _ = electricity_meter(customer, started_on="2027-01-01")
    answer = series(customer, meter_id, "from=2028-02-28&to=2028-03-01&step=day&compare=previous_year")
    assert [point["start"][:10] for point in answer["previous"]["points"]] == [
        "2027-02-28",
        "2027-02-28",
        "2027-03-01",
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("step=hour&compare=previous_year", "compare"),
        ("step=half_hour&compare=previous_year", "compare"),
        ("step=day&compare=last_year", "compare"),
    ],
)
def test_a_comparison_is_asked_as_documented(two_years: tuple[Any, str], query: str, field: str) -> None:
    customer, meter_id = two_years
    response = customer.call("GET", f"/meters/{meter_id}/series?from=2026-03-01&to=2026-03-02&{query}")
    assert_error(response, 422, "validation_failed", field)


def test_the_summary_gives_each_months_cost_and_the_same_month_a_year_before(
    two_years: tuple[Any, str],
) -> None:
    customer, meter_id = two_years

    # When the summary of 2026 is asked (today 23 November 2026)
    summary = ok(customer.call("GET", f"/meters/{meter_id}/summary?year=2026"))

    # Then March 2026 costs its 6 kWh (117 c) and its month; March 2025 is beside it, with its 4 kWh
    march = summary["months"][2]
    assert (march["month"], march["quantities"]["consumed"]) == ("2026-03", "6.0")
    assert euros(march["cost"]) == (117, 1312, 1429, 286, 1715, "EUR", False)
    earlier = march["previous_year"]
    assert (earlier["month"], earlier["consumed"], earlier["cost"]["energy_excl_tax_cents"]) == (
        "2025-03",
        4,
        78,
    )
    # January 2025 was before the meter: nothing to compare with
    assert summary["months"][0]["previous_year"] is None
    # and the year's cost adds its months up
    costs = [m["cost"]["incl_tax_cents"] for m in summary["months"] if m["cost"] is not None]
    assert summary["total_cost"]["incl_tax_cents"] == sum(costs) > 0
    assert (summary["quantities"]["total"], summary["quantities"]["previous_year_total"]) == ("6.0", "4.0")
