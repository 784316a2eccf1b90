"""Suspension for non-payment, and resumption once paid (the WHMCS rule: suspend N days after an
invoice is overdue, unsuspend automatically on payment; each step mailed).

The invoices service says when an invoice is still unpaid after its last reminder (InvoiceUnpaid)
and when nothing is due on it any more (InvoicePaid). A running subscription the invoice bills is
then suspended, remembering which invoices it waits for (`suspended_for`); it resumes when the
last of them is paid. An operator can suspend or resume by hand (`reason: operator`): an operator
suspension is lifted only by an operator. Each change is a conditional write on the status and
invoices it read, so redelivered or concurrent events change it once, and each is mailed once.

A household's electricity is never cut automatically: French law forbids cutting a home's supply
from 1 November to 31 March and asks for a procedure (notice, power reduction) outside it, which is
an operator's to run; a business's supply is suspended like any other service.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist, UpdateError

from . import customers, mailing, subscriptions
from .errors import ForbiddenTransition
from .models import InvoiceSettled, Subscription, customer_pk

if TYPE_CHECKING:
    from guichet_contracts.domain_events.invoices import InvoicePaid, InvoiceUnpaid

logger = Logger(child=True)

ATTEMPTS = 3


def invoice_unpaid(event: InvoiceUnpaid, *, now: datetime, today: date) -> list[str]:
    """Suspend the running subscriptions the unpaid invoice bills; their ids. An invoice already
    said paid (events arrive in any order) suspends nothing."""
    if _known_paid(event.customer_id, event.invoice_id):
        logger.info("unpaid invoice already paid", extra={"invoice_id": event.invoice_id})
        return []
    suspended = []
    for subscription_id in event.subscription_ids:
        subscription = _get(event.customer_id, subscription_id)
        if subscription is None:
            logger.warning(
                "unpaid invoice of an unknown subscription", extra={"subscription_id": subscription_id}
            )
            continue
        if _spared(subscription):
            logger.info(
                "household electricity is not suspended automatically",
                extra={"subscription_id": subscription_id, "invoice_id": event.invoice_id},
            )
            continue
        if _suspend(subscription, [event.invoice_id], reason="unpaid", now=now, today=today):
            suspended.append(subscription_id)
    return suspended


def invoice_paid(event: InvoicePaid, *, now: datetime, today: date) -> list[str]:
    """Resume the subscriptions that waited only for this invoice; their ids."""
    InvoiceSettled(
        customer_pk(event.customer_id),
        f"PAID#{event.invoice_id}",
        paid_on=event.paid_on.isoformat(),
        expires_at_epoch=int(now.timestamp()) + 400 * 86400,
    ).save()
    resumed = []
    for subscription_id in event.subscription_ids:
        subscription = _get(event.customer_id, subscription_id)
        if subscription is None or event.invoice_id not in _waiting(subscription):
            continue
        if _settled(subscription, event.invoice_id, now=now, today=today):
            resumed.append(subscription_id)
    return resumed


def suspend_by_operator(
    customer_id: str, subscription_id: str, *, now: datetime, today: date
) -> Subscription:
    subscription = subscriptions.get(customer_id, subscription_id)
    if not _suspend(subscription, [], reason="operator", now=now, today=today):
        raise ForbiddenTransition(
            fields={"status": Phrase("field.status_cannot_suspend", status=subscription.status)}
        )
    return subscription


def resume_by_operator(customer_id: str, subscription_id: str, *, now: datetime, today: date) -> Subscription:
    subscription = subscriptions.get(customer_id, subscription_id)
    subscriptions.next_status("resume", subscription.status)
    _resume(subscription, reason="operator", now=now, today=today)
    return subscription


def _known_paid(customer_id: str, invoice_id: str) -> bool:
    try:
        InvoiceSettled.get(customer_pk(customer_id), f"PAID#{invoice_id}", consistent_read=True)
    except DoesNotExist:
        return False
    return True


def _get(customer_id: str, subscription_id: str) -> Subscription | None:
    try:
        return subscriptions.get(customer_id, subscription_id)
    except Exception:  # NotFound: an invoice of a subscription this service no longer has
        return None


def _spared(subscription: Subscription) -> bool:
    if subscription.family != "electricity":
        return False
    customer = customers.get(subscription.customer_id)
    return customer is None or not customer.company


def _suspend(
    subscription: Subscription, invoice_ids: list[str], *, reason: str, now: datetime, today: date
) -> bool:
    """Suspend it (or add these invoices to what a suspended one waits for); True when it was running."""
    for _ in range(ATTEMPTS):
        waiting = _waiting(subscription)
        if subscription.status == "suspended":
            missing = [invoice_id for invoice_id in invoice_ids if invoice_id not in waiting]
            if missing:
                try:
                    subscription.update(
                        actions=[Subscription.suspended_for.set(waiting + missing)],  # type: ignore[arg-type]
                        condition=(Subscription.status == "suspended") & _waiting_is(waiting),
                    )
                except UpdateError:
                    _reread(subscription)
                    continue
            return False
        if subscription.status != "active":
            return False
        try:
            subscriptions.transition(
                subscription,
                "suspend",
                now,
                [
                    Subscription.suspended_for.set(list(invoice_ids)),  # type: ignore[arg-type]
                    Subscription.suspension_reason.set(reason),
                ],
            )
        except ForbiddenTransition:
            _reread(subscription)
            continue
        subscriptions.announce_suspended(subscription, reason=reason, invoice_ids=invoice_ids, on=today)
        _mail(subscription, "subscription_suspended", reason=reason, on=today)
        logger.info(
            "subscription suspended",
            extra={"subscription_id": subscription.subscription_id, "reason": reason},
        )
        return True
    raise ForbiddenTransition(fields={"status": Phrase("field.status_kept_changing")})


def _settled(subscription: Subscription, invoice_id: str, *, now: datetime, today: date) -> bool:
    """One of the invoices a suspended subscription waits for is paid; True when it resumed."""
    for _ in range(ATTEMPTS):
        waiting = _waiting(subscription)
        if invoice_id not in waiting:
            return False
        left = [other for other in waiting if other != invoice_id]
        if left or subscription.status != "suspended" or subscription.suspension_reason != "unpaid":
            try:
                subscription.update(
                    actions=[Subscription.suspended_for.set(left)],  # type: ignore[arg-type]
                    condition=(Subscription.status == subscription.status) & _waiting_is(waiting),
                )
            except UpdateError:
                _reread(subscription)
                continue
            return False
        try:
            _resume(subscription, reason="paid", now=now, today=today, condition_waiting=waiting)
        except ForbiddenTransition:
            _reread(subscription)
            continue
        return True
    raise ForbiddenTransition(fields={"status": Phrase("field.status_kept_changing")})


def _resume(
    subscription: Subscription,
    *,
    reason: str,
    now: datetime,
    today: date,
    condition_waiting: list[str] | None = None,
) -> None:
    condition = _waiting_is(condition_waiting) if condition_waiting is not None else None
    subscriptions.transition(
        subscription,
        "resume",
        now,
        [Subscription.suspended_for.remove(), Subscription.suspension_reason.remove()],
        condition=condition,
    )
    subscriptions.announce_resumed(subscription, reason=reason, on=today)
    _mail(subscription, "subscription_resumed", reason=reason, on=today)
    logger.info(
        "subscription resumed", extra={"subscription_id": subscription.subscription_id, "reason": reason}
    )


def _waiting(subscription: Subscription) -> list[str]:
    """The invoices a suspended subscription waits for."""
    return [str(invoice_id) for invoice_id in subscription.suspended_for or []]


def _waiting_is(waiting: list[str]) -> Any:
    return (
        (Subscription.suspended_for == waiting)
        if waiting
        else Subscription.suspended_for.does_not_exist() | (Subscription.suspended_for == [])
    )


def _reread(subscription: Subscription) -> None:
    try:
        subscription.refresh(consistent_read=True)
    except DoesNotExist:
        raise ForbiddenTransition(fields={"status": Phrase("field.subscription_gone")}) from None


def _mail(subscription: Subscription, template: str, *, reason: str, on: date) -> None:
    customer = customers.get(subscription.customer_id)
    if customer is None:
        logger.warning(
            "no customer copy: notice not sent", extra={"subscription_id": subscription.subscription_id}
        )
        return
    mailing.notify(
        template,
        customer,
        subscription_name=subscription.name,
        label=subscription.label if subscription.label != subscription.name else "",
        dossier_number=subscription.dossier_number,
        reason=reason,
        on=mailing.day(on, customer.language),
        invoices_url=mailing.portal_link("my-invoices"),
        subscription_url=mailing.portal_link("subscription", id=subscription.subscription_id),
    )
