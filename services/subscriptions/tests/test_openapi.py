"""The OpenAPI document the service serves: valid OpenAPI 3.1, one operation per route of the app,
and every status the routes answer is documented with its body.

Route answers are also checked against the document by each route test (`assert_documented`);
here are the error answers of every route, each validated against the document for its status.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import PREFIX, assert_documented, order_and_pay
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
    # Given the document served at GET /subscriptions/openapi.json
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
    # Given the routes the Chalice app serves (mounted under /subscriptions)
    routed = routed_operations(app, PREFIX)

    # When the operations of the document are listed
    documented = documented_operations(openapi_document)

    # Then they are the same set, the list route being /subscriptions itself
    assert documented == routed
    assert ("get", "/subscriptions") in documented
    assert len(documented) == 34


def test_every_route_but_health_and_the_document_requires_a_token(openapi_document: dict[str, Any]) -> None:
    # Given every operation of the document
    for path, operations in openapi_document["paths"].items():
        for method, operation in operations.items():
            public = path in ("/subscriptions/health", "/subscriptions/openapi.json")
            # Then the protected ones say so and document the 401 error body
            if public:
                assert "security" not in operation, (method, path)
            elif path.startswith("/subscriptions/operator/"):
                # an operator route takes an operator token, never a customer's (403 without the scope)
                scope = (
                    "catalog:write"
                    if path.startswith("/subscriptions/operator/catalog")
                    else "subscriptions:write"
                )
                assert operation["security"] == [{"operator": [scope]}], (method, path)
                assert "403" in operation["responses"], (method, path)
            else:
                assert operation["security"] == [{"bearer": []}], (method, path)
                schema = operation["responses"]["401"]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)


@pytest.mark.parametrize(
    "path", ["/subscriptions/orders", "/subscriptions/{subscription_id}/renew"], ids=["order", "renew"]
)
def test_idempotent_operations_require_the_idempotency_key_header(
    openapi_document: dict[str, Any], path: str
) -> None:
    # Given an operation marked ⟳ in API.md
    parameters = openapi_document["paths"][path]["post"]["parameters"]

    # Then its Idempotency-Key header is required, 1 to 255 characters
    header = next(parameter for parameter in parameters if parameter["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["required"] is True
    assert header["schema"]["minLength"] == 1 and header["schema"]["maxLength"] == 255


# (method, path as routed, path to call, body, headers, status, code); {sid} is the caller's subscription
ERROR_ANSWERS = [
    pytest.param(
        "GET", "/catalog", "/catalog?family=boats", None, {}, 422, "validation_failed", id="catalog-family"
    ),
    pytest.param("GET", "/", "/?limit=0", None, {}, 422, "validation_failed", id="list-limit"),
    pytest.param("GET", "/", "/?cursor=garbage", None, {}, 422, "validation_failed", id="list-cursor"),
    pytest.param("GET", "/{subscription_id}", "/nope", None, {}, 404, "not_found", id="get-missing"),
    pytest.param(
        "PATCH",
        "/{subscription_id}",
        "/{sid}",
        {"auto_renew": "maybe"},
        {},
        422,
        "validation_failed",
        id="patch-422",
    ),
    pytest.param(
        "PATCH",
        "/{subscription_id}",
        "/{sid}",
        b"{oops",
        {},
        400,
        "malformed_request",
        id="patch-400",
    ),
    pytest.param(
        "POST",
        "/{subscription_id}/confirm",
        "/{sid}/confirm",
        None,
        {},
        409,
        "forbidden_transition",
        id="confirm-409",
    ),
    pytest.param(
        "PUT",
        "/{subscription_id}/settings",
        "/{sid}/settings",
        {"apn": 1},
        {},
        422,
        "validation_failed",
        id="settings-422",
    ),
    pytest.param(
        "PUT",
        "/{subscription_id}/settings",
        "/{sid}/settings",
        b"[",
        {},
        400,
        "malformed_request",
        id="settings-400",
    ),
    pytest.param(
        "POST",
        "/{subscription_id}/renew",
        "/{sid}/renew",
        {"periods": 1},
        {},
        400,
        "idempotency_key_required",
        id="renew-400",
    ),
    pytest.param(
        "POST",
        "/{subscription_id}/renew",
        "/{sid}/renew",
        {"periods": 99},
        {"idempotency-key": "k-renew-422"},
        422,
        "validation_failed",
        id="renew-422",
    ),
    pytest.param(
        "POST",
        "/{subscription_id}/cancel",
        "/{sid}/cancel",
        {"reason": ""},
        {},
        422,
        "validation_failed",
        id="cancel-422",
    ),
    pytest.param(
        "POST",
        "/{subscription_id}/cancel",
        "/{sid}/cancel",
        b"{",
        {},
        400,
        "malformed_request",
        id="cancel-400",
    ),
    pytest.param(
        "GET",
        "/{subscription_id}/documents",
        "/nope/documents",
        None,
        {},
        404,
        "not_found",
        id="documents-404",
    ),
    pytest.param(
        "GET",
        "/{subscription_id}/documents/{kind}",
        "/{sid}/documents/invoice",
        None,
        {},
        404,
        "not_found",
        id="link-404",
    ),
    pytest.param(
        "POST",
        "/orders",
        "/orders",
        {"items": []},
        {"idempotency-key": "k-empty"},
        422,
        "validation_failed",
        id="order-422",
    ),
    pytest.param(
        "POST",
        "/orders",
        "/orders",
        b"{",
        {"idempotency-key": "k-bad"},
        400,
        "malformed_request",
        id="order-400",
    ),
    pytest.param(
        "GET",
        "/orders",
        "/orders?status=lost",
        None,
        {},
        422,
        "validation_failed",
        id="orders-422",
    ),
    pytest.param(
        "GET", "/orders", "/orders?limit=101", None, {}, 422, "validation_failed", id="orders-limit"
    ),
    pytest.param(
        "GET", "/orders", "/orders?cursor=garbage", None, {}, 422, "validation_failed", id="orders-cursor"
    ),
    pytest.param("GET", "/orders/{order_id}", "/orders/nope", None, {}, 404, "not_found", id="order-404"),
    pytest.param(
        "GET",
        "/appointments/slots",
        "/appointments/slots?from=tomorrow",
        None,
        {},
        422,
        "validation_failed",
        id="slots-422",
    ),
    pytest.param(
        "GET",
        "/appointments",
        "/appointments?limit=0",
        None,
        {},
        422,
        "validation_failed",
        id="appointments-limit",
    ),
    pytest.param(
        "GET",
        "/appointments",
        "/appointments?cursor=garbage",
        None,
        {},
        422,
        "validation_failed",
        id="appointments-cursor",
    ),
    pytest.param(
        "POST", "/appointments", "/appointments", {"topic": "x"}, {}, 422, "validation_failed", id="book-422"
    ),
    pytest.param(
        "POST",
        "/appointments",
        "/appointments",
        b"nope",
        {},
        400,
        "malformed_request",
        id="book-400",
    ),
    pytest.param(
        "DELETE",
        "/appointments/{appointment_id}",
        "/appointments/nope",
        None,
        {},
        404,
        "not_found",
        id="cancel-appt-404",
    ),
]


@pytest.fixture(scope="module")
def active_mobile(app: Any, signer: Any) -> Any:
    """A customer with an active mobile subscription, shared by the error cases (which change nothing)."""
    from conftest import new_client, register_customer

    customer = register_customer(new_client(app), signer)
    return customer, order_and_pay(customer, "mobile-50go", "Ligne")


@pytest.mark.parametrize(("method", "route", "path", "body", "headers", "status", "code"), ERROR_ANSWERS)
def test_every_error_answer_is_documented_for_its_status(
    openapi_document: dict[str, Any],
    active_mobile: Any,
    method: str,
    route: str,
    path: str,
    body: Any,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    # Given a customer and one of their subscriptions
    customer, subscription = active_mobile

    # When a route is called in a way it refuses
    response = customer.call(method, path.replace("{sid}", subscription["subscription_id"]), body, headers)

    # Then the answer is the error body, and the document lists that status with that body
    assert_error(response, status, code)
    assert_documented(openapi_document, method, route, response)


@pytest.mark.parametrize(
    ("method", "route"),
    [("GET", "/dashboard"), ("GET", "/"), ("POST", "/orders"), ("DELETE", "/appointments/{appointment_id}")],
)
def test_the_401_answer_is_documented(
    client: Any, openapi_document: dict[str, Any], method: str, route: str
) -> None:
    # Given no token
    # When a protected route is called
    response = client.http.request(method, route.replace("{appointment_id}", "a1"), headers={}, body=b"")

    # Then 401 with the error body, as documented
    assert_error(response, 401, "unauthenticated")
    assert_documented(openapi_document, method, route, response)


def test_the_document_says_what_the_routes_take(openapi_document: dict[str, Any]) -> None:
    import re

    # Then the filters are their values, days are days, a limit 1 to 100 (all were any text)
    assert "electricity" in query_schema(openapi_document, "get", "/subscriptions/catalog", "family")["enum"]
    within = query_schema(openapi_document, "get", "/subscriptions", "expiring_within_days")
    assert (within["type"], within["minimum"], within["maximum"]) == ("integer", 0, 3660)
    assert (
        query_schema(openapi_document, "get", "/subscriptions/appointments/slots", "to")["format"] == "date"
    )
    assert query_schema(openapi_document, "get", "/subscriptions/orders", "limit")["maximum"] == 100
    # technical settings are a JSON object (no body was documented: an empty one was a 400)
    settings = openapi_document["paths"]["/subscriptions/{subscription_id}/settings"]["put"]
    assert settings["requestBody"]["content"]["application/json"]["schema"] == {"type": "object"}
    # a phone is a French number, a label something else than spaces
    schemas = openapi_document["components"]["schemas"]
    phone = schemas["AppointmentRequest"]["properties"]["phone"]["pattern"]
    assert (
        re.search(phone, "0647284567")
        and re.search(phone, "+33147284567")
        and not re.search(phone, "0000000000")
    )
    label = schemas["OrderItem"]["properties"]["label"]["anyOf"][0]["pattern"]
    assert re.search(label, "Ligne") and not re.search(label, "   ")


def test_the_answers_schemas_are_generated_from_the_response_models(openapi_document: dict[str, Any]) -> None:
    # Given the response models of chalicelib/responses.py (the schemas were written by hand)
    from chalicelib import orders, responses, subscriptions

    # Then each answer's schema is its model's, and allows no field the model does not have
    assert_generated_from(openapi_document, responses.ANSWERS)
    # the enums are the ones the code checks against
    schemas = openapi_document["components"]["schemas"]
    assert schemas["Subscription"]["properties"]["family"]["enum"] == list(subscriptions.FAMILIES)
    assert schemas["Subscription"]["properties"]["status"]["enum"] == list(subscriptions.STATUSES)
    assert schemas["Order"]["properties"]["status"]["enum"] == list(orders.STATUSES)
    # an offer detail is absent or given, never null (catalog._extras)
    assert schemas["Product"]["properties"]["storage_mb"] == {"title": "Storage Mb", "type": "integer"}
    # one subscription's routes answer its contract, settings and options, a listing does not
    assert {"contract", "settings", "options"} <= set(schemas["SubscriptionDetail"]["required"])
    assert "contract" not in schemas["Subscription"]["properties"]


@pytest.mark.parametrize("family", ["domain", "website", "hosting", "internet", "mobile", "electricity"])
def test_the_settings_and_options_of_every_family_are_documented(
    openapi_document: dict[str, Any], family: str
) -> None:
    from chalicelib import technical_settings
    from jsonschema import Draft202012Validator
    from test_technical_settings import VALID_OPTIONS, VALID_SETTINGS

    # Given a family's settings and options as the service stores and answers them (normalised)
    settings = technical_settings.validate_settings(family, VALID_SETTINGS[family])
    options = technical_settings.validate_order_options(family, VALID_OPTIONS[family])

    # Then they validate against the document, as none given yet does; another field does not
    schemas = openapi_document["components"]["schemas"]
    detail = schemas["SubscriptionDetail"]["properties"]
    for value, schema in (
        (settings, detail["settings"]),
        (options, detail["options"]),
        ({}, detail["settings"]),
    ):
        validator = Draft202012Validator({"components": openapi_document["components"], **schema})
        assert not list(validator.iter_errors(value)), (family, value)
        assert list(validator.iter_errors({**value, "admin": True})), (family, value)
