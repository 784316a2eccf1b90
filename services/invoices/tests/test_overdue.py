"""Overdue invoices: the daily job marks an open invoice overdue the day after its due date and
sends the reminders of stage 1 (1 day late), 2 (15 days) and 3 (30 days), each once, whatever how
often it runs; a paid invoice is never marked.

Time is the job's `now`; the invoices are issued in 2037, a year of this module's own.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from conftest import (
    forget_job_marks,
    issue_invoice,
    job_ran_until,
    mails_to,
    paris_noon,
    priced,
    stored_invoice,
    subject,
)

ISSUED_ON = date(2037, 3, 2)
DUE_ON = date(2037, 3, 17)  # 15 days of payment terms


def run(day: date) -> dict[str, int]:
    from chalicelib import dunning

    return dunning.mark_overdue(now=paris_noon(day))


def reminders(mailbox: Any, customer: Any, number: str) -> list[int]:
    """The reminder stages mailed for this invoice, oldest first."""
    sent = []
    for stage in (1, 2, 3):
        wanted = subject("overdue_reminder", number=number, stage=stage)
        sent += [
            (mail["sent_at"], stage)
            for mail in mails_to(mailbox, customer.email)
            if mail["subject"] == wanted
        ]
    return [stage for _, stage in sorted(sent)]


@pytest.fixture
def late_invoice(customer_factory: Any, fresh_jobs: None) -> Any:
    """An open invoice due on 17 March 2037, the job having covered every day until then."""
    customer = customer_factory()
    invoice = issue_invoice(customer.customer_id, ISSUED_ON, lines=[priced(4000)])  # 48.00 € with VAT
    assert invoice.due_on == DUE_ON.isoformat()
    job_ran_until("mark_overdue", DUE_ON - timedelta(days=1))
    return customer, invoice


def test_an_invoice_becomes_overdue_the_day_after_its_due_date_with_one_reminder(
    late_invoice: Any, mailbox: Any
) -> None:
    # Given an open invoice due on 17 March
    customer, invoice = late_invoice

    # When the job runs on the due date
    run(DUE_ON)

    # Then it is still open, and nobody is reminded
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "open"
    assert reminders(mailbox, customer, invoice.number) == []

    # When it runs the day after, twice, then again having forgotten what it covered (an overlap)
    outcome = run(DUE_ON + timedelta(days=1))
    run(DUE_ON + timedelta(days=1))
    forget_job_marks()
    run(DUE_ON + timedelta(days=1))

    # Then the invoice is overdue, and one stage-1 reminder was sent
    assert outcome["overdue"] == 1 and outcome["reminders"] >= 1
    stored = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert (stored.status, stored.amount_due_cents) == ("overdue", 4800)
    assert reminders(mailbox, customer, invoice.number) == [1]
    (mail,) = mails_to(mailbox, customer.email, "Rappel")
    assert "48,00\u00a0€" in mail["text"] and "17 mars 2037" in mail["text"]


def test_reminders_of_stage_2_and_3_go_15_and_30_days_late_once_each(late_invoice: Any, mailbox: Any) -> None:
    # Given an invoice overdue since 18 March (stage 1 sent)
    customer, invoice = late_invoice
    run(DUE_ON + timedelta(days=1))
    assert reminders(mailbox, customer, invoice.number) == [1]

    # When the job runs 14 and 15 days late
    run(DUE_ON + timedelta(days=14))
    after_14 = reminders(mailbox, customer, invoice.number)
    run(DUE_ON + timedelta(days=15))
    run(DUE_ON + timedelta(days=15))

    # Then the stage-2 reminder went on the 15th day, once
    assert after_14 == [1]
    assert reminders(mailbox, customer, invoice.number) == [1, 2]

    # When it runs 29, 30 (twice) and 60 days late
    run(DUE_ON + timedelta(days=29))
    run(DUE_ON + timedelta(days=30))
    run(DUE_ON + timedelta(days=30))
    run(DUE_ON + timedelta(days=60))

    # Then the stage-3 reminder went on the 30th day, once, and nothing after
    assert reminders(mailbox, customer, invoice.number) == [1, 2, 3]
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "overdue"


def test_a_paid_invoice_is_never_marked_overdue(late_invoice: Any, mailbox: Any) -> None:
    # Given an invoice paid by card before its due date
    from chalicelib import payments

    customer, invoice = late_invoice
    payment = payments.pay(
        customer.customer_id,
        [invoice.invoice_id],
        method="card",
        card_token="tok_visa",
        now=paris_noon(DUE_ON),
    )
    assert payment.status == "succeeded"

    # When the job runs 1, 15 and 30 days after the due date
    outcomes = [run(DUE_ON + timedelta(days=days)) for days in (1, 15, 30)]

    # Then it stays paid, and no reminder is sent
    assert [outcome["overdue"] for outcome in outcomes] == [0, 0, 0]
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "paid"
    assert reminders(mailbox, customer, invoice.number) == []


def test_an_overdue_invoice_paid_gets_no_further_reminder(late_invoice: Any, mailbox: Any) -> None:
    # Given an invoice overdue since 18 March (stage 1 sent), then paid on 20 March
    from chalicelib import payments

    customer, invoice = late_invoice
    run(DUE_ON + timedelta(days=1))
    payments.pay(
        customer.customer_id,
        [invoice.invoice_id],
        method="card",
        card_token="tok_visa",
        now=paris_noon(DUE_ON + timedelta(days=3)),
    )

    # When the job runs 15 and 30 days late
    run(DUE_ON + timedelta(days=15))
    run(DUE_ON + timedelta(days=30))

    # Then it is paid, and no reminder followed the first
    stored = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert (stored.status, stored.amount_due_cents, stored.due_pk) == ("paid", 0, None)
    assert reminders(mailbox, customer, invoice.number) == [1]


@pytest.mark.parametrize("language", ["fr", "en", "it"])
def test_a_reminder_shows_the_amount_and_due_date_as_the_formatting_library_writes_them(
    customer_factory: Any, fresh_jobs: None, mailbox: Any, language: str
) -> None:
    from guichet_contracts import formatting

    # Given a customer of `language` with an open invoice of 1 200,00 € due on 17 March 2037
    customer = customer_factory(language)
    invoice = issue_invoice(customer.customer_id, ISSUED_ON, lines=[priced(100000)])
    job_ran_until("mark_overdue", DUE_ON - timedelta(days=1))

    # When the reminder goes, the day after the due date
    run(DUE_ON + timedelta(days=1))

    # Then its amount and date are the ones guichet_contracts.formatting writes in that language
    (mail,) = mails_to(
        mailbox, customer.email, subject("overdue_reminder", language, number=invoice.number, stage=1)
    )
    amount, due = formatting.money(120000, "EUR", language), formatting.day(DUE_ON, language)
    assert amount == {"fr": "1\u202f200,00\u00a0€", "en": "€1,200.00", "it": "1.200,00\u00a0€"}[language]
    assert amount in mail["text"] and amount in mail["html"]
    assert due in mail["text"] and due in mail["html"]
