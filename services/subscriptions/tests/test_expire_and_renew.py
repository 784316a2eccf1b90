"""The daily end-of-period job (renewals.expire_and_renew, schedule `expire_and_renew`): a period
that ended is renewed (auto-renew: one renewal order, however often the job runs), cancelled (if
asked for) or expired; the job reads only the renewal days it covers.

Each test works in a year of its own, far ahead (see test_reminders.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from threading import Barrier
from typing import Any

import pytest
from conftest import (
    Customer,
    forget_job_marks,
    order_and_pay_many,
    orders_of,
    pay,
    set_renewal,
    subscription_of,
)
from guichet_local.testing import answer


def just_after_midnight(day: date) -> datetime:
    """00:30 UTC, when the daily schedule fires."""
    return datetime.combine(day, time(0, 30), tzinfo=UTC)


def lines_ending(customer: Customer, plan: dict[str, date], product: str = "mobile-50go") -> dict[str, str]:
    made = order_and_pay_many(customer, [(product, label, None) for label in plan])
    ids = {subscription["label"]: subscription["subscription_id"] for subscription in made}
    for label, day in plan.items():
        set_renewal(customer, ids[label], day)
    return ids


def renewal_orders(customer: Customer) -> list[dict[str, Any]]:
    return [order for order in orders_of(customer) if order["kind"] == "renewal"]


def test_a_period_that_ended_expires_or_is_renewed_once(
    customer_factory: Any, fresh_jobs: None, published: Any
) -> None:
    # Given, on 15 September 2052, a line whose period ended yesterday, one that ended yesterday with
    # auto-renewal, one ending today and one tomorrow
    from chalicelib import renewals

    today = date(2052, 9, 15)
    customer = customer_factory()
    ids = lines_ending(
        customer,
        {
            "finie": today - timedelta(days=1),
            "auto": today - timedelta(days=1),
            "aujourd'hui": today,
            "demain": today + timedelta(days=1),
        },
    )
    customer.call("PATCH", f"/{ids['auto']}", {"auto_renew": True})

    # When the job runs, then again that day, then again after forgetting what it covered
    outcomes = [
        renewals.expire_and_renew(now=just_after_midnight(today)),
        renewals.expire_and_renew(now=just_after_midnight(today) + timedelta(hours=5)),
    ]
    forget_job_marks()
    outcomes.append(renewals.expire_and_renew(now=just_after_midnight(today) + timedelta(hours=6)))

    # Then the ended line expired, the auto-renewed one has one renewal order, the others run on
    assert outcomes[0] == {"expired": 1, "cancelled": 0, "renewal_orders": 1}
    assert outcomes[1] == {"expired": 0, "cancelled": 0, "renewal_orders": 0}
    assert outcomes[2]["expired"] == 0
    statuses = {
        label: subscription_of(customer, subscription_id)["status"] for label, subscription_id in ids.items()
    }
    assert statuses == {"finie": "expired", "auto": "active", "aujourd'hui": "active", "demain": "active"}
    renewals_placed = renewal_orders(customer)
    assert len(renewals_placed) == 1
    order = renewals_placed[0]
    assert (order["status"], order["items"][0]["subscription_id"], order["items"][0]["periods"]) == (
        "received",
        ids["auto"],
        1,
    )
    placed = [
        event
        for event in published.of(customer.customer_id, "OrderPlaced")
        if event["detail"]["data"]["kind"] == "renewal"
    ]
    assert [event["detail"]["data"]["order_id"] for event in placed] == [order["order_id"]]
    # And the expired line is out of the live lists
    assert "finie" not in {
        item["label"] for item in answer(customer.call("GET", "/?expiring_within_days=3660"))["items"]
    }

    # When the renewal order is paid
    pay(customer, order["order_id"])

    # Then the auto-renewed line runs one more month from the end of its period
    renewed = subscription_of(customer, ids["auto"])
    assert (renewed["status"], renewed["renews_on"]) == ("active", "2052-10-14")
    assert [
        event["detail"]["data"]["subscription"]["renews_on"]
        for event in published.of(customer.customer_id, "SubscriptionRenewed")
    ] == ["2052-10-14"]


@pytest.fixture
def overlapping_runs(monkeypatch: pytest.MonkeyPatch, serialised_aws: None) -> Any:
    """`run(now)` twice at once, both having read the due subscriptions before either writes: two
    deliveries of one schedule event overlapping (EventBridge delivers at least once)."""
    from chalicelib import renewals

    barrier = Barrier(2)
    read = renewals.due_on

    def read_together(day: date) -> Any:
        due = list(read(day))
        barrier.wait(timeout=10)
        return iter(due)

    monkeypatch.setattr(renewals, "due_on", read_together)

    def run(now: datetime) -> list[Any]:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(renewals.expire_and_renew, now=now) for _ in range(2)]
            return [future.exception(timeout=30) or future.result() for future in futures]

    return run


def test_overlapping_runs_place_one_renewal_order(
    customer_factory: Any, fresh_jobs: None, overlapping_runs: Any
) -> None:
    # Given an auto-renewed line whose period ended on 1 February 2055
    today = date(2055, 2, 2)
    customer = customer_factory()
    ids = lines_ending(customer, {"auto": today - timedelta(days=1)})
    customer.call("PATCH", f"/{ids['auto']}", {"auto_renew": True})

    # When two runs of the job overlap
    outcomes = overlapping_runs(just_after_midnight(today))

    # Then both complete, and there is one renewal order
    assert outcomes == [{"expired": 0, "cancelled": 0, "renewal_orders": 1}] * 2
    assert len(renewal_orders(customer)) == 1


def test_overlapping_runs_expire_once_without_failing(
    customer_factory: Any, fresh_jobs: None, overlapping_runs: Any
) -> None:
    # Given a line whose period ended on 4 March 2055, without auto-renewal
    today = date(2055, 3, 5)
    customer = customer_factory()
    ids = lines_ending(customer, {"finie": today - timedelta(days=1)})

    # When two runs of the job overlap
    outcomes = overlapping_runs(just_after_midnight(today))

    # Then neither fails, and the line expired once
    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert sum(outcome["expired"] for outcome in outcomes) == 1
    assert subscription_of(customer, ids["finie"])["status"] == "expired"


def test_the_job_reads_only_the_days_it_covers(
    customer_factory: Any, fresh_jobs: None, dynamo_calls: Any
) -> None:
    # Given, around 20 April 2056, lines ending on several days
    from chalicelib import renewals

    today = date(2056, 4, 20)
    customer = customer_factory()
    lines_ending(
        customer,
        {
            "hier": today - timedelta(days=1),
            "hier aussi": today - timedelta(days=1),
            "avant-hier": today - timedelta(days=2),
            "dans un mois": today + timedelta(days=30),
            "dans un an": today + timedelta(days=365),
        },
    )

    # When the job runs for the first time, the week's days are covered: one query per day
    dynamo_calls.reset()
    first = renewals.expire_and_renew(now=just_after_midnight(today - timedelta(days=1)))
    assert dynamo_calls.requests["Query"] == 6
    assert dynamo_calls.items_read == 1  # the line that ended the day before yesterday
    assert first["expired"] == 1

    # When it runs the next day
    dynamo_calls.reset()
    second = renewals.expire_and_renew(now=just_after_midnight(today))

    # Then it asks for yesterday only, and reads the two lines that ended then
    assert dynamo_calls.requests["Query"] == 1
    assert [key for key in dynamo_calls.queried_keys if key.startswith("RENEWS#")] == [
        f"RENEWS#{today - timedelta(days=1)}"
    ]
    assert dynamo_calls.items_read == 2
    assert dynamo_calls.requests["Scan"] == 0
    assert second["expired"] == 2


def test_a_subscription_waiting_for_settings_cancelled_at_the_end_of_its_period_is_cancelled(
    customer_factory: Any, fresh_jobs: None
) -> None:
    # Given a hosting pack never configured, cancelled at the end of its period (30 June 2057)
    from chalicelib import renewals

    customer = customer_factory()
    ids = lines_ending(customer, {"jamais configuré": date(2057, 6, 30)}, product="hosting-linux-100")
    planned = customer.call(
        "POST", f"/{ids['jamais configuré']}/cancel", {"reason": "Inutile", "at": "end_of_period"}
    )
    assert planned.status_code == 200 and answer(planned)["status"] == "to_configure"

    # When the job runs after that date
    renewals.expire_and_renew(now=just_after_midnight(date(2057, 7, 1)))

    # Then it is cancelled, as asked
    assert subscription_of(customer, ids["jamais configuré"])["status"] == "cancelled"


def test_the_scheduled_handler_runs_as_of_its_events_time(
    client: Any, customer_factory: Any, fresh_jobs: None
) -> None:
    # Given a line whose period ended on 7 November 2058
    customer = customer_factory()
    ids = lines_ending(customer, {"planifiée": date(2058, 11, 7)})
    event = client.events.generate_cw_event(
        source="aws.events",
        detail_type="Scheduled Event",
        detail={},
        resources=["arn:aws:events:rule/nightly"],
    )

    # When the schedule fires on 8 November 2058 at 00:30 UTC
    result = client.lambda_.invoke("expire_and_renew", {**event, "time": "2058-11-08T00:30:00Z"})

    # Then that line expired
    assert result.payload == {"expired": 1, "cancelled": 0, "renewal_orders": 0}
    assert subscription_of(customer, ids["planifiée"])["status"] == "expired"


@pytest.mark.parametrize("auto_renew", [False, True], ids=["to-expire", "to-auto-renew"])
def test_a_period_renewed_after_the_job_read_it_is_left_running(
    customer_factory: Any, fresh_jobs: None, monkeypatch: pytest.MonkeyPatch, auto_renew: bool
) -> None:
    # Given a line whose period ended on 9 May 2059, which the job reads as due
    from chalicelib import renewals
    from conftest import idempotency_key

    today = date(2059, 5, 10)
    customer = customer_factory()
    subscription_id = lines_ending(customer, {"renouvelée": today - timedelta(days=1)})["renouvelée"]
    if auto_renew:
        customer.call("PATCH", f"/{subscription_id}", {"auto_renew": True})
    read = renewals.due_on

    def renewed_meanwhile(day: date) -> Any:
        due = list(read(day))
        if due:
            # And the customer's own renewal is paid between the job's read and its write
            order = customer.call(
                "POST", f"/{subscription_id}/renew", {"periods": 1}, headers=idempotency_key()
            )
            pay(customer, answer(order)["order_id"])
        return iter(due)

    monkeypatch.setattr(renewals, "due_on", renewed_meanwhile)

    # When the job runs
    outcome = renewals.expire_and_renew(now=just_after_midnight(today))

    # Then it neither expires the line nor orders another renewal: the paid month runs
    assert outcome == {"expired": 0, "cancelled": 0, "renewal_orders": 0}
    renewed = subscription_of(customer, subscription_id)
    assert (renewed["status"], renewed["renews_on"]) == ("active", "2059-06-09")
    assert [order["status"] for order in renewal_orders(customer)] == ["completed"]
