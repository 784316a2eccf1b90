"""Renewal reminders (API.md: "emailed 30, 7 and 1 days before renews_on, each exactly once").

The job is driven with a chosen `now` (renewals.send_reminders, or the scheduled handler with the
event's time). Each test works in a year of its own, far ahead, so that no other test's
subscription is due then; subscriptions are made through the API and their period's end is then
moved to the day the test needs (`set_renewal`, standing in for the passage of time).
"""

from __future__ import annotations

import html
import os
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from conftest import (
    Customer,
    job_ran_until,
    mails_to,
    order_and_pay_many,
    set_renewal,
)

JOB = "renewal_reminders"


def morning(day: date) -> datetime:
    """05:00 UTC, when the daily schedule fires (06:00 or 07:00 in Paris)."""
    return datetime.combine(day, time(5, 0), tzinfo=UTC)


def subscriptions_renewing(customer: Customer, plan: dict[str, date]) -> dict[str, str]:
    """Active mobile lines labelled as `plan` says, each renewing on its day, auto-renewal off
    (a test turns it on where it needs it): label -> id."""
    made = order_and_pay_many(customer, [("mobile-50go", label, None) for label in plan])
    ids = {subscription["label"]: subscription["subscription_id"] for subscription in made}
    for label, day in plan.items():
        set_renewal(customer, ids[label], day)
        assert customer.call("PATCH", f"/{ids[label]}", {"auto_renew": False}).status_code == 200
    return ids


def reminders(mailbox: Any, customer: Customer, label: str) -> list[str]:
    """Subjects of the reminders the customer got about the subscription labelled `label`, oldest
    first (not the confirmation of a cancellation)."""
    return [
        mail["subject"]
        for mail in reversed(mails_to(mailbox, customer.email, f"« {label} »"))
        if "résiliation" not in mail["subject"]
    ]


def test_each_due_milestone_is_mailed_once_however_often_the_job_runs(
    customer_factory: Any, mailbox: Any, fresh_jobs: None
) -> None:
    # Given, on 4 March 2041, subscriptions renewing in 30, 7 and 1 days without auto-renewal, one in
    # 7 days with it, some cancelled at the end of their period, some not at a milestone
    from chalicelib import renewals

    today = date(2041, 3, 4)
    customer = customer_factory()
    plan = {
        "J-30": today + timedelta(days=30),
        "J-7": today + timedelta(days=7),
        "J-1": today + timedelta(days=1),
        "auto J-7": today + timedelta(days=7),
        "auto J-30": today + timedelta(days=30),
        "auto J-1": today + timedelta(days=1),
        "résiliée J-30": today + timedelta(days=30),
        "résiliée J-7": today + timedelta(days=7),
        "résiliée J-1": today + timedelta(days=1),
        "J-20": today + timedelta(days=20),
        "J-31": today + timedelta(days=31),
    }
    ids = subscriptions_renewing(customer, plan)
    for label in ("auto J-7", "auto J-30", "auto J-1"):
        assert customer.call("PATCH", f"/{ids[label]}", {"auto_renew": True}).status_code == 200
    for label in ("résiliée J-30", "résiliée J-7", "résiliée J-1"):
        assert (
            customer.call(
                "POST", f"/{ids[label]}/cancel", {"reason": "Fin", "at": "end_of_period"}
            ).status_code
            == 200
        )

    # When the job, which ran daily until yesterday, runs twice this morning, and once more as if it
    # had not covered today (an overlapping run, or a lost mark)
    job_ran_until(JOB, today - timedelta(days=1))
    sent = [
        renewals.send_reminders(now=morning(today)),
        renewals.send_reminders(now=morning(today) + timedelta(hours=6)),
    ]
    job_ran_until(JOB, today - timedelta(days=1))
    sent.append(renewals.send_reminders(now=morning(today) + timedelta(hours=8)))

    # Then each due milestone was mailed once: 30, 7 and 1 days ahead, the 7-day notice of
    # auto-renewal (the one-day-ahead auto-renewed line gets it too, as it never had it)
    assert sent == [5, 0, 0]
    assert reminders(mailbox, customer, "J-30") == [
        "Votre abonnement Forfait 50 Go « J-30 » expire dans 30 jours"
    ]
    assert reminders(mailbox, customer, "J-7") == [
        "Votre abonnement Forfait 50 Go « J-7 » expire dans 7 jours"
    ]
    assert reminders(mailbox, customer, "J-1") == ["Votre abonnement Forfait 50 Go « J-1 » expire demain"]
    assert reminders(mailbox, customer, "auto J-7") == [
        "Votre abonnement Forfait 50 Go « auto J-7 » sera renouvelé automatiquement le 11 mars 2041"
    ]
    assert len(reminders(mailbox, customer, "auto J-1")) == 1
    # And none for auto-renewal 30 days ahead, cancelled subscriptions, or days that are no milestone
    for label in ("auto J-30", "résiliée J-30", "résiliée J-7", "résiliée J-1", "J-20", "J-31"):
        assert reminders(mailbox, customer, label) == [], label


