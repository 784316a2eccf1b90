"""What a customer reads of their contracts beyond the series (API.md "Consumption"): the virtual
battery, the surplus kitty, and a mobile line's allowances this month — each a 404 for a
customer who has no such meter."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from conftest import (
    MOBILE_TARIFF,
    STOCKAGE_TARIFF,
    SURPLUS_TARIFF,
    csv_file,
    drop,
    electricity_meter,
    ok,
    rows,
)
from guichet_local.testing import assert_error


def test_a_new_virtual_battery_is_empty(customer_factory: Any) -> None:
    # Given a customer whose virtual battery offer was just activated
    customer = customer_factory()
    meter_id, _ = electricity_meter(customer, offer="virtual_storage", tariff=STOCKAGE_TARIFF)

    # When they look at their battery
    battery = ok(customer.call("GET", "/battery"))

    # Then it has its capacity, nothing in it, and no month closed yet; kWh restored from it are
    # billed at its withdrawal rate, and injection beyond its capacity is not stored
    assert battery == {
        "meter_id": meter_id,
        "capacity_kwh": 300,
        "level_kwh": 0,
        "withdrawal_cents_per_kwh": 9.6,
        "beyond_capacity": "not_stored",
        "months": [],
    }


def test_a_new_surplus_kitty_is_empty(customer_factory: Any) -> None:
    # Given a customer whose surplus resale offer was just activated
    customer = customer_factory()
    meter_id, _ = electricity_meter(customer, offer="surplus_resale", tariff=SURPLUS_TARIFF)

    # When they look at their surplus
    surplus = ok(customer.call("GET", "/surplus"))

    # Then the kitty is empty, in euros, at the offer's rate
    assert surplus == {
        "meter_id": meter_id,
        "kitty_cents": 0,
        "paid_out_cents": 0,
        "currency": "EUR",
        "rate_cents_per_kwh": 10,
        "payout_rule": "resale_invoice_due_date",
        "months": [],
    }


@pytest.mark.parametrize("route", ["/battery", "/surplus", "/usage"])
def test_a_customer_without_such_a_meter_gets_a_404(customer_factory: Any, route: str) -> None:
    # Given a customer with a plain electricity meter only
    customer = customer_factory()
    electricity_meter(customer)

    # When they ask for a battery, a kitty or allowances
    response = customer.call("GET", route)

    # Then 404
    assert_error(response, 404, "not_found")


def test_a_battery_customer_has_no_kitty_and_a_resale_customer_no_battery(customer_factory: Any) -> None:
    # Given one customer with a battery and another selling their surplus
    storing, selling = customer_factory(), customer_factory()
    electricity_meter(storing, offer="virtual_storage", tariff=STOCKAGE_TARIFF)
    electricity_meter(selling, offer="surplus_resale", tariff=SURPLUS_TARIFF)

    # When each asks for the other's ledger
    # Then 404
    assert_error(storing.call("GET", "/surplus"), 404, "not_found")
    assert_error(selling.call("GET", "/battery"), 404, "not_found")


@pytest.fixture
def mobile_line(customer_factory: Any, route_today: Any) -> tuple[Any, str]:
    """A mobile line (50 GB, unlimited calls and texts at 500, 20 and 10 c beyond), today being
    23 November 2026."""
    route_today(date(2026, 11, 23))
    customer = customer_factory()
    return customer, customer.subscribe("mobile", offer=None, tariff=MOBILE_TARIFF, started_on="2026-09-01")


def use(customer: Any, subscription_id: str, unit: str, readings: dict[str, str]) -> None:
    report = drop(customer.client, csv_file(rows(f"M{subscription_id}-{unit}", readings)))
    assert report["rejected"] == [], report


def test_usage_within_the_allowance_leaves_the_rest(mobile_line: tuple[Any, str]) -> None:
    # Given 12.5 GB and 95 minutes used this month, and 40 GB last month
    customer, line = mobile_line
    use(customer, line, "GB", {"2026-11-02T18:00:00+01:00": "10", "2026-11-20T08:30:00+01:00": "2.5"})
    use(customer, line, "GB", {"2026-10-30T18:00:00+01:00": "40"})
    use(customer, line, "min", {"2026-11-03T09:00:00+01:00": "95"})

    # When they look at their allowances
    usage = ok(customer.call("GET", "/usage"))

    # Then this month's use against the plan: 37.5 GB left, calls and texts unlimited (null)
    assert (usage["subscription_id"], usage["period"]) == (line, "2026-11")
    assert usage["allowances"] == [
        {"unit": "GB", "included": 50, "used": 12.5, "remaining": 37.5},
        {"unit": "min", "included": None, "used": 95, "remaining": None},
        {"unit": "sms", "included": None, "used": 0, "remaining": None},
    ]
    assert (usage["out_of_plan_cents"], usage["currency"]) == (0, "EUR")


def test_usage_beyond_the_allowance_is_priced_out_of_plan(mobile_line: tuple[Any, str]) -> None:
    # Given 52.5 GB used this month (2.5 beyond the 50 included), and 300 minutes (unlimited)
    customer, line = mobile_line
    use(customer, line, "GB", {"2026-11-02T18:00:00+01:00": "50", "2026-11-20T08:30:00+01:00": "2.5"})
    use(customer, line, "min", {"2026-11-03T09:00:00+01:00": "300"})

    # When they look at their allowances
    usage = ok(customer.call("GET", "/usage"))

    # Then nothing remains of the data, and the 2.5 GB beyond cost 2.5 × 500 c
    data = usage["allowances"][0]
    assert (data["unit"], data["used"], data["remaining"]) == ("GB", 52.5, 0)
    assert usage["out_of_plan_cents"] == 1250


def test_usage_of_a_second_line_is_asked_by_its_subscription(mobile_line: tuple[Any, str]) -> None:
    # Given a customer with two mobile lines, 3 GB used on the second
    customer, first = mobile_line
    second = customer.subscribe("mobile", offer=None, tariff=MOBILE_TARIFF, started_on="2026-10-01")
    use(customer, second, "GB", {"2026-11-02T18:00:00+01:00": "3"})

    # When they ask for the second line's allowances
    usage = ok(customer.call("GET", f"/usage?subscription_id={second}"))

    # Then those are the second line's, and both lines are listed to choose from
    assert usage["subscription_id"] == second
    assert usage["allowances"][0]["used"] == 3
    assert sorted(usage["lines"]) == sorted([first, second])


def test_usage_of_another_customers_line_is_not_found(
    mobile_line: tuple[Any, str], customer_factory: Any
) -> None:
    # Given Alice's mobile line, and Bob with a line of his own
    _, alices = mobile_line
    bob = customer_factory()
    bob.subscribe("mobile", offer=None, tariff=MOBILE_TARIFF)

    # When Bob asks for the allowances of Alice's line
    response = bob.call("GET", f"/usage?subscription_id={alices}")

    # Then 404
    assert_error(response, 404, "not_found")


def test_a_cancelled_line_has_no_allowances(mobile_line: tuple[Any, str]) -> None:
    # Given a mobile line that was cancelled
    customer, line = mobile_line
    customer.cancel(line, family="mobile")

    # When its customer asks for their allowances
    response = customer.call("GET", "/usage")

    # Then 404: they have no line any more
    assert_error(response, 404, "not_found")
