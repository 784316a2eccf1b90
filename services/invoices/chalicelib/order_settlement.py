"""Orders until they are paid: what each asks before it is provisioned, and OrderPaid once it is there.

An order (OrderPlaced) asks for its invoice to be paid in full when it has upfront lines, and
for a SEPA mandate on file when one of its lines is paid by monthly debits (energy). Whichever
comes last (the payment that clears the invoice, the mandate signed, or the order itself when
nothing is due and a mandate is already there) settles it: the settlement moves from awaiting
to paid with a condition on awaiting, so OrderPaid is published once however many deliveries
or payments race, and the subscriptions service provisions the order on it. A partial payment
settles nothing.

A purchase whose invoice is still unpaid VOID_AFTER_DAYS after its due date is given up
(`void_unpaid`, by the daily job): in one transaction the invoice becomes void (nothing due) and
the settlement cancelled, so a late payment can neither pay the invoice nor settle the order;
InvoiceVoided tells the subscriptions service to cancel the order, and the customer is mailed.
If a part was paid, a credit note cancels the invoice and that part is refunded by the method
that paid it (credit_notes.for_void). An invoice held by a cheque or TIP on its way is voided
only once that payment was recorded expired.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from guichet_contracts import events
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError

from .models import BankAccount, Invoice, OrderSettlement, customer_pk, transaction
from .settings import settings

if TYPE_CHECKING:
    from guichet_contracts.domain_events.subscriptions import OrderPlaced

logger = Logger(child=True)

SORT_PREFIX = "ORDER#"
VOID_AFTER_DAYS = 14  # a purchase's invoice unpaid two weeks after its due date is given up


def order_placed(order: OrderPlaced, invoice: Invoice | None, *, now: datetime) -> bool:
    """Remember what the order asks, and settle it if that is already there; True when settled now."""
    settlement = OrderSettlement(
        customer_pk(order.customer_id),
        f"{SORT_PREFIX}{order.order_id}",
        order_id=order.order_id,
        customer_id=order.customer_id,
        invoice_id=invoice.invoice_id if invoice is not None else None,
        needs_mandate=order.needs_mandate,
        currency=order.currency,
        kind=order.kind,
        status="awaiting",
        created_at=now,
    )
    try:
        settlement.save(condition=OrderSettlement.pk.does_not_exist())
    except PutError:
        settlement = OrderSettlement.get(settlement.pk, settlement.sk, consistent_read=True)
    return settle(settlement)


def invoice_paid(invoice: Invoice) -> bool:
    """An invoice was paid in full: the order it is for may be settled now."""
    if not invoice.order_id:
        return False
    try:
        settlement = OrderSettlement.get(
            customer_pk(invoice.customer_id), f"{SORT_PREFIX}{invoice.order_id}", consistent_read=True
        )
    except DoesNotExist:
        return False
    return settle(settlement)


def mandate_signed(customer_id: str) -> int:
    """A mandate is on file: every order of the customer that waited for one may be settled now."""
    waiting = OrderSettlement.query(
        customer_pk(customer_id),
        OrderSettlement.sk.startswith(SORT_PREFIX),
        filter_condition=(OrderSettlement.status == "awaiting") & (OrderSettlement.needs_mandate == True),  # noqa: E712
        consistent_read=True,
    )
    return sum(settle(settlement) for settlement in waiting)


def settle(settlement: OrderSettlement) -> bool:
    """Publish OrderPaid if everything the order asks is there and nobody did yet; True if this did."""
    if settlement.status != "awaiting":
        return False
    paid_cents = 0
    settled_by = "nothing_due"
    if settlement.invoice_id:
        invoice = Invoice.get(
            customer_pk(settlement.customer_id), f"INVOICE#{settlement.invoice_id}", consistent_read=True
        )
        if invoice.status != "paid" or int(invoice.amount_due_cents) > 0:
            return False
        paid_cents, settled_by = int(invoice.total_cents), "payment"
    if settlement.needs_mandate:
        if not _has_mandate(settlement.customer_id):
            return False
        settled_by = "mandate" if settled_by == "nothing_due" else settled_by
    try:
        settlement.update(
            actions=[OrderSettlement.status.set("paid"), OrderSettlement.settled_by.set(settled_by)],
            condition=OrderSettlement.status == "awaiting",
        )
    except UpdateError:
        return False  # settled by a concurrent payment or delivery, which published OrderPaid
    try:
        _publish_paid(settlement, paid_cents, settled_by)
    except Exception:
        # not told: back to awaiting, so that the next delivery or payment settles it again
        settlement.update(
            actions=[OrderSettlement.status.set("awaiting"), OrderSettlement.settled_by.remove()]
        )
        raise
    logger.info(
        "order paid",
        extra={"order_id": settlement.order_id, "settled_by": settled_by, "paid_cents": paid_cents},
    )
    return True


def _publish_paid(settlement: OrderSettlement, paid_cents: int, settled_by: str) -> None:
    from guichet_contracts.domain_events.invoices import OrderPaid

    events.publish(
        OrderPaid(
            order_id=settlement.order_id,
            customer_id=settlement.customer_id,
            invoice_id=settlement.invoice_id,
            amount_paid_cents=paid_cents,
            currency=settlement.currency,
            settled_by=settled_by,  # type: ignore[arg-type]
        ),
        bus_name=settings.event_bus_name,
    )


def _has_mandate(customer_id: str) -> bool:
    try:
        BankAccount.get(customer_pk(customer_id), "BANK_ACCOUNT", consistent_read=True)
    except DoesNotExist:
        return False
    return True


def voidable(invoice: Invoice) -> OrderSettlement | None:
    """The settlement a purchase's unpaid invoice still keeps waiting, if the invoice is one."""
    if not invoice.order_id or invoice.subscription_ids:
        return None  # not an order's, or a renewal's (it bills subscriptions: they are suspended)
    try:
        settlement = OrderSettlement.get(
            customer_pk(invoice.customer_id), f"{SORT_PREFIX}{invoice.order_id}", consistent_read=True
        )
    except DoesNotExist:
        return None
    if settlement.status != "awaiting" or settlement.kind == "renewal":
        return None
    return settlement


