"""Credit notes: what the customer gets back, as a document, then as money (refunds.py).

- An immediate cancellation of a prepaid period (SubscriptionCancelled with `refund`): a credit
  note of the unused days, refunded by the method that paid the invoice of that period.
- A plan change (SubscriptionChanged with `credit` and/or `charge`, prorated by day): one document
  of the net amount, the credit of the old plan as a negative line and the charge of the new one
  as a positive line; an invoice when the net is positive, a credit note refunded as above when
  it is negative, nothing when they cancel out.
- An operator's credit note against an invoice (amount, reason): it first lowers what is still
  due on that invoice (a payment of method `credit`), and what was already paid is refunded.
- An unpaid order's invoice voided with a part paid (order_settlement.void_unpaid): a credit note
  of the whole invoice cancels it; what was paid is refunded.

Each is issued once per business key (the cancellation, the change, the operator's
Idempotency-Key, the void), and a credit note never credits an invoice beyond its total (the
credited invoice's `credited_cents` moves in the issuing transaction).

"The invoice of that period" is the subscription's invoice that paid it: the latest of its paid
invoices (its purchase order's, remembered on SubscriptionActivated, or a renewal's, which bill
it) issued on or before the period's first day, else its latest paid one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist

from . import invoicing, refunds, vat
from .errors import AmountExceedsCreditable, NotCreditable
from .models import BilledSubscription, Invoice, customer_pk

if TYPE_CHECKING:
    from guichet_contracts.domain_events.subscriptions import (
        Proration,
        SubscriptionCancelled,
        SubscriptionChanged,
    )

logger = Logger(child=True)

DEFAULT_TAX_RATE = Decimal("20.0")


def remember_order_invoice(customer_id: str, subscription_id: str, order_id: str | None) -> None:
    """A subscription provisioned from an order: its order's invoice is what paid its first period."""
    if order_id is None:
        return
    from .models import IssueKey

    try:
        key = IssueKey.get(f"ISSUED#ORDER#{order_id}", "ISSUED")
    except DoesNotExist:
        return  # nothing was invoiced upfront (energy)
    BilledSubscription(
        customer_pk(customer_id),
        f"SUBSCRIPTION#{subscription_id}",
        subscription_id=subscription_id,
        customer_id=customer_id,
        order_id=order_id,
        invoice_id=key.invoice_id,
    ).save()


def paying_invoice(customer_id: str, subscription_id: str, period_start: date) -> Invoice | None:
    """The invoice that paid the subscription's period starting on `period_start` (see the module)."""
    candidates: dict[str, Invoice] = {}
    try:
        link = BilledSubscription.get(customer_pk(customer_id), f"SUBSCRIPTION#{subscription_id}")
    except DoesNotExist:
        link = None
    if link is not None and link.invoice_id:
        try:
            candidates[link.invoice_id] = invoicing.get(customer_id, link.invoice_id, any_age=True)
        except Exception:  # noqa: S110 (an unknown link counts as none)
            pass
    for invoice in Invoice.query(
        customer_pk(customer_id),
        Invoice.sk.startswith("INVOICE#"),
        filter_condition=Invoice.subscription_ids.contains(subscription_id) & (Invoice.kind == "invoice"),
    ):
        candidates[invoice.invoice_id] = invoice
    paid = [
        invoice
        for invoice in candidates.values()
        if any(item.status == "succeeded" for item in invoice.payments or [])
    ]
    if not paid:
        return None
    before = [invoice for invoice in paid if invoice.issued_on <= period_start.isoformat()]
    return max(before or paid, key=lambda invoice: (invoice.issued_on, invoice.invoice_id))


def _rate_of(invoice: Invoice | None) -> Decimal:
    if invoice is None or not invoice.tax_breakdown:
        return DEFAULT_TAX_RATE
    return Decimal(str(max(invoice.tax_breakdown, key=lambda group: group["base_cents"])["rate"]))


def _line(description: str, cents: int, rate: Decimal, sign: int, unit: str = "unit") -> vat.PricedLine:
    """A line of `cents` tax included: negative (sign -1) for what is credited."""
    return vat.line_excluding_tax(
        description=description,
        quantity=Decimal(sign),
        unit=unit,
        unit_price_cents=Decimal(cents),
        tax_rate=rate,
        tax_included=True,
    )


def _days(proration: Proration) -> str:
    last = proration.period_end - timedelta(days=1)
    first = proration.period_end - timedelta(days=proration.days)
    return (
        f"du {first:%d/%m/%Y} au {last:%d/%m/%Y}, {proration.days} j / {proration.days_in_period}"
        if proration.days
        else f"0 j / {proration.days_in_period}"
    )


