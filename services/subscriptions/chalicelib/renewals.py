"""The daily renewal jobs: reminder emails, then expiry or auto-renewal at the end of a period.

A period is [start, renews_on): `renews_on` is the day the next period starts, the day the job
renews, cancels or expires it. Reminders go 30, 7 and 1 days before `renews_on` to a
subscription without auto-renewal, and once 7 days before to one with it. Each job remembers the
last day it covered, and reads the renewal days it has not covered yet from the `renewals`
index: its cost follows what is due, not the number of subscriptions. A run that comes late
catches up the most recent milestone of each subscription and never an older, stale one; the
ledger (one conditional put per subscription, renewal date and milestone) makes two runs, or two
overlapping runs, send once. At the end of a period every write is conditional on the status and
period the job read, and an auto-renewal is placed once per period (orders.renew with
`period_ending`), so overlapping runs, or a customer acting meanwhile, leave one result and no
failed run.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from aws_lambda_powertools import Logger
from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist, PutError

from . import customers, mailing, orders, subscriptions
from .errors import ForbiddenTransition
from .models import JobRun, ReminderSent, Subscription
from .settings import settings

logger = Logger(child=True)

MILESTONES = (30, 7, 1)
AUTO_RENEW_MILESTONES = (7,)
FIRST_RUN_CATCH_UP_DAYS = 7


def local_day(now: datetime) -> date:
    return now.astimezone(settings.timezone).date()


def _days_to_cover(job: str, today: date) -> list[date]:
    try:
        covered = date.fromisoformat(JobRun.get(f"JOB#{job}", "JOB").covered_until)
    except DoesNotExist:
        covered = today - timedelta(days=FIRST_RUN_CATCH_UP_DAYS)
    first = max(covered + timedelta(days=1), today - timedelta(days=max(MILESTONES)))
    return [first + timedelta(days=offset) for offset in range((today - first).days + 1)]


def _mark_covered(job: str, today: date) -> None:
    """Move the job's mark forward (never back, whatever order overlapping runs finish in)."""
    try:
        JobRun(f"JOB#{job}", "JOB", covered_until=today.isoformat()).save(
            condition=JobRun.pk.does_not_exist() | (JobRun.covered_until < today.isoformat())
        )
    except PutError:
        pass


def due_on(day: date) -> Iterator[Subscription]:
    return Subscription.renewals.query(f"RENEWS#{day.isoformat()}")


def milestone_due(subscription: Subscription, today: date) -> int | None:
    """The most recent milestone reached for this subscription's renewal, or None (an energy
    contract renews each month until cancelled: nothing to remind of)."""
    if (
        subscription.status != "active"
        or subscription.cancel_at
        or subscriptions.billed_in_arrears(subscription)
    ):
        return None
    days_left = (date.fromisoformat(subscription.renews_on) - today).days
    if days_left < 1:
        return None
    reached = [
        m for m in (AUTO_RENEW_MILESTONES if subscription.auto_renew else MILESTONES) if days_left <= m
    ]
    return min(reached) if reached else None


def send_reminders(now: datetime) -> int:
    today = local_day(now)
    candidates: dict[str, Subscription] = {}
    for day in _days_to_cover("renewal_reminders", today):
        for milestone in MILESTONES:
            for subscription in due_on(day + timedelta(days=milestone)):
                candidates[subscription.subscription_id] = subscription
    sent = 0
    for subscription in candidates.values():
        reached = milestone_due(subscription, today)
        if reached is not None and _remind(subscription, reached, today, now):
            sent += 1
    _mark_covered("renewal_reminders", today)
    return sent


