"""Event and schedule handlers of the subscriptions service.

Consumed: auth's CustomerRegistered/CustomerUpdated (the customer copy) and invoices' OrderPaid
(an order is paid: provision it), InvoiceUnpaid / InvoicePaid (suspension and resumption) and
InvoiceVoided (an order never paid is cancelled), InvoiceIssued (an order's invoice) and
MandateSigned (orders waiting for a mandate). Delivery is at least once, so each handler is
idempotent on the event id (and on business state). Scheduled: the daily renewal jobs, which
take "now" from the event so they can be run for any date (`make job`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from chalice import Blueprint, Cron
from guichet_contracts import events
from pynamodb.exceptions import PutError

from .models import EventSeen

handlers = Blueprint(__name__)
logger = Logger(child=True)


def first_delivery(event_id: str, name: str, now: datetime) -> bool:
    """Record the event id; False when it was already handled."""
    try:
        EventSeen(
            f"EVENT#{event_id}",
            "EVENT",
            seen_at=now,
            expires_at_epoch=int((now + timedelta(days=30)).timestamp()),
        ).save(condition=EventSeen.pk.does_not_exist())
    except PutError:
        logger.info("event already handled", extra={"event_id": event_id, "event": name})
        return False
    return True


@handlers.on_cw_event(
    {"source": ["guichet.auth"], "detail-type": ["CustomerRegistered", "CustomerUpdated"]},
    name="customer_changed",
)
def customer_changed(event: Any) -> None:
    from guichet_contracts.domain_events.auth import CustomerRegistered, CustomerUpdated

    from . import customers

    envelope = events.received(event, CustomerRegistered, CustomerUpdated)
    customers.remember(envelope.data, occurred_at=envelope.occurred_at)


@handlers.on_cw_event({"source": ["guichet.invoices"], "detail-type": ["OrderPaid"]}, name="order_paid")
def order_paid(event: Any) -> None:
    """The invoices service says an order is paid: provision it, once."""
    from guichet_contracts.domain_events.invoices import OrderPaid

    from . import orders
    from .renewals import local_day

    envelope = events.received(event, OrderPaid)
    now = datetime.now(UTC)
    if not first_delivery(envelope.event_id, envelope.name, now):
        return
    try:
        orders.provision(envelope.data.customer_id, envelope.data.order_id, now=now, today=local_day(now))
    except Exception:
        EventSeen(f"EVENT#{envelope.event_id}", "EVENT").delete()  # let the redelivery try again
        raise


@handlers.on_cw_event(
    {"source": ["guichet.invoices"], "detail-type": ["InvoiceIssued"]}, name="invoice_issued"
)
def invoice_issued(event: Any) -> None:
    """An order's invoice: the order names it, for the customer to pay."""
    from guichet_contracts.domain_events.invoices import InvoiceIssued

    from . import orders

    orders.invoice_issued(events.received(event, InvoiceIssued).data)


@handlers.on_cw_event(
    {"source": ["guichet.invoices"], "detail-type": ["MandateSigned"]}, name="mandate_signed"
)
def mandate_signed(event: Any) -> None:
    """A SEPA mandate is on file: orders paid by monthly debits stop waiting for one."""
    from guichet_contracts.domain_events.invoices import MandateSigned

    from . import orders

    orders.mandate_signed(events.received(event, MandateSigned).data)


@handlers.on_cw_event(
    {"source": ["guichet.invoices"], "detail-type": ["InvoiceUnpaid"]}, name="invoice_unpaid"
)
def invoice_unpaid(event: Any) -> None:
    """An invoice still unpaid after its last reminder: the subscriptions it bills are suspended."""
    from guichet_contracts.domain_events.invoices import InvoiceUnpaid

    from . import suspensions
    from .renewals import local_day

    now = datetime.now(UTC)
    suspensions.invoice_unpaid(events.received(event, InvoiceUnpaid).data, now=now, today=local_day(now))


@handlers.on_cw_event({"source": ["guichet.invoices"], "detail-type": ["InvoicePaid"]}, name="invoice_paid")
def invoice_paid(event: Any) -> None:
    """Nothing is due on an invoice any more: what was suspended for it resumes."""
    from guichet_contracts.domain_events.invoices import InvoicePaid

    from . import suspensions
    from .renewals import local_day

    now = datetime.now(UTC)
    suspensions.invoice_paid(events.received(event, InvoicePaid).data, now=now, today=local_day(now))


@handlers.on_cw_event(
    {"source": ["guichet.invoices"], "detail-type": ["InvoiceVoided"]}, name="invoice_voided"
)
def invoice_voided(event: Any) -> None:
    """An order's invoice voided unpaid: the order is cancelled."""
    from guichet_contracts.domain_events.invoices import InvoiceVoided

    from . import orders

    orders.invoice_voided(events.received(event, InvoiceVoided).data, now=datetime.now(UTC))


@handlers.schedule(Cron(0, 5, "*", "*", "?", "*"), name="send_renewal_reminders")
def send_renewal_reminders(event: Any) -> dict[str, int]:
    """Daily: the 30/7/1-day renewal reminders (7 days for auto-renewed subscriptions), and the
    notices of dearer terms a new catalog version brings running subscriptions (price_changes)."""
    from .price_changes import send_price_notices
    from .renewals import send_reminders

    now = events.scheduled_time(event)
    return {"sent": send_reminders(now=now), "price_notices": send_price_notices(now=now)}


@handlers.schedule(Cron(30, 0, "*", "*", "?", "*"), name="expire_and_renew")
def expire_and_renew(event: Any) -> dict[str, int]:
    """Daily: periods that ended are renewed (auto-renew), cancelled (asked for) or expired."""
    from .renewals import expire_and_renew as run

    return run(now=events.scheduled_time(event))


@handlers.on_cw_event(
    {"source": ["guichet.auth"], "detail-type": ["DataExportRequested"]}, name="data_export_requested"
)
def data_export_requested(event: Any) -> None:
    """A customer asked for their data: write this service's part, then say so (a repeat
    writes the same keys)."""
    from guichet_contracts import personal_data as shared
    from guichet_contracts.domain_events.subscriptions import SubscriptionsDataExported

    from . import personal_data
    from .settings import settings

    shared.export_on_request(
        event,
        personal_data.export,
        lambda export_id, customer_id, keys: SubscriptionsDataExported(
            export_id=export_id, customer_id=customer_id, keys=keys
        ),
        bus_name=settings.event_bus_name,
    )


@handlers.on_cw_event({"source": ["guichet.auth"], "detail-type": ["CustomerClosed"]}, name="customer_closed")
def customer_closed(event: Any) -> None:
    """A customer closed the account: erase their personal data here (personal_data.py; idempotent)."""
    from guichet_contracts import personal_data as shared

    from . import personal_data

    shared.erase_on_closure(event, personal_data.erase)
