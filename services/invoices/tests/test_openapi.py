"""The OpenAPI document the service serves: valid OpenAPI 3.1, one operation per route of the app
(prefix /invoices), and every error a route answers is documented for its status with its body.

The success answers are checked against the document by each route test (`assert_documented`).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import PREFIX, assert_documented, new_client, ordered_invoice, pay_key, register, utc
from guichet_local.testing import (
    answer,
    assert_error,
    assert_generated_from,
    assert_valid_openapi,
    documented_operations,
    query_schema,
    routed_operations,
)


def test_the_document_is_valid_openapi_3_1(openapi_document: dict[str, Any]) -> None:
    # Given the document served at GET /invoices/openapi.json
    # When it is validated as OpenAPI 3.1
    # Then no error is raised, it says it is 3.1, and every $ref resolves to a component
    assert_valid_openapi(openapi_document)


def test_the_document_is_served_without_a_token_and_is_the_one_the_code_builds(client: Any) -> None:
    # Given no access token
    from chalicelib.openapi import document

    # When the document is asked for
    response = client.http.get("/openapi.json")

    # Then it is served, and it is the document built from the route table
    assert response.status_code == 200
    assert answer(response) == document()


def test_the_documented_operations_are_exactly_the_routes_of_the_app(
    app: Any, openapi_document: dict[str, Any]
) -> None:
    # Given the routes the Chalice app serves, mounted under /invoices
    routed = routed_operations(app, PREFIX)

    # When the operations of the document are listed
    documented = documented_operations(openapi_document)

    # Then they are the same set: the 23 operations (8 for operators, 1 Stripe's webhook), the list
    # route being /invoices itself
    assert documented == routed
    assert documented == {
        ("get", "/invoices/health"),
        ("get", "/invoices/openapi.json"),
        ("get", "/invoices"),
        ("get", "/invoices/{invoice_id}"),
        ("get", "/invoices/{invoice_id}/pdf"),
        ("post", "/invoices/{invoice_id}/payments"),
        ("post", "/invoices/payments"),
        ("post", "/invoices/payments/stripe/webhook"),
        ("get", "/invoices/payment-provider"),
        ("get", "/invoices/schedule"),
        ("get", "/invoices/bank-account"),
        ("put", "/invoices/bank-account"),
        ("get", "/invoices/preferences"),
        ("patch", "/invoices/preferences"),
        ("post", "/invoices/{invoice_id}/duplicate"),
        ("post", "/invoices/operator/customers/{customer_id}/payments/{payment_id}/received"),
        ("post", "/invoices/operator/customers/{customer_id}/payments/{payment_id}/expired"),
        ("post", "/invoices/operator/customers/{customer_id}/invoices/{invoice_id}/credit-notes"),
        ("post", "/invoices/operator/customers/{customer_id}/refunds/{refund_id}/made"),
        ("put", "/invoices/operator/customers/{customer_id}/provider-invoices/{external_id}"),
        ("put", "/invoices/operator/customers/{customer_id}/provider-invoices/{external_id}/pdf"),
        ("post", "/invoices/operator/provider-invoices/imports"),
        ("get", "/invoices/operator/provider-invoices/imports/{import_id}"),
    }


def test_every_route_but_health_and_the_document_declares_the_bearer_token(
    openapi_document: dict[str, Any],
) -> None:
    # Given every operation of the document
    for path, operations in openapi_document["paths"].items():
        for method, operation in operations.items():
            # Then the protected ones say so (a customer's token, or an operator's on the operator
            # routes) and document the 401 error body; the public ones (and Stripe's webhook, which
            # its signature authenticates) do not
            if path in ("/invoices/health", "/invoices/openapi.json", "/invoices/payments/stripe/webhook"):
                assert "security" not in operation, (method, path)
            elif path.startswith("/invoices/operator/"):
                assert operation["security"] == [{"operator": ["invoices:write"]}], (method, path)
                assert "403" in operation["responses"], (method, path)
            else:
                assert operation["security"] == [{"bearer": []}], (method, path)
                schema = operation["responses"]["401"]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)


@pytest.mark.parametrize("path", ["/invoices/{invoice_id}/payments", "/invoices/payments"])
def test_the_payment_operations_require_the_idempotency_key_header(
    openapi_document: dict[str, Any], path: str
) -> None:
    # Given an operation marked ⟳ in API.md
    operation = openapi_document["paths"][path]["post"]

    # Then its Idempotency-Key header is required, 1 to 255 characters, and its body is the request model
    header = next(
        parameter for parameter in operation["parameters"] if parameter["name"] == "Idempotency-Key"
    )
    assert header["in"] == "header" and header["required"] is True
    assert header["schema"]["minLength"] == 1 and header["schema"]["maxLength"] == 255
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = openapi_document["components"]["schemas"][body.rsplit("/", 1)[1]]
    assert set(schema["required"]) >= {"method"}
    assert schema["properties"]["method"]["enum"] == ["card", "direct_debit", "check", "tip"]


def test_the_list_documents_its_query_parameters(openapi_document: dict[str, Any]) -> None:
    # Given the list operation
    parameters = openapi_document["paths"]["/invoices"]["get"]["parameters"]

    # Then it names the filters and the paging of API.md
    assert {parameter["name"] for parameter in parameters if parameter["in"] == "query"} == {
        "from",
        "to",
        "status",
        "kind",
        "limit",
        "cursor",
    }


# (method, route as the app routes it, path to call ({own} is the caller's open invoice), body,
#  headers, status, code)
ERROR_ANSWERS = [
    pytest.param("GET", "/", "/?limit=0", None, {}, 422, "validation_failed", id="list-limit"),
    pytest.param("GET", "/", "/?from=2001-01", None, {}, 422, "period_out_of_range", id="list-period"),
    pytest.param("GET", "/", "/?cursor=garbage", None, {}, 422, "validation_failed", id="list-cursor"),
    pytest.param("GET", "/{invoice_id}", "/in_20260101_0000000000", None, {}, 404, "not_found", id="get-404"),
    pytest.param(
        "GET", "/{invoice_id}/pdf", "/in_20260101_0000000000/pdf", None, {}, 404, "not_found", id="pdf-404"
    ),
    pytest.param(
        "POST",
        "/{invoice_id}/payments",
        "/{own}/payments",
        {"method": "check"},
        {},
        400,
        "idempotency_key_required",
        id="pay-400-key",
    ),
    pytest.param(
        "POST",
        "/{invoice_id}/payments",
        "/{own}/payments",
        b"{oops",
        pay_key(),
        400,
        "malformed_request",
        id="pay-400-json",
    ),
    pytest.param(
        "POST",
        "/{invoice_id}/payments",
        "/{own}/payments",
        {"method": "cash"},
        pay_key(),
        422,
        "validation_failed",
        id="pay-422",
    ),
    pytest.param(
        "POST",
        "/{invoice_id}/payments",
        "/{own}/payments",
        {"method": "card", "card_token": "tok_visa", "amount_cents": 10**9},
        pay_key(),
        422,
        "amount_exceeds_due",
        id="pay-422-too-much",
    ),
    pytest.param(
        "POST",
        "/{invoice_id}/payments",
        "/in_20260101_0000000000/payments",
        {"method": "check"},
        pay_key(),
        404,
        "not_found",
        id="pay-404",
    ),
    pytest.param(
        "POST",
        "/{invoice_id}/payments",
        "/{own}/payments",
        {"method": "direct_debit"},
        pay_key(),
        409,
        "no_bank_account",
        id="pay-409",
    ),
    pytest.param(
        "POST",
        "/payments",
        "/payments",
        {"invoice_ids": ["in_20260101_0000000000"], "method": "check"},
        pay_key(),
        404,
        "not_found",
        id="pay-several-404",
    ),
    pytest.param(
        "POST",
        "/payments",
        "/payments",
        {"invoice_ids": [], "method": "check"},
        pay_key(),
        422,
        "validation_failed",
        id="pay-several-422",
    ),
    pytest.param(
        "POST", "/payments", "/payments", b"[", pay_key(), 400, "malformed_request", id="pay-several-400"
    ),
    pytest.param("GET", "/schedule", "/schedule", None, {}, 404, "not_found", id="schedule-404"),
    pytest.param("GET", "/bank-account", "/bank-account", None, {}, 404, "not_found", id="bank-404"),
    pytest.param(
        "PUT",
        "/bank-account",
        "/bank-account",
        {"iban": "FR7630006000011234567890188", "holder": "Test Client"},
        {},
        422,
        "validation_failed",
        id="bank-422",
    ),
    pytest.param("PUT", "/bank-account", "/bank-account", b"{", {}, 400, "malformed_request", id="bank-400"),
    pytest.param(
        "PATCH",
        "/preferences",
        "/preferences",
        {"paperless": None},
        {},
        422,
        "validation_failed",
        id="preferences-422",
    ),
    pytest.param(
        "PATCH", "/preferences", "/preferences", b"nope", {}, 400, "malformed_request", id="preferences-400"
    ),
    pytest.param(
        "POST",
        "/{invoice_id}/duplicate",
        "/in_20260101_0000000000/duplicate",
        None,
        {},
        404,
        "not_found",
        id="duplicate-404",
    ),
]


@pytest.fixture(scope="module")
def with_open_invoice(app: Any, signer: Any) -> Any:
    """A customer with an open invoice and no bank account (the error cases change nothing)."""
    customer = register(new_client(app), signer)
    return customer, ordered_invoice(customer, 1200)


@pytest.mark.parametrize(("method", "route", "path", "body", "headers", "status", "code"), ERROR_ANSWERS)
def test_every_error_answer_is_documented_for_its_status(
    openapi_document: dict[str, Any],
    with_open_invoice: Any,
    method: str,
    route: str,
    path: str,
    body: Any,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    # Given a customer with an open invoice and no bank account
    customer, invoice = with_open_invoice

    # When a route is called in a way it refuses
    response = customer.call(method, path.replace("{own}", invoice.invoice_id), body, headers)

    # Then the answer is the error body, and the document lists that status with that body
    assert_error(response, status, code)
    assert_documented(openapi_document, method, route, response)


@pytest.mark.time_machine(utc(2026, 11, 23, 10, 0), tick=False)
def test_the_429_of_a_fourth_duplicate_of_the_day_is_documented(
    openapi_document: dict[str, Any], customer_factory: Any
) -> None:
    # Given three duplicates of an invoice asked on 23 November 2026 (a day set: all four asks fall on it)
    customer = customer_factory()
    invoice = ordered_invoice(customer, 1200)
    for _ in range(3):
        assert customer.call("POST", f"/{invoice.invoice_id}/duplicate").status_code == 201

    # When a fourth is asked
    response = customer.call("POST", f"/{invoice.invoice_id}/duplicate")

    # Then 429 with the error body, as documented
    assert_error(response, 429, "too_many_attempts")
    assert_documented(openapi_document, "POST", "/{invoice_id}/duplicate", response)


@pytest.mark.parametrize(
    ("method", "route"),
    [
        ("GET", "/"),
        ("GET", "/{invoice_id}"),
        ("GET", "/{invoice_id}/pdf"),
        ("POST", "/{invoice_id}/payments"),
        ("POST", "/payments"),
        ("GET", "/schedule"),
        ("GET", "/bank-account"),
        ("PUT", "/bank-account"),
        ("GET", "/preferences"),
        ("PATCH", "/preferences"),
        ("POST", "/{invoice_id}/duplicate"),
    ],
)
def test_the_401_answer_is_documented(
    client: Any, openapi_document: dict[str, Any], method: str, route: str
) -> None:
    # Given no token
    # When a protected route is called
    path = route.replace("{invoice_id}", "in_20260101_0000000000")
    response = client.http.request(method, path, headers={}, body=b"")

    # Then 401 with the error body, as documented
    assert_error(response, 401, "unauthenticated")
    assert_documented(openapi_document, method, route, response)


def test_the_document_says_what_the_routes_take(openapi_document: dict[str, Any]) -> None:
    import re

    # Then a month is YYYY-MM of a year from 1 (any text was documented; year 0 was a 500)
    month = query_schema(openapi_document, "get", "/invoices", "from")["pattern"]
    assert re.search(month, "2034-06") and not any(
        re.search(month, bad) for bad in ("0000-01", "2034-13", "2034-6")
    )
    assert query_schema(openapi_document, "get", "/invoices", "limit") == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
    }
    # a preference may be left out, never null (null was documented, and refused)
    preferences = openapi_document["components"]["schemas"]["PreferencesChanges"]["properties"]
    assert [field.get("type") for field in preferences.values()] == ["boolean", "boolean", "string"]
    # direct debit without bank details is a 409 (it was undocumented)
    assert "409" in openapi_document["paths"]["/invoices/preferences"]["patch"]["responses"]
    # an Idempotency-Key is visible ASCII
    pay = openapi_document["paths"]["/invoices/payments"]["post"]["parameters"]
    key = next(parameter["schema"] for parameter in pay if parameter["name"] == "Idempotency-Key")
    assert re.search(key["pattern"], "order-1") and not re.search(key["pattern"], "clé é")


def test_the_answers_schemas_are_generated_from_the_response_models(openapi_document: dict[str, Any]) -> None:
    # Given the response models of chalicelib/responses.py (the schemas were written by hand)
    from chalicelib import responses

    # Then each answer's schema is its model's, and allows no field the model does not have
    assert_generated_from(openapi_document, responses.ANSWERS)
    schemas = openapi_document["components"]["schemas"]
    # the fields the answers carried without the document saying so are documented
    assert {"unit_price"} <= set(schemas["Line"]["required"])
    assert {"credited_invoice_id", "tax_breakdown"} <= set(schemas["InvoiceDetail"]["required"])
    assert {"currency", "consumption_billed_cents"} <= set(schemas["ContractSchedule"]["required"])
    assert "created_at" in schemas["Payment"]["required"]
    # a credit document's fields are absent from an invoice, never null
    assert schemas["InvoiceDetail"]["properties"]["carried"]["type"] == "boolean"


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/", "/"),
        ("?from=2026-01", "/"),
        ("/payments", "/payments"),
        ("/schedule", "/schedule"),
        ("/in_123?x=1", "/{invoice_id}"),
        ("/in_123/pdf", "/{invoice_id}/pdf"),
        (
            "/operator/customers/c1/payments/p1/received",
            "/operator/customers/{customer_id}/payments/{payment_id}/received",
        ),
        ("/in_123/nothing", None),
    ],
)
def test_a_path_called_is_matched_to_its_route_as_the_router_does(
    openapi_document: dict[str, Any], path: str, route: str | None
) -> None:
    # Given the document (every answer of the tests is checked against the route it reaches)
    from guichet_contracts.openapi import route_of

    # Then a literal part wins over a parameter, and a path no route has reaches none
    assert route_of(openapi_document, "invoices", path) == route


def test_the_document_allows_only_bodies_the_payment_and_bank_routes_take(
    openapi_document: dict[str, Any],
) -> None:
    import re

    from chalicelib.bank_details import _check_holder

    schemas = openapi_document["components"]["schemas"]
    # Then invoices paid together are distinct (an invoice listed twice is a 422; schemathesis
    # found the document allowed it)
    assert schemas["MultiPaymentRequest"]["properties"]["invoice_ids"]["uniqueItems"] is True
    # and a holder the document allows is one the validator takes: 2 to 70 characters of letters,
    # digits, spaces and ' - . & (a longer one was allowed)
    pattern = re.compile(schemas["BankAccountBody"]["properties"]["holder"]["pattern"])
    allowed = ["Jo", "Hélène Dupré-Saint Martin", "SARL L'Étoile & Fils", "A.", "0" * 70, "Ø  ÿ"]
    for holder in allowed:
        assert pattern.search(holder), holder
        assert _check_holder(holder)[1] is None, holder
    for holder in ["J", "0" * 71, " Jo", "Jo ", "Jo\u00d7", "Jo_", "-Jo"]:
        assert not pattern.search(holder), holder


def test_invoices_listed_twice_are_refused_as_the_document_says(customer_factory: Any) -> None:
    # Given a customer
    customer = customer_factory()

    # When they pay the same invoice twice in one payment
    response = customer.call(
        "POST",
        "/payments",
        {"invoice_ids": ["in_20260101_0000000001", "in_20260101_0000000001"], "method": "check"},
        {"idempotency-key": "k-twice"},
    )

    # Then 422, naming the list
    assert_error(response, 422, "validation_failed", "invoice_ids")
