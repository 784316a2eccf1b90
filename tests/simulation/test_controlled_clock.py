"""The local runtime under a controlled clock: what the year simulation stands on.

The harness sets "now" for the runtime and every worker; jobs fire at their declared times, in
order, only when the clock is moved; events are delivered at once when asked, some twice, some
late, and an event off its contract is dead-lettered.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import requests
from guichet_local.runtime import Delivery, Runtime

START = datetime(2027, 3, 31, 22, 0, tzinfo=UTC)  # the evening before a 1st: close_month is due
PASSWORD = "a long and personal passphrase 2027"


def register(runtime: Runtime, prefix: str) -> requests.Response:
    return requests.post(
        f"{runtime.url}/auth/register",
        json={
            "email": f"{prefix}-{uuid.uuid4().hex[:8]}@example.org",
            "password": PASSWORD,
            "first_name": "Horace",
            "last_name": "Dupin",
        },
        timeout=30,
    )


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_jobs_fire_at_their_declared_times_in_order_only_when_the_clock_moves(
    controlled_runtime: Callable[[datetime], Runtime],
) -> None:
    runtime = controlled_runtime(START)

    # Nothing fires by itself: the clock stands still at START
    assert runtime.clock_state() == {"controlled": True, "now": "2027-03-31T22:00:00Z"}
    assert runtime.scheduler is not None and runtime.scheduler._thread is None

    # Moving to 07:00 the next day fires each daily job at its own time, in time order
    fired = runtime.advance_to(datetime(2027, 4, 1, 7, 0, tzinfo=UTC))
    rate_jobs = (
        "auth.apply_pending_email_changes",
        "auth.apply_customer_imports",
        "subscriptions.apply_contract_imports",
        "invoices.apply_invoice_imports",
        "auth.retry_webhook_deliveries",
    )
    crons = [(job.job, job.at.strftime("%H:%M")) for job in fired if job.job not in rate_jobs]
    assert crons == [
        ("subscriptions.expire_and_renew", "00:30"),
        ("consumption.close_allowance_periods", "02:30"),
        ("consumption.close_month", "03:00"),
        ("invoices.collect_direct_debits", "04:00"),
        ("subscriptions.send_renewal_reminders", "05:00"),
        ("invoices.mark_overdue", "06:00"),
    ]
    assert all(job.ok for job in fired), [job for job in fired if not job.ok]
    # the job every 15 minutes fired once, for its latest time due (as after a sleep)
    for rate_job in rate_jobs:
        assert [job.at for job in fired if job.job == rate_job] == [datetime(2027, 4, 1, 7, 0, tzinfo=UTC)]
    assert runtime.clock_state()["now"] == "2027-04-01T07:00:00Z"

    # close_month closed March once: moving on within the day fires nothing more of it
    again = runtime.advance_to(datetime(2027, 4, 1, 23, 0, tzinfo=UTC))
    assert [job.job for job in again if job.job == "consumption.close_month"] == []


def test_routes_and_workers_see_the_simulated_time(controlled_runtime: Callable[[datetime], Runtime]) -> None:
    runtime = controlled_runtime(START)  # the module's runtime, at 07:00 on April 1st or later
    runtime.advance_to(datetime(2027, 5, 3, 9, 30, tzinfo=UTC))

    # Given a customer registered and verified at the simulated time
    registered = register(runtime, "clock")
    assert registered.status_code == 201, registered.text
    runtime.settle()
    (mail,) = [item for item in runtime.mailbox.items() if registered.json()["email"] in item["to"]]
    assert mail["sent_at"] == "2027-05-03T09:30:00Z"  # the auth worker's clock
    token = mail["text"].split("verify-email?token=", 1)[1].split()[0]
    assert requests.post(f"{runtime.url}/auth/verify-email", json={"token": token}, timeout=30).ok

    # When they log in, their access token is dated by the simulated clock
    login = requests.post(
        f"{runtime.url}/auth/login",
        json={"login": registered.json()["email"], "password": PASSWORD},
        timeout=30,
    ).json()
    issued = claims(login["access_token"])
    assert issued["iat"] == int(datetime(2027, 5, 3, 9, 30, tzinfo=UTC).timestamp())
    me = {"Authorization": f"Bearer {login['access_token']}"}
    assert requests.get(f"{runtime.url}/subscriptions", headers=me, timeout=30).status_code == 200

    # Then 16 simulated minutes later another worker refuses it as expired, and a refresh works
    runtime.advance_to(datetime(2027, 5, 3, 9, 46, tzinfo=UTC))
    assert requests.get(f"{runtime.url}/subscriptions", headers=me, timeout=30).status_code == 401
    refreshed = requests.post(
        f"{runtime.url}/auth/refresh", json={"refresh_token": login["refresh_token"]}, timeout=30
    )
    assert refreshed.status_code == 200
    fresh = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert requests.get(f"{runtime.url}/subscriptions", headers=fresh, timeout=30).status_code == 200

    # And the clock is told over HTTP too, and only moves forward
    assert requests.get(f"{runtime.url}/_local/clock", timeout=30).json()["now"] == "2027-05-03T09:46:00Z"
    backwards = requests.post(f"{runtime.url}/_local/clock", json={"now": "2027-05-01T00:00:00Z"}, timeout=30)
    assert backwards.status_code == 409, backwards.text
    moved = requests.post(f"{runtime.url}/_local/clock", json={"now": "2027-05-04T06:30:00Z"}, timeout=60)
    assert moved.status_code == 200, moved.text
    assert [job["job"] for job in moved.json()["fired"]][:5] == [
        "subscriptions.expire_and_renew",
        "consumption.close_allowance_periods",
        "invoices.collect_direct_debits",
        "subscriptions.send_renewal_reminders",
        "invoices.mark_overdue",
    ]


def test_events_are_delivered_at_once_twice_or_late_as_asked(
    controlled_runtime: Callable[[datetime], Runtime],
) -> None:
    runtime = controlled_runtime(START)
    assert runtime.events is not None

    # Every event delivered twice: CustomerRegistered reaches its three handlers (subscriptions',
    # invoices' and the auth service's webhooks) twice each
    runtime.delivery = Delivery(duplicate_share=1.0, seed=7)
    runtime._delivery_rng = None
    assert register(runtime, "twice").status_code == 201
    twice = runtime.settle()
    assert (twice.delivered, twice.duplicates) == (6, 3)
    assert twice.by_event == {"CustomerRegistered": 3}

    # Every event kept back: nothing is delivered now, all of it on the next drain
    runtime.delivery = Delivery(hold_share=1.0, seed=7)
    runtime._delivery_rng = None
    assert register(runtime, "late").status_code == 201
    held = runtime.settle()
    assert (held.delivered, held.held) == (0, 3)
    later = runtime.settle()
    assert (later.delivered, later.held) == (3, 0)
    assert runtime.events.pending() == 0
    assert runtime.events.dead_letters == []


def test_an_event_off_its_contract_is_dead_lettered_at_once(
    controlled_runtime: Callable[[datetime], Runtime],
) -> None:
    runtime = controlled_runtime(START)
    assert runtime.events is not None
    runtime.delivery = Delivery()

    # OrderPaid without most of its fields, as a broken producer would send it
    detail = {"event_id": "broken-1", "version": 1, "occurred_at": "2027-05-04T06:30:00Z", "data": {}}
    boto3.client("events", endpoint_url=runtime.moto_url).put_events(
        Entries=[{"Source": "guichet.invoices", "DetailType": "OrderPaid", "Detail": json.dumps(detail)}]
    )
    runtime.settle()

    # by each handler of it: the subscriptions service's and the auth service's webhooks
    letters = [item for item in runtime.events.dead_letters if item["event_id"] == "broken-1"]
    assert all(letter["refused"] is True and letter["attempts"] == 1 for letter in letters)
    assert sorted(letter["handler"] for letter in letters) == [
        "auth.webhooks_from_invoices",
        "subscriptions.order_paid",
    ]
    assert runtime.events.pending() == 0


def test_a_client_cannot_move_a_workers_clock_through_the_gateway(
    controlled_runtime: Callable[[datetime], Runtime],
) -> None:
    runtime = controlled_runtime(START)
    now = runtime.clock_state()["now"]

    # A request naming another instant in the header the runtime moves a worker's clock with
    answer = requests.get(
        f"{runtime.url}/auth/health", headers={"X-Guichet-Local-Clock": "2031-01-01T00:00:00Z"}, timeout=30
    )

    # is served, and the worker's clock stays the runtime's
    assert answer.status_code == 200
    assert runtime.workers["auth"].get("/_worker/clock")["result"]["now"] == now
