"""Demo invoices of the local run (API.md "Local run"). Never packaged: it lives outside chalicelib.

Fourteen months of invoices for each demo customer, consistent with the subscriptions the
subscriptions demo gives them (same products and prices): the ISP subscriber's and the hosting
customer's latest invoice is still open, one older invoice of the mobile customer is overdue,
the energy customers pay monthly installments (the schedule each contract got when the
subscriptions demo announced it) and got their first year's regularization, and the surplus
seller has its resale invoices. Customers are found through the billing parties that
auth's demo events created. Loading twice changes nothing (every invoice has its business key).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib import invoicing, payment_schedules, vat
from chalicelib.models import BankAccount, BillingParty, Installment, Invoice, Item, Schedule, customer_pk
from dateutil.relativedelta import relativedelta

MONTHS = 14
# email -> (monthly lines [(description, TTC cents)], yearly lines, payment mode)
CUSTOMERS: dict[str, dict[str, Any]] = {
    "abonne@demo.guichet.test": {
        "monthly": [
            ("Pack Site Basic — etre-visible", 990),
            ("Pack hébergement Linux 100 Mo — solutionslogis", 499),
            ("Pack hébergement Windows 50 Mo — solutionslogis", 599),
        ],
        "yearly": [("Pack Relais Confort — etre-visible.com", 3900, 4)],
        "open_latest": True,
    },
    "mobile@demo.guichet.test": {
        "monthly": [
            ("Forfait 50 Go — 06 12 34 56 04", 999),
            ("Fibre Essentielle — Box fibre Paris 19e", 2999),
        ],
        "overdue_months_ago": 3,
    },
    "hebergement@demo.guichet.test": {
        "monthly": [
            ("Hébergement Linux 1 Go — conti-web.it", 999),
            ("Hébergement Windows 500 Mo — gestionale", 1199),
        ],
        "yearly": [("Pack Relais Essentiel — conti-web.it", 1490, 7)],
        "open_latest": True,
    },
    "surplus@demo.guichet.test": {
        "energy": {"subscription_cents": 1674, "rate": Decimal("19.40"), "kwh": (180, 420)},
        "resale": {"rate": Decimal("10.00"), "kwh": (20, 260)},
    },
    "stockage@demo.guichet.test": {"schedule": 108_000},
    "verte@demo.guichet.test": {"schedule": 192_000},
}
DEMO_IBAN = "FR7630006000011234567890189"


def _parties() -> dict[str, BillingParty]:
    found = Item.scan(BillingParty.email.is_in(*CUSTOMERS))  # demo data only: a few items locally
    return {item.email: item for item in found if isinstance(item, BillingParty)}


def _line(
    description: str, cents: int, unit: str = "month", quantity: Decimal = Decimal(1)
) -> vat.PricedLine:
    return vat.line_excluding_tax(
        description=description,
        quantity=quantity,
        unit=unit,
        unit_price_cents=Decimal(cents),
        tax_rate=Decimal("20.0"),
        tax_included=True,
    )


def _seasonal(low: int, high: int, month: int) -> Decimal:
    """A month's kWh between low and high, highest in winter (or in summer for production)."""
    winter = abs(month - 7) / 6
    return Decimal(low + round((high - low) * winter))


def load(now: datetime) -> list[dict[str, str]]:
    today = invoicing.local_day(now)
    first_month = today.replace(day=1) - relativedelta(months=MONTHS - 1)
    plans: list[tuple[date, str, dict[str, Any]]] = []
    parties = _parties()
    for email in parties:
        for offset in range(MONTHS):
            month = first_month + relativedelta(months=offset)
            issued = month + timedelta(days=1)
            if month == today.replace(day=1):
                issued = max(issued, today - timedelta(days=3))  # the latest is recent: not yet due
            if issued > today:
                continue
            plans.append((issued, email, {"month": month}))
    # Issue in date order across customers: numbers follow the calendar, as a real year's would.
    for issued, email, context in sorted(plans, key=lambda plan: (plan[0], plan[1])):
        _issue_month(parties[email], CUSTOMERS[email], issued, context["month"], today, now)
    for email, party in parties.items():
        if "schedule" in CUSTOMERS[email]:
            _schedule(party.customer_id, CUSTOMERS[email]["schedule"], today, now)
    return []


