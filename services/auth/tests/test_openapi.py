"""The served OpenAPI 3.1 document is valid and matches the routes of the app (point 14).

The answers of the route tests are checked against it with `conftest.assert_documented`.
"""

from __future__ import annotations

import pytest
from conftest import assert_documented, call, documented_routes, openapi_document


@pytest.fixture(scope="module")
def served(app):
    from chalice.test import Client
    from conftest import SERVICE_DIR

    with Client(app, stage_name="local", project_dir=str(SERVICE_DIR)) as own_client:
        response = call(own_client, "GET", "/openapi.json")
    assert response.status_code == 200
    return response.json_body


def _operations(document):
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_the_document_is_valid_openapi_3_1(served):
    from openapi_spec_validator import validate

    assert served["openapi"].startswith("3.1")
    validate(served)


def test_the_document_lists_exactly_the_routes_of_the_app(app, served):
    routes = {(method, f"/auth{path}") for path, methods in app.routes.items() for method in methods}

    assert set(_operations(served)) == routes


def test_the_served_document_is_the_one_answers_are_checked_against(served):
    assert served == openapi_document()


def test_protected_operations_declare_bearer_security_and_401(served):
    routes = documented_routes()
    operator = {
        (route.method, f"/auth{route.path}"): route.operator_scope
        for route in routes
        if getattr(route, "operator_scope", None)
    }
    protected = {(route.method, f"/auth{route.path}") for route in routes if route.protected} - set(operator)
    for route, operation in _operations(served).items():
        if route in operator:  # an operator token with its scope (guichet_contracts.operator_tokens)
            assert operation.get("security") == [{"operator": [operator[route]]}], route
            assert {"401", "403"} <= set(operation["responses"]), route
        elif route in protected:
            assert operation.get("security") == [{"bearer": []}], route
            assert "401" in operation["responses"], route
        elif route == ("POST", "/auth/oauth/token"):  # a machine client: Basic, or in the form
            assert operation["security"] == [{"client_basic": []}, {}], route
        else:
            assert "security" not in operation, route
    assert served["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert served["components"]["securitySchemes"]["client_basic"]["scheme"] == "basic"


def test_path_parameters_are_declared(served):
    for (method, path), operation in _operations(served).items():
        names = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        declared = {
            parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "path"
        }
        assert declared == names, (method, path)


def test_request_bodies_are_the_schemas_the_routes_validate_with(served):
    from chalicelib import schemas

    for (method, path), operation in _operations(served).items():
        if method in {"POST", "PATCH"} and "application/json" in operation.get("requestBody", {}).get(
            "content", {}
        ):
            reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            name = reference.rsplit("/", 1)[1]
            model = getattr(schemas, name)
            documented = served["components"]["schemas"][name]
            assert set(documented["properties"]) == set(model.model_fields), (method, path)
            assert documented.get("additionalProperties") is False, (method, path)


def test_the_health_answer_matches_its_schema(client):
    response = call(client, "GET", "/health")

    assert response.json_body == {"status": "ok"}
    assert_documented("GET", "/health", response)


class _Answer:
    def __init__(self, status_code, json_body):
        self.status_code = status_code
        self.json_body = json_body


def test_the_judge_rejects_an_answer_that_does_not_match(client, customer):
    """assert_documented itself can fail: a profile without its email is not a Profile."""
    good = call(client, "GET", "/me", token=customer.access_token)
    assert_documented("GET", "/me", good)
    without_email = {key: value for key, value in good.json_body.items() if key != "email"}

    with pytest.raises(AssertionError):
        assert_documented("GET", "/me", _Answer(200, without_email))
    with pytest.raises(AssertionError):
        assert_documented("GET", "/me", _Answer(200, {**good.json_body, "language": "de"}))
    with pytest.raises(AssertionError):
        assert_documented("GET", "/me", _Answer(418, {"error": {"code": "teapot", "message": "short"}}))


def _statuses_of_bad_bodies(client, customer):
    """(method, path, status) of a malformed and an invalid body sent to every route that takes one."""
    seen = set()
    for route in documented_routes():
        if not route.body:
            continue
        concrete = route.path.replace("{contact_id}", "0123456789ab")
        token = customer.access_token if route.protected else None
        for sent in ("{", {"unknown_field": 1}):
            response = call(client, route.method, concrete, sent, token=token)
            seen.add((route.method, route.path, response.status_code))
    return seen


def test_every_status_the_routes_give_for_bad_bodies_is_documented(client, customer):
    document = openapi_document()

    undocumented = sorted(
        (method, path, status)
        for method, path, status in _statuses_of_bad_bodies(client, customer)
        if str(status) not in document["paths"][f"/auth{path}"][method.lower()]["responses"]
    )

    assert undocumented == []


def test_the_throttled_email_change_request_documents_429(client, customer, frozen_clock):
    from conftest import unique_email

    body = {"new_email": unique_email("new"), "password": "wrong password again"}
    for _ in range(5):
        assert call(client, "POST", "/me/email-change", body, token=customer.access_token).status_code == 422
    locked = call(client, "POST", "/me/email-change", body, token=customer.access_token)
    assert locked.status_code == 429

    assert_documented("POST", "/me/email-change", locked)


def test_the_bodies_say_what_the_validators_take() -> None:
    import re

    schemas = openapi_document()["components"]["schemas"]
    # Then a name or an address line has no control character and is not blank
    name = schemas["Registration"]["properties"]["first_name"]["pattern"]
    assert re.search(name, "Élodie") and not re.search(name, "a\x00b") and not re.search(name, "  ")
    # a country is an ISO 3166-1 code, an email has an @ and a domain
    country = schemas["AddressBody"]["properties"]["country"]["enum"]
    assert "FR" in country and "ZZ" not in country
    email = schemas["Registration"]["properties"]["email"]["pattern"]
    assert (
        re.search(email, "elodie@example.org")
        and not re.search(email, "")
        and not re.search(email, "a@b.local")
    )
    # names and roles may be left out of a change, never null (null was documented, and refused)
    profile = schemas["ProfileChanges"]["properties"]
    assert "anyOf" not in profile["first_name"] and {"type": "null"} in profile["phone"]["anyOf"]
    assert "anyOf" not in schemas["ContactChanges"]["properties"]["roles"]


def test_the_answers_schemas_are_generated_from_the_response_models() -> None:
    # Given the response models of chalicelib/responses.py (the schemas were written by hand)
    from chalicelib import responses
    from guichet_local.testing import assert_generated_from

    document = openapi_document()
    # Then each answer's schema is its model's, and allows no field the model does not have
    assert_generated_from(document, responses.ANSWERS)
    # the forgot-password answer documents its message (it was an undocumented field)
    assert document["components"]["schemas"]["Accepted"]["required"] == ["status", "message"]
