"""Dunning, the daily job `mark_overdue`: overdue invoices, their reminders, then suspension or void.

Like every daily job it covers the days it has not covered yet (job_days), and every action is
guarded by a conditional write (a reminder stage is stamped once), so overlapping runs act once.

Dunning: the day after its due date an open invoice becomes overdue; then
- an invoice that bills subscriptions (a renewal, a month of energy, telecom usage) is reminded
  1, 15 and 30 days late; the last reminder names the day its service will be suspended,
  SUSPEND_AFTER_DAYS late, and on that day, still unpaid, InvoiceUnpaid is published once (the
  subscriptions service suspends them; their payment is announced by InvoicePaid);
- a purchase order's invoice (nothing is provisioned before it is paid) is reminded 1 day late
  with the day its order will be cancelled, and on that day, VOID_AFTER_DAYS late, it is voided
  (order_settlement.void_unpaid);
- any other invoice is reminded 1, 15 and 30 days late.
An invoice held by a cheque or TIP on its way is neither suspended nor voided until an
operator records that payment: the job looks at it again the next day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import events
from pynamodb.exceptions import PutError, UpdateError

from . import billing_parties, invoicing, mailing, order_settlement
from .job_days import days_to_cover, due, mark_covered
from .models import Invoice, Stamp
from .settings import settings

logger = Logger(child=True)

REMINDER_STAGES = {1: 1, 2: 15, 3: 30}  # stage -> days after the due date
ORDER_REMINDER_STAGES = {1: 1}  # a purchase's invoice: one reminder, then it is voided
SUSPEND_AFTER_DAYS = 38  # eight days after the last reminder
VOID_AFTER_DAYS = order_settlement.VOID_AFTER_DAYS


def mark_overdue(now: datetime) -> dict[str, int]:
    """Open invoices past due become overdue, are reminded, then suspended or voided (see the module)."""
    today = invoicing.local_day(now)
    outcome = {"overdue": 0, "reminders": 0, "unpaid": 0, "voided": 0}
    for day in days_to_cover("mark_overdue", today):
        for item in due("INVOICE_DUE", day - timedelta(days=1)):
            if not isinstance(item, Invoice) or item.status != "open" or item.amount_due_cents <= 0:
                continue
            if _become_overdue(item):
                outcome["overdue"] += 1
                outcome["reminders"] += _remind(item, today)
        for item in due("OVERDUE", day):
            if not isinstance(item, Invoice):
                continue
            if item.status == "void":  # voided by a run that stopped half way: finish it
                outcome["voided"] += order_settlement.void_unpaid(item, today=today, now=now) == "voided"
            elif item.status == "overdue" and item.amount_due_cents > 0:
                action = _next_step(item, today)
                if action == "void":
                    outcome["voided"] += _void(item, today, now)
                elif action == "suspend":
                    outcome["unpaid"] += _unpaid(item, today)
                else:
                    outcome["reminders"] += _remind(item, today)
    mark_covered("mark_overdue", today)
    return outcome


def _late(invoice: Invoice, today: date) -> int:
    return (today - date.fromisoformat(invoice.due_on)).days


def _next_step(invoice: Invoice, today: date) -> str:
    late = _late(invoice, today)
    if invoice.subscription_ids and late >= SUSPEND_AFTER_DAYS:
        return "suspend"
    if late >= VOID_AFTER_DAYS and order_settlement.voidable(invoice) is not None:
        return "void"
    return "remind"


def _stages(invoice: Invoice) -> dict[int, int]:
    if not invoice.subscription_ids and order_settlement.voidable(invoice) is not None:
        return ORDER_REMINDER_STAGES
    return REMINDER_STAGES


def _become_overdue(invoice: Invoice) -> bool:
    try:
        invoice.update(actions=[Invoice.status.set("overdue")], condition=Invoice.status == "open")
    except UpdateError:
        return False  # paid, or marked by an overlapping run
    return True


def _look_again(invoice: Invoice, day: date) -> None:
    invoice.update(actions=[Invoice.due_pk.set(f"OVERDUE#{day.isoformat()}")])


def _void(invoice: Invoice, today: date, now: datetime) -> int:
    result = order_settlement.void_unpaid(invoice, today=today, now=now)
    if result in ("held", "kept") and invoice.status == "overdue" and invoice.amount_due_cents > 0:
        _look_again(invoice, today + timedelta(days=1))  # a cheque on its way, or a payment racing
    return int(result == "voided")


def _unpaid(invoice: Invoice, today: date) -> int:
    """InvoiceUnpaid, once: its subscriptions are suspended (see the module)."""
    if invoice.pending_payment_id:
        _look_again(invoice, today + timedelta(days=1))
        return 0
    try:
        Stamp(f"STAMP#unpaid#{invoice.invoice_id}", "UNPAID").save(condition=Stamp.pk.does_not_exist())
    except PutError:
        invoice.update(actions=[Invoice.due_pk.remove(), Invoice.due_sk.remove()])
        return 0
    try:
        _publish_unpaid(invoice, today)
    except Exception:
        Stamp(f"STAMP#unpaid#{invoice.invoice_id}", "UNPAID").delete()  # untold: the next run tries again
        raise
    invoice.update(actions=[Invoice.due_pk.remove(), Invoice.due_sk.remove()])
    logger.info(
        "invoice unpaid after its last reminder: its subscriptions are to be suspended",
        extra={
            "invoice_id": invoice.invoice_id,
            "subscription_ids": [str(item) for item in invoice.subscription_ids],
        },
    )
    return 1


def _publish_unpaid(invoice: Invoice, today: date) -> None:
    from guichet_contracts.domain_events.invoices import InvoiceUnpaid

    events.publish(
        InvoiceUnpaid(
            invoice_id=invoice.invoice_id,
            number=invoice.number,
            customer_id=invoice.customer_id,
            order_id=invoice.order_id,
            subscription_ids=[str(item) for item in invoice.subscription_ids or []],
            due_on=date.fromisoformat(invoice.due_on),
            amount_due_cents=int(invoice.amount_due_cents),
            currency=invoice.currency,
            days_late=_late(invoice, today),
        ),
        bus_name=settings.event_bus_name,
    )


def _remind(invoice: Invoice, today: date) -> int:
    late = _late(invoice, today)
    stages = _stages(invoice)
    reached = [stage for stage, days in stages.items() if late >= days]
    if not reached:
        return 0
    stage = max(reached)
    due_on = date.fromisoformat(invoice.due_on)
    following = [days for stage_, days in stages.items() if stage_ > stage]
    suspend_on = due_on + timedelta(days=SUSPEND_AFTER_DAYS) if invoice.subscription_ids else None
    cancel_on = due_on + timedelta(days=VOID_AFTER_DAYS) if stages is ORDER_REMINDER_STAGES else None
    if following:
        next_day: date | None = due_on + timedelta(days=min(following))
    else:
        next_day = suspend_on or cancel_on
    if next_day is not None:
        next_day = max(next_day, today + timedelta(days=1))  # a run catching up acts on it tomorrow
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
    last = not following
    mailing.notify(
        "overdue_reminder",
        party,
        customer_id=invoice.customer_id,
        number=invoice.number,
        total_due=mailing.money(int(invoice.amount_due_cents), invoice.currency, language),
        due_on=mailing.day(invoice.due_on, language),
        days_late=late,
        stage=stage,
        suspend_on=mailing.day(suspend_on, language) if suspend_on and last else None,
        cancel_on=mailing.day(cancel_on, language) if cancel_on else None,
        pay_url=mailing.portal_link("invoice", id=invoice.invoice_id),
    )
    invoice.update(actions=actions)
    logger.info("overdue reminder sent", extra={"invoice_id": invoice.invoice_id, "stage": stage})
    return 1
