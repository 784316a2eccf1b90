"""Every route of API.md "Subscriptions" answers with the documented fields, and each answer
validates against the service's OpenAPI document for its status."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from conftest import (
    assert_documented,
    electricity_options,
    idempotency_key,
    mails_to,
    new_client,
    order_and_pay,
    order_and_pay_many,
    place_order,
    register_customer,
    set_renewal,
    subscription_of,
    utc,
)
from guichet_local.testing import answer

SUBSCRIPTION_FIELDS = {
    "subscription_id",
    "dossier_number",
    "product_id",
    "family",
    "name",
    "label",
    "status",
    "remarks",
    "started_on",
    "renews_on",
    "auto_renew",
    "price_cents",
    "currency",
    "billing_period",
}
CONTRACT_FIELDS = {
    "contract_number",
    "offer",
    "payment_mode",
    "pdl",
    "off_peak_hours",
    "subscribed_power_kva",
}
ORDER_FIELDS = {"order_id", "status", "items", "total_cents", "currency", "created_at", "history"}
PRODUCT_FIELDS = {
    "product_id",
    "family",
    "name",
    "description",
    "price_cents",
    "currency",
    "billing_period",
    "commitment_months",
}
CATALOG = json.loads((Path(__file__).parents[1] / "chalicelib" / "catalog.json").read_text())


@pytest.fixture(scope="module", autouse=True)
def on_12_may_2027() -> Iterator[None]:
    """This module runs on 12 May 2027 from noon in Paris, so the holder's subscriptions start on a
    known day; the clock ticks, so that what is made one after the other keeps that order."""
    with time_machine.travel(utc(2027, 5, 12, 10), tick=True):
        yield


@pytest.fixture(scope="module")
def holder(app: Any, signer: Any) -> SimpleNamespace:
    """A customer with four subscriptions of one paid order, and an order not paid yet (read-only here)."""
    customer = register_customer(new_client(app), signer)
    energy = electricity_options()
    electricity, mobile, hosting, website = order_and_pay_many(
        customer,
        [
            ("electricity-stockage-virtuel", "Maison", energy),
            ("mobile-50go", "Ligne de Léa", None),
            ("hosting-linux-100", "Boutique", {"domain_name": "boutique-lea.fr"}),
            ("website-site-basic", "Vitrine", None),
        ],
    )
    unpaid = answer(place_order(customer, [{"product_id": "mobile-2h", "label": "Secours"}]))
    return SimpleNamespace(
        customer=customer,
        pdl=energy["pdl"].replace(" ", ""),
        electricity=electricity,
        mobile=mobile,
        hosting=hosting,
        website=website,
        unpaid=unpaid,
    )


def test_health_answers_ok_without_a_token(client: Any, openapi_document: dict[str, Any]) -> None:
    # When the health route is called without a token
    response = client.http.get("/health")

    # Then it is up
    assert response.status_code == 200
    assert answer(response) == {"status": "ok"}
    assert_documented(openapi_document, "GET", "/health", response)


def test_the_catalog_lists_every_product_with_the_documented_fields(
    holder: SimpleNamespace, openapi_document: dict[str, Any]
) -> None:
    # When the catalog is asked for
    response = holder.customer.call("GET", "/catalog")

    # Then every product of the deployment's catalog is there with its public fields and price
    assert response.status_code == 200
    assert_documented(openapi_document, "GET", "/catalog", response)
    items = answer(response)["items"]
    assert [item["product_id"] for item in items] == [
        product["product_id"] for product in CATALOG["products"]
    ]
    for item, product in zip(items, CATALOG["products"], strict=True):
        assert set(item) >= PRODUCT_FIELDS
        assert {name: item[name] for name in PRODUCT_FIELDS - {"currency"}} == {
            name: product[name] for name in PRODUCT_FIELDS - {"currency"}
        }
        assert item["currency"] == "EUR"
        assert "requires_confirmation" not in item  # internal catalog data stays inside


def test_the_catalog_filters_by_family(holder: SimpleNamespace, openapi_document: dict[str, Any]) -> None:
    # When the catalog is asked for one family
    response = holder.customer.call("GET", "/catalog?family=electricity")

    # Then only that family's products come, with the offer details customers compare on
    assert response.status_code == 200
    assert_documented(openapi_document, "GET", "/catalog", response)
    items = answer(response)["items"]
    assert {item["family"] for item in items} == {"electricity"}
    assert len(items) == sum(product["family"] == "electricity" for product in CATALOG["products"])
    battery = next(item for item in items if item["product_id"] == "electricity-stockage-virtuel")
    assert battery["offer"] == "virtual_storage" and battery["battery_capacity_kwh"] > 0


def test_the_list_of_subscriptions_has_the_documented_fields(
    holder: SimpleNamespace, openapi_document: dict[str, Any]
) -> None:
    # When the customer lists their subscriptions
    response = holder.customer.call("GET", "/")

    # Then the four subscriptions come, each with the fields of API.md, and no next page
    assert response.status_code == 200
    assert_documented(openapi_document, "GET", "/", response)
    body = answer(response)
    assert body["next_cursor"] is None
    assert {item["subscription_id"] for item in body["items"]} == {
        holder.electricity["subscription_id"],
        holder.mobile["subscription_id"],
        holder.hosting["subscription_id"],
        holder.website["subscription_id"],
    }
    for item in body["items"]:
        assert set(item) >= SUBSCRIPTION_FIELDS, SUBSCRIPTION_FIELDS - set(item)


def test_a_subscription_has_its_contract_and_settings(
    holder: SimpleNamespace, openapi_document: dict[str, Any]
) -> None:
    # Given the customer's mobile line, active since 12 May 2027 for a month
    subscription_id = holder.mobile["subscription_id"]

    # When it is read
    response = holder.customer.call("GET", f"/{subscription_id}")

    # Then it has every documented field, a contract without energy fields and its settings
    assert response.status_code == 200
    assert_documented(openapi_document, "GET", "/{subscription_id}", response)
    body = answer(response)
    assert SUBSCRIPTION_FIELDS | {"contract", "settings"} <= set(body)
    assert body["subscription_id"] == subscription_id
    assert (
        body["product_id"] == "mobile-50go" and body["family"] == "mobile" and body["name"] == "Forfait 50 Go"
    )
    # a monthly plan renews by itself (the offer's terms)
    assert body["label"] == "Ligne de Léa" and body["status"] == "active" and body["auto_renew"] is True
    assert body["price_cents"] == 999 and body["currency"] == "EUR" and body["billing_period"] == "month"
    assert body["dossier_number"].startswith("M") and body["remarks"] is None
    assert (body["started_on"], body["renews_on"]) == ("2027-05-12", "2027-06-12")
    assert set(body["contract"]) >= CONTRACT_FIELDS
    assert body["contract"]["payment_mode"] == "per_invoice"
    assert body["contract"]["contract_number"].startswith("C")
    assert (
        body["contract"]["pdl"],
        body["contract"]["off_peak_hours"],
        body["contract"]["subscribed_power_kva"],
    ) == (
        None,
        None,
        None,
    )
    assert body["settings"] == {}


def test_an_electricity_contract_has_the_delivery_point_off_peak_hours_and_power(
    holder: SimpleNamespace, openapi_document: dict[str, Any]
) -> None:
    # When the electricity subscription ordered with its options is read
    response = holder.customer.call("GET", f"/{holder.electricity['subscription_id']}")

    # Then its contract carries the normalised energy fields and monthly payment
    assert response.status_code == 200
    assert_documented(openapi_document, "GET", "/{subscription_id}", response)
    body = answer(response)
    assert body["family"] == "electricity" and body["status"] == "active"
    assert body["contract"]["pdl"] == holder.pdl and len(holder.pdl) == 14
    assert body["contract"]["off_peak_hours"] == [{"start": "23:00", "end": "07:00"}]
    assert body["contract"]["subscribed_power_kva"] == 9
    assert body["contract"]["offer"] == "virtual_storage"
    assert body["contract"]["payment_mode"] == "monthly"
    assert body["dossier_number"].startswith("E")


def test_the_dashboard_has_its_three_lists(holder: SimpleNamespace, openapi_document: dict[str, Any]) -> None:
    # When the dashboard is read
    response = holder.customer.call("GET", "/dashboard")

    # Then it has the three lists: the two subscriptions waiting for the customer, the unpaid order
    assert response.status_code == 200
    assert_documented(openapi_document, "GET", "/dashboard", response)
    body = answer(response)
    assert set(body) >= {"expiring_soon", "to_configure", "orders_in_progress"}
    assert {item["subscription_id"] for item in body["to_configure"]} == {
        holder.hosting["subscription_id"],
        holder.website["subscription_id"],
    }
    assert [order["order_id"] for order in body["orders_in_progress"]] == [holder.unpaid["order_id"]]


def test_the_orders_have_their_lines_and_history(
    holder: SimpleNamespace, openapi_document: dict[str, Any]
) -> None:
    # When the customer lists their orders, then reads the unpaid one
    listed = holder.customer.call("GET", "/orders")
    one = holder.customer.call("GET", f"/orders/{holder.unpaid['order_id']}")

    # Then both orders are listed, newest first, with the documented fields
    assert listed.status_code == 200
    assert_documented(openapi_document, "GET", "/orders", listed)
    items = answer(listed)["items"]
    assert len(items) == 2 and answer(listed)["next_cursor"] is None
    assert sorted(order["status"] for order in items) == ["completed", "received"]
    assert [order["created_at"] for order in items] == sorted(
        (order["created_at"] for order in items), reverse=True
    )
    for order in items:
        assert set(order) >= ORDER_FIELDS
    # And one order has its priced line and its history
    assert one.status_code == 200
    assert_documented(openapi_document, "GET", "/orders/{order_id}", one)
    order = answer(one)
    assert order == next(item for item in items if item["order_id"] == holder.unpaid["order_id"])
    assert order["items"][0]["product_id"] == "mobile-2h" and order["items"][0]["label"] == "Secours"
    assert order["total_cents"] == 299 and order["currency"] == "EUR"
    assert [step["status"] for step in order["history"]] == ["received"]


def test_orders_filter_by_status(holder: SimpleNamespace, openapi_document: dict[str, Any]) -> None:
    # When the orders are listed by status
    received = holder.customer.call("GET", "/orders?status=received")
    completed = holder.customer.call("GET", "/orders?status=completed")
    failed = holder.customer.call("GET", "/orders?status=failed")

    # Then each list holds the orders in that status only
    for response in (received, completed, failed):
        assert response.status_code == 200
        assert_documented(openapi_document, "GET", "/orders", response)
    assert [order["order_id"] for order in answer(received)["items"]] == [holder.unpaid["order_id"]]
    assert [order["status"] for order in answer(completed)["items"]] == ["completed"]
    assert answer(failed)["items"] == []


def test_the_documents_of_a_subscription_and_a_link_to_one(
    holder: SimpleNamespace, openapi_document: dict[str, Any]
) -> None:
    # Given the electricity subscription
    subscription_id = holder.electricity["subscription_id"]

    # When its documents are listed, then a link to its contract is asked for
    listed = holder.customer.call("GET", f"/{subscription_id}/documents")
    link = holder.customer.call("GET", f"/{subscription_id}/documents/contract")

    # Then the three kinds are listed with a title, and the link is a short-lived URL
    assert listed.status_code == 200
    assert_documented(openapi_document, "GET", "/{subscription_id}/documents", listed)
    assert [item["kind"] for item in answer(listed)["items"]] == ["contract", "terms", "proof_of_address"]
    assert all(item["title"] for item in answer(listed)["items"])
    assert link.status_code == 200
    assert_documented(openapi_document, "GET", "/{subscription_id}/documents/{kind}", link)
    body = answer(link)
    assert set(body) == {"url", "expires_at"}
    assert urlsplit(body["url"]).path.endswith(".pdf")
    assert int(parse_qs(urlsplit(body["url"]).query)["X-Amz-Expires"][0]) <= 300


def test_patch_changes_auto_renewal(customer_factory: Any, openapi_document: dict[str, Any]) -> None:
    # Given an active mobile line without auto-renewal
    customer = customer_factory()
    subscription = order_and_pay(customer, "mobile-50go", "Ligne")

    # When auto-renewal is turned on
    response = customer.call("PATCH", f"/{subscription['subscription_id']}", {"auto_renew": True})

    # Then the subscription answers with it on, and keeps it
    assert response.status_code == 200
    assert_documented(openapi_document, "PATCH", "/{subscription_id}", response)
    assert answer(response)["auto_renew"] is True
    assert subscription_of(customer, subscription["subscription_id"]) == answer(response)


def test_patch_changes_the_product_within_the_family(
    customer_factory: Any, openapi_document: dict[str, Any]
) -> None:
    # Given a hosting pack of 100 MB
    customer = customer_factory()
    subscription = order_and_pay(customer, "hosting-linux-100", "Site")

    # When it is changed for the 1000 MB pack of the same billing period
    response = customer.call(
        "PATCH", f"/{subscription['subscription_id']}", {"product_id": "hosting-linux-1000"}
    )

    # Then the subscription is now that product at its price, the rest unchanged
    assert response.status_code == 200
    assert_documented(openapi_document, "PATCH", "/{subscription_id}", response)
    body = answer(response)
    assert (body["product_id"], body["name"], body["price_cents"]) == (
        "hosting-linux-1000",
        "Pack hébergement Linux 1 Go",
        999,
    )
    assert (body["label"], body["status"], body["renews_on"]) == (
        "Site",
        "to_configure",
        subscription["renews_on"],
    )
    assert subscription_of(customer, subscription["subscription_id"]) == body


def test_confirm_moves_a_website_waiting_for_confirmation_to_configuration(
    customer_factory: Any, openapi_document: dict[str, Any]
) -> None:
    # Given a basic website pack, which waits for the customer's confirmation
    customer = customer_factory()
    subscription = order_and_pay(customer, "website-site-basic", "Vitrine")
    assert subscription["status"] == "pending_confirmation"

    # When the customer confirms it
    response = customer.call("POST", f"/{subscription['subscription_id']}/confirm")

    # Then it waits for its settings
    assert response.status_code == 200
    assert_documented(openapi_document, "POST", "/{subscription_id}/confirm", response)
    assert answer(response)["status"] == "to_configure"
    assert subscription_of(customer, subscription["subscription_id"])["status"] == "to_configure"


def test_settings_activate_a_subscription_waiting_for_them(
    customer_factory: Any, openapi_document: dict[str, Any]
) -> None:
    # Given a hosting pack waiting for its settings
    customer = customer_factory()
    subscription = order_and_pay(customer, "hosting-linux-100", "Site")

    # When valid settings are put
    response = customer.call(
        "PUT",
        f"/{subscription['subscription_id']}/settings",
        {"database_name": "boutique_db", "php_version": "8.3"},
    )

    # Then it is active with the settings stored
    assert response.status_code == 200
    assert_documented(openapi_document, "PUT", "/{subscription_id}/settings", response)
    body = answer(response)
    assert body["status"] == "active"
    assert body["settings"] == {"database_name": "boutique_db", "php_version": "8.3", "ssh_public_keys": []}
    assert subscription_of(customer, subscription["subscription_id"]) == body


def test_renew_places_a_renewal_order(customer_factory: Any, openapi_document: dict[str, Any]) -> None:
    # Given an active mobile line
    customer = customer_factory()
    subscription = order_and_pay(customer, "mobile-50go", "Ligne")

    # When two more months are ordered
    response = customer.call(
        "POST", f"/{subscription['subscription_id']}/renew", {"periods": 2}, headers=idempotency_key()
    )

    # Then a renewal order is received for two periods at the subscription's price
    assert response.status_code == 201
    assert_documented(openapi_document, "POST", "/{subscription_id}/renew", response)
    order = answer(response)
    assert set(order) >= ORDER_FIELDS
    assert (order["kind"], order["status"], order["total_cents"], order["currency"]) == (
        "renewal",
        "received",
        1998,
        "EUR",
    )
    assert order["items"][0]["subscription_id"] == subscription["subscription_id"]
    assert order["items"][0]["periods"] == 2
    assert [step["status"] for step in order["history"]] == ["received"]
    # And the subscription itself waits for the payment
    assert (
        subscription_of(customer, subscription["subscription_id"])["renews_on"] == subscription["renews_on"]
    )


def test_cancel_at_the_end_of_the_period(customer_factory: Any, openapi_document: dict[str, Any]) -> None:
    # Given an active mobile line with auto-renewal
    customer = customer_factory()
    subscription = order_and_pay(customer, "mobile-50go", "Ligne")
    customer.call("PATCH", f"/{subscription['subscription_id']}", {"auto_renew": True})

    # When it is cancelled at the end of its period
    response = customer.call(
        "POST", f"/{subscription['subscription_id']}/cancel", {"reason": "Je déménage", "at": "end_of_period"}
    )

    # Then it stays active until then, without auto-renewal
    assert response.status_code == 200
    assert_documented(openapi_document, "POST", "/{subscription_id}/cancel", response)
    body = answer(response)
    assert (body["status"], body["cancel_at"], body["auto_renew"]) == (
        "active",
        subscription["renews_on"],
        False,
    )
    assert subscription_of(customer, subscription["subscription_id"]) == body


def test_order_products(customer_factory: Any, openapi_document: dict[str, Any]) -> None:
    # Given a customer
    customer = customer_factory()

    # When two products are ordered
    response = place_order(
        customer,
        [
            {"product_id": "mobile-2h", "label": "Papi"},
            {"product_id": "domain-relais-essentiel", "options": {"domain_name": "Léa.fr"}},
        ],
    )

    # Then the order is received, priced from the catalog
    assert response.status_code == 201
    assert_documented(openapi_document, "POST", "/orders", response)
    order = answer(response)
    assert set(order) >= ORDER_FIELDS
    assert order["status"] == "received" and order["total_cents"] == 299 + 1490
    assert [(line["product_id"], line["label"], line["unit_price_cents"]) for line in order["items"]] == [
        ("mobile-2h", "Papi", 299),
        ("domain-relais-essentiel", "Pack Relais Essentiel", 1490),
    ]
    assert order["items"][1]["options"] == {"domain_name": "xn--la-bja.fr"}
    assert orders_of_customer(customer) == [order["order_id"]]


def orders_of_customer(customer: Any) -> list[str]:
    return [order["order_id"] for order in answer(customer.call("GET", "/orders"))["items"]]


def test_slots_booking_listing_and_cancelling_an_appointment(
    customer_factory: Any, mailbox: Any, route_clock: Any, openapi_document: dict[str, Any]
) -> None:
    # Given a Monday morning (Paris), and a customer
    route_clock(utc(2027, 3, 1, 8, 0))
    customer = customer_factory()

    # When the free slots of Tuesday are listed
    slots = customer.call("GET", "/appointments/slots?from=2027-03-02&to=2027-03-02")

    # Then they run from 9:00 to 18:00 Paris time (UTC+1), with the lunch break
    assert slots.status_code == 200
    assert_documented(openapi_document, "GET", "/appointments/slots", slots)
    items = answer(slots)["items"]
    assert items[0] == {"start": "2027-03-02T08:00:00Z", "end": "2027-03-02T08:30:00Z"}
    assert items[-1] == {"start": "2027-03-02T16:30:00Z", "end": "2027-03-02T17:00:00Z"}
    assert len(items) == 14

    # When the 10:00 one is booked
    booked = customer.call(
        "POST",
        "/appointments",
        {"start": "2027-03-02T10:00:00+01:00", "topic": "Mon contrat", "phone": "06 12 34 56 78"},
    )

    # Then the appointment is made, listed, and confirmed by email
    assert booked.status_code == 201
    assert_documented(openapi_document, "POST", "/appointments", booked)
    appointment = answer(booked)
    assert {key: appointment[key] for key in ("start", "end", "topic", "phone")} == {
        "start": "2027-03-02T09:00:00Z",
        "end": "2027-03-02T09:30:00Z",
        "topic": "Mon contrat",
        "phone": "+33612345678",
    }
    listed = customer.call("GET", "/appointments")
    assert listed.status_code == 200
    assert_documented(openapi_document, "GET", "/appointments", listed)
    assert answer(listed)["items"] == [appointment]
    assert len(mails_to(mailbox, customer.email, "2 mars 2027 10:00")) == 1

    # When it is cancelled
    cancelled = customer.call("DELETE", f"/appointments/{appointment['appointment_id']}")

    # Then nothing is left
    assert cancelled.status_code == 204
    assert_documented(openapi_document, "DELETE", "/appointments/{appointment_id}", cancelled)
    assert answer(customer.call("GET", "/appointments"))["items"] == []


def test_the_default_slot_range_is_two_weeks(customer_factory: Any, route_clock: Any) -> None:
    # Given a Monday morning
    route_clock(utc(2027, 3, 8, 6, 0))
    customer = customer_factory()

    # When slots are listed without a range
    items = answer(customer.call("GET", "/appointments/slots"))["items"]

    # Then they cover today and the 13 days after: ten working days
    days = sorted({item["start"][:10] for item in items})
    assert days[0] == "2027-03-08" and days[-1] == "2027-03-19"
    assert len(days) == 10
    assert all(date.fromisoformat(day) - date(2027, 3, 8) <= timedelta(days=13) for day in days)


def test_an_energy_contract_is_never_expiring_soon(customer_factory: Any, signer: Any) -> None:
    # Given an electricity contract, which renews each month until it is cancelled, and a mobile line
    # without auto-renewal, both ending within the month
    customer = customer_factory()
    energy = order_and_pay_many(customer, [("electricity-essentielle", "Maison", electricity_options())])[0]
    line = order_and_pay_many(customer, [("mobile-2h", "Ligne", None)])[0]
    customer.call("PATCH", f"/{line['subscription_id']}", {"auto_renew": False})
    for made in (energy, line):
        set_renewal(customer, made["subscription_id"], utc(2067, 3, 20, 0).date())

    # When the dashboard is read on 10 March 2067
    with time_machine.travel(utc(2067, 3, 10, 10), tick=False):
        customer = replace(customer, token=signer.token(customer.customer_id))
        expiring = answer(customer.call("GET", "/dashboard"))["expiring_soon"]

    # Then only the line is said to expire
    assert [item["subscription_id"] for item in expiring] == [line["subscription_id"]]
    assert energy["subscription_id"] not in {item["subscription_id"] for item in expiring}


def test_a_mobile_plan_names_the_one_apn_of_its_network(
    holder: SimpleNamespace, openapi_document: dict[str, Any]
) -> None:
    # When the mobile plans are asked for
    response = holder.customer.call("GET", "/catalog?family=mobile")

    # Then each names its network's APN, as the catalog gives it (the portal offers only that one)
    assert_documented(openapi_document, "GET", "/catalog", response)
    items = answer(response)["items"]
    assert items and all(item["apn"] == "internet" for item in items)
    assert all(
        "apn" not in item for item in answer(holder.customer.call("GET", "/catalog?family=hosting"))["items"]
    )


def test_a_mobile_line_takes_only_the_apn_of_its_network(customer_factory: Any) -> None:
    # Given an active mobile line, on a plan whose network's APN the catalog names
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]

    # When its settings name another operator's APN, then they are refused on that field, unchanged
    other = customer.call(
        "PUT", f"/{subscription_id}/settings", {"apn": "free", "roaming": True, "voicemail": True}
    )
    assert other.status_code == 422
    assert set(other.json_body["error"]["fields"]) == {"apn"}
    assert subscription_of(customer, subscription_id)["settings"] == {}

    # When they name the network's own APN (in any case), then they are stored
    own = customer.call(
        "PUT", f"/{subscription_id}/settings", {"apn": "INTERNET", "roaming": True, "voicemail": False}
    )
    assert own.status_code == 200
    assert answer(own)["settings"] == {"apn": "internet", "roaming": True, "voicemail": False}