def for_cancellation(cancelled: SubscriptionCancelled, *, now: datetime) -> Invoice | None:
    """The credit note of an immediate cancellation's unused prepaid days, refunded (once)."""
    proration = cancelled.refund
    if proration is None or proration.amount_cents <= 0:
        return None
    subscription = cancelled.subscription
    paid_by = paying_invoice(subscription.customer_id, subscription.subscription_id, proration.period_start)
    line = _line(
        f"Résiliation {subscription.name} — {subscription.label} : jours non utilisés ({_days(proration)})",
        proration.amount_cents,
        _rate_of(paid_by),
        -1,
    )
    document = invoicing.issue(
        subscription.customer_id,
        kind="credit_note",
        source=f"CANCELLATION#{subscription.customer_id}#{subscription.subscription_id}#{cancelled.ended_on}",
        lines=[line],
        issued_on=invoicing.local_day(now),
        now=now,
        period=(cancelled.ended_on + timedelta(days=1), proration.period_end - timedelta(days=1)),
        payment_mode=_refund_mode(paid_by),
        subscription_ids=[subscription.subscription_id],
        credited_invoice_id=paid_by.invoice_id if paid_by else None,
        currency=proration.currency,
    )
    refunds.refund(document, paid_by=paid_by, now=now)
    return document


def for_change(changed: SubscriptionChanged, *, now: datetime) -> Invoice | None:
    """The net of a plan change: an invoice to pay, or a credit note refunded (once)."""
    credit, charge = changed.credit, changed.charge
    credited = credit.amount_cents if credit else 0
    charged = charge.amount_cents if charge else 0
    if credited == charged:
        return None
    subscription = changed.subscription
    period = credit or charge
    assert period is not None
    paid_by = paying_invoice(subscription.customer_id, subscription.subscription_id, period.period_start)
    rate = _rate_of(paid_by)
    lines = []
    if credit is not None and credit.amount_cents:
        lines.append(
            _line(f"Crédit {changed.previous_name} ({_days(credit)})", credit.amount_cents, rate, -1)
        )
    if charge is not None and charge.amount_cents:
        lines.append(_line(f"{subscription.name} ({_days(charge)})", charge.amount_cents, rate, 1))
    net = charged - credited
    document = invoicing.issue(
        subscription.customer_id,
        kind="invoice" if net > 0 else "credit_note",
        source=(
            f"CHANGE#{subscription.customer_id}#{subscription.subscription_id}#{changed.effective_on}"
            f"#{changed.previous_product_id}#{subscription.product_id}"
        ),
        lines=lines,
        issued_on=invoicing.local_day(now),
        now=now,
        period=(changed.effective_on, period.period_end - timedelta(days=1)),
        payment_mode=None if net > 0 else _refund_mode(paid_by),
        subscription_ids=[subscription.subscription_id],
        credited_invoice_id=paid_by.invoice_id if paid_by and net < 0 else None,
        currency=period.currency,
    )
    if net < 0:
        refunds.refund(document, paid_by=paid_by, now=now)
    return document


def by_operator(
    customer_id: str,
    invoice_id: str,
    *,
    amount_cents: int,
    reason: str,
    operator: str,
    key: str,
    now: datetime,
) -> Invoice:
    """An operator's credit note of `amount_cents` against an invoice (see the module)."""
    invoice = invoicing.get(customer_id, invoice_id, any_age=True)
    if (
        invoice.kind not in ("invoice", "regularization")
        or invoice.status == "void"
        or invoice.total_cents <= 0
    ):
        raise NotCreditable()
    left = int(invoice.total_cents) - int(invoice.credited_cents or 0)
    if amount_cents > left:
        raise AmountExceedsCreditable(fields={"amount_cents": Phrase("field.at_most_cents", cents=left)})
    document = invoicing.issue(
        customer_id,
        kind="credit_note",
        source=f"CREDIT_NOTE#{invoice_id}#{key}",
        lines=_share_by_rate(invoice, amount_cents, reason),
        issued_on=invoicing.local_day(now),
        now=now,
        payment_mode=_refund_mode(invoice),
        subscription_ids=[str(item) for item in invoice.subscription_ids or []],
        credited_invoice_id=invoice.invoice_id,
        currency=invoice.currency,
        credit_of=(invoice, amount_cents),
        issued_by=operator,
    )
    logger.info(
        "operator issued a credit note",
        extra={
            "operator": operator,
            "customer_id": customer_id,
            "invoice_id": invoice_id,
            "credit_note_id": document.invoice_id,
            "amount_cents": amount_cents,
        },
    )
    settle_against(document, invoice, now=now)
    return document


