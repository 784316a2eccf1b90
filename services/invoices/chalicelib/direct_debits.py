"""The daily direct-debit collection (`collect_direct_debits`): installments and direct-debit
invoices due, the regularizations of payment schedules, and the surplus resale invoices paid out
on their due date (a transfer to the account on file, refunds.py).

Every action is guarded by a conditional write (an installment leaves the `due` index when
collected, a payment locks its invoice), so overlapping runs act once; an invoice that cannot be
collected does not stop the others. AWS failing for a moment on one does not stop the others
either, but fails the run once the others are done, before its day is marked covered: Lambda runs
it again, and the debit of that invoice is made again under the same key (the day's), so the
provider answers the same debit, never a second one.
"""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools import Logger
from guichet_contracts import web
from guichet_contracts.errors import ServiceUnavailable

from . import invoicing, payment_schedules, payments, refunds
from .job_days import days_to_cover, due, mark_covered
from .models import Installment, Invoice, Schedule

logger = Logger(child=True)


def collect_direct_debits(now: datetime) -> dict[str, int]:
    today = invoicing.local_day(now)
    outcome = {"installments": 0, "invoices": 0, "failed": 0, "regularizations": 0, "payouts": 0}
    transient: list[Exception] = []
    for day in days_to_cover("collect_direct_debits", today):
        for item in due("INSTALLMENT_DUE", day):
            if isinstance(item, Installment):
                result = payment_schedules.collect(item, now)
                outcome["installments"] += result == "paid"
                outcome["failed"] += result in ("failed", "retrying")
        for item in due("INVOICE_DUE", day):
            if isinstance(item, Invoice) and item.payment_mode == "direct_debit" and item.status == "open":
                try:
                    payment = payments.pay(
                        item.customer_id,
                        [item.invoice_id],
                        method="direct_debit",
                        now=now,
                        request_key=f"direct-debit:{item.invoice_id}:{day}",
                    )
                except Exception as error:  # an invoice that cannot be collected must not stop the others
                    logger.warning(
                        "direct debit not made", extra={"invoice_id": item.invoice_id, "error": str(error)}
                    )
                    if web.transient(error) or isinstance(error, ServiceUnavailable):  # AWS, the provider
                        transient.append(error)
                    continue
                outcome["invoices"] += payment.status == "succeeded"
                outcome["failed"] += payment.status == "failed"
        for item in due("PAYOUT_DUE", day):
            if isinstance(item, Invoice) and item.kind == "resale" and item.status == "open":
                refunds.refund(item, paid_by=None, now=now)
                outcome["payouts"] += 1
        for item in due("REGULARIZATION_DUE", day):
            if isinstance(item, Schedule) and not item.regularized:
                payment_schedules.regularize(item, now)
                outcome["regularizations"] += 1
    if transient:
        raise transient[0]  # the run is made again (its day not covered), the rest acting once
    mark_covered("collect_direct_debits", today)
    return outcome
