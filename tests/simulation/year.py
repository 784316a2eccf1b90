"""The year simulation: a population through a year of Guichet, day by day, checked every day.

A simulated day, in UTC (the services count days in Paris, an hour or two ahead):

    00:30  subscriptions.expire_and_renew        (every job at its declared time, in order;
    01:00  the grid operator's meter files         the events each one leads to handled before
    02:30  consumption.close_allowance_periods
    03:00  consumption.close_month (the 1st)       the next: Runtime.advance_to; the job every
                                                   15 minutes, auth's, runs once, at 21:00)
    04:00  invoices.collect_direct_debits
    05:00  subscriptions.send_renewal_reminders
    06:00  invoices.mark_overdue
    08:00  customers, morning: what they planned, and what the mails they read ask of them
    17:00  customers, evening
    19:00  the back office: refunds waiting for a hand made (cheques are recorded as they arrive)
    21:00  the day ends: every event delivered, the invariants checked

Events are delivered as `Settings.delivery` says: some twice, some late, in any order.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from guichet_local.operator_token import local_token
from guichet_local.runtime import Delivery, Fired

from . import scenarios, spans
from .invariants import Failure, Invariants, moment
from .mails import classify
from .population import ApiError, Customer, build
from .readings import FILE_TIME, MeterFeed, MeterLedger, MobileLine, first_of_next_month, paris_day
from .scenarios import EVENING, MORNING, Facts
from .world import Changes, World

logger = logging.getLogger("simulation")

SLOTS = {MORNING: clock_time(8, 0), EVENING: clock_time(17, 0)}
NIGHT = clock_time(0, 45)  # after expire_and_renew, before the meter files
BACK_OFFICE = clock_time(19, 0)
BACK_OFFICE_DAYS = 2  # a refund waiting for a hand is made two days later
END_OF_DAY = clock_time(21, 0)
LATE_FILE_DAYS = 10


@dataclass
class Settings:
    customers: int = 24
    days: int = 365
    seed: int = 1
    first_number: int = 0  # of the customers: where a world's share of a population starts
    start: date = date(2027, 1, 1)
    state_dir: Path = Path(".local-state/simulation")
    delivery: Delivery = field(
        default_factory=lambda: Delivery(duplicate_share=0.1, hold_share=0.1, shuffle=True, seed=1)
    )
    stop_at_first_failure: bool = False
    progress: Callable[[str], None] | None = None  # told a line at the start of each month

    @property
    def arrivals_within_days(self) -> int:
        return max(1, min(90, self.days // 3))


@dataclass(order=True)
class Planned:
    at: datetime
    order: int
    customer: Customer = field(compare=False)
    name: str = field(compare=False)
    step: Callable[..., None] = field(compare=False)


@dataclass
class Report:
    settings: Settings
    customers: list[Customer]
    days: int = 0
    failures: list[Failure] = field(default_factory=list)
    repeats: Counter[tuple[str, str]] = field(default_factory=Counter)
    checks: int = 0
    seconds: float = 0.0
    startup_seconds: float = 0.0
    counts: dict[str, Any] = field(default_factory=dict)
    steps: Counter[str] = field(default_factory=Counter)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    worlds: int = 1  # the runtimes the customers were shared between (worlds.py)


class Simulation:
    """Runs the year; implements `scenarios.Context` for the scenarios it plays."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self.facts = Facts()
        self.customers = build(
            settings.customers,
            seed=settings.seed,
            first_day=settings.start,
            arrivals_within_days=settings.arrivals_within_days,
            first_number=settings.first_number,
        )
        scenarios.cast(self.customers, self.rng)
        self.by_email = {customer.email: customer for customer in self.customers}
        self.feed = MeterFeed(MeterLedger())
        self.world = World(
            start=datetime.combine(settings.start, clock_time(0, 0), tzinfo=UTC),
            delivery=settings.delivery,
            state_dir=settings.state_dir,
        )
        self.invariants = Invariants(self)
        self.report = Report(settings, self.customers)
        self._calendar: list[Planned] = []
        self._operator_token: tuple[str, datetime] | None = None
        self._order = itertools.count()
        self._today = settings.start

    # --- scenarios.Context ------------------------------------------------------------------------

    @property
    def today(self) -> date:
        return self._today

    @property
    def now(self) -> datetime:
        return self.world.now

    def plan(self, customer: Customer, day: date, slot: str, name: str, step: Any) -> None:
        at = datetime.combine(day, SLOTS[slot], tzinfo=UTC)
        heapq.heappush(self._calendar, Planned(max(at, self.now), next(self._order), customer, name, step))

    def operator(self, method: str, path: str, body: Any = None, *, idempotent: bool = False) -> Any:
        """A back-office request with an operator token (minted for an hour of simulated time)."""
        if self._operator_token is None or self._operator_token[1] <= self.now:
            port = self.world.runtime.gateway.server_address[1] if self.world.runtime.gateway else 0
            token = local_token(port, ["invoices:write", "subscriptions:write"], operator="ops:simulation")
            self._operator_token = (token, self.now + timedelta(minutes=50))
        headers = {"Idempotency-Key": f"ops-{next(self._order)}"} if idempotent else None
        route = (
            "operator "
            + method
            + " "
            + "/".join(part if not any(ch.isdigit() for ch in part) else "{…}" for part in path.split("/"))
        )
        answer = self.world.request(
            method, path, token=self._operator_token[0], body=body, headers=headers, route=route
        )
        if not 200 <= answer.status_code < 300:
            raise ApiError(f"operator: {method} {path} answered {answer.status_code}: {answer.text[:400]}")
        return answer.json() if answer.content else None

    def later(self, customer: Customer, days: int, name: str, step: Any, slot: str = EVENING) -> None:
        day = self.today + timedelta(days=days)
        at = datetime.combine(day, SLOTS[slot], tzinfo=UTC)
        if at <= self.now:  # this slot has passed: the next one
            day, slot = (
                (day, EVENING)
                if self.now < datetime.combine(day, SLOTS[EVENING], tzinfo=UTC)
                else (
                    day + timedelta(days=1),
                    MORNING,
                )
            )
        self.plan(customer, day, slot, name, step)

    # --- the run ----------------------------------------------------------------------------------

    def run(self) -> Report:
        started = time.monotonic()
        self.world.start()
        self.report.startup_seconds = time.monotonic() - started
        try:
            for customer in self.customers:
                for scenario in scenarios.played_by(customer):
                    scenario.begin(self, customer)
            for offset in range(self.settings.days):
                day = self.settings.start + timedelta(days=offset)
                if day.day == 1 and self.settings.progress:
                    self.settings.progress(
                        f"{day:%Y-%m}: {time.monotonic() - started:.0f} s, "
                        f"{len(self.report.failures)} failures so far"
                    )
                self._day(day)
                if self.report.failures and self.settings.stop_at_first_failure:
                    break
        finally:
            self.report.seconds = time.monotonic() - started
            self.report.counts = self._counts()
            self.report.dead_letters = self.world.dead_letters()
            self.world.stop()
        return self.report

    def _at(self, day: date, moment: clock_time) -> datetime:
        return datetime.combine(day, moment, tzinfo=UTC)

    def _day(self, day: date) -> None:
        """One day: the clock stops where something is to be done (jobs fire on the way)."""
        self._today = day
        self.world.advance_to(self._at(day, NIGHT), on_job=self._after_job)
        self._plan_meter_files(day)
        if self.feed.due(self._at(day, FILE_TIME), peek=True):
            self.world.advance_to(self._at(day, FILE_TIME), on_job=self._after_job)
            self._send_meter_files()
        for slot in (MORNING, EVENING):
            if self._calendar and self._calendar[0].at <= self._at(day, SLOTS[slot]):
                self.world.advance_to(self._at(day, SLOTS[slot]), on_job=self._after_job)
                self._run_planned()
        self._back_office(day)
        self.world.advance_to(self._at(day, END_OF_DAY), on_job=self._after_job, fire_rates=True)
        self.world.settle(final=True)
        self._take_in(self.world.sync())
        with self.world.timed("invariants"):
            self._record(self.invariants.check(day))
        self.report.days += 1

    def _after_job(self, fired: Fired) -> None:
        if not fired.ok:
            self._record([self.invariants.job_failed(fired)])
        self._take_in(self.world.sync())
        self.invariants.after_job(fired)

    def _run_planned(self) -> None:
        while self._calendar and self._calendar[0].at <= self.now:
            planned = heapq.heappop(self._calendar)
            self.report.steps[planned.name] += 1
            try:
                planned.step(self, planned.customer)
            except AssertionError as error:  # a request answered otherwise than the API says
                self._record([self.invariants.step_failed(planned.customer, planned.name, str(error))])
            self.world.settle()
            self._take_in(self.world.sync())

    def _take_in(self, changes: Changes) -> None:
        """Hand each new mail to its customer's scenarios, and what changed to the invariants."""
        self.invariants.take_in(changes)
        for mail in changes.mails:
            customer = self.by_email.get(mail.to)
            if customer is None:
                continue
            kind = classify(mail)
            self.invariants.mailed(customer, mail, kind)
            for scenario in scenarios.played_by(customer):
                try:
                    scenario.on_mail(self, customer, mail, kind)
                except AssertionError as error:
                    self._record([self.invariants.step_failed(customer, scenario.name, str(error))])

    def _back_office(self, day: date) -> None:
        """The operators' day: each refund waiting for a hand (no account on file to transfer it to,
        or declined by the provider) for two days is made by transfer and recorded made."""
        waiting = [
            refund
            for partition in self.world.mirrors["invoices"].partitions.values()
            for sk, refund in partition.items()
            if sk.startswith("REFUND#")
            and (
                refund["status"] == "failed"
                or (refund["status"] == "pending" and refund["method"] == "manual")
            )
            and (day - paris_day(moment(refund["created_at"]))).days >= BACK_OFFICE_DAYS
        ]
        if not waiting:
            return
        self.world.advance_to(self._at(day, BACK_OFFICE), on_job=self._after_job)
        for refund in waiting:
            self.report.steps["refund_made_by_hand"] += 1
            try:
                self.operator(
                    "POST",
                    f"/invoices/operator/customers/{refund['customer_id']}/refunds/{refund['refund_id']}/made",
                    {"method": "transfer"},
                )
            except AssertionError as error:
                self._record([self.invariants.step_failed(None, "refund_made_by_hand", str(error))])
            self.world.settle()
            self._take_in(self.world.sync())

    # --- meter files ------------------------------------------------------------------------------

    def _plan_meter_files(self, day: date) -> None:
        """Yesterday's readings of every home whose supply contract ran, sent when the operator sends them."""
        yesterday = day - timedelta(days=1)
        for customer, subscription in self.invariants.energy_subscriptions():
            if customer.home is None or not spans.runs_on(subscription, yesterday, self.facts):
                continue
            if subscription["contract"].get("pdl") != customer.home.pdl:
                continue
            late = (
                customer.late_month == yesterday.isoformat()[:7]
                and (first_of_next_month(yesterday) - yesterday).days <= 7
            )
            self.feed.plan(customer.home, yesterday, delay_days=LATE_FILE_DAYS if late else 0)
        consumption = self.world.mirrors["consumption"]
        for customer in self.customers:
            if not customer.daily_gb or not customer.customer_id:
                continue
            for meter_id in self.invariants.meters_of(customer.customer_id):
                meter = consumption.get(f"METER#{meter_id}", "METER")
                if meter is None or meter.get("kind") != "mobile" or meter.get("unit") != "GB":
                    continue
                lines = self.world.mirrors["subscriptions"].get(
                    f"CUSTOMER#{customer.customer_id}", f"SUB#{meter['subscription_id']}"
                )
                if (
                    lines is not None
                    and spans.runs_on(lines, yesterday, self.facts)
                    and not self.invariants.suspended_on(lines["subscription_id"], yesterday)
                ):  # a line suspended is cut: it uses no data
                    self.feed.plan(MobileLine(meter_id, customer.daily_gb, self.settings.seed), yesterday)

    def _send_meter_files(self) -> None:
        report = self.feed.send(self.feed.due(self.now), self.now, self.world.ingest)
        if report and report.get("rejected"):
            self._record([self.invariants.readings_refused(report)])
        self.world.settle()
        self._take_in(self.world.sync())

    # --- the report -------------------------------------------------------------------------------

    def _record(self, failures: list[Failure]) -> None:
        for failure in failures:
            key = (failure.invariant, failure.subject)
            if self.report.repeats[key] == 0:
                self.report.failures.append(failure)
                logger.warning("%s", failure)
            self.report.repeats[key] += 1

    def _counts(self) -> dict[str, Any]:
        counts = self.world.counts
        return {
            "requests": counts.requests,
            "jobs": counts.jobs,
            "events delivered": counts.events_delivered,
            "of which duplicates": counts.duplicates,
            "events kept back then delivered": self.world.runtime.delivered.held,
            "meter files": self.feed.files_sent,
            "meter rows": self.feed.rows_sent,
            "invoices": self.invariants.invoice_count(),
            "payments": self.invariants.payment_count(),
            "mails": self.invariants.mail_count,
            "logins": sum(customer.logins for customer in self.customers),
            "token refreshes": sum(customer.refreshes for customer in self.customers),
            "invariant checks": self.invariants.checks,
            **{f"seconds in {what}": round(seconds, 1) for what, seconds in counts.seconds.items()},
        }


def first_day_of(month: str) -> date:
    return date.fromisoformat(f"{month}-01")


__all__ = ["Report", "Settings", "Simulation", "paris_day"]
