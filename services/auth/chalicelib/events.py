"""Event handlers of the auth service: the domain events sent out as webhooks (docs/WEBHOOKS.md).

One handler per producer, each taking the events of webhook_events.PUBLIC_TYPES that producer
publishes (an event pattern names one source; a test holds these lists to PUBLIC_TYPES). The
handler records one delivery per endpoint wanting the event's type and attempts them at once;
the retry job (jobs.py) does the rest. A handler failing is retried by EventBridge, then the
event is dead-lettered; recording is idempotent on the event id, so a retry sends nothing twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
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
