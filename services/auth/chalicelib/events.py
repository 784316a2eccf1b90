"""Event handlers of the auth service: the domain events sent out as webhooks (docs/WEBHOOKS.md),
and those of the customer's GDPR rights (below the webhooks: data exports and account closure).

One handler per producer, each taking the events of webhook_events.PUBLIC_TYPES that producer
publishes (an event pattern names one source; a test holds these lists to PUBLIC_TYPES). The
handler records one delivery per endpoint wanting the event's type and attempts them at once;
the retry job (jobs.py) does the rest. A handler failing is retried by EventBridge, then the
event is dead-lettered; recording is idempotent on the event id, so a retry sends nothing twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalice import Blueprint
from guichet_contracts import events

handlers = Blueprint(__name__)


@handlers.on_cw_event(
    {"source": ["guichet.auth"], "detail-type": ["CustomerRegistered", "CustomerUpdated"]},
    name="webhooks_from_auth",
)
def webhooks_from_auth(event: Any) -> dict[str, int]:
    return _send_out(event)


@handlers.on_cw_event(
    {
        "source": ["guichet.subscriptions"],
        "detail-type": [
            "AppointmentBooked",
            "OrderCompleted",
            "OrderPlaced",
            "SubscriptionActivated",
            "SubscriptionCancelled",
            "SubscriptionRenewed",
            "SubscriptionSuspended",
        ],
    },
    name="webhooks_from_subscriptions",
)
def webhooks_from_subscriptions(event: Any) -> dict[str, int]:
    return _send_out(event)


@handlers.on_cw_event(
    {
        "source": ["guichet.invoices"],
        "detail-type": ["InvoiceIssued", "OrderPaid", "PaymentFailed", "PaymentRefunded", "PaymentSucceeded"],
    },
    name="webhooks_from_invoices",
)
def webhooks_from_invoices(event: Any) -> dict[str, int]:
    return _send_out(event)


def _send_out(event: Any) -> dict[str, int]:
    from . import webhook_deliveries, webhook_events

    envelope = events.received(event, *webhook_events.models())
    now = datetime.now(UTC)
    occurred_at = datetime.strptime(envelope.occurred_at, events.TIME_FORMAT).replace(tzinfo=UTC)
    made = webhook_deliveries.record(
        envelope.event_id, envelope.name, occurred_at, envelope.data.data(), now=now
    )
    succeeded = webhook_deliveries.attempt_new(made, now=now)
    return {"recorded": len(made), "succeeded": succeeded}


# --- data exports and account closure (data_exports.py, closure.py) ------------------------------
# Each is idempotent: a repeated event writes the same part, records the same fact, erases nothing more.


@handlers.on_cw_event(
    {"source": ["guichet.auth"], "detail-type": ["DataExportRequested", "CustomerClosed"]},
    name="privacy_requested",
)
def privacy_requested(event: Any) -> None:
    from guichet_contracts.domain_events.auth import CustomerClosed, DataExportRequested

    from . import data_exports, personal_data

    data = events.received(event, DataExportRequested, CustomerClosed).data
    if isinstance(data, DataExportRequested):
        keys = personal_data.export(data.export_id, data.customer_id)
        data_exports.part_written(data.export_id, data.customer_id, "auth", keys, now=datetime.now(UTC))
    elif isinstance(data, CustomerClosed):
        personal_data.erase(data.customer_id)


def _part_written(event: Any, model: Any, service: str) -> None:
    from . import data_exports

    data = events.received(event, model).data
    data_exports.part_written(data.export_id, data.customer_id, service, data.keys, now=datetime.now(UTC))


@handlers.on_cw_event(
    {"source": ["guichet.subscriptions"], "detail-type": ["SubscriptionsDataExported"]},
    name="subscriptions_data_exported",
)
def subscriptions_data_exported(event: Any) -> None:
    from guichet_contracts.domain_events.subscriptions import SubscriptionsDataExported

    _part_written(event, SubscriptionsDataExported, "subscriptions")


@handlers.on_cw_event(
    {"source": ["guichet.invoices"], "detail-type": ["InvoicesDataExported"]},
    name="invoices_data_exported",
)
def invoices_data_exported(event: Any) -> None:
    from guichet_contracts.domain_events.invoices import InvoicesDataExported

    _part_written(event, InvoicesDataExported, "invoices")


@handlers.on_cw_event(
    {"source": ["guichet.consumption"], "detail-type": ["ConsumptionDataExported"]},
    name="consumption_data_exported",
)
def consumption_data_exported(event: Any) -> None:
    from guichet_contracts.domain_events.consumption import ConsumptionDataExported

    _part_written(event, ConsumptionDataExported, "consumption")


@handlers.on_cw_event(
    {
        "source": ["guichet.subscriptions"],
        "detail-type": ["SubscriptionActivated", "SubscriptionCancelled", "SubscriptionExpired"],
    },
    name="contract_standing",
)
def contract_standing(event: Any) -> None:
    """What closure.py needs of contracts: that they exist, and when they end."""
    from guichet_contracts.domain_events.subscriptions import (
        SubscriptionActivated,
        SubscriptionCancelled,
        SubscriptionExpired,
    )

    from . import closure

    data = events.received(event, SubscriptionActivated, SubscriptionCancelled, SubscriptionExpired).data
    subscription = data.subscription
    if isinstance(data, SubscriptionActivated):
        ended = subscription.status in ("expired", "cancelled")  # an ended contract, imported
        closure.contract_started(
            subscription.customer_id,
            subscription.subscription_id,
            subscription.label,
            ended_on=(subscription.renews_on - timedelta(days=1)).isoformat() if ended else None,
        )
    else:
        closure.contract_ended(
            subscription.customer_id,
            subscription.subscription_id,
            subscription.label,
            ended_on=data.ended_on.isoformat(),
            stopped=isinstance(data, SubscriptionCancelled) and data.immediate,
        )


@handlers.on_cw_event(
    {"source": ["guichet.invoices"], "detail-type": ["InvoiceIssued", "InvoicePaid", "InvoiceVoided"]},
    name="invoice_standing",
)
def invoice_standing(event: Any) -> None:
    """What closure.py needs of invoices: what is due, until it is paid or void."""
    from guichet_contracts.domain_events.invoices import InvoiceIssued, InvoicePaid, InvoiceVoided

    from . import closure

    data = events.received(event, InvoiceIssued, InvoicePaid, InvoiceVoided).data
    if isinstance(data, InvoiceIssued):
        if data.status == "open" and data.amount_due_cents > 0:
            closure.invoice_due(
                data.customer_id,
                data.invoice_id,
                data.number,
                data.amount_due_cents,
                data.currency,
                data.due_on.isoformat(),
            )
    else:
        closure.invoice_settled(data.customer_id, data.invoice_id, data.number)
