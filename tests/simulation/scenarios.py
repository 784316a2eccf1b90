"""The scenario catalogue: each thing a customer (or an operator) does, as one small unit.

A scenario is played by the customers it is given to (`Scenario.share` of those of its profiles,
at least one when there is any). It plans its first steps when the customer arrives (`begin`)
and reacts to the mails the customer receives (`on_mail`), the way a person reacts to a mail in
the portal: by a request, on a later day. Everything goes through the public API (API.md), the
meter files through the ingest bucket, and the jobs run by themselves as of each day.

A scenario whose API does not exist yet is listed in `WAITING` (what it needs) rather than in
the catalogue, for the report: once that API exists, write its steps and move it to the catalogue.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from .mails import Kind
from .population import (
    BOUNCING_IBAN,
    DECLINED_CARDS,
    GOOD_CARD,
    GOOD_IBAN,
    MANDATE_HABITS,
    PROFILES,
    ApiError,
    Customer,
    Home,
    expect,
)
from .readings import MeterFeed
from .world import Mail, World

MORNING, EVENING = "morning", "evening"


@dataclass
class Facts:
    """What the customers asked for, as only they know it: the invariants' side of the story."""

    cancellations: dict[str, tuple[date, str]] = field(default_factory=dict)  # sub id -> (day, at)
    # day, subscription, product before, product after, renews_on then (the end of the period changed)
    plan_changes: list[tuple[date, str, str, str, str]] = field(default_factory=list)
    contract_changes: list[tuple[date, str, dict[str, Any]]] = field(default_factory=list)
    cancel_requests: Counter[str] = field(default_factory=Counter)  # each confirmed by mail
    withdrawals: dict[str, date] = field(default_factory=dict)  # a planned cancellation withdrawn
    move_outs: dict[str, date] = field(default_factory=dict)  # a contract a newcomer's move-in ends
    homes: dict[str, Home] = field(default_factory=dict)  # subscription id -> the home it supplies
    suspended_by_hand: dict[str, HandSuspension] = field(default_factory=dict)  # by subscription id


@dataclass
class HandSuspension:
    """An operator suspended a subscription by hand on a day, and resumed it on another (or not yet)."""

    customer_id: str
    suspended_on: date
    resumed_on: date | None = None

    def covers(self, day: date) -> bool:
        """Whether the subscription is to be suspended by hand on `day`."""
        return self.suspended_on <= day and (self.resumed_on is None or day < self.resumed_on)


class Context(Protocol):
    """What a scenario may use: the world, the day, the calendar of steps, the meter feed."""

    world: World
    rng: random.Random
    feed: MeterFeed
    facts: Facts
    customers: list[Customer]

    @property
    def today(self) -> date: ...

    @property
    def now(self) -> datetime: ...

    def plan(self, customer: Customer, day: date, slot: str, name: str, step: Any) -> None: ...

    def operator(self, method: str, path: str, body: Any = None, *, idempotent: bool = False) -> Any:
        """A back-office request with an operator token (its JSON answer; it must succeed)."""

    def later(self, customer: Customer, days: int, name: str, step: Any, slot: str = EVENING) -> None: ...


class Scenario:
    name = ""
    what = ""
    profiles: tuple[str, ...] = ()  # empty: every profile
    habits: tuple[str, ...] = ()  # empty: every way of paying
    share = 1.0

    def eligible(self, customer: Customer) -> bool:
        return (not self.profiles or customer.profile.name in self.profiles) and (
            not self.habits or customer.pays in self.habits
        )

    def begin(self, sim: Context, customer: Customer) -> None:
        """Plan the first steps when the customer arrives."""

    def on_mail(self, sim: Context, customer: Customer, mail: Mail, kind: Kind) -> None:
        """React to a mail the customer received."""


# --- helpers: what a customer reads in the portal ---------------------------------------------------


def subscriptions(sim: Context, customer: Customer) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = "?limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = customer.ok(sim.world, "GET", f"/subscriptions{query}", route="GET /subscriptions")
        found += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return found


def subscription(sim: Context, customer: Customer, label: str) -> dict[str, Any] | None:
    return next((item for item in subscriptions(sim, customer) if item["label"] == label), None)


def invoice_by_number(sim: Context, customer: Customer, number: str) -> dict[str, Any] | None:
    year, month = sim.today.year, sim.today.month
    earlier = f"{year - 1 if month == 1 else year}-{12 if month == 1 else month - 1:02d}"
    page = customer.ok(sim.world, "GET", f"/invoices?from={earlier}&limit=100", route="GET /invoices")
    return next((item for item in page["items"] if item["number"] == number), None)


