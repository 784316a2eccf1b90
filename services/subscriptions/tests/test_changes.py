"""Changes of a running subscription (docs/LIFECYCLE.md): another plan takes effect today and is
prorated by day over the period paid in advance (SubscriptionChanged: a credit of the old plan,
a charge of the new one); an energy contract's terms (power, option, price) take effect on the
first day of next month, billed in arrears; its point of delivery never changes by a PATCH."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from conftest import SIGNER, Customer, electricity_options, order_and_pay, set_renewal, subscription_of
from guichet_local.testing import answer, assert_error


def patch_on(customer: Customer, day: date, subscription_id: str, body: dict[str, Any]) -> Any:
    """PATCH /subscriptions/{id} at noon (Paris) on `day`, with a token issued then."""
    noon = datetime.combine(day, time(12), tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)
    with time_machine.travel(noon, tick=False):
        return replace(customer, token=SIGNER.token(customer.customer_id)).call(
            "PATCH", f"/{subscription_id}", body
        )


def changes(published: Any, customer: Customer) -> list[dict[str, Any]]:
    return [event["detail"]["data"] for event in published.of(customer.customer_id, "SubscriptionChanged")]


def test_a_plan_change_is_prorated_by_day_over_the_period_paid_in_advance(
    customer_factory: Any, published: Any
) -> None:
    # Given a 2.99 € mobile plan whose period runs from 21 February to 21 March 2065 (28 days)
    customer = customer_factory()
    line = order_and_pay(customer, "mobile-2h", "Ligne")["subscription_id"]
    set_renewal(customer, line, date(2065, 3, 21))

    # When the customer moves to the 29.99 € plan on 7 March
    response = patch_on(customer, date(2065, 3, 7), line, {"product_id": "mobile-pro-300go-5g"})

    # Then the line is on the new plan and price from today
    assert response.status_code == 200, response.body
    assert (answer(response)["product_id"], answer(response)["price_cents"]) == ("mobile-pro-300go-5g", 2999)
    # and SubscriptionChanged credits the old plan and charges the new one for the 14 days left
    (change,) = changes(published, customer)
    assert (change["effective_on"], change["previous_product_id"], change["previous_price_cents"]) == (
        "2065-03-07",
        "mobile-2h",
        299,
    )
    period = {"period_start": "2065-02-21", "period_end": "2065-03-21", "days_in_period": 28, "days": 14}
    assert change["credit"] == {**period, "price_cents": 299, "amount_cents": 150, "currency": "EUR"}
    assert change["charge"] == {**period, "price_cents": 2999, "amount_cents": 1500, "currency": "EUR"}
    assert change["subscription"]["tariff"]["allowances"][0] == {"unit": "GB", "included": "300"}


def test_an_energy_contract_change_takes_effect_next_month_at_the_new_powers_price(
    customer_factory: Any, published: Any
) -> None:
    # Given an electricity contract at 9 kVA on the off-peak option
    customer = customer_factory()
    contract = order_and_pay(customer, "electricity-essentielle", "Maison", electricity_options())
    assert contract["price_cents"] == 1972

    # When the customer moves to 12 kVA on the base option, on 10 May 2065
    response = patch_on(
        customer,
        date(2065, 5, 10),
        contract["subscription_id"],
        {"options": {"subscribed_power_kva": 12, "tariff_option": "base"}},
    )

    # Then the contract and the price follow (12 kVA's), from 1 June: energy is billed by the month
    assert response.status_code == 200, response.body
    stored = subscription_of(customer, contract["subscription_id"])
    assert (stored["price_cents"], stored["contract"]["subscribed_power_kva"]) == (2374, 12)
    (change,) = changes(published, customer)
    assert (change["effective_on"], change["credit"], change["charge"]) == ("2065-06-01", None, None)
    assert (change["previous_price_cents"], change["previous_contract"]["subscribed_power_kva"]) == (1972, 9)
    assert change["previous_contract"]["tariff_option"] == "off_peak"
    assert change["subscription"]["contract"]["tariff_option"] == "base"


def test_a_delivery_point_never_changes_by_a_patch(customer_factory: Any, published: Any) -> None:
    # Given an electricity contract
    customer = customer_factory()
    contract = order_and_pay(customer, "electricity-essentielle", "Maison", electricity_options())

    # When the customer tries to change its PDL
    response = customer.call(
        "PATCH", f"/{contract['subscription_id']}", {"options": {"pdl": "98765432109876"}}
    )

    # Then 422: a move is a new contract; nothing changed, nothing announced
    assert_error(response, 422, "validation_failed", "options.pdl")
    assert subscription_of(customer, contract["subscription_id"])["contract"] == contract["contract"]
    assert changes(published, customer) == []


def test_switching_auto_renewal_changes_nothing_that_is_billed(customer_factory: Any, published: Any) -> None:
    # Given a mobile line
    customer = customer_factory()
    line = order_and_pay(customer, "mobile-2h", "Ligne")["subscription_id"]

    # When its auto-renewal is switched off
    assert customer.call("PATCH", f"/{line}", {"auto_renew": False}).status_code == 200

    # Then no SubscriptionChanged: the plan and its price are the same
    assert changes(published, customer) == []