def _remind(subscription: Subscription, milestone: int, today: date, now: datetime) -> bool:
    customer = customers.get(subscription.customer_id)
    if customer is None:
        logger.warning(
            "no customer copy: reminder not sent", extra={"subscription_id": subscription.subscription_id}
        )
        return False
    ledger = ReminderSent(
        f"REMINDER#{subscription.subscription_id}",
        f"{subscription.renews_on}#{milestone}",
        sent_at=now,
        expires_at_epoch=int((now + timedelta(days=400)).timestamp()),
    )
    try:
        ledger.save(condition=ReminderSent.pk.does_not_exist())
    except PutError:
        return False  # this milestone was already sent (or another run is sending it)
    language = customer.language
    try:
        mailing.send(
            "renewal_reminder",
            customer,
            subscription_name=subscription.name,
            label=subscription.label,
            dossier_number=subscription.dossier_number,
            renews_on=mailing.day(date.fromisoformat(subscription.renews_on), language),
            days_left=(date.fromisoformat(subscription.renews_on) - today).days,
            # the price of the period it renews for: a newer catalog version's once announced
            price=mailing.money(_renewal_price(subscription), subscription.currency, language),
            billing_period=subscription.billing_period,
            renew_url=mailing.portal_link("subscription", id=subscription.subscription_id, action="renew"),
            auto_renew=bool(subscription.auto_renew),
        )
    except Exception:
        ledger.delete()  # not sent: the next run tries again
        raise
    logger.info(
        "renewal reminder sent",
        extra={"subscription_id": subscription.subscription_id, "milestone": milestone},
    )
    return True


def _renewal_price(subscription: Subscription) -> int:
    from .price_changes import terms_for_renewal

    return terms_for_renewal(subscription, date.fromisoformat(subscription.renews_on)).price_cents


RUNNING = ("active", "suspended")
WAITING = ("pending_confirmation", "to_configure")  # never ran: only a planned cancellation applies
ATTEMPTS = 3


def expire_and_renew(now: datetime) -> dict[str, int]:
    """Subscriptions whose period ended (their `renews_on` has come): cancelled if asked, renewed if
    auto-renewed (an energy contract in place, anything else by a renewal order), else expired."""
    today = local_day(now)
    outcome = {"expired": 0, "cancelled": 0, "renewal_orders": 0, "renewed": 0}
    for day in _days_to_cover("expire_and_renew", today):
        for subscription in due_on(day):
            result = _end_of_period(subscription, day.isoformat(), now)
            if result is not None:
                outcome[result] += 1
    _mark_covered("expire_and_renew", today)
    return outcome


def _action_due(subscription: Subscription, period_end: str) -> str | None:
    """What the end of this period asks for, or None when nothing (or nothing any more) is due."""
    if subscription.cancel_at == period_end and subscription.status in RUNNING + WAITING:
        return "cancel"  # planned for the end of the period, or a move-out before it
    if subscription.renews_on != period_end:
        return None  # renewed (or moved) since the index was read
    if subscription.status not in RUNNING:
        return None
    if subscription.status == "suspended" and not subscriptions.billed_in_arrears(subscription):
        return "expire"  # not renewed while suspended: its unpaid invoice ends it at the term
    return "renew" if subscription.auto_renew else "expire"


def _end_of_period(subscription: Subscription, period_end: str, now: datetime) -> str | None:
    """Do what the end of the period asks; None when another run or the customer already did it.

    Each write is conditional on the status it leaves, so when two runs overlap (EventBridge
    delivers a schedule at least once) or the customer acts meanwhile, one write wins and the
    others get a ForbiddenTransition: read the subscription again and do what is still due.
    """
    for _ in range(ATTEMPTS):
        action = _action_due(subscription, period_end)
        if action is None:
            return None
        try:
            return _apply(subscription, action, period_end, now)
        except ForbiddenTransition:
            try:
                subscription.refresh(consistent_read=True)
            except DoesNotExist:
                return None
    raise ForbiddenTransition(fields={"status": Phrase("field.status_period_ended")})


def _apply(subscription: Subscription, action: str, period_end: str, now: datetime) -> str:
    if action == "renew":
        if subscriptions.billed_in_arrears(subscription):
            subscriptions.renew_in_place(subscription, period_end, now=now)
            return "renewed"
        orders.renew(
            subscription.customer_id, subscription.subscription_id, 1, now=now, period_ending=period_end
        )
        return "renewal_orders"
    # a cancellation is due on its day (the period's end, or a move-out before it), an expiry at the end
    on_that_day = (
        Subscription.cancel_at == period_end if action == "cancel" else Subscription.renews_on == period_end
    )
    subscriptions.transition(subscription, action, now, condition=on_that_day)
    last_day = date.fromisoformat(period_end) - timedelta(days=1)
    if action == "cancel":
        subscriptions.announce_cancelled(subscription, ended_on=last_day, immediate=False)
        return "cancelled"
    subscriptions.announce_expired(subscription, ended_on=last_day)
    return "expired"
