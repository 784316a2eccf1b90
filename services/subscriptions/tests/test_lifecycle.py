"""The subscription lifecycle (subscriptions.TRANSITIONS): the allowed moves work, the others are
a 409 `forbidden_transition` that changes nothing, and settings are validated per family."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from conftest import (
    Customer,
    electricity_options,
    idempotency_key,
    new_client,
    order_and_pay,
    order_and_pay_many,
    orders_of,
    pay,
    register_customer,
    set_renewal,
    subscription_of,
    utc,
)
from dateutil.relativedelta import relativedelta
from guichet_local.testing import answer, assert_error


def test_a_website_goes_from_confirmation_to_configuration_to_active(customer_factory: Any) -> None:
    # Given a basic website pack just paid: it waits for the customer's confirmation
    customer = customer_factory()
    subscription = order_and_pay(customer, "website-site-basic", "Vitrine")
    subscription_id = subscription["subscription_id"]
    assert subscription["status"] == "pending_confirmation"

    # When the customer confirms it
    confirmed = customer.call("POST", f"/{subscription_id}/confirm")

    # Then it waits for its settings
    assert confirmed.status_code == 200 and answer(confirmed)["status"] == "to_configure"

    # When valid settings are put
    configured = customer.call(
        "PUT", f"/{subscription_id}/settings", {"domain": "Chez-Lea.FR.", "cms": "wordpress"}
    )

    # Then it is active with the settings normalised
    assert configured.status_code == 200
    assert answer(configured)["status"] == "active"
    assert answer(configured)["settings"] == {"domain": "chez-lea.fr", "cms": "wordpress"}

    # When settings change again while active
    changed = customer.call("PUT", f"/{subscription_id}/settings", {"domain": "chez-lea.fr", "cms": "joomla"})

    # Then they are replaced and it stays active
    assert changed.status_code == 200
    stored = subscription_of(customer, subscription_id)
    assert (stored["status"], stored["settings"]["cms"]) == ("active", "joomla")


@pytest.mark.time_machine(utc(2027, 6, 30, 22, 30), tick=False)
def test_cancel_immediately(customer_factory: Any, published: Any) -> None:
    # Given an active mobile line with auto-renewal, on 30 June 2027 at 22:30 UTC (1 July in Paris)
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    customer.call("PATCH", f"/{subscription_id}", {"auto_renew": True})

    # When it is cancelled immediately
    response = customer.call(
        "POST", f"/{subscription_id}/cancel", {"reason": "Trop cher", "at": "immediately"}
    )

    # Then it is cancelled today in Paris, without auto-renewal, and SubscriptionCancelled is published
    assert response.status_code == 200
    body = answer(response)
    assert (body["status"], body["auto_renew"], body["cancel_at"]) == ("cancelled", False, "2027-07-01")
    assert subscription_of(customer, subscription_id) == body
    cancelled = published.of(customer.customer_id, "SubscriptionCancelled")
    assert [event["detail"]["data"]["subscription"]["subscription_id"] for event in cancelled] == [
        subscription_id
    ]
    assert cancelled[0]["detail"]["data"]["subscription"]["status"] == "cancelled"
    assert cancelled[0]["source"] == "guichet.subscriptions"


def test_cancel_at_the_end_of_the_period_then_the_job_cancels_it_on_that_date(
    customer_factory: Any, fresh_jobs: None, published: Any
) -> None:
    # Given an active mobile line whose period ends on 10 June 2045 (the next would start then),
    # cancelled at the end of it
    from chalicelib import renewals

    customer = customer_factory()
    subscription_id = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    set_renewal(customer, subscription_id, date(2045, 6, 10))
    planned = customer.call(
        "POST", f"/{subscription_id}/cancel", {"reason": "Je pars", "at": "end_of_period"}
    )
    assert planned.status_code == 200
    assert (answer(planned)["status"], answer(planned)["cancel_at"]) == ("active", "2045-06-10")
    assert published.of(customer.customer_id, "SubscriptionCancelled") == []

    # When the job runs on its period's last day
    renewals.expire_and_renew(now=utc(2045, 6, 9, 0, 30))

    # Then it still runs
    assert subscription_of(customer, subscription_id)["status"] == "active"

    # When the job runs on the day its period ends, and again
    outcome = renewals.expire_and_renew(now=utc(2045, 6, 10, 0, 30))
    renewals.expire_and_renew(now=utc(2045, 6, 10, 5, 30))

    # Then it is cancelled, once, and SubscriptionCancelled is published once, its last day of
    # service being the period's last
    assert outcome["cancelled"] == 1
    stored = subscription_of(customer, subscription_id)
    assert (stored["status"], stored["cancel_at"]) == ("cancelled", "2045-06-10")
    cancelled = published.of(customer.customer_id, "SubscriptionCancelled")
    assert [event["detail"]["data"]["subscription"]["subscription_id"] for event in cancelled] == [
        subscription_id
    ]
    assert (cancelled[0]["detail"]["data"]["ended_on"], cancelled[0]["detail"]["data"]["immediate"]) == (
        "2045-06-09",
        False,
    )
    assert orders_of(customer)[0]["kind"] == "purchase" and len(orders_of(customer)) == 1


def in_state(customer: Customer, state: str) -> str:
    """A subscription of the customer in `state`, made through the API."""
    return in_states(customer, [state])[state]


STATES = ("pending_confirmation", "to_configure", "active", "cancelled", "ending")


def in_states(customer: Customer, states: list[str] | tuple[str, ...]) -> dict[str, str]:
    """One subscription of the customer in each of `states` (ending: cancelled at the end of its
    period), made through the API with one order: state -> subscription id."""
    product = {"pending_confirmation": "website-site-basic", "to_configure": "hosting-linux-100"}
    made = order_and_pay_many(
        customer, [(product.get(state, "mobile-50go"), state, None) for state in states]
    )
    ids = {subscription["label"]: subscription["subscription_id"] for subscription in made}
    if "cancelled" in ids:
        customer.call("POST", f"/{ids['cancelled']}/cancel", {"reason": "Fini", "at": "immediately"})
    if "ending" in ids:
        customer.call("POST", f"/{ids['ending']}/cancel", {"reason": "Bientôt fini", "at": "end_of_period"})
    return ids


@pytest.fixture(scope="module")
def states(app: Any, signer: Any) -> tuple[Customer, dict[str, str]]:
    """A customer with a subscription in each state, shared by the tests of refused actions (each
    checks that nothing changed)."""
    customer = register_customer(new_client(app), signer)
    return customer, in_states(customer, STATES)


FORBIDDEN = [
    pytest.param("active", "POST", "/confirm", None, id="confirm-active"),
    pytest.param("to_configure", "POST", "/confirm", None, id="confirm-to-configure"),
    pytest.param("cancelled", "POST", "/confirm", None, id="confirm-cancelled"),
    pytest.param(
        "cancelled",
        "PUT",
        "/settings",
        {"apn": "free", "roaming": True, "voicemail": True},
        id="settings-cancelled",
    ),
    pytest.param(
        "pending_confirmation", "PUT", "/settings", {"domain": "a-b.fr", "cms": "none"}, id="settings-pending"
    ),
    pytest.param("cancelled", "POST", "/renew", {"periods": 1}, id="renew-cancelled"),
    pytest.param("pending_confirmation", "POST", "/renew", {"periods": 1}, id="renew-pending"),
    pytest.param("ending", "POST", "/renew", {"periods": 1}, id="renew-ending"),
    pytest.param(
        "cancelled", "POST", "/cancel", {"reason": "Encore", "at": "immediately"}, id="cancel-twice"
    ),
    pytest.param(
        "cancelled",
        "POST",
        "/cancel",
        {"reason": "Encore", "at": "end_of_period"},
        id="cancel-cancelled-later",
    ),
    pytest.param(
        "ending", "POST", "/cancel", {"reason": "Encore", "at": "end_of_period"}, id="plan-cancel-twice"
    ),
    pytest.param("cancelled", "PATCH", "", {"auto_renew": True}, id="patch-cancelled"),
    pytest.param("ending", "PATCH", "", {"auto_renew": True}, id="auto-renew-ending"),
]


@pytest.mark.parametrize(("state", "method", "action", "body"), FORBIDDEN)
def test_a_forbidden_transition_is_refused_and_changes_nothing(
    states: tuple[Customer, dict[str, str]], state: str, method: str, action: str, body: Any
) -> None:
    # Given a subscription in `state`
    customer, ids = states
    subscription_id = ids[state]
    before, orders_before = subscription_of(customer, subscription_id), orders_of(customer)

    # When the action is asked for
    response = customer.call(method, f"/{subscription_id}{action}", body, headers=idempotency_key())

    # Then it is a 409 forbidden_transition, and the subscription and the orders are as they were
    assert_error(response, 409, "forbidden_transition")
    assert subscription_of(customer, subscription_id) == before
    assert orders_of(customer) == orders_before


@pytest.fixture(scope="module")
def waiting(app: Any, signer: Any) -> tuple[Customer, dict[str, str]]:
    """A customer with a hosting pack and a website waiting for settings, and an active mobile line,
    shared by the tests of refused settings and changes (each checks that nothing changed)."""
    customer = register_customer(new_client(app), signer)
    products = ("hosting-linux-100", "website-site-pro", "mobile-50go")
    made = order_and_pay_many(customer, [(product, "Essai", None) for product in products])
    return customer, {subscription["product_id"]: subscription["subscription_id"] for subscription in made}


@pytest.mark.parametrize(
    ("product", "settings", "named"),
    [
        pytest.param("hosting-linux-100", {"database_name": "mysql"}, ["database_name"], id="reserved-name"),
        pytest.param(
            "hosting-linux-100",
            {"database_name": "ok_db", "php_version": "5.6"},
            ["php_version"],
            id="old-php",
        ),
        pytest.param(
            "hosting-linux-100", {"database_name": "ok_db", "colour": "red"}, ["colour"], id="unknown-field"
        ),
        pytest.param("hosting-linux-100", {}, ["database_name"], id="missing"),
        pytest.param(
            "website-site-pro",
            {"domain": "https://x.fr", "cms": "drupal"},
            ["domain", "cms"],
            id="website-two-fields",
        ),
        pytest.param(
            "mobile-50go",
            {"apn": "free", "roaming": "yes", "voicemail": 1},
            ["roaming", "voicemail"],
            id="strict-types",
        ),
    ],
)
def test_invalid_settings_are_refused_naming_each_field(
    waiting: tuple[Customer, dict[str, str]], product: str, settings: dict[str, Any], named: list[str]
) -> None:
    # Given a subscription waiting for its settings (or an active mobile line)
    customer, ids = waiting
    subscription_id = ids[product]
    before = subscription_of(customer, subscription_id)

    # When invalid settings are put
    response = customer.call("PUT", f"/{subscription_id}/settings", settings)

    # Then 422 names each wrong field, and the subscription did not move
    error = assert_error(response, 422, "validation_failed", *named)
    assert set(error["fields"]) == set(named)
    assert subscription_of(customer, subscription_id) == before


def test_two_confirmations_at_once_confirm_once(app: Any, customer_factory: Any, concurrent_app: Any) -> None:
    # Given a website waiting for confirmation, and the customer on two devices
    customer = customer_factory()
    subscription_id = in_state(customer, "pending_confirmation")
    devices = [
        Customer(customer.customer_id, customer.email, customer.token, new_client(app)) for _ in range(2)
    ]

    # When both confirm at the same time
    responses = concurrent_app(
        *[lambda device=device: device.call("POST", f"/{subscription_id}/confirm") for device in devices]
    )

    # Then one confirmation is taken, the other is refused, and it waits for its settings
    assert sorted(response.status_code for response in responses) == [200, 409]
    assert_error(
        next(response for response in responses if response.status_code == 409), 409, "forbidden_transition"
    )
    assert subscription_of(customer, subscription_id)["status"] == "to_configure"


@pytest.mark.time_machine(utc(2046, 3, 9, 23, 30), tick=False)
def test_an_expired_subscription_renewed_and_paid_is_active_again(
    customer_factory: Any, fresh_jobs: None
) -> None:
    # Given a mobile line without auto-renewal whose period ended on 3 March 2046, that the job
    # expired, on 9 March 2046 at 23:30 UTC (already 10 March in Paris)
    from chalicelib import renewals

    customer = customer_factory()
    subscription_id = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    set_renewal(customer, subscription_id, date(2046, 3, 4))
    assert customer.call("PATCH", f"/{subscription_id}", {"auto_renew": False}).status_code == 200
    renewals.expire_and_renew(now=utc(2046, 3, 4, 0, 30))
    assert subscription_of(customer, subscription_id)["status"] == "expired"

    # When it is renewed for one month and paid
    renewal = customer.call("POST", f"/{subscription_id}/renew", {"periods": 1}, headers=idempotency_key())
    assert renewal.status_code == 201
    pay(customer, answer(renewal)["order_id"])

    # Then it is active again for a month from the day it was paid (in Paris), not from its old end
    stored = subscription_of(customer, subscription_id)
    assert (stored["status"], stored["renews_on"]) == ("active", "2046-04-10")


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        pytest.param({"product_id": "mobile-50go"}, "validation_failed", "product_id", id="other-family"),
        pytest.param({"product_id": "hosting-linux-10000"}, "validation_failed", "product_id", id="yearly"),
        pytest.param({"product_id": "hosting-linux-9999"}, "unknown_product", "product_id", id="unknown"),
        pytest.param(
            {"options": {"domain_name": "not a domain"}}, "validation_failed", "domain_name", id="bad-option"
        ),
        pytest.param({"status": "active"}, "validation_failed", "status", id="status-not-changeable"),
    ],
)
def test_an_invalid_change_is_refused_and_changes_nothing(
    waiting: tuple[Customer, dict[str, str]], change: dict[str, Any], code: str, field: str
) -> None:
    # Given a monthly hosting pack
    customer, ids = waiting
    subscription_id = ids["hosting-linux-100"]
    before = subscription_of(customer, subscription_id)

    # When an invalid change is asked for
    response = customer.call("PATCH", f"/{subscription_id}", change)

    # Then it is refused naming the field, and nothing changed
    assert_error(response, 422, code, field)
    assert subscription_of(customer, subscription_id) == before


def test_an_option_change_is_validated_and_stored(customer_factory: Any) -> None:
    # Given a hosting pack ordered without a domain name
    customer = customer_factory()
    subscription_id = in_state(customer, "to_configure")

    # When a domain name is given
    response = customer.call("PATCH", f"/{subscription_id}", {"options": {"domain_name": "Mon-Site.FR"}})

    # Then it is stored normalised
    assert response.status_code == 200
    assert subscription_of(customer, subscription_id)["options"] == {"domain_name": "mon-site.fr"}


def test_a_change_of_electricity_options_changes_the_contract(customer_factory: Any) -> None:
    # Given an electricity subscription at 9 kVA on the off-peak option
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "electricity-essentielle", "Maison", electricity_options())[
        "subscription_id"
    ]

    # When the customer moves to 12 kVA on the base option
    response = customer.call(
        "PATCH", f"/{subscription_id}", {"options": {"subscribed_power_kva": 12, "tariff_option": "base"}}
    )

    # Then the subscription and its contract say 12 kVA without off-peak hours
    assert response.status_code == 200
    stored = subscription_of(customer, subscription_id)
    assert stored["options"]["subscribed_power_kva"] == 12
    assert stored["contract"]["subscribed_power_kva"] == 12
    assert stored["contract"]["off_peak_hours"] == []


def test_a_change_of_payment_mode_is_the_contracts(customer_factory: Any) -> None:
    # Given an electricity subscription paid monthly
    customer = customer_factory()
    before = order_and_pay(customer, "electricity-essentielle", "Maison", electricity_options())
    assert before["contract"]["payment_mode"] == "monthly"

    # When the customer asks to pay per invoice
    response = customer.call(
        "PATCH", f"/{before['subscription_id']}", {"options": {"payment_mode": "per_invoice"}}
    )

    # Then the contract says so, as when it was made the option is not kept among the options,
    # and the rest of the contract is unchanged
    assert response.status_code == 200
    stored = subscription_of(customer, before["subscription_id"])
    assert stored["contract"] == {**before["contract"], "payment_mode": "per_invoice"}
    assert stored["options"] == before["options"] and "payment_mode" not in stored["options"]


def test_renewal_of_a_subscription_waiting_for_its_settings_keeps_it_waiting(customer_factory: Any) -> None:
    # Given a hosting pack waiting for its settings
    customer = customer_factory()
    subscription = order_and_pay(customer, "hosting-linux-100", "Site")

    # When one more month is ordered and paid
    renewal = customer.call(
        "POST", f"/{subscription['subscription_id']}/renew", {"periods": 1}, headers=idempotency_key()
    )
    pay(customer, answer(renewal)["order_id"])

    # Then it still waits for its settings, one month further
    stored = subscription_of(customer, subscription["subscription_id"])
    assert stored["status"] == "to_configure"
    expected = date.fromisoformat(subscription["renews_on"]) + relativedelta(months=1)
    assert stored["renews_on"] == expected.isoformat()


@pytest.mark.parametrize(
    ("product", "options", "auto_renew"),
    [
        pytest.param("mobile-50go", None, True, id="monthly-plan"),
        pytest.param("domain-relais-essentiel", {"domain_name": "mon-domaine.fr"}, False, id="yearly-pack"),
        pytest.param("electricity-essentielle", "energy", True, id="energy"),
    ],
)
def test_auto_renewal_follows_the_offers_terms(
    customer_factory: Any, product: str, options: Any, auto_renew: bool
) -> None:
    # Given a customer ordering a product
    from conftest import electricity_options

    customer = customer_factory()

    # When it is provisioned
    chosen = electricity_options() if options == "energy" else options
    made = order_and_pay(customer, product, "Le mien", chosen)

    # Then it renews by itself as its offer says: monthly offers and energy do, yearly ones do not
    assert made["auto_renew"] is auto_renew


def test_an_energy_contract_runs_until_cancelled_and_is_never_renewed_by_hand(customer_factory: Any) -> None:
    # Given an electricity contract
    from conftest import electricity_options

    customer = customer_factory()
    contract = order_and_pay(customer, "electricity-essentielle", "Maison", electricity_options())

    # When the customer tries to stop its renewal, or to renew it by hand
    stop = customer.call("PATCH", f"/{contract['subscription_id']}", {"auto_renew": False})
    renew = customer.call(
        "POST", f"/{contract['subscription_id']}/renew", {"periods": 1}, headers=idempotency_key()
    )

    # Then both are refused: it renews by itself each month and is billed as consumed
    assert_error(stop, 409, "forbidden_transition", "auto_renew")
    assert_error(renew, 409, "forbidden_transition", "periods")
    assert subscription_of(customer, contract["subscription_id"])["auto_renew"] is True
    assert [order["kind"] for order in orders_of(customer)] == ["purchase"]
