"""Messages to the provider's support, sent from the portal's assistance page (seed 000's
"Assistance", seed 002's help, seed 004's call centre).

A message is kept in its customer's partition (SUPPORT#<sent at>#<id>, so the customer's list
reads newest first) and mailed to the brand's support address (`brand.support.email`), with the
customer id in its subject and the customer's address as Reply-To, so that an advisor answers
the customer directly; the customer gets an acknowledgement. A customer sends at most
`DAILY_LIMIT` messages a day (the provider's day): a counter per customer and day, raised in
the same transaction as the message is written, refuses the next with 429 until midnight.
A subscription the message is about must be the customer's own (404 otherwise, as a missing one).
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import mail
from guichet_contracts.brand import load_brand
from guichet_contracts.web import DEFAULT_LANGUAGE
from pynamodb.exceptions import TransactWriteError

from . import customers, mailing, subscriptions
from .errors import ProfileUnavailable, SupportMessagesExhausted
from .models import Counter, SupportMessage, customer_pk, transaction
from .schemas import SupportMessageRequest
from .settings import settings

logger = Logger(child=True)

DAILY_LIMIT = 5
SORT_PREFIX = "SUPPORT#"
_COUNTER_PREFIX = "SUPPORTDAY#"


def as_dict(item: SupportMessage) -> dict[str, Any]:
    return {
        "message_id": item.message_id,
        "topic": item.topic,
        "subject": item.subject,
        "message": item.message,
        "subscription_id": item.subscription_id,
        "sent_at": item.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def listing(
    customer_id: str, *, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of the customer's messages, newest first."""
    page = SupportMessage.query(
        customer_pk(customer_id),
        SupportMessage.sk.startswith(SORT_PREFIX),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=cursor,
    )
    items = [as_dict(item) for item in page]
    return items, page.last_evaluated_key


def _until_tomorrow(now: datetime, today: date) -> int:
    midnight = datetime.combine(today + timedelta(days=1), time(), tzinfo=settings.timezone)
    return max(1, int((midnight - now).total_seconds()))


def send(customer_id: str, request: SupportMessageRequest, *, now: datetime, today: date) -> SupportMessage:
    if request.subscription_id is not None:
        subscriptions.get(customer_id, request.subscription_id)  # the customer's own, or 404
    customer = customers.get(customer_id)
    if customer is None:
        raise ProfileUnavailable()  # no address to answer to yet (CustomerRegistered on its way)
    message_id = uuid.uuid4().hex[:16]
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    item = SupportMessage(
        customer_pk(customer_id),
        f"{SORT_PREFIX}{stamp}#{message_id}",
        message_id=message_id,
        customer_id=customer_id,
        topic=request.topic,
        subject=request.subject,
        message=request.message,
        subscription_id=request.subscription_id,
        created_at=now,
    )
    try:
        with transaction() as write:
            write.update(
                Counter(customer_pk(customer_id), f"{_COUNTER_PREFIX}{today.isoformat()}"),
                actions=[Counter.value.add(1), Counter.item_type.set(Counter)],
                condition=Counter.value.does_not_exist() | (Counter.value < DAILY_LIMIT),
            )
            write.save(item, condition=SupportMessage.sk.does_not_exist())
    except TransactWriteError as error:
        # the message's own key is new (a random id): a failed condition is the day's counter
        reasons = getattr(error, "cancellation_reasons", None) or []
        if any(reason and reason.code == "ConditionalCheckFailed" for reason in reasons):
            raise SupportMessagesExhausted(_until_tomorrow(now, today)) from None
        raise
    _mail(item, customer)
    return item


def _mail(item: SupportMessage, customer: Any) -> None:
    """The message to support (Reply-To: the customer), then the acknowledgement. The message is
    kept whatever happens to the mails: one that cannot leave is logged, never a failed request."""
    context = {  # and the customer id: mailing.send adds it to the customer's mail, from the customer
        "customer_name": " ".join(filter(None, [customer.first_name, customer.last_name])),
        "customer_email": customer.email,
        "topic": item.topic,
        "subject": item.subject,
        "message": item.message,
        "subscription_id": item.subscription_id,
        "message_id": item.message_id,
    }
    try:
        to_support = mail.render(
            settings.templates,
            "support_message",
            DEFAULT_LANGUAGE,
            load_brand().support.email,
            customer_id=item.customer_id,
            **context,
        )
        mail.send(dataclasses.replace(to_support, reply_to=customer.email), sender=settings.mail_sender)
    except Exception:
        logger.exception("support message not mailed", extra={"message_id": item.message_id})
    mailing.notify(
        "support_message_received",
        customer,
        **context,
        assistance_url=mailing.portal_link("assistance"),
    )
