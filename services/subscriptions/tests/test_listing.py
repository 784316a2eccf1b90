"""GET /subscriptions: filters by family, status, text and renewal date, and pages that walk every
subscription once with a cursor only its customer can use."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from conftest import electricity_options, new_client, order_and_pay_many, register_customer, set_renewal
from guichet_local.testing import answer, assert_error

TODAY = date(2027, 9, 20)


@pytest.fixture(scope="module", autouse=True)
def on_a_day_of_its_own() -> Iterator[None]:
    """This module runs on TODAY from noon in Paris: renewal dates are set from it and the routes
    read it; the clock ticks, so that what is made one after the other keeps that order."""
    with time_machine.travel(datetime.combine(TODAY, time(12), tzinfo=ZoneInfo("Europe/Paris")), tick=True):
        yield


@pytest.fixture(scope="module")
def shelf(app: Any, signer: Any) -> SimpleNamespace:
    """A customer with seven subscriptions of every kind, renewing on known days (read-only here)."""
    client = new_client(app)
    customer = register_customer(client, signer)
    made = order_and_pay_many(
        customer,
        [
            ("mobile-50go", "Ligne de Léa", None),
            ("mobile-2h", "Papi", None),
            ("hosting-linux-100", "Boutique", None),
            ("website-site-basic", "Vitrine", None),
            ("electricity-essentielle", "Maison", electricity_options()),
            ("domain-relais-essentiel", "Blog", {"domain_name": "blog-lea.fr"}),
            ("mobile-150go-5g", "Ancienne ligne", None),
        ],
    )
    by_label = {subscription["label"]: subscription["subscription_id"] for subscription in made}
    set_renewal(customer, by_label["Ligne de Léa"], TODAY + timedelta(days=10))
    set_renewal(customer, by_label["Papi"], TODAY + timedelta(days=40))
    set_renewal(customer, by_label["Ancienne ligne"], TODAY + timedelta(days=5))
    assert (
        customer.call(
            "POST", f"/{by_label['Ancienne ligne']}/cancel", {"reason": "Fin", "at": "immediately"}
        ).status_code
        == 200
    )
    everything = {
        item["subscription_id"]: item for item in answer(customer.call("GET", "/?limit=100"))["items"]
    }
    assert len(everything) == 7
    neighbour = register_customer(client, signer)
    order_and_pay_many(neighbour, [("mobile-2h", "Un", None), ("mobile-2h", "Deux", None)])
    return SimpleNamespace(customer=customer, neighbour=neighbour, ids=by_label, all=everything)


def listed(customer: Any, query: str) -> list[dict[str, Any]]:
    response = customer.call("GET", f"/?{query}")
    assert response.status_code == 200, response.body
    assert answer(response)["next_cursor"] is None
    return list(answer(response)["items"])


def labels(items: list[dict[str, Any]]) -> set[str]:
    return {item["label"] for item in items}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("family=mobile", {"Ligne de Léa", "Papi", "Ancienne ligne"}, id="family"),
        pytest.param("family=domain", {"Blog"}, id="family-domain"),
        pytest.param("family=internet", set(), id="family-none"),
        pytest.param("status=to_configure", {"Boutique", "Blog"}, id="status"),
        pytest.param("status=cancelled", {"Ancienne ligne"}, id="status-cancelled"),
        pytest.param("family=mobile&status=active", {"Ligne de Léa", "Papi"}, id="family-and-status"),
        pytest.param("q=PAPI", {"Papi"}, id="q-label-any-case"),
        pytest.param("q=" + quote("HÉBERGEMENT"), {"Boutique"}, id="q-name-accented"),
        pytest.param("q=forfait", {"Ligne de Léa", "Papi", "Ancienne ligne"}, id="q-name"),
        pytest.param("q=%20maison%20", {"Maison"}, id="q-trimmed"),
        pytest.param("q=zzz", set(), id="q-nothing"),
    ],
)
def test_filters(shelf: SimpleNamespace, query: str, expected: set[str]) -> None:
    # When the customer lists with a filter
    items = listed(shelf.customer, query)

    # Then exactly the matching subscriptions come, as the unfiltered list shows them
    assert labels(items) == expected
    assert all(item == shelf.all[item["subscription_id"]] for item in items)


def test_q_finds_a_dossier_number_in_any_case(shelf: SimpleNamespace) -> None:
    # Given the hosting pack's dossier number
    dossier = shelf.all[shelf.ids["Boutique"]]["dossier_number"]

    # When it is searched for in lower case
    items = listed(shelf.customer, f"q={dossier.lower()}")

    # Then the hosting pack is found
    assert [item["dossier_number"] for item in items] == [dossier]


@pytest.mark.parametrize("days", [0, 9, 10, 15, 40, 45, 400])
def test_expiring_within_days(shelf: SimpleNamespace, days: int) -> None:
    # When the subscriptions renewing within `days` are listed
    items = listed(shelf.customer, f"expiring_within_days={days}")

    # Then they are the live ones whose period ends by then (the cancelled line is not among them)
    limit = (TODAY + timedelta(days=days)).isoformat()
    expected = {
        item["label"]
        for item in shelf.all.values()
        if item["renews_on"] <= limit and item["status"] not in ("cancelled", "expired")
    }
    assert labels(items) == expected
    assert "Ancienne ligne" not in labels(items)
    if days >= 10:
        assert "Ligne de Léa" in expected
    if days < 10:
        assert expected == set()


@pytest.mark.parametrize(
    ("page_size", "filters", "total"), [(2, "", 7), (1, "family=mobile", 3), (3, "q=e", None), (7, "", 7)]
)
def test_pages_walk_every_subscription_once(
    shelf: SimpleNamespace, page_size: int, filters: str, total: int | None
) -> None:
    # When the customer follows next_cursor from the first page
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        query = f"limit={page_size}&{filters}" + (f"&cursor={cursor}" if cursor else "")
        response = shelf.customer.call("GET", f"/?{query}")
        assert response.status_code == 200, response.body
        body = answer(response)
        assert len(body["items"]) <= page_size
        seen += [item["subscription_id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break

    # Then every matching subscription came exactly once
    unpaged = [
        item["subscription_id"] for item in answer(shelf.customer.call("GET", f"/?{filters}"))["items"]
    ]
    assert len(seen) == len(set(seen))
    assert set(seen) == set(unpaged)
    if total is not None:
        assert len(seen) == total


def cursor_of(customer: Any) -> str:
    cursor = answer(customer.call("GET", "/?limit=1"))["next_cursor"]
    assert cursor
    return str(cursor)


def encoded(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("neighbour", id="another-customers"),
        pytest.param("garbage!!", id="garbage"),
        pytest.param(encoded(["pk", "sk"]), id="not-an-object"),
        pytest.param("tampered", id="pointed-at-neighbour"),
        pytest.param("extra-key", id="extra-key"),
        pytest.param("order-key", id="an-order-key"),
    ],
)
def test_a_cursor_not_given_to_this_customer_is_refused(shelf: SimpleNamespace, cursor: str) -> None:
    # Given a cursor this API did not give this customer
    mine = json.loads(base64.urlsafe_b64decode(cursor_of(shelf.customer)))
    given = {
        "neighbour": cursor_of(shelf.neighbour),
        "tampered": encoded({**mine, "pk": {"S": f"CUSTOMER#{shelf.neighbour.customer_id}"}}),
        "extra-key": encoded({**mine, "renews_pk": {"S": "RENEWS#2030-01-01"}}),
        "order-key": encoded({**mine, "sk": {"S": "ORDER#0"}}),
    }.get(cursor, cursor)

    # When it is used
    response = shelf.customer.call("GET", f"/?limit=2&cursor={given}")

    # Then 422 names the cursor
    assert_error(response, 422, "validation_failed", "cursor")


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", "1e2", "%20", "00101"])
def test_a_limit_out_of_1_to_100_is_refused(shelf: SimpleNamespace, limit: str) -> None:
    response = shelf.customer.call("GET", f"/?limit={limit}")
    assert_error(response, 422, "validation_failed", "limit")


@pytest.mark.parametrize("limit", ["1", "100"])
def test_limits_1_and_100_are_accepted(shelf: SimpleNamespace, limit: str) -> None:
    response = shelf.customer.call("GET", f"/?limit={limit}")
    assert response.status_code == 200
    assert len(answer(response)["items"]) == min(int(limit), 7)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param("family=boats", "family", id="family"),
        pytest.param("status=sleeping", "status", id="status"),
        pytest.param("expiring_within_days=-1", "expiring_within_days", id="negative-days"),
        pytest.param("expiring_within_days=soon", "expiring_within_days", id="word-days"),
        pytest.param("expiring_within_days=3661", "expiring_within_days", id="ten-years-days"),
        pytest.param("q=" + "x" * 101, "q", id="q-too-long"),
        pytest.param(
            "limit=%C2%B2",
            "limit",
            id="superscript-limit",
        ),
        pytest.param("expiring_within_days=%C2%B2", "expiring_within_days", id="superscript-days"),
    ],
)
def test_an_invalid_query_is_refused_naming_the_parameter(
    shelf: SimpleNamespace, query: str, field: str
) -> None:
    response = shelf.customer.call("GET", f"/?{query}")
    assert_error(response, 422, "validation_failed", field)


def test_q_of_100_characters_is_accepted(shelf: SimpleNamespace) -> None:
    assert listed(shelf.customer, "q=" + "x" * 100) == []


@pytest.mark.parametrize("path", ["/orders", "/appointments"])
def test_the_other_lists_take_limit_and_cursor(customer_factory: Any, route_clock: Any, path: str) -> None:
    # Given a customer with two orders and two appointments
    from conftest import place_order

    customer = customer_factory()
    route_clock(datetime(2027, 4, 1, 7, 0, tzinfo=ZoneInfo("UTC")))
    for label in ("Un", "Deux"):
        place_order(customer, [{"product_id": "mobile-2h", "label": label}])
    for hour in ("10:00", "10:30") if path == "/appointments" else ():
        booked = customer.call(
            "POST",
            "/appointments",
            {"start": f"2027-04-05T{hour}:00+02:00", "topic": "Liste", "phone": "0612345678"},
        )
        assert booked.status_code == 201

    # When the list is asked for one item at a time
    first = customer.call("GET", f"{path}?limit=1")
    refused = customer.call("GET", f"{path}?limit=0")

    # Then one item comes with a cursor to the next, and a limit of 0 is refused
    assert first.status_code == 200
    assert len(answer(first)["items"]) == 1 and answer(first)["next_cursor"]
    assert_error(refused, 422, "validation_failed", "limit")


def walk(customer: Any, path: str, page_size: int, filters: str = "") -> list[dict[str, Any]]:
    """Every item of a list, following next_cursor from the first page."""
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(20):
        query = f"limit={page_size}&{filters}" + (f"&cursor={cursor}" if cursor else "")
        response = customer.call("GET", f"{path}?{query}")
        assert response.status_code == 200, response.body
        body = answer(response)
        assert len(body["items"]) <= page_size
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


def test_orders_come_newest_first_page_after_page(customer_factory: Any) -> None:
    # Given a customer who placed three orders one after the other, and paid the second
    from conftest import pay, place_order

    customer = customer_factory()
    placed = [
        answer(place_order(customer, [{"product_id": "mobile-2h", "label": label}]))["order_id"]
        for label in ("Un", "Deux", "Trois")
    ]
    pay(customer, placed[1])

    # When the orders are walked two by one, and the received ones one by one
    every = walk(customer, "/orders", 1)
    received = walk(customer, "/orders", 1, "status=received")

    # Then each came once, newest first, as on one page
    assert [order["order_id"] for order in every] == placed[::-1]
    assert [order["order_id"] for order in answer(customer.call("GET", "/orders"))["items"]] == placed[::-1]
    assert [order["order_id"] for order in received] == [placed[2], placed[0]]


def test_appointments_come_in_time_order_page_after_page(customer_factory: Any, route_clock: Any) -> None:
    # Given a customer with three appointments, booked in another order than their times
    customer = customer_factory()
    route_clock(datetime(2027, 4, 1, 7, 0, tzinfo=ZoneInfo("UTC")))
    starts = ["2027-04-07T14:00:00+02:00", "2027-04-06T09:00:00+02:00", "2027-04-06T16:30:00+02:00"]
    for start in starts:
        booked = customer.call(
            "POST", "/appointments", {"start": start, "topic": "Pages", "phone": "0612345678"}
        )
        assert booked.status_code == 201, booked.body

    # When they are walked two by two
    walked = walk(customer, "/appointments", 2)

    # Then each came once, earliest first
    assert [item["start"] for item in walked] == [
        "2027-04-06T07:00:00Z",
        "2027-04-06T14:30:00Z",
        "2027-04-07T12:00:00Z",
    ]


@pytest.mark.parametrize(
    ("path", "other", "day"),
    [
        pytest.param("/orders", "/", "2027-04-08", id="a-subscriptions-cursor-on-orders"),
        pytest.param("/appointments", "/orders", "2027-04-09", id="an-orders-cursor-on-appointments"),
        pytest.param("/orders", "/appointments", "2027-04-12", id="an-appointments-cursor-on-orders"),
    ],
)
def test_a_cursor_of_another_list_is_refused(
    customer_factory: Any, route_clock: Any, path: str, other: str, day: str
) -> None:
    # Given a customer with two of everything, and a cursor of another list of theirs
    from conftest import order_and_pay_many

    customer = customer_factory()
    route_clock(datetime(2027, 4, 1, 7, 0, tzinfo=ZoneInfo("UTC")))
    order_and_pay_many(customer, [("mobile-2h", "Un", None), ("mobile-2h", "Deux", None)])
    for hour in ("11:00", "11:30"):
        booked = customer.call(
            "POST",
            "/appointments",
            {"start": f"{day}T{hour}:00+02:00", "topic": "x", "phone": "0612345678"},
        )
        assert booked.status_code == 201, booked.body
    cursor = answer(customer.call("GET", f"{other}?limit=1"))["next_cursor"]
    assert cursor

    # When it is used on this list
    response = customer.call("GET", f"{path}?limit=1&cursor={cursor}")

    # Then 422 names the cursor
    assert_error(response, 422, "validation_failed", "cursor")
