"""A mobile line's allowances follow its billing day, not the calendar month: its periods are
[started_on + k months, started_on + k+1 months). GET /usage shows the current one; the daily job
closes each period that has ended and tells the invoices service what lies beyond the plan
(UsagePeriodClosed) — once per line and period, however often or late it runs; a plan change
(SubscriptionChanged) measures the current period against the new plan.

Jobs are global: the job tests run on an empty table of their own (`fresh_jobs`) at years of
their own (2080 and after), driving time through the job's `now`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import MOBILE_TARIFF, csv_file, drop, ok, rows

PARIS = ZoneInfo("Europe/Paris")
SMALL_PLAN = {  # 10 GB at 5 € beyond, 120 minutes at 0.20 €, unlimited texts
    "allowances": [
        {"unit": "GB", "included": 10},
        {"unit": "min", "included": 120},
        {"unit": "sms", "included": None},
    ],
    "out_of_plan_cents": {"GB": 500, "min": 20, "sms": 10},
}


def use(customer: Any, line: str, unit: str, readings: dict[str, str]) -> None:
    assert drop(customer.client, csv_file(rows(f"M{line}-{unit}", readings)))["rejected"] == []


def close_periods(at: str) -> dict[str, int]:
    """Run the daily job as of `at` (a Paris time, e.g. "2080-03-16T03:30")."""
    from chalicelib.lines import close_periods as run

    return run(now=datetime.fromisoformat(at).replace(tzinfo=PARIS).astimezone(UTC))


def told(published: Any, customer: Any) -> list[dict[str, Any]]:
    found = [event["detail"]["data"] for event in published.of(customer.customer_id, "UsagePeriodClosed")]
    return sorted(found, key=lambda data: data["period_start"])


# ---- GET /usage: the current period ------------------------------------------------------------


def test_the_current_period_starts_on_the_lines_billing_day(customer_factory: Any, route_today: Any) -> None:
    # Given a line started on 15 September 2026 (50 GB), 8 GB used on 10 November and 3 GB on the 20th
    customer = customer_factory()
    line = customer.subscribe("mobile", offer=None, tariff=MOBILE_TARIFF, started_on="2026-09-15")
    use(customer, line, "GB", {"2026-11-10T18:00:00+01:00": "8", "2026-11-20T18:00:00+01:00": "3"})
    route_today(date(2026, 11, 23))

    # When its customer looks at the allowances on 23 November
    usage = ok(customer.call("GET", "/usage"))

    # Then the period runs from 15 November to 14 December: the 10th's 8 GB were the period before
    assert (usage["period"], usage["period_start"], usage["period_end"]) == (
        "2026-11",
        "2026-11-15",
        "2026-12-15",
    )
    assert usage["allowances"][0] == {"unit": "GB", "included": 50, "used": 3, "remaining": 47}


def test_a_line_started_on_the_31st_has_its_periods_end_with_short_months(
    customer_factory: Any, route_today: Any
) -> None:
    # Given a line started on 31 January 2026
    customer = customer_factory()
    customer.subscribe("mobile", offer=None, tariff=MOBILE_TARIFF, started_on="2026-01-31")

    # When its allowances are looked at on 5 March, and on 31 March
    route_today(date(2026, 3, 5))
    march_5 = ok(customer.call("GET", "/usage"))
    route_today(date(2026, 3, 31))
    march_31 = ok(customer.call("GET", "/usage"))

    # Then the periods are [28 February, 31 March) and [31 March, 30 April)
    assert (march_5["period_start"], march_5["period_end"]) == ("2026-02-28", "2026-03-31")
    assert (march_31["period_start"], march_31["period_end"]) == ("2026-03-31", "2026-04-30")


def test_a_plan_change_measures_the_current_period_against_the_new_plan(
    customer_factory: Any, route_today: Any
) -> None:
    # Given a line on the 50 GB plan from 15 September 2026, 12 GB and 150 minutes used since 15 November
    customer = customer_factory()
    line = customer.subscribe("mobile", offer=None, tariff=MOBILE_TARIFF, started_on="2026-09-15")
    use(customer, line, "GB", {"2026-11-16T18:00:00+01:00": "12"})
    use(customer, line, "min", {"2026-11-16T18:00:00+01:00": "150"})
    route_today(date(2026, 11, 23))

    # When it moves to a 10 GB plan with 120 minutes from 20 November
    customer.change(line, "2026-11-20", "mobile", started_on="2026-09-15", tariff=SMALL_PLAN)

    # Then this period is measured against the new plan: 2 GB and 30 minutes beyond it
    usage = ok(customer.call("GET", "/usage"))
    assert [(a["unit"], a["included"], a["used"], a["remaining"]) for a in usage["allowances"]] == [
        ("GB", 10, 12, 0),
        ("min", 120, 150, 0),
        ("sms", None, 0, None),
    ]
    assert usage["out_of_plan_cents"] == 2 * 500 + 30 * 20


def test_a_plan_adding_a_unit_gives_the_line_a_meter_for_it(customer_factory: Any) -> None:
    # Given a line whose plan has data only
    customer = customer_factory()
    data_only = {"allowances": [{"unit": "GB", "included": 20}], "out_of_plan_cents": {"GB": 500}}
    line = customer.subscribe("mobile", offer=None, tariff=data_only, started_on="2026-09-15")

    # When it moves to a plan with calls and texts (delivered twice)
    for _ in range(2):
        customer.change(line, "2026-11-20", "mobile", started_on="2026-09-15", tariff=SMALL_PLAN)

    # Then it has a meter per unit, whose readings the files name
    meters = ok(customer.call("GET", "/meters"))["items"]
    assert sorted(meter["meter_id"] for meter in meters) == [f"M{line}-GB", f"M{line}-min", f"M{line}-sms"]
    use(customer, line, "min", {"2026-11-21T09:00:00+01:00": "30"})


# ---- the daily job ------------------------------------------------------------------------------


@pytest.mark.usefixtures("fresh_jobs")
def test_a_retry_of_a_run_that_died_holding_the_lease_closes_the_period(
    customer_factory: Any, published: Any
) -> None:
    # Given a line whose period [15 January, 15 February 2082) ended, and the run of the scheduled
    # event evt-1 died in the job holding its lease
    import time

    from chalicelib.lines import close_periods as run
    from chalicelib.models import JobLease

    customer = customer_factory()
    line = customer.subscribe("mobile", offer=None, tariff=SMALL_PLAN, started_on="2082-01-15")
    use(customer, line, "GB", {"2082-01-20T18:00:00+01:00": "1"})
    JobLease("JOB#close_allowance_periods", "LEASE", holder="evt-1", expires_at=int(time.time()) + 600).save()
    now = datetime(2082, 2, 16, 2, 30, tzinfo=UTC)

    # When another invocation runs meanwhile, it leaves the work to the holder
    assert run(now=now, run_id="evt-2")["closed"] == 0
    # but AWS's retry of evt-1 takes its lease over and closes the period
    assert run(now=now, run_id="evt-1")["closed"] == 1
    assert [period["period_start"] for period in told(published, customer)] == ["2082-01-15"]


@pytest.mark.usefixtures("fresh_jobs")
def test_an_ended_period_is_closed_and_what_lies_beyond_the_plan_told(
    customer_factory: Any, published: Any
) -> None:
    # Given a 10 GB line started on 15 January 2080: 12.5 GB and 100 minutes used from 15 February,
    # 1 GB on 15 March (the next period)
    customer = customer_factory()
    line = customer.subscribe("mobile", offer=None, tariff=SMALL_PLAN, started_on="2080-01-15")
    use(customer, line, "GB", {"2080-02-20T18:00:00+01:00": "12.5", "2080-03-15T10:00:00+01:00": "1"})
    use(customer, line, "min", {"2080-03-14T23:30:00+01:00": "100"})
    close_periods("2080-03-14T03:30")

    # When the job runs on 16 March 2080
    outcome = close_periods("2080-03-16T03:30")

    # Then the period [15 February, 15 March) is told: 2.5 GB beyond at 5 €, the minutes within
    assert outcome == {"closed": 1, "charged": 1, "already": 0}
    (january, february) = told(published, customer)
    assert (january["period_start"], january["period_end"], january["amount_cents"]) == (
        "2080-01-15",
        "2080-02-15",
        0,
    )
    assert (february["period_start"], february["period_end"]) == ("2080-02-15", "2080-03-15")
    assert february["charges"] == [
        {
            "unit": "GB",
            "included": "10",
            "used": "12.5",
            "beyond": "2.5",
            "unit_price_cents": 500,
            "amount_cents": 1250,
        },
        {
            "unit": "min",
            "included": "120",
            "used": "100",
            "beyond": "0",
            "unit_price_cents": 20,
            "amount_cents": 0,
        },
        {
            "unit": "sms",
            "included": None,
            "used": "0",
            "beyond": "0",
            "unit_price_cents": 10,
            "amount_cents": 0,
        },
    ]
    assert (february["amount_cents"], february["currency"], february["subscription_id"]) == (
        1250,
        "EUR",
        line,
    )


@pytest.mark.usefixtures("fresh_jobs")
def test_an_imported_line_is_billed_from_the_period_the_provider_did_not_bill(
    customer_factory: Any, published: Any
) -> None:
    # Given a line running since 10 January 2083, imported with the provider's billing until
    # 9 April (billed_from 10 April), 11 GB used in March
    customer = customer_factory()
    line = customer.subscribe(
        "mobile", offer=None, tariff=SMALL_PLAN, started_on="2083-01-10", billed_from="2083-04-10"
    )
    use(customer, line, "GB", {"2083-03-01T12:00:00+01:00": "11"})

    # When the job runs on 11 May
    close_periods("2083-05-11T03:30")

    # Then only the period from 10 April is told: March's usage was the provider's to bill
    assert [data["period_start"] for data in told(published, customer)] == ["2083-04-10"]


@pytest.mark.usefixtures("fresh_jobs")
def test_each_period_is_told_once_however_often_and_late_the_job_runs(
    customer_factory: Any, published: Any
) -> None:
    # Given a line started on 10 January 2081, and a job that did not run until 25 April
    customer = customer_factory()
    line = customer.subscribe("mobile", offer=None, tariff=SMALL_PLAN, started_on="2081-01-10")
    use(customer, line, "GB", {"2081-03-01T12:00:00+01:00": "11"})

    # When it runs then, again that day, and on 9 and 10 May
    late = close_periods("2081-04-25T03:30")
    again = close_periods("2081-04-25T09:00")
    close_periods("2081-05-09T03:30")
    close_periods("2081-05-10T03:30")

    # Then every ended period was told once, in order
    assert (late["closed"], again["closed"]) == (3, 0)
    assert [(data["period_start"], data["amount_cents"]) for data in told(published, customer)] == [
        ("2081-01-10", 0),
        ("2081-02-10", 500),
        ("2081-03-10", 0),
        ("2081-04-10", 0),
    ]


@pytest.mark.usefixtures("fresh_jobs")
def test_overlapping_runs_tell_each_period_once(
    customer_factory: Any, published: Any, serialised_aws: None
) -> None:
    # Given three lines started on 1 January 2082
    from guichet_local.testing import together

    customers = [customer_factory() for _ in range(3)]
    for customer in customers:
        customer.subscribe("mobile", offer=None, tariff=SMALL_PLAN, started_on="2082-01-01")

    # When two runs of the job overlap on 2 February
    outcomes = together(lambda: close_periods("2082-02-02T03:30"), lambda: close_periods("2082-02-02T03:30"))

    # Then each line's January was told once
    assert sum(outcome["closed"] for outcome in outcomes) == 3
    for customer in customers:
        assert [data["period_start"] for data in told(published, customer)] == ["2082-01-01"]


@pytest.mark.usefixtures("fresh_jobs")
def test_an_ended_lines_last_period_closes_on_its_last_day_of_service(
    customer_factory: Any, published: Any
) -> None:
    # Given a line started on 5 January 2083, 12 GB used on 10 March, cancelled with 20 March as
    # its last day
    customer = customer_factory()
    line = customer.subscribe("mobile", offer=None, tariff=SMALL_PLAN, started_on="2083-01-05")
    use(customer, line, "GB", {"2083-03-10T12:00:00+01:00": "12"})
    close_periods("2083-03-06T03:30")
    customer.cancel(line, family="mobile", ended_on=date(2083, 3, 20))

    # When the job runs on 20 March, on 21 March, and in April
    on_the_last_day = close_periods("2083-03-20T03:30")
    the_day_after = close_periods("2083-03-21T03:30")
    close_periods("2083-04-06T03:30")

    # Then its last period [5 March, 21 March) is told the day after its last day, and nothing after
    assert (on_the_last_day["closed"], the_day_after["closed"]) == (0, 1)
    last = told(published, customer)[-1]
    assert (last["period_start"], last["period_end"], last["amount_cents"]) == (
        "2083-03-05",
        "2083-03-21",
        1000,
    )
    assert len(told(published, customer)) == 3


@pytest.mark.usefixtures("fresh_jobs")
def test_a_plan_change_prices_the_period_it_falls_in_with_the_new_plan(
    customer_factory: Any, published: Any
) -> None:
    # Given a 50 GB line started on 1 January 2084, 12 GB used in February
    customer = customer_factory()
    line = customer.subscribe("mobile", offer=None, tariff=MOBILE_TARIFF, started_on="2084-01-01")
    use(customer, line, "GB", {"2084-02-03T12:00:00+01:00": "12"})
    close_periods("2084-02-02T03:30")

    # When it moves to the 10 GB plan on 20 February, and the period closes
    customer.change(line, "2084-02-20", "mobile", started_on="2084-01-01", tariff=SMALL_PLAN)
    close_periods("2084-03-02T03:30")

    # Then February is priced with the new plan: 2 GB beyond
    assert [(data["period_start"], data["amount_cents"]) for data in told(published, customer)] == [
        ("2084-01-01", 0),
        ("2084-02-01", 1000),
    ]


@pytest.mark.usefixtures("fresh_jobs")
def test_a_period_closed_but_not_told_is_told_by_the_next_run(
    customer_factory: Any, published: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a line beyond its plan in January 2085, and EventBridge failing once
    from chalicelib import lines

    customer = customer_factory()
    line = customer.subscribe("mobile", offer=None, tariff=SMALL_PLAN, started_on="2085-01-01")
    use(customer, line, "GB", {"2085-01-10T12:00:00+01:00": "11"})
    real_publish = lines.events.publish
    failures: list[bool] = []

    def publish_failing_once(*args: Any, **kwargs: Any) -> Any:
        if not failures:
            failures.append(True)
            raise RuntimeError("EventBridge refused the event")
        return real_publish(*args, **kwargs)

    monkeypatch.setattr(lines.events, "publish", publish_failing_once)

    # When the job runs on 2 February (and fails), then again
    with pytest.raises(RuntimeError):
        close_periods("2085-02-02T03:30")
    again = close_periods("2085-02-02T04:30")

    # Then January was told once, by the second run
    assert again == {"closed": 0, "charged": 0, "already": 1}
    assert [(data["period_start"], data["amount_cents"]) for data in told(published, customer)] == [
        ("2085-01-01", 500)
    ]


@pytest.mark.usefixtures("fresh_jobs")
def test_the_scheduled_handler_closes_the_periods_ended_by_its_event_time(
    client: Any, customer_factory: Any, published: Any
) -> None:
    # Given a line started on 7 January 2086
    customer = customer_factory()
    customer.subscribe("mobile", offer=None, tariff=SMALL_PLAN, started_on="2086-01-07")

    # When the schedule fires on 7 February 2086 at 02:30 UTC
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    event["time"] = "2086-02-07T02:30:00Z"
    result = client.lambda_.invoke("close_allowance_periods", event)

    # Then January's period is closed, as of the event's time
    assert result.payload == {"closed": 1, "charged": 0, "already": 0}
    assert [data["period_end"] for data in told(published, customer)] == ["2086-02-07"]
