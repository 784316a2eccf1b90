"""Webhook endpoints of the operator API: where a machine client wants events POSTed (docs/WEBHOOKS.md).

An endpoint belongs to the client whose operator token made it (the token's `sub`): its key
holds the client id, so another client's endpoint id reads as one that does not exist (404).
It has a URL, the public event types it wants (webhook_events.py; `*`: all), a description,
whether it is enabled, and a signing secret (`whsec_…`, 256 bits from the operating system's
CSPRNG) shown once, when made and when rotated. The secret is kept as is, since every delivery
is signed with it (HMAC-SHA256); it is never logged and never listed. A rotation keeps the
previous secret signing beside the new one for a grace period (24 h), so that the receiver
moves to the new one without refusing a delivery.

URLs: https on a public address. A host written as an IP address must be a global one (not
private, loopback, link-local, multicast or reserved: the service must not be made to reach its
own network, SSRF); a host name is resolved again before each attempt and refused if it points
to such an address (webhook_deliveries.py). The local stage alone (settings
webhooks_allow_loopback) also takes http(s)://127.0.0.1, [::1] and localhost, for `make run`.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from guichet_contracts.words import Invalid
from pynamodb.exceptions import DoesNotExist, PutError

from .errors import ConcurrentUpdate, Conflict, NotFound
from .models import WEBHOOK_ENDPOINTS, EndpointSecret, WebhookEndpoint, webhook_endpoint_key
from .settings import settings

ENDPOINT_ID = re.compile(r"we_[0-9a-f]{24}")
SECRET_PREFIX = "whsec_"
ROTATION_GRACE = timedelta(hours=24)
MAX_ENDPOINTS = 16  # per client
MAX_URL_LENGTH = 2048
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# names that never lead outside the network they are asked from
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


class TooManyEndpoints(Conflict):
    code = "too_many_endpoints"


@dataclass(frozen=True)
class Shown:
    """An endpoint with the secret a creation or rotation shows once."""

    endpoint: WebhookEndpoint
    secret: str


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def checked_url(value: str) -> str:
    """The endpoint URL as kept, or Invalid naming what is wrong with it."""
    url = value.strip()
    if not url or len(url) > MAX_URL_LENGTH or re.search(r"[\s\x00-\x1f\x7f]", url):
        raise Invalid("field.url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Invalid("field.url") from None
    host = (parts.hostname or "").lower()
    if not host or parts.fragment:
        raise Invalid("field.url")
    if parts.username is not None or parts.password is not None:
        raise Invalid("field.url_credentials")
    scheme = parts.scheme.lower()
    loopback = settings.webhooks_allow_loopback and host in LOOPBACK_HOSTS
    if scheme != "https" and not (loopback and scheme == "http"):
        raise Invalid("field.https_url")
    if not loopback and not public_host(host):
        raise Invalid("field.public_address")
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def public_host(host: str) -> bool:
    """Whether a URL's host may be reached from the service: a global IP address, or a name that
    is not a local one (what a name resolves to is checked before each attempt)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." in host and not host.endswith(_LOCAL_SUFFIXES) and host != "localhost"
    return public_address(address)


def public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def loopback_allowed(host: str) -> bool:
    return settings.webhooks_allow_loopback and host.lower().strip("[]") in LOOPBACK_HOSTS


def create(
    client_id: str, *, url: str, event_types: list[str], description: str | None, now: datetime
) -> Shown:
    if sum(1 for _ in owned(client_id)) >= MAX_ENDPOINTS:
        raise TooManyEndpoints()
    secret = new_secret()
    while True:
        endpoint_id = "we_" + secrets.token_hex(12)
        endpoint = WebhookEndpoint(
            *webhook_endpoint_key(client_id, endpoint_id),
            endpoint_id=endpoint_id,
            client_id=client_id,
            url=url,
            event_types=event_types,
            description=description,
            enabled=True,
            secrets=[EndpointSecret(secret=secret, created_at=now, expires_at=None)],
            created_at=now,
            updated_at=now,
            version=1,
        )
        try:
            endpoint.save(condition=WebhookEndpoint.pk.does_not_exist())
        except PutError as error:
            if _condition_failed(error):
                continue  # 96 random bits met an existing id: draw again
            raise
        return Shown(endpoint, secret)


