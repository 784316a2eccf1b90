"""POST /oauth/token: operator tokens for machine clients by OAuth 2.0 client credentials
(RFC 6749 4.4), and the machine clients themselves (chalicelib/machine_clients.py).

Every date is the test's: the route's clock is set by `clock`, and the clients are made,
rotated and revoked at the instants the tests give.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote_plus, urlencode

import pytest
from conftest import assert_documented, utc

T0 = utc(2026, 12, 1, 9, 0)
FORM = {"content-type": "application/x-www-form-urlencoded"}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from chalicelib import api

    set_by_test = Clock(T0)
    monkeypatch.setattr(api, "_now", set_by_test)
    return set_by_test


def make_client(*scopes: str, name: str = "Facturation", at: datetime = T0) -> tuple[str, str]:
    from chalicelib import machine_clients

    made = machine_clients.create(name, list(scopes or ("invoices:write", "subscriptions:write")), now=at)
    return made.client_id, made.client_secret


def basic(client_id: str, secret: str) -> dict[str, str]:
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"authorization": "Basic " + base64.b64encode(pair).decode()}


def token_request(
    client: Any, form: dict[str, str] | str, *, headers: dict[str, str] | None = None, raw: bool = False
) -> Any:
    body = form if isinstance(form, str) else urlencode(form)
    return client.http.request(
        "POST", "/oauth/token", headers={**FORM, **(headers or {})}, body=body.encode()
    )


def ask(client: Any, client_id: str, secret: str, **form: str) -> Any:
    return token_request(
        client, {"grant_type": "client_credentials", **form}, headers=basic(client_id, secret)
    )


def oauth_error(response: Any, status: int, error: str) -> dict[str, Any]:
    """RFC 6749 5.2's error body (not API.md's), with this status and code."""
    assert response.status_code == status, (response.status_code, response.body)
    body = json.loads(response.body)
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error, body
    assert body["error_description"].isascii() and body["error_description"].strip(), body
    assert response.headers["Cache-Control"] == "no-store"
    assert_documented("POST", "/oauth/token", response)
    return body


def claims_of(access_token: str) -> dict[str, Any]:
    """The token's claims, its signature checked with the public keys every service reads (its
    dates are the test's, so they are read, not checked against this machine's clock)."""
    import boto3
    import jwt
    from chalicelib.settings import settings

    jwks = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId=settings.jwt_public_keys_secret)[
            "SecretString"
        ]
    )
    kid = jwt.get_unverified_header(access_token)["kid"]
    key = jwt.PyJWK(next(jwk for jwk in jwks["keys"] if jwk["kid"] == kid)).key
    return dict(
        jwt.decode(
            access_token,
            key,
            algorithms=["ES256"],
            audience=settings.operator_audience,
            issuer=settings.jwt_issuer,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    )


# --- a good secret --------------------------------------------------------------------------


def test_a_client_gets_an_operator_token_of_15_minutes_with_its_scopes(client, clock):
    client_id, secret = make_client("invoices:write", "subscriptions:write")

    response = ask(client, client_id, secret)

    assert response.status_code == 200, response.body
    assert_documented("POST", "/oauth/token", response)
    body = response.json_body
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["scope"] == "subscriptions:write invoices:write"
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Pragma"] == "no-cache"
    claims = claims_of(body["access_token"])
    assert claims["sub"] == client_id and claims["client_id"] == client_id
    assert claims["scope"] == "subscriptions:write invoices:write"
    assert claims["iat"] == int(T0.timestamp()) and claims["exp"] == int(T0.timestamp()) + 900
    assert "sid" not in claims


def test_the_token_is_one_the_services_verify_as_an_operator_s(client, clock):
    """The services' verifier (guichet_contracts.operator_tokens) takes it, client id and all."""
    import time_machine
    from chalicelib.settings import settings
    from guichet_contracts.operator_tokens import OperatorTokenVerifier

    client_id, secret = make_client("invoices:write")
    access_token = ask(client, client_id, secret).json_body["access_token"]
    verifier = OperatorTokenVerifier.from_settings(settings)

    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        operator = verifier.verify(access_token)
    with time_machine.travel(T0 + timedelta(minutes=15), tick=False), pytest.raises(Exception, match="valid"):
        verifier.verify(access_token)

    assert (operator.operator_id, operator.client_id) == (client_id, client_id)
    assert operator.scopes == {"invoices:write"}


