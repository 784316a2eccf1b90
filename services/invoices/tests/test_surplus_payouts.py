"""A surplus resale invoice owes the customer what the provider bought: it is paid out by
transfer to the account on file on its due date (the daily `collect_direct_debits`), or by an
operator when no account is on file; then it shows paid, the customer is mailed once, and
SurplusPaidOut tells the consumption service that the month left the kitty.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from conftest import (
    Operator,
    invoices_in_table,
    job_ran_until,
    mails_to,
    paris_noon,
    provider_refunds,
    refunds_of,
    stored_invoice,
    subject,
    surplus_payout,
    with_mandate,
)
from guichet_local.testing import deliver


def bought(customer: Any, payout_id: str) -> Any:
    """A month of surplus bought (123.4 kWh at 13.39 c = 16,52 €): its resale invoice, stored."""
    deliver(
        customer.client,
        "surplus_payout",
        surplus_payout(customer.customer_id, payout_id=payout_id, injected_kwh="123.4", amount_cents=1652),
    )
    (invoice,) = invoices_in_table(customer.customer_id)
    return invoice


def collect(day: date) -> dict[str, int]:
    from chalicelib import direct_debits

    job_ran_until("collect_direct_debits", day - timedelta(days=1))
    return direct_debits.collect_direct_debits(now=paris_noon(day))


def test_a_resale_invoice_is_paid_out_by_transfer_on_its_due_date(
    customer_factory: Any, published: Any, mailbox: Any
) -> None:
    # Given a producer with an account on file, whose month of surplus was bought
    customer = customer_factory()
    with_mandate(customer)
    invoice = bought(customer, f"E{customer.customer_id}-2026-10")
    due = date.fromisoformat(invoice.due_on)
    assert (invoice.status, int(invoice.owed_cents), int(invoice.amount_due_cents)) == ("open", 1652, 0)

    # When the daily job runs the day before its due date
    collect(due - timedelta(days=1))

    # Then nothing is paid out yet
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "open"
    assert published.of(customer.customer_id, "SurplusPaidOut") == []

    # When it runs on the due date, and again
    collect(due)
    collect(due)

    # Then 16,52 € went by transfer to the account, once; the invoice is paid; the consumption
    # service is told once, naming the payout; the customer is mailed once
    (refund,) = refunds_of(customer.customer_id, invoice.invoice_id)
    assert (refund.method, refund.status, int(refund.amount_cents)) == ("transfer", "succeeded", 1652)
    assert len(provider_refunds(customer.customer_id)) == 1
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "paid"
    (event,) = published.of(customer.customer_id, "SurplusPaidOut")
    data = event["detail"]["data"]
    assert (data["payout_id"], data["invoice_id"], data["amount_cents"], data["on"]) == (
        f"E{customer.customer_id}-2026-10",
        invoice.invoice_id,
        1652,
        due.isoformat(),
    )
    sent = subject(
        "surplus_paid_out", amount="16,52 €", kind_label="facture de revente", number=invoice.number
    )
    assert len(mails_to(mailbox, customer.email, sent)) == 1
    assert mails_to(mailbox, customer.email, "Remboursement") == []


def test_without_an_account_an_operator_pays_the_surplus_out(
    customer_factory: Any, operator: Operator, published: Any
) -> None:
    # Given a producer without an account on file, whose resale invoice is due
    customer = customer_factory()
    invoice = bought(customer, f"E{customer.customer_id}-2026-11")
    collect(date.fromisoformat(invoice.due_on))

    # Then the payout waits for an operator: still owed, nothing told
    (refund,) = refunds_of(customer.customer_id, invoice.invoice_id)
    assert (refund.method, refund.status) == ("manual", "pending")
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "open"
    assert published.of(customer.customer_id, "SurplusPaidOut") == []

    # When the operator records the transfer made
    assert operator.refund_made(customer, refund.refund_id).status_code == 200

    # Then it is paid out, and told
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "paid"
    assert len(published.of(customer.customer_id, "SurplusPaidOut")) == 1
