"""The public webhook event types: which domain event each one is, and the body a receiver gets.

This is the one place that maps the events between services (docs/EVENTS.md) to the types the
provider's systems subscribe to (docs/WEBHOOKS.md). A domain event not listed here is never sent
out; the handlers of events.py take exactly these (a test holds them together).

The body is `{"id": <event id>, "type": <public type>, "created": <when it happened>, "data":
<the event's data as docs/EVENTS.md documents it>}`: the same bytes on every attempt and replay,
and the same `id` for one event whatever the endpoint, so that a receiver deduplicates on it.
"""

from __future__ import annotations

import json
from typing import Any

# domain event (its detail-type) -> public type, by producer
PUBLIC_TYPES: dict[str, str] = {
    "CustomerRegistered": "customer.registered",
    "CustomerUpdated": "customer.updated",
    "OrderPlaced": "order.placed",
    "OrderCompleted": "order.completed",
    "SubscriptionActivated": "subscription.activated",
    "SubscriptionRenewed": "subscription.renewed",
    "SubscriptionSuspended": "subscription.suspended",
    "SubscriptionCancelled": "subscription.cancelled",
    "AppointmentBooked": "appointment.booked",
    "OrderPaid": "order.paid",
    "PaymentSucceeded": "payment.succeeded",
    "PaymentFailed": "payment.failed",
    "PaymentRefunded": "payment.refunded",
    "InvoiceIssued": "invoice.issued",
}
EVENT_TYPES: tuple[str, ...] = tuple(sorted(PUBLIC_TYPES.values()))
EVERY_TYPE = "*"  # an endpoint's event_types: every type, those added later included


def models() -> list[Any]:
    """The domain event models of PUBLIC_TYPES, by producer then name."""
    from guichet_contracts.domain_events import catalogue

    return [model for model in catalogue() if model.name in PUBLIC_TYPES]


def body(event_id: str, name: str, occurred_at: str, data: dict[str, Any]) -> str:
    """The JSON a receiver gets for a domain event (compact, keys in this order)."""
    document = {"id": event_id, "type": PUBLIC_TYPES[name], "created": occurred_at, "data": data}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def wanted(event_types: list[str], public_type: str) -> bool:
    return EVERY_TYPE in event_types or public_type in event_types
