"""The payment schedule (échéancier) of a monthly payer, its direct debits and its regularization.

A monthly payer's year of energy is estimated when the contract starts, split into monthly
installments debited by the daily job on their due dates (each exactly once: an installment
leaves the `due` index in the transaction that records its payment). The energy actually
consumed arrives month by month (ConsumptionPeriodClosed); at the end of the year a
regularization invoice bills the actual amount minus the installments paid (a negative total
is owed to the customer and settled as such).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger
from dateutil.relativedelta import relativedelta
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from . import billing_parties, invoicing, mailing
from .errors import NotFound
from .models import Installment, Schedule, customer_pk, transaction

logger = Logger(child=True)

INSTALLMENTS = 12
DEBIT_DAY = 5


def as_dict(schedule: Schedule, installments: list[Installment]) -> dict[str, Any]:
    return {
        "year": int(schedule.year),
        "estimated_annual_cents": int(schedule.estimated_annual_cents),
        "currency": schedule.currency,
        "installments": [
            {
                "number": int(item.number),
                "due_on": item.due_on,
                "amount_cents": int(item.amount_cents),
                "status": item.status,
            }
            for item in sorted(installments, key=lambda installment: int(installment.number))
        ],
        "regularization_on": schedule.regularization_on,
        "consumption_billed_cents": int(schedule.consumption_cents or 0),
    }


def current(customer_id: str, today: date) -> dict[str, Any]:
    """The schedule of the customer's current contract year (404 for a customer who pays per invoice)."""
    schedules = list(
        Schedule.query(
            customer_pk(customer_id), Schedule.sk.startswith("SCHEDULE#"), scan_index_forward=False, limit=3
        )
    )
    live = [
        schedule for schedule in schedules if schedule.regularization_on >= today.isoformat()
    ] or schedules
    if not live:
        raise NotFound()
    schedule = live[-1] if len(live) > 1 and live[-1].year <= today.year else live[0]
    installments = list(
        Installment.query(
            customer_pk(customer_id), Installment.sk.startswith(f"INSTALLMENT#{int(schedule.year)}#")
        )
    )
    return as_dict(schedule, installments)