def void_unpaid(invoice: Invoice, *, today: date, now: datetime) -> str:
    """Give up an order whose invoice was never paid (see the module): "voided", "held" (a cheque
    or TIP is on its way: try again later), or "kept" (paid, or not a purchase's invoice).

    The void keeps the invoice in the due index until it is announced, so a run that stopped
    half way is finished by the next one."""
    invoice.refresh(consistent_read=True)
    if invoice.status == "void" and invoice.due_pk:
        _announce_void(invoice, today, now)
        return "voided"
    settlement = voidable(invoice)
    if settlement is None or invoice.status not in ("open", "overdue") or invoice.amount_due_cents <= 0:
        return "kept"
    if invoice.pending_payment_id:
        return "held"
    moment = int(now.timestamp())
    try:
        with transaction() as write:
            write.update(
                invoice,
                actions=[
                    Invoice.status.set("void"),
                    Invoice.amount_due_cents.set(0),
                    Invoice.voided_on.set(today.isoformat()),
                ],
                condition=(Invoice.amount_due_cents == invoice.amount_due_cents)
                & Invoice.status.is_in("open", "overdue")
                & Invoice.pending_payment_id.does_not_exist()
                & (Invoice.payment_lock.does_not_exist() | (Invoice.payment_lock_until < moment)),
            )
            write.update(
                settlement,
                actions=[OrderSettlement.status.set("cancelled")],
                condition=OrderSettlement.status == "awaiting",
            )
    except TransactWriteError:
        return "kept"  # paid, held or being charged meanwhile: the next run looks again
    invoice.refresh(consistent_read=True)
    logger.info(
        "unpaid order given up", extra={"order_id": invoice.order_id, "invoice_id": invoice.invoice_id}
    )
    _announce_void(invoice, today, now)
    return "voided"


def _announce_void(invoice: Invoice, today: date, now: datetime) -> None:
    """InvoiceVoided, the credit note refunding a part paid, the mail; then out of the due index."""
    from . import billing_parties, credit_notes, mailing

    _publish_voided(invoice, date.fromisoformat(invoice.voided_on or today.isoformat()))
    paid = sum(
        int(item.amount_cents)
        for item in invoice.payments or []
        if item.status == "succeeded" and item.method != "credit"
    )
    if paid:
        credit_notes.for_void(invoice, now=now)
    party = billing_parties.get(invoice.customer_id)
    language = party.language if party else invoice.language
    mailing.notify(
        "invoice_voided",
        party,
        customer_id=invoice.customer_id,
        number=invoice.number,
        due_on=mailing.day(invoice.due_on, language),
        total=mailing.money(int(invoice.total_cents), invoice.currency, language),
        paid=mailing.money(paid, invoice.currency, language),
        partly_paid=paid > 0,
        invoice_url=mailing.portal_link("invoice", id=invoice.invoice_id),
    )
    invoice.update(actions=[Invoice.due_pk.remove(), Invoice.due_sk.remove()])


def _publish_voided(invoice: Invoice, today: date) -> None:
    from guichet_contracts.domain_events.invoices import InvoiceVoided

    events.publish(
        InvoiceVoided(
            invoice_id=invoice.invoice_id,
            number=invoice.number,
            customer_id=invoice.customer_id,
            order_id=invoice.order_id,
            reason="order_unpaid",
            on=today,
        ),
        bus_name=settings.event_bus_name,
    )
