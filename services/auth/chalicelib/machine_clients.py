"""Machine clients of the operator API: the provider's systems (billing, CRM, provisioning) that
get operator tokens by OAuth 2.0 client credentials (`POST /auth/oauth/token`, oauth.py).

A client has a random id (`oc_…`), a name, the scopes it may ask for (a subset of
guichet_contracts.operator_tokens.SCOPES) and one secret, shown once when made. Rotating it makes
a new secret and keeps the one before alive for a grace period (24 h by default), so that the
client's systems move to the new one without a gap; never more than two are alive. Revoking it
ends every secret at once (a token already issued lives its 15 minutes out).

Secrets are 256 bits from the operating system's CSPRNG: nobody can guess one, so what protects
them at rest is a keyed hash, HMAC-SHA256 under a random key per secret, compared in constant
time, not a slow password hash. argon2 is for what people choose (passwords.py); here it would
only make every token request pay ~20 ms for nothing.

Made, rotated, revoked and listed by the operator command (guichet_local.operator_clients,
`make operator-client`), locally or on a deployed stage's table; no HTTP route changes them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from guichet_contracts.operator_tokens import SCOPES
from pynamodb.exceptions import DoesNotExist, PutError

from .models import OPERATOR_CLIENTS, ClientSecret, OperatorClient, operator_client_key

CLIENT_ID_PREFIX = "oc_"
SECRET_PREFIX = "ocs_"  # a secret is told apart from an id at a glance (and by secret scanners)
CLIENT_ID = re.compile(r"oc_[0-9a-f]{24}")
DEFAULT_GRACE = timedelta(hours=24)
MAX_GRACE = timedelta(days=30)
MAX_NAME_LENGTH = 100


class ClientProblem(ValueError):
    """A command on machine clients that cannot be done (its message says why)."""


class UnknownClient(ClientProblem):
    pass


@dataclass(frozen=True)
class NewSecret:
    """What a creation or rotation shows once: the client id and its new secret."""

    client_id: str
    client_secret: str


def new_client_id() -> str:
    return CLIENT_ID_PREFIX + secrets.token_hex(12)


def _digest(salt: bytes, secret: str) -> str:
    return hmac.new(salt, secret.encode(), hashlib.sha256).hexdigest()


def _stored(now: datetime) -> tuple[str, ClientSecret]:
    """A new secret (256 bits) and what the table keeps of it."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    kept = ClientSecret(
        secret_id=secrets.token_hex(6),
        salt=base64.b64encode(salt).decode(),
        digest=_digest(salt, secret),
        created_at=now,
        expires_at=None,
    )
    return secret, kept


def _alive(secret: ClientSecret, now: datetime) -> bool:
    return secret.expires_at is None or secret.expires_at > now


