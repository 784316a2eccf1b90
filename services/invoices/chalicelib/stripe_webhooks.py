"""Stripe's webhooks: how a pending payment, debit or refund ended, turned into the same state
changes and domain events as the sandbox's immediate answers.

Stripe signs each delivery (`Stripe-Signature`: a timestamp and an HMAC-SHA256 of the body with
the endpoint's secret, kept in Secrets Manager beside the API key). The SDK checks the signature
(`stripe.Webhook.construct_event`); the timestamp is checked here against the service's clock
(`now`, 5 minutes either way), so a recorded delivery cannot be replayed later. A bad signature
answers 400 and changes nothing.

Delivery is at least once: each event id is recorded (ProviderEvent) before it is handled, so a
replay answers 200 and does nothing; a handler that fails forgets the id, and Stripe's retry
handles it again. The state changes are conditional too (a payment leaves `pending` once).

- payment_intent.succeeded: the pending payment succeeds (its invoices paid, PaymentSucceeded),
  or the installment is paid;
- payment_intent.payment_failed, payment_intent.canceled: the pending payment fails (its
  invoices payable again, PaymentFailed), or the installment is retried or failed;
- refund.updated, refund.failed, charge.refund.updated: a card refund that Stripe answered
  pending succeeds (PaymentRefunded) or fails (for an operator to make).

What a PaymentIntent or Refund is for comes from the metadata Guichet gave it (customer,
payment or installment, refund), checked against the provider reference stored with it. An
event about a payment not recorded yet (Stripe answered, and its webhook overtook the write of
the pending payment) answers 503: the id is forgotten and Stripe delivers it again later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts.errors import ServiceUnavailable
from pynamodb.exceptions import PutError

from .errors import InvalidSignature, NotFound
from .models import ProviderEvent

logger = Logger(child=True)

TOLERANCE_SECONDS = 300
INTENT_ENDED = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled")
REFUND_ENDED = ("refund.updated", "refund.failed", "charge.refund.updated")


def receive(payload: str | bytes | None, signature: str | None, *, now: datetime) -> dict[str, Any]:
    """Verify one delivery and handle its event once: {"received": true, "handled": bool}."""
    from . import payment_provider

    gateway = payment_provider.current()
    if gateway.name != "stripe":
        raise NotFound()  # this stage takes no Stripe payments
    event = _verified(gateway, payload or b"", signature, now)
    mark = ProviderEvent(f"PROVIDER_EVENT#{event.id}", "EVENT", event_type=event.type, received_at=now)
    try:
        mark.save(condition=ProviderEvent.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        logger.info("stripe event already handled", extra={"event_id": event.id, "type": event.type})
        return {"received": True, "handled": False}
    try:
        handled = _handle(event.type, event.data.object.to_dict(), now)
    except Exception:
        mark.delete()  # Stripe delivers it again
        raise
    logger.info("stripe event", extra={"event_id": event.id, "type": event.type, "handled": handled})
    return {"received": True, "handled": handled}


def _verified(gateway: Any, payload: str | bytes, signature: str | None, now: datetime) -> Any:
    import stripe

    try:
        # the SDK checks the signature; the age is checked below, against our clock
        event = stripe.Webhook.construct_event(payload, signature, gateway.webhook_secret(), tolerance=0)
    except (stripe.SignatureVerificationError, ValueError) as error:
        logger.warning("stripe webhook refused", extra={"reason": type(error).__name__})
        raise InvalidSignature() from None
    stamps = [part.split("=", 1)[1] for part in (signature or "").split(",") if part.startswith("t=")]
    if not stamps or not stamps[0].isdigit() or abs(now.timestamp() - int(stamps[0])) > TOLERANCE_SECONDS:
        logger.warning("stripe webhook refused", extra={"reason": "timestamp outside the tolerance"})
        raise InvalidSignature()
    if not getattr(event, "id", None) or not getattr(event, "type", None):
        raise InvalidSignature()
    return event


def _handle(kind: str, data: dict[str, Any], now: datetime) -> bool:
    from . import payment_schedules, payments, refunds
    from .stripe_provider import intent_outcome, refund_outcome

    metadata = data.get("metadata") or {}
    customer_id = str(metadata.get("customer_id") or "")
    if not customer_id:
        return False  # not one of Guichet's
    if kind in INTENT_ENDED:
        outcome = intent_outcome(data)
        if outcome.status == "pending":
            return False
        if metadata.get("payment_id"):
            payment_id = str(metadata["payment_id"])
            if not payments.recorded(customer_id, payment_id):
                raise NotYetRecorded(headers={"Retry-After": "60"})
            if outcome.succeeded:
                return payments.provider_succeeded(customer_id, payment_id, outcome.reference, now)
            code = outcome.decline_code or "declined"
            return payments.provider_failed(customer_id, payment_id, outcome.reference, code, now)
        if metadata.get("installment"):
            return payment_schedules.provider_debit_ended(
                customer_id, str(metadata["installment"]), outcome, now
            )
        return False
    if kind in REFUND_ENDED:
        refund_id = str(metadata.get("refund_id") or "")
        return refunds.provider_refund_ended(customer_id, refund_id, refund_outcome(data), now)
    return False


class NotYetRecorded(ServiceUnavailable):
    code = "not_yet_recorded"
