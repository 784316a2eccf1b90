"""Idempotency-Key on orders and renewals (API.md "Conventions"): a replay answers the first status
and body and makes nothing new; another body with the same key is refused; keys belong to one
customer; a request without a key is refused.

Concurrent requests run through the real app from several threads (`concurrent_app`: Chalice's
per-app `current_request` kept per thread, each thread with its own test client, each AWS call
atomic as on AWS).
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import Customer, new_client, order_and_pay, orders_of, pay, place_order, subscription_of
from guichet_local.testing import answer, assert_error

ORDER = {"items": [{"product_id": "mobile-50go", "label": "Ligne de Tom"}]}


def post_order(customer: Customer, key: str, body: Any = ORDER) -> Any:
    return customer.call("POST", "/orders", body, headers={"idempotency-key": key})


def test_the_same_order_posted_five_times_makes_one_order(customer_factory: Any) -> None:
    # Given a customer and a key
    customer = customer_factory()
    key = uuid.uuid4().hex

    # When the same order is posted five times with it
    responses = [post_order(customer, key) for _ in range(5)]

    # Then every answer is the first one, and there is one order
    assert [response.status_code for response in responses] == [201] * 5
    first = answer(responses[0])
    assert all(answer(response) == first for response in responses)
    assert [order["order_id"] for order in orders_of(customer)] == [first["order_id"]]


def test_a_replay_answers_the_first_answer_even_after_the_order_moved_on(customer_factory: Any) -> None:
    # Given an order placed with a key, then paid
    customer = customer_factory()
    key = uuid.uuid4().hex
    first = post_order(customer, key)
    pay(customer, answer(first)["order_id"])

    # When the request is replayed
    replay = post_order(customer, key)

    # Then it answers what the first request answered (received), and the order stays completed and single
    assert replay.status_code == 201
    assert answer(replay) == answer(first) and answer(replay)["status"] == "received"
    assert [order["status"] for order in orders_of(customer)] == ["completed"]


def test_the_same_order_posted_five_times_at_once_makes_one_order(
    app: Any, customer_factory: Any, concurrent_app: Any
) -> None:
    # Given a customer on five clients (five containers) and one key
    customer = customer_factory()
    key = uuid.uuid4().hex
    clients = [
        Customer(customer.customer_id, customer.email, customer.token, new_client(app)) for _ in range(5)
    ]

    # When the five post the same order at the same time
    responses = concurrent_app(*[lambda client=client: post_order(client, key) for client in clients])

    # Then exactly one order was made, and all five got its answer
    orders = orders_of(customer)
    assert len(orders) == 1
    answers = [(response.status_code, answer(response)) for response in responses]
    assert answers == [(201, answers[0][1])] * 5, [response.body[:100] for response in responses]
    assert answers[0][1]["order_id"] == orders[0]["order_id"]


@pytest.fixture
def first_request_held(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The first order request stops inside the domain until released; a duplicate that finds it
    in progress signals when it starts waiting (the wait itself is the code's own)."""
    from chalicelib import orders
    from guichet_contracts import idempotency

    held = SimpleNamespace(
        entered=threading.Event(), release=threading.Event(), duplicate_waits=threading.Event()
    )
    place = orders.place

    def held_place(*args: Any, **kwargs: Any) -> Any:
        held.entered.set()
        assert held.release.wait(timeout=10)
        return place(*args, **kwargs)

    def noted_sleep(seconds: float) -> None:
        held.duplicate_waits.set()
        time.sleep(seconds)

    monkeypatch.setattr(orders, "place", held_place)
    monkeypatch.setattr(idempotency, "time", SimpleNamespace(monotonic=time.monotonic, sleep=noted_sleep))
    return held