def test_a_token_whose_client_id_is_not_its_sub_is_refused(clock):
    """A client acts under its own id only: neither signed nor verified otherwise."""
    import jwt
    import time_machine
    from chalicelib import token_signing
    from chalicelib.settings import settings
    from guichet_contracts.errors import Unauthenticated
    from guichet_contracts.operator_tokens import OperatorTokenVerifier, sign

    key = token_signing.signing_key()
    common = {"kid": key.kid, "issuer": settings.jwt_issuer, "audience": settings.operator_audience}
    with pytest.raises(ValueError, match="client id as sub"):
        sign(
            key.private_key,
            **common,
            operator_id="ops:alice",
            client_id="oc_" + "3" * 24,
            scopes=["invoices:write"],
            now=T0,
        )
    good = sign(key.private_key, **common, operator_id="ops:alice", scopes=["invoices:write"], now=T0)
    claims = {**jwt.decode(good, options={"verify_signature": False}), "client_id": "oc_" + "3" * 24}
    forged = jwt.encode(claims, key.private_key, algorithm="ES256", headers={"kid": key.kid, "typ": "at+jwt"})
    verifier = OperatorTokenVerifier.from_settings(settings)

    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert verifier.verify(good).client_id is None
        with pytest.raises(Unauthenticated):
            verifier.verify(forged)