def checked_scopes(scopes: list[str]) -> list[str]:
    """The scopes given, each known, once each, in the order of SCOPES."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ClientProblem(f"unknown scope {', '.join(unknown)}; the scopes are {' '.join(SCOPES)}")
    if not scopes:
        raise ClientProblem(f"a client needs at least one scope of: {' '.join(SCOPES)}")
    return [scope for scope in SCOPES if scope in scopes]


def create(name: str, scopes: list[str], *, now: datetime) -> NewSecret:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise ClientProblem(f"the name is 1 to {MAX_NAME_LENGTH} printable characters")
    allowed = checked_scopes(scopes)
    secret, kept = _stored(now)
    while True:
        client_id = new_client_id()
        client = OperatorClient(
            *operator_client_key(client_id),
            client_id=client_id,
            name=name,
            scopes=allowed,
            secrets=[kept],
            created_at=now,
            version=1,
        )
        try:
            client.save(condition=OperatorClient.pk.does_not_exist())
        except PutError as error:
            if _condition_failed(error):
                continue  # 96 random bits met an existing id: draw again
            raise
        return NewSecret(client_id, secret)


def get(client_id: str) -> OperatorClient:
    if not CLIENT_ID.fullmatch(client_id):
        raise UnknownClient(f"no client {client_id!r} (an id looks like oc_ and 24 hexadecimal digits)")
    try:
        return OperatorClient.get(*operator_client_key(client_id), consistent_read=True)
    except DoesNotExist:
        raise UnknownClient(f"no client {client_id}") from None


def rotate(client_id: str, *, now: datetime, grace: timedelta = DEFAULT_GRACE) -> NewSecret:
    """A new secret; the newest one before it stays alive `grace` more (0: ends now), any older
    one ends now."""
    if not timedelta(0) <= grace <= MAX_GRACE:
        raise ClientProblem(f"the grace period is between 0 and {MAX_GRACE.days} days")
    client = get(client_id)
    if client.revoked_at is not None:
        raise ClientProblem(f"client {client_id} is revoked: make a new one")
    alive = sorted((kept for kept in client.secrets if _alive(kept, now)), key=lambda kept: kept.created_at)
    carried = []
    if alive and grace > timedelta(0):
        previous = alive[-1]
        ends = now + grace
        previous.expires_at = ends if previous.expires_at is None else min(previous.expires_at, ends)
        carried.append(previous)
    secret, kept = _stored(now)
    _save(client, secrets=[*carried, kept], rotated_at=now)
    return NewSecret(client_id, secret)


def revoke(client_id: str, *, now: datetime) -> OperatorClient:
    """No secret of the client works any more; it stays listed, revoked. Revoking twice is once."""
    client = get(client_id)
    if client.revoked_at is None:
        _save(client, secrets=[], revoked_at=now)
    return client


def listing(*, now: datetime) -> list[dict[str, Any]]:
    """Every client, oldest first, without any secret."""
    clients = OperatorClient.query(OPERATOR_CLIENTS, OperatorClient.sk.startswith("CLIENT#"))
    return sorted((as_dict(client, now=now) for client in clients), key=lambda item: item["created_at"])


def as_dict(client: OperatorClient, *, now: datetime) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "scopes": list(client.scopes),
        "created_at": _iso(client.created_at),
        "rotated_at": _iso(client.rotated_at),
        "revoked_at": _iso(client.revoked_at),
        # when each secret alive ends (null: until the next rotation)
        "secrets": [
            {"created_at": _iso(kept.created_at), "expires_at": _iso(kept.expires_at)}
            for kept in sorted(client.secrets, key=lambda kept: kept.created_at)
            if _alive(kept, now)
        ],
    }


def authenticated(client_id: str, secret: str, *, now: datetime) -> OperatorClient | None:
    """The client whose id and secret these are, alive and not revoked; None otherwise, after the
    same work whatever is wrong (an unknown client costs what a wrong secret does)."""
    client = None
    if CLIENT_ID.fullmatch(client_id):
        try:
            client = OperatorClient.get(*operator_client_key(client_id))
        except DoesNotExist:
            client = None
    candidates: list[ClientSecret] = (
        list(client.secrets) if client is not None and client.revoked_at is None else []
    )
    matched = False
    for kept in candidates or [_UNKNOWN]:
        digest = _digest(base64.b64decode(kept.salt), secret)
        if hmac.compare_digest(digest, kept.digest) and kept is not _UNKNOWN and _alive(kept, now):
            matched = True
    return client if matched else None


# what an unknown client's secret is compared with: it matches nothing
_UNKNOWN = ClientSecret(
    secret_id="none",
    salt=base64.b64encode(b"\0" * 16).decode(),
    digest="0" * 64,
    created_at=datetime(1970, 1, 1, tzinfo=UTC),
)


def _save(client: OperatorClient, **changes: Any) -> None:
    """Write the client with `changes`, if nobody changed it since it was read."""
    version = client.version
    for name, value in changes.items():
        setattr(client, name, value)
    client.version = version + 1
    try:
        client.save(condition=OperatorClient.version == version)
    except PutError as error:
        if _condition_failed(error):
            raise ClientProblem(f"client {client.client_id} changed meanwhile: try again") from None
        raise


def _condition_failed(error: PutError) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")
