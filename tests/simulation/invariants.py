"""The invariants of the lifecycle, checked after every simulated day (issue 8, point 4).

Each is worded as the issue words it and checked against the rules of docs/LIFECYCLE.md, on what
the services stored (their tables, mirrored from the emulator), mailed (the SES outbox) and
announced (the events on the bus), and on what only the customers and the grid operator know
(what was asked, what the meters read). A failure names the day, the customer, what it is about
and what the data shows.

1. billed once per period: every active subscription is billed exactly once per period, prorated
   at both ends;
2. provisioned only when paid: nothing is provisioned unpaid, nothing paid stays unprovisioned
   (but what an operator suspends by hand, until an operator resumes it);
3. debits only when due: no debit without an active contract and an installment or invoice due
   (for an installment, the supply contract it pays for; for an invoice, the mandate it is debited
   under: the contract of a debit);
4. money balances: per customer, payments − refunds = invoices paid − credit notes; the surplus
   kitty equals the resale invoices credited and not yet paid out;
5. kWh billed once: every kWh read is billed once (consumption = billed energy, per month and meter);
6. gapless numbers, events billed once: invoice numbers gapless, each issuing event billed once;
7. lifecycle mails once: every lifecycle mail is sent once (order, payment, failure, reminder,
   suspension, cancellation).

The checks are incremental: the mirrors read only what was written since the day before, and a
customer is checked on a day when something of theirs changed, or when a date that moves an
expectation (a renewal, a month's close, a reminder's day, an installment) comes.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import spans
from .mails import Kind
from .population import Customer
from .readings import CONSUMPTION, INJECTION, first_of_next_month, off_peak_flags, paris_day
from .world import Changes, Mail, Observed

if TYPE_CHECKING:
    from guichet_local.runtime import Fired

    from .year import Simulation

BILLED_ONCE = "1. billed once per period"
PAID_FIRST = "2. provisioned only when paid"
DEBITS = "3. debits only when due"
MONEY = "4. money balances"
KWH = "5. kWh billed once"
NUMBERS = "6. gapless numbers, each event billed once"
MAILS = "7. lifecycle mails once"
HARNESS = "0. the simulation ran as the API says"

PAYABLE = ("invoice", "regularization")
# a refund waiting for an operator (no account on file, or declined) is made within a week
REFUND_WAIT_DAYS = 7
BATTERY, SURPLUS = "electricity-stockage-virtuel", "electricity-boost-mon-surplus"
DEFAULT_OFF_PEAK_HOURS = ({"start": "22:00", "end": "06:00"},)  # what an off-peak order without hours gets
TARIFF_LINES = ("Heures pleines", "Heures creuses", "Consommation")  # the invoices' kWh lines of a month
REMINDER_STAGES = {1: 1, 2: 15, 3: 30}  # docs/LIFECYCLE.md, "Dunning": days late
ORDER_REMINDER_STAGES = {1: 1}  # a purchase's invoice: reminded once, voided 14 days late
SUSPEND_AFTER_DAYS = 38  # an invoice billing subscriptions, unpaid: they are suspended
PAYMENT_MAILS = {"succeeded": "payment_received", "failed": "payment_failed", "expired": "payment_expired"}
LIFECYCLE_MAILS = {
    "order_received",
    "order_completed",
    "invoice_issued",
    "invoice_voided",
    "overdue_reminder",
    "payment_received",
    "payment_failed",
    "payment_instructions",
    "payment_expired",
    "refund_made",
    "surplus_paid_out",
    "installment_debited",
    "installment_failed",
    "subscription_cancelled",
    "cancellation_withdrawn",
    "moved_out",
    "subscription_suspended",
    "subscription_resumed",
}
OVERDUE_RUN = (6, 0)  # invoices.mark_overdue, UTC
MILESTONES, AUTO_MILESTONES = (30, 7, 1), (7,)
MONTH_NAMES = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


@dataclass(frozen=True)
class Failure:
    invariant: str
    day: date
    customer: str
    subject: str
    what: str

    def __str__(self) -> str:
        return f"{self.day} {self.invariant} — customer {self.customer} — {self.subject}: {self.what}"


def cents(value: Any) -> int:
    return int(Decimal(value))


def moment(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f+0000").replace(tzinfo=UTC)


@dataclass
class Seen:
    """What the customer received, by kind and key."""

    mails: Counter[tuple[str, str]] = field(default_factory=Counter)
    renewal_reminders: Counter[tuple[str, str, int]] = field(default_factory=Counter)  # dossier, renews, m
    others: list[str] = field(default_factory=list)


class Invariants:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.checks = 0
        self.mail_count = 0
        self._seen: dict[str, Seen] = defaultdict(Seen)  # by customer id
        self._dirty: set[str] = set()
        self._wake: dict[date, set[str]] = defaultdict(set)
        self._events: dict[str, list[Observed]] = defaultdict(list)
        self._events_unchecked: list[Observed] = []
        self._meter_owner: dict[str, set[str]] = defaultdict(set)  # customer -> meter ids
        self._first_seen: dict[tuple[str, str], date] = {}  # (item key, status) -> day
        self._closes: list[datetime] = []  # when close_month ran
        self._expected_reminders: dict[str, set[tuple[str, str, int]]] = defaultdict(set)
        self._reminder_view: dict[str, dict[str, Any]] = {}
        self._numbers: dict[int, Counter[int]] = defaultdict(Counter)
        self._sources: Counter[str] = Counter()
        self._counted: set[str] = set()

    # --- what happened ----------------------------------------------------------------------------

    @property
    def _customers(self) -> dict[str, Customer]:
        return {customer.customer_id: customer for customer in self.sim.customers if customer.customer_id}

    def mirror(self, service: str) -> Any:
        return self.sim.world.mirrors[service]

    def take_in(self, changes: Changes) -> None:
        today = paris_day(self.sim.now)
        for service, keys in changes.items.items():
            for pk, sk in keys:
                if pk.startswith("CUSTOMER#"):
                    customer_id = pk.removeprefix("CUSTOMER#")
                    self._dirty.add(customer_id)
                    self._note_first_seen(service, pk, sk, today)
                elif pk.startswith("METER#") and sk == "METER":
                    meter = self.mirror("consumption").get(pk, sk)
                    if meter is not None:
                        self._meter_owner[meter["customer_id"]].add(meter["meter_id"])
                        self._dirty.add(meter["customer_id"])
                elif pk.startswith("METER#"):
                    for customer_id, meters in self._meter_owner.items():
                        if pk.removeprefix("METER#") in meters:
                            self._dirty.add(customer_id)
        for event in changes.events:
            self._events[event.name].append(event)
            self._events_unchecked.append(event)
            owner = event.data.get("customer_id") or (event.data.get("subscription") or {}).get("customer_id")
            if owner:
                self._dirty.add(owner)
        for key in changes.items.get("invoices", set()):
            if key[1].startswith("INVOICE#"):
                self._count_number(key)

    def _note_first_seen(self, service: str, pk: str, sk: str, today: date) -> None:
        item = self.mirror(service).get(pk, sk)
        if item is None or "status" not in item:
            return
        self._first_seen.setdefault((f"{pk}|{sk}", item["status"]), today)

    def _count_number(self, key: tuple[str, str]) -> None:
        invoice = self.mirror("invoices").get(*key)
        if invoice is None or invoice["invoice_id"] in self._counted:
            return
        self._counted.add(invoice["invoice_id"])  # an invoice never changes its number: counted once
        prefix, _, number = invoice["number"].partition("-")
        self._numbers[int(prefix.removeprefix("F"))][int(number)] += 1
        self._sources[invoice["source"]] += 1

    def mailed(self, customer: Customer, mail: Mail, kind: Kind) -> None:
        self.mail_count += 1
        seen = self._seen[customer.customer_id]
        if kind.name == "renewal_reminder":
            seen.renewal_reminders[(kind.key, _french_day(kind.period), _milestone(kind.detail))] += 1
        elif kind.name in ("overdue_reminder", "installment_failed"):
            seen.mails[(kind.name, f"{kind.key}#{kind.detail}")] += 1
        elif kind.name == "other":
            seen.others.append(mail.subject)
        else:
            seen.mails[(kind.name, kind.key)] += 1
        self._dirty.add(customer.customer_id)

    def after_job(self, fired: Fired) -> None:
        today = paris_day(fired.at)
        if fired.job == "consumption.close_month" and fired.ok:
            self._closes.append(fired.at)
        elif fired.job == "invoices.collect_direct_debits":
            # nothing runs between this job and the reminders' at 05:00: what they will see
            self._reminder_view = {
                subscription["subscription_id"]: dict(subscription)
                for partition in self.mirror("subscriptions").partitions.values()
                for sk, subscription in partition.items()
                if sk.startswith("SUB#")
            }
        elif fired.job == "subscriptions.send_renewal_reminders":
            for subscription in self._reminder_view.values():
                expected = _milestone_due(subscription, today)
                if expected is not None:
                    self._expected_reminders[subscription["customer_id"]].add(expected)
                    self._dirty.add(subscription["customer_id"])

    def energy_subscriptions(self) -> list[tuple[Customer, dict[str, Any]]]:
        found = []
        for customer_id, customer in self._customers.items():
            for subscription in self.mirror("subscriptions").partition(f"CUSTOMER#{customer_id}", "SUB#"):
                if subscription["family"] == "electricity":
                    found.append((customer, subscription))
        return found

    def invoice_count(self) -> int:
        return sum(sum(numbers.values()) for numbers in self._numbers.values())

    def payment_count(self) -> int:
        return sum(
            1
            for partition in self.mirror("invoices").partitions.values()
            for sk in partition
            if sk.startswith("PAYMENT#")
        )

    # --- failures outside the invariants -------------------------------------------------------------

    def job_failed(self, fired: Fired) -> Failure:
        return Failure(HARNESS, paris_day(fired.at), "-", f"job {fired.job}", f"failed: {fired.result}")

    def step_failed(self, customer: Customer | None, step: str, error: str) -> Failure:
        who = str(customer) if customer is not None else "back office"
        return Failure(HARNESS, paris_day(self.sim.now), who, f"step {step}", error)

    def readings_refused(self, report: dict[str, Any]) -> Failure:
        return Failure(
            KWH,
            paris_day(self.sim.now),
            "-",
            f"meter file {report.get('file')}",
            f"rows refused: {report['rejected'][:3]}",
        )

    # --- the daily check ---------------------------------------------------------------------------------

    def check(self, day: date) -> list[Failure]:
        failures = self._dead_letters(day) + self._numbering(day)
        due = self._dirty | self._wake.pop(day, set())
        self._dirty = set()
        customers = self._customers
        for customer_id in sorted(due):
            customer = customers.get(customer_id)
            if customer is None:
                continue
            self.checks += 1
            view = View(self, customer, day)
            for rule in (
                view.billed_once,
                view.provisioned_when_paid,
                view.debits_when_due,
                view.money,
                view.kwh,
                view.mails,
            ):
                failures += rule()
            for wake in view.wake_on:
                if wake > day:
                    self._wake[wake].add(customer_id)
        return failures

    def _dead_letters(self, day: date) -> list[Failure]:
        letters = self.sim.world.dead_letters()
        return [
            Failure(
                HARNESS,
                day,
                str((letter.get("detail") or {}).get("data", {}).get("customer_id", "-")),
                f"event {letter['detail_type']} {letter['event_id']} dead-lettered by {letter['handler']}",
                str(letter["error"])[:500],
            )
            for letter in letters
        ]

    def _numbering(self, day: date) -> list[Failure]:
        failures = []
        for year, numbers in self._numbers.items():
            twice = sorted(number for number, count in numbers.items() if count > 1)
            missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
            if twice or missing:
                failures.append(
                    Failure(
                        NUMBERS,
                        day,
                        "-",
                        f"invoice numbers of {year}",
                        f"numbers used twice {twice[:10]}, missing {missing[:10]}",
                    )
                )
        for source, count in self._sources.items():
            if count > 1:
                failures.append(
                    Failure(NUMBERS, day, "-", f"business event {source}", f"billed by {count} invoices")
                )
        for event in self._events_unchecked:
            failures += self._billed_once(event, day)
        self._events_unchecked = []
        return failures

    def _billed_once(self, event: Observed, day: date) -> list[Failure]:
        """The business event an invoice (or credit note) is issued for, billed by exactly one."""
        source = _issuing_source(event)
        if source is None or self._sources[source] == 1:
            return []
        data = event.data
        customer = data.get("customer_id") or data["subscription"]["customer_id"]
        return [
            Failure(
                NUMBERS,
                day,
                customer,
                f"{event.name} {source.split('#', 1)[1]}",
                f"billed by {self._sources[source]} documents, not one",
            )
        ]

    # --- for the views ---------------------------------------------------------------------------------

    def meters_of(self, customer_id: str) -> set[str]:
        """The meters that were this customer's at some time (a home's meter changes hands)."""
        return self._meter_owner.get(customer_id, set())

    def first_seen(self, pk: str, sk: str, status: str) -> date | None:
        return self._first_seen.get((f"{pk}|{sk}", status))

    def events(self, name: str) -> list[Observed]:
        return self._events[name]

    def seen(self, customer_id: str) -> Seen:
        return self._seen[customer_id]

    def last_close(self) -> datetime | None:
        return self._closes[-1] if self._closes else None

    def expected_reminders(self, customer_id: str) -> set[tuple[str, str, int]]:
        return self._expected_reminders[customer_id]

    def told(self, name: str, subscription_id: str) -> list[Observed]:
        """The events `name` (SubscriptionSuspended, SubscriptionResumed...) about one subscription."""
        return [e for e in self._events[name] if e.data["subscription"]["subscription_id"] == subscription_id]

    def suspended_on(self, subscription_id: str, day: date) -> bool:
        """Whether the subscription was suspended on `day`, by what was announced: from the day
        of a suspension (its `on`) to the day before its resumption."""
        changes = sorted(
            [(e.data["on"], e.occurred_at, True) for e in self.told("SubscriptionSuspended", subscription_id)]
            + [
                (e.data["on"], e.occurred_at, False)
                for e in self.told("SubscriptionResumed", subscription_id)
            ]
        )
        suspended = False
        for on, _, suspension in changes:
            if on > day.isoformat():
                break
            suspended = suspension
        return suspended


def _issuing_source(event: Observed) -> str | None:
    """The business key of the document an event must issue (invoicing.issue's `source`), if any."""
    data = event.data
    if event.name == "OrderPlaced":
        upfront = sum(line["total_cents"] for line in data["lines"] if line["billing"] == "upfront")
        return f"ORDER#{data['order_id']}" if upfront else None
    if event.name == "ConsumptionPeriodClosed":
        return (
            f"CONSUMPTION#{data['meter_id']}#{data['month']}"
            if data["payment_mode"] == "per_invoice"
            else None
        )
    if event.name == "SurplusPayout":
        return f"SURPLUS#{data['payout_id']}"
    if event.name == "ConsumptionCorrected":
        return f"CORRECTION#{data['correction_id']}"
    if event.name == "UsagePeriodClosed":
        return f"USAGE#{data['subscription_id']}#{data['period_start']}" if data["amount_cents"] else None
    subscription = data.get("subscription") or {}
    if event.name == "SubscriptionCancelled" and (data.get("refund") or {}).get("amount_cents"):
        return (
            f"CANCELLATION#{subscription['customer_id']}#{subscription['subscription_id']}#{data['ended_on']}"
        )
    if event.name == "SubscriptionChanged":
        credit = (data.get("credit") or {}).get("amount_cents") or 0
        charge = (data.get("charge") or {}).get("amount_cents") or 0
        if credit == charge:
            return None
        return (
            f"CHANGE#{subscription['customer_id']}#{subscription['subscription_id']}#{data['effective_on']}"
            f"#{data['previous_product_id']}#{subscription['product_id']}"
        )
    return None


def _milestone_due(subscription: dict[str, Any], today: date) -> tuple[str, str, int] | None:
    """The renewal reminder the rule asks for today (30, 7 and 1 days before renews_on; 7 only
    with auto-renewal), as the 05:00 job sees the subscription."""
    if subscription["status"] != "active" or subscription.get("cancel_at"):
        return None
    if subscription["family"] == "electricity":
        return None  # an energy contract runs until it is cancelled: nothing to remind
    renews_on = date.fromisoformat(subscription["renews_on"])
    days_left = (renews_on - today).days
    milestones = AUTO_MILESTONES if subscription.get("auto_renew") else MILESTONES
    return (
        (subscription["dossier_number"], renews_on.isoformat(), days_left)
        if days_left in milestones
        else None
    )


def _milestone(days_left: str) -> int:
    left = int(days_left)
    return min(m for m in MILESTONES if left <= m) if left <= max(MILESTONES) else left


def _french_day(text: str) -> str:
    """`1 mars 2027` (as the subscriptions service writes a day in French) -> 2027-03-01."""
    try:
        number, month, year = text.split()
        return date(int(year), MONTH_NAMES.index(month) + 1, int(number)).isoformat()
    except ValueError:
        return text


class View:
    """One customer's data on one day, and the rules checked on it."""

    def __init__(self, invariants: Invariants, customer: Customer, day: date) -> None:
        self.rules = invariants
        self.customer = customer
        self.day = day
        self.now = invariants.sim.now
        self.facts = invariants.sim.facts
        self.wake_on: set[date] = set()
        cid = customer.customer_id
        pk = f"CUSTOMER#{cid}"
        subscriptions, invoices = invariants.mirror("subscriptions"), invariants.mirror("invoices")
        self.subscriptions = list(subscriptions.partition(pk, "SUB#"))
        self.orders = list(subscriptions.partition(pk, "ORDER#"))
        self.invoices = list(invoices.partition(pk, "INVOICE#"))
        self.payments = list(invoices.partition(pk, "PAYMENT#"))
        self.installments = list(invoices.partition(pk, "INSTALLMENT#"))
        self.schedules = list(invoices.partition(pk, "SCHEDULE#"))
        self.bank_account = invoices.get(pk, "BANK_ACCOUNT")
        self.refunds = list(invoices.partition(pk, "REFUND#"))
        self.carried = list(invoices.partition(pk, "CREDIT#"))
        self.invoices_by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for invoice in self.invoices:
            if invoice.get("order_id"):
                self.invoices_by_order[invoice["order_id"]].append(invoice)
        self.number_of = {invoice["invoice_id"]: invoice["number"] for invoice in self.invoices}

    def failure(self, invariant: str, subject: str, what: str) -> Failure:
        return Failure(
            invariant, self.day, f"{self.customer.customer_id} ({self.customer.profile.name})", subject, what
        )

    def orders_for(self, subscription_id: str) -> list[dict[str, Any]]:
        return [
            order
            for order in self.orders
            if any(line.get("subscription_id") == subscription_id for line in order["items"])
        ]

    # --- 1. billed once per period ---------------------------------------------------------------------

    def billed_once(self) -> list[Failure]:
        failures = []
        for subscription in self.subscriptions:
            if subscription["status"] in spans.WAITING and not subscription.get("started_on"):
                continue
            if subscription["family"] == "electricity":
                failures += self._energy_billed_once(subscription)
            else:
                failures += self._upfront_billed_once(subscription)
        return failures

    def _upfront_billed_once(self, subscription: dict[str, Any]) -> list[Failure]:
        """Each period the subscription ran is one paid order's: the purchase's first period, then
        each renewal's (SubscriptionRenewed says which days), none overlapping, the last ending on
        renews_on; and each order billed by one invoice of its amount."""
        failures = []
        sid, period = subscription["subscription_id"], subscription["billing_period"]
        subject = f"subscription {subscription['dossier_number']} ({subscription['product_id']})"
        renews_on = date.fromisoformat(subscription["renews_on"])
        orders = self.orders_for(sid)
        announced: dict[str, tuple[date, date]] = {}
        for event in self.rules.events("SubscriptionRenewed"):
            if event.data["subscription"]["subscription_id"] == sid and event.data["order_id"]:
                announced.setdefault(
                    event.data["order_id"],
                    (
                        date.fromisoformat(event.data["period_start"]),
                        date.fromisoformat(event.data["period_end"]),
                    ),
                )
        periods: list[tuple[date, date, str]] = []
        for order in orders:
            if order["status"] != "completed":
                continue
            bought = sum(
                int(line["periods"]) for line in order["items"] if line.get("subscription_id") == sid
            )
            if order["kind"] == "purchase":
                started = date.fromisoformat(subscription["started_on"])
                periods.append((started, spans.add_periods(started, period, bought), order["order_id"]))
                continue
            span = announced.get(order["order_id"])
            if span is None:
                failures.append(
                    self.failure(
                        BILLED_ONCE, subject, f"renewal {order['order_id']} completed, no period announced"
                    )
                )
            elif spans.whole_periods(span[0], span[1], period) != bought:
                failures.append(
                    self.failure(
                        BILLED_ONCE,
                        subject,
                        f"renewal {order['order_id']} of {bought} {period}(s) ran {span[0]}→{span[1]}",
                    )
                )
            else:
                periods.append((*span, order["order_id"]))
        periods.sort()
        for before, after in itertools.pairwise(periods):
            if after[0] < before[1]:
                failures.append(
                    self.failure(
                        BILLED_ONCE,
                        subject,
                        f"periods {before[0]}→{before[1]} ({before[2]}) and {after[0]}→{after[1]} "
                        f"({after[2]}) overlap: their common days are billed twice",
                    )
                )
        if periods and periods[-1][1] != renews_on:
            failures.append(
                self.failure(
                    BILLED_ONCE,
                    subject,
                    f"renews_on {renews_on}, but its paid periods end {periods[-1][1]}: "
                    f"{[(str(a), str(b)) for a, b, _ in periods]}",
                )
            )
        for order in orders:
            billed = self.invoices_by_order.get(order["order_id"], [])
            if len(billed) != 1:
                failures.append(
                    self.failure(
                        BILLED_ONCE, subject, f"order {order['order_id']} billed by {len(billed)} invoices"
                    )
                )
            elif cents(billed[0]["total_cents"]) != upfront_total(order):
                failures.append(
                    self.failure(
                        BILLED_ONCE,
                        subject,
                        f"order {order['order_id']} of {upfront_total(order)} c upfront billed "
                        f"{cents(billed[0]['total_cents'])} c ({billed[0]['number']})",
                    )
                )
        last = spans.last_day_of_service(subscription, self.facts)
        running = subscription["status"] in ("active", "suspended") and not subscription.get("cancel_at")
        if running:
            # the periods begun since the paid ones ended must each be billed by a renewal awaiting payment
            begun, start = 0, renews_on
            while start <= self.day:
                begun, start = begun + 1, spans.add_periods(renews_on, period, begun + 1)
            self.wake_on.add(start)
            awaiting = sum(
                int(line["periods"])
                for order in orders
                if order["kind"] == "renewal"
                and order["status"] != "completed"
                and self.invoices_by_order.get(order["order_id"])
                for line in order["items"]
                if line.get("subscription_id") == sid
            )
            if awaiting < begun:
                failures.append(
                    self.failure(
                        BILLED_ONCE,
                        subject,
                        f"still {subscription['status']} on {self.day}: {begun} period(s) begun since "
                        f"its paid periods ended on renews_on {renews_on} (the first day of the next one), "
                        f"{awaiting} billed",
                    )
                )
        asked = self.facts.cancellations.get(sid)
        if asked and asked[1] == "immediately" and last is not None and last + timedelta(days=1) < renews_on:
            period_start = spans.add_periods(renews_on, period, -1)
            days_in_period = (renews_on - period_start).days
            unused = (renews_on - (last + timedelta(days=1))).days
            expected = spans.prorated(cents(subscription["price_cents"]), unused, days_in_period)
            credited = self._credited(sid)
            if credited != expected:
                failures.append(
                    self.failure(
                        BILLED_ONCE,
                        subject,
                        f"cancelled at once on {last}: its {unused} unused days of {days_in_period} "
                        f"({period_start}→{renews_on}) should be credited {expected} c, "
                        f"credited {credited} c",
                    )
                )
        failures += self._plan_changes(subscription, subject)
        return failures

    def _credited(self, subscription_id: str) -> int:
        """What the credit note of an immediate cancellation credits (docs/LIFECYCLE.md)."""
        prefix = f"CANCELLATION#{self.customer.customer_id}#{subscription_id}#"
        return sum(
            abs(cents(invoice["total_cents"]))
            for invoice in self.invoices
            if invoice["kind"] == "credit_note" and invoice["source"].startswith(prefix)
        )

    def _plan_changes(self, subscription: dict[str, Any], subject: str) -> list[Failure]:
        from .population import PRICES

        sid = subscription["subscription_id"]
        changes = [change for change in self.facts.plan_changes if change[1] == sid]
        if not changes:
            return []
        expected = 0
        described = []
        for on, _, old, new, renews in changes:
            period_end = date.fromisoformat(renews)
            period_start = spans.add_periods(period_end, subscription["billing_period"], -1)
            # the days left of the period paid in advance: none once it ended (its renewal unpaid)
            days, left = (period_end - period_start).days, max(0, (period_end - on).days)
            charge, credit = spans.prorated(PRICES[new], left, days), spans.prorated(PRICES[old], left, days)
            expected += charge - credit
            described.append(f"{on}: {old}→{new}, {left}/{days} days: +{charge} −{credit}")
        prefix = f"CHANGE#{self.customer.customer_id}#{sid}#"
        adjustments = sum(
            -abs(cents(invoice["total_cents"]))
            if invoice["kind"] == "credit_note"
            else cents(invoice["total_cents"])
            for invoice in self.invoices
            if invoice["source"].startswith(prefix)
        )
        if adjustments == expected:
            return []
        return [
            self.failure(
                BILLED_ONCE,
                subject,
                f"plan changed ({'; '.join(described)}): prorations should come to {expected:+d} c, "
                f"billed {adjustments:+d} c",
            )
        ]

    def _energy_billed_once(self, subscription: dict[str, Any]) -> list[Failure]:
        failures: list[Failure] = []
        mode = subscription["contract"]["payment_mode"]
        subject = f"contract {subscription['dossier_number']} ({subscription['product_id']}, {mode})"
        last_close = self.rules.last_close()
        self.wake_on.add(first_of_next_month(self.day))
        if last_close is None or not subscription.get("started_on"):
            return failures
        closed_until = paris_day(last_close).replace(day=1) - timedelta(days=1)
        started = date.fromisoformat(subscription["started_on"])
        for month in spans.months_between(started, closed_until):
            days = spans.service_days_in(subscription, month, self.facts)
            billed = self._energy_bills(subscription, month)
            if not days:
                if billed:
                    failures.append(
                        self.failure(
                            BILLED_ONCE,
                            subject,
                            f"{month} is after its last day of service "
                            f"({spans.last_day_of_service(subscription, self.facts)}) but billed: {billed}",
                        )
                    )
                continue
            expected = "1 month" if len(days) == len(spans.month_days(month)) else f"{len(days)} day"
            if len(billed) != 1 or billed[0] != expected:
                failures.append(
                    self.failure(
                        BILLED_ONCE,
                        subject,
                        f"{month}: ran {days[0]}→{days[-1]}, so {expected}(s) of subscription billed once; "
                        f"billed {billed or 'nothing'}",
                    )
                )
        return failures

    def _energy_bills(self, subscription: dict[str, Any], month: str) -> list[str]:
        """How the subscription of this month was billed: '1 month' or 'N day' per bill."""
        sid = subscription["subscription_id"]
        if subscription["contract"]["payment_mode"] == "per_invoice":
            found = []
            for invoice in self.invoices:
                if sid in (invoice.get("subscription_ids") or []) and invoice["source"].endswith(f"#{month}"):
                    found += [
                        f"{line['quantity']} {line['unit']}"
                        for line in invoice["lines"]
                        if line["unit"] in ("month", "day")
                    ]
            return found
        # a monthly payer's month goes to the year's regularization: its close says which days
        closes = {
            (event.data["period_start"], event.data["period_end"])
            for event in self.rules.events("ConsumptionPeriodClosed")
            if event.data["subscription_id"] == sid and event.data["month"] == month
        }
        counted = sum(month in (schedule.get("consumption_months") or []) for schedule in self.schedules)
        bills = []
        for first, last in closes:
            days = (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
            bills.append("1 month" if days == len(spans.month_days(month)) else f"{days} day")
        if closes and counted != 1:
            bills.append(f"(counted {counted} times on the schedule)")
        return bills

    # --- 2. provisioned only when paid ------------------------------------------------------------------

    def provisioned_when_paid(self) -> list[Failure]:
        failures = []
        for order in self.orders:
            subject = f"order {order['order_id']} ({order['kind']})"
            upfront = [line for line in order["items"] if line["family"] != "electricity"]
            invoices = self.invoices_by_order.get(order["order_id"], [])
            invoice_paid = all(
                invoice["status"] == "paid" and cents(invoice["amount_due_cents"]) == 0
                for invoice in invoices
            ) and (bool(invoices) or not upfront)
            needs_mandate = any(line.get("payment_mode") == "monthly" for line in order["items"])
            mandate = self.bank_account is not None
            settled = invoice_paid and (mandate or not needs_mandate)
            if order["status"] == "completed" and not settled:
                failures.append(
                    self.failure(
                        PAID_FIRST,
                        subject,
                        f"provisioned while its invoice is {[(i['number'], i['status']) for i in invoices]}"
                        f"{' and no mandate' if needs_mandate and not mandate else ''}",
                    )
                )
            elif order["status"] in ("received", "paid", "provisioning") and settled:
                failures.append(
                    self.failure(
                        PAID_FIRST,
                        subject,
                        f"everything it asks is there (invoice {[i['number'] for i in invoices]} paid"
                        f"{', mandate on file' if needs_mandate else ''}) but it is still {order['status']}",
                    )
                )
            elif order["status"] == "cancelled" and invoices and invoice_paid:
                failures.append(
                    self.failure(
                        PAID_FIRST,
                        subject,
                        f"paid ({invoices[0]['number']}) but cancelled, so never provisioned, "
                        "and not refunded",
                    )
                )
        failures += self._suspended_by_hand()
        provisioned = {
            line.get("subscription_id")
            for order in self.orders
            if order["status"] == "completed"
            for line in order["items"]
        }
        for subscription in self.subscriptions:
            if subscription["subscription_id"] not in provisioned:
                failures.append(
                    self.failure(
                        PAID_FIRST,
                        f"subscription {subscription['dossier_number']}",
                        "exists without a completed order that provisioned it",
                    )
                )
        return failures

    def _suspended_by_hand(self) -> list[Failure]:
        """A subscription an operator suspended by hand is not provisioned until an operator
        resumes it (docs/LIFECYCLE.md, "By hand"): suspended from that day, announced and mailed
        once, never lifted by a payment, not renewed at its term (it expires), and running again
        once resumed (announced and mailed once), unless it ended meanwhile."""
        failures = []
        for subscription in self.subscriptions:
            sid = subscription["subscription_id"]
            hand = self.facts.suspended_by_hand.get(sid)
            if hand is None:
                continue
            subject = f"suspension by hand of {subscription['dossier_number']} ({subscription['product_id']})"
            status, renews_on = subscription["status"], date.fromisoformat(subscription["renews_on"])
            suspended = {
                e.event_id
                for e in self.rules.told("SubscriptionSuspended", sid)
                if e.data["reason"] == "operator"
            }
            resumed = {
                e.event_id
                for e in self.rules.told("SubscriptionResumed", sid)
                if e.data["reason"] == "operator"
            }
            wanted = (1, 1 if hand.resumed_on else 0)
            if (len(suspended), len(resumed)) != wanted:
                failures.append(
                    self.failure(
                        PAID_FIRST,
                        subject,
                        f"suspended on {hand.suspended_on}"
                        + (f", resumed on {hand.resumed_on}" if hand.resumed_on else "")
                        + f" by an operator: announced suspended {len(suspended)} time(s), resumed "
                        f"{len(resumed)} time(s), not {wanted[0]} and {wanted[1]}",
                    )
                )
            paid = [
                e.data["on"]
                for e in self.rules.told("SubscriptionResumed", sid)
                if e.data["reason"] != "operator" and hand.covers(date.fromisoformat(e.data["on"]))
            ]
            if paid:
                failures.append(
                    self.failure(
                        PAID_FIRST,
                        subject,
                        f"suspended by an operator on {hand.suspended_on}, resumed by a payment on "
                        f"{paid[0]}: only an operator lifts a suspension by hand",
                    )
                )
            if status in ("expired", "cancelled"):
                continue  # ended: nothing runs, nothing to resume
            if hand.covers(self.day) and status != "suspended":
                failures.append(
                    self.failure(
                        PAID_FIRST,
                        subject,
                        f"suspended by an operator on {hand.suspended_on} and not resumed, but {status} "
                        f"on {self.day}",
                    )
                )
            elif (
                not hand.covers(self.day)
                and status == "suspended"
                and not self.rules.suspended_on(sid, self.day)
            ):
                failures.append(
                    self.failure(
                        PAID_FIRST,
                        subject,
                        f"resumed by an operator on {hand.resumed_on}, yet still suspended on {self.day}",
                    )
                )
            if (
                status == "suspended"
                and hand.suspended_on < renews_on <= self.day
                and subscription["family"] != "electricity"
            ):  # its term came while suspended (a term passed before, its renewal unpaid, stands)
                failures.append(
                    self.failure(
                        BILLED_ONCE,
                        subject,
                        f"suspended at its term ({renews_on}): not renewed, it should have expired, "
                        f"not be {status} on {self.day}",
                    )
                )
        return failures

    # --- 3. debits only when due ---------------------------------------------------------------------------

    def debits_when_due(self) -> list[Failure]:
        failures = []
        pk = f"CUSTOMER#{self.customer.customer_id}"
        for payment in self.payments:
            if payment["method"] != "direct_debit":
                continue
            on = paris_day(moment(payment["created_at"]))
            for invoice_id in payment["invoice_ids"]:
                invoice = next((i for i in self.invoices if i["invoice_id"] == invoice_id), None)
                if (
                    invoice is None
                    or date.fromisoformat(invoice["due_on"]) > on
                    or invoice["kind"] not in PAYABLE
                ):
                    failures.append(
                        self.failure(
                            DEBITS,
                            f"debit {payment['payment_id']}",
                            f"on {on} for {self.number_of.get(invoice_id, invoice_id)}, not due "
                            f"(due {invoice['due_on'] if invoice else '?'})",
                        )
                    )
            if not self.bank_account:
                failures.append(
                    self.failure(DEBITS, f"debit {payment['payment_id']}", f"on {on} without a mandate")
                )
        contracts = {s["subscription_id"]: s for s in self.subscriptions}
        for installment in self.installments:
            if installment["status"] in ("scheduled", "paused", "retrying"):
                self.wake_on.add(date.fromisoformat(installment.get("retry_on") or installment["due_on"]))
            contract = contracts.get(installment["subscription_id"])
            subject = (
                f"installment {int(installment['number'])}/12 of {int(installment['year'])} "
                f"({contract['dossier_number'] if contract else installment['subscription_id']})"
            )
            # each attempt leaves its mark: retrying after the first declined, paid or failed after the last
            for outcome in ("retrying", "paid", "failed"):
                attempted = self.rules.first_seen(pk, installment["sk"], outcome)
                if attempted is None:
                    continue
                on = attempted
                if date.fromisoformat(installment["due_on"]) > on:
                    failures.append(
                        self.failure(
                            DEBITS, subject, f"debited ({outcome}) on {on}, due {installment['due_on']}"
                        )
                    )
                if contract is None or not spans.runs_on(contract, on, self.facts):
                    last = spans.last_day_of_service(contract, self.facts) if contract else None
                    failures.append(
                        self.failure(
                            DEBITS,
                            subject,
                            f"debited ({outcome}) on {on}, its supply contract not running "
                            f"({contract['status'] if contract else 'unknown'}, last day {last})",
                        )
                    )
        return failures

    # --- 4. money balances ---------------------------------------------------------------------------------

    def money(self) -> list[Failure]:
        """payments − refunds = invoices paid − credit notes, in the customer's money: a monthly
        payer's installments are payments, counted as paying the year's energy once regularized
        (held on account until then); a credit document (credit note, negative regularization)
        counts for what it owes, of which a small regularization carried to the next invoice, or a
        refund on its way, is not back yet."""
        received = sum(cents(p["amount_cents"]) for p in self.payments if p["status"] == "succeeded")
        installments = sum(cents(i["amount_cents"]) for i in self.installments if i["status"] == "paid")
        refunded = sum(cents(r["amount_cents"]) for r in self.refunds if r["status"] == "succeeded")
        waiting = sum(cents(r["amount_cents"]) for r in self.refunds if r["status"] in ("pending", "failed"))
        carried = sum(cents(c["left_cents"]) for c in self.carried)
        paid = sum(
            cents(applied["amount_cents"])
            for invoice in self.invoices
            if invoice["kind"] in PAYABLE and cents(invoice["total_cents"]) > 0
            for applied in invoice.get("payments") or []
            if applied["status"] == "succeeded"
        )
        applied_installments = on_account = 0
        for schedule in self.schedules:
            of_year = self._installments_paid(schedule)
            if schedule.get("regularized"):
                applied_installments += of_year
            else:
                on_account += of_year
        owed = sum(self._owed(document) for document in self.invoices if _credit_document(document))
        # a resale invoice is paid out on its due date: until then nothing of it is on its way
        planned = {refund["invoice_id"] for refund in self.refunds}
        to_pay_out = sum(
            self._owed(document)
            for document in self.invoices
            if document["kind"] == "resale"
            and document["status"] == "open"
            and document["invoice_id"] not in planned
        )
        left = received + installments - refunded
        right = paid + applied_installments - owed + carried + waiting + to_pay_out + on_account
        failures = []
        if left != right:
            failures.append(
                self.failure(
                    MONEY,
                    "balance",
                    f"payments {received} + installments {installments} − refunds {refunded} = {left} c, but "
                    f"invoices paid {paid} + installments regularized {applied_installments} − credit notes "
                    f"{owed} + still owed back (carried {carried}, refunds on their way {waiting}, "
                    f"surplus to pay out {to_pay_out}) + on "
                    f"account {on_account} = {right} c",
                )
            )
        return failures + self._regularizations() + self._credits_paid_back() + self._kitty()

    def _installments_paid(self, schedule: dict[str, Any]) -> int:
        return sum(
            cents(i["amount_cents"])
            for i in self.installments
            if i["subscription_id"] == schedule["subscription_id"]
            and int(i["year"]) == int(schedule["year"])
            and i["status"] == "paid"
        )

    def _owed(self, document: dict[str, Any]) -> int:
        """What a credit document owes the customer: a voided invoice's credit note only what was paid."""
        if document["source"].startswith("VOID#"):
            voided = next(
                (i for i in self.invoices if i["invoice_id"] == document.get("credited_invoice_id")), None
            )
            return sum(
                cents(applied["amount_cents"])
                for applied in (voided or {}).get("payments") or []
                if applied["status"] == "succeeded" and applied["method"] != "credit"
            )
        return abs(cents(document["total_cents"]))

    def _regularizations(self) -> list[Failure]:
        """A year regularized bills the energy billed minus the installments paid, once."""
        failures = []
        for schedule in self.schedules:
            if not schedule.get("regularized"):
                self.wake_on.add(date.fromisoformat(schedule["regularization_on"]))
                continue
            year, contract = int(schedule["year"]), schedule["subscription_id"]
            source = f"REGULARIZATION#{self.customer.customer_id}#{contract}#{year}"
            regularization = [i for i in self.invoices if i["source"] == source]
            paid = self._installments_paid(schedule)
            expected = cents(schedule.get("consumption_cents") or 0) - paid
            if len(regularization) != 1 or cents(regularization[0]["total_cents"]) != expected:
                failures.append(
                    self.failure(
                        MONEY,
                        f"schedule {int(schedule['year'])} of {schedule['subscription_id']}",
                        f"energy billed {cents(schedule.get('consumption_cents') or 0)} c − "
                        "installments paid "
                        f"{paid} c = {expected} c, regularized by "
                        f"{[(i['number'], cents(i['total_cents'])) for i in regularization]}",
                    )
                )
        return failures

    def _credits_paid_back(self) -> list[Failure]:
        """Money owed goes back by the rules (docs/LIFECYCLE.md): refunded on
        the day (a refund waiting for an operator within a week), or, for a regularization under
        25 € (50 € for a business) while the contract runs, carried to the next invoice."""
        failures = []
        threshold = 5000 if self.customer.company else 2500
        for refund in self.refunds:
            if refund["status"] in ("pending", "failed"):
                since = paris_day(moment(refund["created_at"]))
                self.wake_on.add(since + timedelta(days=REFUND_WAIT_DAYS + 1))
                if (self.day - since).days > REFUND_WAIT_DAYS:
                    failures.append(
                        self.failure(
                            MONEY,
                            f"refund {refund['refund_id']}",
                            f"{cents(refund['amount_cents'])} c by {refund['method']} "
                            f"still {refund['status']} "
                            f"since {since}",
                        )
                    )
        for document in self.invoices:
            if not _credit_document(document) or document["status"] in ("refunded", "paid"):
                continue
            issued = date.fromisoformat(document["issued_on"])
            carried = any(c["invoice_id"] == document["invoice_id"] for c in self.carried)
            planned = any(r["invoice_id"] == document["invoice_id"] for r in self.refunds)
            if document["kind"] == "regularization" and carried:
                if abs(cents(document["total_cents"])) >= threshold:
                    failures.append(
                        self.failure(
                            MONEY,
                            f"regularization {document['number']}",
                            f"owes {abs(cents(document['total_cents']))} c, at least {threshold} c: "
                            "refunded, not carried",
                        )
                    )
                continue
            if document["kind"] == "resale":  # paid out on its due date, not on the day
                issued = date.fromisoformat(document["due_on"])
            if not planned and self.day > issued:
                failures.append(
                    self.failure(
                        MONEY,
                        f"{document['kind']} {document['number']}",
                        f"owes {self._owed(document)} c since {issued}: neither refunded nor carried",
                    )
                )
            elif self.day <= issued:
                self.wake_on.add(issued + timedelta(days=1))
        return failures

    def _kitty(self) -> list[Failure]:
        """The surplus kitty equals the resale invoices credited and not yet paid out."""
        consumption = self.rules.mirror("consumption")
        failures = []
        sellers = {
            s["subscription_id"]: s
            for s in self.subscriptions
            if s["product_id"] == "electricity-boost-mon-surplus"
        }
        for meter_id in sorted(self.rules.meters_of(self.customer.customer_id)):
            meter = consumption.get(f"METER#{meter_id}", "METER")
            if meter is None or meter["subscription_id"] not in sellers:
                continue
            resale = [
                i
                for i in self.invoices
                if i["kind"] == "resale" and meter["subscription_id"] in i["subscription_ids"]
            ]
            credited = sum(cents(i["total_cents"]) for i in resale)
            paid_out = sum(cents(i["total_cents"]) for i in resale if i["status"] == "paid")
            closed = sorted(
                consumption.partition(f"METER#{meter_id}", "CLOSED#"), key=lambda item: item["month"]
            )
            # what GET /surplus shows: credited by the closes, less the months paid out
            kitty = (cents(closed[-1].get("kitty_cents") or 0) if closed else 0) - sum(
                cents(item["amount_cents"]) for item in consumption.partition(f"METER#{meter_id}", "PAIDOUT#")
            )
            if kitty != credited - paid_out:
                failures.append(
                    self.failure(
                        MONEY,
                        f"surplus kitty of {meter_id}",
                        f"kitty {kitty} c, but resale invoices credited {credited} c of which {paid_out} c "
                        f"paid out: {credited - paid_out} c not yet paid out",
                    )
                )
        return failures

    # --- 5. kWh billed once -------------------------------------------------------------------------

    def kwh(self) -> list[Failure]:
        """What the meter read (by the last close) and what was billed, per subscription: month by
        month, complements of late readings counted in the month they are about; with a virtual
        battery or a surplus kitty, whose late readings are settled at the close that finds them
        (docs/LIFECYCLE.md), over all the months closed."""
        failures: list[Failure] = []
        last_close = self.rules.last_close()
        if last_close is None:
            return failures
        closed_until = paris_day(last_close).replace(day=1) - timedelta(days=1)
        ledger = self.rules.sim.feed.ledger
        for subscription in self.subscriptions:
            if subscription["family"] != "electricity" or not subscription.get("started_on"):
                continue
            meter_id = subscription["contract"].get("pdl")
            started = date.fromisoformat(subscription["started_on"])
            months = spans.months_between(started, closed_until)
            settled_later = subscription["product_id"] in (BATTERY, SURPLUS)
            read_all = billed_all = injected_all = bought_all = Decimal(0)
            for month in months:
                days = spans.service_days_in(subscription, month, self.facts)
                read = ledger.total(meter_id, days, CONSUMPTION, last_close)
                billed = self._kwh_billed(subscription, month)
                read_all, billed_all = read_all + read, billed_all + billed
                if subscription["product_id"] == SURPLUS:
                    injected_all += ledger.total(meter_id, days, INJECTION, last_close)
                    bought_all += self._kwh_bought(subscription, month)
                subject = f"meter {meter_id} {month} ({subscription['dossier_number']})"
                if settled_later:
                    continue
                if read != billed:
                    failures.append(
                        self.failure(
                            KWH,
                            subject,
                            f"{read} kWh read over its {len(days)} days by the close of "
                            f"{last_close:%Y-%m-%d}, {billed} kWh billed",
                        )
                    )
                elif self._split_checkable(subscription, days):
                    failures += self._split(subscription, month, days, last_close, subject)
            if not settled_later or not months:
                continue
            subject = f"meter {meter_id} ({subscription['dossier_number']}), {months[0]} to {months[-1]}"
            if read_all != billed_all:
                failures.append(
                    self.failure(
                        KWH,
                        subject,
                        f"{read_all} kWh read by the close of {last_close:%Y-%m-%d}, {billed_all} kWh billed "
                        "(grid and restored from the battery)",
                    )
                )
            if injected_all != bought_all:
                failures.append(
                    self.failure(
                        KWH,
                        f"{subject} injection",
                        f"{injected_all} kWh injected, {bought_all} kWh bought back",
                    )
                )
        return failures

    def _tariff_on(self, subscription: dict[str, Any], on: date) -> tuple[str, list[dict[str, str]]]:
        """The tariff option and off-peak hours the customer's contract had on a day: as ordered,
        then as changed (docs/LIFECYCLE.md: a contract change reaches the meter and the price)."""
        option = self.customer.profile.tariff_option
        for changed_on, sid, options in self.facts.contract_changes:
            # an energy contract's new terms take effect on the first day of the next month
            if sid == subscription["subscription_id"] and first_of_next_month(changed_on) <= on:
                option = options.get("tariff_option", option)
        return option, (list(DEFAULT_OFF_PEAK_HOURS) if option == "off_peak" else [])

    def _split_checkable(self, subscription: dict[str, Any], days: list[date]) -> bool:
        """A month billed per invoice, without a virtual battery (it bills what it restores at its
        own rate), under one tariff option all month."""
        return (
            bool(days)
            and subscription["contract"]["payment_mode"] == "per_invoice"
            and subscription["product_id"] != BATTERY
            and len({self._tariff_on(subscription, on)[0] for on in days}) == 1
        )

    def _split(
        self, subscription: dict[str, Any], month: str, days: list[date], as_of: datetime, subject: str
    ) -> list[Failure]:
        ledger = self.rules.sim.feed.ledger
        meter_id = subscription["contract"]["pdl"]
        option, hours = self._tariff_on(subscription, days[0])
        peak = off = Decimal(0)
        for on in days:
            day_peak, day_off = ledger.split(meter_id, on, off_peak_flags(on, hours), as_of)
            peak, off = peak + day_peak, off + day_off
        expected = (
            {"Heures pleines": peak, "Heures creuses": off}
            if option == "off_peak"
            else {"Consommation": peak}
        )
        billed: dict[str, Decimal] = defaultdict(Decimal)
        for invoice in self.invoices:
            if subscription["subscription_id"] in (invoice.get("subscription_ids") or []):
                for line in invoice["lines"]:
                    name, _, line_month = line["description"].rpartition(" ")
                    name = name.removeprefix("Complément ")  # late readings of the month, billed later
                    if (
                        line["unit"] == "kWh"
                        and line_month == month
                        and name in ("Heures pleines", "Heures creuses", "Consommation")
                    ):
                        billed[name] += Decimal(line["quantity"])  # type: ignore[assignment]
        if dict(billed) == expected:
            return []
        windows = ", ".join(f"{span['start']}-{span['end']}" for span in hours) or "no off-peak hours"
        read = {name: str(kwh) for name, kwh in expected.items()}
        shown = {name: str(kwh) for name, kwh in billed.items()}
        return [
            self.failure(
                KWH,
                f"{subject} by tariff period",
                f"{option} all month ({windows}): read {read}, billed {shown}",
            )
        ]

    def _kwh_billed(self, subscription: dict[str, Any], month: str) -> Decimal:
        sid = subscription["subscription_id"]
        if subscription["contract"]["payment_mode"] == "per_invoice":
            return sum(
                (
                    Decimal(line["quantity"])
                    for invoice in self.invoices
                    if invoice["kind"] == "invoice" and sid in (invoice.get("subscription_ids") or [])
                    for line in invoice["lines"]
                    if line["unit"] == "kWh" and line["description"].endswith(month)
                ),
                Decimal(0),
            )
        billed = Decimal(0)
        closes: dict[str, dict[str, Any]] = {}  # a close told twice is billed once: the first telling
        for event in self.rules.events("ConsumptionPeriodClosed"):
            if event.data["subscription_id"] == sid:
                closes.setdefault(event.data["month"], event.data)
        for data in closes.values():
            if data["month"] == month:
                billed += Decimal(data["consumed_kwh"]) + Decimal(
                    (data.get("battery") or {}).get("restored_kwh") or 0
                )
            for complement in data["complements"]:
                if complement["month"] == month:
                    billed += Decimal(complement["consumed_kwh"])
        # an ended contract's late readings: the corrective invoice, whatever the payment mode
        corrections: dict[str, dict[str, Any]] = {}
        for event in self.rules.events("ConsumptionCorrected"):
            if event.data["subscription_id"] == sid:
                corrections.setdefault(event.data["correction_id"], event.data)
        for data in corrections.values():
            for complement in data["complements"]:
                if complement["month"] == month:
                    billed += Decimal(complement["consumed_kwh"])
        return billed

    def _kwh_bought(self, subscription: dict[str, Any], month: str) -> Decimal:
        sid = subscription["subscription_id"]
        return sum(
            (
                Decimal(line["quantity"])
                for invoice in self.invoices
                if invoice["kind"] == "resale" and sid in (invoice.get("subscription_ids") or [])
                for line in invoice["lines"]
                if line["unit"] == "kWh" and line["description"].endswith(month)
            ),
            Decimal(0),
        )

    # --- 7. lifecycle mails once --------------------------------------------------------------------

    def mails(self) -> list[Failure]:
        """Each lifecycle mail the rules ask for was sent once, and none they do not ask for."""
        seen = self.rules.seen(self.customer.customer_id)
        expected = self._expected_mails()
        failures = []
        for key in sorted(set(expected) | set(seen.mails)):
            if key[0] in LIFECYCLE_MAILS and expected[key] != seen.mails[key]:
                failures.append(
                    self.failure(
                        MAILS,
                        f"{key[0]} {key[1]}".strip(),
                        f"expected {expected[key]} mail(s), {seen.mails[key]} sent",
                    )
                )
        wanted = self.rules.expected_reminders(self.customer.customer_id)
        for reminder in sorted(wanted | set(seen.renewal_reminders)):
            count = seen.renewal_reminders[reminder]
            if (reminder in wanted and count != 1) or (reminder not in wanted and count):
                failures.append(
                    self.failure(
                        MAILS,
                        f"renewal reminder {reminder[2]} days before {reminder[1]} of {reminder[0]}",
                        f"expected {int(reminder in wanted)}, {count} sent",
                    )
                )
        for subject in seen.others:
            failures.append(self.failure(MAILS, "unknown mail", f"a mail no rule accounts for: {subject!r}"))
        return failures + self._suspensions()

    def _expected_mails(self) -> Counter[tuple[str, str]]:
        expected: Counter[tuple[str, str]] = Counter()
        for order in self.orders:
            expected[("order_received", order["order_id"])] += 1
            if order["status"] == "completed":
                expected[("order_completed", order["order_id"])] += 1
        for invoice in self.invoices:
            expected[("invoice_issued", invoice["number"])] += 1
            expected.update(self._overdue_reminders(invoice))
            if invoice["status"] == "void":
                # an order voided unpaid is cancelled with its invoice: this one mail tells both
                expected[("invoice_voided", invoice["number"])] += 1
            if _credit_document(invoice) and invoice["status"] == "refunded":
                expected[("refund_made", invoice["number"])] += 1
            if invoice["kind"] == "resale" and invoice["status"] == "paid":
                expected[("surplus_paid_out", invoice["number"])] += 1
        for payment in self.payments:
            numbers = ",".join(sorted(self.number_of.get(i, i) for i in payment["invoice_ids"]))
            if payment["method"] in ("check", "tip"):
                expected[("payment_instructions", numbers)] += 1  # sent when it was recorded pending
            if payment["status"] in PAYMENT_MAILS:
                expected[(PAYMENT_MAILS[payment["status"]], numbers)] += 1
        pk = f"CUSTOMER#{self.customer.customer_id}"
        for installment in self.installments:
            number = f"{int(installment['number']):02d}"
            if installment["status"] == "paid":
                expected[("installment_debited", f"{int(installment['year'])}#{number}")] += 1
            if self.rules.first_seen(pk, installment["sk"], "retrying"):
                expected[("installment_failed", f"{number}#retry")] += 1
            if installment["status"] == "failed":
                expected[("installment_failed", f"{number}#final")] += 1
        for subscription in self.subscriptions:
            sid, dossier = subscription["subscription_id"], subscription["dossier_number"]
            if self.facts.cancel_requests[sid]:
                expected[("subscription_cancelled", dossier)] += self.facts.cancel_requests[sid]
            if sid in self.facts.withdrawals:
                expected[("cancellation_withdrawn", dossier)] += 1
            if sid in self.facts.move_outs:
                expected[("moved_out", dossier)] += 1
            for name, kind in (
                ("SubscriptionSuspended", "subscription_suspended"),
                ("SubscriptionResumed", "subscription_resumed"),
            ):
                told = {
                    e.event_id
                    for e in self.rules.events(name)
                    if e.data["subscription"]["subscription_id"] == sid
                }
                if told:
                    expected[(kind, dossier)] += len(told)
        return expected

    def _overdue_reminders(self, invoice: dict[str, Any]) -> Counter[tuple[str, str]]:
        """The reminder stages the rule asks for, each once: the 06:00 run of the day found it that
        late and unpaid. A purchase's invoice gets one, then is voided (docs/LIFECYCLE.md)."""
        wanted: Counter[tuple[str, str]] = Counter()
        if invoice["kind"] not in PAYABLE or cents(invoice["total_cents"]) <= 0:
            return wanted
        due = date.fromisoformat(invoice["due_on"])
        paid_at = _paid_at(invoice)
        purchase = not invoice.get("subscription_ids") and any(
            order["order_id"] == invoice.get("order_id") and order["kind"] == "purchase"
            for order in self.orders
        )
        for stage, late in (ORDER_REMINDER_STAGES if purchase else REMINDER_STAGES).items():
            run = _overdue_run(due + timedelta(days=late))
            if run > self.now:
                if paid_at is None and invoice["status"] != "void":
                    self.wake_on.add(run.date())
                continue
            if paid_at is None or paid_at > run:
                wanted[("overdue_reminder", f"{invoice['number']}#{stage}")] += 1
        return wanted

    def _suspensions(self) -> list[Failure]:
        """An invoice billing subscriptions still unpaid 38 days late (no cheque or TIP on its way)
        suspends the running ones it bills, a household's electricity excepted (docs/LIFECYCLE.md)."""
        failures = []
        running = {
            s["subscription_id"]: s for s in self.subscriptions if s["status"] in ("active", "suspended")
        }
        for invoice in self.invoices:
            if (
                invoice["kind"] not in PAYABLE
                or invoice["status"] in ("paid", "void")
                or invoice.get("pending_payment_id")
            ):
                continue
            if not invoice.get("subscription_ids"):
                continue
            run = _overdue_run(date.fromisoformat(invoice["due_on"]) + timedelta(days=SUSPEND_AFTER_DAYS))
            if run > self.now:
                self.wake_on.add(run.date() + timedelta(days=1))
                continue
            for sid in invoice["subscription_ids"]:
                subscription = running.get(sid)
                if subscription is None or (
                    subscription["family"] == "electricity" and not self.customer.company
                ):
                    continue
                hand = self.facts.suspended_by_hand.get(sid)
                if hand is not None and hand.covers(paris_day(run)):
                    continue  # suspended by hand already: the invoice is added to what it waits for
                suspended = [
                    e
                    for e in self.rules.events("SubscriptionSuspended")
                    if e.data["subscription"]["subscription_id"] == sid
                    and e.occurred_at >= run.strftime("%Y-%m-%dT%H:%M:%SZ")
                ]
                if not suspended:
                    failures.append(
                        self.failure(
                            MAILS,
                            f"suspension of {subscription['dossier_number']}",
                            f"invoice {invoice['number']} due {invoice['due_on']} still unpaid "
                            f"{SUSPEND_AFTER_DAYS} days late ({run.date()}): the service should be suspended "
                            "and the customer told; "
                            f"it is {subscription['status']}",
                        )
                    )
        return failures


def _overdue_run(day: date) -> datetime:
    """The daily invoices.mark_overdue run of a day."""
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(
        hour=OVERDUE_RUN[0], minute=OVERDUE_RUN[1]
    )


def _credit_document(invoice: dict[str, Any]) -> bool:
    """A document that owes the customer money: a credit note, a surplus resale invoice (paid out
    on its due date), or a regularization below zero."""
    return invoice["kind"] in ("credit_note", "resale") or (
        invoice["kind"] == "regularization" and cents(invoice["total_cents"]) < 0
    )


def upfront_total(order: dict[str, Any]) -> int:
    """What an order's invoice bills: its lines paid upfront (energy is billed in arrears)."""
    return sum(cents(line["total_cents"]) for line in order["items"] if line["family"] != "electricity")


def _paid_at(invoice: dict[str, Any]) -> datetime | None:
    """When nothing was due any more on the invoice (its last payment), None while something is."""
    if invoice["status"] != "paid":
        return None
    applied = [moment(payment["at"]) for payment in invoice.get("payments") or []]
    return max(applied) if applied else moment(invoice["created_at"])