def test_client_secret_post_works_too(client, clock):
    client_id, secret = make_client()

    response = token_request(
        client, {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    )

    assert response.status_code == 200, response.body


def test_a_token_asks_for_fewer_scopes_than_the_client_has(client, clock):
    client_id, secret = make_client("invoices:write", "subscriptions:write", "readings:write")

    response = ask(client, client_id, secret, scope="readings:write invoices:write")

    assert response.status_code == 200, response.body
    assert response.json_body["scope"] == "invoices:write readings:write"
    assert claims_of(response.json_body["access_token"])["scope"] == "invoices:write readings:write"


def test_a_scope_the_client_lacks_or_nobody_has_is_invalid_scope(client, clock):
    client_id, secret = make_client("invoices:write")

    beyond = oauth_error(ask(client, client_id, secret, scope="customers:write"), 400, "invalid_scope")
    unknown = oauth_error(ask(client, client_id, secret, scope="invoices:read"), 400, "invalid_scope")
    spaces = oauth_error(ask(client, client_id, secret, scope="invoices:write  x"), 400, "invalid_scope")

    assert "customers:write" in beyond["error_description"]
    assert "invoices:read" in unknown["error_description"]
    assert spaces["error"] == "invalid_scope"


# --- bad secrets, no enumeration ------------------------------------------------------------


def _comparable(response: Any) -> tuple[int, bytes, dict[str, str]]:
    headers = {name.lower(): value for name, value in response.headers.items()}
    headers.pop("x-correlation-id", None)
    return response.status_code, response.body, headers


def test_a_wrong_secret_and_an_unknown_client_answer_exactly_alike(client, clock):
    client_id, secret = make_client()
    _, other_secret = make_client()
    unknown_id = "oc_" + "0" * 24

    wrong = ask(client, client_id, other_secret)
    unknown = ask(client, unknown_id, secret)
    malformed = ask(client, "nobody", secret)

    body = oauth_error(wrong, 401, "invalid_client")
    assert wrong.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert _comparable(wrong) == _comparable(unknown) == _comparable(malformed)
    assert secret not in json.dumps(body)


def test_no_credentials_or_a_broken_basic_header_is_invalid_client(client, clock):
    client_id, secret = make_client()
    grant = {"grant_type": "client_credentials"}

    for headers in (
        {},
        {"authorization": "Bearer " + secret},
        {"authorization": "Basic not-base64!"},
        {"authorization": "Basic " + base64.b64encode(client_id.encode()).decode()},  # no colon
    ):
        oauth_error(token_request(client, grant, headers=headers), 401, "invalid_client")
    post_without_secret = token_request(client, {**grant, "client_id": client_id})
    oauth_error(post_without_secret, 401, "invalid_client")


def test_a_revoked_client_is_refused_like_an_unknown_one(client, clock):
    from chalicelib import machine_clients

    client_id, secret = make_client()
    assert ask(client, client_id, secret).status_code == 200

    machine_clients.revoke(client_id, now=clock.move(minutes=5))
    machine_clients.revoke(client_id, now=clock.move(minutes=5))  # twice is once
    revoked = ask(client, client_id, secret)

    oauth_error(revoked, 401, "invalid_client")
    assert _comparable(revoked) == _comparable(ask(client, "oc_" + "f" * 24, secret))
    listed = next(item for item in machine_clients.listing(now=clock.now) if item["client_id"] == client_id)
    assert listed["revoked_at"] == "2026-12-01T09:05:00Z" and listed["secrets"] == []
    with pytest.raises(machine_clients.ClientProblem, match="revoked"):
        machine_clients.rotate(client_id, now=clock.now)


# --- rotation -------------------------------------------------------------------------------


def test_a_rotated_secret_works_within_the_grace_and_not_after(client, clock):
    from chalicelib import machine_clients

    client_id, old = make_client()
    rotated_at = clock.move(hours=2)
    new = machine_clients.rotate(client_id, now=rotated_at).client_secret

    clock.now = rotated_at + timedelta(hours=23, minutes=59)
    assert ask(client, client_id, old).status_code == 200
    assert ask(client, client_id, new).status_code == 200
    clock.now = rotated_at + timedelta(hours=24)
    oauth_error(ask(client, client_id, old), 401, "invalid_client")
    assert ask(client, client_id, new).status_code == 200


def test_at_most_two_secrets_live_and_a_zero_grace_ends_the_old_one_at_once(client, clock):
    from chalicelib import machine_clients

    client_id, first = make_client()
    second = machine_clients.rotate(client_id, now=clock.move(hours=1)).client_secret
    third = machine_clients.rotate(client_id, now=clock.move(hours=1)).client_secret

    oauth_error(ask(client, client_id, first), 401, "invalid_client")
    assert ask(client, client_id, second).status_code == 200
    assert ask(client, client_id, third).status_code == 200
    listed = next(item for item in machine_clients.listing(now=clock.now) if item["client_id"] == client_id)
    assert [kept["expires_at"] for kept in listed["secrets"]] == ["2026-12-02T11:00:00Z", None]

    fourth = machine_clients.rotate(client_id, now=clock.now, grace=timedelta(0)).client_secret
    oauth_error(ask(client, client_id, third), 401, "invalid_client")
    oauth_error(ask(client, client_id, second), 401, "invalid_client")
    assert ask(client, client_id, fourth).status_code == 200


# --- the request ----------------------------------------------------------------------------


def test_another_grant_type_is_unsupported_and_none_is_invalid_request(client, clock):
    client_id, secret = make_client()

    oauth_error(
        token_request(client, {"grant_type": "password"}, headers=basic(client_id, secret)),
        400,
        "unsupported_grant_type",
    )
    oauth_error(token_request(client, {}, headers=basic(client_id, secret)), 400, "invalid_request")


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ("grant_type=client_credentials&grant_type=client_credentials", FORM),
        ('{"grant_type": "client_credentials"}', {"content-type": "application/json"}),
        ("grant_type=client_credentials", {"content-type": "text/plain"}),
        (b"grant_type=client_credentials&scope=\xff".decode("latin-1"), FORM),
        ("&".join(f"p{n}=1" for n in range(20)) + "&grant_type=client_credentials", FORM),
    ],
    ids=["repeated parameter", "JSON", "text", "not UTF-8", "too many parameters"],
)
def test_a_malformed_request_is_invalid_request(client, clock, body, headers):
    client_id, secret = make_client()

    response = client.http.request(
        "POST",
        "/oauth/token",
        headers={**headers, **basic(client_id, secret)},
        body=body.encode("latin-1"),
    )

    oauth_error(response, 400, "invalid_request")


