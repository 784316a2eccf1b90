"""The demo customers' history, played through the lifecycle itself: what `make run` shows.

The auth service's demo loader imports the demo accounts (their passwords, verified emails and
profiles are its own data). Everything else comes out of the lifecycle, as it would for real
customers: the runtime starts under a controlled clock `HISTORY_MONTHS` months in the past, and
each demo customer lives their story over HTTP with their own session (orders, card payments,
bank details and the SEPA mandate, settings, an auto-renewal switched off, an order left unpaid);
the grid operator and the mobile network send their meter files as CSV files through the ingest
bucket; and the clock moves forward, firing the services' scheduled jobs — monthly closes, direct
debits and payouts, renewals, dunning — at their declared times. The clock stops only on the
days that matter to a job (read from the days the services' own due indexes name: renewals,
invoices and installments due, overdue steps) and on the 1st; a job covers the days it missed
anyway. Then the runtime carries on from the end of the history: the wall clock (`make run`) or
the instant it was asked to stand at (`--clock`), with only the last days' mail in the mailbox.

What each customer does is in `stories` (dates counted back from the end of the history, so that
the demo looks the same whatever day it starts on); what it leads to is what the services do.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import json
import logging
import time as timer
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from dateutil.relativedelta import relativedelta

from .demo_readings import PARIS, Home, MobileUse, meter_file
from .schedules import next_fire_time

if TYPE_CHECKING:
    from .runtime import Runtime

logger = logging.getLogger("guichet_local.demo")

HISTORY_MONTHS = 14  # the energy customers' charts compare this year with the last one
SERVICES = ("auth", "subscriptions", "invoices", "consumption")
MORNING, EVENING = time(8, 0), time(17, 0)  # UTC: when the customers act
FILE_TIME = time(1, 0)  # UTC: the meter files land before the monthly close (03:00)
REMINDER_DAYS = 7  # the renewal reminders run daily over these last days (older ones went unread)
MAIL_DAYS = 3  # the mail of these last days stays in the mailbox
USAGE_MONTHS = 1  # a mobile line's use is fed for its last month only (its current period)
GOOD_IBAN = "FR7630006000011234567890189"
ITALIAN_IBAN = "IT60X0542811101000000123456"
GOOD_CARD = "tok_visa"

EXPIRE_AND_RENEW = "subscriptions.expire_and_renew"
REMINDERS = "subscriptions.send_renewal_reminders"
COLLECT = "invoices.collect_direct_debits"
DUNNING = "invoices.mark_overdue"
CLOSE_MONTH = "consumption.close_month"
CLOSE_ALLOWANCES = "consumption.close_allowance_periods"


class HistoryError(RuntimeError):
    """A demo customer's request was answered otherwise than the API says."""


def plays_with(services: list[str]) -> bool:
    """Whether the history can be played: every service it goes through is served."""
    return all(name in services for name in SERVICES)


def first_instant(end: datetime) -> datetime:
    """Where the clock starts: the first day of the month `HISTORY_MONTHS` months (and a few
    days) before `end`, at midnight UTC."""
    start = paris_day(end) - relativedelta(months=HISTORY_MONTHS, days=10)
    return datetime.combine(start.replace(day=1), time(0, 0), tzinfo=UTC)


def paris_day(moment: datetime) -> date:
    return moment.astimezone(PARIS).date()


def at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=UTC)


# --- the demo customers and what they do ------------------------------------------------------------


@dataclass(frozen=True)
class Act:
    day: date
    moment: time
    what: str
    do: Callable[[History, Player], None]


@dataclass
class Story:
    """One demo customer's story: what they do and when, how they pay, what their meters read."""

    email: str
    acts: list[Act]
    # card payers pay each invoice mailed `pays_after_days` later, except those issued from `stops_paying_on`
    pays_by_card: bool = False
    pays_after_days: int = 3
    stops_paying_on: date | None = None
    homes: list[Home] = field(default_factory=list)
    uses: dict[str, tuple[float, bool]] = field(default_factory=dict)  # unit -> (a day, counted whole)


