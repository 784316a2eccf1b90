"""Webhook deliveries: each domain event of webhook_events.PUBLIC_TYPES, POSTed signed to every
endpoint that wants it, retried until 72 hours after the event (docs/WEBHOOKS.md).

The handlers of events.py get the event from the bus (EventBridge's retries and the service's
dead-letter queue make that hand-off durable) and `record` one delivery per endpoint wanting its
type, keyed by the endpoint and the event: the same event handled twice records nothing more.
Each new delivery is attempted at once; one that fails waits in the `due` index (WEBHOOK_RETRY,
due_at = its next attempt) for the `retry_webhook_deliveries` job, which runs every minute with
"now" from its event and retries what is due with exponential backoff (1 minute, doubling, at
most an hour apart) until 72 hours after the event, then marks it failed. Why not EventBridge
API destinations or SQS delays: EventBridge stops retrying after 24 hours and an SQS delay is
15 minutes at most, both on the wall clock, where a job taking "now" is driven by the local
runtime's clock and by tests.

An attempt claims its delivery first (a conditional write moving its next attempt LEASE ahead),
so two runs of the job never send one attempt twice, and a run killed midway leaves its claims
to come back after the lease: at least once, never lost. Every attempt carries the event's id
(the receiver's deduplication key), a `Guichet-Delivery-Id` of its own and the signature
`Guichet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, one `v1` per
secret alive (two during a rotation's grace). Requests time out after 10 seconds; any 2xx is a
success; redirects are not followed (a 3xx is a failure). The host is resolved before each
attempt and the request goes to the address checked, never to a private one (webhook_endpoints.py).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger
from guichet_contracts import observability
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from . import webhook_endpoints, webhook_events
from .errors import NotFound
from .models import Account, WebhookDelivery, WebhookEndpoint, webhook_delivery_key, webhook_endpoint_key

logger = Logger(child=True)

DUE = "WEBHOOK_RETRY"  # due_pk of a delivery waiting for an attempt
RETRY_FOR = timedelta(hours=72)
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
LEASE = timedelta(minutes=2)  # a claimed attempt comes back after this if its run died
KEEP_LOG = timedelta(days=30)
TIMEOUT_SECONDS = 10
# the handler attempts its new deliveries at once for this long at most (of its 60 seconds); the
# job does the rest within a minute
INLINE_SECONDS = 20
SIGNATURE_HEADER = "Guichet-Signature"
USER_AGENT = "Guichet-Webhooks/1"
DELIVERY_PREFIX = "DELIVERY#"
MAX_ERROR_LENGTH = 200


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: the receiver's status code (None: no answer) and what went wrong."""

    status_code: int | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def delay_after(attempts: int) -> timedelta:
    """How long after its `attempts`-th failed attempt a delivery is tried again."""
    return min(FIRST_DELAY * 2 ** min(attempts - 1, 20), MAX_DELAY)


def delivery_id(occurred_at: datetime, event_id: str) -> str:
    """The delivery of one event to one endpoint: ordered by when the event happened, the same
    for every handling of that event (what makes recording it idempotent)."""
    return occurred_at.strftime("%Y%m%d%H%M%S") + hashlib.sha256(event_id.encode()).hexdigest()[:16]


