"""Cancellation, as French law asks of a contract concluded online: reachable in a few clicks,
confirmed in writing with its effective date, and (when planned for the end of the period)
withdrawable until that date.

- `at: "immediately"`: the subscription ends today (its last day of service). A period paid in
  advance is credited for the days after today (`refund`, prorated by day: the invoices service
  issues the credit note and pays it back by the method that paid). Energy, billed in arrears,
  has nothing to credit: its last month is closed and billed as consumed.
- `at: "end_of_period"`: planned for `renews_on` (auto-renewal off); the daily job applies it on
  that day; until then the customer can withdraw it, which restores the offer's auto-renewal.
Each step is a conditional write on what it read, and each mails the customer once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from guichet_contracts import mail
from guichet_contracts.words import Phrase
from pynamodb.exceptions import UpdateError

from . import catalog, customers, documents, mailing, subscriptions
from .errors import ForbiddenTransition
from .models import Subscription

if TYPE_CHECKING:
    from guichet_contracts.domain_events.subscriptions import Proration

logger = Logger(child=True)


def cancel(
    customer_id: str, subscription_id: str, *, reason: str | None, at: str, now: datetime, today: date
) -> Subscription:
    subscription = subscriptions.get(customer_id, subscription_id)
    subscriptions.next_status("cancel", subscription.status)  # raises when not cancellable
    if at == "immediately":
        refund = unused_days_credit(subscription, today)
        subscriptions.transition(
            subscription,
            "cancel",
            now,
            [
                _reason(reason),
                Subscription.cancel_at.set(subscriptions.iso_day(today)),
                Subscription.auto_renew.set(False),
                Subscription.cancellation.set(_record(now, immediately=True, refund=refund)),
            ],
        )
        subscriptions.announce_cancelled(subscription, ended_on=today, immediate=True, refund=refund)
        _mail_cancelled(subscription, effective_on=today, immediately=True, refund=refund, today=today)
        logger.info("subscription cancelled", extra={"subscription_id": subscription_id, "at": at})
        return subscription
    if subscription.cancel_at:
        raise ForbiddenTransition(fields={"status": Phrase("field.cancellation_planned")})
    try:
        subscription.update(
            actions=[
                Subscription.cancel_at.set(subscription.renews_on),
                _reason(reason),
                Subscription.auto_renew.set(False),
                Subscription.cancellation.set(_record(now, immediately=False, refund=None)),
                Subscription.updated_at.set(now),
            ],
            condition=(Subscription.status == subscription.status)
            & (Subscription.renews_on == subscription.renews_on)
            & Subscription.cancel_at.does_not_exist(),
        )
    except UpdateError:
        raise ForbiddenTransition(fields={"status": Phrase("field.status_changed")}) from None
    _mail_cancelled(
        subscription, effective_on=date.fromisoformat(subscription.renews_on), immediately=False, today=today
    )
    logger.info(
        "cancellation planned", extra={"subscription_id": subscription_id, "on": subscription.renews_on}
    )
    return subscription


def withdraw(customer_id: str, subscription_id: str, *, now: datetime, today: date) -> Subscription:
    """Withdraw a cancellation planned for the end of the period, until that day."""
    subscription = subscriptions.get(customer_id, subscription_id)
    if subscription.status not in subscriptions.RENEWABLE or not subscription.cancel_at:
        raise ForbiddenTransition(fields={"status": Phrase("field.no_cancellation")})
    if date.fromisoformat(subscription.cancel_at) <= today:
        raise ForbiddenTransition(fields={"status": Phrase("field.cancellation_effective")})
    if subscription.cancel_reason == "move_out":
        raise ForbiddenTransition(fields={"status": Phrase("field.new_occupant")})
    planned_on = subscription.cancel_at
    try:
        subscription.update(
            actions=[
                Subscription.cancel_at.remove(),
                Subscription.cancel_reason.remove(),
                Subscription.cancellation.remove(),
                Subscription.auto_renew.set(catalog.auto_renews(catalog.product(subscription.product_id))),
                Subscription.updated_at.set(now),
            ],
            condition=(Subscription.status == subscription.status) & (Subscription.cancel_at == planned_on),
        )
    except UpdateError:
        raise ForbiddenTransition(fields={"status": Phrase("field.status_changed")}) from None
    customer = customers.get(subscription.customer_id)
    if customer is not None:
        language = customer.language
        mailing.notify(
            "cancellation_withdrawn",
            customer,
            **_about(subscription),
            planned_on=mailing.day(date.fromisoformat(planned_on), language),
            renews_on=mailing.day(date.fromisoformat(subscription.renews_on), language),
            auto_renew=bool(subscription.auto_renew),
        )
    logger.info("cancellation withdrawn", extra={"subscription_id": subscription_id})
    return subscription


def unused_days_credit(subscription: Subscription, today: date) -> Proration | None:
    """The share of a period paid in advance that the days after `today` make, or None (energy is
    billed in arrears; a period already over has no unused day; the period of a contract imported
    from the provider, who billed it, is not Guichet's to credit)."""
    if subscriptions.billed_in_arrears(subscription):
        return None
    if subscriptions.billed_by_provider(subscription):
        return None
    return subscriptions.prorated(
        subscription, price_cents=int(subscription.price_cents), from_day=today + timedelta(days=1)
    )


def _about(subscription: Subscription) -> dict[str, Any]:
    return {
        "subscription_name": subscription.name,
        "label": subscription.label if subscription.label != subscription.name else "",
        "dossier_number": subscription.dossier_number,
        "subscription_url": mailing.portal_link("subscription", id=subscription.subscription_id),
    }


def _mail_cancelled(
    subscription: Subscription,
    *,
    effective_on: date,
    immediately: bool,
    today: date,
    refund: Proration | None = None,
) -> None:
    """The cancellation confirmed in writing: a mail, with the confirmation as PDF attached (also
    among the subscription's documents). Without the PDF (it could not be made), the mail still
    leaves: the customer has the confirmation in the mail itself."""
    customer = customers.get(subscription.customer_id)
    if customer is None:
        logger.warning(
            "no customer copy: cancellation not mailed",
            extra={"subscription_id": subscription.subscription_id},
        )
        return
    language = customer.language
    attachments: tuple[mail.Attachment, ...] = ()
    try:
        content = documents.cancellation_confirmation(subscription, customer, language=language, today=today)
        attachments = (mail.Attachment(f"cancellation-{subscription.dossier_number}.pdf", content),)
    except Exception:
        logger.exception(
            "cancellation confirmation not made", extra={"subscription_id": subscription.subscription_id}
        )
    mailing.notify(
        "subscription_cancelled",
        customer,
        attachments=attachments,
        attached=bool(attachments),
        **_about(subscription),
        effective_on=mailing.day(effective_on, language),
        last_day=mailing.day(effective_on if immediately else effective_on - timedelta(days=1), language),
        immediately=immediately,
        refund=mailing.money(refund.amount_cents, refund.currency, language) if refund else None,
        withdraw_until=None if immediately else mailing.day(effective_on - timedelta(days=1), language),
    )


def _record(now: datetime, *, immediately: bool, refund: Proration | None) -> dict[str, Any]:
    """What the written confirmation of a cancellation says beside the subscription's own fields."""
    return {
        "requested_at": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "immediately": immediately,
        "refund_cents": refund.amount_cents if refund else None,
    }


def _reason(reason: str | None) -> Any:
    """The action keeping the customer's reason, or none when not given."""
    return Subscription.cancel_reason.set(reason) if reason else Subscription.cancel_reason.remove()
