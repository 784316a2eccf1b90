"""Access-token verification, the one place every service checks who is calling.

Access tokens are JWTs signed by the auth service with ES256. Verification pins the
algorithm, the token type, the issuer and the audience, requires every claim, and takes the
public keys (a JWKS) from a Secrets Manager secret that only the auth service writes. PyJWT
and cryptography are imported on first use, not at cold start.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import StepUpRequired, Unauthenticated

if TYPE_CHECKING:
    from chalice.app import Request

ALGORITHM = "ES256"
TOKEN_TYPE = "at+jwt"
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "sid", "jti")
# The auth service issues access tokens for at most 15 minutes: a token claiming longer (signed
# with a leaked key, say) is refused, as is one issued in the future beyond the clocks' skew.
MAX_LIFETIME_SECONDS = 900
CLOCK_SKEW_SECONDS = 60
# Sensitive actions (bank details, email change, contacts, closing the account) of a session
# signed in with a second factor need that sign-in, or a step-up (POST /auth/step-up), to be this
# recent: a stolen session alone cannot change them.
STEP_UP_SECONDS = 300
# `amr` values (RFC 8176) that say a second factor was shown: a one-time code (TOTP or a
# recovery code), a passkey, or several factors
SECOND_FACTOR_METHODS = frozenset({"otp", "hwk", "mfa"})
_KEYS_TTL_SECONDS = 300
_REFRESH_ON_UNKNOWN_KID_SECONDS = 30


def within_lifetime(claims: dict[str, Any], max_seconds: int) -> bool:
    """`iat` and `exp` are whole numbers, the token no older than its issue (give or take the
    clocks' skew) and living no longer than `max_seconds`."""
    issued, expires = claims.get("iat"), claims.get("exp")
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in (issued, expires)):
        return False
    assert isinstance(issued, int) and isinstance(expires, int)
    return issued <= time.time() + CLOCK_SKEW_SECONDS and 0 < expires - issued <= max_seconds


@dataclass(frozen=True)
class Caller:
    """Who sent a request, as the verified access token says."""

    customer_id: str
    session_id: str
    token_id: str
    # how and when the session's customer last proved who they are (optional claims: a token
    # issued before they existed says nothing, and is taken as a password sign-in)
    amr: tuple[str, ...] = ()
    auth_time: int | None = None

    @property
    def second_factor(self) -> bool:
        return bool(SECOND_FACTOR_METHODS.intersection(self.amr))

    def require_recent_authentication(self, *, now: float, max_age: int = STEP_UP_SECONDS) -> None:
        """Refuse (401 step_up_required) a sensitive action of a session signed in with a second
        factor whose sign-in (or last step-up) is older than `max_age` seconds. A session of a
        password alone passes: its sensitive routes ask the password where they did before."""
        if not self.second_factor:
            return
        if self.auth_time is None or now - self.auth_time > max_age:
            raise StepUpRequired()


class AccessTokenVerifier:
    def __init__(self, *, public_keys_secret_id: str, issuer: str, audience: str) -> None:
        self.public_keys_secret_id = public_keys_secret_id
        self.issuer = issuer
        self.audience = audience
        self._keys: dict[str, Any] = {}
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        self._client: Any = None

    def caller(self, request: Request) -> Caller:
        """The verified caller of a request, or Unauthenticated (401)."""
        header = request.headers.get("authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated()
        return self.verify(token.strip())

    def verify(self, token: str) -> Caller:
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated() from None
        if header.get("alg") != ALGORITHM or header.get("typ") != TOKEN_TYPE:
            raise Unauthenticated()
        key = self._key(header.get("kid"))
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
        if not all(isinstance(claims[name], str) and claims[name] for name in ("sub", "sid", "jti")):
            raise Unauthenticated()
        if not within_lifetime(claims, MAX_LIFETIME_SECONDS):
            raise Unauthenticated()
        amr = claims.get("amr", [])
        auth_time = claims.get("auth_time")
        if not isinstance(amr, list) or not all(isinstance(method, str) for method in amr):
            raise Unauthenticated()
        if auth_time is not None and (not isinstance(auth_time, int) or isinstance(auth_time, bool)):
            raise Unauthenticated()
        return Caller(
            customer_id=claims["sub"],
            session_id=claims["sid"],
            token_id=claims["jti"],
            amr=tuple(amr),
            auth_time=auth_time,
        )

    def _key(self, kid: Any) -> Any:
        if not isinstance(kid, str):
            return None
        now = time.monotonic()
        with self._lock:
            stale = now - self._loaded_at > _KEYS_TTL_SECONDS
            unknown = kid not in self._keys and now - self._loaded_at > _REFRESH_ON_UNKNOWN_KID_SECONDS
            if stale or unknown:
                self._keys = self._load_keys()
                self._loaded_at = now
            return self._keys.get(kid)

    def _load_keys(self) -> dict[str, Any]:
        from jwt.algorithms import ECAlgorithm

        if self._client is None:
            import boto3

            self._client = boto3.client("secretsmanager")
        try:
            secret = self._client.get_secret_value(SecretId=self.public_keys_secret_id)
        except self._client.exceptions.ResourceNotFoundException:
            return {}
        jwks = json.loads(secret["SecretString"])
        return {
            jwk["kid"]: ECAlgorithm.from_jwk(json.dumps(jwk))
            for jwk in jwks.get("keys", [])
            if jwk.get("kty") == "EC" and jwk.get("alg", ALGORITHM) == ALGORITHM
        }

    def forget_keys(self) -> None:
        """Drop the cached keys, so the next call reads them again (after a rotation)."""
        with self._lock:
            self._keys = {}
            self._loaded_at = 0.0