def stories(today: date) -> list[Story]:
    """Each demo customer's story, its days counted back from `today` (the last day of the history)."""

    def back(months: int = 0, days: int = 0) -> date:
        return today - relativedelta(months=months, days=days)

    caluire, montpellier, rennes = (
        Home(pdl="09152284763340", annual_kwh=3500, heating_share=0.5, solar_kwp=6.0, seed=1),
        Home(pdl="21453398102267", annual_kwh=4500, heating_share=0.3, solar_kwp=4.5, seed=1),
        Home(pdl="30002198877451", annual_kwh=12000, heating_share=0.25, seed=1),
    )
    # a hosting pack renews monthly on its day: this one's term is five days ahead, not renewed
    conti_hosting = today + timedelta(days=5) - relativedelta(months=4)
    return [
        Story(
            "abonne@demo.guichet.test",
            [
                Act(
                    back(4, 2),
                    MORNING,
                    "orders a domain and two hosting packs, pays by card",
                    ordering(
                        [
                            item("domain-relais-confort", "etre-visible.com", domain_name="etre-visible.com"),
                            item("hosting-linux-100", "solutionslogis"),
                            item("hosting-windows-50", "solutionslogis"),
                        ],
                        pay=True,
                    ),
                ),
                Act(back(4, 2), EVENING, "configures the domain and the hosting packs", configuring),
                Act(
                    back(0, 5),
                    MORNING,
                    "orders a website, pays by card, has not confirmed it yet",
                    ordering([item("website-site-basic", "etre-visible")], pay=True),
                ),
            ],
            pays_by_card=True,
        ),
        Story(
            "stockage@demo.guichet.test",
            [
                Act(back(14, 2), MORNING, "gives bank details", bank_details(GOOD_IBAN, "Hélène Dubois")),
                Act(
                    back(14, 2),
                    MORNING,
                    "orders electricity with a virtual battery, paid by monthly debits",
                    ordering(
                        [
                            energy(
                                "electricity-stockage-virtuel",
                                "Maison Caluire",
                                caluire,
                                power_kva=9,
                                option="off_peak",
                                hours=[("01:30", "07:30"), ("13:00", "15:00")],
                                payment_mode="monthly",
                            )
                        ]
                    ),
                ),
            ],
            homes=[caluire],
        ),
        Story(
            "surplus@demo.guichet.test",
            [
                Act(back(14, 2), MORNING, "gives bank details", bank_details(GOOD_IBAN, "Soleil Martin")),
                Act(
                    back(14, 2),
                    MORNING,
                    "orders electricity, its solar surplus bought back, billed per invoice",
                    ordering(
                        [
                            energy(
                                "electricity-boost-mon-surplus",
                                "Toiture solaire",
                                montpellier,
                                power_kva=6,
                                option="base",
                                payment_mode="per_invoice",
                            )
                        ]
                    ),
                ),
            ],
            homes=[montpellier],
        ),
        Story(
            "verte@demo.guichet.test",
            [
                Act(
                    back(4, 2),
                    MORNING,
                    "gives bank details",
                    bank_details(GOOD_IBAN, "Atelier Roussel SARL"),
                ),
                Act(
                    back(4, 2),
                    MORNING,
                    "orders green electricity for the workshop, paid by monthly debits",
                    ordering(
                        [
                            energy(
                                "electricity-verte-pro",
                                "Atelier Roussel",
                                rennes,
                                power_kva=12,
                                option="off_peak",
                                payment_mode="monthly",
                            )
                        ]
                    ),
                ),
            ],
            homes=[rennes],
        ),
        Story(
            "mobile@demo.guichet.test",
            [
                Act(
                    back(4, 8),
                    MORNING,
                    "orders a fibre box, pays by card",
                    ordering(
                        [
                            item(
                                "internet-fibre-essentielle",
                                "Box fibre Paris 19e",
                                installation_address={
                                    "line1": "25 avenue Jean Jaurès",
                                    "postal_code": "75019",
                                    "city": "Paris",
                                },
                            )
                        ],
                        pay=True,
                    ),
                ),
                Act(back(4, 8), EVENING, "sets up the box's wifi", configuring),
                Act(
                    back(3, 19),
                    MORNING,
                    "orders a mobile line, pays by card",
                    ordering([item("mobile-50go", "06 12 34 56 04")], pay=True),
                ),
                Act(
                    back(0, 2),
                    EVENING,
                    "orders a second line and leaves its payment for later",
                    ordering([item("mobile-2h", "Ligne de Léa")]),
                ),
            ],
            pays_by_card=True,
            pays_after_days=2,
            stops_paying_on=back(0, 20),
            uses={"GB": (1.1, False), "min": (14.0, True), "sms": (6.0, True)},
        ),
        Story(
            "hebergement@demo.guichet.test",
            [
                Act(
                    conti_hosting, MORNING, "gives bank details", bank_details(ITALIAN_IBAN, "Conti Web Srl")
                ),
                Act(
                    conti_hosting,
                    MORNING,
                    "orders a Linux hosting pack and its domain, pays by card",
                    ordering(
                        [
                            item("hosting-linux-1000", "conti-web.it"),
                            item("domain-relais-essentiel", "conti-web.it", domain_name="conti-web.it"),
                        ],
                        pay=True,
                    ),
                ),
                Act(conti_hosting, EVENING, "configures them", configuring),
                Act(
                    back(0, 10),
                    EVENING,
                    "switches off the hosting pack's auto-renewal: it ends at its term",
                    auto_renew_off("conti-web.it", "hosting"),
                ),
                Act(
                    back(0, 3),
                    MORNING,
                    "orders a Windows hosting pack, pays by card, leaves it to configure",
                    ordering([item("hosting-windows-500", "gestionale.conti-web.it")], pay=True),
                ),
            ],
        ),
    ]