def pay(
    sim: Context, customer: Customer, invoice: dict[str, Any], method: str, card: str | None = None
) -> Any:
    """Pay what is due on one invoice; the answer (a declined card is a 201 with status failed)."""
    body: dict[str, Any] = {"method": method}
    if method == "card":
        body["card_token"] = card or GOOD_CARD
    return customer.call(
        sim.world,
        "POST",
        f"/invoices/{invoice['invoice_id']}/payments",
        body,
        idempotent=True,
        route="POST /invoices/{id}/payments",
    )


def payable(invoice: dict[str, Any] | None) -> bool:
    return bool(
        invoice
        and invoice["kind"] in ("invoice", "regularization")
        and invoice["status"] in ("open", "overdue")
        and invoice["amount_due_cents"] > 0
    )


def label(customer: Customer, product_id: str) -> str:
    return f"{customer.profile.name}-{customer.number}-{product_id.split('-', 1)[1]}"


# --- joining -------------------------------------------------------------------------------------------


class Join(Scenario):
    name = "join"
    what = "register, open the verification link mailed, log in"

    def begin(self, sim: Context, customer: Customer) -> None:
        sim.plan(customer, customer.arrives_on, MORNING, self.name, self.register)

    def register(self, sim: Context, customer: Customer) -> None:
        body = {
            "email": customer.email,
            "password": customer.password,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "language": "fr",
            "address": customer.address,
        }
        if customer.company:
            body["company"] = customer.company
        answer = sim.world.request("POST", "/auth/register", body=body)
        expect(answer, 201, f"{customer.email} registers")
        customer.customer_id = answer.json()["customer_id"]

    def on_mail(self, sim: Context, customer: Customer, mail: Mail, kind: Kind) -> None:
        if kind.name == "verify_email":
            token = mail.text.split("verify-email?token=", 1)[1].split()[0]
            answer = sim.world.request("POST", "/auth/verify-email", body={"token": token})
            expect(answer, 200, f"{customer} verifies the email")
            customer.login(sim.world)


class BankDetails(Scenario):
    name = "bank_details"
    what = "give bank details (a SEPA mandate) on arrival: a good IBAN, or one whose debits bounce"
    habits = MANDATE_HABITS

    def begin(self, sim: Context, customer: Customer) -> None:
        sim.plan(customer, customer.arrives_on, EVENING, self.name, self.give)

    def give(self, sim: Context, customer: Customer) -> None:
        iban = BOUNCING_IBAN if customer.pays == "direct_debit_bounces" else GOOD_IBAN
        holder = customer.company or f"{customer.first_name} {customer.last_name}"
        customer.ok(sim.world, "PUT", "/invoices/bank-account", {"iban": iban, "holder": holder})


# --- buying --------------------------------------------------------------------------------------------


class Order(Scenario):
    name = "order"
    what = "order the profile's products (and electricity for a home) in one order"

    def begin(self, sim: Context, customer: Customer) -> None:
        sim.plan(customer, customer.arrives_on + timedelta(days=1), MORNING, self.name, self.place)

    def place(self, sim: Context, customer: Customer) -> None:
        items = [self.item(customer, product) for product in customer.profile.products]
        # the customer moving into a home that changes hands orders its supply on moving in
        if customer.profile.electricity and "moves_in" not in customer.traits:
            items.append(energy_item(customer))
        if items:
            place(sim, customer, items)

    @staticmethod
    def item(customer: Customer, product_id: str) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if product_id.startswith("internet-"):
            options["installation_address"] = {
                key: customer.address[key] for key in ("line1", "postal_code", "city")
            }
        elif product_id.startswith("domain-") or product_id.startswith("website-"):
            options["domain_name"] = domain_name(customer)
        return {"product_id": product_id, "label": label(customer, product_id), "options": options}


def place(sim: Context, customer: Customer, items: list[dict[str, Any]]) -> None:
    placed = customer.ok(sim.world, "POST", "/subscriptions/orders", {"items": items}, idempotent=True)
    customer.orders.append(placed["order_id"])


def energy_item(customer: Customer, move_in_on: date | None = None) -> dict[str, Any]:
    profile = customer.profile
    assert profile.electricity is not None and customer.home is not None
    options: dict[str, Any] = {
        "pdl": customer.home.pdl,
        "subscribed_power_kva": profile.power_kva,
        "tariff_option": profile.tariff_option,
        "payment_mode": profile.energy_payment,
    }
    if move_in_on is not None:
        options["move_in_on"] = move_in_on.isoformat()
    return {
        "product_id": profile.electricity,
        "label": label(customer, profile.electricity),
        "options": options,
    }


def domain_name(customer: Customer) -> str:
    return f"sim-{customer.number}-{customer.last_name.lower().replace('è', 'e')}.fr"


SETTINGS = {
    "internet": lambda customer: {
        "wifi_ssid": f"Box-{customer.number}",
        "wifi_password": "un long mot de passe wifi",
    },
    "domain": lambda customer: {"dns_servers": ["ns1.guichet-dns.net", "ns2.guichet-dns.net"]},
    "hosting": lambda customer: {"database_name": f"site_{customer.number}", "php_version": "8.3"},
    "website": lambda customer: {"domain": domain_name(customer), "cms": "wordpress"},
}


