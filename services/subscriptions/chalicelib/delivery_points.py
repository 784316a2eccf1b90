"""Delivery points (PDL): one running electricity contract per point, and a home changing hands.

The grid operator supplies a point of delivery under one contract at a time. An order for a PDL
that another customer's running contract holds must say when the newcomer moves in
(`options.move_in_on`): the holder keeps the point, and its readings, until the day before; on
that day the holder's contract ends (a planned cancellation, `move_out`, mailed to the holder)
and the newcomer's starts — the newcomer never sees a reading from before. A PDL the customer
already holds cannot be ordered again, and a move-in more than MOVE_IN_WITHIN_DAYS ahead or in
the past is refused.

`PDL#<pdl>` / `HOLDER` names the last contract that took the point; whether it still holds it is
read from that subscription (status, planned end), so nothing else has to be kept in step.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist, UpdateError

from . import customers, mailing, subscriptions
from .errors import Conflict, ForbiddenTransition, ValidationFailed
from .models import PdlHolder, Subscription, customer_pk

logger = Logger(child=True)

MOVE_IN_WITHIN_DAYS = 90
RUNNING = ("pending_confirmation", "to_configure", "active", "suspended")


class DeliveryPointTaken(Conflict):
    code = "delivery_point_taken"


class DeliveryPointAlreadyYours(Conflict):
    code = "delivery_point_already_yours"


def holder(pdl: str) -> Subscription | None:
    """The running contract that supplies `pdl` now or will (None when the point is free)."""
    try:
        record = PdlHolder.get(f"PDL#{pdl}", "HOLDER", consistent_read=True)
    except DoesNotExist:
        return None
    try:
        held = Subscription.get(customer_pk(record.customer_id), f"SUB#{record.subscription_id}")
    except DoesNotExist:
        return None
    return held if held.status in RUNNING else None


def check_order(customer_id: str, options: dict[str, Any], *, today: date, field: str) -> date:
    """The day an ordered electricity contract starts: today, or the move-in day the point asks for."""
    move_in = options.get("move_in_on")
    starts = date.fromisoformat(move_in) if move_in else today
    if move_in and not today <= starts <= today + timedelta(days=MOVE_IN_WITHIN_DAYS):
        raise ValidationFailed(
            fields={f"{field}.move_in_on": Phrase("field.move_in_window", days=MOVE_IN_WITHIN_DAYS)}
        )
    current = holder(options["pdl"])
    if current is None:
        return starts
    if current.customer_id == customer_id:
        raise DeliveryPointAlreadyYours(fields={f"{field}.pdl": Phrase("field.point_already_yours")})
    ends = date.fromisoformat(current.cancel_at) if current.cancel_at else None
    if ends is not None and ends <= starts:
        return starts  # the holder leaves by then
    if not move_in:
        raise DeliveryPointTaken(fields={f"{field}.move_in_on": Phrase("field.move_in_required")})
    return starts


def holder_record(subscription: Subscription) -> PdlHolder:
    """The record naming `subscription` as the point's contract (written with it when provisioned)."""
    return PdlHolder(
        f"PDL#{subscription.contract.pdl}",
        "HOLDER",
        subscription_id=subscription.subscription_id,
        customer_id=subscription.customer_id,
        since=subscription.started_on,
    )


def hand_over(previous: Subscription, newcomer: Subscription, *, now: datetime) -> None:
    """The previous holder's contract ends the day before the newcomer moves in (mailed)."""
    moves_in = date.fromisoformat(newcomer.started_on or "")
    if previous.cancel_at and date.fromisoformat(previous.cancel_at) <= moves_in:
        return  # it ends by then anyway
    renews_pk, renews_sk = subscriptions.renewal_keys(
        previous.subscription_id,
        previous.customer_id,
        previous.renews_on,
        previous.status,
        cancel_at=moves_in.isoformat(),
    )
    assert renews_pk and renews_sk  # a running contract is in the index
    try:
        previous.update(
            actions=[
                Subscription.cancel_at.set(moves_in.isoformat()),
                Subscription.cancel_reason.set("move_out"),
                Subscription.auto_renew.set(False),
                Subscription.renews_pk.set(renews_pk),
                Subscription.renews_sk.set(renews_sk),
                Subscription.updated_at.set(now),
            ],
            condition=(Subscription.status == previous.status)
            & (Subscription.renews_on == previous.renews_on),
        )
    except UpdateError:
        raise ForbiddenTransition(fields={"status": Phrase("field.previous_contract_changed")}) from None
    customer = customers.get(previous.customer_id)
    if customer is not None:
        language = customer.language
        mailing.notify(
            "moved_out",
            customer,
            subscription_name=previous.name,
            label=previous.label if previous.label != previous.name else "",
            dossier_number=previous.dossier_number,
            pdl=previous.contract.pdl,
            moves_in=mailing.day(moves_in, language),
            last_day=mailing.day(moves_in - timedelta(days=1), language),
            subscription_url=mailing.portal_link("subscription", id=previous.subscription_id),
        )
    logger.info(
        "delivery point handed over",
        extra={
            "pdl": previous.contract.pdl,
            "from": previous.subscription_id,
            "to": newcomer.subscription_id,
        },
    )
