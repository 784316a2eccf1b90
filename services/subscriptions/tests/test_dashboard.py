"""The dashboard: subscriptions expiring within 30 days, subscriptions waiting for the customer,
orders in progress; read in at most two DynamoDB requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from conftest import order_and_pay_many, place_order, set_renewal
from guichet_local.testing import answer


def test_the_dashboard_shows_what_needs_the_customers_attention(
    customer_factory: Any, route_clock: Any, dynamo_calls: Any
) -> None:
    # Given a customer with lines renewing in 10, 30 and 31 days, one in 5 days but cancelled at the
    # end of its period, one cancelled, a plan without commitment renewing itself in 7 days (it
    # never expires), two waiting for them, a paid order and one not paid yet
    now = route_clock(datetime.now(UTC).replace(microsecond=0))
    today = now.astimezone(ZoneInfo("Europe/Paris")).date()
    customer = customer_factory()
    made = order_and_pay_many(
        customer,
        [
            ("mobile-pro-300go-5g", "dans 10 jours", None),
            ("mobile-pro-300go-5g", "dans 30 jours", None),
            ("mobile-pro-300go-5g", "dans 31 jours", None),
            ("mobile-pro-300go-5g", "résiliée à terme", None),
            ("mobile-pro-300go-5g", "résiliée", None),
            ("mobile-50go", "sans engagement", None),
            ("hosting-linux-100", "à configurer", None),
            ("website-site-basic", "à confirmer", None),
        ],
    )
    ids = {subscription["label"]: subscription["subscription_id"] for subscription in made}
    for label, days in (
        ("dans 10 jours", 10),
        ("dans 30 jours", 30),
        ("dans 31 jours", 31),
        ("résiliée à terme", 5),
        ("résiliée", 3),
        ("sans engagement", 7),
    ):
        set_renewal(customer, ids[label], today + timedelta(days=days))
    customer.call("POST", f"/{ids['résiliée à terme']}/cancel", {"reason": "Fin", "at": "end_of_period"})
    customer.call("POST", f"/{ids['résiliée']}/cancel", {"reason": "Fin", "at": "immediately"})
    first_unpaid = answer(place_order(customer, [{"product_id": "mobile-2h", "label": "en attente"}]))
    route_clock(now + timedelta(seconds=2))
    second_unpaid = answer(place_order(customer, [{"product_id": "mobile-2h", "label": "en attente aussi"}]))

    # When the dashboard is read
    dynamo_calls.reset()
    response = customer.call("GET", "/dashboard")

    # Then it lists the lines expiring within 30 days (soonest first), those waiting for the
    # customer, and the orders not completed yet (newest first)
    assert response.status_code == 200
    body = answer(response)
    assert [item["label"] for item in body["expiring_soon"]] == ["dans 10 jours", "dans 30 jours"]
    assert {item["label"] for item in body["to_configure"]} == {"à configurer", "à confirmer"}
    assert {item["status"] for item in body["to_configure"]} == {"to_configure", "pending_confirmation"}
    in_progress = [order["order_id"] for order in body["orders_in_progress"]]
    assert in_progress == [second_unpaid["order_id"], first_unpaid["order_id"]]
    # And it cost at most two DynamoDB requests
    assert dynamo_calls.total <= 2, dict(dynamo_calls.requests)


def test_an_empty_dashboard(customer_factory: Any) -> None:
    customer = customer_factory()
    response = customer.call("GET", "/dashboard")
    assert response.status_code == 200
    assert answer(response) == {"expiring_soon": [], "to_configure": [], "orders_in_progress": []}
