"""Every answer carries the security headers of guichet_contracts.web: a token or a profile is
never cached (RFC 6749 §5.1: `Cache-Control: no-store` on token answers), sniffed, framed or
leaked through a Referer; only the public keys may be cached, for five minutes."""

from __future__ import annotations

from typing import Any

from conftest import PASSWORD, call


def _headers(response: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


def _answers(client, customer) -> dict[str, Any]:
    return {
        "a login (tokens)": call(client, "POST", "/login", {"login": customer.email, "password": PASSWORD}),
        "a refused login": call(
            client, "POST", "/login", {"login": customer.email, "password": "not it at all"}
        ),
        "the profile": call(client, "GET", "/me", token=customer.access_token),
        "no token": call(client, "GET", "/me"),
        "a malformed body": call(client, "POST", "/login", "{"),
        "a method not allowed": call(client, "DELETE", "/login"),
        "a body of another type": call(client, "POST", "/login", "x", headers={"Content-Type": "text/plain"}),
    }


def test_every_answer_carries_the_security_headers(client, customer) -> None:
    from guichet_contracts.web import SECURITY_HEADERS

    for what, response in _answers(client, customer).items():
        headers = _headers(response)
        assert {name: headers.get(name.lower()) for name in SECURITY_HEADERS} == SECURITY_HEADERS, what
        assert headers.get("x-correlation-id"), what


def test_the_public_keys_keep_their_own_cache_lifetime(client) -> None:
    from guichet_contracts.web import SECURITY_HEADERS

    headers = _headers(call(client, "GET", "/.well-known/jwks.json"))

    assert headers["cache-control"] == "public, max-age=300"
    assert all(
        headers.get(name.lower()) == value
        for name, value in SECURITY_HEADERS.items()
        if name != "Cache-Control"
    )
