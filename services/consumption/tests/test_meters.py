"""Meters come from the subscriptions service's events: each subscription has meters of its own —
an electricity subscription one, E<subscription_id>, reading its PDL; a mobile line one per
allowance unit. Events arrive at least once and in any order; a cancelled or expired
subscription's meters close on its last day; a PDL changing hands leaves each occupant their own
meter; a customer lists only their own meters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import MOBILE_TARIFF, STOCKAGE_TARIFF, SURPLUS_TARIFF, new_pdl, ok, stored_meter
from guichet_local.testing import answer


def day(text: str) -> Any:
    """The day `YYYY-MM-DD`."""
    return datetime.fromisoformat(text).date()


def meters_of(customer: Any) -> list[dict[str, Any]]:
    return list(ok(customer.call("GET", "/meters"))["items"])


def test_an_electricity_subscription_gives_one_meter_of_its_own_reading_its_pdl(
    customer_factory: Any,
) -> None:
    # Given a customer
    customer = customer_factory()
    pdl = new_pdl()

    # When their electricity subscription with off-peak hours is activated
    subscription_id = customer.subscribe(
        pdl=pdl,
        started_on="2026-02-01",
        tariff_option="off_peak",
        off_peak_hours=[{"start": "22:00", "end": "06:00"}],
    )

    # Then they have one meter, the subscription's own, reading the PDL, in kWh, with the
    # contract's off-peak hours
    (meter,) = meters_of(customer)
    assert meter["meter_id"] == f"E{subscription_id}"
    assert meter["pdl"] == pdl
    assert meter["subscription_id"] == subscription_id
    assert (meter["kind"], meter["unit"]) == ("electricity", "kWh")
    assert meter["tariff_option"] == "off_peak"
    assert meter["off_peak_hours"] == [{"start": "22:00", "end": "06:00"}]
    assert meter["has_production"] is False
    assert (meter["status"], meter["active_from"], meter["closed_on"]) == ("active", "2026-02-01", None)


def test_an_electricity_subscription_without_a_pdl_is_named_by_the_subscription(
    customer_factory: Any,
) -> None:
    # Given a customer whose new home's PDL is not known yet
    customer = customer_factory()

    # When the subscription is activated
    subscription_id = customer.subscribe(pdl=None)

    # Then its meter is E<subscription id>, with no PDL
    (meter,) = meters_of(customer)
    assert meter["meter_id"] == f"E{subscription_id}"
    assert meter["pdl"] is None


def test_the_producing_offers_have_meters_that_inject(customer_factory: Any) -> None:
    # Given a customer
    customer = customer_factory()

    # When a virtual battery, a surplus resale and a plain offer are activated
    storage = customer.subscribe(offer="virtual_storage", tariff=STOCKAGE_TARIFF, pdl=new_pdl())
    resale = customer.subscribe(offer="surplus_resale", tariff=SURPLUS_TARIFF, pdl=new_pdl())
    plain = customer.subscribe(offer="base", pdl=new_pdl())

    # Then the first two meters inject, the third does not
    production = {meter["subscription_id"]: meter["has_production"] for meter in meters_of(customer)}
    assert production == {storage: True, resale: True, plain: False}


def test_a_mobile_line_gives_one_meter_per_allowance_unit(customer_factory: Any) -> None:
    # Given a customer
    customer = customer_factory()

    # When their mobile line (50 GB, unlimited calls and texts) is activated
    subscription_id = customer.subscribe("mobile", offer=None, tariff=MOBILE_TARIFF)

    # Then they have three mobile meters, one per unit, named after the line
    meters = sorted(meters_of(customer), key=lambda meter: meter["meter_id"])
    assert [meter["meter_id"] for meter in meters] == [
        f"M{subscription_id}-GB",
        f"M{subscription_id}-min",
        f"M{subscription_id}-sms",
    ]
    assert {meter["kind"] for meter in meters} == {"mobile"}
    assert {meter["unit"] for meter in meters} == {"GB", "min", "sms"}
    assert {meter["subscription_id"] for meter in meters} == {subscription_id}
    assert {meter["pdl"] for meter in meters} == {None}


def test_another_familys_subscription_gives_no_meter(customer_factory: Any) -> None:
    # Given a customer
    customer = customer_factory()

    # When a hosting subscription is activated
    customer.subscribe("hosting", offer=None, tariff={})

    # Then they have no meter
    assert meters_of(customer) == []


def test_a_redelivered_activation_changes_nothing(customer_factory: Any) -> None:
    # Given an active electricity meter
    customer = customer_factory()
    pdl = new_pdl()
    subscription_id = customer.subscribe(pdl=pdl, started_on="2026-02-01")
    meter_id = f"E{subscription_id}"
    before = stored_meter(meter_id).serialize()

    # When the same SubscriptionActivated is delivered again (with other figures, even)
    customer.subscribe(
        pdl=pdl, started_on="2026-03-01", tariff_option="off_peak", subscription_id=subscription_id
    )

    # Then the meter is exactly as it was, and there is still one
    assert stored_meter(meter_id).serialize() == before
    assert [meter["meter_id"] for meter in meters_of(customer)] == [meter_id]


def test_a_redelivered_activation_does_not_reopen_a_cancelled_meter(customer_factory: Any) -> None:
    # Given an electricity meter whose subscription was cancelled
    customer = customer_factory()
    pdl = new_pdl()
    subscription_id = customer.subscribe(pdl=pdl)
    customer.cancel(subscription_id)

    # When its SubscriptionActivated arrives again, late
    customer.subscribe(pdl=pdl, subscription_id=subscription_id)

    # Then the meter stays closed
    (meter,) = meters_of(customer)
    assert meter["status"] == "closed"


@pytest.mark.time_machine(datetime(2027, 3, 27, 23, 30, tzinfo=UTC), tick=False)
def test_a_cancelled_subscription_closes_its_meters_today(customer_factory: Any) -> None:
    # Given a customer with an electricity meter and a mobile line
    customer = customer_factory()
    electricity = customer.subscribe(pdl=new_pdl())
    mobile = customer.subscribe("mobile", offer=None, tariff=MOBILE_TARIFF)

    # When the mobile line is cancelled (and the event delivered twice) on 27 March 2027 at 23:30 UTC
    customer.cancel(mobile, family="mobile")
    first = {meter["meter_id"]: meter["closed_on"] for meter in meters_of(customer)}
    customer.cancel(mobile, family="mobile")

    # Then its three meters are closed as of that day in Paris (already the 28th), the electricity
    # meter stays active
    states: dict[str, set[tuple[str, str | None]]] = {}
    for meter in meters_of(customer):
        states.setdefault(meter["subscription_id"], set()).add((meter["status"], meter["closed_on"]))
    assert states == {electricity: {("active", None)}, mobile: {("closed", "2027-03-28")}}
    # and the second delivery changed nothing
    assert {meter["meter_id"]: meter["closed_on"] for meter in meters_of(customer)} == first


def test_a_cancellation_of_another_customers_subscription_closes_nothing(customer_factory: Any) -> None:
    # Given Alice's electricity meter
    alice, mallory = customer_factory(), customer_factory()
    subscription_id = alice.subscribe(pdl=new_pdl())

    # When a SubscriptionCancelled names her subscription under another customer
    mallory.cancel(subscription_id)

    # Then her meter is still active
    (meter,) = meters_of(alice)
    assert meter["status"] == "active"


def test_a_customer_lists_only_their_own_meters(customer_factory: Any) -> None:
    # Given Alice with two meters and Bob with one
    alice, bob = customer_factory(), customer_factory()
    alices = {alice.subscribe(pdl=new_pdl()), alice.subscribe(pdl=new_pdl())}
    bobs = {bob.subscribe(pdl=new_pdl())}

    # When each lists their meters
    alice_sees = {meter["subscription_id"] for meter in meters_of(alice)}
    bob_sees = {meter["subscription_id"] for meter in meters_of(bob)}

    # Then each sees their own, in the list shape of API.md
    assert alice_sees == alices
    assert bob_sees == bobs
    assert answer(bob.call("GET", "/meters"))["next_cursor"] is None


def test_a_new_occupant_of_a_pdl_gets_a_meter_of_their_own_and_the_previous_one_keeps_theirs(
    customer_factory: Any,
) -> None:
    # Given Alice's meter on a PDL since January, her subscription still running
    alice, bob = customer_factory(), customer_factory()
    pdl = new_pdl()
    alices = alice.subscribe(pdl=pdl, started_on="2026-01-01")

    # When Bob's subscription of the same PDL is activated, from 1 June
    bobs = bob.subscribe(pdl=pdl, started_on="2026-06-01")

    # Then Bob has a meter of his own from the day he moved in
    (meter,) = meters_of(bob)
    assert (meter["meter_id"], meter["subscription_id"], meter["pdl"]) == (f"E{bobs}", bobs, pdl)
    assert (meter["status"], meter["active_from"], meter["closed_on"]) == ("active", "2026-06-01", None)
    # and Alice keeps hers, which ends the day before (one occupant a day)
    (meter,) = meters_of(alice)
    assert (meter["meter_id"], meter["subscription_id"], meter["pdl"]) == (f"E{alices}", alices, pdl)
    assert (meter["status"], meter["active_from"], meter["closed_on"]) == (
        "closed",
        "2026-01-01",
        "2026-05-31",
    )


def test_a_late_activation_of_an_older_subscription_ends_the_day_before_the_newer_one(
    customer_factory: Any,
) -> None:
    # Given Bob's meter on a PDL from June
    alice, bob = customer_factory(), customer_factory()
    pdl = new_pdl()
    bobs = bob.subscribe(pdl=pdl, started_on="2026-06-01")

    # When the activation of Alice's older subscription of that PDL arrives late
    alices = alice.subscribe(pdl=pdl, started_on="2026-01-01")

    # Then Bob's meter is as it was, and Alice's ends the day before his started
    assert [(m["meter_id"], m["status"], m["closed_on"]) for m in meters_of(bob)] == [
        (f"E{bobs}", "active", None)
    ]
    assert [(m["meter_id"], m["active_from"], m["closed_on"]) for m in meters_of(alice)] == [
        (f"E{alices}", "2026-01-01", "2026-05-31")
    ]


def test_a_cancelled_subscription_ends_its_meter_on_its_last_day_of_service(customer_factory: Any) -> None:
    # Given an electricity meter
    customer = customer_factory()
    subscription_id = customer.subscribe(pdl=new_pdl(), started_on="2026-01-01")

    # When its subscription is cancelled with 20 March as its last day, then the same event again
    customer.cancel(subscription_id, ended_on=day("2026-03-20"))
    customer.cancel(subscription_id, ended_on=day("2026-03-20"))

    # Then the meter ends on 20 March
    assert [(m["status"], m["closed_on"]) for m in meters_of(customer)] == [("closed", "2026-03-20")]


def test_an_expired_subscription_ends_its_meters_like_a_cancelled_one(customer_factory: Any) -> None:
    # Given an electricity meter and a mobile line
    customer = customer_factory()
    electricity = customer.subscribe(pdl=new_pdl(), started_on="2026-01-01")
    mobile = customer.subscribe("mobile", offer=None, tariff=MOBILE_TARIFF, started_on="2026-01-01")

    # When both expire, their periods ended without renewal on 31 March (delivered twice)
    for _ in range(2):
        customer.expire(electricity, ended_on=day("2026-03-31"))
        customer.expire(mobile, family="mobile", ended_on=day("2026-03-31"))

    # Then each of their meters ends on 31 March
    assert {(m["meter_id"], m["status"], m["closed_on"]) for m in meters_of(customer)} == {
        (f"E{electricity}", "closed", "2026-03-31"),
        (f"M{mobile}-GB", "closed", "2026-03-31"),
        (f"M{mobile}-min", "closed", "2026-03-31"),
        (f"M{mobile}-sms", "closed", "2026-03-31"),
    }


def test_an_end_already_there_stands_unless_earlier(customer_factory: Any) -> None:
    # Given a meter cancelled with 20 March as its last day
    customer = customer_factory()
    subscription_id = customer.subscribe(pdl=new_pdl(), started_on="2026-01-01")
    customer.cancel(subscription_id, ended_on=day("2026-03-20"))

    # When its period's expiry on 31 March arrives after, then an end on 10 March
    customer.expire(subscription_id, ended_on=day("2026-03-31"))
    after_a_later_end = [m["closed_on"] for m in meters_of(customer)]
    customer.expire(subscription_id, ended_on=day("2026-03-10"))

    # Then the later end changes nothing, the earlier one is the meter's last day
    assert after_a_later_end == ["2026-03-20"]
    assert [m["closed_on"] for m in meters_of(customer)] == ["2026-03-10"]


@pytest.mark.parametrize("family", ["electricity", "mobile"])
def test_an_end_arriving_before_the_activation_fails_so_that_it_comes_back(
    customer_factory: Any, family: str
) -> None:
    # Given a subscription whose SubscriptionActivated has not arrived yet
    from chalicelib.errors import NotYetKnown

    customer = customer_factory()

    # When its SubscriptionCancelled arrives
    # Then the handler fails (the event comes back later) rather than forget it
    with pytest.raises(NotYetKnown):
        customer.cancel(f"notyet{family}", family=family, ended_on=day("2026-03-20"))
