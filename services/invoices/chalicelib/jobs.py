"""The daily jobs of the invoices service: direct debits and overdue invoices.

Each job takes "now" as a parameter, remembers the last day it covered and reads from the
`due` index the days it has not covered yet, so a late run catches up and a second run does
nothing more. Every action is guarded by a conditional write (an installment leaves the index
when collected, a reminder stage is stamped once), so overlapping runs act once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from . import billing_parties, invoicing, mailing, payments, schedules
from .models import Installment, Invoice, Item, JobRun, Schedule, Stamp

logger = Logger(child=True)

FIRST_RUN_CATCH_UP_DAYS = 7
REMINDER_STAGES = {1: 1, 2: 15, 3: 30}  # stage -> days after the due date


def days_to_cover(job: str, last: date) -> list[date]:
    try:
        covered = date.fromisoformat(JobRun.get(f"JOB#{job}", "JOB").covered_until)
    except DoesNotExist:
        covered = last - timedelta(days=FIRST_RUN_CATCH_UP_DAYS)
    return [covered + timedelta(days=offset) for offset in range(1, (last - covered).days + 1)]


def mark_covered(job: str, last: date) -> None:
    try:
        JobRun(f"JOB#{job}", "JOB", covered_until=last.isoformat()).save(
            condition=JobRun.pk.does_not_exist() | (JobRun.covered_until < last.isoformat())
        )
    except PutError:
        pass


def due(kind: str, day: date) -> Iterator[Item]:
    return Item.due.query(f"{kind}#{day.isoformat()}")


def collect_direct_debits(now: datetime) -> dict[str, int]:
    today = invoicing.local_day(now)
    outcome = {"installments": 0, "invoices": 0, "failed": 0, "regularizations": 0}
    for day in days_to_cover("collect_direct_debits", today):
        for item in due("INSTALLMENT_DUE", day):
            if isinstance(item, Installment):
                result = schedules.collect(item, now)
                outcome["installments"] += result == "paid"
                outcome["failed"] += result == "failed"
        for item in due("INVOICE_DUE", day):
            if isinstance(item, Invoice) and item.payment_mode == "direct_debit" and item.status == "open":
                try:
                    payment = payments.pay(
                        item.customer_id, [item.invoice_id], method="direct_debit", now=now
                    )
                except Exception as error:  # an invoice that cannot be collected must not stop the others
                    logger.warning(
                        "direct debit not made", extra={"invoice_id": item.invoice_id, "error": str(error)}
                    )
                    continue
                outcome["invoices"] += payment.status == "succeeded"
                outcome["failed"] += payment.status == "failed"
        for item in due("REGULARIZATION_DUE", day):
            if isinstance(item, Schedule) and not item.regularized:
                schedules.regularize(item, now)
                outcome["regularizations"] += 1
    mark_covered("collect_direct_debits", today)
    return outcome


def mark_overdue(now: datetime) -> dict[str, int]:
    """Open invoices past due become overdue; reminders go 1, 15 and 30 days late, one per stage."""
    today = invoicing.local_day(now)
    outcome = {"overdue": 0, "reminders": 0}
    for day in days_to_cover("mark_overdue", today):
        for item in due("INVOICE_DUE", day - timedelta(days=1)):
            if not isinstance(item, Invoice) or item.status != "open" or item.amount_due_cents <= 0:
                continue
            if _become_overdue(item):
                outcome["overdue"] += 1
                outcome["reminders"] += _remind(item, today)
        for item in due("OVERDUE", day):
            if isinstance(item, Invoice) and item.status == "overdue" and item.amount_due_cents > 0:
                outcome["reminders"] += _remind(item, today)
    mark_covered("mark_overdue", today)
    return outcome


def _become_overdue(invoice: Invoice) -> bool:
    try:
        invoice.update(actions=[Invoice.status.set("overdue")], condition=Invoice.status == "open")
    except UpdateError:
        return False  # paid, or marked by an overlapping run
    return True


def _remind(invoice: Invoice, today: date) -> int:
    late = (today - date.fromisoformat(invoice.due_on)).days
    reached = [stage for stage, days in REMINDER_STAGES.items() if late >= days]
    if not reached:
        return 0
    stage = max(reached)
    following = [days for stage_, days in REMINDER_STAGES.items() if stage_ > stage]
    if following:
        next_day = date.fromisoformat(invoice.due_on) + timedelta(days=min(following))
        actions: list[Any] = [Invoice.due_pk.set(f"OVERDUE#{next_day.isoformat()}")]
    else:
        actions = [Invoice.due_pk.remove(), Invoice.due_sk.remove()]
    try:
        Stamp(f"STAMP#reminder#{invoice.invoice_id}", f"STAGE#{stage}").save(
            condition=Stamp.pk.does_not_exist()
        )
    except PutError:
        invoice.update(actions=actions)
        return 0
    party = billing_parties.get(invoice.customer_id)
    language = party.language if party else invoice.language
    mailing.notify(
        "overdue_reminder",
        party,
        number=invoice.number,
        total_due=mailing.money(int(invoice.amount_due_cents), invoice.currency, language),
        due_on=mailing.day(invoice.due_on, language),
        days_late=late,
        stage=stage,
        pay_url=mailing.portal_link("invoice", id=invoice.invoice_id),
    )
    invoice.update(actions=actions)
    logger.info("overdue reminder sent", extra={"invoice_id": invoice.invoice_id, "stage": stage})
    return 1