def test_basic_and_a_secret_in_the_body_at_once_is_invalid_request(client, clock):
    client_id, secret = make_client()

    both = token_request(
        client,
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        headers=basic(client_id, secret),
    )

    oauth_error(both, 400, "invalid_request")


# --- throttling and logs ----------------------------------------------------------------------


def test_failed_authentications_are_throttled_from_their_address_only(client, clock, client_address):
    client_id, secret = make_client()
    client_address("10.99.0.1")
    for _ in range(5):
        oauth_error(ask(client, client_id, "ocs_guess"), 401, "invalid_client")

    locked = ask(client, client_id, secret)  # even the right secret waits out the lock

    oauth_error(locked, 429, "too_many_attempts")
    assert int(locked.headers["Retry-After"]) >= 1
    client_address("10.99.0.2")
    assert ask(client, client_id, secret).status_code == 200  # the client itself is not locked out
    client_address("10.99.0.1")
    clock.move(seconds=int(locked.headers["Retry-After"]))
    assert ask(client, client_id, secret).status_code == 200


def test_an_unknown_client_is_throttled_exactly_like_a_known_one(client, clock, client_address):
    client_id, _ = make_client()
    statuses = {}
    for label, given in (("known", client_id), ("unknown", "oc_" + "1" * 24)):
        client_address(f"10.98.0.{len(statuses) + 1}")
        statuses[label] = [ask(client, given, "ocs_guess").status_code for _ in range(7)]

    assert statuses["known"] == statuses["unknown"] == [401] * 5 + [429] * 2


def test_a_failed_authentication_is_logged_with_the_client_id_never_the_secret(client, clock, caplog):
    import logging

    client_id, secret = make_client()
    wrong = "ocs_" + "x" * 43
    caplog.set_level(logging.INFO)
    for name in ("auth", "auth.chalicelib.oauth"):  # the service's loggers (the test stage says WARNING)
        caplog.set_level(logging.INFO, logger=name)

    ask(client, client_id, wrong)
    token_request(client, {"grant_type": "client_credentials", "client_id": secret, "client_secret": wrong})
    ask(client, client_id, secret)

    failed = [record for record in caplog.records if record.getMessage() == "client authentication failed"]
    assert [record.client_id for record in failed] == [client_id, None]
    assert [record.method for record in failed] == ["client_secret_basic", "client_secret_post"]
    text = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "operator token issued" in text and client_id in text
    assert secret not in text and wrong not in text


# --- machine clients ------------------------------------------------------------------------


def test_a_client_is_made_with_known_scopes_and_listed_without_its_secret(clock):
    from chalicelib import machine_clients

    client_id, secret = make_client("webhooks:manage", "catalog:write", name="CRM")

    listed = next(item for item in machine_clients.listing(now=T0) if item["client_id"] == client_id)

    assert machine_clients.CLIENT_ID.fullmatch(client_id) and secret.startswith("ocs_")
    assert len(base64.urlsafe_b64decode(secret[4:] + "=")) == 32  # 256 bits
    assert listed == {
        "client_id": client_id,
        "name": "CRM",
        "scopes": ["catalog:write", "webhooks:manage"],
        "created_at": "2026-12-01T09:00:00Z",
        "rotated_at": None,
        "revoked_at": None,
        "secrets": [{"created_at": "2026-12-01T09:00:00Z", "expires_at": None}],
    }
    stored = machine_clients.get(client_id)
    assert secret not in json.dumps(stored.serialize())
    for scopes in ([], ["invoices:read"]):
        with pytest.raises(machine_clients.ClientProblem):
            machine_clients.create("CRM", scopes, now=T0)
    with pytest.raises(machine_clients.UnknownClient):
        machine_clients.rotate("oc_" + "2" * 24, now=T0)