def signature_header(secrets: list[str], timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    signatures = [hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest() for secret in secrets]
    return ",".join([f"t={timestamp}", *(f"v1={signature}" for signature in signatures)])


def record(
    event_id: str, name: str, occurred_at: datetime, data: dict[str, Any], *, now: datetime
) -> list[tuple[WebhookDelivery, WebhookEndpoint]]:
    """One delivery of the event per enabled endpoint wanting its type, due now; those recorded
    by this call (none when the event was handled before), with their endpoint."""
    public_type = webhook_events.PUBLIC_TYPES[name]
    body = webhook_events.body(event_id, name, _stamp(occurred_at), data)
    made = []
    for endpoint in webhook_endpoints.every_endpoint():
        if not endpoint.enabled or not webhook_events.wanted(
            [str(kind) for kind in endpoint.event_types], public_type
        ):
            continue
        identifier = delivery_id(occurred_at, event_id)
        delivery = WebhookDelivery(
            *webhook_delivery_key(endpoint.endpoint_id, identifier),
            delivery_id=identifier,
            endpoint_id=endpoint.endpoint_id,
            client_id=endpoint.client_id,
            event_id=event_id,
            event_type=public_type,
            body=body,
            status="pending",
            attempts=0,
            created_at=occurred_at,
            give_up_at=occurred_at + RETRY_FOR,
            next_attempt_at=now,
            expires_at_epoch=int((occurred_at + KEEP_LOG).timestamp()),
            due_pk=DUE,
            due_at=_stamp(now),
        )
        try:
            delivery.save(condition=WebhookDelivery.pk.does_not_exist())
        except PutError as error:
            if _condition_failed(error):
                continue  # this event was recorded for this endpoint already
            raise
        made.append((delivery, endpoint))
    if made:
        logger.info(
            "webhook deliveries recorded",
            extra={"event_id": event_id, "event_type": public_type, "deliveries": len(made)},
        )
    return made


def attempt_new(made: list[tuple[WebhookDelivery, WebhookEndpoint]], *, now: datetime) -> int:
    """The first attempt of deliveries just recorded, for INLINE_SECONDS at most (the job does the
    rest within a minute); how many succeeded."""
    stop_at = time.monotonic() + INLINE_SECONDS
    succeeded = 0
    for delivery, endpoint in made:
        if time.monotonic() >= stop_at:
            break
        outcome = _attempt_due(delivery, endpoint, now=now)
        succeeded += bool(outcome and outcome.succeeded)
    return succeeded


def retry_due(*, now: datetime, stop: Callable[[], bool] = lambda: False) -> dict[str, int]:
    """Every delivery whose next attempt is due at `now`: attempted, or failed past its 72 hours.
    Running it twice for one `now` attempts each once (the second run finds them claimed)."""
    counts = {"attempted": 0, "succeeded": 0, "failed": 0}
    endpoints: dict[tuple[str, str], WebhookEndpoint | None] = {}
    for key in Account.due.query(DUE, Account.due_at <= _stamp(now)):
        if stop():
            break
        try:
            delivery = WebhookDelivery.get(key.pk, key.sk, consistent_read=True)
        except DoesNotExist:
            continue
        if delivery.status != "pending":
            continue
        owner = (delivery.client_id, delivery.endpoint_id)
        if owner not in endpoints:
            endpoints[owner] = _endpoint(*owner)
        endpoint = endpoints[owner]
        if endpoint is None or now >= delivery.give_up_at:
            reason = "the endpoint was deleted" if endpoint is None else None
            if _give_up(delivery, now=now, reason=reason):
                counts["failed"] += 1
            continue
        if not endpoint.enabled:
            _postpone(delivery, now=now)
            continue
        outcome = _attempt_due(delivery, endpoint, now=now)
        if outcome is None:
            continue
        counts["attempted"] += 1
        if outcome.succeeded:
            counts["succeeded"] += 1
        elif delivery.status == "failed":
            counts["failed"] += 1
    return counts


def replay(endpoint: WebhookEndpoint, delivery: WebhookDelivery, *, now: datetime) -> WebhookDelivery:
    """Send the event again now, whatever the delivery's state: one more attempt, same event id.
    A success ends a pending or failed delivery; a failure leaves its state and schedule as they were."""
    outcome = send(endpoint, delivery, attempt=int(delivery.attempts) + 1, now=now)
    for _ in range(3):
        attempts = int(delivery.attempts)
        actions = _attempted(outcome, attempts + 1, now)
        if outcome.succeeded:
            actions += _done("succeeded")
        try:
            delivery.update(actions=actions, condition=WebhookDelivery.attempts == attempts)
            return delivery
        except UpdateError as error:
            if not _condition_failed(error):
                raise
            delivery.refresh(consistent_read=True)  # the job attempted it meanwhile: count on top
    raise RuntimeError(f"delivery {delivery.delivery_id} kept changing")


def get(endpoint: WebhookEndpoint, identifier: str) -> WebhookDelivery:
    try:
        return WebhookDelivery.get(
            *webhook_delivery_key(endpoint.endpoint_id, identifier), consistent_read=True
        )
    except DoesNotExist:
        raise NotFound() from None


def listing(
    endpoint: WebhookEndpoint, *, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[WebhookDelivery], dict[str, Any] | None]:
    """One page of the endpoint's deliveries, newest event first."""
    page = WebhookDelivery.query(
        f"WEBHOOK#{endpoint.endpoint_id}",
        WebhookDelivery.sk.startswith(DELIVERY_PREFIX),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=cursor,
    )
    items = list(page)
    return items, page.last_evaluated_key if len(items) == limit else None


def as_dict(delivery: WebhookDelivery, *, payload: bool = False) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "delivery_id": delivery.delivery_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": int(delivery.attempts),
        "created_at": _iso(delivery.created_at),
        "last_attempt_at": _iso(delivery.last_attempt_at),
        "last_status_code": None if delivery.last_status_code is None else int(delivery.last_status_code),
        "last_error": delivery.last_error,
        "next_attempt_at": _iso(delivery.next_attempt_at) if delivery.status == "pending" else None,
    }
    if payload:
        answer["payload"] = json.loads(delivery.body)
    return answer


