"""A point of delivery (PDL) is supplied under one contract at a time (docs/LIFECYCLE.md): an order
for a PDL another customer's contract holds needs a move-in day; the holder keeps the point until
the day before, is told, and its contract ends then; the newcomer's contract starts on the day
they move in. The order is placed and paid at a fixed time (time-machine)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from conftest import (
    SIGNER,
    Customer,
    electricity_options,
    idempotency_key,
    mails_to,
    orders_of,
    pay,
    set_renewal,
    subscription_of,
)
from guichet_local.testing import answer, assert_error


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)


def order_on(customer: Customer, day: date, options: dict[str, Any]) -> Any:
    """Order electricity on `day` (a token issued then); the answer."""
    with time_machine.travel(at_noon(day), tick=False):
        fresh = replace(customer, token=SIGNER.token(customer.customer_id))
        items = [{"product_id": "electricity-essentielle", "label": "Chez moi", "options": options}]
        return fresh.call("POST", "/orders", {"items": items}, headers=idempotency_key())


def pay_on(customer: Customer, day: date, order_id: str) -> None:
    with time_machine.travel(at_noon(day), tick=False):
        pay(customer, order_id)


def holding(customer_factory: Any, day: date) -> tuple[Customer, dict[str, Any], str]:
    """A customer whose electricity contract supplies a PDL since `day`: (customer, subscription, pdl)."""
    alice = customer_factory()
    options = electricity_options()
    placed = order_on(alice, day, options)
    assert placed.status_code == 201, placed.body
    pay_on(alice, day, answer(placed)["order_id"])
    (line,) = orders_of(alice)[0]["items"]
    return alice, subscription_of(alice, line["subscription_id"]), options["pdl"].replace(" ", "")


def test_a_supplied_point_is_taken_only_with_a_move_in_day(customer_factory: Any) -> None:
    # Given Alice's contract supplying a PDL since 2 January 2066
    _, _, pdl = holding(customer_factory, date(2066, 1, 2))
    bob = customer_factory()

    # When Bob orders that PDL without saying when he moves in
    refused = order_on(bob, date(2066, 3, 1), electricity_options(pdl=pdl))

    # Then 409 asks for his move-in day, and nothing is ordered
    assert_error(refused, 409, "delivery_point_taken", "items.0.options.move_in_on")
    assert orders_of(bob) == []


def test_a_home_changing_hands_ends_the_holders_contract_the_day_before_the_move_in(
    customer_factory: Any, published: Any, mailbox: Any, fresh_jobs: None
) -> None:
    # Given Alice's contract supplying a PDL since 2 January 2066 (renewed each month: its period now
    # runs to 2 April), and Bob moving in on 15 March
    from chalicelib import renewals

    alice, alices, pdl = holding(customer_factory, date(2066, 1, 2))
    set_renewal(alice, alices["subscription_id"], date(2066, 4, 2))
    bob = customer_factory()

    # When Bob orders it on 1 March with his move-in day, and pays
    placed = order_on(bob, date(2066, 3, 1), electricity_options(pdl=pdl, move_in_on="2066-03-15"))
    assert placed.status_code == 201, placed.body
    pay_on(bob, date(2066, 3, 1), answer(placed)["order_id"])

    # Then Bob's contract starts on 15 March, on that point
    (line,) = orders_of(bob)[0]["items"]
    bobs = subscription_of(bob, line["subscription_id"])
    assert (bobs["started_on"], bobs["renews_on"], bobs["contract"]["pdl"]) == (
        "2066-03-15",
        "2066-04-15",
        pdl,
    )
    (activated,) = published.of(bob.customer_id, "SubscriptionActivated")
    assert activated["detail"]["data"]["subscription"]["started_on"] == "2066-03-15"
    # and Alice keeps it until then: her contract ends on the 15th, she is told, it still runs
    stored = subscription_of(alice, alices["subscription_id"])
    assert (stored["status"], stored["cancel_at"], stored["auto_renew"]) == ("active", "2066-03-15", False)
    (notice,) = mails_to(mailbox, alice.email, "nouvel occupant")
    assert "14 mars 2066" in notice["text"] and alice.customer_id in notice["text"]
    # and she cannot withdraw that end: someone moves in
    with time_machine.travel(at_noon(date(2066, 3, 5)), tick=False):
        withdraw = replace(alice, token=SIGNER.token(alice.customer_id)).call(
            "DELETE", f"/{alices['subscription_id']}/cancel"
        )
    assert_error(withdraw, 409, "forbidden_transition", "status")

    # When the daily job runs on the move-in day
    renewals.expire_and_renew(now=datetime(2066, 3, 15, 0, 30, tzinfo=UTC))

    # Then Alice's contract is cancelled, its last day of service the 14th
    assert subscription_of(alice, alices["subscription_id"])["status"] == "cancelled"
    (cancelled,) = published.of(alice.customer_id, "SubscriptionCancelled")
    data = cancelled["detail"]["data"]
    assert (data["ended_on"], data["immediate"], data["reason"]) == ("2066-03-14", False, "move_out")


def test_a_point_the_customer_holds_or_a_move_in_out_of_range_is_refused(customer_factory: Any) -> None:
    # Given Alice's contract supplying a PDL since 2 January 2066
    alice, _, pdl = holding(customer_factory, date(2066, 1, 2))
    bob = customer_factory()

    # When Alice orders it again, and Bob moves in yesterday or in half a year
    again = order_on(alice, date(2066, 2, 1), electricity_options(pdl=pdl))
    past = order_on(bob, date(2066, 2, 1), electricity_options(pdl=pdl, move_in_on="2066-01-31"))
    far = order_on(bob, date(2066, 2, 1), electricity_options(pdl=pdl, move_in_on="2066-08-01"))

    # Then each is refused, naming the field
    assert_error(again, 409, "delivery_point_already_yours", "items.0.options.pdl")
    assert_error(past, 422, "validation_failed", "items.0.options.move_in_on")
    assert_error(far, 422, "validation_failed", "items.0.options.move_in_on")


def test_a_point_whose_contract_ended_is_free(customer_factory: Any) -> None:
    # Given Alice's contract on a PDL, cancelled at once on 10 February 2066
    alice, alices, pdl = holding(customer_factory, date(2066, 1, 2))
    with time_machine.travel(at_noon(date(2066, 2, 10)), tick=False):
        cancelled = replace(alice, token=SIGNER.token(alice.customer_id)).call(
            "POST", f"/{alices['subscription_id']}/cancel", {"reason": "Départ", "at": "immediately"}
        )
    assert cancelled.status_code == 200

    # When Carol orders that PDL without a move-in day
    carol = customer_factory()
    placed = order_on(carol, date(2066, 2, 20), electricity_options(pdl=pdl))

    # Then it is hers from today
    assert placed.status_code == 201, placed.body
