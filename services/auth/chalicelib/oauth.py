"""`POST /auth/oauth/token`: operator tokens for machine clients, by OAuth 2.0 client credentials
(RFC 6749, 4.4).

The request is form-encoded (`grant_type=client_credentials`, optionally `scope`, space
separated, to ask for fewer scopes than the client has); the client authenticates with HTTP Basic
(`client_secret_basic`: its id and secret, each form-encoded, RFC 6749 2.3.1) or with
`client_id` and `client_secret` in the body (`client_secret_post`), never both. The answer is
RFC 6749 5.1's (`access_token`, `token_type: Bearer`, `expires_in`, `scope`, with
`Cache-Control: no-store`), the token an operator token (guichet_contracts.operator_tokens) of 15
minutes whose `sub` and `client_id` are the client's id, so the services need nothing new.

Errors keep RFC 6749 5.2's body (`{"error": "invalid_client", "error_description": ...}`), the one
OAuth clients read, not API.md's: this endpoint is the documented exception (docs/API.md). The
descriptions are English: RFC 6749 allows only ASCII there. An unknown client, a wrong or expired
secret and a revoked client all answer the same 401 `invalid_client`, after the same work.

Failed authentications are throttled like logins (login_throttle.py): per client id as given
from one address (5 free, then a doubling lock), and per address whatever the id (10 free), so
someone guessing from elsewhere never locks the client out; each is logged with the client id,
the method and the address, never the secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote_plus

from aws_lambda_powertools import Logger
from chalice import Response
from guichet_contracts import web
from guichet_contracts.errors import TooManyAttempts
from guichet_contracts.operator_tokens import SCOPES

from . import login_throttle, machine_clients
from .models import OperatorClient
from .settings import settings

if TYPE_CHECKING:
    from chalice.app import Request

logger = Logger(child=True)

GRANT_TYPE = "client_credentials"
TOKEN_LIFETIME = timedelta(minutes=15)
FORM = "application/x-www-form-urlencoded"
WWW_AUTHENTICATE = 'Basic realm="guichet-operator", charset="UTF-8"'
MAX_BODY_BYTES = 4096
MAX_FIELDS = 10
# no cache may keep a token (RFC 6749 5.1)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass
class OAuthError(Exception):
    """An RFC 6749 5.2 error: its `error` code, HTTP status and description (ASCII)."""

    error: str
    description: str
    status: int = 400
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        return Response(
            body={"error": self.error, "error_description": self.description},
            status_code=self.status,
            headers={"Content-Type": "application/json", **NO_STORE, **self.headers},
        )


def _invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def _invalid_client() -> OAuthError:
    # the same whatever was wrong: unknown client, wrong, expired or no secret, revoked
    return OAuthError(
        "invalid_client",
        "Client authentication failed.",
        status=401,
        headers={"WWW-Authenticate": WWW_AUTHENTICATE},
    )


def token(request: Request, *, now: datetime) -> Response:
    """The answer of POST /oauth/token (see the module)."""
    try:
        answer = _issue(request, now=now)
    except OAuthError as error:
        return error.response()
    except TooManyAttempts as error:
        return OAuthError(
            "too_many_attempts",
            "Too many failed client authentications: retry after the delay of Retry-After.",
            status=429,
            headers=error.headers,
        ).response()
    except Exception as error:
        if web.transient(error):  # AWS failing for a moment: the client retries
            return OAuthError(
                "temporarily_unavailable",
                "The service is unavailable for a moment: retry after the delay of Retry-After.",
                status=503,
                headers={"Retry-After": "1"},
            ).response()
        raise
    return Response(body=answer, status_code=200, headers={"Content-Type": "application/json", **NO_STORE})


@dataclass(frozen=True)
class _Credentials:
    client_id: str
    secret: str
    method: str  # client_secret_basic | client_secret_post


def _issue(request: Request, *, now: datetime) -> dict[str, Any]:
    form = _form(request)
    grant_type = form.get("grant_type")
    if grant_type is None:
        raise _invalid_request("The grant_type parameter is required.")
    if grant_type != GRANT_TYPE:
        raise OAuthError("unsupported_grant_type", f"The only grant type is {GRANT_TYPE}.")
    asked = _asked_scopes(form.get("scope"))
    credentials = _credentials(request, form)
    client = _authenticate(credentials, address=web.client_ip(request), now=now)
    if asked is not None and not set(asked) <= set(client.scopes):
        beyond = " ".join(sorted(set(asked) - set(client.scopes)))
        raise OAuthError("invalid_scope", f"The client may not ask for scope {beyond}.")
    allowed = [str(scope) for scope in client.scopes]
    granted = allowed if asked is None else [scope for scope in SCOPES if scope in asked]
    access_token = _operator_token(client.client_id, granted, now=now)
    logger.info("operator token issued", extra={"client_id": client.client_id, "scope": " ".join(granted)})
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": int(TOKEN_LIFETIME.total_seconds()),
        "scope": " ".join(granted),
    }


def _form(request: Request) -> dict[str, str]:
    """The form's parameters, each once; one without a value is as if not sent (RFC 6749 3.1)."""
    media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type != FORM:
        raise _invalid_request(f"The body is {FORM}.")
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > MAX_BODY_BYTES:
        raise _invalid_request(f"The body is at most {MAX_BODY_BYTES} bytes.")
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise _invalid_request("The body is not a form of at most 10 UTF-8 parameters.") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise _invalid_request(f"The {_printable(name)} parameter is given more than once.")
        form[name] = value
    return {name: value for name, value in form.items() if value != ""}