def send(endpoint: WebhookEndpoint, delivery: WebhookDelivery, *, attempt: int, now: datetime) -> Outcome:
    """POST the delivery's body to the endpoint, signed with its secrets alive at `now`."""
    parts = urlsplit(endpoint.url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _checked_address(host, port)
    if isinstance(address, Outcome):
        return address
    body = delivery.body.encode()
    secrets = [kept.secret for kept in webhook_endpoints.signing(endpoint, now)]
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Guichet-Event-Id": delivery.event_id,
        "Guichet-Event-Type": delivery.event_type,
        "Guichet-Delivery-Id": f"{delivery.delivery_id}.{attempt}",
        # the moment of sending, not the job's "now": what the receiver compares with its clock
        SIGNATURE_HEADER: signature_header(secrets, int(time.time()), body),
    }
    connection_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_type(host, port, timeout=TIMEOUT_SECONDS)

    def pinned(_: Any, timeout: Any = TIMEOUT_SECONDS, source: Any = None) -> socket.socket:
        # the address checked, not the name resolved again: no DNS answer can swap it meanwhile
        return socket.create_connection((address, port), timeout, source)

    connection._create_connection = pinned  # type: ignore[attr-defined]
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(4096)
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        return Outcome(None, _short(f"{type(error).__name__}: {error}"))
    finally:
        connection.close()
    if 200 <= status < 300:
        return Outcome(status, None)
    if 300 <= status < 400:
        return Outcome(status, "a redirect, not followed")
    return Outcome(status, f"HTTP {status}")


