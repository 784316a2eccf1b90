"""Orders until they are paid: what each asks before it is provisioned, and OrderPaid once it is there.

An order (OrderPlaced) asks for its invoice to be paid in full when it has upfront lines, and
for a SEPA mandate on file when one of its lines is paid by monthly debits (energy). Whichever
comes last (the payment that clears the invoice, the mandate signed, or the order itself when
nothing is due and a mandate is already there) settles it: the settlement moves from awaiting
to paid with a condition on awaiting, so OrderPaid is published once however many deliveries
or payments race, and the subscriptions service provisions the order on it. A partial payment
settles nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from guichet_contracts import events
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from .models import BankAccount, Invoice, OrderSettlement, customer_pk
from .settings import settings

if TYPE_CHECKING:
    from guichet_contracts.domain_events.subscriptions import OrderPlaced

logger = Logger(child=True)

SORT_PREFIX = "ORDER#"


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
