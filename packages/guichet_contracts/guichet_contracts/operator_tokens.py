"""Operator tokens: who may call a service's operator routes (`/<service>/operator/...`).

An operator token is a JWT signed like an access token, with the auth service's ES256 key (its
public half is in the JWKS secret every service reads), but for another audience (the
`GUICHET_OPERATOR_AUDIENCE` setting) and with a `scope` claim listing what it allows, space
separated (`invoices:write subscriptions:write`). It has no session: a customer's access token
(audience `GUICHET_JWT_AUDIENCE`, with `sid` and no `scope`) is refused on operator routes, and
an operator token (no `sid`) is refused on customer routes by `AccessTokenVerifier`.

Verification pins the algorithm, the token type, the issuer and the operator audience and
requires every claim; the keys come from the same JWKS secret through an `AccessTokenVerifier`,
so the cache and its refresh on an unknown key id are the same. `sign` makes one, for the
`make operator-token` command (locally) and for tests; on AWS only who may read the signing
secret can.

A machine client (the auth service's OAuth 2.0 client credentials, `POST /auth/oauth/token`) gets
the same token, 15 minutes long, its `sub` and its `client_id` claim both the client's id: the
services verify it like any other, and the `sub` they log names the client. The scopes a token
may carry are `SCOPES`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from .access_tokens import ALGORITHM, TOKEN_TYPE, AccessTokenVerifier, within_lifetime
from .errors import Forbidden, Unauthenticated
from .words import Phrase

if TYPE_CHECKING:
    from chalice.app import Request

REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "jti", "scope")
MAX_LIFETIME = timedelta(hours=12)
# what an operator token may allow: each operator route names one (its OpenAPI `security`)
SCOPES = (
    "customers:write",
    "subscriptions:write",
    "invoices:write",
    "readings:write",
    "catalog:write",
    "webhooks:manage",
)


class InsufficientScope(Forbidden):
    code = "insufficient_scope"


@dataclass(frozen=True)
class Operator:
    """Who sent an operator request, as the verified operator token says."""

    operator_id: str  # the token's `sub`: the person or system acting, written in audit logs
    scopes: frozenset[str]
    token_id: str
    client_id: str | None = None  # the machine client a token of POST /auth/oauth/token was issued to


class TokenSettings(Protocol):
    """What a service's settings say about tokens (each service has these three)."""

    jwt_public_keys_secret: str
    jwt_issuer: str
    operator_audience: str


class OperatorTokenVerifier:
    @classmethod
    def from_settings(cls, settings: TokenSettings) -> OperatorTokenVerifier:
        """The verifier of a service's operator routes, from its settings."""
        return cls(
            public_keys_secret_id=settings.jwt_public_keys_secret,
            issuer=settings.jwt_issuer,
            audience=settings.operator_audience,
        )

    def __init__(self, *, public_keys_secret_id: str, issuer: str, audience: str) -> None:
        # the access-token verifier holds the JWKS cache; its audience is never used here
        self._keys = AccessTokenVerifier(
            public_keys_secret_id=public_keys_secret_id, issuer=issuer, audience=audience
        )
        self.issuer = issuer
        self.audience = audience

    def operator(self, request: Request, scope: str) -> Operator:
        """The verified operator of a request holding `scope`: 401 without a valid operator
        token, 403 (insufficient_scope) when the token does not list `scope`."""
        header = request.headers.get("authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated()
        operator = self.verify(token.strip())
        if scope not in operator.scopes:
            raise InsufficientScope(fields={"scope": Phrase("field.scope_required", scope=scope)})
        return operator

    def verify(self, token: str) -> Operator:
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated() from None
        if header.get("alg") != ALGORITHM or header.get("typ") != TOKEN_TYPE:
            raise Unauthenticated()
        key = self._keys._key(header.get("kid"))
        if key is None:
            raise Unauthenticated()
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError:
            raise Unauthenticated() from None
        if not all(isinstance(claims[name], str) and claims[name] for name in ("sub", "jti", "scope")):
            raise Unauthenticated()
        if "sid" in claims:  # a customer's session token, whatever its audience says
            raise Unauthenticated()
        client_id = claims.get("client_id")
        if client_id is not None and client_id != claims["sub"]:  # a client acts under its own id only
            raise Unauthenticated()
        if not within_lifetime(claims, int(MAX_LIFETIME.total_seconds())):
            raise Unauthenticated()
        return Operator(
            operator_id=claims["sub"],
            scopes=frozenset(claims["scope"].split()),
            token_id=claims["jti"],
            client_id=client_id,
        )


def sign(
    private_key: Any,
    *,
    kid: str,
    issuer: str,
    audience: str,
    operator_id: str,
    scopes: list[str],
    now: datetime,
    lifetime: timedelta = timedelta(hours=1),
    client_id: str | None = None,
) -> str:
    """An operator token for `operator_id` allowing `scopes`, valid `lifetime` from `now`; a
    machine client's (`client_id`, then also its `sub`) carries the `client_id` claim."""
    import jwt

    if not operator_id.strip():
        raise ValueError("the operator is required (the token's sub)")
    if not scopes or any(not scope or " " in scope for scope in scopes):
        raise ValueError("scopes must be one or more words such as invoices:write")
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise ValueError(f"an operator token lives at most {MAX_LIFETIME}")
    if client_id is not None and client_id != operator_id.strip():
        raise ValueError("a machine client's token has its client id as sub")
    issued = int(now.timestamp())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": operator_id.strip(),
        "scope": " ".join(scopes),
        "jti": uuid.uuid4().hex,
        "iat": issued,
        "nbf": issued,
        "exp": int((now + lifetime).timestamp()),
    }
    if client_id is not None:
        claims["client_id"] = client_id
    return jwt.encode(claims, private_key, algorithm=ALGORITHM, headers={"kid": kid, "typ": TOKEN_TYPE})