def _checked_address(host: str, port: int) -> str | Outcome:
    """The address to connect to: the host's first, if every address it resolves to is allowed."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return Outcome(None, "the host name does not resolve")
    # IPv4 first: a receiver on 127.0.0.1 is not on ::1, though localhost names both
    addresses = sorted(
        {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found},
        key=lambda address: (address.version, int(address)),
    )
    loopback = webhook_endpoints.loopback_allowed(host)
    if not addresses or not all(
        webhook_endpoints.public_address(address) or (loopback and address.is_loopback)
        for address in addresses
    ):
        return Outcome(None, "the host resolves to an address that is not public")
    return str(addresses[0])


def _attempt_due(delivery: WebhookDelivery, endpoint: WebhookEndpoint, *, now: datetime) -> Outcome | None:
    """Claim the delivery, attempt it and write the outcome; None when another run claimed it."""
    attempts = int(delivery.attempts)
    try:
        delivery.update(
            actions=[
                WebhookDelivery.next_attempt_at.set(now + LEASE),
                WebhookDelivery.due_at.set(_stamp(now + LEASE)),
            ],
            condition=(WebhookDelivery.attempts == attempts)
            & (WebhookDelivery.due_at == delivery.due_at)
            & (WebhookDelivery.status == "pending"),
        )
    except UpdateError as error:
        if _condition_failed(error):
            return None
        raise
    outcome = send(endpoint, delivery, attempt=attempts + 1, now=now)
    actions = _attempted(outcome, attempts + 1, now)
    following = now + delay_after(attempts + 1)
    if outcome.succeeded:
        actions += _done("succeeded")
    elif following >= delivery.give_up_at:
        actions += _done("failed")
    else:
        actions += [
            WebhookDelivery.next_attempt_at.set(following),
            WebhookDelivery.due_pk.set(DUE),
            WebhookDelivery.due_at.set(_stamp(following)),
        ]
    try:
        delivery.update(actions=actions, condition=WebhookDelivery.attempts == attempts)
    except UpdateError as error:
        if not _condition_failed(error):
            raise
        delivery.refresh(consistent_read=True)  # a replay counted an attempt meanwhile: its word stands
    else:
        if delivery.status == "failed":
            observability.count("WebhookDeliveriesFailed")
    logger.info(
        "webhook attempt",
        extra={
            "client_id": delivery.client_id,
            "endpoint_id": delivery.endpoint_id,
            "delivery_id": delivery.delivery_id,
            "event_id": delivery.event_id,
            "attempt": attempts + 1,
            "status_code": outcome.status_code,
            "error": outcome.error,
            "status": delivery.status,
        },
    )
    return outcome


def _attempted(outcome: Outcome, attempts: int, now: datetime) -> list[Any]:
    return [
        WebhookDelivery.attempts.set(attempts),
        WebhookDelivery.last_attempt_at.set(now),
        WebhookDelivery.last_status_code.set(outcome.status_code)
        if outcome.status_code is not None
        else WebhookDelivery.last_status_code.remove(),
        WebhookDelivery.last_error.set(outcome.error)
        if outcome.error is not None
        else WebhookDelivery.last_error.remove(),
    ]


def _done(status: str) -> list[Any]:
    return [
        WebhookDelivery.status.set(status),
        WebhookDelivery.next_attempt_at.remove(),
        WebhookDelivery.due_pk.remove(),
        WebhookDelivery.due_at.remove(),
    ]


def _give_up(delivery: WebhookDelivery, *, now: datetime, reason: str | None) -> bool:
    actions = _done("failed")
    if reason is not None:
        actions.append(WebhookDelivery.last_error.set(reason))
    try:
        delivery.update(
            actions=actions,
            condition=(WebhookDelivery.attempts == delivery.attempts) & (WebhookDelivery.status == "pending"),
        )
    except UpdateError as error:
        if _condition_failed(error):
            return False
        raise
    logger.info(
        "webhook delivery failed for good",
        extra={"delivery_id": delivery.delivery_id, "event_id": delivery.event_id, "reason": reason},
    )
    observability.count("WebhookDeliveriesFailed")
    return True


def _postpone(delivery: WebhookDelivery, *, now: datetime) -> None:
    """A disabled endpoint's delivery waits (an hour at a time) until it is enabled or its 72 h end."""
    following = min(now + MAX_DELAY, delivery.give_up_at)
    try:
        delivery.update(
            actions=[
                WebhookDelivery.next_attempt_at.set(following),
                WebhookDelivery.due_at.set(_stamp(following)),
            ],
            condition=(WebhookDelivery.due_at == delivery.due_at) & (WebhookDelivery.status == "pending"),
        )
    except UpdateError as error:
        if not _condition_failed(error):
            raise


def _endpoint(client_id: str, endpoint_id: str) -> WebhookEndpoint | None:
    try:
        return WebhookEndpoint.get(*webhook_endpoint_key(client_id, endpoint_id), consistent_read=True)
    except DoesNotExist:
        return None


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


def _condition_failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else _stamp(moment)
