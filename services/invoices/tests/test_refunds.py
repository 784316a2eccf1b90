"""Credit notes and refunds, by the method that paid: an immediate cancellation's unused prepaid
days (card → a refund of that charge; direct debit → a transfer to the mandate's account;
cheque without an account → for an operator to record), a plan change's prorations (one invoice
or credit note of the net), an operator's credit note, a negative regularization (refunded from
25 €, carried to the next invoice below). A credit document shows `refunded` only once every
refund succeeded, each announced by PaymentRefunded.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from conftest import (
    Operator,
    card_paid,
    invoice_of_order,
    invoices_in_table,
    issue_invoice,
    mails_to,
    order_placed,
    ordered_invoice,
    paris_noon,
    pay_key,
    pdf_text,
    priced,
    provider_refunds,
    refunds_of,
    stored_invoice,
    with_mandate,
)
from guichet_contracts import observability
from guichet_contracts.domain_events.subscriptions import (
    Proration,
    SubscriptionActivated,
    SubscriptionCancelled,
    SubscriptionChanged,
)
from guichet_local.testing import a_subscription, answer, assert_error, deliver


def subscribed(customer: Any, price_cents: int = 3000, **line: Any) -> tuple[Any, Any]:
    """A hosting plan of `price_cents` a month ordered, and provisioned (SubscriptionActivated
    naming the order); its subscription and the order's invoice (to be paid)."""
    order_id = order_placed(
        customer.client,
        customer.customer_id,
        [{"description": "Hébergement Pro", "unit_price_cents": price_cents, **line}],
    )
    state = a_subscription(
        customer.customer_id,
        "hosting",
        subscription_id=f"sub-{uuid.uuid4().hex[:10]}",
        started_on="2026-03-01",
        renews_on="2026-04-01",
        price_cents=price_cents,
    )
    deliver(
        customer.client,
        "subscription_activated",
        SubscriptionActivated(
            subscription=state, order_id=order_id, origin="order", billed_from=state.started_on
        ),
    )
    return state, invoice_of_order(order_id)


def proration(days: int, price_cents: int = 3000) -> Proration:
    """`days` unused of the 31 days of March 2026 (price × days ÷ 31, rounded half up)."""
    return Proration(
        period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1),
        days_in_period=31,
        days=days,
        price_cents=price_cents,
        amount_cents=(price_cents * days * 2 + 31) // 62,
        currency="EUR",
    )


def cancelled_now(customer: Any, state: Any, days: int = 11) -> SubscriptionCancelled:
    """Cancelled immediately on 20 March: its 11 unused days credited."""
    event = SubscriptionCancelled(
        subscription=state.model_copy(update={"status": "cancelled"}),
        ended_on=date(2026, 3, 20),
        immediate=True,
        reason="no longer needed",
        refund=proration(days),
    )
    deliver(customer.client, "subscription_ended", event)
    return event


def credit_notes_of(customer: Any) -> list[Any]:
    return [item for item in invoices_in_table(customer.customer_id) if item.kind == "credit_note"]