def item(product_id: str, label: str, **options: Any) -> dict[str, Any]:
    return {"product_id": product_id, "label": label, "options": options}


def energy(
    product_id: str,
    label: str,
    home: Home,
    *,
    power_kva: int,
    option: str,
    payment_mode: str,
    hours: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    options: dict[str, Any] = {
        "pdl": home.pdl,
        "subscribed_power_kva": power_kva,
        "tariff_option": option,
        "payment_mode": payment_mode,
    }
    if hours:
        options["off_peak_hours"] = [{"start": start, "end": end} for start, end in hours]
    return item(product_id, label, **options)


SETTINGS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "domain": lambda _: {"dns_servers": ["ns1.guichet-dns.net", "ns2.guichet-dns.net"]},
    "hosting": lambda subscription: {
        "database_name": subscription["label"].split(".")[0].replace("-", "_")[:32],
        "php_version": "8.3",
    },
    "internet": lambda _: {"wifi_ssid": "Box-Orsini", "wifi_password": "un long mot de passe wifi"},
}


def ordering(items: list[dict[str, Any]], *, pay: bool = False) -> Callable[[History, Player], None]:
    """Place one order of `items`; with `pay`, pay its invoice by card once issued."""

    def act(history: History, player: Player) -> None:
        placed = player.ok(history, "POST", "/subscriptions/orders", {"items": items}, idempotent=True)
        history.settle()
        order = player.ok(history, "GET", f"/subscriptions/orders/{placed['order_id']}")
        if pay and order["invoice_id"]:
            history.pay_by_card(player, order["invoice_id"])

    return act


def configuring(history: History, player: Player) -> None:
    """Give its settings to each service waiting for them (a website waits for a confirmation first)."""
    for subscription in player.ok(history, "GET", "/subscriptions?limit=100")["items"]:
        settings = SETTINGS.get(subscription["family"])
        if subscription["status"] == "to_configure" and settings:
            player.ok(
                history,
                "PUT",
                f"/subscriptions/{subscription['subscription_id']}/settings",
                settings(subscription),
            )


def bank_details(iban: str, holder: str) -> Callable[[History, Player], None]:
    def act(history: History, player: Player) -> None:
        player.ok(history, "PUT", "/invoices/bank-account", {"iban": iban, "holder": holder})

    return act


def auto_renew_off(label: str, family: str) -> Callable[[History, Player], None]:
    def act(history: History, player: Player) -> None:
        for subscription in player.ok(history, "GET", "/subscriptions?limit=100")["items"]:
            if subscription["label"] == label and subscription["family"] == family:
                path = f"/subscriptions/{subscription['subscription_id']}"
                player.ok(history, "PATCH", path, {"auto_renew": False})

    return act


# --- a demo customer over HTTP ---------------------------------------------------------------------------