def test_a_run_after_a_two_day_gap_catches_up_the_missed_milestone_once(
    customer_factory: Any, mailbox: Any, fresh_jobs: None
) -> None:
    # Given the job ran on 4 May 2042 (after a gap of three days), then did not run on the 5th and 6th
    from chalicelib import renewals

    today = date(2042, 5, 4)
    job_ran_until(JOB, today - timedelta(days=4))
    customer = customer_factory()
    subscriptions_renewing(
        customer,
        {
            "sept jours manqués": today + timedelta(days=9),  # its 7-day milestone fell on the 6th
            "trente jours manqués": today + timedelta(days=32),  # its 30-day milestone fell on the 6th
            "veille": today + timedelta(days=4),  # 7-day notice caught up on the 4th, 1-day one on the 7th
        },
    )
    renewals.send_reminders(now=morning(today))
    assert reminders(mailbox, customer, "veille") == [
        "Votre abonnement Forfait 50 Go « veille » expire dans 4 jours"
    ]
    assert reminders(mailbox, customer, "sept jours manqués") == []

    # When it runs on the 7th, twice, and again as if it had not covered the 5th to 7th
    late = today + timedelta(days=3)
    sent = [
        renewals.send_reminders(now=morning(late)),
        renewals.send_reminders(now=morning(late) + timedelta(hours=1)),
    ]
    job_ran_until(JOB, today)
    sent.append(renewals.send_reminders(now=morning(late) + timedelta(hours=2)))

    # Then the missed milestones are caught up, once each; the 30-day notice of the first one,
    # overtaken by its 7-day one, is never sent
    assert sent == [3, 0, 0]
    assert reminders(mailbox, customer, "sept jours manqués") == [
        "Votre abonnement Forfait 50 Go « sept jours manqués » expire dans 6 jours"
    ]
    assert reminders(mailbox, customer, "trente jours manqués") == [
        "Votre abonnement Forfait 50 Go « trente jours manqués » expire dans 29 jours"
    ]
    assert reminders(mailbox, customer, "veille") == [
        "Votre abonnement Forfait 50 Go « veille » expire dans 4 jours",
        "Votre abonnement Forfait 50 Go « veille » expire demain",
    ]


def test_after_a_gap_only_the_latest_milestone_is_sent(
    customer_factory: Any, mailbox: Any, fresh_jobs: None
) -> None:
    # Given the job last ran a week before 27 February 2043
    from chalicelib import renewals

    today = date(2043, 2, 27)
    job_ran_until(JOB, today - timedelta(days=7))
    customer = customer_factory()
    subscriptions_renewing(
        customer,
        {
            "sept et un": today + timedelta(days=1),  # its 7-day and 1-day milestones both fell in the gap
            "trente et sept": today
            + timedelta(days=5),  # its 7-day milestone fell in the gap, not its 30-day one
        },
    )

    # When it runs again
    renewals.send_reminders(now=morning(today))

    # Then each subscription gets only its most recent milestone
    assert reminders(mailbox, customer, "sept et un") == [
        "Votre abonnement Forfait 50 Go « sept et un » expire demain"
    ]
    assert reminders(mailbox, customer, "trente et sept") == [
        "Votre abonnement Forfait 50 Go « trente et sept » expire dans 5 jours"
    ]