def test_an_immediate_cancellation_is_credited_and_refunded_on_the_card_that_paid(
    customer_factory: Any, published: Any, mailbox: Any
) -> None:
    # Given a 30 € plan paid by card
    customer = customer_factory()
    state, invoice = subscribed(customer)
    payment = card_paid(customer, invoice)

    # When it is cancelled immediately with 11 of 31 days unused (10.65 €), delivered twice
    event = cancelled_now(customer, state)
    deliver(customer.client, "subscription_ended", event)

    # Then one credit note of 10.65 € against the invoice that paid the month, refunded on that card
    assert event.refund is not None and event.refund.amount_cents == 1065
    (note,) = credit_notes_of(customer)
    assert (note.total_cents, note.owed_cents, note.credited_invoice_id, note.status) == (
        -1065,
        1065,
        invoice.invoice_id,
        "refunded",
    )
    assert note.subscription_ids == [state.subscription_id]
    assert "11 j / 31" in note.lines[0].description and "21/03/2026" in note.lines[0].description
    (refund,) = refunds_of(customer.customer_id, note.invoice_id)
    assert (refund.method, refund.payment_id, refund.amount_cents) == ("card", payment["payment_id"], 1065)
    (made,) = provider_refunds(customer.customer_id).values()
    assert made.reference.startswith("sbx_re_") and made.succeeded
    (announced,) = published.of(customer.customer_id, "PaymentRefunded")
    assert announced["detail"]["data"] == {
        "refund_id": refund.refund_id,
        "customer_id": customer.customer_id,
        "invoice_id": note.invoice_id,
        "payment_id": payment["payment_id"],
        "method": "card",
        "amount_cents": 1065,
        "currency": "EUR",
        "on": refund.refunded_on,
    }
    (mail,) = mails_to(mailbox, customer.email, "Remboursement de 10,65")
    assert note.number in mail["text"] and "carte" in mail["text"]
    # and the customer sees it refunded, with its refund
    shown = answer(customer.call("GET", f"/{note.invoice_id}"))
    assert (shown["status"], shown["owed_cents"], shown["refunds"][0]["status"]) == (
        "refunded",
        1065,
        "succeeded",
    )
    month = note.issued_on[:7]
    listed = answer(customer.call("GET", f"/?status=refunded&from={month}&to={month}"))
    assert [item["invoice_id"] for item in listed["items"]] == [note.invoice_id]


def test_a_plan_paid_by_direct_debit_is_refunded_by_transfer_to_the_mandates_account(
    customer_factory: Any, published: Any
) -> None:
    # Given a plan whose invoice was debited through the customer's mandate
    from chalicelib import payments

    customer = customer_factory()
    with_mandate(customer)
    state, invoice = subscribed(customer)
    debited = payments.pay(
        customer.customer_id, [invoice.invoice_id], method="direct_debit", now=paris_noon(date(2026, 3, 2))
    )
    assert debited.status == "succeeded"

    # When it is cancelled immediately
    cancelled_now(customer, state, days=10)

    # Then its credit note is refunded by a SEPA transfer to that account
    (note,) = credit_notes_of(customer)
    (refund,) = refunds_of(customer.customer_id, note.invoice_id)
    assert (refund.method, refund.status, note.status) == ("transfer", "succeeded", "refunded")
    (made,) = provider_refunds(customer.customer_id).values()
    assert made.reference.startswith("sbx_tr_")
    assert published.of(customer.customer_id, "PaymentRefunded")[0]["detail"]["data"]["method"] == "transfer"


