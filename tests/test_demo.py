"""The demo of the local run is what the lifecycle makes of its customers' history (README, "Local
run"): the services' own answers agree with each other, as they would for a real customer.

- the surplus seller's kitty is the resale invoices not paid out yet, month by month, and the sum
  of its months;
- a monthly payer's schedule shows the months closed so far: its installments debited on their
  days, the consumption billed so far, and a year that ended has its regularization invoice;
- an order still waiting for its payment names its invoice, open for the order's amount;
- the mailbox holds only the last days' mail, and no event was dead-lettered.

`demo_runtime` plays the history up to the instant its clock is set to (conftest `DEMO_NOW`); the
last test starts the demo as `make run` does, on the wall clock, and checks the same there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from conftest import LocalRuntime, eventually
from dateutil.relativedelta import relativedelta

PASSWORD = "Guichet-demo-2026!"
PARIS = ZoneInfo("Europe/Paris")
MAIL_DAYS = 3  # guichet_local.demo_history keeps the mail of its last days
MONTHLY_PAYERS = ("stockage", "verte")


def session(runtime: LocalRuntime, name: str) -> dict[str, str]:
    tokens = runtime.post("/auth/login", json={"login": f"{name}@demo.guichet.test", "password": PASSWORD})
    assert tokens.status_code == 200, tokens.text
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


def api(runtime: LocalRuntime, auth: dict[str, str], path: str, **params: Any) -> Any:
    answer = runtime.get(path, headers=auth, params=params)
    assert answer.status_code == 200, (path, answer.text)
    return answer.json()


def every_invoice(runtime: LocalRuntime, auth: dict[str, str], today: date, **params: Any) -> list[Any]:
    """Every invoice of the last two years, page after page."""
    found: list[Any] = []
    cursor = None
    while True:
        page = api(
            runtime,
            auth,
            "/invoices",
            **{"from": f"{today - relativedelta(months=23):%Y-%m}", "limit": 100, **params},
            **({"cursor": cursor} if cursor else {}),
        )
        found += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return found


def check_kitty(runtime: LocalRuntime, today: date) -> None:
    auth = session(runtime, "surplus")
    surplus = api(runtime, auth, "/consumption/surplus")
    invoices = every_invoice(runtime, auth, today, kind="resale")
    resale = {invoice["period_start"][:7]: invoice for invoice in invoices}
    assert surplus["months"] and len(resale) == len(invoices) >= len(surplus["months"])
    for month in surplus["months"]:  # the months shown, each with the resale invoice of its close
        invoice = resale[month["month"]]
        assert invoice["total_cents"] == month["credited_cents"], (month, invoice)
        if month["paid_out_on"] is None:
            assert invoice["status"] == "open", (month, invoice)
            assert month["in_kitty_cents"] == invoice["total_cents"], (month, invoice)
        else:
            assert invoice["status"] == "paid" and month["paid_out_on"] == invoice["due_on"], (month, invoice)
            assert (month["in_kitty_cents"], month["resale_invoice_id"]) == (0, invoice["invoice_id"])
    waiting = [invoice for invoice in invoices if invoice["status"] == "open"]
    assert surplus["kitty_cents"] == sum(invoice["total_cents"] for invoice in waiting)
    # the kitty is what its months hold, each month still waiting listed
    assert surplus["kitty_cents"] == sum(month["in_kitty_cents"] for month in surplus["months"])
    assert surplus["paid_out_cents"] == sum(
        invoice["total_cents"] for invoice in invoices if invoice not in waiting
    )


def job_next_runs(runtime: LocalRuntime) -> dict[str, datetime]:
    jobs = runtime.get("/_local/jobs").json()["items"]
    return {job["name"]: datetime.fromisoformat(job["next_run"].replace("Z", "+00:00")) for job in jobs}


def check_schedules(runtime: LocalRuntime, today: date) -> None:
    # each job has run for every day (or month) before its next run
    next_runs = job_next_runs(runtime)
    collected_until = (next_runs["invoices.collect_direct_debits"] - timedelta(days=1)).date()
    last_close = (next_runs["consumption.close_month"] - relativedelta(months=1)).date()
    for name in MONTHLY_PAYERS:
        auth = session(runtime, name)
        schedule = api(runtime, auth, "/invoices/schedule")
        (meter,) = api(runtime, auth, "/consumption/meters")["items"]
        started = date.fromisoformat(meter["active_from"])
        # the installments debited on their days; the next ones to come
        assert len(schedule["installments"]) == 12
        for installment in schedule["installments"]:
            expected = "paid" if installment["due_on"] <= collected_until.isoformat() else "scheduled"
            assert installment["status"] == expected, (name, installment, today)
        # a contract year ends on its regularization day; the first one began with the contract
        year_end = date.fromisoformat(schedule["regularization_on"])
        earlier_year = started < year_end - relativedelta(months=13)
        first_month = year_end - relativedelta(months=12) if earlier_year else started.replace(day=1)
        regularizations = every_invoice(runtime, auth, today, kind="regularization")
        if earlier_year:  # regularized on its last day, by an invoice of its own
            assert [invoice["issued_on"] for invoice in regularizations] == [first_month.isoformat()], name
        else:
            assert regularizations == [], name
        # the months of this year closed so far (each closed on the 1st of the next) are billed
        closed = first_month < last_close
        assert (schedule["consumption_billed_cents"] > 0) == closed, (name, schedule, today)
        if closed:
            months = api(
                runtime,
                auth,
                f"/consumption/meters/{meter['meter_id']}/series",
                step="month",
                **{
                    "from": first_month.isoformat(),
                    "to": (last_close - timedelta(days=1)).isoformat(),
                },
            )["points"]
            assert months and all(point["value"] for point in months), (name, months)


def check_pending_order(runtime: LocalRuntime) -> None:
    auth = session(runtime, "mobile")
    orders = api(runtime, auth, "/subscriptions/orders", limit=100)["items"]
    waiting = [order for order in orders if order["status"] == "received" and order["kind"] == "purchase"]
    assert waiting, orders
    for order in waiting:
        assert order["awaiting"] == "payment" and order["invoice_id"], order
        invoice = api(runtime, auth, f"/invoices/{order['invoice_id']}")
        assert invoice["order_id"] == order["order_id"]
        assert invoice["status"] == "open" and invoice["amount_due_cents"] == order["total_cents"]


def check_mailbox(runtime: LocalRuntime, now: datetime) -> None:
    mails = runtime.mail()
    assert 0 < len(mails) <= 30, [(mail["sent_at"], mail["subject"]) for mail in mails]
    since = now - timedelta(days=MAIL_DAYS)
    for mail in mails:
        assert datetime.fromisoformat(mail["sent_at"].replace("Z", "+00:00")) >= since, mail["subject"]
    assert runtime.get("/_local/dead-letters.json").json()["items"] == []


CHECKS: list[Callable[[LocalRuntime, date], None]] = [check_kitty, check_schedules]


def test_the_kitty_is_the_resale_invoices_not_paid_out_yet(demo_runtime: LocalRuntime) -> None:
    check_kitty(demo_runtime, demo_runtime.now().astimezone(PARIS).date())


def test_a_monthly_payer_s_schedule_shows_its_closed_months(demo_runtime: LocalRuntime) -> None:
    check_schedules(demo_runtime, demo_runtime.now().astimezone(PARIS).date())


def test_an_order_waiting_for_its_payment_names_its_invoice(demo_runtime: LocalRuntime) -> None:
    check_pending_order(demo_runtime)


def test_the_mailbox_holds_only_the_last_days_mail(demo_runtime: LocalRuntime) -> None:
    check_mailbox(demo_runtime, demo_runtime.now())


def test_the_demo_stands_at_the_instant_asked_for(demo_runtime: LocalRuntime) -> None:
    clock = demo_runtime.get("/_local/clock").json()
    assert clock["controlled"] is True
    assert "The clock is controlled: it stands at" in demo_runtime.output()
    # the jobs are due from there on: moving the clock fires what comes next, not the history again
    now = demo_runtime.now()
    next_runs = job_next_runs(demo_runtime)
    assert next_runs and all(now < at <= now + timedelta(days=31) for at in next_runs.values()), next_runs


def test_make_run_plays_the_history_up_to_now_then_runs_on_the_wall_clock(
    launch_demo: Callable[[], LocalRuntime],
) -> None:
    runtime = launch_demo()
    try:
        clock = runtime.get("/_local/clock").json()
        assert clock["controlled"] is False
        now = runtime.now()
        today = now.astimezone(PARIS).date()
        for check in CHECKS:
            check(runtime, today)
        check_pending_order(runtime)
        check_mailbox(runtime, now)
        # events are delivered by themselves again: the order paid now is provisioned
        auth = session(runtime, "mobile")
        orders = api(runtime, auth, "/subscriptions/orders", limit=100)["items"]
        order = next(
            order for order in orders if order["status"] == "received" and order["kind"] == "purchase"
        )
        paid = runtime.post(
            f"/invoices/{order['invoice_id']}/payments",
            json={"method": "card", "card_token": "tok_visa"},
            headers={**auth, "Idempotency-Key": f"demo-test-{now:%H%M%S}"},
        )
        assert paid.status_code == 201, paid.text
        path = f"/subscriptions/orders/{order['order_id']}"
        assert eventually(lambda: api(runtime, auth, path)["status"] == "completed", timeout=30)
    finally:
        status = runtime.stop()
    assert status == 0, runtime.output()
