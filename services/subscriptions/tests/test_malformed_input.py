"""Malformed input never gives a 500: invalid JSON, wrong types, huge strings and unknown fields
are a 400 or a 422 with the error body (API.md "Errors"), and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import new_client, order_and_pay, orders_of, register_customer
from guichet_local.testing import answer, assert_error

HUGE = "x" * 1_000_000
KEY = {"idempotency-key": "malformed-input"}

# (method, path with {sid} for an active subscription, body, headers)
BODY_ROUTES = [
    pytest.param("POST", "/orders", KEY, id="order"),
    pytest.param("PATCH", "/{sid}", {}, id="patch"),
    pytest.param("PUT", "/{sid}/settings", {}, id="settings"),
    pytest.param("POST", "/{sid}/renew", KEY, id="renew"),
    pytest.param("POST", "/{sid}/cancel", {}, id="cancel"),
    pytest.param("POST", "/appointments", {}, id="appointment"),
]
NOT_JSON_OBJECTS = [
    pytest.param(b"{", id="truncated"),
    pytest.param(b"", id="empty"),
    pytest.param(b"[]", id="array"),
    pytest.param(b'"text"', id="string"),
    pytest.param(b"null", id="null"),
    pytest.param(b"\xff\xfe\x00", id="not-utf8"),
    pytest.param(b"[" * 100_000, id="deeply-nested"),
    pytest.param(b"{'single': 'quotes'}", id="python-not-json"),
    # valid JSON, parsed, but nested far deeper than any request needs (500 levels under `options`)
    pytest.param(
        b'{"items": [{"product_id": "mobile-2h", "options": ' + b'{"a": ' * 500 + b"1" + b"}" * 500 + b"}]}",
        id="options-500-levels-deep",
    ),
]


@pytest.fixture(scope="module")
def mobile(app: Any, signer: Any) -> Any:
    """A customer with an active subscription, shared by the module: every refused request must
    leave what the customer has as it was (`unchanged`)."""
    customer = register_customer(new_client(app), signer)
    return customer, order_and_pay(customer, "mobile-50go", "Ligne")


@pytest.fixture(scope="module")
def baseline(mobile: Any) -> Any:
    customer, subscription = mobile
    return state(customer, subscription["subscription_id"])


def state(customer: Any, subscription_id: str) -> Any:
    return (
        answer(customer.call("GET", f"/{subscription_id}")),
        orders_of(customer),
        answer(customer.call("GET", "/appointments")),
    )


@pytest.mark.parametrize("body", NOT_JSON_OBJECTS)
@pytest.mark.parametrize(("method", "path", "headers"), BODY_ROUTES)
def test_a_body_that_is_not_a_json_object_is_a_400(
    mobile: Any, baseline: Any, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    # Given a customer with an active subscription
    customer, subscription = mobile

    # When a body route gets a body that is not a JSON object
    response = customer.call(method, path.replace("{sid}", subscription["subscription_id"]), body, headers)

    # Then 400 malformed_request, and nothing changed
    assert_error(response, 400, "malformed_request")
    assert state(customer, subscription["subscription_id"]) == baseline


WRONG = [
    pytest.param("POST", "/orders", {"items": "mobile-2h"}, KEY, "items", id="order-items-not-a-list"),
    pytest.param(
        "POST",
        "/orders",
        {"items": [{"product_id": 5}]},
        KEY,
        "items.0.product_id",
        id="order-product-number",
    ),
    pytest.param(
        "POST",
        "/orders",
        {"items": [{"product_id": "mobile-2h", "options": []}]},
        KEY,
        "items.0.options",
        id="order-options-list",
    ),
    pytest.param("POST", "/orders", {"items": None}, KEY, "items", id="order-items-null"),
    pytest.param(
        "POST",
        "/orders",
        {"items": [{"product_id": HUGE}]},
        KEY,
        "items.0.product_id",
        id="order-huge-product",
    ),
    pytest.param(
        "POST",
        "/orders",
        {"items": [{"product_id": "mobile-2h", "label": HUGE}]},
        KEY,
        "items.0.label",
        id="order-huge-label",
    ),
    pytest.param(
        "POST",
        "/orders",
        {"items": [{"product_id": "mobile-2h"}], "coupon": "FREE"},
        KEY,
        "coupon",
        id="order-unknown-field",
    ),
    pytest.param(
        "POST",
        "/orders",
        {"items": [{"product_id": "mobile-2h", "price_cents": 1}]},
        KEY,
        "items.0.price_cents",
        id="order-own-price",
    ),
    pytest.param("PATCH", "/{sid}", {"auto_renew": [True]}, {}, "auto_renew", id="patch-auto-renew-list"),
    pytest.param("PATCH", "/{sid}", {"auto_renew": 0}, {}, "auto_renew", id="patch-auto-renew-0"),
    pytest.param("PATCH", "/{sid}", {"auto_renew": "true"}, {}, "auto_renew", id="patch-auto-renew-text"),
    pytest.param("POST", "/{sid}/renew", {"periods": "2"}, KEY, "periods", id="renew-periods-text"),
    pytest.param("PATCH", "/{sid}", {"product_id": {"id": "x"}}, {}, "product_id", id="patch-product-object"),
    pytest.param("PATCH", "/{sid}", {"price_cents": 1}, {}, "price_cents", id="patch-price"),
    pytest.param("PATCH", "/{sid}", {"customer_id": "ab123456-GU"}, {}, "customer_id", id="patch-owner"),
    pytest.param(
        "PATCH", "/{sid}", {"options": {"port_in_number": HUGE}}, {}, "port_in_number", id="patch-huge-option"
    ),
    pytest.param(
        "PUT",
        "/{sid}/settings",
        {"apn": ["free"], "roaming": True, "voicemail": True},
        {},
        "apn",
        id="settings-list",
    ),
    pytest.param(
        "PUT",
        "/{sid}/settings",
        {"apn": HUGE, "roaming": True, "voicemail": True},
        {},
        "apn",
        id="settings-huge",
    ),
    pytest.param("POST", "/{sid}/renew", {"periods": "deux"}, KEY, "periods", id="renew-word"),
    pytest.param("POST", "/{sid}/renew", {"periods": 2.5}, KEY, "periods", id="renew-fraction"),
    pytest.param("POST", "/{sid}/renew", {"periods": 0}, KEY, "periods", id="renew-zero"),
    pytest.param("POST", "/{sid}/renew", {"periods": 11}, KEY, "periods", id="renew-eleven"),
    pytest.param("POST", "/{sid}/renew", {"periods": 10**30}, KEY, "periods", id="renew-enormous"),
    pytest.param(
        "POST", "/{sid}/renew", {"periods": 1, "price_cents": 0}, KEY, "price_cents", id="renew-unknown-field"
    ),
    pytest.param("POST", "/{sid}/cancel", {"reason": 5}, {}, "reason", id="cancel-reason-number"),
    pytest.param("POST", "/{sid}/cancel", {"reason": "x", "at": "tomorrow"}, {}, "at", id="cancel-at-word"),
    pytest.param("POST", "/{sid}/cancel", {"reason": HUGE}, {}, "reason", id="cancel-huge-reason"),
    # a reason is not asked (cancelling online asks for none), but one given is never blank
    pytest.param("POST", "/{sid}/cancel", {"reason": "   "}, {}, "reason", id="cancel-blank-reason"),
    pytest.param(
        "POST",
        "/appointments",
        {"start": [], "topic": "x", "phone": "0612345678"},
        {},
        "start",
        id="book-start-list",
    ),
    pytest.param(
        "POST",
        "/appointments",
        {"start": "2027-03-17T10:00:00+01:00", "topic": HUGE, "phone": "0612345678"},
        {},
        "topic",
        id="book-huge-topic",
    ),
    pytest.param(
        "POST",
        "/appointments",
        {"start": "2027-03-17T10:00:00+01:00", "topic": "x", "phone": HUGE},
        {},
        "phone",
        id="book-huge-phone",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "headers", "field"), WRONG)
def test_wrong_types_huge_strings_and_unknown_fields_are_a_422(
    mobile: Any, baseline: Any, method: str, path: str, body: Any, headers: dict[str, str], field: str
) -> None:
    # Given a customer with an active subscription
    customer, subscription = mobile

    # When a route gets a JSON object with a wrong field
    response = customer.call(method, path.replace("{sid}", subscription["subscription_id"]), body, headers)

    # Then 422 names the field, and nothing changed
    error = assert_error(response, 422, "validation_failed", field)
    assert HUGE not in response.body.decode()
    assert len(response.body) < 5000, len(response.body)
    assert error["fields"]
    assert state(customer, subscription["subscription_id"]) == baseline


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/" + "a" * 1000, id="huge-subscription-id"),
        pytest.param("/%00", id="nul"),
        pytest.param("/%F0%9F%98%80/documents", id="emoji"),
        pytest.param("/orders/" + "9" * 1000, id="huge-order-id"),
        pytest.param("/SUB%23x", id="key-prefix"),
    ],
)
def test_odd_ids_are_not_found(mobile: Any, path: str) -> None:
    customer, _ = mobile
    assert_error(customer.call("GET", path), 404, "not_found")


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("q=" + "%F0%9F%98%80" * 30, id="emoji-q"),
        pytest.param("q=%00", id="nul-q"),
        pytest.param("q=%25%27%22", id="quotes-q"),
        pytest.param("family=&status=", id="empty-filters"),
    ],
)
def test_odd_queries_are_answered(mobile: Any, query: str) -> None:
    customer, _ = mobile
    response = customer.call("GET", f"/?{query}")
    assert response.status_code == 200, response.body
    assert "items" in answer(response)


def test_a_huge_idempotency_key_is_a_400(mobile: Any) -> None:
    customer, _ = mobile
    response = customer.call(
        "POST", "/orders", {"items": [{"product_id": "mobile-2h"}]}, {"idempotency-key": HUGE}
    )
    assert_error(response, 400, "idempotency_key_required")
    assert len(orders_of(customer)) == 1  # the paid one


def test_a_body_that_is_not_json_by_content_type_is_refused_with_the_error_body(mobile: Any) -> None:
    # Given a customer
    customer, _ = mobile

    # When an order comes as text/plain
    response = customer.client.http.request(
        "POST",
        "/orders",
        headers={"authorization": f"Bearer {customer.token}", "content-type": "text/plain", **KEY},
        body=b'{"items": [{"product_id": "mobile-2h"}]}',
    )

    # Then it is refused with the error body, and not ordered
    assert_error(response, 415, "unsupported_media_type")
    assert len(orders_of(customer)) == 1


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        pytest.param(
            "GET",
            "/appointments/slots?from=9999-12-31",
            None,
            "from",
            id="slots-from-last-day",
        ),
        pytest.param(
            "GET",
            "/appointments/slots?from=9999-12-20&to=9999-12-31",
            None,
            "to",
            id="slots-to-last-day",
        ),
        pytest.param(
            "POST",
            "/appointments",
            {"start": "9999-12-31T23:30:00Z", "topic": "x", "phone": "0612345678"},
            "start",
            id="book-last-slot",
        ),
        pytest.param(
            "POST",
            "/appointments",
            {"start": "0001-01-01T00:00:00+01:00", "topic": "x", "phone": "0612345678"},
            "start",
            id="book-first-day",
        ),
        pytest.param(
            "GET", "/appointments/slots?from=0001-01-01&to=0001-01-05", None, None, id="slots-first-days"
        ),
    ],
)
def test_dates_at_the_edges_of_the_calendar_are_not_a_500(
    mobile: Any, method: str, path: str, body: Any, field: str | None
) -> None:
    customer, _ = mobile
    response = customer.call(method, path, body)
    if field is None:
        assert response.status_code == 200 and answer(response) == {"items": []}
        return
    assert_error(response, 422, "validation_failed", field)