@dataclass
class Player:
    """A demo customer using the API as the portal does: its session, refreshed when it expired."""

    login: str
    password: str
    customer_id: str
    story: Story
    access: str = ""
    access_until: datetime | None = None
    refresh: str = ""
    refresh_until: datetime | None = None
    keys: itertools.count = field(default_factory=itertools.count)

    def token(self, history: History) -> str:
        now = history.now
        if self.access and self.access_until and now < self.access_until:
            return self.access
        if self.refresh and self.refresh_until and now < self.refresh_until:
            status, pair = history.request("POST", "/auth/refresh", {"refresh_token": self.refresh})
            if status == 200:
                return self._keep(pair, now)
        status, pair = history.request(
            "POST", "/auth/login", {"login": self.login, "password": self.password}
        )
        if status != 200:
            raise HistoryError(f"{self.login} cannot log in: {status} {pair}")
        return self._keep(pair, now)

    def _keep(self, pair: dict[str, Any], now: datetime) -> str:
        self.access = pair["access_token"]
        self.access_until = now + timedelta(seconds=int(pair["expires_in"]) - 60)
        self.refresh = pair["refresh_token"]
        self.refresh_until = now + timedelta(days=25)
        return self.access

    def ok(
        self, history: History, method: str, path: str, body: Any = None, *, idempotent: bool = False
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.token(history)}"}
        if idempotent:
            headers["Idempotency-Key"] = f"demo-{self.login}-{next(self.keys)}"
        status, answer = history.request(method, path, body, headers)
        if not 200 <= status < 300:
            raise HistoryError(f"{self.login}: {method} {path} answered {status}: {answer}")
        return answer


# --- the history ------------------------------------------------------------------------------------------


@dataclass(order=True)
class Planned:
    at: datetime
    order: int
    kind: str = field(compare=False)  # what the time it takes is counted as
    run: Callable[[], None] = field(compare=False)