class Configure(Scenario):
    name = "configure"
    what = "once an order is completed, confirm what asks it and give each service its settings"

    def on_mail(self, sim: Context, customer: Customer, mail: Mail, kind: Kind) -> None:
        if kind.name == "order_completed":
            sim.later(customer, 0, self.name, self.configure)

    def configure(self, sim: Context, customer: Customer) -> None:
        for item in subscriptions(sim, customer):
            path = f"/subscriptions/{item['subscription_id']}"
            if item["status"] == "pending_confirmation":
                item = customer.ok(
                    sim.world, "POST", f"{path}/confirm", route="POST /subscriptions/{id}/confirm"
                )
            if item["status"] == "to_configure" and item["family"] in SETTINGS:
                customer.ok(
                    sim.world,
                    "PUT",
                    f"{path}/settings",
                    SETTINGS[item["family"]](customer),
                    route="PUT /subscriptions/{id}/settings",
                )


# --- paying ---------------------------------------------------------------------------------------------


class PreferredMethod(Scenario):
    name = "preferred_method"
    what = "a cheque or TIP payer says so in the billing preferences (a TIP slip comes on each invoice)"
    habits = ("cheque", "tip")

    def begin(self, sim: Context, customer: Customer) -> None:
        method = "check" if customer.pays == "cheque" else "tip"
        step = lambda s, c: c.ok(s.world, "PATCH", "/invoices/preferences", {"payment_method": method})  # noqa: E731
        sim.plan(customer, customer.arrives_on, EVENING, self.name, step)


class PayInvoices(Scenario):
    name = "pay_invoices"
    what = "pay each invoice mailed, the customer's way, a few days later (debits are left to the debit)"

    def on_mail(self, sim: Context, customer: Customer, mail: Mail, kind: Kind) -> None:
        if kind.name == "invoice_issued":
            delay = sim.rng.randrange(0, 4)
            sim.later(customer, delay, self.name, lambda s, c: self.pay(s, c, kind.key))

    def pay(self, sim: Context, customer: Customer, number: str) -> None:
        invoice = invoice_by_number(sim, customer, number)
        if not payable(invoice):
            return
        assert invoice is not None
        if invoice.get("order_id") in customer.abandoned_orders:
            return
        if invoice["payment_mode"] == "direct_debit":
            return  # debited on its due date under the mandate
        if customer.pays in ("cheque", "tip"):
            method = "check" if customer.pays == "cheque" else "tip"
            answer = pay(sim, customer, invoice, method)
            if answer.status_code == 409:  # already on its way, or the invoice has no TIP slip
                return
            expect(answer, 201, f"{customer} pays {number} by {method}")
            return
        first_try = customer.pays == "card_declined_first" and not customer.declined_once
        card = sim.rng.choice(DECLINED_CARDS) if first_try else GOOD_CARD
        answer = pay(sim, customer, invoice, "card", card)
        if answer.status_code == 409:  # a payment of it is in progress, or it was just paid
            return
        expect(answer, 201, f"{customer} pays {number} by card")
        if first_try:
            customer.declined_once = True


class RetryAfterFailure(Scenario):
    name = "retry_after_failure"
    what = "a card declined or a debit bounced: pay the invoices named in the mail by card the next day"

    def on_mail(self, sim: Context, customer: Customer, mail: Mail, kind: Kind) -> None:
        if kind.name == "payment_failed":
            for number in kind.key.split(","):
                if number:
                    sim.later(customer, 1, self.name, lambda s, c, n=number: pay_by_card(s, c, n))


def pay_by_card(sim: Context, customer: Customer, number: str) -> None:
    invoice = invoice_by_number(sim, customer, number)
    if payable(invoice) and invoice is not None and invoice.get("order_id") not in customer.abandoned_orders:
        assert invoice is not None
        answer = pay(sim, customer, invoice, "card", GOOD_CARD)
        if answer.status_code != 409:
            expect(answer, 201, f"{customer} pays {number} by card")


class PayAfterReminder(Scenario):
    name = "pay_after_reminder"
    what = "an overdue reminder: pay by card two days later (refused while a cheque or TIP is on its way)"

    def eligible(self, customer: Customer) -> bool:
        return "cheque_never_arrives" not in customer.traits

    def on_mail(self, sim: Context, customer: Customer, mail: Mail, kind: Kind) -> None:
        if kind.name == "overdue_reminder" and (
            customer.pays in ("card", "card_declined_first") or kind.detail >= "2"
        ):
            sim.later(customer, 2, self.name, lambda s, c: pay_by_card(s, c, kind.key))