def for_void(invoice: Invoice, *, now: datetime) -> Invoice:
    """The credit note cancelling a voided invoice of which a part was paid; that part refunded."""
    amount = int(invoice.total_cents) - int(invoice.credited_cents or 0)
    paid = sum(
        int(item.amount_cents)
        for item in invoice.payments or []
        if item.status == "succeeded" and item.method != "credit"
    )
    document = invoicing.issue(
        invoice.customer_id,
        kind="credit_note",
        source=f"VOID#{invoice.invoice_id}",
        lines=_share_by_rate(
            invoice, amount, f"Annulation de la facture {invoice.number} (commande non réglée)"
        ),
        issued_on=invoicing.local_day(now),
        now=now,
        payment_mode=_refund_mode(invoice),
        credited_invoice_id=invoice.invoice_id,
        currency=invoice.currency,
        owed_cents=min(paid, amount),
        credit_of=(invoice, amount),
    )
    refunds.refund(document, paid_by=invoice, now=now)
    return document


def settle_against(document: Invoice, invoice: Invoice, *, now: datetime) -> None:
    """A credit note against an invoice still due: it first pays what is due (method credit);
    the rest is refunded by the methods that paid the invoice."""
    from pynamodb.exceptions import TransactWriteError

    from .models import AppliedPayment, transaction

    invoice.refresh(consistent_read=True)
    owed = int(document.owed_cents or 0)
    due = int(invoice.amount_due_cents)
    use = min(owed, due) if invoice.status in ("open", "overdue") and not _applied(invoice, document) else 0
    if use > 0:
        applied = AppliedPayment(
            payment_id=f"cn_{document.invoice_id}",
            amount_cents=use,
            method="credit",
            status="succeeded",
            at=now,
        )
        actions: list[Any] = [
            Invoice.amount_due_cents.set(due - use),
            Invoice.payments.set([*(invoice.payments or []), applied]),
        ]
        if use == due:
            actions += [Invoice.status.set("paid"), Invoice.due_pk.remove(), Invoice.due_sk.remove()]
        document_actions: list[Any] = [Invoice.owed_cents.set(owed - use)]
        if use == owed:
            document_actions.append(Invoice.status.set("paid"))
        try:
            with transaction() as write:
                write.update(
                    invoice,
                    actions=actions,
                    condition=(Invoice.amount_due_cents == due) & Invoice.payment_lock.does_not_exist(),
                )
                write.update(document, actions=document_actions, condition=Invoice.owed_cents == owed)
        except TransactWriteError:
            logger.warning(
                "credit note not deducted: the invoice changed", extra={"invoice_id": invoice.invoice_id}
            )
        else:
            document.refresh(consistent_read=True)
            invoice.refresh(consistent_read=True)
            if invoice.status == "paid":
                from . import order_settlement

                invoicing.announce_paid(invoice, now)
                order_settlement.invoice_paid(invoice)
    if int(document.owed_cents or 0) > 0:
        refunds.refund(document, paid_by=invoice, now=now)


def _applied(invoice: Invoice, document: Invoice) -> bool:
    return any(item.payment_id == f"cn_{document.invoice_id}" for item in invoice.payments or [])


def _refund_mode(paid_by: Invoice | None) -> str:
    """How a credit is paid back, as the document prints it: on the card, else by transfer."""
    if paid_by is not None and any(
        item.method == "card" and item.status == "succeeded" for item in paid_by.payments or []
    ):
        return "card"
    return "transfer"


def _share_by_rate(invoice: Invoice, amount_cents: int, description: str) -> list[vat.PricedLine]:
    """`amount_cents` (tax included) split over the invoice's VAT rates in proportion to each
    rate's total, one line each; the last rate takes the rounding, so they sum exactly."""
    groups = [group for group in invoice.tax_breakdown or [] if group["base_cents"] + group["tax_cents"] > 0]
    if not groups:
        return [_line(description, amount_cents, DEFAULT_TAX_RATE, -1)]
    total = sum(group["base_cents"] + group["tax_cents"] for group in groups)
    lines, left = [], amount_cents
    for index, group in enumerate(groups):
        rate = Decimal(str(group["rate"]))
        share = (
            left
            if index == len(groups) - 1
            else vat.cents(Decimal(amount_cents) * (group["base_cents"] + group["tax_cents"]) / total)
        )
        left -= share
        label = description if len(groups) == 1 else f"{description} (TVA {group['rate']} %)"
        if share:
            lines.append(_line(label, share, rate, -1))
    return lines