class History:
    """Plays the stories on `runtime`, whose clock stands at the history's first instant, up to
    `end()`: the instant the runtime is to carry on from (read again at the end, since the wall
    clock moves while the history plays)."""

    def __init__(self, runtime: Runtime, logins: list[dict[str, Any]], end: Callable[[], datetime]) -> None:
        self.runtime = runtime
        self.end = end
        self.today = paris_day(end())
        self.gateway = urlsplit(runtime.url)
        passwords = {login["login"]: login["password"] for login in logins}
        customers = {login["login"]: str(login.get("customer_id", "")) for login in logins}
        self.players = [
            Player(story.email, passwords[story.email], customers[story.email], story)
            for story in stories(self.today)
            if story.email in passwords
        ]
        self.schedules = {schedule.job: schedule for schedule in runtime.scheduler.schedules}  # type: ignore[union-attr]
        self._calendar: list[Planned] = []
        self._order = itertools.count()
        self._planned_jobs: set[tuple[str, date, int | None]] = set()
        self._fired: set[tuple[str, date]] = set()
        self._planned_payments: set[str] = set()
        self._dunning_planned: set[tuple[str, date]] = set()
        self._open_invoices: set[str] = set()
        self._sent_until: date | None = None
        self.seconds: dict[str, float] = {}  # by kind of step, with the events it led to
        self.steps: dict[str, int] = {}

    @property
    def now(self) -> datetime:
        now = self.runtime.clock.now
        assert now is not None, "the history plays under a controlled clock"
        return now

    # --- requests and events ---

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        connection = http.client.HTTPConnection(self.gateway.hostname, self.gateway.port, timeout=120)
        try:
            sent = {"Content-Type": "application/json", **(headers or {})}
            connection.request(method, path, body=None if body is None else json.dumps(body), headers=sent)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, raw.decode(errors="replace")

    def settle(self) -> None:
        self.runtime.settle(final=True)

    def pay_by_card(self, player: Player, invoice_id: str) -> None:
        invoice = player.ok(self, "GET", f"/invoices/{invoice_id}")
        if invoice["status"] not in ("open", "overdue") or invoice["amount_due_cents"] <= 0:
            return
        player.ok(
            self,
            "POST",
            f"/invoices/{invoice_id}/payments",
            {"method": "card", "card_token": GOOD_CARD},
            idempotent=True,
        )
        self.settle()

    # --- the calendar ---

    def plan(self, moment: datetime, kind: str, run: Callable[[], None]) -> None:
        heapq.heappush(self._calendar, Planned(moment, next(self._order), kind, run))

    def plan_job(self, job: str, day: date, *, if_still: Callable[[], bool] | None = None) -> None:
        """`job` at its declared time on `day`, if that is still to come (and, with `if_still`,
        only if it still says so then); a job fires once a day."""
        key = (job, day, None if if_still is None else next(self._order))
        if key in self._planned_jobs:
            return
        expression = self.schedules[job].expression
        moment = next_fire_time(expression, at(day, time(0, 0)) - timedelta(seconds=1))
        if moment.date() != day or moment <= self.now:
            return
        self._planned_jobs.add(key)

        def run() -> None:
            if (job, day) in self._fired or (if_still is not None and not if_still()):
                return
            self._fired.add((job, day))
            self.fire(job, moment)

        self.plan(moment, job, run)

    def fire(self, job: str, moment: datetime) -> None:
        status, answer = self.runtime.run_job(job, moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
        if status != 200:
            raise HistoryError(f"the job {job} failed at {moment:%Y-%m-%d %H:%M}: {answer}")

    # --- the play ---

    def play(self) -> None:
        started = timer.monotonic()
        for player in self.players:
            for act in player.story.acts:
                self.plan(at(act.day, act.moment), "customers", self._acting(player, act))
        first = paris_day(self.now)
        month = first.replace(day=1) + relativedelta(months=1)
        while month <= self.today:
            self.plan(at(month, FILE_TIME), "meter files", self._send_meter_files)
            self.plan_job(CLOSE_MONTH, month)
            month += relativedelta(months=1)
        for offset in range(REMINDER_DAYS, 0, -1):
            self.plan_job(REMINDERS, self.today - timedelta(days=offset - 1))
        self._look_ahead()
        while self._calendar and self._calendar[0].at <= self.end():
            planned = heapq.heappop(self._calendar)
            if planned.at > self.now:
                self.runtime.set_clock(planned.at)
            step_started = timer.monotonic()
            planned.run()
            self.settle()
            self._count(planned.kind, step_started)
            self._look_ahead()
        # the days since the last file (the grid operator sends yesterday's readings each morning)
        end = self.end()
        if end > self.now:
            self.runtime.set_clock(end)
        self._send_meter_files(until=paris_day(end) - timedelta(days=1))
        for player in self.players:  # the customers' sessions of the history end with it
            if player.refresh:
                self.request("POST", "/auth/logout", {"refresh_token": player.refresh})
        self.settle()
        logger.info(
            "demo history played in %.1f s: %s",
            timer.monotonic() - started,
            ", ".join(
                f"{kind} {self.seconds[kind]:.1f} s ({self.steps[kind]})"
                for kind in sorted(self.seconds, key=self.seconds.__getitem__, reverse=True)
            ),
        )

    def _count(self, kind: str, started: float) -> None:
        self.seconds[kind] = self.seconds.get(kind, 0.0) + timer.monotonic() - started
        self.steps[kind] = self.steps.get(kind, 0) + 1

    def _acting(self, player: Player, act: Act) -> Callable[[], None]:
        def run() -> None:
            try:
                act.do(self, player)
            except HistoryError as error:
                raise HistoryError(f"{player.login} {act.what} on {act.day}: {error}") from None

        return run

    # --- what the services say is due ---

    def _look_ahead(self) -> None:
        """Plan the jobs on the days the services' due indexes name, and the card payers' payments."""
        for _kind, day, item in self._index("subscriptions", "renews_pk"):
            self.plan_job(EXPIRE_AND_RENEW, day)
            if item.get("family") == "mobile":  # a line's allowance periods follow its billing day
                self.plan_job(CLOSE_ALLOWANCES, day)
        card_payers = {player.customer_id: player for player in self.players if player.story.pays_by_card}
        open_invoices = set()
        for kind, day, item in self._index("invoices", "due_pk"):
            if kind in ("INSTALLMENT_DUE", "PAYOUT_DUE", "REGULARIZATION_DUE"):
                self.plan_job(COLLECT, day)
            elif kind == "OVERDUE":
                self.plan_job(DUNNING, day)
            elif kind == "INVOICE_DUE":
                invoice_id = str(item.get("invoice_id"))
                open_invoices.add(invoice_id)
                if item.get("payment_mode") == "direct_debit":
                    self.plan_job(COLLECT, day)
                if (invoice_id, day) not in self._dunning_planned:
                    self._dunning_planned.add((invoice_id, day))
                    # overdue the day after its due date, unless paid by then
                    self.plan_job(
                        DUNNING,
                        day + timedelta(days=1),
                        if_still=lambda invoice_id=invoice_id: invoice_id in self._open_invoices,
                    )
                payer = card_payers.get(str(item.get("customer_id")))
                if payer is not None:
                    self._plan_payment(payer, item)
        self._open_invoices = open_invoices

    def _index(self, service: str, key: str) -> list[tuple[str, date, dict[str, Any]]]:
        """Each item of `service`'s table in its sparse index keyed by `key` (`<KIND>#<YYYY-MM-DD>`),
        as (kind, day, item): read from the emulator in this process, as the index would answer."""
        from moto.dynamodb.models import dynamodb_backends

        from .events import ACCOUNT_ID
        from .runtime import REGION

        worker = self.runtime.workers[service]
        name = next(
            value for variable, value in worker.environment.items() if variable.endswith("_TABLE_NAME")
        )
        table = dynamodb_backends[ACCOUNT_ID][REGION].get_table(name)
        # the few items in the index, in the table's key order as moto's all_items() gives them:
        # sorting every item of the table at each step (moto compares its typed values) cost some
        # 2 s of processor over a demo start
        indexed = [
            stored
            for partition in list(table.items.values())
            for stored in (list(partition.values()) if table.range_key_attr else [partition])
            if key in stored.attrs
        ]
        indexed.sort(key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)
        found = []
        for stored in indexed:
            kind, _, day = str(stored.attrs[key].value).partition("#")
            try:
                found.append((kind, date.fromisoformat(day), stored.to_regular_json()))
            except ValueError:
                continue
        return found

    def _plan_payment(self, player: Player, item: dict[str, Any]) -> None:
        invoice_id, issued = str(item["invoice_id"]), date.fromisoformat(str(item["issued_on"]))
        if invoice_id in self._planned_payments or item.get("status") != "open":
            return
        if player.story.stops_paying_on and issued >= player.story.stops_paying_on:
            return
        self._planned_payments.add(invoice_id)
        moment = max(at(issued + timedelta(days=player.story.pays_after_days), EVENING), self.now)
        self.plan(moment, "customers", lambda: self.pay_by_card(player, invoice_id))

    # --- meter files ---

    def _send_meter_files(self, until: date | None = None) -> None:
        """The readings of every supplied home and used line, from the day after the last file to
        `until` (the end of last month by default), in one file."""
        last = until or paris_day(self.now).replace(day=1) - timedelta(days=1)
        meters: list[tuple[Home | MobileUse, date]] = []
        for player in self.players:
            meters.extend(self._meters_of(player))
        sent_until = self._sent_until
        files: dict[date, list[Home | MobileUse]] = {}
        for meter, since in meters:
            first = max(since, sent_until + timedelta(days=1)) if sent_until else since
            if first <= last:
                files.setdefault(first, []).append(meter)
        for first, chosen in sorted(files.items(), key=lambda pair: pair[0]):
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
            name = f"demo-{self.now:%Y%m%d%H%M}-{first:%Y%m%d}.csv"
            status, report = self.runtime.ingest(name, meter_file(chosen, days))
            if status != 200 or report.get("rejected"):
                raise HistoryError(f"the meter file {name} was not taken in: {status} {report}")
        self._sent_until = last

    def _meters_of(self, player: Player) -> list[tuple[Home | MobileUse, date]]:
        if not player.story.homes and not player.story.uses:
            return []
        answer = player.ok(self, "GET", "/consumption/meters")
        homes = {home.pdl: home for home in player.story.homes}
        found: list[tuple[Home | MobileUse, date]] = []
        for meter in answer["items"]:
            since = date.fromisoformat(meter["active_from"])
            if meter["kind"] == "electricity" and meter["pdl"] in homes:
                found.append((homes[meter["pdl"]], since))
            elif meter["kind"] == "mobile" and meter["unit"] in player.story.uses:
                per_day, whole = player.story.uses[meter["unit"]]
                since = max(since, self.today - relativedelta(months=USAGE_MONTHS))
                found.append((MobileUse(meter["meter_id"], per_day, whole), since))
        return found


def play(runtime: Runtime, logins: list[dict[str, Any]], end: Callable[[], datetime]) -> None:
    """Play the demo customers' history on `runtime` up to `end()`, then leave in its mailbox only
    the mail of the last `MAIL_DAYS` days."""
    history = History(runtime, logins, end)
    history.play()
    runtime.mailbox.forget_before(history.now - timedelta(days=MAIL_DAYS))