class ChequeArrives(Scenario):
    """The back office opens the mail: a cheque or TIP sent arrives, some days late, and an
    operator records it received (the operator API, with an operator token)."""

    name = "cheque_arrives"
    what = "a cheque or TIP sent arrives three to nine days later; an operator records it received"
    habits = ("cheque", "tip")

    def eligible(self, customer: Customer) -> bool:
        return super().eligible(customer) and "cheque_never_arrives" not in customer.traits

    def on_mail(self, sim: Context, customer: Customer, mail: Mail, kind: Kind) -> None:
        if kind.name == "payment_instructions":
            for payment_id in pending_payments(sim, customer, kind.key):
                sim.later(
                    customer,
                    sim.rng.randrange(3, 10),
                    self.name,
                    lambda s, c, p=payment_id: s.operator(
                        "POST", f"/invoices/operator/customers/{c.customer_id}/payments/{p}/received"
                    ),
                )


class ChequeNeverArrives(Scenario):
    """The cheque or TIP never arrives: an operator records it expired three weeks later, the
    invoice is payable again, and the customer, slow, pays it by card a month after that."""

    name = "cheque_never_arrives"
    what = "a cheque or TIP never arrives: expired by an operator after 3 weeks, paid by card a month later"
    habits = ("cheque", "tip")
    share = 0.5

    def on_mail(self, sim: Context, customer: Customer, mail: Mail, kind: Kind) -> None:
        if kind.name == "payment_instructions":
            for payment_id in pending_payments(sim, customer, kind.key):
                sim.later(
                    customer,
                    21,
                    self.name,
                    lambda s, c, p=payment_id: s.operator(
                        "POST", f"/invoices/operator/customers/{c.customer_id}/payments/{p}/expired"
                    ),
                )
        elif kind.name == "payment_expired":
            for number in kind.key.split(","):
                sim.later(customer, 30, self.name, lambda s, c, n=number: pay_by_card(s, c, n))


def pending_payments(sim: Context, customer: Customer, numbers: str) -> list[str]:
    """The cheque or TIP payments the customer has on their way for these invoices (what the
    back office matches an arriving cheque with)."""
    found = []
    for number in numbers.split(","):
        invoice = invoice_by_number(sim, customer, number)
        if invoice is None:
            continue
        detail = customer.ok(
            sim.world, "GET", f"/invoices/{invoice['invoice_id']}", route="GET /invoices/{id}"
        )
        found += [p["payment_id"] for p in detail["payments"] if p["status"] == "pending"]
    return sorted(set(found))


class FixBankDetails(Scenario):
    name = "fix_bank_details"
    what = "a debit bounced: give another, good IBAN a week later"
    habits = ("direct_debit_bounces",)

    def on_mail(self, sim: Context, customer: Customer, mail: Mail, kind: Kind) -> None:
        if kind.name in ("payment_failed", "installment_failed") and not customer.fixing_bank_details:
            customer.fixing_bank_details = True
            sim.later(customer, 7, self.name, self.fix)

    def fix(self, sim: Context, customer: Customer) -> None:
        holder = customer.company or f"{customer.first_name} {customer.last_name}"
        customer.ok(sim.world, "PUT", "/invoices/bank-account", {"iban": GOOD_IBAN, "holder": holder})


# --- renewing ---------------------------------------------------------------------------------------------


def switch_auto_renew(sim: Context, customer: Customer, on: bool, billing_period: str) -> None:
    for item in subscriptions(sim, customer):
        if (
            item["family"] != "electricity"
            and item["billing_period"] == billing_period
            and item["status"] in ("active", "to_configure")
            and bool(item["auto_renew"]) != on
            and not item["cancel_at"]
        ):
            customer.ok(
                sim.world,
                "PATCH",
                f"/subscriptions/{item['subscription_id']}",
                {"auto_renew": on},
                route="PATCH /subscriptions/{id}",
            )


class AutoRenewYearly(Scenario):
    name = "auto_renew_yearly"
    what = "switch auto-renewal on for a yearly service (off by the offer's terms)"
    profiles = ("hosting",)
    share = 0.5

    def begin(self, sim: Context, customer: Customer) -> None:
        step = lambda s, c: switch_auto_renew(s, c, True, "year")  # noqa: E731
        sim.plan(customer, customer.arrives_on + timedelta(days=4), EVENING, self.name, step)


class AutoRenewOff(Scenario):
    name = "auto_renew_off"
    what = "switch auto-renewal off for the monthly services (on by the offer's terms)"
    profiles = ("isp", "hosting", "mobile", "small_business")
    share = 0.35

    def begin(self, sim: Context, customer: Customer) -> None:
        step = lambda s, c: switch_auto_renew(s, c, False, "month")  # noqa: E731
        sim.plan(customer, customer.arrives_on + timedelta(days=6), EVENING, self.name, step)