def test_a_cheque_payer_without_an_account_is_refunded_by_an_operator(
    customer_factory: Any, operator: Operator, published: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a plan paid by cheque (received), the customer having no bank details on file
    customer = customer_factory()
    state, invoice = subscribed(customer)
    payment = answer(customer.call("POST", f"/{invoice.invoice_id}/payments", {"method": "check"}, pay_key()))
    assert operator.received(customer, payment["payment_id"]).status_code == 200

    # When it is cancelled immediately
    capsys.readouterr()
    cancelled_now(customer, state)

    # Then the credit note waits, open, for an operator to make the refund by hand (told to them)
    (note,) = credit_notes_of(customer)
    (refund,) = refunds_of(customer.customer_id, note.invoice_id)
    assert (refund.method, refund.status, note.status) == ("manual", "pending", "open")
    assert observability.emitted(capsys.readouterr().out.splitlines())["RefundsDue"] == 1
    assert provider_refunds(customer.customer_id) == {}
    assert published.of(customer.customer_id, "PaymentRefunded") == []

    # When the operator records it made by cheque, twice
    made = operator.refund_made(customer, refund.refund_id, method="check")
    again = operator.refund_made(customer, refund.refund_id, method="check")

    # Then it is refunded, announced once, naming the operator
    assert made.status_code == 200, made.body
    assert_error(again, 409, "refund_not_pending")
    assert stored_invoice(customer.customer_id, note.invoice_id).status == "refunded"
    (event,) = published.of(customer.customer_id, "PaymentRefunded")
    assert event["detail"]["data"]["method"] == "check"
    assert refunds_of(customer.customer_id, note.invoice_id)[0].recorded_by == "ops:camille"


def test_a_refund_the_card_declines_stays_open_until_an_operator_makes_it(
    customer_factory: Any, operator: Operator, published: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a plan paid with the sandbox card whose refunds fail
    customer = customer_factory()
    state, invoice = subscribed(customer)
    card_paid(customer, invoice, card="tok_refundFail")

    # When it is cancelled immediately
    capsys.readouterr()
    cancelled_now(customer, state)

    # Then the refund was declined: the credit note is not shown refunded, nothing is announced
    # (but an operator is told)
    (note,) = credit_notes_of(customer)
    (refund,) = refunds_of(customer.customer_id, note.invoice_id)
    assert (refund.status, refund.failure_code, note.status) == ("failed", "expired_or_canceled_card", "open")
    assert observability.emitted(capsys.readouterr().out.splitlines())["RefundsDue"] == 1
    assert published.of(customer.customer_id, "PaymentRefunded") == []

    # When an operator makes it by transfer
    assert operator.refund_made(customer, refund.refund_id).status_code == 200

    # Then it is refunded
    assert stored_invoice(customer.customer_id, note.invoice_id).status == "refunded"
    assert len(published.of(customer.customer_id, "PaymentRefunded")) == 1


def changed(
    customer: Any, state: Any, credit_days: int | None, charge: tuple[int, int] | None
) -> SubscriptionChanged:
    """The plan of `state` (30 €) changed on 16 March: `credit_days` of it credited, and
    `charge` = (new price, days) charged."""
    event = SubscriptionChanged(
        subscription=state.model_copy(update={"product_id": "hosting-new", "name": "Hébergement Nouveau"}),
        effective_on=date(2026, 3, 16),
        previous_product_id=state.product_id,
        previous_name="Hébergement Pro",
        previous_price_cents=3000,
        previous_contract=state.contract,
        credit=proration(credit_days) if credit_days is not None else None,
        charge=proration(charge[1], charge[0]) if charge else None,
    )
    deliver(customer.client, "subscription_changed", event)
    return event


def test_an_upgrade_is_one_invoice_of_the_net(customer_factory: Any) -> None:
    # Given a 30 € plan paid by card
    customer = customer_factory()
    state, invoice = subscribed(customer)
    card_paid(customer, invoice)

    # When it moves to a 60 € plan for the 16 days left of March (delivered twice)
    event = changed(customer, state, 16, (6000, 16))
    deliver(customer.client, "subscription_changed", event)

    # Then one invoice: the old plan's 16 days credited (-15.48 €), the new one's charged (+30.97 €)
    assert event.credit is not None and event.charge is not None
    assert (event.credit.amount_cents, event.charge.amount_cents) == (1548, 3097)
    (upgrade,) = [
        item for item in invoices_in_table(customer.customer_id) if item.invoice_id != invoice.invoice_id
    ]
    assert (upgrade.kind, upgrade.total_cents, upgrade.amount_due_cents, upgrade.status) == (
        "invoice",
        1549,
        1549,
        "open",
    )
    assert [line.quantity for line in upgrade.lines] == ["-1", "1"]
    assert upgrade.subscription_ids == [state.subscription_id]
    assert (upgrade.period_start, upgrade.period_end) == ("2026-03-16", "2026-03-31")


def test_a_downgrade_is_a_credit_note_of_the_net_refunded(customer_factory: Any, published: Any) -> None:
    # Given a 30 € plan paid by card
    customer = customer_factory()
    state, invoice = subscribed(customer)
    card_paid(customer, invoice)

    # When it moves to a 10 € plan for the 16 days left
    changed(customer, state, 16, (1000, 16))

    # Then a credit note of the net (-15.48 + 5.16 = -10.32 €), refunded on the card
    (note,) = credit_notes_of(customer)
    assert (note.total_cents, note.owed_cents, note.status) == (-1032, 1032, "refunded")
    assert published.of(customer.customer_id, "PaymentRefunded")[0]["detail"]["data"]["amount_cents"] == 1032


def test_a_change_that_nets_to_nothing_issues_nothing(customer_factory: Any) -> None:
    customer = customer_factory()
    state, invoice = subscribed(customer)
    changed(customer, state, 16, (3000, 16))
    assert [item.invoice_id for item in invoices_in_table(customer.customer_id)] == [invoice.invoice_id]


def test_an_operators_credit_note_lowers_what_is_due_then_refunds_what_was_paid(
    customer_factory: Any, operator: Operator, published: Any
) -> None:
    # Given an unpaid invoice of 50 €, and a paid one of 40 €
    customer = customer_factory()
    unpaid = ordered_invoice(customer, 5000)
    paid = ordered_invoice(customer, 4000)
    card_paid(customer, paid)

    # When an operator credits 12 € on the unpaid one (the request sent twice with its key)
    first = operator.credit_note(customer, unpaid.invoice_id, 1200, "Panne du 3 mars", key="goodwill-1")
    replay = operator.credit_note(customer, unpaid.invoice_id, 1200, "Panne du 3 mars", key="goodwill-1")

    # Then one credit note, deducted from what is due: 38 € left to pay, nothing refunded
    assert first.status_code == 201, first.body
    assert answer(replay) == answer(first)
    note = answer(first)
    assert (note["kind"], note["total_cents"], note["status"], note["credited_invoice_id"]) == (
        "credit_note",
        -1200,
        "paid",
        unpaid.invoice_id,
    )
    assert stored_invoice(customer.customer_id, unpaid.invoice_id).amount_due_cents == 3800
    assert stored_invoice(customer.customer_id, note["invoice_id"]).issued_by == "ops:camille"

    # When an operator credits 15 € on the paid one
    refunded = answer(operator.credit_note(customer, paid.invoice_id, 1500, "Geste commercial"))

    # Then it is refunded on the card
    assert refunded["status"] == "refunded" and refunded["refunds"][0]["method"] == "card"
    assert len(published.of(customer.customer_id, "PaymentRefunded")) == 1

    # When more than what is left to credit is asked, or a credit note is credited
    too_much = operator.credit_note(customer, paid.invoice_id, 2600, "Encore")
    not_an_invoice = operator.credit_note(customer, refunded["invoice_id"], 100, "Avoir sur avoir")

    # Then 422 and 409
    assert_error(too_much, 422, "amount_exceeds_creditable", "amount_cents")
    assert_error(not_an_invoice, 409, "not_creditable")
    assert_error(operator.credit_note(customer, unpaid.invoice_id, 0, "rien"), 422, "validation_failed")


def negative_regularization(customer: Any, owed_cents: int, year: int = 2051) -> Any:
    """A monthly payer's regularization of `year`, issued on 1 February of the next year: the
    customer paid `owed_cents` more than they consumed."""
    from chalicelib import payment_schedules
    from chalicelib.models import Installment, Schedule, customer_pk
    from conftest import energy_activated

    subscription = f"sub-{uuid.uuid4().hex[:10]}"
    energy_activated(
        customer,
        started_on=f"{year}-01-10",
        subscription_id=subscription,
        tariff={"energy_rates_cents_per_kwh": {"base": "25.16"}, "estimated_annual_kwh": 2400},
    )
    first = Installment.get(customer_pk(customer.customer_id), f"INSTALLMENT#{subscription}#{year}#01")
    assert payment_schedules.collect(first, paris_noon(date(year, 2, 5))) == "paid"
    payment_schedules.add_consumption(
        customer.customer_id,
        subscription,
        month=f"{year}-02",
        amount_cents=int(first.amount_cents) - owed_cents,
    )
    schedule = Schedule.get(customer_pk(customer.customer_id), f"SCHEDULE#{subscription}#{year}")
    return payment_schedules.regularize(schedule, paris_noon(date(year + 1, 2, 1)))


def test_a_negative_regularization_of_25_euros_or_more_is_refunded(
    customer_factory: Any, published: Any
) -> None:
    # Given a monthly payer who paid 25 € more than they consumed
    customer = customer_factory()
    with_mandate(customer)

    # When their year is regularized
    regularization = negative_regularization(customer, 2500)

    # Then the 25 € go back by transfer to their account: refunded
    stored = stored_invoice(customer.customer_id, regularization.invoice_id)
    assert (stored.total_cents, stored.status, stored.carried) == (-2500, "refunded", None)
    assert published.of(customer.customer_id, "PaymentRefunded")[0]["detail"]["data"]["method"] == "transfer"


@pytest.mark.parametrize(("company", "owed"), [(None, 2499), ("Boulangerie Moreau SARL", 4999)])
def test_a_small_negative_regularization_is_carried_to_the_next_invoice(
    customer_factory: Any, published: Any, company: str | None, owed: int
) -> None:
    # Given a monthly payer (a household, or a business: 50 €) who paid a little more than they
    # consumed
    customer = customer_factory(company=company)
    with_mandate(customer)

    # When their year is regularized
    regularization = negative_regularization(customer, owed)

    # Then nothing is refunded: the credit is kept for the next invoice, as its PDF says
    stored = stored_invoice(customer.customer_id, regularization.invoice_id)
    assert (stored.total_cents, stored.status, stored.carried) == (-owed, "open", True)
    assert published.of(customer.customer_id, "PaymentRefunded") == []
    from chalicelib import invoicing

    assert "déduit de votre prochaine facture" in pdf_text(invoicing.render(stored, duplicate=False))

    # When their next invoice of 100 € is issued (and the one after, of 10 €)
    issued = date.fromisoformat(stored.issued_on)
    following = issue_invoice(customer.customer_id, issued, lines=[priced(10000, tax_included=True)])
    after = issue_invoice(customer.customer_id, issued, lines=[priced(1000, tax_included=True)])

    # Then the first takes the credit as a payment: less to pay, printed on its PDF; the
    # regularization is settled; the one after takes nothing
    following = stored_invoice(customer.customer_id, following.invoice_id)
    assert (following.total_cents, following.amount_due_cents) == (10000, 10000 - owed)
    assert [(item.method, item.amount_cents) for item in following.payments] == [("credit", owed)]
    text = pdf_text(invoicing.render(following, duplicate=False))
    assert f"Avoir déduit (n° {stored.number})" in text
    euros, cents = divmod(10000 - owed, 100)
    assert f"Net à payer {euros},{cents:02d} €" in text
    assert stored_invoice(customer.customer_id, regularization.invoice_id).status == "paid"
    assert stored_invoice(customer.customer_id, after.invoice_id).amount_due_cents == 1000


def test_a_credit_larger_than_the_next_invoice_pays_it_and_keeps_the_rest(
    customer_factory: Any, published: Any
) -> None:
    # Given 20 € carried
    customer = customer_factory()
    with_mandate(customer)
    regularization = negative_regularization(customer, 2000)
    issued = date.fromisoformat(regularization.issued_on)

    # When an invoice of 12 € is issued, then one of 30 €
    small = issue_invoice(customer.customer_id, issued, lines=[priced(1200, tax_included=True)])
    large = issue_invoice(customer.customer_id, issued, lines=[priced(3000, tax_included=True)])

    # Then the first is paid by the credit (InvoicePaid), the second takes the 8 € left
    assert (stored_invoice(customer.customer_id, small.invoice_id).status, small.amount_due_cents) == (
        "paid",
        0,
    )
    assert [
        event["detail"]["data"]["invoice_id"] for event in published.of(customer.customer_id, "InvoicePaid")
    ] == [small.invoice_id]
    assert stored_invoice(customer.customer_id, large.invoice_id).amount_due_cents == 2200
    assert stored_invoice(customer.customer_id, regularization.invoice_id).status == "paid"
