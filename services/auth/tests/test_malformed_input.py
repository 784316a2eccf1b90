"""Bad input is a 400 or 422 with the error body, never a 500; protected routes need a token (point 13)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import (
    SERVICE_DIR,
    Mailbox,
    assert_error,
    call,
    documented_routes,
    new_customer,
    operator_token,
)
from guichet_local.testing import assert_said_in


def _routes() -> list[tuple[str, str, str | None, str | None]]:
    """(method, path, whose token it takes: "customer", "operator" or None, request model)."""
    return [
        (
            route.method,
            route.path,
            "operator" if getattr(route, "operator_scope", None) else "customer" if route.protected else None,
            route.body,
        )
        for route in documented_routes()
    ]


def _concrete(path: str) -> str:
    return (
        path.replace("{contact_id}", "0123456789ab")
        .replace("{session_id}", "0123456789abcdef")
        .replace("{external_id}", "crm-000001")
        .replace("{import_id}", "0" * 32)
        .replace("{endpoint_id}", "we_" + "0" * 24)
        .replace("{delivery_id}", "0" * 30)
    )


BODY_ROUTES = [(m, p, protected, body) for m, p, protected, body in _routes() if body]
ROUTE_IDS = [f"{m} {p}" for m, p, _, _ in BODY_ROUTES]


@pytest.fixture(scope="module")
def owner(app) -> Any:
    from chalice.test import Client

    with Client(app, stage_name="local", project_dir=str(SERVICE_DIR)) as own_client:
        return new_customer(own_client, Mailbox())


def _send(client, owner, method, path, protected, body, **kwargs):
    operator = operator_token("customers:write", "webhooks:manage")
    token = {"customer": owner.access_token, "operator": operator}.get(protected)
    return call(client, method, _concrete(path), body, token=token, **kwargs)


def _model(name: str) -> Any:
    from chalicelib import schemas

    return getattr(schemas, name)


@pytest.mark.parametrize(
    "raw",
    [
        "{",
        '{"login": }',
        "[]",
        '[{"login": "x"}]',
        "null",
        '"text"',
        "123",
        "true",
        "",
        "{'single': 'quotes'}",
        b"\xff\xfe{",
    ],
    ids=[
        "open brace",
        "missing value",
        "array",
        "array of objects",
        "null",
        "string",
        "number",
        "true",
        "empty",
        "python dict",
        "not utf-8",
    ],
)
@pytest.mark.parametrize(("method", "path", "protected", "model"), BODY_ROUTES, ids=ROUTE_IDS)
def test_a_body_that_is_not_a_json_object_is_a_400(client, owner, method, path, protected, model, raw):
    response = _send(client, owner, method, path, protected, raw)

    assert_error(response, 400, "malformed_request")


@pytest.mark.parametrize(("method", "path", "protected", "model"), BODY_ROUTES, ids=ROUTE_IDS)
def test_missing_required_fields_are_named_in_a_422(client, owner, method, path, protected, model):
    required = set(_model(model).model_json_schema().get("required", []))
    if not required:
        pytest.skip(f"{model} has no required field")

    response = _send(client, owner, method, path, protected, {})

    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == required
    assert set(error["fields"].values()) == {"est obligatoire"}  # in French by default


@pytest.mark.parametrize(("method", "path", "protected", "model"), BODY_ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize(
    "wrong", [[1, 2], {"nested": True}, 12345, True], ids=["list", "object", "int", "bool"]
)
def test_wrong_types_are_a_422_naming_each_field(client, owner, method, path, protected, model, wrong):
    schemas = _model(model).model_json_schema()["properties"]
    properties = set(schemas)

    response = _send(client, owner, method, path, protected, {name: wrong for name in properties})

    error = assert_error(response, 422, "validation_failed")
    named = {field.split(".")[0] for field in error["fields"]}
    # a list is a valid type for "roles" (its items are then wrong, still named "roles"); true
    # is a valid value of a flag (the login's "cookie" and "remember", an endpoint's "enabled")
    flags = {name for name, schema in schemas.items() if schema.get("type") == "boolean"}
    assert named == (properties - flags if wrong is True else properties), (named, properties)


@pytest.mark.parametrize(("method", "path", "protected", "model"), BODY_ROUTES, ids=ROUTE_IDS)
def test_huge_strings_are_a_422(client, owner, method, path, protected, model):
    properties = set(_model(model).model_json_schema()["properties"])

    response = _send(client, owner, method, path, protected, {name: "é" * 200_000 for name in properties})

    error = assert_error(response, 422, "validation_failed")
    assert {field.split(".")[0] for field in error["fields"]} == properties


def test_an_unknown_field_of_a_public_route_is_named(client):
    response = call(
        client, "POST", "/login", {"login": "someone@example.org", "password": "x", "remember_me": True}
    )

    error = assert_error(response, 422, "validation_failed")
    assert error["fields"] == {"remember_me": "n'est pas un champ connu"}


def test_control_characters_in_names_are_refused(client):
    body = {
        "email": "ctrl@example.org",
        "password": "a long enough passphrase 1",
        "first_name": "A\u0007",
        "last_name": "B",
    }

    error = assert_error(call(client, "POST", "/register", body), 422, "validation_failed")

    assert set(error["fields"]) == {"first_name"}


def test_a_huge_login_name_is_a_422_not_a_lookup(client):
    error = assert_error(
        call(client, "POST", "/login", {"login": "a" * 5000 + "@example.org", "password": "whatever"}),
        422,
        "validation_failed",
    )
    assert set(error["fields"]) == {"login"}


def test_odd_logins_are_plain_invalid_credentials(client):
    for odd in ("@", "+", "++33", "-", "eo123456-", "\u0000", "💥", "a@b@c", " "):
        response = call(client, "POST", "/login", {"login": odd, "password": "whatever it is"})
        assert response.status_code in (401, 422), (odd, response.body)
        assert_error(
            response,
            response.status_code,
            "invalid_credentials" if response.status_code == 401 else "validation_failed",
        )


@pytest.mark.parametrize("nesting", ["[" * 100_000, '{"a":' * 100_000])
def test_deeply_nested_json_is_a_400(client, nesting):
    assert_error(call(client, "POST", "/login", nesting), 400, "malformed_request")


def test_a_body_of_another_content_type_gets_the_error_body(client):
    response = call(
        client,
        "POST",
        "/login",
        json.dumps({"login": "someone@example.org", "password": "whatever"}),
        headers={"content-type": "text/plain"},
    )

    assert response.status_code in (400, 415)
    assert "error" in json.loads(response.body), response.body


# --- a token is required where the document says so ------------------------------------------


def _app_routes(app) -> list[tuple[str, str]]:
    return sorted((method, path) for path, methods in app.routes.items() for method in methods)


def _protected() -> set[tuple[str, str]]:
    return {(method, path) for method, path, protected, _ in _routes() if protected == "customer"}


def _operator_routes() -> set[tuple[str, str]]:
    return {(method, path) for method, path, protected, _ in _routes() if protected == "operator"}


def test_the_protected_routes_are_the_customers_own_ones(app):
    protected = _protected()
    assert {path for _, path in protected} == {
        "/me",
        "/me/sessions",
        "/me/sessions/{session_id}",
        "/password/change",
        "/me/email-change",
        "/me/email-change/confirm",
        "/me/contacts",
        "/me/contacts/{contact_id}",
        "/me/second-factors",
        "/me/totp",
        "/me/totp/confirm",
        "/me/totp/recovery-codes",
        "/me/passkeys",
        "/me/passkeys/options",
        "/me/passkeys/{passkey_id}",
        "/step-up",
        "/step-up/passkey-options",
        "/me/data-exports",
        "/me/data-exports/{export_id}",
        "/me/closure",
    }
    assert protected <= set(_app_routes(app))


@pytest.mark.parametrize("token", [None, "garbage"], ids=["no token", "bad token"])
def test_every_protected_route_answers_401_without_a_valid_token(app, client, token):
    protected = _protected()
    answers = {}
    for method, path in _app_routes(app):
        if (method, path) not in protected:
            continue
        body = {} if method in ("POST", "PATCH", "PUT") else None
        answers[(method, path)] = call(client, method, _concrete(path), body, token=token)

    assert set(answers) == protected
    for route, response in answers.items():
        assert response.status_code == 401, (route, response.body)
        assert_error(response, 401, "unauthenticated")


@pytest.mark.parametrize("token", [None, "garbage", "customer"], ids=["no token", "bad token", "customer's"])
def test_every_operator_route_answers_401_without_an_operator_token(app, client, owner, token):
    operator_routes = _operator_routes()
    assert operator_routes and operator_routes <= set(_app_routes(app))
    for method, path in operator_routes:
        body = {} if method in ("POST", "PATCH", "PUT") else None
        sent = owner.access_token if token == "customer" else token
        # a customers file is CSV (Chalice answers 415 to another content type before the route)
        headers = {"content-type": "text/csv"} if path.endswith("/imports") else {}
        response = call(client, method, _concrete(path), body, token=sent, headers=headers)
        assert_error(response, 401, "unauthenticated")


def test_public_routes_do_not_ask_for_a_token(app, client):
    for method, path in _app_routes(app):
        if (method, path) in _protected() | _operator_routes():
            continue
        body = {} if method == "POST" else None
        response = call(client, method, path, body)
        assert response.status_code != 401 or path == "/login", (method, path, response.body)
        assert response.status_code < 500, (method, path, response.body)


@pytest.mark.parametrize("language", ["it", "fr"])
@pytest.mark.parametrize(("method", "path", "protected", "model"), BODY_ROUTES, ids=ROUTE_IDS)
def test_no_english_reaches_an_italian_or_french_reader(
    client, owner, method, path, protected, model, language
):
    properties = set(_model(model).model_json_schema()["properties"])
    headers = {"accept-language": language}
    bodies = [
        {},
        {name: "" for name in properties},
        {name: [1] for name in properties},
        {name: "x" * 5000 for name in properties},
        {**{name: "ok" for name in properties}, "unknown": 1},
        {name: "\x01 ZZ" for name in properties},
    ]
    for body in bodies:
        response = _send(client, owner, method, path, protected, body, headers=headers)
        if response.status_code >= 400:
            assert_said_in(response, language)
