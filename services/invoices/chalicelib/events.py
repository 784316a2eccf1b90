"""Event and schedule handlers of the invoices service.

Consumed: auth's CustomerRegistered/Updated (the billing party), subscriptions' OrderPlaced,
SubscriptionActivated (a monthly payer's schedule), SubscriptionSuspended/Resumed (installments
paused and resumed), SubscriptionCancelled/Expired (installments ended; an immediate
cancellation's credit note) and SubscriptionChanged (a plan change prorated), consumption's
ConsumptionPeriodClosed, ConsumptionCorrected and SurplusPayout. Each issues at most one invoice
per business key, so redelivery is harmless. Scheduled: direct debits and overdue invoices, each
taking "now" from the event so it can be run for any date (`make job`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint, Cron
from guichet_contracts import events

handlers = Blueprint(__name__)


@handlers.on_cw_event(
    {"source": ["guichet.auth"], "detail-type": ["CustomerRegistered", "CustomerUpdated"]},
    name="customer_changed",
)
def customer_changed(event: Any) -> None:
    from guichet_contracts.domain_events.auth import CustomerRegistered, CustomerUpdated

    from . import billing_parties

    envelope = events.received(event, CustomerRegistered, CustomerUpdated)
    billing_parties.remember(envelope.data, occurred_at=envelope.occurred_at)


@handlers.on_cw_event(
    {"source": ["guichet.subscriptions"], "detail-type": ["OrderPlaced"]}, name="order_placed"
)
def order_placed(event: Any) -> None:
    from guichet_contracts.domain_events.subscriptions import OrderPlaced

    from . import billing_events

    billing_events.order_placed(events.received(event, OrderPlaced).data, now=datetime.now(UTC))


@handlers.on_cw_event(
    {"source": ["guichet.subscriptions"], "detail-type": ["SubscriptionActivated"]},
    name="subscription_activated",
)
def subscription_activated(event: Any) -> None:
    from guichet_contracts.domain_events.subscriptions import SubscriptionActivated

    from . import billing_events

    billing_events.subscription_activated(
        events.received(event, SubscriptionActivated).data, now=datetime.now(UTC)
    )


@handlers.on_cw_event(
    {"source": ["guichet.subscriptions"], "detail-type": ["SubscriptionSuspended", "SubscriptionResumed"]},
    name="subscription_paused",
)
def subscription_paused(event: Any) -> None:
    from guichet_contracts.domain_events.subscriptions import SubscriptionResumed, SubscriptionSuspended

    from . import billing_events

    data = events.received(event, SubscriptionSuspended, SubscriptionResumed).data
    if isinstance(data, SubscriptionSuspended):
        billing_events.subscription_suspended(data)
    elif isinstance(data, SubscriptionResumed):
        billing_events.subscription_resumed(data)


@handlers.on_cw_event(
    {"source": ["guichet.subscriptions"], "detail-type": ["SubscriptionCancelled", "SubscriptionExpired"]},
    name="subscription_ended",
)
def subscription_ended(event: Any) -> None:
    from guichet_contracts.domain_events.subscriptions import SubscriptionCancelled, SubscriptionExpired

    from . import billing_events

    data = events.received(event, SubscriptionCancelled, SubscriptionExpired).data
    if isinstance(data, SubscriptionCancelled | SubscriptionExpired):
        billing_events.subscription_ended(data, now=datetime.now(UTC))


@handlers.on_cw_event(
    {"source": ["guichet.subscriptions"], "detail-type": ["SubscriptionChanged"]},
    name="subscription_changed",
)
def subscription_changed(event: Any) -> None:
    from guichet_contracts.domain_events.subscriptions import SubscriptionChanged

    from . import billing_events

    billing_events.subscription_changed(
        events.received(event, SubscriptionChanged).data, now=datetime.now(UTC)
    )


@handlers.on_cw_event(
    {"source": ["guichet.consumption"], "detail-type": ["ConsumptionPeriodClosed"]},
    name="consumption_period_closed",
)
def consumption_period_closed(event: Any) -> None:
    from guichet_contracts.domain_events.consumption import ConsumptionPeriodClosed

    from . import billing_events

    billing_events.consumption_period_closed(
        events.received(event, ConsumptionPeriodClosed).data, now=datetime.now(UTC)
    )


@handlers.on_cw_event(
    {"source": ["guichet.consumption"], "detail-type": ["ConsumptionCorrected"]},
    name="consumption_corrected",
)
def consumption_corrected(event: Any) -> None:
    """An ended contract's late readings: a corrective invoice (or credit), once."""
    from guichet_contracts.domain_events.consumption import ConsumptionCorrected

    from . import billing_events

    billing_events.consumption_corrected(
        events.received(event, ConsumptionCorrected).data, now=datetime.now(UTC)
    )


@handlers.on_cw_event(
    {"source": ["guichet.consumption"], "detail-type": ["SurplusPayout"]}, name="surplus_payout"
)
def surplus_payout(event: Any) -> None:
    from guichet_contracts.domain_events.consumption import SurplusPayout

    from . import billing_events

    billing_events.surplus_payout(events.received(event, SurplusPayout).data, now=datetime.now(UTC))


@handlers.schedule(Cron(0, 4, "*", "*", "?", "*"), name="collect_direct_debits")
def collect_direct_debits(event: Any) -> dict[str, int]:
    """Daily: installments and direct-debit invoices due, and year-end regularizations."""
    from . import direct_debits

    return direct_debits.collect_direct_debits(now=events.scheduled_time(event))


@handlers.schedule(Cron(0, 6, "*", "*", "?", "*"), name="mark_overdue")
def mark_overdue(event: Any) -> dict[str, int]:
    """Daily: unpaid invoices past due become overdue; one reminder per stage."""
    from . import dunning

    return dunning.mark_overdue(now=events.scheduled_time(event))


@handlers.on_cw_event(
    {"source": ["guichet.consumption"], "detail-type": ["UsagePeriodClosed"]}, name="usage_period_closed"
)
def usage_period_closed(event: Any) -> None:
    """A mobile line's allowance period closed: its use beyond the plan is invoiced (once)."""
    from guichet_contracts.domain_events.consumption import UsagePeriodClosed

    from . import usage_billing

    usage_billing.usage_period_closed(events.received(event, UsagePeriodClosed).data, now=datetime.now(UTC))


@handlers.on_cw_event(
    {"source": ["guichet.auth"], "detail-type": ["DataExportRequested"]}, name="data_export_requested"
)
def data_export_requested(event: Any) -> None:
    """A customer asked for their data: write this service's part (with the invoices' PDFs),
    then say so (a repeat writes the same keys)."""
    from guichet_contracts import personal_data as shared
    from guichet_contracts.domain_events.invoices import InvoicesDataExported

    from . import personal_data
    from .settings import settings

    shared.export_on_request(
        event,
        personal_data.export,
        lambda export_id, customer_id, keys: InvoicesDataExported(
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