class RenewByHand(Scenario):
    name = "renew_by_hand"
    what = "the last renewal reminder of a service without auto-renewal: renew it for one period"
    profiles = ("isp", "hosting", "mobile", "small_business")
    share = 0.8

    def on_mail(self, sim: Context, customer: Customer, mail: Mail, kind: Kind) -> None:
        if kind.name == "renewal_reminder" and kind.detail in ("1", "0"):
            sim.later(customer, 0, self.name, lambda s, c: self.renew(s, c, kind.key))

    def renew(self, sim: Context, customer: Customer, dossier: str) -> None:
        for item in subscriptions(sim, customer):
            if item["dossier_number"] == dossier and item["status"] in ("active", "suspended", "expired"):
                if item["family"] == "electricity" or item["cancel_at"]:
                    return
                customer.ok(
                    sim.world,
                    "POST",
                    f"/subscriptions/{item['subscription_id']}/renew",
                    {"periods": 1},
                    idempotent=True,
                    route="POST /subscriptions/{id}/renew",
                )


# --- leaving and changing -------------------------------------------------------------------------------


def some_day(sim: Context, customer: Customer, after_days: int, within_days: int) -> date:
    return customer.arrives_on + timedelta(days=after_days + sim.rng.randrange(within_days))


class CancelEndOfPeriod(Scenario):
    name = "cancel_end_of_period"
    what = "cancel one service at the end of its period"
    share = 0.15

    def begin(self, sim: Context, customer: Customer) -> None:
        sim.plan(
            customer,
            some_day(sim, customer, 40, 150),
            MORNING,
            self.name,
            lambda s, c: cancel(s, c, "end_of_period"),
        )


class WithdrawCancellation(Scenario):
    name = "withdraw_cancellation"
    what = "a cancellation planned for the end of the period, withdrawn three days later"
    share = 0.5

    def eligible(self, customer: Customer) -> bool:
        return "cancel_end_of_period" in customer.traits

    def on_mail(self, sim: Context, customer: Customer, mail: Mail, kind: Kind) -> None:
        if kind.name == "subscription_cancelled" and kind.key not in customer.withdrawn:
            customer.withdrawn.add(kind.key)
            sim.later(customer, 3, self.name, lambda s, c: self.withdraw(s, c, kind.key))

    def withdraw(self, sim: Context, customer: Customer, dossier: str) -> None:
        for item in subscriptions(sim, customer):
            if (
                item["dossier_number"] == dossier
                and item["cancel_at"]
                and date.fromisoformat(item["cancel_at"]) > sim.today  # until that day (API.md)
                and item["status"] in ("active", "to_configure")
            ):
                customer.ok(
                    sim.world,
                    "DELETE",
                    f"/subscriptions/{item['subscription_id']}/cancel",
                    route="DELETE /subscriptions/{id}/cancel",
                )
                sim.facts.cancellations.pop(item["subscription_id"], None)
                sim.facts.withdrawals[item["subscription_id"]] = sim.today


class CancelImmediately(Scenario):
    name = "cancel_immediately"
    what = "cancel one service at once"
    share = 0.15

    def eligible(self, customer: Customer) -> bool:
        return "cancel_end_of_period" not in customer.traits

    def begin(self, sim: Context, customer: Customer) -> None:
        sim.plan(
            customer,
            some_day(sim, customer, 60, 150),
            MORNING,
            self.name,
            lambda s, c: cancel(s, c, "immediately"),
        )


def cancel(sim: Context, customer: Customer, at: str, family: str | None = None) -> None:
    running = [
        item
        for item in subscriptions(sim, customer)
        if item["status"] in ("active", "suspended", "to_configure")
        and not item["cancel_at"]
        and (family is None or item["family"] == family)
    ]
    if not running:
        return
    # at once, a service paid in advance first: its unused days are what the rule credits
    prepaid = [item for item in running if item["family"] != "electricity"]
    chosen = running[0] if family else sim.rng.choice(prepaid if at == "immediately" and prepaid else running)
    customer.ok(
        sim.world,
        "POST",
        f"/subscriptions/{chosen['subscription_id']}/cancel",
        {"reason": "Je n'en ai plus besoin", "at": at},
        route="POST /subscriptions/{id}/cancel",
    )
    sim.facts.cancellations[chosen["subscription_id"]] = (sim.today, at)
    sim.facts.cancel_requests[chosen["subscription_id"]] += 1


