"""The daily end-of-period job (renewals.expire_and_renew, schedule `expire_and_renew`): on a
subscription's `renews_on` (the first day of its next period) the period that ended is renewed
(auto-renew: one renewal order, however often the job runs; an energy contract in place),
cancelled (if asked for) or expired; the job reads only the renewal days it covers.

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


def lines_ending(
    customer: Customer, plan: dict[str, date], product: str = "mobile-50go", auto_renew: bool = False
) -> dict[str, str]:
    """Lines whose period ends on these days (`renews_on`: the next period would start then),
    auto-renewed or not."""
    made = order_and_pay_many(customer, [(product, label, None) for label in plan])
    ids = {subscription["label"]: subscription["subscription_id"] for subscription in made}
    for label, day in plan.items():
        set_renewal(customer, ids[label], day)
        changed = customer.call("PATCH", f"/{ids[label]}", {"auto_renew": auto_renew})
        assert changed.status_code == 200, changed.body
    return ids


def renewal_orders(customer: Customer) -> list[dict[str, Any]]:
    return [order for order in orders_of(customer) if order["kind"] == "renewal"]


def test_a_period_that_ended_expires_or_is_renewed_once(
    customer_factory: Any, fresh_jobs: None, published: Any
) -> None:
    # Given, on 15 September 2052, a line whose period ends today (its next one would start today),
    # one with auto-renewal, and one whose period ends tomorrow
    from chalicelib import renewals

    today = date(2052, 9, 15)
    customer = customer_factory()
    ids = lines_ending(customer, {"finie": today, "demain": today + timedelta(days=1)})
    ids |= lines_ending(customer, {"auto": today}, auto_renew=True)

    # When the job runs, then again that day, then again after forgetting what it covered
    outcomes = [
        renewals.expire_and_renew(now=just_after_midnight(today)),
        renewals.expire_and_renew(now=just_after_midnight(today) + timedelta(hours=5)),
    ]
    forget_job_marks()
    outcomes.append(renewals.expire_and_renew(now=just_after_midnight(today) + timedelta(hours=6)))

    # Then the ended line expired, the auto-renewed one has one renewal order, the other runs on
    assert outcomes[0] == {"expired": 1, "cancelled": 0, "renewal_orders": 1, "renewed": 0}
    assert outcomes[1] == {"expired": 0, "cancelled": 0, "renewal_orders": 0, "renewed": 0}
    assert outcomes[2]["expired"] == 0
    statuses = {
        label: subscription_of(customer, subscription_id)["status"] for label, subscription_id in ids.items()
    }
    assert statuses == {"finie": "expired", "auto": "active", "demain": "active"}
    # and the expiry was announced once, naming the period's last day as the last day of service
    (expired,) = published.of(customer.customer_id, "SubscriptionExpired")
    assert expired["detail"]["data"]["subscription"]["subscription_id"] == ids["finie"]
    assert expired["detail"]["data"]["ended_on"] == "2052-09-14"
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
    assert (renewed["status"], renewed["renews_on"]) == ("active", "2052-10-15")
    assert [
        (
            event["detail"]["data"]["period_start"],
            event["detail"]["data"]["period_end"],
            event["detail"]["data"]["subscription"]["renews_on"],
        )
        for event in published.of(customer.customer_id, "SubscriptionRenewed")
    ] == [("2052-09-15", "2052-10-15", "2052-10-15")]


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
    # Given an auto-renewed line whose next period starts on 2 February 2055
    today = date(2055, 2, 2)
    customer = customer_factory()
    lines_ending(customer, {"auto": today}, auto_renew=True)

    # When two runs of the job overlap
    outcomes = overlapping_runs(just_after_midnight(today))

    # Then both complete, and there is one renewal order
    assert outcomes == [{"expired": 0, "cancelled": 0, "renewal_orders": 1, "renewed": 0}] * 2
    assert len(renewal_orders(customer)) == 1


def test_overlapping_runs_expire_once_without_failing(
    customer_factory: Any, fresh_jobs: None, overlapping_runs: Any
) -> None:
    # Given a line whose period ends on 5 March 2055, without auto-renewal
    today = date(2055, 3, 5)
    customer = customer_factory()
    ids = lines_ending(customer, {"finie": today})

    # When two runs of the job overlap
    outcomes = overlapping_runs(just_after_midnight(today))

    # Then neither fails, and the line expired once
    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert sum(outcome["expired"] for outcome in outcomes) == 1
    assert subscription_of(customer, ids["finie"])["status"] == "expired"


def test_the_job_reads_only_the_days_it_covers(
    customer_factory: Any, fresh_jobs: None, dynamo_calls: Any
) -> None:
    # Given, around 20 April 2056, lines whose periods end on several days
    from chalicelib import renewals

    today = date(2056, 4, 20)
    customer = customer_factory()
    lines_ending(
        customer,
        {
            "aujourd'hui": today,
            "aujourd'hui aussi": today,
            "hier": today - timedelta(days=1),
            "dans un mois": today + timedelta(days=30),
            "dans un an": today + timedelta(days=365),
        },
    )

    # When the job runs for the first time, that day and the six before are covered: one query per day
    dynamo_calls.reset()
    first = renewals.expire_and_renew(now=just_after_midnight(today - timedelta(days=1)))
    assert dynamo_calls.requests["Query"] == 7
    assert dynamo_calls.items_read == 1  # the line whose period ended yesterday
    assert first["expired"] == 1

    # When it runs the next day
    dynamo_calls.reset()
    second = renewals.expire_and_renew(now=just_after_midnight(today))

    # Then it asks for today only, and reads the two lines whose period ends today
    assert dynamo_calls.requests["Query"] == 1
    assert [key for key in dynamo_calls.queried_keys if key.startswith("RENEWS#")] == [f"RENEWS#{today}"]
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

    # When the job runs on that date
    renewals.expire_and_renew(now=just_after_midnight(date(2057, 6, 30)))

    # Then it is cancelled, as asked
    assert subscription_of(customer, ids["jamais configuré"])["status"] == "cancelled"


def test_the_scheduled_handler_runs_as_of_its_events_time(
    client: Any, customer_factory: Any, fresh_jobs: None
) -> None:
    # Given a line whose period ends on 8 November 2058
    customer = customer_factory()
    ids = lines_ending(customer, {"planifiée": date(2058, 11, 8)})
    event = client.events.generate_cw_event(
        source="aws.events",
        detail_type="Scheduled Event",
        detail={},
        resources=["arn:aws:events:rule/nightly"],
    )

    # When the schedule fires on 8 November 2058 at 00:30 UTC
    result = client.lambda_.invoke("expire_and_renew", {**event, "time": "2058-11-08T00:30:00Z"})

    # Then that line expired
    assert result.payload == {"expired": 1, "cancelled": 0, "renewal_orders": 0, "renewed": 0}
    assert subscription_of(customer, ids["planifiée"])["status"] == "expired"


@pytest.mark.parametrize("auto_renew", [False, True], ids=["to-expire", "to-auto-renew"])
def test_a_period_renewed_after_the_job_read_it_is_left_running(
    customer_factory: Any, fresh_jobs: None, monkeypatch: pytest.MonkeyPatch, auto_renew: bool
) -> None:
    # Given a line whose period ends on 10 May 2059, which the job reads as due
    from chalicelib import renewals
    from conftest import idempotency_key

    today = date(2059, 5, 10)
    customer = customer_factory()
    subscription_id = lines_ending(customer, {"renouvelée": today}, auto_renew=auto_renew)["renouvelée"]
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
    assert outcome == {"expired": 0, "cancelled": 0, "renewal_orders": 0, "renewed": 0}
    renewed = subscription_of(customer, subscription_id)
    assert (renewed["status"], renewed["renews_on"]) == ("active", "2059-06-10")
    assert [order["status"] for order in renewal_orders(customer)] == ["completed"]


def test_an_energy_contract_renews_in_place_without_an_order(
    customer_factory: Any, fresh_jobs: None, published: Any
) -> None:
    # Given an electricity contract (billed in arrears) whose period ends on 1 August 2060
    from chalicelib import renewals
    from conftest import electricity_options, order_and_pay

    customer = customer_factory()
    contract = order_and_pay(customer, "electricity-verte-pro", "Atelier", electricity_options())
    set_renewal(customer, contract["subscription_id"], date(2060, 8, 1))

    # When the job runs that day, and again
    first = renewals.expire_and_renew(now=just_after_midnight(date(2060, 8, 1)))
    again = renewals.expire_and_renew(now=just_after_midnight(date(2060, 8, 1)) + timedelta(hours=4))

    # Then the contract runs one more month, once, with no renewal order to pay
    assert (first["renewed"], first["renewal_orders"], again["renewed"]) == (1, 0, 0)
    assert subscription_of(customer, contract["subscription_id"])["renews_on"] == "2060-09-01"
    assert renewal_orders(customer) == []
    (renewed,) = published.of(customer.customer_id, "SubscriptionRenewed")
    data = renewed["detail"]["data"]
    assert (data["order_id"], data["period_start"], data["period_end"]) == (None, "2060-08-01", "2060-09-01")