def test_two_overlapping_runs_send_once(
    customer_factory: Any, mailbox: Any, fresh_jobs: None, serialised_aws: None
) -> None:
    # Given subscriptions due for their 7-day and 30-day reminders on 6 June 2044
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from chalicelib import renewals

    today = date(2044, 6, 6)
    customer = customer_factory()
    subscriptions_renewing(
        customer,
        {"chevauchement 7": today + timedelta(days=7), "chevauchement 30": today + timedelta(days=30)},
    )
    barrier = Barrier(2)

    def run() -> int:
        barrier.wait(timeout=10)
        return renewals.send_reminders(now=morning(today))

    # When two runs of the job overlap
    with ThreadPoolExecutor(max_workers=2) as pool:
        sent = [future.result(timeout=30) for future in [pool.submit(run), pool.submit(run)]]

    # Then each reminder left once
    assert sum(sent) == 2
    assert len(reminders(mailbox, customer, "chevauchement 7")) == 1
    assert len(reminders(mailbox, customer, "chevauchement 30")) == 1


def test_auto_renewal_gets_only_the_seven_day_notice(
    customer_factory: Any, mailbox: Any, fresh_jobs: None
) -> None:
    # Given two subscriptions renewing on 3 April 2048, one renewed automatically
    from chalicelib import renewals

    renews_on = date(2048, 4, 3)
    customer = customer_factory()
    ids = subscriptions_renewing(customer, {"automatique": renews_on, "manuelle": renews_on})
    customer.call("PATCH", f"/{ids['automatique']}", {"auto_renew": True})

    # When the job runs on the days around each milestone (having run daily in between)
    for days_before in (31, 30, 29, 8, 7, 6, 2, 1):
        day = renews_on - timedelta(days=days_before)
        job_ran_until(JOB, day - timedelta(days=1))
        renewals.send_reminders(now=morning(day))

    # Then the auto-renewed one got one notice, 7 days before; the other got three reminders
    assert reminders(mailbox, customer, "automatique") == [
        "Votre abonnement Forfait 50 Go « automatique » sera renouvelé automatiquement le 3 avril 2048"
    ]
    assert reminders(mailbox, customer, "manuelle") == [
        "Votre abonnement Forfait 50 Go « manuelle » expire dans 30 jours",
        "Votre abonnement Forfait 50 Go « manuelle » expire dans 7 jours",
        "Votre abonnement Forfait 50 Go « manuelle » expire demain",
    ]


@pytest.mark.parametrize(
    ("language", "subject", "button"),
    [
        ("en", 'Your subscription Forfait 50 Go "Line" expires in 7 days', "Renew my subscription"),
        ("it", "Il Suo abbonamento Forfait 50 Go «Line» scade tra 7 giorni", None),
        ("fr", "Votre abonnement Forfait 50 Go « Line » expire dans 7 jours", "Renouveler mon abonnement"),
    ],
)
def test_the_reminder_is_in_the_customers_language_with_a_link_to_renew(
    customer_factory: Any, mailbox: Any, fresh_jobs: None, language: str, subject: str, button: str | None
) -> None:
    # Given a customer who reads `language`, with a subscription renewing on 8 August 2049
    from chalicelib import renewals

    customer = customer_factory(language=language)
    ids = subscriptions_renewing(customer, {"Line": date(2049, 8, 8)})

    # When the job runs 7 days before
    job_ran_until(JOB, date(2049, 7, 31))
    renewals.send_reminders(now=morning(date(2049, 8, 1)))

    # Then the reminder is in that language and links to the renewal of that subscription in the portal
    mails = mails_to(mailbox, customer.email, "Line")
    assert [mail["subject"] for mail in mails] == [subject]
    links = [url for url in re.findall(r"https?://\S+", mails[0]["text"]) if ids["Line"] in url]
    assert len(set(links)) == 1, links
    assert links[0].startswith(os.environ["GUICHET_PUBLIC_URL"] + "/") and "renew" in links[0]
    assert f'href="{html.escape(links[0])}"' in mails[0]["html"]
    assert customer.customer_id in mails[0]["text"]
    if button:
        assert button in mails[0]["html"]


