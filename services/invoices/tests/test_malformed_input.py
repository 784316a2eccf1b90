"""Malformed input never gives a 500: bodies that are not JSON objects are 400, wrong types,
unknown fields and huge strings are 422 naming the field, odd ids are 404; every route but health
and the OpenAPI document answers 401 without a valid token. Always the error body of API.md, and
nothing is paid, charged or stored on the way."""

from __future__ import annotations

import time
from typing import Any

import pytest
from conftest import (
    new_client,
    ordered_invoice,
    pay_key,
    payments_in_table,
    provider_charges,
    register,
    snapshot,
    stored_invoice,
)
from guichet_local.testing import answer, assert_error

HUGE = "x" * 100_000


@pytest.fixture(scope="module")
def module_shopper(app: Any, signer: Any) -> Any:
    customer = register(new_client(app), signer)
    return customer, ordered_invoice(customer, 2000)


@pytest.fixture
def shopper(module_shopper: Any) -> Any:
    """A customer with an open invoice (shared by the module), checked unchanged after each test."""
    customer, invoice = module_shopper
    yield customer, invoice
    assert payments_in_table(customer.customer_id) == []
    assert provider_charges(customer.customer_id) == {}
    assert snapshot(stored_invoice(customer.customer_id, invoice.invoice_id)) == snapshot(invoice)
    assert_error(customer.call("GET", "/bank-account"), 404, "not_found")
    assert answer(customer.call("GET", "/preferences")) == {
        "paperless": True,
        "notify_new_invoice": True,
        "payment_method": "card",
    }


BODY_ROUTES = [
    ("POST", "/{id}/payments"),
    ("POST", "/payments"),
    ("PUT", "/bank-account"),
    ("PATCH", "/preferences"),
]
NOT_OBJECTS = [
    b"{",
    b"{'method': 'card'}",
    b'{"method": "card",}',
    b"[]",
    b'"card"',
    b"42",
    b"null",
    b"true",
    b"\xff\xfe\x00{",
    b"[" * 100_000 + b"]" * 100_000,
    b"NaN",
]


@pytest.mark.parametrize(("method", "route"), BODY_ROUTES)
@pytest.mark.parametrize("body", NOT_OBJECTS, ids=lambda body: repr(body[:12]))
def test_a_body_that_is_not_a_json_object_is_a_400(
    shopper: Any, method: str, route: str, body: bytes
) -> None:
    # Given a customer with an open invoice
    customer, invoice = shopper

    # When a body route gets something that is not a JSON object
    response = customer.call(method, route.replace("{id}", invoice.invoice_id), body, pay_key())

    # Then 400 malformed_request with the error body
    assert_error(response, 400, "malformed_request")


@pytest.mark.parametrize(("method", "route"), BODY_ROUTES)
def test_an_empty_body_is_a_400(shopper: Any, method: str, route: str) -> None:
    customer, invoice = shopper
    response = customer.client.http.request(
        method,
        route.replace("{id}", invoice.invoice_id),
        headers={
            "authorization": f"Bearer {customer.token}",
            "content-type": "application/json",
            **pay_key(),
        },
        body=b"",
    )
    assert_error(response, 400, "malformed_request")


