"""Orders from received to completed: OrderPlaced carries the priced lines the invoices service
bills; OrderPaid (delivered at least once) provisions exactly once; a paid renewal extends
its subscription. Events are read from an SQS queue fed by a rule on source guichet.subscriptions."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from conftest import (
    deliver,
    electricity_options,
    idempotency_key,
    mails_to,
    new_client,
    order_and_pay,
    order_paid,
    orders_of,
    pay,
    place_order,
    subscription_of,
    utc,
)
from dateutil.relativedelta import relativedelta
from guichet_local.testing import answer, assert_error, deliver_detail


def test_an_order_is_received_and_order_placed_carries_its_priced_lines(
    customer_factory: Any, published: Any, mailbox: Any
) -> None:
    # Given a customer
    customer = customer_factory()

    # When they order a mobile line and electricity
    response = place_order(
        customer,
        [
            {"product_id": "mobile-50go", "label": "Ligne de Léa"},
            {"product_id": "electricity-verte-pro", "label": "Atelier", "options": electricity_options()},
        ],
    )

    # Then the order is received, priced from the catalog (electricity at the subscribed power: 9 kVA)
    assert response.status_code == 201
    order = answer(response)
    assert (order["status"], order["kind"], order["total_cents"], order["currency"]) == (
        "received",
        "purchase",
        999 + 2401,
        "EUR",
    )
    assert [step["status"] for step in order["history"]] == ["received"]
    assert order["history"][0]["at"] == order["created_at"]
    # And OrderPlaced is published once, with the lines to bill
    placed = published.of(customer.customer_id, "OrderPlaced")
    assert len(placed) == 1
    event = placed[0]
    assert event["source"] == "guichet.subscriptions"
    assert event["detail"]["version"] == 1 and event["detail"]["event_id"]
    data = event["detail"]["data"]
    assert (data["order_id"], data["customer_id"], data["kind"]) == (
        order["order_id"],
        customer.customer_id,
        "purchase",
    )
    assert (data["total_cents"], data["currency"], data["prices_include_tax"]) == (3400, "EUR", True)
    assert [
        (
            line["product_id"],
            line["quantity"],
            line["unit"],
            line["unit_price_cents"],
            line["total_cents"],
            line["tax_rate"],
        )
        for line in data["lines"]
    ] == [
        ("mobile-50go", 1, "month", 999, 999, "20.0"),
        ("electricity-verte-pro", 1, "month", 2401, 2401, "20.0"),
    ]
    assert data["lines"][0]["description"] == "Forfait 50 Go — Ligne de Léa"
    assert sum(line["total_cents"] for line in data["lines"]) == data["total_cents"]
    # the line is billed upfront, the energy in arrears by monthly debits, which need a mandate
    assert [(line["billing"], line["payment_mode"]) for line in data["lines"]] == [
        ("upfront", "per_invoice"),
        ("in_arrears", "monthly"),
    ]
    assert data["needs_mandate"] is True
    # And the customer is told by email, which names their customer id
    mails = mails_to(mailbox, customer.email, order["order_id"])
    assert len(mails) == 1
    assert customer.customer_id in mails[0]["text"] and customer.customer_id in mails[0]["html"]


@pytest.mark.time_machine(utc(2027, 1, 31, 23, 30), tick=True)  # ticking: the history's steps follow
def test_payment_completes_the_order_and_creates_each_subscription_in_its_first_status(
    customer_factory: Any, published: Any, mailbox: Any
) -> None:
    # Given an order of a website waiting for confirmation, a hosting pack and a mobile line, on
    # 31 January 2027 at 23:30 UTC (already 1 February in Paris)
    customer = customer_factory()
    order = answer(
        place_order(
            customer,
            [
                {"product_id": "website-site-basic", "label": "Vitrine"},
                {"product_id": "hosting-linux-100", "label": "Site"},
                {"product_id": "mobile-50go", "label": "Ligne"},
            ],
        )
    )

    # When the invoices service says it is paid
    pay(customer, order["order_id"])

    # Then the order went through paid and provisioning to completed
    completed = answer(customer.call("GET", f"/orders/{order['order_id']}"))
    assert completed["status"] == "completed"
    assert [step["status"] for step in completed["history"]] == [
        "received",
        "paid",
        "provisioning",
        "completed",
    ]
    moments = [step["at"] for step in completed["history"]]
    assert moments == sorted(moments)
    # And each line made a subscription, in the first status of its product, started that day in
    # Paris and renewing a month later
    made = [subscription_of(customer, line["subscription_id"]) for line in completed["items"]]
    assert [(item["product_id"], item["status"], item["started_on"], item["renews_on"]) for item in made] == [
        ("website-site-basic", "pending_confirmation", "2027-02-01", "2027-03-01"),
        ("hosting-linux-100", "to_configure", "2027-02-01", "2027-03-01"),
        ("mobile-50go", "active", "2027-02-01", "2027-03-01"),
    ]
    # And SubscriptionActivated is published for each, naming the order
    activated = published.of(customer.customer_id, "SubscriptionActivated")
    assert sorted(
        event["detail"]["data"]["subscription"]["subscription_id"] for event in activated
    ) == sorted(item["subscription_id"] for item in made)
    assert {event["detail"]["data"]["order_id"] for event in activated} == {order["order_id"]}
    # carrying the tariff its usage is measured with (the mobile line's allowances and prices)
    tariffs = {
        event["detail"]["data"]["subscription"]["product_id"]: event["detail"]["data"]["subscription"][
            "tariff"
        ]
        for event in activated
    }
    assert tariffs["mobile-50go"]["allowances"] == [
        {"unit": "GB", "included": "50"},
        {"unit": "min", "included": None},
        {"unit": "sms", "included": None},
    ]
    assert tariffs["mobile-50go"]["out_of_plan_cents"] == {"GB": 500, "min": 20, "sms": 10}
    assert set(tariffs["hosting-linux-100"].values()) == {None}
    # And OrderCompleted is published once, naming each line's subscription
    (done,) = published.of(customer.customer_id, "OrderCompleted")
    assert done["detail"]["data"] == {
        "order_id": order["order_id"],
        "customer_id": customer.customer_id,
        "kind": "purchase",
        "subscription_ids": [line["subscription_id"] for line in completed["items"]],
    }
    # And the dashboard no longer shows the order in progress; the customer got the completion email,
    # which names their customer id
    assert answer(customer.call("GET", "/dashboard"))["orders_in_progress"] == []
    mails = mails_to(mailbox, customer.email, order["order_id"])
    assert len(mails) == 2
    assert all(
        customer.customer_id in mail["text"] and customer.customer_id in mail["html"] for mail in mails
    )


def test_a_payment_delivered_three_times_provisions_once(customer_factory: Any, published: Any) -> None:
    # Given an order of one mobile line
    customer = customer_factory()
    order_id = answer(place_order(customer, [{"product_id": "mobile-50go", "label": "Ligne"}]))["order_id"]
    event_id = str(uuid.uuid4())

    # When its payment is delivered twice with one event id and once more with another
    pay(customer, order_id, event_id=event_id)
    pay(customer, order_id, event_id=event_id)
    pay(customer, order_id)

    # Then there is one subscription, one history, one SubscriptionActivated
    assert len(answer(customer.call("GET", "/"))["items"]) == 1
    order = answer(customer.call("GET", f"/orders/{order_id}"))
    assert [step["status"] for step in order["history"]] == ["received", "paid", "provisioning", "completed"]
    assert len(published.of(customer.customer_id, "SubscriptionActivated")) == 1
    assert len(published.of(customer.customer_id, "OrderCompleted")) == 1


def test_payments_delivered_at_the_same_time_provision_once(
    app: Any, customer_factory: Any, concurrent_app: Any, published: Any
) -> None:
    # Given an order, and its payment event delivered to three containers at once
    customer = customer_factory()
    order_id = answer(place_order(customer, [{"product_id": "mobile-2h", "label": "Ligne"}]))["order_id"]
    clients = [new_client(app) for _ in range(3)]

    # When they handle it at the same time (two copies of one event, one other event)
    event_ids = [str(uuid.uuid4())] * 2 + [str(uuid.uuid4())]
    concurrent_app(
        *[
            lambda client=client, event_id=event_id: deliver(
                client, "order_paid", order_paid(customer, order_id), event_id=event_id
            )
            for client, event_id in zip(clients, event_ids, strict=True)
        ]
    )

    # Then one subscription, one completed order
    assert len(answer(customer.call("GET", "/"))["items"]) == 1
    assert [order["status"] for order in orders_of(customer)] == ["completed"]
    assert len(published.of(customer.customer_id, "SubscriptionActivated")) == 1


@pytest.mark.parametrize(
    ("product", "periods", "label", "expected"),
    [
        pytest.param("mobile-50go", 3, "month", relativedelta(months=3), id="three-months"),
        pytest.param("domain-relais-essentiel", 2, "year", relativedelta(years=2), id="two-years"),
    ],
)
def test_a_paid_renewal_extends_the_subscription_by_its_periods(
    customer_factory: Any, published: Any, product: str, periods: int, label: str, expected: relativedelta
) -> None:
    # Given an active subscription
    customer = customer_factory()
    options = {"domain_name": "renouvele.fr"} if product.startswith("domain") else None
    subscription = order_and_pay(customer, product, "Le mien", options)
    renews_on = date.fromisoformat(subscription["renews_on"])

    # When `periods` more periods are ordered
    response = customer.call(
        "POST", f"/{subscription['subscription_id']}/renew", {"periods": periods}, headers=idempotency_key()
    )
    order = answer(response)

    # Then OrderPlaced bills them for that subscription
    placed = [event["detail"]["data"] for event in published.of(customer.customer_id, "OrderPlaced")]
    renewal = next(data for data in placed if data["order_id"] == order["order_id"])
    assert renewal["kind"] == "renewal"
    assert [(line["subscription_id"], line["quantity"], line["unit"]) for line in renewal["lines"]] == [
        (subscription["subscription_id"], periods, label)
    ]
    assert renewal["total_cents"] == periods * subscription["price_cents"]

    # When it is paid
    pay(customer, order["order_id"])

    # Then the subscription runs `periods` periods longer, and SubscriptionRenewed says until when
    stored = subscription_of(customer, subscription["subscription_id"])
    assert stored["renews_on"] == (renews_on + expected).isoformat()
    assert stored["status"] == subscription["status"]
    renewed = published.of(customer.customer_id, "SubscriptionRenewed")
    assert [
        (
            event["detail"]["data"]["subscription"]["subscription_id"],
            event["detail"]["data"]["subscription"]["renews_on"],
        )
        for event in renewed
    ] == [(subscription["subscription_id"], stored["renews_on"])]
    assert renewed[0]["detail"]["data"]["order_id"] == order["order_id"]
    # And paying it again changes nothing
    pay(customer, order["order_id"])
    assert subscription_of(customer, subscription["subscription_id"])["renews_on"] == stored["renews_on"]


def test_an_unknown_product_is_refused(customer_factory: Any, published: Any) -> None:
    # Given a customer
    customer = customer_factory()

    # When an order names a product not in the catalog
    response = place_order(customer, [{"product_id": "mobile-50go"}, {"product_id": "yacht-premium"}])

    # Then it is refused, nothing is ordered and nothing published
    assert_error(response, 422, "unknown_product", "product_id")
    assert orders_of(customer) == []
    assert published.of(customer.customer_id, "OrderPlaced") == []


@pytest.mark.parametrize(
    ("items", "fields"),
    [
        pytest.param(
            [
                {
                    "product_id": "electricity-essentielle",
                    "options": {"subscribed_power_kva": 6, "tariff_option": "base"},
                }
            ],
            ["items.0.options.pdl"],
            id="electricity-without-pdl",
        ),
        pytest.param(
            [
                {"product_id": "mobile-2h"},
                {
                    "product_id": "electricity-essentielle",
                    "options": {"pdl": "123", "subscribed_power_kva": 7, "tariff_option": "base"},
                },
            ],
            ["items.1.options.pdl", "items.1.options.subscribed_power_kva"],
            id="second-line-two-fields",
        ),
        pytest.param(
            [{"product_id": "internet-fibre-max", "options": {}}],
            ["items.0.options.installation_address"],
            id="internet-address",
        ),
        pytest.param(
            [{"product_id": "mobile-2h", "options": {"colour": "red"}}],
            ["items.0.options.colour"],
            id="unknown-option",
        ),
        pytest.param([], ["items"], id="no-line"),
        pytest.param([{"product_id": "mobile-2h"}] * 21, ["items"], id="21-lines"),
        pytest.param([{"label": "sans produit"}], ["items.0.product_id"], id="no-product"),
        pytest.param([{"product_id": "mobile-2h", "label": "x" * 101}], ["items.0.label"], id="long-label"),
    ],
)
def test_an_invalid_order_is_refused_naming_each_field(
    customer_factory: Any, published: Any, items: list[dict[str, Any]], fields: list[str]
) -> None:
    # Given a customer
    customer = customer_factory()

    # When an order has invalid lines
    response = place_order(customer, items)

    # Then 422 names each wrong field, and nothing is ordered
    assert_error(response, 422, "validation_failed", *fields)
    assert orders_of(customer) == []
    assert published.of(customer.customer_id, "OrderPlaced") == []


def test_a_payment_naming_another_customer_changes_nothing(customer_factory: Any) -> None:
    # Given customer A's order
    alice, bob = customer_factory(), customer_factory()
    order_id = answer(place_order(alice, [{"product_id": "mobile-2h", "label": "Ligne"}]))["order_id"]

    # When a payment arrives for that order id but customer B
    deliver(alice.client, "order_paid", order_paid(bob, order_id))

    # Then A's order still waits, and B has nothing
    assert [order["status"] for order in orders_of(alice)] == ["received"]
    assert answer(bob.call("GET", "/"))["items"] == [] and orders_of(bob) == []


def test_a_payment_of_no_order_of_ours_is_ignored(customer_factory: Any) -> None:
    # Given a customer with an order waiting
    customer = customer_factory()
    place_order(customer, [{"product_id": "mobile-2h", "label": "Ligne"}])

    # When an order that is not theirs is said paid
    deliver(customer.client, "order_paid", order_paid(customer, "0000000000000000"))

    # Then nothing happens
    assert [order["status"] for order in orders_of(customer)] == ["received"]
    assert answer(customer.call("GET", "/"))["items"] == []


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"drop": "order_id"}, id="without-order-id"),
        pytest.param({"set": ("amount_paid_cents", "0")}, id="amount-as-text"),
        pytest.param({"set": ("settled_by", "luck")}, id="unknown-settlement"),
        pytest.param({"set": ("paid_twice", True)}, id="unknown-field"),
        pytest.param({"version": 2}, id="unknown-version"),
    ],
)
def test_an_order_paid_event_off_its_contract_is_refused_and_changes_nothing(
    customer_factory: Any, change: dict[str, Any]
) -> None:
    # Given a customer with an order waiting
    from guichet_contracts import events

    customer = customer_factory()
    order_id = answer(place_order(customer, [{"product_id": "mobile-2h", "label": "Ligne"}]))["order_id"]
    detail = events.detail(order_paid(customer, order_id))

    # When its OrderPaid arrives off its contract
    if "drop" in change:
        del detail["data"][change["drop"]]
    if "set" in change:
        name, value = change["set"]
        detail["data"][name] = value
    if "version" in change:
        detail["version"] = change["version"]

    # Then the handler refuses it loudly, and the order still waits
    with pytest.raises(events.InvalidEvent):
        deliver_detail(customer.client, "order_paid", "guichet.invoices", "OrderPaid", detail)
    assert [order["status"] for order in orders_of(customer)] == ["received"]
    assert answer(customer.call("GET", "/"))["items"] == []


def test_an_order_is_listed_in_progress_until_paid(customer_factory: Any) -> None:
    # Given an order not paid yet
    customer = customer_factory()
    order_id = answer(place_order(customer, [{"product_id": "mobile-2h", "label": "Ligne"}]))["order_id"]
    in_progress = answer(customer.call("GET", "/dashboard"))["orders_in_progress"]
    assert [order["order_id"] for order in in_progress] == [order_id]

    # When it is paid
    pay(customer, order_id)

    # Then it is no longer in progress, and listed as completed
    assert answer(customer.call("GET", "/dashboard"))["orders_in_progress"] == []
    assert [
        order["order_id"] for order in answer(customer.call("GET", "/orders?status=completed"))["items"]
    ] == [order_id]
    assert answer(customer.call("GET", "/orders?status=received"))["items"] == []


def test_renewal_orders_use_the_subscription_price_not_todays_catalog(customer_factory: Any) -> None:
    # Given a hosting pack changed to the 1000 MB pack, then renewed
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "hosting-linux-100", "Site")["subscription_id"]
    customer.call("PATCH", f"/{subscription_id}", {"product_id": "hosting-linux-1000"})

    # When two months are ordered
    order = answer(
        customer.call("POST", f"/{subscription_id}/renew", {"periods": 2}, headers=idempotency_key())
    )

    # Then they are priced at the subscription's new price
    assert (order["items"][0]["product_id"], order["items"][0]["unit_price_cents"], order["total_cents"]) == (
        "hosting-linux-1000",
        999,
        1998,
    )


def test_a_paid_renewal_of_a_subscription_cancelled_meanwhile_ends_the_order(customer_factory: Any) -> None:
    # Given a renewal ordered, then the subscription cancelled before the payment came
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    order_id = answer(
        customer.call("POST", f"/{subscription_id}/renew", {"periods": 1}, headers=idempotency_key())
    )["order_id"]
    customer.call("POST", f"/{subscription_id}/cancel", {"reason": "Finalement non", "at": "immediately"})

    # When the payment arrives
    pay(customer, order_id)

    # Then the handler does not fail, the subscription stays cancelled, and the order is no longer in progress
    assert subscription_of(customer, subscription_id)["status"] == "cancelled"
    assert answer(customer.call("GET", f"/orders/{order_id}"))["status"] in ("failed", "cancelled")
    assert answer(customer.call("GET", "/dashboard"))["orders_in_progress"] == []


def test_a_paid_renewal_ended_as_cancelled_stays_so_on_every_redelivery(
    customer_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a renewal ordered, then the subscription cancelled before the payment came
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    order_id = answer(
        customer.call("POST", f"/{subscription_id}/renew", {"periods": 1}, headers=idempotency_key())
    )["order_id"]
    customer.call("POST", f"/{subscription_id}/cancel", {"reason": "Finalement non", "at": "immediately"})
    event_id = str(uuid.uuid4())

    # When the payment is delivered, again with the same event id, and once more with another
    with caplog.at_level("WARNING"):
        pay(customer, order_id, event_id=event_id)
        pay(customer, order_id, event_id=event_id)
        pay(customer, order_id)

    # Then the order was paid then cancelled once, the subscription stays cancelled,
    # and one warning names the order whose payment needs a refund
    order = answer(customer.call("GET", f"/orders/{order_id}"))
    assert [step["status"] for step in order["history"]] == ["received", "paid", "cancelled"]
    assert subscription_of(customer, subscription_id)["status"] == "cancelled"
    warnings = [
        record
        for record in caplog.records
        if record.levelname == "WARNING" and getattr(record, "order_id", None) == order_id
    ]
    assert len(warnings) == 1 and "refund" in warnings[0].getMessage()


def test_a_subscription_cancelled_while_its_renewal_is_provisioned_is_not_revived(
    customer_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a renewal ordered, the subscription read by the payment handler, then cancelled
    from chalicelib import orders
    from chalicelib.models import Subscription, customer_pk
    from pynamodb.exceptions import TransactWriteError

    customer = customer_factory()
    subscription_id = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    order_id = answer(
        customer.call("POST", f"/{subscription_id}/renew", {"periods": 1}, headers=idempotency_key())
    )["order_id"]
    read_before = Subscription.get(customer_pk(customer.customer_id), f"SUB#{subscription_id}")
    customer.call("POST", f"/{subscription_id}/cancel", {"reason": "Finalement non", "at": "immediately"})

    # When the payment is handled from that read
    with monkeypatch.context() as stale, pytest.raises(TransactWriteError):
        stale.setattr(orders.subscriptions, "get", lambda *_: read_before)
        pay(customer, order_id)

    # Then the handler fails without writing: the subscription stays cancelled, the order waits
    assert subscription_of(customer, subscription_id)["status"] == "cancelled"
    assert answer(customer.call("GET", f"/orders/{order_id}"))["status"] == "received"

    # And its redelivery, reading again, ends the order
    pay(customer, order_id)
    assert answer(customer.call("GET", f"/orders/{order_id}"))["status"] == "cancelled"
    assert subscription_of(customer, subscription_id)["status"] == "cancelled"


def test_an_order_says_what_it_waits_for_a_mandate_then_its_payment(customer_factory: Any) -> None:
    # Given a customer without a mandate ordering electricity paid by monthly debits, and a mobile line
    from guichet_contracts.domain_events.invoices import InvoiceIssued, MandateSigned

    customer = customer_factory()
    energy = answer(
        place_order(
            customer,
            [{"product_id": "electricity-essentielle", "label": "Maison", "options": electricity_options()}],
        )
    )
    line = answer(place_order(customer, [{"product_id": "mobile-2h", "label": "Ligne"}]))

    # Then the energy order waits for a mandate, the line for its payment
    assert (energy["awaiting"], line["awaiting"], line["invoice_id"]) == ("mandate", "payment", None)

    # When the invoices service issues the line's invoice, and the customer signs a mandate (twice)
    deliver(
        customer.client,
        "invoice_issued",
        InvoiceIssued(
            invoice_id="in_20261204_0123456789",
            number="F2026-000123",
            kind="invoice",
            customer_id=customer.customer_id,
            issued_on=date(2026, 12, 4),
            due_on=date(2026, 12, 19),
            period_start=None,
            period_end=None,
            status="open",
            total_excl_tax_cents=249,
            tax_cents=50,
            total_cents=299,
            amount_due_cents=299,
            currency="EUR",
            payment_mode="card",
            order_id=line["order_id"],
            subscription_ids=[],
        ),
    )
    signed = MandateSigned(
        customer_id=customer.customer_id, mandate_reference="GUICHET-M1", signed_on=date(2026, 12, 4)
    )
    for _ in range(2):
        deliver(customer.client, "mandate_signed", signed)

    # Then the line's order names its invoice, and nothing waits for a mandate any more
    orders = {order["order_id"]: order for order in orders_of(customer)}
    assert (orders[line["order_id"]]["awaiting"], orders[line["order_id"]]["invoice_id"]) == (
        "payment",
        "in_20261204_0123456789",
    )
    assert orders[energy["order_id"]]["awaiting"] == "payment"
    # and a new energy order no longer asks for one
    again = place_order(
        customer,
        [{"product_id": "electricity-essentielle", "label": "Garage", "options": electricity_options()}],
    )
    assert answer(again)["awaiting"] == "payment"


def test_an_order_records_the_terms_of_sale_it_was_placed_under(customer_factory: Any) -> None:
    from guichet_contracts.brand import load_brand

    # Given the version of the terms in force, as GET /catalog/terms gives it
    customer = customer_factory()
    version = answer(customer.call("GET", "/catalog/terms"))["version"]
    assert version == load_brand().terms_of_sale.version
    line = {"product_id": "hosting-linux-100", "label": "Site", "options": {}}

    # When an order is placed accepting them, and one without saying (older clients)
    accepted = customer.call(
        "POST", "/orders", {"items": [line], "terms_version": version}, headers=idempotency_key()
    )
    silent = place_order(customer, [line])

    # Then the first records the version, in its answer and when read again; the second none
    assert accepted.status_code == 201 and silent.status_code == 201
    assert answer(accepted)["terms_version"] == version
    again = answer(customer.call("GET", f"/orders/{answer(accepted)['order_id']}"))
    assert again["terms_version"] == version
    assert answer(silent)["terms_version"] is None


@pytest.mark.parametrize("version", ["1999-01", ""])
def test_an_order_under_other_terms_than_those_in_force_is_refused(
    customer_factory: Any, version: str
) -> None:
    # Given a customer with no order
    customer = customer_factory()
    line = {"product_id": "hosting-linux-100", "label": "Site", "options": {}}

    # When they order saying they accepted terms that are not the ones in force
    response = customer.call(
        "POST", "/orders", {"items": [line], "terms_version": version}, headers=idempotency_key()
    )

    # Then the order is refused on that field, and none was placed
    assert_error(response, 422, "validation_failed")
    assert "terms_version" in response.json_body["error"]["fields"]
    assert answer(customer.call("GET", "/orders"))["items"] == []
