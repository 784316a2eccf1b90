"""The refresh token in the session cookie (chalicelib/session_cookie.py): asked for at login,
taken by refresh and logout when their body has none, with the header that forgery cannot send;
the bearer flow (tokens in the body) unchanged beside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any

import pytest
from conftest import PASSWORD, assert_error, call, new_customer

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HEADER = {"x-guichet-session": "cookie"}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The routes' clock, at T0 until the test moves it."""
    from chalicelib import api

    moment = {"now": T0}
    monkeypatch.setattr(api, "_now", lambda: moment["now"])
    return moment


def cookie_login(client: Any, email: str, **flags: Any) -> Any:
    body = {"login": email, "password": PASSWORD, "cookie": True, **flags}
    return call(client, "POST", "/login", body)


def set_cookie(response: Any) -> tuple[str, dict[str, str]]:
    """The refresh token the answer sets and the cookie's attributes (flags as "")."""
    given = response.headers["Set-Cookie"]
    # a login sets the device cookie beside it (login_notices.py)
    header = next(
        cookie for cookie in ([given] if isinstance(given, str) else given) if "guichet_refresh=" in cookie
    )
    name_value, *attributes = [part.strip() for part in header.split(";")]
    name, _, value = name_value.partition("=")
    assert name == "guichet_refresh", header
    parsed = {}
    for attribute in attributes:
        key, _, given = attribute.partition("=")
        parsed[key.lower()] = given
    return value, parsed


def session_of(refresh_token: str) -> str:
    from chalicelib import opaque_tokens
    from chalicelib.models import RefreshToken, token_key

    return str(RefreshToken.get(*token_key("REFRESH", opaque_tokens.digest(refresh_token))).session_id)


def revoked(customer_id: str, session_id: str) -> bool:
    from chalicelib.models import Session, session_key

    return Session.get(*session_key(customer_id, session_id), consistent_read=True).revoked_at is not None


def with_cookie(token: str, **headers: str) -> dict[str, str]:
    return {"cookie": f"other=1; guichet_refresh={token}", **headers}


def test_a_cookie_login_sets_the_refresh_token_in_a_strict_httponly_cookie_and_not_in_the_body(
    client, mailbox, clock
):
    from chalicelib.settings import settings

    customer = new_customer(client, mailbox)

    response = cookie_login(client, customer.email, remember=True)

    assert response.status_code == 200, response.body
    assert set(response.json_body) == {"access_token", "token_type", "expires_in", "session_id"}
    token, attributes = set_cookie(response)
    assert len(token) >= 32
    assert attributes == {
        "path": "/auth",
        "httponly": "",
        "secure": "",
        "samesite": "Strict",
        "max-age": str(settings.refresh_token_days * 86400),
    }


def test_without_remember_the_cookie_lasts_the_browsers_session(client, mailbox, clock):
    customer = new_customer(client, mailbox)

    token, attributes = set_cookie(cookie_login(client, customer.email))
    clock["now"] = T0 + timedelta(minutes=20)
    refreshed = call(client, "POST", "/refresh", {}, headers=with_cookie(token, **HEADER))

    assert "max-age" not in attributes and "expires" not in attributes
    assert refreshed.status_code == 200, refreshed.body
    assert "max-age" not in set_cookie(refreshed)[1]


def test_the_bearer_flow_is_unchanged(client, mailbox):
    customer = new_customer(client, mailbox)

    response = call(
        client, "POST", "/login", {"login": customer.email, "password": PASSWORD, "cookie": False}
    )
    refreshed = call(client, "POST", "/refresh", {"refresh_token": response.json_body["refresh_token"]})

    for answer in (response, refreshed):
        assert answer.status_code == 200, answer.body
        assert set(answer.json_body) == {
            "access_token",
            "refresh_token",
            "token_type",
            "expires_in",
            "session_id",
        }
        assert "Set-Cookie" not in answer.headers


def test_a_refresh_by_the_cookie_rotates_it_and_keeps_its_lifetime(client, mailbox, clock):
    customer = new_customer(client, mailbox)
    first, _ = set_cookie(cookie_login(client, customer.email, remember=True))
    clock["now"] = T0 + timedelta(days=2)

    response = call(client, "POST", "/refresh", {}, headers=with_cookie(first, **HEADER))

    assert response.status_code == 200, response.body
    assert "refresh_token" not in response.json_body
    second, attributes = set_cookie(response)
    assert second != first
    assert attributes["max-age"] == str(28 * 86400)  # what the token has left of its 30 days
    assert response.json_body["session_id"] == session_of(first)


def test_a_refresh_by_the_cookie_without_the_header_is_refused_and_changes_nothing(client, mailbox, clock):
    customer = new_customer(client, mailbox)
    token, _ = set_cookie(cookie_login(client, customer.email))

    for headers in (with_cookie(token), with_cookie(token, **{"x-guichet-session": "yes"})):
        refused = call(client, "POST", "/refresh", {}, headers=headers)
        assert_error(refused, 403, "session_header_required")
        assert "Set-Cookie" not in refused.headers
    still = call(client, "POST", "/refresh", {}, headers=with_cookie(token, **HEADER))
    assert still.status_code == 200, still.body