def test_the_scheduled_handler_runs_as_of_its_events_time(
    client: Any, customer_factory: Any, mailbox: Any, fresh_jobs: None
) -> None:
    # Given a subscription renewing on 10 October 2050
    customer = customer_factory()
    subscriptions_renewing(customer, {"planifiée": date(2050, 10, 10)})
    job_ran_until(JOB, date(2050, 10, 2))
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=["arn:aws:events:rule/daily"]
    )

    # When the schedule fires on 3 October 2050 at 05:00 UTC
    result = client.lambda_.invoke("send_renewal_reminders", {**event, "time": "2050-10-03T05:00:00Z"})

    # Then the 7-day reminder of that day went
    assert result.payload == {"sent": 1, "price_notices": 0}  # no catalog version made a price dearer
    assert reminders(mailbox, customer, "planifiée") == [
        "Votre abonnement Forfait 50 Go « planifiée » expire dans 7 jours"
    ]


def test_the_job_reads_only_the_days_it_covers(
    customer_factory: Any, dynamo_calls: Any, fresh_jobs: None
) -> None:
    # Given, around 12 December 2053, subscriptions due for a reminder and others not
    from chalicelib import renewals

    today = date(2053, 12, 12)
    customer = customer_factory()
    subscriptions_renewing(
        customer,
        {
            "due 7": today + timedelta(days=7),
            "due 30": today + timedelta(days=30),
            "pas due 20": today + timedelta(days=20),
            "pas due 45": today + timedelta(days=45),
            "pas due 8": today + timedelta(days=8),
        },
    )
    job_ran_until(JOB, today - timedelta(days=1))

    # When the job runs the next day
    dynamo_calls.reset()
    sent = renewals.send_reminders(now=morning(today))

    # Then it asked for three renewal days only (30, 7 and 1 days ahead) and read the two due subscriptions
    assert sent == 2
    assert dynamo_calls.requests["Query"] == 3
    assert sorted(key for key in dynamo_calls.queried_keys if key.startswith("RENEWS#")) == sorted(
        f"RENEWS#{today + timedelta(days=days)}" for days in (30, 7, 1)
    )
    assert dynamo_calls.items_read == 2
    assert dynamo_calls.requests["Scan"] == 0


def test_a_renewed_subscription_is_reminded_again_for_its_new_date(
    customer_factory: Any, mailbox: Any, fresh_jobs: None
) -> None:
    # Given a subscription reminded 7 days before 5 May 2054, whose period then moved to 5 June
    from chalicelib import renewals

    customer = customer_factory()
    ids = subscriptions_renewing(customer, {"prolongée": date(2054, 5, 5)})
    job_ran_until(JOB, date(2054, 4, 27))
    renewals.send_reminders(now=morning(date(2054, 4, 28)))
    set_renewal(customer, ids["prolongée"], date(2054, 6, 5))

    # When the job runs 7 days before the new date
    job_ran_until(JOB, date(2054, 5, 28))
    renewals.send_reminders(now=morning(date(2054, 5, 29)))

    # Then it is reminded again, once per renewal date
    assert reminders(mailbox, customer, "prolongée") == [
        "Votre abonnement Forfait 50 Go « prolongée » expire dans 7 jours",
        "Votre abonnement Forfait 50 Go « prolongée » expire dans 7 jours",
    ]


def test_an_energy_contract_gets_no_renewal_reminder(
    customer_factory: Any, mailbox: Any, fresh_jobs: None
) -> None:
    # Given an electricity contract renewing (in place, as every month) in 7 days, on 3 May 2068
    from chalicelib import renewals
    from conftest import electricity_options, order_and_pay

    today = date(2068, 5, 3)
    customer = customer_factory()
    contract = order_and_pay(customer, "electricity-essentielle", "Maison", electricity_options())
    set_renewal(customer, contract["subscription_id"], today + timedelta(days=7))
    job_ran_until(JOB, today - timedelta(days=1))

    # When the reminder job runs
    sent = renewals.send_reminders(now=morning(today))

    # Then nothing is mailed: it renews each month until it is cancelled
    assert sent == 0
    assert reminders(mailbox, customer, "Maison") == []
