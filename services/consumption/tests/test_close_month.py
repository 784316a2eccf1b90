"""The monthly close (chalicelib.closing.close_month(now)): each electricity meter's month is
totalled, the virtual battery and the surplus kitty are settled, and the invoices service is
told (ConsumptionPeriodClosed, SurplusPayout) — once per meter and month, however often and
however late the job runs.

Jobs are global: each test runs on an empty table of its own (`fresh_jobs`) at months of its own
(2040 and after), driving time through the job's `now`.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from chalicelib.errors import NotFound
from conftest import (
    MOBILE_TARIFF,
    STOCKAGE_TARIFF,
    SURPLUS_TARIFF,
    close_month,
    csv_file,
    drop,
    electricity_meter,
    job_ran_until,
    meter_of,
    new_pdl,
    ok,
    rows,
)
from guichet_local.testing import deliver, together

pytestmark = pytest.mark.usefixtures("fresh_jobs")
OFF_PEAK = [{"start": "22:00", "end": "06:00"}]


def read(customer: Any, pdl: str, consumed: dict[str, str], injected: dict[str, str] | None = None) -> None:
    """Ingest these readings ({start: kWh}) of consumption and injection of a PDL."""
    body = csv_file(rows(pdl, consumed), rows(pdl, injected or {}, "injection"))
    report = drop(customer.client, body)
    assert report["rejected"] == [], report["rejected"]


def closed_months(published: Any, customer: Any) -> list[dict[str, Any]]:
    """The ConsumptionPeriodClosed the service published about the customer, in month order."""
    found = [
        event["detail"]["data"] for event in published.of(customer.customer_id, "ConsumptionPeriodClosed")
    ]
    return sorted(found, key=lambda data: data["month"])


def payouts(published: Any, customer: Any) -> list[dict[str, Any]]:
    found = [event["detail"]["data"] for event in published.of(customer.customer_id, "SurplusPayout")]
    return sorted(found, key=lambda data: data["month"])


def active_meter_ids() -> set[str]:
    from chalicelib.closing import active_meters

    return {meter.meter_id for meter in active_meters()}


def test_the_close_tells_the_invoices_service_what_the_month_consumed(
    customer_factory: Any, published: Any
) -> None:
    # Given an off-peak meter from January 2040, read in February: 6 kWh peak and 4 off-peak
    customer = customer_factory()
    meter_id, pdl = electricity_meter(
        customer,
        started_on="2040-01-01",
        tariff_option="off_peak",
        off_peak_hours=OFF_PEAK,
        payment_mode="monthly",
        price_cents=1574,
    )
    read(customer, pdl, {"2040-02-10T12:00:00+01:00": "6", "2040-02-10T23:00:00+01:00": "4"})

    # When the job runs on 1 March 2040 at 03:00 (Paris)
    outcome = close_month("2040-03-01T03:00")

    # Then February is closed, and one ConsumptionPeriodClosed says what to bill
    assert outcome == {"closed": 1, "already": 0, "payouts": 0, "corrected": 0}
    (closed,) = closed_months(published, customer)
    assert closed["meter_id"] == meter_id
    assert (closed["month"], closed["period_start"], closed["period_end"]) == (
        "2040-02",
        "2040-02-01",
        "2040-02-29",
    )
    assert (closed["consumed_kwh"], closed["peak_kwh"], closed["off_peak_kwh"]) == ("10", "6", "4")
    assert closed["injected_kwh"] == "0"
    assert (closed["payment_mode"], closed["tariff_option"]) == ("monthly", "off_peak")
    assert closed["subscription_price_cents"] == 1574
    assert closed["rates_cents_per_kwh"] == {"base": "19.52", "peak": "20.81", "off_peak": "16.35"}
    assert (closed["days_in_month"], closed["final"], closed["complements"]) == (29, False, [])
    # and a month of which only two half-hours arrived is an estimate
    assert closed["estimated"] is True
    assert closed["battery"] is None


def test_the_close_carries_the_taxes_the_offers_prices_include(customer_factory: Any, published: Any) -> None:
    # Given a meter on an offer stating its taxes (accise 3.085 c per kWh, CTA 15 % of 40 % of the
    # subscription), and one on an offer from before they were stated, both read in February 2042
    from guichet_contracts import electricity_bill
    from guichet_contracts.domain_events.consumption import ConsumptionPeriodClosed

    rates = {"energy_rates_cents_per_kwh": {"base": 19.52, "peak": 20.81, "off_peak": 16.35}}
    taxes = {"accise_cents_per_kwh": "3.085", "cta_rate_percent": "15", "cta_base_percent": "40"}
    taxed, untaxed = customer_factory(), customer_factory()
    for customer, tariff in ((taxed, {**rates, **taxes}), (untaxed, rates)):
        _, pdl = electricity_meter(customer, started_on="2042-01-01", tariff=tariff)
        read(customer, pdl, {"2042-02-10T12:00:00+01:00": "6", "2042-02-10T23:00:00+01:00": "4"})

    # When February is closed
    close_month("2042-03-01T03:00")

    # Then the close tells the offer's tax rates, and none when the offer stated none
    (closed,) = closed_months(published, taxed)
    assert closed["taxes"] == taxes
    (plain,) = closed_months(published, untaxed)
    assert plain["taxes"] is None
    # and the taxes are included in the month's prices: both months cost the same
    with_taxes = ConsumptionPeriodClosed.model_validate(closed, strict=False)
    without = ConsumptionPeriodClosed.model_validate(plain, strict=False)
    lines = electricity_bill.month_lines
    assert electricity_bill.cost(lines(with_taxes)) == electricity_bill.cost(lines(without))
    found = electricity_bill.taxes(with_taxes)
    assert found is not None and (found.accise_kwh, found.accise_cents, found.cta_cents) == (10, 31, 79)
    assert electricity_bill.taxes(without) is None


def test_a_month_read_in_full_is_not_an_estimate(customer_factory: Any, published: Any) -> None:
    # Given a meter with every half-hour of February 2041 read
    from conftest import whole_days

    customer = customer_factory()
    _, pdl = electricity_meter(customer, started_on="2041-01-01")
    body = csv_file(whole_days(pdl, date(2041, 2, 1), date(2041, 2, 28), "0.25"))
    assert drop(customer.client, body)["accepted"] == 28 * 48

    # When February is closed
    close_month("2041-03-01T03:00")

    # Then its consumption is measured, not estimated
    (closed,) = closed_months(published, customer)
    assert (closed["consumed_kwh"], closed["estimated"]) == ("336", False)


def test_the_virtual_battery_stores_injection_and_restores_it_over_the_months(
    customer_factory: Any, published: Any
) -> None:
    # Given an off-peak meter with a 300 kWh virtual battery, read over three months of 2042:
    # April injects 100 and consumes 40; May consumes 100 (70 peak, 30 off-peak); June injects
    # 50 and consumes 20
    customer = customer_factory()
    _, pdl = electricity_meter(
        customer,
        offer="virtual_storage",
        tariff=STOCKAGE_TARIFF,
        started_on="2042-01-01",
        tariff_option="off_peak",
        off_peak_hours=OFF_PEAK,
    )
    read(customer, pdl, {"2042-04-10T12:00:00+02:00": "40"}, {"2042-04-10T13:00:00+02:00": "100"})
    read(customer, pdl, {"2042-05-10T12:00:00+02:00": "70", "2042-05-10T23:00:00+02:00": "30"})
    read(customer, pdl, {"2042-06-10T12:00:00+02:00": "20"}, {"2042-06-10T13:00:00+02:00": "50"})
    job_ran_until("2042-03")

    # When the job runs at the start of May, June and July
    for at in ("2042-05-01T03:00", "2042-06-01T03:00", "2042-07-01T03:00"):
        close_month(at)

    # Then April stored its 100 kWh and restored its own 40 (nothing billed, 60 left);
    # May restored the 60 and billed the other 40, keeping May's shares (28 peak, 12 off-peak);
    # June stored 50 and restored 20 (30 left)
    closed = closed_months(published, customer)
    assert [(c["month"], c["consumed_kwh"], c["peak_kwh"], c["off_peak_kwh"]) for c in closed] == [
        ("2042-04", "0", "0", "0"),
        ("2042-05", "40", "28", "12"),
        ("2042-06", "0", "0", "0"),
    ]
    assert [c["battery"] for c in closed] == [
        {"stored_kwh": "100", "restored_kwh": "40", "level_kwh": "60", "withdrawal_cents_per_kwh": "9.6"},
        {"stored_kwh": "0", "restored_kwh": "60", "level_kwh": "0", "withdrawal_cents_per_kwh": "9.6"},
        {"stored_kwh": "50", "restored_kwh": "20", "level_kwh": "30", "withdrawal_cents_per_kwh": "9.6"},
    ]
    # and the customer sees the same battery
    battery = ok(customer.call("GET", "/battery"))
    assert (battery["capacity_kwh"], battery["level_kwh"]) == (300, 30)
    assert [(m["month"], m["stored_kwh"], m["restored_kwh"], m["level_kwh"]) for m in battery["months"]] == [
        ("2042-04", 100, 40, 60),
        ("2042-05", 0, 60, 0),
        ("2042-06", 50, 20, 30),
    ]


def test_the_virtual_battery_stores_no_more_than_its_capacity(customer_factory: Any, published: Any) -> None:
    # Given a meter with a 10 kWh battery that injects 50 kWh in April 2043 and consumes 30 in May
    customer = customer_factory()
    small = {**STOCKAGE_TARIFF, "battery_capacity_kwh": 10}
    _, pdl = electricity_meter(customer, offer="virtual_storage", tariff=small, started_on="2043-01-01")
    read(customer, pdl, {}, {"2043-04-10T13:00:00+02:00": "50"})
    read(customer, pdl, {"2043-05-10T12:00:00+02:00": "30"})
    job_ran_until("2043-03")

    # When April and May are closed
    close_month("2043-05-01T03:00")
    close_month("2043-06-01T03:00")

    # Then April stored 10 kWh (the battery was full), and May restored those 10 and billed 20
    april, may = closed_months(published, customer)
    assert (april["battery"]["stored_kwh"], april["battery"]["level_kwh"]) == ("10", "10")
    assert (may["battery"]["restored_kwh"], may["battery"]["level_kwh"]) == ("10", "0")
    assert (may["consumed_kwh"], may["peak_kwh"], may["off_peak_kwh"]) == ("20", "20", "0")
    # and the customer sees the 40 kWh April had no room for: not stored
    battery = ok(customer.call("GET", "/battery"))
    assert (battery["capacity_kwh"], battery["beyond_capacity"]) == (10, "not_stored")
    assert [(m["month"], m["stored_kwh"], m["overflow_kwh"]) for m in battery["months"]] == [
        ("2043-04", 10, 40),
        ("2043-05", 0, 0),
    ]


def test_surplus_resale_credits_the_kitty_and_pays_out_once_a_month(
    customer_factory: Any, published: Any
) -> None:
    # Given a surplus resale meter (10 c/kWh) injecting 12.355 kWh in April 2044, 20 in May and
    # none in June
    customer = customer_factory()
    meter_id, pdl = electricity_meter(
        customer, offer="surplus_resale", tariff=SURPLUS_TARIFF, started_on="2044-01-01"
    )
    read(customer, pdl, {"2044-04-10T12:00:00+02:00": "3"}, {"2044-04-10T13:00:00+02:00": "12.355"})
    read(customer, pdl, {}, {"2044-05-10T13:00:00+02:00": "20"})
    read(customer, pdl, {"2044-06-10T12:00:00+02:00": "1"})
    job_ran_until("2044-03")

    # When April, May and June are closed
    outcome = {}
    for at in ("2044-05-01T03:00", "2044-06-01T03:00", "2044-07-01T03:00"):
        outcome[at[:7]] = close_month(at)["payouts"]

    # Then one payout per month with injection, of injected × rate rounded to the cent (123.55 → 124)
    sent = payouts(published, customer)
    assert [(p["month"], p["injected_kwh"], p["amount_cents"], p["currency"]) for p in sent] == [
        ("2044-04", "12.355", 124, "EUR"),
        ("2044-05", "20", 200, "EUR"),
    ]
    assert [p["payout_id"] for p in sent] == [f"{meter_id}-2044-04", f"{meter_id}-2044-05"]
    assert (outcome["2044-05"], outcome["2044-06"], outcome["2044-07"]) == (1, 1, 0)
    # the consumption is still billed as such, the injection not deducted from it
    assert [(c["month"], c["consumed_kwh"]) for c in closed_months(published, customer)] == [
        ("2044-04", "3"),
        ("2044-05", "0"),
        ("2044-06", "1"),
    ]
    # and the kitty holds the credits of every month
    surplus = ok(customer.call("GET", "/surplus"))
    assert (surplus["kitty_cents"], surplus["currency"]) == (324, "EUR")
    assert [
        (m["month"], m["injected_kwh"], m["rate_cents_per_kwh"], m["credited_cents"], m["paid_out_on"])
        for m in surplus["months"]
    ] == [
        ("2044-04", 12.355, 10, 124, None),
        ("2044-05", 20, 10, 200, None),
        ("2044-06", 0, 10, 0, None),
    ]

    # When the invoices service pays April's resale invoice out, and says so twice
    paid_out = surplus_paid_out(customer, sent[0], invoice_id="in_20440516_a1b2c3d4e5", on="2044-05-16")
    deliver(customer.client, "surplus_paid_out", paid_out)
    deliver(customer.client, "surplus_paid_out", paid_out)

    # Then April left the kitty, once
    surplus = ok(customer.call("GET", "/surplus"))
    assert (surplus["kitty_cents"], surplus["paid_out_cents"]) == (200, 124)
    assert [(m["month"], m["paid_out_on"], m["in_kitty_cents"]) for m in surplus["months"]] == [
        ("2044-04", "2044-05-16", 0),
        ("2044-05", None, 200),
        ("2044-06", None, 0),
    ]
    assert surplus["months"][0]["resale_invoice_id"] == "in_20440516_a1b2c3d4e5"


def test_the_kitty_is_the_sum_of_its_months_however_many_wait_to_be_paid_out(
    customer_factory: Any, published: Any
) -> None:
    # Given a surplus resale meter (10 c/kWh) injecting 1 kWh each month from January 2048 to
    # February 2049: fourteen months bought, none paid out yet
    customer = customer_factory()
    _, pdl = electricity_meter(
        customer, offer="surplus_resale", tariff=SURPLUS_TARIFF, started_on="2048-01-01"
    )
    months = [f"2048-{n:02d}" for n in range(1, 13)] + ["2049-01", "2049-02"]
    read(customer, pdl, {}, {f"{month}-10T13:00:00+01:00": "1" for month in months})
    job_ran_until("2047-12")
    for following in [*months[1:], "2049-03"]:
        close_month(f"{following}-01T03:00")

    # When the customer reads the kitty
    surplus = ok(customer.call("GET", "/surplus"))

    # Then it holds the fourteen months, and so do its months: none is left out of the list
    assert surplus["kitty_cents"] == 140
    assert [m["month"] for m in surplus["months"]] == months
    assert sum(m["credited_cents"] for m in surplus["months"]) == 140
    assert sum(m["in_kitty_cents"] for m in surplus["months"]) == 140

    # When January 2048 is paid out
    paid = surplus_paid_out(
        customer, payouts(published, customer)[0], invoice_id="in_20480216_a1b2c3d4e5", on="2048-02-16"
    )
    deliver(customer.client, "surplus_paid_out", paid)

    # Then it leaves the kitty and, being older than the last twelve months, the list; the kitty is
    # still what its months hold
    surplus = ok(customer.call("GET", "/surplus"))
    assert surplus["kitty_cents"] == 130
    assert [m["month"] for m in surplus["months"]] == months[1:]
    assert sum(m["in_kitty_cents"] for m in surplus["months"]) == 130


def surplus_paid_out(customer: Any, payout: dict[str, Any], **changes: Any) -> Any:
    from guichet_contracts.domain_events.invoices import SurplusPaidOut

    return SurplusPaidOut.model_validate(
        {
            "payout_id": payout["payout_id"],
            "customer_id": customer.customer_id,
            "subscription_id": payout["subscription_id"],
            "amount_cents": payout["amount_cents"],
            "currency": "EUR",
            **changes,
        },
        strict=False,
    )


def test_a_payout_of_another_customers_meter_is_refused(customer_factory: Any, published: Any) -> None:
    # Given a surplus seller whose March 2047 was bought, and another customer
    customer, other = customer_factory(), customer_factory()
    _, pdl = electricity_meter(
        customer, offer="surplus_resale", tariff=SURPLUS_TARIFF, started_on="2047-01-01"
    )
    read(customer, pdl, {}, {"2047-03-10T13:00:00+01:00": "30"})
    job_ran_until("2047-02")
    close_month("2047-04-01T03:00")
    (payout,) = payouts(published, customer)

    # When a payout naming that meter arrives for the other customer
    wrong = surplus_paid_out(other, payout, invoice_id="in_20470416_a1b2c3d4e5", on="2047-04-16")

    # Then it is refused, and the kitty keeps the month
    with pytest.raises(NotFound):
        deliver(customer.client, "surplus_paid_out", wrong)
    assert ok(customer.call("GET", "/surplus"))["kitty_cents"] == 300


def test_running_the_job_twice_closes_and_tells_each_month_once(
    customer_factory: Any, published: Any
) -> None:
    # Given a surplus resale meter that injected in February 2045, closed on 1 March
    customer = customer_factory()
    _, pdl = electricity_meter(
        customer, offer="surplus_resale", tariff=SURPLUS_TARIFF, started_on="2045-01-01"
    )
    read(customer, pdl, {"2045-02-10T12:00:00+01:00": "2"}, {"2045-02-10T13:00:00+01:00": "5"})
    assert close_month("2045-03-01T03:00")["closed"] == 1

    # When the job runs again that day, and once more after losing its mark
    again = close_month("2045-03-01T09:00")
    from conftest import forget_job_mark

    forget_job_mark()
    after_losing_its_mark = close_month("2045-03-02T03:00")

    # Then nothing more was closed or told: one event and one payout for February
    assert again == {"closed": 0, "already": 0, "payouts": 0, "corrected": 0}
    assert after_losing_its_mark == {"closed": 0, "already": 1, "payouts": 0, "corrected": 0}
    assert [c["month"] for c in closed_months(published, customer)] == ["2045-02"]
    assert [p["month"] for p in payouts(published, customer)] == ["2045-02"]
    assert ok(customer.call("GET", "/surplus"))["kitty_cents"] == 50


def test_overlapping_runs_close_each_month_once(
    customer_factory: Any, published: Any, serialised_aws: None
) -> None:
    # Given three battery meters that injected and consumed in February 2046
    customers = [customer_factory() for _ in range(3)]
    for customer in customers:
        _, pdl = electricity_meter(
            customer, offer="virtual_storage", tariff=STOCKAGE_TARIFF, started_on="2046-01-01"
        )
        read(customer, pdl, {"2046-02-10T12:00:00+01:00": "4"}, {"2046-02-10T13:00:00+01:00": "10"})

    # When two runs of the job overlap
    outcomes = together(lambda: close_month("2046-03-01T03:00"), lambda: close_month("2046-03-01T03:00"))

    # Then each meter's February was closed by one of them, its battery charged once
    assert sum(outcome["closed"] for outcome in outcomes) == 3
    for customer in customers:
        battery = ok(customer.call("GET", "/battery"))
        assert [(m["month"], m["stored_kwh"], m["level_kwh"]) for m in battery["months"]] == [
            ("2046-02", 10, 6)
        ]


def test_overlapping_runs_tell_each_month_once(
    customer_factory: Any, published: Any, serialised_aws: None
) -> None:
    # Given three meters read in February 2047
    customers = [customer_factory() for _ in range(3)]
    for customer in customers:
        _, pdl = electricity_meter(customer, started_on="2047-01-01")
        read(customer, pdl, {"2047-02-10T12:00:00+01:00": "4"})

    # When two runs of the job overlap
    together(lambda: close_month("2047-03-01T03:00"), lambda: close_month("2047-03-01T03:00"))

    # Then each meter's February was told once
    for customer in customers:
        assert [c["month"] for c in closed_months(published, customer)] == ["2047-02"]


def held_lease(seconds_left: int) -> None:
    """As if another run of the job had taken its lease, `seconds_left` before it expires."""
    import time

    from chalicelib.models import JobLease

    JobLease(
        "JOB#close_month", "LEASE", holder="another-run", expires_at=int(time.time()) + seconds_left
    ).save()


def test_a_run_while_another_holds_the_lease_leaves_the_work_to_it(
    customer_factory: Any, published: Any
) -> None:
    # Given a meter read in February 2055, and another run of the job under way
    customer = customer_factory()
    _, pdl = electricity_meter(customer, started_on="2055-01-01")
    read(customer, pdl, {"2055-02-10T12:00:00+01:00": "2"})
    held_lease(600)

    # When the job runs
    outcome = close_month("2055-03-01T03:00")

    # Then it closes and tells nothing
    assert outcome == {"closed": 0, "already": 0, "payouts": 0, "corrected": 0}
    assert closed_months(published, customer) == []


def test_the_lease_of_a_run_that_died_does_not_stop_the_job(customer_factory: Any, published: Any) -> None:
    # Given a meter read in February 2056, and the lease of a run that died 15 minutes ago
    customer = customer_factory()
    _, pdl = electricity_meter(customer, started_on="2056-01-01")
    read(customer, pdl, {"2056-02-10T12:00:00+01:00": "2"})
    held_lease(-1)

    # When the job runs
    close_month("2056-03-01T03:00")

    # Then it closes February, and leaves no lease behind
    from chalicelib.models import JobLease

    assert [c["month"] for c in closed_months(published, customer)] == ["2056-02"]
    assert list(JobLease.query("JOB#close_month", JobLease.sk == "LEASE")) == []


def test_a_retry_of_a_run_that_died_holding_the_lease_does_the_work(
    customer_factory: Any, published: Any
) -> None:
    # Given a meter read in February 2057, and the run of the scheduled event evt-1 died in the
    # job holding its lease (found by the fault-injection tier: the retry did nothing)
    from chalicelib.closing import close_month as run
    from chalicelib.models import JobLease

    customer = customer_factory()
    _, pdl = electricity_meter(customer, started_on="2057-01-01")
    read(customer, pdl, {"2057-02-10T12:00:00+01:00": "2"})
    JobLease("JOB#close_month", "LEASE", holder="evt-1", expires_at=int(time.time()) + 600).save()
    now = datetime(2057, 3, 1, 2, 0, tzinfo=UTC)

    # When another invocation runs meanwhile, it leaves the work to the holder
    assert run(now=now, run_id="evt-2")["closed"] == 0
    # but when AWS retries evt-1, the retry takes its lease over and closes February
    assert run(now=now, run_id="evt-1")["closed"] == 1
    assert [c["month"] for c in closed_months(published, customer)] == ["2057-02"]
    assert list(JobLease.query("JOB#close_month", JobLease.sk == "LEASE")) == []


def test_a_late_run_catches_up_the_months_it_missed(customer_factory: Any, published: Any) -> None:
    # Given a battery meter read every month of 2048, the job last run for January
    customer = customer_factory()
    _, pdl = electricity_meter(
        customer, offer="virtual_storage", tariff=STOCKAGE_TARIFF, started_on="2048-01-01"
    )
    read(
        customer,
        pdl,
        {"2048-03-10T12:00:00+01:00": "5", "2048-04-10T12:00:00+02:00": "30"},
        {"2048-02-10T12:00:00+01:00": "20"},
    )
    job_ran_until("2048-01")

    # When the job next runs on 10 May (it missed March and April)
    outcome = close_month("2048-05-10T03:00")

    # Then February, March and April are closed in order, the battery carried from one to the next
    assert outcome["closed"] == 3
    closed = closed_months(published, customer)
    assert [(c["month"], c["battery"]["level_kwh"], c["consumed_kwh"]) for c in closed] == [
        ("2048-02", "20", "0"),
        ("2048-03", "15", "0"),
        ("2048-04", "0", "15"),
    ]
    # and its next run, on 1 June, closes May only
    close_month("2048-06-01T03:00")
    assert [c["month"] for c in closed_months(published, customer)][3:] == ["2048-05"]


def test_the_first_run_closes_only_the_month_before(customer_factory: Any, published: Any) -> None:
    # Given a meter from January 2049 and a job that never ran
    customer = customer_factory()
    electricity_meter(customer, started_on="2049-01-01")

    # When the job first runs on 1 April
    close_month("2049-04-01T03:00")

    # Then it closes March, not the months before it was deployed
    assert [c["month"] for c in closed_months(published, customer)] == ["2049-03"]


def test_a_meter_cancelled_mid_month_gets_that_month_closed_then_leaves_the_active_meters(
    customer_factory: Any, published: Any
) -> None:
    # Given a meter read on 10 and 20 March 2050, its subscription cancelled on 15 March

    customer = customer_factory()
    pdl = new_pdl()
    subscription_id = customer.subscribe(pdl=pdl, started_on="2050-01-01")
    meter_id = f"E{subscription_id}"
    read(customer, pdl, {"2050-03-10T12:00:00+01:00": "4", "2050-03-20T12:00:00+01:00": "3"})
    customer.cancel(subscription_id, ended_on=date(2050, 3, 15))
    job_ran_until("2050-02")
    assert meter_id in active_meter_ids()

    # When March is closed
    close_month("2050-04-01T03:00")

    # Then March is billed up to the 15th, and the meter is no longer walked by the job
    (march,) = closed_months(published, customer)
    assert (march["month"], march["consumed_kwh"], march["final"]) == ("2050-03", "4", True)
    assert meter_id not in active_meter_ids()
    close_month("2050-05-01T03:00")
    assert [c["month"] for c in closed_months(published, customer)] == ["2050-03"]


def test_a_meter_started_mid_month_is_billed_its_own_days(customer_factory: Any, published: Any) -> None:
    # Given a home read on 10 and 20 March 2051, its new occupant's subscription from 16 March
    customer = customer_factory()
    pdl = new_pdl()
    customer.subscribe(pdl=pdl, started_on="2051-03-16")
    read(customer, pdl, {"2051-03-10T12:00:00+01:00": "4", "2051-03-20T12:00:00+01:00": "3"})

    # When March is closed
    close_month("2051-04-01T03:00")

    # Then the occupant is billed the 20th's 3 kWh only
    (march,) = closed_months(published, customer)
    assert (march["consumed_kwh"], march["estimated"]) == ("3", True)


def test_the_previous_occupant_is_billed_their_last_days_when_the_home_changes_hands(
    customer_factory: Any, published: Any
) -> None:
    # Given Alice's meter read on 10 March 2052, her subscription cancelled on 15 March, and Bob in
    # her home from the 16th, read on the 20th

    alice, bob = customer_factory(), customer_factory()
    pdl = new_pdl()
    alices = alice.subscribe(pdl=pdl, started_on="2052-01-01")
    read(alice, pdl, {"2052-03-10T12:00:00+01:00": "4", "2052-03-20T12:00:00+01:00": "3"})
    alice.cancel(alices, ended_on=date(2052, 3, 15))
    bob.subscribe(pdl=pdl, started_on="2052-03-16")
    job_ran_until("2052-02")

    # When March is closed
    close_month("2052-04-01T03:00")

    # Then each is billed their own days: Alice 4 kWh until the 15th, her last month; Bob 3 kWh
    # from the 16th
    assert [
        (c["month"], c["period_start"], c["period_end"], c["consumed_kwh"], c["final"])
        for c in closed_months(published, alice)
    ] == [("2052-03", "2052-03-01", "2052-03-15", "4", True)]
    assert [
        (c["month"], c["period_start"], c["period_end"], c["consumed_kwh"], c["final"])
        for c in closed_months(published, bob)
    ] == [("2052-03", "2052-03-16", "2052-03-31", "3", False)]


def test_mobile_lines_are_not_closed(customer_factory: Any, published: Any) -> None:
    # Given a mobile line with data used in February 2053
    customer = customer_factory()
    subscription_id = customer.subscribe("mobile", offer=None, tariff=MOBILE_TARIFF, started_on="2053-01-01")
    read(customer, f"M{subscription_id}-GB", {"2053-02-10T12:00:00+01:00": "3"})

    # When February is closed
    outcome = close_month("2053-03-01T03:00")

    # Then nothing is told about it (telecom usage is billed by its own plan)
    assert outcome["closed"] == 0
    assert closed_months(published, customer) == []


def test_the_scheduled_handler_closes_the_month_before_its_event_time(
    client: Any, customer_factory: Any, published: Any
) -> None:
    # Given a meter read in February 2054
    customer = customer_factory()
    _, pdl = electricity_meter(customer, started_on="2054-01-01")
    read(customer, pdl, {"2054-02-10T12:00:00+01:00": "2"})

    # When the schedule fires on 1 March 2054 at 03:00 UTC
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    event["time"] = "2054-03-01T03:00:00Z"
    result = client.lambda_.invoke("close_month", event)

    # Then February is closed, as of the event's time
    assert result.payload == {"closed": 1, "already": 0, "payouts": 0, "corrected": 0}
    assert [(c["month"], c["consumed_kwh"]) for c in closed_months(published, customer)] == [("2054-02", "2")]


def test_a_close_saved_but_not_told_is_told_by_the_next_run(
    customer_factory: Any, published: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a meter read in February 2057, and EventBridge failing once when the job tells it
    from chalicelib import closing

    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer, started_on="2057-01-01")
    read(customer, pdl, {"2057-02-10T12:00:00+01:00": "2"})
    real_publish = closing.events.publish
    failures: list[bool] = []

    def publish_failing_once(*args: Any, **kwargs: Any) -> Any:
        if not failures:
            failures.append(True)
            raise RuntimeError("EventBridge refused the event")
        return real_publish(*args, **kwargs)

    monkeypatch.setattr(closing.events, "publish", publish_failing_once)

    # When the job runs on 1 March 2057 (and fails), then again
    with pytest.raises(RuntimeError):
        close_month("2057-03-01T03:00")
    again = close_month("2057-03-01T04:00")

    # Then February was closed once and told once, by the second run, with the figures it was
    # closed with
    assert again == {"closed": 0, "already": 1, "payouts": 0, "corrected": 0}
    assert [(c["month"], c["meter_id"], c["consumed_kwh"]) for c in closed_months(published, customer)] == [
        ("2057-02", meter_id, "2")
    ]


def test_a_meter_activated_after_its_first_month_was_closed_gets_that_month_closed(
    customer_factory: Any, published: Any
) -> None:
    # Given the close of March 2049 already ran (on 1 April)
    customer = customer_factory()
    other = customer_factory()
    electricity_meter(other, started_on="2049-01-01")
    job_ran_until("2049-02")
    assert close_month("2049-04-01T03:00")["closed"] == 1

    # When a contract started on 20 March is activated only then, on 2 April
    with time_machine.travel(datetime(2049, 4, 2, 8, 0, tzinfo=UTC), tick=False):
        subscription_id = customer.subscribe(pdl=new_pdl(), started_on="2049-03-20")
    meter_id = meter_of(customer, subscription_id)

    # Then its March (its own days, 20 to 31) is closed and billed at once
    (data,) = closed_months(published, customer)
    assert (data["month"], data["period_start"], data["period_end"]) == (
        "2049-03",
        "2049-03-20",
        "2049-03-31",
    )
    assert data["meter_id"] == meter_id
    # and the next run closes April, not March again
    close_month("2049-05-01T03:00")
    assert [c["month"] for c in closed_months(published, customer)] == ["2049-03", "2049-04"]


def test_an_imported_contract_is_billed_only_from_where_the_provider_stopped(
    customer_factory: Any, published: Any
) -> None:
    # Given a contract running since January 2053, imported with the provider's billing up to
    # 14 March (SubscriptionActivated with billed_from 15 March), read in February and March
    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer, started_on="2053-01-01", billed_from="2053-03-15")
    read(
        customer,
        pdl,
        {
            "2053-02-10T12:00:00+01:00": "7",
            "2053-03-10T12:00:00+01:00": "5",
            "2053-03-20T12:00:00+01:00": "3",
        },
    )
    job_ran_until("2053-01")

    # When the job closes February and March
    close_month("2053-04-01T03:00")

    # Then February, the provider's, is not billed; March is billed from the 15th only
    (closed,) = closed_months(published, customer)
    assert (closed["meter_id"], closed["month"], closed["period_start"]) == (
        meter_id,
        "2053-03",
        "2053-03-15",
    )
    assert closed["consumed_kwh"] == "3"