def test_a_duplicate_while_the_first_request_runs_waits_and_gets_its_answer(
    app: Any, customer_factory: Any, concurrent_app: Any, first_request_held: SimpleNamespace
) -> None:
    # Given a first order request still being processed
    customer = customer_factory()
    key = uuid.uuid4().hex
    first_client, second_client = (
        Customer(customer.customer_id, customer.email, customer.token, new_client(app)) for _ in range(2)
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(post_order, first_client, key)
        assert first_request_held.entered.wait(timeout=10)

        # When the same request comes meanwhile, and the first one then completes
        second = pool.submit(post_order, second_client, key)
        assert first_request_held.duplicate_waits.wait(timeout=10)
        first_request_held.release.set()
        first_answer, second_answer = first.result(timeout=10), second.result(timeout=10)

    # Then the duplicate answers what the first answered, and there is one order
    assert first_answer.status_code == second_answer.status_code == 201
    assert answer(second_answer) == answer(first_answer)
    assert [order["order_id"] for order in orders_of(customer)] == [answer(first_answer)["order_id"]]


def test_a_duplicate_that_cannot_wait_for_the_first_answer_is_told_to_retry(
    app: Any,
    customer_factory: Any,
    concurrent_app: Any,
    first_request_held: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a first order request still being processed, and a duplicate that may not wait
    from guichet_contracts import idempotency

    monkeypatch.setattr(idempotency, "WAIT_FOR_FIRST_SECONDS", -1.0)
    customer = customer_factory()
    key = uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=1) as pool:
        first_client = Customer(customer.customer_id, customer.email, customer.token, new_client(app))
        first = pool.submit(post_order, first_client, key)
        assert first_request_held.entered.wait(timeout=10)

        # When the duplicate comes
        during = post_order(customer, key)
        first_request_held.release.set()
        first_answer = first.result(timeout=10)

    # Then it is told to retry in a second; a retry gets the first answer; one order
    assert_error(during, 409, "request_in_progress")
    assert during.headers["Retry-After"] == "1"
    assert first_answer.status_code == 201
    retried = post_order(customer, key)
    assert (retried.status_code, answer(retried)) == (201, answer(first_answer))
    assert len(orders_of(customer)) == 1


def test_the_same_key_with_another_body_is_refused(customer_factory: Any) -> None:
    # Given an order placed with a key
    customer = customer_factory()
    key = uuid.uuid4().hex
    first = post_order(customer, key)

    # When the key comes with another order
    other = post_order(customer, key, {"items": [{"product_id": "mobile-50go", "label": "Ligne de Zoé"}]})

    # Then it is refused, nothing new is ordered, and the first answer still replays
    assert_error(other, 422, "idempotency_key_reused")
    assert [order["order_id"] for order in orders_of(customer)] == [answer(first)["order_id"]]
    assert answer(post_order(customer, key)) == answer(first)


def test_keys_are_scoped_to_the_customer(customer_factory: Any) -> None:
    # Given customer A's order with a key
    alice, bob = customer_factory(), customer_factory()
    key = uuid.uuid4().hex
    alices = post_order(alice, key)

    # When customer B posts the same order with the same key
    bobs = post_order(bob, key)

    # Then B gets an order of their own, not A's answer
    assert bobs.status_code == 201
    assert answer(bobs)["order_id"] != answer(alices)["order_id"]
    assert [order["order_id"] for order in orders_of(bob)] == [answer(bobs)["order_id"]]
    assert [order["order_id"] for order in orders_of(alice)] == [answer(alices)["order_id"]]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"idempotency-key": ""}, id="empty"),
        pytest.param({"idempotency-key": "k" * 256}, id="256-characters"),
        pytest.param({"idempotency-key": "two words"}, id="space"),
        pytest.param({"idempotency-key": "clé"}, id="not-ascii"),
    ],
)
def test_an_order_without_a_valid_key_is_refused(customer_factory: Any, headers: dict[str, str]) -> None:
    # Given a customer
    customer = customer_factory()

    # When an order comes without a usable Idempotency-Key
    response = customer.call("POST", "/orders", ORDER, headers=headers)

    # Then it is refused and nothing is ordered
    assert_error(response, 400, "idempotency_key_required")
    assert orders_of(customer) == []


def test_a_key_of_255_characters_is_accepted(customer_factory: Any) -> None:
    customer = customer_factory()
    response = post_order(customer, "K" * 255)
    assert response.status_code == 201
    assert len(orders_of(customer)) == 1


def test_a_refused_request_leaves_its_key_free(customer_factory: Any) -> None:
    # Given an order refused for an unknown product
    customer = customer_factory()
    key = uuid.uuid4().hex
    refused = post_order(customer, key, {"items": [{"product_id": "yacht"}]})
    assert_error(refused, 422, "unknown_product")

    # When the corrected order comes with the same key
    corrected = post_order(customer, key)

    # Then it is placed
    assert corrected.status_code == 201
    assert len(orders_of(customer)) == 1


