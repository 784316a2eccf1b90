"""An electricity contract changed (SubscriptionChanged): the meter keeps its tariff history — the
option, off-peak hours, kWh rates and subscription price — and each month is closed with the
tariff in force that month, complements of earlier months included. An energy contract changes on
the first day of a month. Events come at least once and in any order.

Jobs are global: each test runs on an empty table of its own (`fresh_jobs`) at months of its own
(2070 and after).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from conftest import (
    ENERGY_RATES,
    STOCKAGE_TARIFF,
    close_month,
    csv_file,
    drop,
    electricity_meter,
    job_ran_until,
    ok,
    rows,
    stored_meter,
)

pytestmark = pytest.mark.usefixtures("fresh_jobs")
OFF_PEAK = [{"start": "22:00", "end": "06:00"}]
NEW_RATES = {"base": "21", "peak": "24.5", "off_peak": "17.25"}


def read(customer: Any, pdl: str, readings: dict[str, str]) -> None:
    assert drop(customer.client, csv_file(rows(pdl, readings)))["rejected"] == []


def closed(published: Any, customer: Any) -> dict[str, dict[str, Any]]:
    return {
        event["detail"]["data"]["month"]: event["detail"]["data"]
        for event in published.of(customer.customer_id, "ConsumptionPeriodClosed")
    }


def to_off_peak(customer: Any, subscription_id: str, effective_on: str, **changes: Any) -> None:
    """SubscriptionChanged: the contract moves to the peak / off-peak option (22:00–06:00) at the
    new rates, 18.90 € a month, from `effective_on`."""
    customer.change(
        subscription_id,
        effective_on,
        started_on="2070-01-01",
        tariff={"energy_rates_cents_per_kwh": NEW_RATES},
        tariff_option="off_peak",
        off_peak_hours=OFF_PEAK,
        price_cents=1890,
        **changes,
    )


def test_each_month_is_closed_with_the_tariff_in_force_that_month(
    customer_factory: Any, published: Any, route_today: Any
) -> None:
    # Given a meter on the base option from January 2070, read in February and March: 4 kWh at
    # noon and 1 kWh at 23:00 each month
    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer, started_on="2070-01-01", price_cents=1574)
    subscription_id = meter_id.removeprefix("E")
    read(
        customer,
        pdl,
        {
            "2070-02-10T12:00:00+01:00": "4",
            "2070-02-10T23:00:00+01:00": "1",
            "2070-03-10T12:00:00+01:00": "4",
            "2070-03-10T23:00:00+01:00": "1",
        },
    )

    # When the contract moves to peak / off-peak from 1 March, and February and March are closed
    to_off_peak(customer, subscription_id, "2070-03-01")
    job_ran_until("2070-01")
    close_month("2070-03-01T03:00")
    close_month("2070-04-01T03:00")

    # Then February is billed on the base option at the old rates and price, March split at the new
    months = closed(published, customer)
    february, march = months["2070-02"], months["2070-03"]
    assert (february["tariff_option"], february["subscription_price_cents"]) == ("base", 1574)
    assert february["rates_cents_per_kwh"] == {"base": "19.52", "peak": "20.81", "off_peak": "16.35"}
    assert (february["peak_kwh"], february["off_peak_kwh"]) == ("5", "0")
    assert (march["tariff_option"], march["subscription_price_cents"]) == ("off_peak", 1890)
    assert march["rates_cents_per_kwh"] == NEW_RATES
    assert (march["peak_kwh"], march["off_peak_kwh"]) == ("4", "1")
    # and the customer sees each month split as it was billed, and the option of the day
    series = ok(customer.call("GET", f"/meters/{meter_id}/series?from=2070-02-01&to=2070-03-31&step=month"))
    assert [(p["start"][:7], p["peak"], p["off_peak"]) for p in series["points"]] == [
        ("2070-02", 5, 0),
        ("2070-03", 4, 1),
    ]
    route_today(date(2070, 2, 20))
    assert [m["tariff_option"] for m in ok(customer.call("GET", "/meters"))["items"]] == ["base"]
    route_today(date(2070, 3, 2))
    (meter,) = ok(customer.call("GET", "/meters"))["items"]
    assert (meter["tariff_option"], meter["off_peak_hours"]) == ("off_peak", OFF_PEAK)


def test_a_complement_of_an_earlier_month_is_billed_at_that_months_tariff(
    customer_factory: Any, published: Any
) -> None:
    # Given a base meter whose February 2071 was closed, moved to peak / off-peak from 1 March
    from chalicelib import readings

    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer, started_on="2071-01-01")
    job_ran_until("2071-01")
    close_month("2071-03-01T03:00")
    to_off_peak(customer, meter_id.removeprefix("E"), "2071-03-01")

    # When February's 2 kWh of 23:00 arrive in March, and March is closed
    late = csv_file(rows(pdl, {"2071-02-10T23:00:00+01:00": "2"}))
    readings.ingest("readings/late.csv", late.encode(), now=datetime(2071, 3, 10, 9, tzinfo=UTC))
    close_month("2071-04-01T03:00")

    # Then they are billed as February was: base option, February's rates
    (complement,) = closed(published, customer)["2071-03"]["complements"]
    assert (complement["month"], complement["tariff_option"]) == ("2071-02", "base")
    assert complement["rates_cents_per_kwh"] == {"base": "19.52", "peak": "20.81", "off_peak": "16.35"}
    assert (complement["peak_kwh"], complement["off_peak_kwh"]) == ("2", "0")


def test_an_energy_contract_change_dated_within_a_month_takes_effect_the_first_of_the_next(
    customer_factory: Any, published: Any
) -> None:
    # Given a base meter from January 2072
    customer = customer_factory()
    meter_id, _ = electricity_meter(customer, started_on="2072-01-01")

    # When its contract moves to peak / off-peak on 17 February
    to_off_peak(customer, meter_id.removeprefix("E"), "2072-02-17")
    job_ran_until("2072-01")
    close_month("2072-03-01T03:00")
    close_month("2072-04-01T03:00")

    # Then February is closed on the base option, March on the new one
    months = closed(published, customer)
    assert (months["2072-02"]["tariff_option"], months["2072-03"]["tariff_option"]) == ("base", "off_peak")


def test_changes_arriving_out_of_order_or_again_keep_one_history(
    customer_factory: Any, published: Any
) -> None:
    # Given a base meter from January 2073
    customer = customer_factory()
    meter_id, _ = electricity_meter(customer, started_on="2073-01-01", price_cents=1574)
    subscription_id = meter_id.removeprefix("E")

    # When the change of 1 May arrives before the one of 1 April, which comes twice; and two changes
    # of 1 June arrive the later one first
    def change(effective_on: str, price_cents: int, day: int) -> None:
        customer.change(
            subscription_id,
            effective_on,
            started_on="2073-01-01",
            price_cents=price_cents,
            occurred_at=datetime(2073, 3, day, 10, tzinfo=UTC),
        )

    to_off_peak(customer, subscription_id, "2073-05-01", occurred_at=datetime(2073, 3, 21, 10, tzinfo=UTC))
    change("2073-04-01", 1600, day=20)
    revision = stored_meter(meter_id).revision
    change("2073-04-01", 1600, day=20)
    redelivered = stored_meter(meter_id).revision
    change("2073-06-01", 1700, day=23)
    change("2073-06-01", 1650, day=22)
    job_ran_until("2073-02")
    for month in range(4, 8):
        close_month(f"2073-{month:02d}-01T03:00")

    # Then each month is closed with its own tariff, the later change of 1 June winning
    months = closed(published, customer)
    assert [
        (name, months[name]["tariff_option"], months[name]["subscription_price_cents"])
        for name in sorted(months)
    ] == [
        ("2073-03", "base", 1574),
        ("2073-04", "base", 1600),
        ("2073-05", "off_peak", 1890),
        ("2073-06", "base", 1700),
    ]
    # and the change delivered again changed nothing
    assert redelivered == revision


def test_a_change_arriving_before_the_activation_fails_so_that_it_comes_back(customer_factory: Any) -> None:
    # Given a subscription whose activation has not arrived yet
    from chalicelib.errors import NotYetKnown

    customer = customer_factory()

    # When its SubscriptionChanged arrives
    # Then the handler fails (the event comes back), rather than lose the new tariff
    with pytest.raises(NotYetKnown):
        customer.change("notactivatedyet", "2074-02-01", started_on="2074-01-01")


def test_the_virtual_battery_has_the_capacity_of_the_tariff_in_force(
    customer_factory: Any, published: Any
) -> None:
    # Given a 300 kWh virtual battery from January 2075 that injects 200 kWh in February and March
    customer = customer_factory()
    meter_id, pdl = electricity_meter(
        customer, offer="virtual_storage", tariff=STOCKAGE_TARIFF, started_on="2075-01-01"
    )
    drop(
        customer.client,
        csv_file(
            rows(pdl, {"2075-02-10T13:00:00+01:00": "200", "2075-03-10T13:00:00+01:00": "200"}, "injection")
        ),
    )

    # When its offer grows to 1000 kWh from 1 March
    customer.change(
        meter_id.removeprefix("E"),
        "2075-03-01",
        started_on="2075-01-01",
        offer="virtual_storage",
        tariff={**STOCKAGE_TARIFF, "battery_capacity_kwh": 1000},
    )
    job_ran_until("2075-01")
    close_month("2075-03-01T03:00")
    close_month("2075-04-01T03:00")

    # Then February stores 200, March 200 more (400, beyond the old capacity)
    months = closed(published, customer)
    assert [months[name]["battery"]["level_kwh"] for name in ("2075-02", "2075-03")] == ["200", "400"]
    assert ok(customer.call("GET", "/battery"))["capacity_kwh"] == 1000


def renewed(customer: Any, subscription_id: str, period_start: str, **terms: Any) -> None:
    """SubscriptionRenewed of an energy contract started on 15 January 2072 (renewed in place, no
    order), carrying the terms of its new period."""
    from dateutil.relativedelta import relativedelta
    from guichet_contracts.domain_events.subscriptions import SubscriptionRenewed
    from guichet_local.testing import a_subscription, deliver

    start = date.fromisoformat(period_start)
    subscription = a_subscription(
        customer.customer_id,
        subscription_id=subscription_id,
        started_on="2072-01-15",
        renews_on=(start + relativedelta(months=1)).isoformat(),
        offer="base",
        payment_mode="per_invoice",
        **terms,
    )
    renewal = SubscriptionRenewed(
        subscription=subscription, order_id=None, period_start=start, period_end=subscription.renews_on
    )
    deliver(customer.client, "subscription_renewed", renewal)


def test_a_renewal_on_new_catalog_terms_bills_them_from_the_next_month_and_the_same_terms_add_nothing(
    customer_factory: Any, published: Any
) -> None:
    # Given a base meter from 15 January 2072 at 15.74 € a month, read in March and April
    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer, started_on="2072-01-15", price_cents=1574)
    subscription_id = meter_id.removeprefix("E")
    read(customer, pdl, {"2072-03-10T12:00:00+01:00": "4", "2072-04-10T12:00:00+01:00": "4"})

    # When it renews on 15 February on the same terms, then on 15 March on a newer catalog
    # version's (16.74 € a month, new rates), delivered twice
    renewed(
        customer,
        subscription_id,
        "2072-02-15",
        price_cents=1574,
        tariff={"energy_rates_cents_per_kwh": ENERGY_RATES},
    )
    after_same_terms = list(stored_meter(meter_id).tariffs)
    for _ in range(2):
        renewed(
            customer,
            subscription_id,
            "2072-03-15",
            price_cents=1674,
            tariff={"energy_rates_cents_per_kwh": NEW_RATES},
        )
    job_ran_until("2072-02")
    close_month("2072-04-01T03:00")
    close_month("2072-05-01T03:00")

    # Then the same terms added nothing, and the new ones apply from 1 April, once
    assert len(after_same_terms) == 1
    assert [entry["from"] for entry in stored_meter(meter_id).tariffs] == ["2072-01-15", "2072-04-01"]
    months = closed(published, customer)
    march, april = months["2072-03"], months["2072-04"]
    assert (march["subscription_price_cents"], march["rates_cents_per_kwh"]["base"]) == (1574, "19.52")
    assert (april["subscription_price_cents"], april["rates_cents_per_kwh"]) == (1674, NEW_RATES)