def _issue_month(
    party: BillingParty, plan: dict[str, Any], issued: date, month: date, today: date, now: datetime
) -> None:
    customer_id = party.customer_id
    latest = month.year == today.year and month.month == today.month
    moment = datetime.combine(issued, datetime.min.time(), tzinfo=now.tzinfo) + timedelta(hours=6)
    period = (month, month + relativedelta(months=1) - timedelta(days=1))
    lines = [_line(description, cents) for description, cents in plan.get("monthly", [])]
    lines += [
        _line(description, cents, "year")
        for description, cents, at_month in plan.get("yearly", [])
        if month.month == at_month
    ]
    if "energy" in plan:
        energy = plan["energy"]
        kwh = _seasonal(*energy["kwh"], month.month)
        lines = [
            _line(f"Abonnement électricité {month:%m/%Y}", energy["subscription_cents"]),
            vat.line_excluding_tax(
                description=f"Consommation {month:%m/%Y}",
                quantity=kwh,
                unit="kWh",
                unit_price_cents=energy["rate"],
                tax_rate=Decimal("20.0"),
                tax_included=False,
            ),
        ]
    if lines:
        overdue = plan.get("overdue_months_ago")
        is_overdue = bool(overdue) and month == today.replace(day=1) - relativedelta(months=overdue)
        open_now = (latest and plan.get("open_latest")) or is_overdue
        invoice = invoicing.issue(
            customer_id,
            kind="invoice",
            source=f"DEMO#{customer_id}#{month:%Y-%m}",
            lines=lines,
            issued_on=issued,
            now=moment,
            period=period,
            payment_mode="card",
            already_paid=not open_now,
        )
        if is_overdue and invoice.status == "open":
            invoice.update(
                actions=[Invoice.status.set("overdue"), Invoice.due_pk.remove(), Invoice.due_sk.remove()]
            )
    if "resale" in plan:
        resale = plan["resale"]
        invoicing.issue(
            customer_id,
            kind="resale",
            source=f"DEMO-RESALE#{customer_id}#{month:%Y-%m}",
            lines=[
                vat.line_excluding_tax(
                    description=f"Rachat du surplus injecté {month:%m/%Y}",
                    quantity=Decimal(resale["kwh"][1] + resale["kwh"][0])
                    - _seasonal(*resale["kwh"], month.month),
                    unit="kWh",
                    unit_price_cents=resale["rate"],
                    tax_rate=Decimal("0"),
                    tax_included=False,
                )
            ],
            issued_on=issued,
            now=moment,
            period=period,
            payment_mode="transfer",
            already_paid=True,
        )


def _schedule(customer_id: str, estimated: int, today: date, now: datetime) -> None:
    """A monthly payer: the mandate, and each contract's schedule as the last 14 months left it:
    its first year's installments debited, its months consumed, regularized on its day (debited),
    and the next year's installments debited until today."""
    if not list(BankAccount.query(customer_pk(customer_id), BankAccount.sk == "BANK_ACCOUNT")):
        BankAccount(
            customer_pk(customer_id),
            "BANK_ACCOUNT",
            customer_id=customer_id,
            iban=DEMO_IBAN,
            bic="AGRIFRPPXXX",
            holder="Titulaire démo",
            mandate_reference=f"GUICHET-{customer_id.replace('-', '').upper()}-0001",
            mandate_sequence=1,
            signed_on=(today - relativedelta(years=2)).isoformat(),
            updated_at=now,
        ).save()
    years = list(Schedule.query(customer_pk(customer_id), Schedule.sk.startswith("SCHEDULE#")))
    if not years:  # the subscriptions demo did not announce the contract: one of the demo's own
        payment_schedules.create(
            customer_id,
            f"demo-{customer_id}",
            start=today - timedelta(days=430),
            estimated_annual_cents=estimated,
        )
        years = list(Schedule.query(customer_pk(customer_id), Schedule.sk.startswith("SCHEDULE#")))
    for subscription_id in sorted({schedule.subscription_id for schedule in years}):
        contract_years = sorted(
            (schedule for schedule in years if schedule.subscription_id == subscription_id),
            key=lambda schedule: int(schedule.year),
        )
        first = contract_years[0]
        if not first.regularized and first.regularization_on <= today.isoformat():
            _debited_until(first, date.fromisoformat(first.regularization_on))
            _consumed(first, int(first.estimated_annual_cents) + 4_213)
            moment = datetime.combine(
                date.fromisoformat(first.regularization_on), datetime.min.time(), tzinfo=now.tzinfo
            ) + timedelta(hours=4)
            regularization = payment_schedules.regularize(first, moment)
            if regularization.status == "open":  # collected by direct debit long ago
                regularization.update(
                    actions=[
                        Invoice.status.set("paid"),
                        Invoice.amount_due_cents.set(0),
                        Invoice.due_pk.remove(),
                        Invoice.due_sk.remove(),
                    ]
                )
        for schedule in Schedule.query(
            customer_pk(customer_id), Schedule.sk.startswith(f"SCHEDULE#{subscription_id}#")
        ):
            if not schedule.regularized:
                _debited_until(schedule, today)
                if not schedule.consumption_months:
                    _consumed(
                        schedule, int(schedule.estimated_annual_cents) // 12, until=today.replace(day=1)
                    )


def _debited_until(schedule: Schedule, day: date) -> None:
    """The schedule's installments due before `day`, debited."""
    for installment in Installment.query(
        customer_pk(schedule.customer_id),
        Installment.sk.startswith(f"INSTALLMENT#{schedule.subscription_id}#{int(schedule.year)}#"),
    ):
        if installment.status == "scheduled" and installment.due_on < day.isoformat():
            installment.update(
                actions=[
                    Installment.status.set("paid"),
                    Installment.due_pk.remove(),
                    Installment.due_sk.remove(),
                ]
            )


def _consumed(schedule: Schedule, cents: int, *, until: date | None = None) -> None:
    """The months of the schedule's year closed before `until` (all of them by default): `cents`
    for the year, or a month each when `until` is given."""
    regularization_on = date.fromisoformat(schedule.regularization_on)
    month = (regularization_on - relativedelta(months=12)).replace(day=1)
    months = []
    while month < min(regularization_on, until or regularization_on):
        months.append(f"{month:%Y-%m}")
        month += relativedelta(months=1)
    total = cents * len(months) if until else cents
    if months:
        schedule.update(
            actions=[Schedule.consumption_cents.set(total), Schedule.consumption_months.set(months)]
        )