def test_a_renewal_replayed_makes_one_renewal_order(customer_factory: Any) -> None:
    # Given an active subscription
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    key = uuid.uuid4().hex

    # When its renewal is posted three times with one key
    responses = [
        customer.call("POST", f"/{subscription_id}/renew", {"periods": 3}, headers={"idempotency-key": key})
        for _ in range(3)
    ]

    # Then one renewal order, and three identical answers
    assert [response.status_code for response in responses] == [201] * 3
    assert answer(responses[1]) == answer(responses[2]) == answer(responses[0])
    renewals = [order for order in orders_of(customer) if order["kind"] == "renewal"]
    assert [order["order_id"] for order in renewals] == [answer(responses[0])["order_id"]]
    assert renewals[0]["items"][0]["periods"] == 3


def test_a_renewal_key_reused_for_another_subscription_or_period_is_refused(customer_factory: Any) -> None:
    # Given a renewal of one subscription with a key
    customer = customer_factory()
    first, second = (
        order_and_pay(customer, "mobile-50go", label)["subscription_id"] for label in ("Un", "Deux")
    )
    key = uuid.uuid4().hex
    placed = customer.call("POST", f"/{first}/renew", {"periods": 1}, headers={"idempotency-key": key})
    assert placed.status_code == 201

    # When the key comes with another subscription, or another number of periods
    other_subscription = customer.call(
        "POST", f"/{second}/renew", {"periods": 1}, headers={"idempotency-key": key}
    )
    other_periods = customer.call("POST", f"/{first}/renew", {"periods": 2}, headers={"idempotency-key": key})

    # Then both are refused and only the first renewal exists
    assert_error(other_subscription, 422, "idempotency_key_reused")
    assert_error(other_periods, 422, "idempotency_key_reused")
    assert [order["order_id"] for order in orders_of(customer) if order["kind"] == "renewal"] == [
        answer(placed)["order_id"]
    ]
    assert subscription_of(customer, second)["status"] == "active"


def test_a_renewal_without_a_key_is_refused(customer_factory: Any) -> None:
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    response = customer.call("POST", f"/{subscription_id}/renew", {"periods": 1})
    assert_error(response, 400, "idempotency_key_required")
    assert [order["kind"] for order in orders_of(customer)] == ["purchase"]


def test_order_and_renewal_keys_do_not_collide(customer_factory: Any) -> None:
    # Given an order placed with a key
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    key = uuid.uuid4().hex
    assert post_order(customer, key).status_code == 201

    # When a renewal uses the same key
    renewal = customer.call(
        "POST", f"/{subscription_id}/renew", {"periods": 1}, headers={"idempotency-key": key}
    )

    # Then it is a renewal of its own
    assert renewal.status_code == 201 and answer(renewal)["kind"] == "renewal"
    assert sorted(order["kind"] for order in orders_of(customer)) == ["purchase", "purchase", "renewal"]


def test_placing_with_place_order_helper_uses_a_fresh_key_each_time(customer_factory: Any) -> None:
    # Given two orders of the same product, each with its own key
    customer = customer_factory()
    place_order(customer, ORDER["items"])
    place_order(customer, ORDER["items"])

    # Then they are two orders (keys, not bodies, make a request the same)
    assert len(orders_of(customer)) == 2


@pytest.mark.parametrize(("periods", "accepted"), [(2.0, True), (2.5, False), ("2", False), (True, False)])
def test_a_number_of_periods_is_a_whole_number_as_json_has_it(
    customer_factory: Any, periods: Any, accepted: bool
) -> None:
    # Given an active subscription
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]

    # When its renewal is asked for 2.0 periods (JSON's 2, which the document allows), 2.5, "2", true
    response = customer.call(
        "POST",
        f"/{subscription_id}/renew",
        {"periods": periods},
        headers={"idempotency-key": uuid.uuid4().hex},
    )

    # Then 2.0 is two periods (it was a 422); the others are refused
    if accepted:
        assert response.status_code == 201, response.body
        assert answer(response)["items"][0]["periods"] == 2
    else:
        assert_error(response, 422, "validation_failed", "periods")


def test_the_idempotency_store_retries_dynamodb_as_the_models_do() -> None:
    # Powertools' own client kept botocore's standard mode, whose retry quota runs out under
    # sustained throttling: every later request with an Idempotency-Key was answered 503 at once
    from chalicelib.api import order_once, renewal_once
    from guichet_contracts.retries import DYNAMODB

    for once in (order_once, renewal_once):
        retries = once._persistence().client.meta.config.retries
        assert retries == DYNAMODB, retries