class ChangePlan(Scenario):
    name = "change_plan"
    what = "move to another plan of the same family in the middle of a period (mobile up, hosting down)"
    profiles = ("mobile", "hosting")
    moves = {"mobile-2h": "mobile-50go", "hosting-linux-1000": "hosting-linux-100"}

    def begin(self, sim: Context, customer: Customer) -> None:
        sim.plan(customer, some_day(sim, customer, 45, 60), EVENING, self.name, self.change)

    def change(self, sim: Context, customer: Customer) -> None:
        for item in subscriptions(sim, customer):
            target = self.moves.get(item["product_id"])
            if target and item["status"] == "active":
                customer.ok(
                    sim.world,
                    "PATCH",
                    f"/subscriptions/{item['subscription_id']}",
                    {"product_id": target},
                    route="PATCH /subscriptions/{id}",
                )
                sim.facts.plan_changes.append(
                    (sim.today, item["subscription_id"], item["product_id"], target, item["renews_on"])
                )


class ChangeEnergyContract(Scenario):
    name = "change_energy_contract"
    what = "raise the subscribed power and switch the tariff option (base ⇄ peak/off-peak hours)"
    profiles = ("electricity_monthly", "virtual_battery", "electricity_per_invoice")
    share = 0.5

    def eligible(self, customer: Customer) -> bool:
        return super().eligible(customer) and customer.home is not None

    def begin(self, sim: Context, customer: Customer) -> None:
        sim.plan(customer, some_day(sim, customer, 50, 90), EVENING, self.name, self.change)

    def change(self, sim: Context, customer: Customer) -> None:
        option = "base" if customer.profile.tariff_option == "off_peak" else "off_peak"
        options = {"subscribed_power_kva": 12, "tariff_option": option}
        for item in subscriptions(sim, customer):
            if item["family"] == "electricity" and item["status"] == "active":
                customer.ok(
                    sim.world,
                    "PATCH",
                    f"/subscriptions/{item['subscription_id']}",
                    {"options": options},
                    route="PATCH /subscriptions/{id}",
                )
                sim.facts.contract_changes.append((sim.today, item["subscription_id"], options))


class UpdateAddress(Scenario):
    name = "update_address"
    what = "give a new postal address in the profile (the invoices' billing party follows)"
    share = 0.2

    def begin(self, sim: Context, customer: Customer) -> None:
        sim.plan(customer, some_day(sim, customer, 20, 100), EVENING, self.name, self.update)

    def update(self, sim: Context, customer: Customer) -> None:
        address = {**customer.address, "line1": f"{sim.rng.randrange(1, 90)} avenue de la République"}
        customer.ok(sim.world, "PATCH", "/auth/me", {"address": address})
        customer.address = address