def test_a_cookie_token_presented_again_is_theft_and_ends_the_session(client, mailbox, clock):
    customer = new_customer(client, mailbox)
    login = cookie_login(client, customer.email, remember=True)
    stolen, _ = set_cookie(login)
    clock["now"] = T0 + timedelta(minutes=10)
    rotated = call(client, "POST", "/refresh", {}, headers=with_cookie(stolen, **HEADER))
    successor, _ = set_cookie(rotated)
    clock["now"] = T0 + timedelta(minutes=11)  # past the grace of two tabs refreshing at once

    replay = call(client, "POST", "/refresh", {}, headers=with_cookie(stolen, **HEADER))

    assert_error(replay, 401, "invalid_refresh_token")
    assert set_cookie(replay) == ("", {**set_cookie(replay)[1], "max-age": "0"})
    # the whole family is revoked: the legitimate successor is dead too
    clock["now"] = T0 + timedelta(minutes=12)
    assert_error(
        call(client, "POST", "/refresh", {}, headers=with_cookie(successor, **HEADER)),
        401,
        "invalid_refresh_token",
    )
    assert revoked(customer.customer_id, login.json_body["session_id"])
    assert not revoked(customer.customer_id, customer.session_id)  # the other session lives on


def test_logout_by_the_cookie_clears_it_and_ends_the_session(client, mailbox, clock):
    customer = new_customer(client, mailbox)
    login = cookie_login(client, customer.email, remember=True)
    token, _ = set_cookie(login)

    refused = call(client, "POST", "/logout", {}, headers=with_cookie(token))
    response = call(client, "POST", "/logout", {}, headers=with_cookie(token, **HEADER))

    assert_error(refused, 403, "session_header_required")
    assert response.status_code == 204
    value, attributes = set_cookie(response)
    assert value == "" and attributes["max-age"] == "0" and attributes["path"] == "/auth"
    assert {"httponly", "secure", "samesite"} <= set(attributes)
    assert revoked(customer.customer_id, login.json_body["session_id"])
    assert_error(
        call(client, "POST", "/refresh", {}, headers=with_cookie(token, **HEADER)),
        401,
        "invalid_refresh_token",
    )


def test_the_body_token_goes_before_the_cookie(client, mailbox, clock):
    customer = new_customer(client, mailbox)
    cookie_token, _ = set_cookie(cookie_login(client, customer.email))

    response = call(
        client,
        "POST",
        "/refresh",
        {"refresh_token": customer.refresh_token},
        headers=with_cookie(cookie_token),
    )

    assert response.status_code == 200 and "refresh_token" in response.json_body
    assert "Set-Cookie" not in response.headers
    # the cookie's token was not touched
    assert (
        call(client, "POST", "/refresh", {}, headers=with_cookie(cookie_token, **HEADER)).status_code == 200
    )


@pytest.mark.parametrize("path", ["/refresh", "/logout"])
@pytest.mark.parametrize(
    "cookie", [None, "", "guichet_refresh=", 'guichet_refresh="\\x', "guichet_refresh", "a=b; c"]
)
def test_no_token_in_body_nor_cookie_is_a_422_naming_it(client, path, cookie):
    headers = {**HEADER, **({"cookie": cookie} if cookie is not None else {})}

    response = call(client, "POST", path, {}, headers=headers)

    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {"refresh_token"}


def test_an_unknown_cookie_token_is_a_401_that_clears_it(client):
    response = call(client, "POST", "/refresh", {}, headers=with_cookie("x" * 43, **HEADER))

    assert_error(response, 401, "invalid_refresh_token")
    assert set_cookie(response)[1]["max-age"] == "0"


@pytest.mark.parametrize("flags", [{"cookie": "true"}, {"cookie": 1}, {"cookie": None}, {"remember": "yes"}])
def test_the_flags_are_booleans(client, flags):
    response = call(client, "POST", "/login", {"login": "someone@example.org", "password": "x", **flags})

    assert set(assert_error(response, 422, "validation_failed")["fields"]) == set(flags)


def test_the_cookie_parses_as_a_browser_reads_it(client, mailbox, clock):
    customer = new_customer(client, mailbox)
    headers = cookie_login(client, customer.email, remember=True).headers["Set-Cookie"]

    jar: SimpleCookie = SimpleCookie()
    for header in headers:  # one Set-Cookie each, as a browser gets them
        jar.load(header)

    for name in ("guichet_refresh", "guichet_device"):
        morsel = jar[name]
        assert morsel["httponly"] and morsel["secure"] and morsel["samesite"] == "Strict"
        assert morsel["path"] == "/auth"