def owned(client_id: str) -> list[WebhookEndpoint]:
    """The client's endpoints, oldest first."""
    found = WebhookEndpoint.query(
        WEBHOOK_ENDPOINTS, WebhookEndpoint.sk.startswith(f"ENDPOINT#{client_id}#"), consistent_read=True
    )
    return sorted(found, key=lambda endpoint: (endpoint.created_at, endpoint.endpoint_id))


def every_endpoint() -> list[WebhookEndpoint]:
    """Every client's endpoints (the fan-out of an event): one Query of their partition."""
    return list(WebhookEndpoint.query(WEBHOOK_ENDPOINTS, WebhookEndpoint.sk.startswith("ENDPOINT#")))


def get(client_id: str, endpoint_id: str) -> WebhookEndpoint:
    """The client's endpoint; 404 for an unknown id and for another client's alike."""
    if not ENDPOINT_ID.fullmatch(endpoint_id):
        raise NotFound()
    try:
        return WebhookEndpoint.get(*webhook_endpoint_key(client_id, endpoint_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound() from None


def update(client_id: str, endpoint_id: str, changes: dict[str, Any], *, now: datetime) -> WebhookEndpoint:
    endpoint = get(client_id, endpoint_id)
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.updated_at = now
    _save(endpoint)
    return endpoint


def delete(client_id: str, endpoint_id: str) -> None:
    """The endpoint goes; its deliveries still pending are dropped by the retry job, its log
    expires with the table's TTL."""
    endpoint = get(client_id, endpoint_id)
    endpoint.delete()


def rotate(client_id: str, endpoint_id: str, *, now: datetime) -> Shown:
    """A new secret; the newest before it signs beside it for ROTATION_GRACE, any older ends now."""
    endpoint = get(client_id, endpoint_id)
    alive = sorted(signing(endpoint, now), key=lambda kept: kept.created_at)
    carried = []
    if alive:
        previous = alive[-1]
        ends = now + ROTATION_GRACE
        previous.expires_at = ends if previous.expires_at is None else min(previous.expires_at, ends)
        carried.append(previous)
    secret = new_secret()
    endpoint.secrets = [*carried, EndpointSecret(secret=secret, created_at=now, expires_at=None)]
    endpoint.updated_at = now
    _save(endpoint)
    return Shown(endpoint, secret)


def signing(endpoint: WebhookEndpoint, now: datetime) -> list[EndpointSecret]:
    """The secrets that sign a delivery at `now`, newest first."""
    alive = [kept for kept in endpoint.secrets if kept.expires_at is None or kept.expires_at > now]
    return sorted(alive, key=lambda kept: kept.created_at, reverse=True)


def as_dict(endpoint: WebhookEndpoint, *, now: datetime, secret: str | None = None) -> dict[str, Any]:
    """An endpoint as its client sees it: never a secret but the one just made."""
    answer = {
        "endpoint_id": endpoint.endpoint_id,
        "url": endpoint.url,
        "event_types": list(endpoint.event_types),
        "description": endpoint.description,
        "enabled": bool(endpoint.enabled),
        "created_at": _iso(endpoint.created_at),
        "updated_at": _iso(endpoint.updated_at),
        # when each signing secret ends (null: until the next rotation)
        "secrets": [
            {"created_at": _iso(kept.created_at), "expires_at": _iso(kept.expires_at)}
            for kept in reversed(signing(endpoint, now))
        ],
    }
    if secret is not None:
        answer["secret"] = secret
    return answer


def _save(endpoint: WebhookEndpoint) -> None:
    """Write the endpoint if nobody changed (or deleted) it since it was read."""
    version = endpoint.version
    endpoint.version = version + 1
    try:
        endpoint.save(condition=WebhookEndpoint.version == version)
    except PutError as error:
        if _condition_failed(error):
            raise ConcurrentUpdate() from None
        raise


def _condition_failed(error: PutError) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")