class HomeChangesHands(Scenario):
    """A home changes hands, each occupant billed their own days of the point of delivery (PDL).

    Moving in while the home is still supplied: the newcomer orders it with the day they move in
    (`options.move_in_on`), which ends the holder's contract the day before (mailed). Or the
    holder cancels first, and the newcomer orders the free point a few days later, the same month.
    """

    name = "home_changes_hands"
    what = (
        "a home changes hands: a newcomer moves in on a date while it is supplied, or after the holder left"
    )
    profiles = ("electricity_per_invoice", "electricity_monthly", "small_business")

    def begin(self, sim: Context, customer: Customer) -> None:
        successor = customer.successor
        if "moves_out" not in customer.traits or successor is None:
            return
        if "move_in_held" in customer.traits:
            ordered = successor.arrives_on + timedelta(days=5)
            sim.plan(
                successor,
                ordered,
                MORNING,
                "move_in",
                lambda s, c: move_in(s, c, customer, ordered + timedelta(days=7)),
            )
            return
        # the 10th of the month after the newcomer registered; the newcomer moves in on the 15th:
        # the home changes hands within one month, whose close bills each occupant their days
        moving_day = (successor.arrives_on.replace(day=28) + timedelta(days=4)).replace(day=10)
        leave = lambda s, c: cancel(s, c, "immediately", "electricity")  # noqa: E731
        sim.plan(customer, moving_day, MORNING, "move_out", leave)
        arrive = lambda s, c: place(s, c, [energy_item(c)])  # noqa: E731
        sim.plan(successor, moving_day + timedelta(days=5), MORNING, "move_in", arrive)

    @staticmethod
    def pair(customers: list[Customer], rng: random.Random) -> None:
        """Up to two homes change hands (one while still supplied, one after its holder left): a
        leaver and a newcomer arriving at least a month later, each in one move only. The leaver
        cancels nothing else."""
        homes = [c for c in customers if c.profile.name in HomeChangesHands.profiles and c.home is not None]
        pairs = 0
        for leaver in homes:
            if pairs == 2 or leaver.traits & {"moves_in", "moves_out"}:
                continue
            newcomers = [
                c
                for c in homes
                if c.arrives_on > leaver.arrives_on + timedelta(days=30)
                and not c.traits & {"moves_in", "moves_out"}
            ]
            if not newcomers:
                continue
            newcomer = rng.choice(newcomers)
            leaver.traits -= {"cancel_immediately", "cancel_end_of_period", "late_meter_file"}
            # one home changes hands while supplied, the next after its holder left, and so on; a
            # world holding the second share of a population (worlds.py) starts with the other way
            held = (pairs + (customers[0].number // len(PROFILES) if customers else 0)) % 2 == 0
            leaver.traits |= {"home_changes_hands", "moves_out"} | ({"move_in_held"} if held else set())
            newcomer.traits |= {"home_changes_hands", "moves_in"}
            leaver.successor = newcomer
            assert newcomer.home is not None and leaver.home is not None
            newcomer.home = Home(
                pdl=leaver.home.pdl,
                annual_kwh=newcomer.home.annual_kwh,
                heating_share=newcomer.home.heating_share,
                solar_kwp=newcomer.home.solar_kwp,
                seed=newcomer.home.seed + 1,
            )
            pairs += 1


def move_in(sim: Context, newcomer: Customer, holder: Customer, on: date) -> None:
    """The newcomer orders the home's supply from the day they move in; the holder's contract
    ends the day before."""
    held = [s for s in subscriptions(sim, holder) if s["family"] == "electricity" and s["status"] == "active"]
    place(sim, newcomer, [energy_item(newcomer, move_in_on=on)])
    for subscription in held:
        sim.facts.move_outs[subscription["subscription_id"]] = on - timedelta(days=1)


class GoodwillCreditNote(Scenario):
    """After a complaint, the back office credits 5 € on the customer's latest paid invoice (the
    operator API's credit note, refunded by the method that paid)."""

    name = "goodwill_credit_note"
    what = "an operator credits 5 € on the latest paid invoice, refunded by the method that paid"
    share = 0.15

    def begin(self, sim: Context, customer: Customer) -> None:
        sim.plan(customer, some_day(sim, customer, 50, 100), EVENING, self.name, self.credit)

    def credit(self, sim: Context, customer: Customer) -> None:
        page = customer.ok(
            sim.world, "GET", "/invoices?status=paid&kind=invoice&limit=1", route="GET /invoices"
        )
        if page["items"]:
            invoice = page["items"][0]
            sim.operator(
                "POST",
                f"/invoices/operator/customers/{customer.customer_id}/invoices/{invoice['invoice_id']}/credit-notes",
                {
                    "amount_cents": min(500, invoice["total_cents"]),
                    "reason": "Geste commercial après réclamation",
                },
                idempotent=True,
            )


class MobileUse(Scenario):
    name = "mobile_use"
    what = "a mobile line's data use reported by the network; some lines use more than their plan"
    profiles = ("mobile",)

    def begin(self, sim: Context, customer: Customer) -> None:
        customer.daily_gb = sim.rng.choice((0.02, 0.05, 0.08))  # 0.6, 1.5 or 2.4 GB a month


class AbandonedOrder(Scenario):
    name = "abandoned_order"
    what = "order another service and never pay for it: its invoice is voided, the order cancelled"
    habits = ("card", "card_declined_first")
    share = 0.3

    def begin(self, sim: Context, customer: Customer) -> None:
        sim.plan(customer, customer.arrives_on + timedelta(days=25), EVENING, self.name, self.order)

    def order(self, sim: Context, customer: Customer) -> None:
        item = Order.item(customer, "hosting-linux-100")
        item["label"] = f"{item['label']}-essai"
        placed = customer.ok(sim.world, "POST", "/subscriptions/orders", {"items": [item]}, idempotent=True)
        customer.abandoned_orders.add(placed["order_id"])


# --- meter files -----------------------------------------------------------------------------------------


class LateMeterFile(Scenario):
    name = "late_meter_file"
    what = "the last week of a month's readings of a home arrive ten days late, after the close"
    profiles = ("electricity_per_invoice", "surplus_seller", "electricity_monthly")
    share = 0.3

    def eligible(self, customer: Customer) -> bool:
        return super().eligible(customer) and customer.home is not None and "moves_out" not in customer.traits

    def begin(self, sim: Context, customer: Customer) -> None:
        customer.late_month = (customer.arrives_on + timedelta(days=45)).isoformat()[:7]


class CorrectedMeterFile(Scenario):
    name = "corrected_meter_file"
    what = "the grid operator sends corrected readings of a past day: before the close, and after it"
    profiles = ("electricity_per_invoice", "virtual_battery", "small_business")
    share = 0.3

    def eligible(self, customer: Customer) -> bool:
        return super().eligible(customer) and customer.home is not None

    def begin(self, sim: Context, customer: Customer) -> None:
        day = customer.arrives_on + timedelta(days=40)
        sim.plan(customer, day, EVENING, self.name, lambda s, c: correct(s, c, day - timedelta(days=3), 1.08))
        closed = (day.replace(day=1) - timedelta(days=1)).replace(day=20)
        sim.plan(
            customer, day + timedelta(days=12), EVENING, self.name, lambda s, c: correct(s, c, closed, 0.93)
        )


def correct(sim: Context, customer: Customer, day: date, factor: float) -> None:
    assert customer.home is not None
    if day in sim.feed.ledger.days_sent(customer.home.pdl):  # only a day already sent is corrected
        sim.feed.correct(customer.home, day, sim.now, factor)


# --- the back office ---------------------------------------------------------------------------------


class OperatorSuspends(Scenario):
    """The back office suspends a running service by hand (a dispute, a suspected fraud) and
    resumes it ten days later (an operator token with subscriptions:write). Meanwhile the service
    is stopped: a mobile line uses no data, nothing renews it (a service suspended at its term
    expires, docs/LIFECYCLE.md: there is nothing left to resume then), and a payment does not lift
    it. A supply of electricity is cut only through a procedure of its own: not here."""

    name = "operator_suspends"
    what = "the back office suspends a service by hand (a dispute, a fraud) and resumes it 10 days later"
    profiles = ("isp", "hosting", "mobile", "small_business")
    share = 0.3
    DAYS = 10

    def begin(self, sim: Context, customer: Customer) -> None:
        sim.plan(customer, some_day(sim, customer, 35, 60), MORNING, self.name, self.suspend)

    def suspend(self, sim: Context, customer: Customer) -> None:
        running = sorted(
            (
                item
                for item in held(sim, customer)
                if item["status"] == "active"
                and item["family"] != "electricity"
                and not item.get("cancel_at")
            ),
            key=lambda item: item["label"],
        )
        if not running:
            return
        chosen = sim.rng.choice(running)
        sid = chosen["subscription_id"]
        answer = sim.operator(
            "POST", f"/subscriptions/operator/customers/{customer.customer_id}/subscriptions/{sid}/suspend"
        )
        assert answer["status"] == "suspended", f"suspended by hand, the subscription is {answer['status']}"
        sim.facts.suspended_by_hand[sid] = HandSuspension(customer.customer_id, sim.today)
        sim.later(customer, self.DAYS, self.name, lambda s, c: self.resume(s, c, sid))

    def resume(self, sim: Context, customer: Customer, sid: str) -> None:
        subscription = next((item for item in held(sim, customer) if item["subscription_id"] == sid), None)
        if subscription is None or subscription["status"] != "suspended":
            return  # it ended meanwhile (expired at its term, cancelled): nothing to resume
        answer = sim.operator(
            "POST", f"/subscriptions/operator/customers/{customer.customer_id}/subscriptions/{sid}/resume"
        )
        assert answer["status"] == "active", f"resumed by hand, the subscription is {answer['status']}"
        sim.facts.suspended_by_hand[sid].resumed_on = sim.today


def held(sim: Context, customer: Customer) -> list[dict[str, Any]]:
    """The customer's subscriptions as the back office sees them (what the service stored)."""
    return list(sim.world.mirrors["subscriptions"].partition(f"CUSTOMER#{customer.customer_id}", "SUB#"))


# --- waiting for an API -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    name: str
    what: str
    waits_for: str


WAITING: tuple[Waiting, ...] = ()

CATALOGUE: tuple[Scenario, ...] = (
    Join(),
    BankDetails(),
    PreferredMethod(),
    Order(),
    Configure(),
    PayInvoices(),
    RetryAfterFailure(),
    ChequeNeverArrives(),
    ChequeArrives(),
    PayAfterReminder(),
    FixBankDetails(),
    AutoRenewYearly(),
    AutoRenewOff(),
    RenewByHand(),
    CancelEndOfPeriod(),
    WithdrawCancellation(),
    CancelImmediately(),
    ChangePlan(),
    ChangeEnergyContract(),
    UpdateAddress(),
    HomeChangesHands(),
    LateMeterFile(),
    CorrectedMeterFile(),
    GoodwillCreditNote(),
    MobileUse(),
    AbandonedOrder(),
    OperatorSuspends(),
)


def cast(customers: list[Customer], rng: random.Random) -> None:
    """Give each scenario to its share of the eligible customers (at least one of them), in the
    catalogue's order: a scenario may depend on the traits given before it."""
    for scenario in CATALOGUE:
        if scenario.name == "home_changes_hands":
            HomeChangesHands.pair(customers, rng)
            continue
        eligible = [customer for customer in customers if scenario.eligible(customer)]
        if not eligible:
            continue
        chosen = [customer for customer in eligible if rng.random() < scenario.share]
        for customer in chosen or [rng.choice(eligible)]:
            customer.traits.add(scenario.name)


def played_by(customer: Customer) -> list[Scenario]:
    return [scenario for scenario in CATALOGUE if scenario.name in customer.traits]


__all__ = [
    "CATALOGUE",
    "WAITING",
    "ApiError",
    "Context",
    "Facts",
    "HandSuspension",
    "Scenario",
    "cast",
    "played_by",
]
