"""Access tokens: their claims, the JWKS, and every way a forged or stale one must fail (point 5)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from conftest import assert_documented, assert_error, call, tokens_of


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(document: dict[str, Any]) -> str:
    return _b64(json.dumps(document, separators=(",", ":")).encode())


def _claims(customer: Any, **changes: Any) -> dict[str, Any]:
    from chalicelib.settings import settings

    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": customer.customer_id,
        "sid": customer.session_id,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _signing() -> Any:
    from chalicelib import token_signing

    return token_signing.signing_key()


def _sign(claims: dict[str, Any], *, key: Any = None, headers: dict[str, Any] | None = None) -> str:
    """Sign like the auth service does (ES256, its kid, typ at+jwt), with any change asked for;
    a header set to None is left out."""
    header = {"kid": _signing().kid, "typ": "at+jwt", **(headers or {})}
    header = {name: value for name, value in header.items() if value is not None or name == "typ"}
    return jwt.encode(claims, key or _signing().private_key, algorithm="ES256", headers=header)


def _me(client: Any, token: str) -> Any:
    return call(client, "GET", "/me", token=token)


# --- what a real token says ------------------------------------------------------------------


def test_access_token_is_es256_with_kid_and_the_required_claims(client, customer):
    from chalicelib import token_signing
    from chalicelib.settings import settings

    # Given the pair a login answered
    pair = tokens_of(client, customer.email)

    # When reading the access token
    header = jwt.get_unverified_header(pair["access_token"])
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})

    # Then it is signed with ES256 under the service's kid, and says who and which session
    assert header["alg"] == "ES256"
    assert header["typ"] == "at+jwt"
    assert header["kid"] == token_signing.signing_key().kid
    assert claims["iss"] == settings.jwt_issuer
    assert claims["aud"] == settings.jwt_audience
    assert claims["sub"] == customer.customer_id
    assert claims["sid"] == pair["session_id"] != customer.session_id
    assert (
        claims["jti"]
        and claims["jti"] != jwt.decode(customer.access_token, options={"verify_signature": False})["jti"]
    )
    assert 0 < claims["exp"] - claims["iat"] <= 900
    assert pair["expires_in"] == claims["exp"] - claims["iat"]
    assert pair["token_type"] == "Bearer"
    assert abs(claims["iat"] - time.time()) < 60


def test_jwks_serves_the_public_key_a_token_verifies_with(client, customer):
    from chalicelib.settings import settings

    # When a service fetches the JWKS
    response = call(client, "GET", "/.well-known/jwks.json")

    # Then it lists the signing key, public half only
    assert response.status_code == 200
    assert_documented("GET", "/.well-known/jwks.json", response)
    assert "max-age" in response.headers.get("Cache-Control", "")
    keys = {jwk["kid"]: jwk for jwk in response.json_body["keys"]}
    kid = jwt.get_unverified_header(customer.access_token)["kid"]
    assert keys[kid]["kty"] == "EC"
    assert keys[kid]["crv"] == "P-256"
    assert keys[kid]["alg"] == "ES256"
    assert "d" not in keys[kid]
    # and PyJWT verifies a token of the service with it
    public_key = jwt.PyJWK(keys[kid]).key
    claims = jwt.decode(
        customer.access_token,
        public_key,
        algorithms=["ES256"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    assert claims["sub"] == customer.customer_id


def test_a_token_signed_like_the_service_is_accepted(client, owner):
    # The control of the forgeries below: the same recipe, unchanged, works.
    response = _me(client, _sign(_claims(owner)))

    assert response.status_code == 200, response.body
    assert_documented("GET", "/me", response)
    assert response.json_body["customer_id"] == owner.customer_id


# --- every bad token gets a 401 with the error body ------------------------------------------


def _ago(seconds: int) -> int:
    return int(time.time()) - seconds


def _none_token(customer: Any) -> str:
    header = {"alg": "none", "typ": "at+jwt", "kid": _signing().kid}
    return f"{_segment(header)}.{_segment(_claims(customer))}."


def _hs256_with_public_key(customer: Any) -> str:
    """The classic confusion: HMAC keyed with the PEM of the public key the JWKS publishes."""
    from cryptography.hazmat.primitives import serialization

    signing = _signing()
    pem = jwt.PyJWK(signing.public_jwk).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "at+jwt", "kid": signing.kid}
    signed = f"{_segment(header)}.{_segment(_claims(customer))}"
    return f"{signed}.{_b64(hmac.new(pem, signed.encode(), hashlib.sha256).digest())}"


def _other_key_same_kid(customer: Any) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec

    return _sign(_claims(customer), key=ec.generate_private_key(ec.SECP256R1()))


def _tampered_payload(customer: Any) -> str:
    header, _, signature = _sign(_claims(customer)).split(".")
    return f"{header}.{_segment(_claims(customer, sub='zz999999-GU'))}.{signature}"


FORGERIES = {
    "alg none": _none_token,
    "HS256 keyed with the public key": _hs256_with_public_key,
    "expired": lambda c: _sign(_claims(c, iat=_ago(1000), nbf=_ago(1000), exp=_ago(5))),
    "not yet valid": lambda c: _sign(_claims(c, nbf=_ago(-600), exp=_ago(-900))),
    "living ten years": lambda c: _sign(_claims(c, iat=_ago(0), exp=_ago(-10 * 365 * 86400))),
    "living 16 minutes": lambda c: _sign(_claims(c, iat=_ago(0), exp=_ago(-960))),
    "issued in an hour": lambda c: _sign(_claims(c, iat=_ago(-3600), nbf=_ago(0), exp=_ago(-3900))),
    "iat not a number": lambda c: _sign(_claims(c, iat="now")),
    "wrong audience": lambda c: _sign(_claims(c, aud="another-audience")),
    "wrong issuer": lambda c: _sign(_claims(c, iss="https://evil.example/auth")),
    "signed by another key with the same kid": _other_key_same_kid,
    "payload changed after signing": _tampered_payload,
    "unknown kid": lambda c: _sign(_claims(c), headers={"kid": "no-such-key"}),
    "no kid": lambda c: _sign(_claims(c), headers={"kid": None}),
    "no sid claim": lambda c: _sign(_claims(c, sid=None)),
    "no jti claim": lambda c: _sign(_claims(c, jti=None)),
    "no sub claim": lambda c: _sign(_claims(c, sub=None)),
    "no exp claim": lambda c: _sign(_claims(c, exp=None)),
    "empty sub": lambda c: _sign(_claims(c, sub="")),
    "typ JWT": lambda c: _sign(_claims(c), headers={"typ": "JWT"}),
    "no typ": lambda c: _sign(_claims(c), headers={"typ": None}),
    "refresh token used as access token": lambda c: c.refresh_token,
    "garbage": lambda c: "not-a-jwt",
    "three garbage segments": lambda c: "aaa.bbb.ccc",
}


@pytest.fixture(scope="module")
def owner(app):
    """One customer for all the forgeries (each test only reads)."""
    from chalice.test import Client
    from conftest import SERVICE_DIR, Mailbox, new_customer

    with Client(app, stage_name="local", project_dir=str(SERVICE_DIR)) as own_client:
        return new_customer(own_client, Mailbox())


def test_the_forgeries_differ_from_a_good_token_where_they_say(owner):
    good = jwt.get_unverified_header(_sign(_claims(owner)))
    assert good == {"alg": "ES256", "typ": "at+jwt", "kid": _signing().kid}
    assert jwt.get_unverified_header(FORGERIES["no kid"](owner)) == {"alg": "ES256", "typ": "at+jwt"}
    assert jwt.get_unverified_header(FORGERIES["no typ"](owner)) == {"alg": "ES256", "kid": _signing().kid}
    assert jwt.get_unverified_header(FORGERIES["typ JWT"](owner))["typ"] == "JWT"
    assert jwt.get_unverified_header(FORGERIES["alg none"](owner))["alg"] == "none"
    assert jwt.get_unverified_header(FORGERIES["HS256 keyed with the public key"](owner))["alg"] == "HS256"
    for claim in ("sid", "jti", "sub", "exp"):
        assert claim not in jwt.decode(
            FORGERIES[f"no {claim} claim"](owner), options={"verify_signature": False}
        )


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_bad_access_token_is_refused_with_401(client, owner, forgery):
    # Given a token made the wrong way
    token = FORGERIES[forgery](owner)

    # When it is presented to a protected route
    response = _me(client, token)

    # Then 401 with the error body, and nothing of the profile
    assert_error(response, 401, "unauthenticated")
    assert owner.email not in response.body.decode()


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer    ",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer a b c",
        "bearer",
    ],
)
def test_a_missing_or_malformed_authorization_header_gets_401(client, authorization):
    headers = {} if authorization is None else {"authorization": authorization}

    response = call(client, "GET", "/me", headers=headers)

    assert_error(response, 401, "unauthenticated")


def test_the_scheme_is_case_insensitive_but_the_token_is_not(client, customer):
    assert (
        call(client, "GET", "/me", headers={"authorization": f"bearer {customer.access_token}"}).status_code
        == 200
    )
    assert_error(
        call(client, "GET", "/me", headers={"authorization": f"Bearer {customer.access_token.swapcase()}"}),
        401,
        "unauthenticated",
    )


@pytest.mark.parametrize(
    "changes",
    [{"amr": "pwd"}, {"amr": ["pwd", 1]}, {"auth_time": "1700000000"}, {"auth_time": True}],
    ids=["amr-not-a-list", "amr-not-text", "auth_time-text", "auth_time-boolean"],
)
def test_amr_and_auth_time_of_the_wrong_type_are_refused(client, customer, changes):
    assert_error(_me(client, _sign(_claims(customer, **changes))), 401, "unauthenticated")


def test_a_token_without_amr_and_auth_time_still_works_and_is_taken_for_a_password_sign_in(client, customer):
    # Given a token of before the claims (none of them), long after its session's sign-in
    older = _sign(_claims(customer))

    # Then it reads, and a sensitive route takes it: a password session is not asked to step up
    assert _me(client, older).status_code == 200
    added = call(client, "POST", "/me/contacts", {"name": "Compta", "roles": ["billing"]}, token=older)
    assert added.status_code == 201, added.body