@pytest.mark.parametrize(
    ("method", "route", "body", "field"),
    [
        ("POST", "/{id}/payments", {"method": 5}, "method"),
        ("POST", "/{id}/payments", {"method": "cash"}, "method"),
        ("POST", "/{id}/payments", {}, "method"),
        ("POST", "/{id}/payments", {"method": "card", "card_token": 4242}, "card_token"),
        ("POST", "/{id}/payments", {"method": "card", "card_token": HUGE}, "card_token"),
        ("POST", "/{id}/payments", {"method": "card", "card_token": "  "}, "card_token"),
        ("POST", "/{id}/payments", {"method": "check", "amount_cents": 10.5}, "amount_cents"),
        ("POST", "/{id}/payments", {"method": "check", "amount_cents": 0}, "amount_cents"),
        ("POST", "/{id}/payments", {"method": "check", "amount_cents": -100}, "amount_cents"),
        ("POST", "/{id}/payments", {"method": "check", "invoice_id": "in_x"}, "invoice_id"),
        ("POST", "/{id}/payments", {"method": "check", "discount": 5}, "discount"),
        ("POST", "/payments", {"invoice_ids": "{id}", "method": "check"}, "invoice_ids"),
        ("POST", "/payments", {"invoice_ids": [], "method": "check"}, "invoice_ids"),
        ("POST", "/payments", {"invoice_ids": [42], "method": "check"}, "invoice_ids.0"),
        ("POST", "/payments", {"invoice_ids": [HUGE], "method": "check"}, "invoice_ids.0"),
        ("POST", "/payments", {"invoice_ids": ["{id}"] * 51, "method": "check"}, "invoice_ids"),
        (
            "POST",
            "/payments",
            {"invoice_ids": ["{id}"], "method": "check", "amount_cents": 1},
            "amount_cents",
        ),
        ("POST", "/payments", {"invoice_ids": ["{id}"]}, "method"),
        ("PUT", "/bank-account", {"iban": HUGE, "holder": "Test Client"}, "iban"),
        ("PUT", "/bank-account", {"iban": "FR7630006000011234567890189", "holder": HUGE}, "holder"),
        ("PUT", "/bank-account", {"iban": "FR7630006000011234567890189", "holder": "T", "bic": HUGE}, "bic"),
        ("PUT", "/bank-account", {"iban": ["FR76"], "holder": "Test Client"}, "iban"),
        ("PUT", "/bank-account", {"iban": None, "holder": None}, "iban"),
        (
            "PUT",
            "/bank-account",
            {"iban": "FR7630006000011234567890189", "holder": "Test\u0000Client"},
            "holder",
        ),
        ("PATCH", "/preferences", {"paperless": HUGE}, "paperless"),
        ("PATCH", "/preferences", {"paperless": 1}, "paperless"),
        ("PATCH", "/preferences", {"notify_new_invoice": "false"}, "notify_new_invoice"),
        ("PATCH", "/preferences", {"notify_new_invoice": None}, "notify_new_invoice"),
        ("PATCH", "/preferences", {"customer_id": "someone-else"}, "customer_id"),
    ],
)
def test_wrong_types_huge_strings_and_unknown_fields_are_a_422(
    shopper: Any, method: str, route: str, body: dict[str, Any], field: str
) -> None:
    # Given a customer with an open invoice
    customer, invoice = shopper
    filled = {
        name: (
            value.replace("{id}", invoice.invoice_id)
            if isinstance(value, str) and len(value) < 100
            else [
                item.replace("{id}", invoice.invoice_id)
                if isinstance(item, str) and len(item) < 100
                else item
                for item in value
            ]
            if isinstance(value, list)
            else value
        )
        for name, value in body.items()
    }

    # When the body has a field of the wrong type, too long, or unknown
    response = customer.call(method, route.replace("{id}", invoice.invoice_id), filled, pay_key())

    # Then 422 naming that field, without echoing a huge value
    assert_error(response, 422, "validation_failed", field)
    assert len(response.body) < 5_000


def test_an_amount_beyond_any_due_is_refused(shopper: Any) -> None:
    customer, invoice = shopper
    response = customer.call(
        "POST", f"/{invoice.invoice_id}/payments", {"method": "check", "amount_cents": 10**40}, pay_key()
    )
    assert_error(response, 422, "amount_exceeds_due", "amount_cents")


def test_an_amount_given_as_a_string_is_refused(customer_factory: Any) -> None:
    # Given a customer's open invoice
    customer = customer_factory()
    invoice = ordered_invoice(customer, 2000)

    # When they pay an amount written as a JSON string
    response = customer.call(
        "POST", f"/{invoice.invoice_id}/payments", {"method": "check", "amount_cents": "10"}, pay_key()
    )

    # Then 422 naming it, and no payment is recorded
    assert_error(response, 422, "validation_failed", "amount_cents")
    assert payments_in_table(customer.customer_id) == []


@pytest.mark.parametrize(
    "invoice_id",
    [
        "nope",
        "in_" + "9" * 5_000,
        "in_20261123_%00",
        "in_20261123_' OR 1=1 --",
        "in_20261123_<script>",
        "IN_20261123_abcdef0123",
        "in_",
        "%F0%9F%92%B8",
    ],
)
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("GET", "/pdf", None),
        ("POST", "/duplicate", None),
        ("POST", "/payments", {"method": "check"}),
    ],
    ids=["get", "pdf", "duplicate", "pay"],
)
def test_odd_invoice_ids_are_not_found(
    shopper: Any, invoice_id: str, method: str, suffix: str, body: Any
) -> None:
    customer, _ = shopper
    response = customer.call(method, f"/{invoice_id}{suffix}", body, pay_key())
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"?from={'2' * 10_000}", "from"),
        ("?from=2026-11&to=" + "9" * 10_000, "to"),
        pytest.param(
            "?limit=" + "9" * 10_000,
            "limit",
            id="limit-10000-digits",
        ),
        ("?cursor=" + "A" * 100_000, "cursor"),
        ("?status=" + HUGE, "status"),
        ("?kind=%00", "kind"),
        ("?from=%F0%9F%92%B8", "from"),
    ],
)
def test_odd_queries_are_a_422(shopper: Any, query: str, field: str) -> None:
    customer, _ = shopper
    assert_error(customer.call("GET", f"/{query}"), 422, "validation_failed", field)