def split(total_cents: int, parts: int) -> list[int]:
    """Equal installments in cents; the first ones carry the remainder, so they sum to the total."""
    base, extra = divmod(total_cents, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def create(customer_id: str, *, start: date, estimated_annual_cents: int, currency: str = "EUR") -> bool:
    """Create a year of installments from the month after `start`; False when it already exists."""
    first_due = (start.replace(day=1) + relativedelta(months=1)).replace(day=DEBIT_DAY)
    year = first_due.year
    schedule = Schedule(
        customer_pk(customer_id),
        f"SCHEDULE#{year}",
        customer_id=customer_id,
        year=year,
        estimated_annual_cents=estimated_annual_cents,
        installments_count=INSTALLMENTS,
        regularization_on=(first_due + relativedelta(months=INSTALLMENTS)).replace(day=1).isoformat(),
        currency=currency,
    )
    schedule.due_pk = f"REGULARIZATION_DUE#{schedule.regularization_on}"
    schedule.due_sk = f"{customer_id}#{year}"
    try:
        with transaction() as write:
            write.save(schedule, condition=Schedule.pk.does_not_exist())
            for number, amount in enumerate(split(estimated_annual_cents, INSTALLMENTS), start=1):
                due_on = (first_due + relativedelta(months=number - 1)).isoformat()
                write.save(
                    Installment(
                        customer_pk(customer_id),
                        f"INSTALLMENT#{year}#{number:02d}",
                        customer_id=customer_id,
                        year=year,
                        number=number,
                        due_on=due_on,
                        amount_cents=amount,
                        status="scheduled",
                        due_pk=f"INSTALLMENT_DUE#{due_on}",
                        due_sk=f"{customer_id}#{year}#{number:02d}",
                    )
                )
    except TransactWriteError:
        try:
            Schedule.get(schedule.pk, schedule.sk)
        except DoesNotExist:
            raise
        return False  # already created (the event was delivered twice)
    return True


def add_consumption(customer_id: str, *, month: str, amount_cents: int) -> bool:
    """Count a closed month of energy toward the year's regularization (once per month)."""
    open_years = [
        schedule
        for schedule in Schedule.query(customer_pk(customer_id), Schedule.sk.startswith("SCHEDULE#"))
        if schedule.regularization_on > f"{month}-01" and not schedule.regularized
    ]
    if not open_years:
        return False
    schedule = min(open_years, key=lambda candidate: candidate.regularization_on)
    try:
        schedule.update(
            actions=[
                Schedule.consumption_cents.add(amount_cents),
                Schedule.consumption_months.set(Schedule.consumption_months.append([month])),
            ],
            condition=~Schedule.consumption_months.contains(month),
        )
    except UpdateError:
        return False  # this month was already counted
    return True


def collect(installment: Installment, now: datetime) -> str:
    """Debit one installment through the customer's mandate; exactly once."""
    from .models import BankAccount
    from .payment_provider import provider

    try:
        account = BankAccount.get(customer_pk(installment.customer_id), "BANK_ACCOUNT")
    except DoesNotExist:
        logger.warning("installment without mandate", extra={"customer_id": installment.customer_id})
        return "no_mandate"
    try:
        installment.update(
            actions=[Installment.status.set("collecting")],
            condition=Installment.status == "scheduled",
        )
    except UpdateError:
        return "already"
    charge = provider(invoicing.settings.payment_provider).debit_account(
        iban=account.iban,
        mandate_reference=account.mandate_reference,
        amount_cents=int(installment.amount_cents),
        currency="EUR",
        idempotency_key=f"{installment.customer_id}:{installment.sk}",
        description=f"Échéance {int(installment.number)}/{INSTALLMENTS} {int(installment.year)}",
    )
    status = "paid" if charge.status == "succeeded" else "failed"
    installment.update(
        actions=[
            Installment.status.set(status),
            Installment.payment_id.set(charge.reference),
            Installment.due_pk.remove(),
            Installment.due_sk.remove(),
        ]
    )
    if status == "paid":
        party = billing_parties.get(installment.customer_id)
        language = party.language if party else "fr"
        mailing.notify(
            "schedule_installment_debited",
            party,
            year=int(installment.year),
            installment_number=int(installment.number),
            installments_count=INSTALLMENTS,
            amount=mailing.money(int(installment.amount_cents), "EUR", language),
            debited_on=mailing.day(installment.due_on, language),
            schedule_url=mailing.portal_link("schedule"),
        )
    return status


def regularize(schedule: Schedule, now: datetime) -> Any:
    """The year's regularization invoice: energy actually billed minus the installments paid."""
    installments = list(
        Installment.query(
            customer_pk(schedule.customer_id), Installment.sk.startswith(f"INSTALLMENT#{int(schedule.year)}#")
        )
    )
    paid = sum(int(item.amount_cents) for item in installments if item.status == "paid")
    actual = int(schedule.consumption_cents or 0)
    rate = Decimal("20.0")
    lines = [
        invoicing.line_excluding_tax(
            description=f"Consommation réelle {int(schedule.year)}",
            quantity=Decimal(1),
            unit="unit",
            unit_price_cents=Decimal(actual),
            tax_rate=rate,
            tax_included=True,
        ),
        invoicing.line_excluding_tax(
            description=f"Mensualités prélevées {int(schedule.year)}",
            quantity=Decimal(-1),
            unit="unit",
            unit_price_cents=Decimal(paid),
            tax_rate=rate,
            tax_included=True,
        ),
    ]
    invoice = invoicing.issue(
        schedule.customer_id,
        kind="regularization",
        source=f"REGULARIZATION#{schedule.customer_id}#{int(schedule.year)}",
        lines=lines,
        issued_on=invoicing.local_day(now),
        now=now,
        payment_mode="direct_debit",
    )
    try:
        schedule.update(
            actions=[Schedule.regularized.set(True), Schedule.due_pk.remove(), Schedule.due_sk.remove()],
            condition=Schedule.regularized == False,  # noqa: E712 (a DynamoDB condition, not a Python test)
        )
    except UpdateError:
        pass
    return invoice