def _asked_scopes(scope: str | None) -> list[str] | None:
    if scope is None:
        return None
    asked = scope.split(" ")
    if any(not part for part in asked):
        raise OAuthError("invalid_scope", "Scopes are separated by single spaces.")
    unknown = sorted(set(asked) - set(SCOPES))
    if unknown:
        names = " ".join(_printable(name) for name in unknown)
        raise OAuthError("invalid_scope", f"Unknown scope {names}; the scopes are {' '.join(SCOPES)}.")
    return asked


def _credentials(request: Request, form: dict[str, str]) -> _Credentials:
    header = request.headers.get("authorization")
    in_body = "client_secret" in form
    if header is None:
        if not in_body or "client_id" not in form:
            raise _invalid_client()
        return _Credentials(form["client_id"], form["client_secret"], "client_secret_post")
    if in_body:
        raise _invalid_request("Authenticate by HTTP Basic or by the body, not both.")
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise _invalid_client()
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _invalid_client() from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise _invalid_client()
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    if "client_id" in form and form["client_id"] != client_id:
        raise _invalid_request("The client_id of the body is not the one of HTTP Basic.")
    return _Credentials(client_id, secret, "client_secret_basic")


def _authenticate(credentials: _Credentials, *, address: str | None, now: datetime) -> OperatorClient:
    """The client, or 401 invalid_client; each attempt counts as a failure until it succeeds."""
    attempts = []
    if address is not None:
        attempts.append(
            login_throttle.begin(_address_key(address), now=now, limits=login_throttle.PER_ADDRESS)
        )
    attempts.append(login_throttle.begin(_client_key(credentials.client_id, address), now=now))
    client = machine_clients.authenticated(credentials.client_id, credentials.secret, now=now)
    if client is None:
        given = credentials.client_id
        logger.warning(
            "client authentication failed",
            extra={
                # an id as the table writes them, or only its length: never what may be a secret
                "client_id": given if machine_clients.CLIENT_ID.fullmatch(given) else None,
                "client_id_length": len(given),
                "method": credentials.method,
                "client_address": address,
            },
        )
        raise _invalid_client()
    for attempt in attempts:
        attempt.succeeded()
    return client


def _client_key(client_id: str, address: str | None) -> str:
    digest = hashlib.sha256(client_id.encode("utf-8", "replace")).hexdigest()
    return login_throttle.key_for_login(f"THROTTLE#OAUTH_CLIENT#{digest}", address)


def _address_key(address: str) -> str:
    return f"THROTTLE#OAUTH_ADDRESS#{hashlib.sha256(address.encode()).hexdigest()}"


def _operator_token(client_id: str, scopes: list[str], *, now: datetime) -> str:
    from guichet_contracts.operator_tokens import sign

    from . import token_signing

    key = token_signing.signing_key()
    return sign(
        key.private_key,
        kid=key.kid,
        issuer=settings.jwt_issuer,
        audience=settings.operator_audience,
        operator_id=client_id,
        client_id=client_id,
        scopes=scopes,
        now=now,
        lifetime=TOKEN_LIFETIME,
    )


def _printable(text: str) -> str:
    """A name of the request in a description: ASCII letters, digits and :_- only, 40 at most."""
    kept = "".join(
        character for character in text if character.isascii() and (character.isalnum() or character in ":_-")
    )
    return kept[:40] or "?"