@pytest.mark.parametrize(
    "key", ["k" * 10_000, "\u00e9t\u00e9", "a b", "\t"], ids=["huge", "accents", "space", "tab"]
)
def test_an_unusable_idempotency_key_is_a_400(shopper: Any, key: str) -> None:
    customer, invoice = shopper
    response = customer.call(
        "POST", f"/{invoice.invoice_id}/payments", {"method": "check"}, {"idempotency-key": key}
    )
    assert_error(response, 400, "idempotency_key_required")


@pytest.mark.parametrize(("method", "route"), BODY_ROUTES)
def test_a_body_sent_as_text_is_refused_with_the_error_body(shopper: Any, method: str, route: str) -> None:
    # Given a customer
    customer, invoice = shopper

    # When a JSON body comes as text/plain
    response = customer.client.http.request(
        method,
        route.replace("{id}", invoice.invoice_id),
        headers={"authorization": f"Bearer {customer.token}", "content-type": "text/plain", **pay_key()},
        body=b'{"method": "check"}',
    )

    # Then it is refused (415) with the error body, never a 500
    assert_error(response, 415, "unsupported_media_type")


PROTECTED = [
    ("GET", "/"),
    ("GET", "/in_20261123_0000000000"),
    ("GET", "/in_20261123_0000000000/pdf"),
    ("POST", "/in_20261123_0000000000/payments"),
    ("POST", "/payments"),
    ("GET", "/schedule"),
    ("GET", "/bank-account"),
    ("PUT", "/bank-account"),
    ("GET", "/preferences"),
    ("PATCH", "/preferences"),
    ("GET", "/payment-provider"),
    ("POST", "/in_20261123_0000000000/duplicate"),
    ("POST", "/operator/customers/tm000001-GU/payments/pay_20261123_000000000000/received"),
    ("POST", "/operator/customers/tm000001-GU/payments/pay_20261123_000000000000/expired"),
    ("POST", "/operator/customers/tm000001-GU/invoices/in_20261123_0000000000/credit-notes"),
    ("POST", "/operator/customers/tm000001-GU/refunds/rf_in_20261123_0000000000_00/made"),
    ("PUT", "/operator/customers/tm000001-GU/provider-invoices/inv-000001"),
    ("PUT", "/operator/customers/tm000001-GU/provider-invoices/inv-000001/pdf"),
    ("POST", "/operator/provider-invoices/imports"),
    ("GET", "/operator/provider-invoices/imports/0123456789abcdef0123456789abcdef"),
]


def test_the_protected_list_is_every_route_but_health_the_document_and_the_webhook() -> None:
    """Stripe's webhook has no customer token: its signature authenticates it (test_stripe)."""
    from chalicelib.openapi import ROUTES

    protected = {(route.method, route.path) for route in ROUTES if route.protected}
    public = {(route.method, route.path) for route in ROUTES if not route.protected}
    assert public == {("GET", "/health"), ("GET", "/openapi.json"), ("POST", "/payments/stripe/webhook")}
    assert len(protected) == len(PROTECTED) == 20


def bad_tokens(signer: Any, customer_id: str) -> dict[str, dict[str, str]]:
    now = int(time.time())
    return {
        "none": {},
        "empty": {"authorization": "Bearer "},
        "garbage": {"authorization": "Bearer not.a.jwt"},
        "basic": {"authorization": "Basic dXNlcjpwYXNz"},
        "expired": {"authorization": f"Bearer {signer.token(customer_id, iat=now - 3600, exp=now - 60)}"},
        "other-audience": {"authorization": f"Bearer {signer.token(customer_id, aud='someone-else')}"},
        "other-issuer": {"authorization": f"Bearer {signer.token(customer_id, iss='https://evil.example')}"},
        "huge": {"authorization": "Bearer " + "a" * 50_000},
    }


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_protected_route_answers_401_without_a_valid_token(
    client: Any, signer: Any, shopper: Any, method: str, path: str
) -> None:
    # Given a customer, and requests without a token or with a bad one
    customer, invoice = shopper
    path = path.replace("in_20261123_0000000000", invoice.invoice_id)

    for name, headers in bad_tokens(signer, customer.customer_id).items():
        # When the route is called
        response = client.http.request(
            method,
            path,
            headers={"content-type": "application/json", **pay_key(), **headers},
            body=b'{"method": "check"}',
        )
        # Then 401 with the error body
        assert response.status_code == 401, (name, response.status_code, response.body[:200])
        assert_error(response, 401, "unauthenticated")


@pytest.mark.parametrize("path", ["/health", "/openapi.json"])
def test_health_and_the_document_need_no_token(client: Any, path: str) -> None:
    response = client.http.get(path)
    assert response.status_code == 200 and isinstance(answer(response), dict)
