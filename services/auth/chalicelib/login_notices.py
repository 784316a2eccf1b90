"""Logins from a new device, told to the customer at once (seed 003: "the customer id is in every
confirmation mail, including login notifications").

A browser that logs in gets a device cookie (`COOKIE`: a random token, HttpOnly, Secure,
SameSite=Strict, Path=/auth, `DEVICE_DAYS` days), and the account keeps the token's digest with
what the device is (browser, system, from its User-Agent) and the network it came from (the
client address's /24, or /48 for IPv6). A later login is from a known device when it presents a
known cookie, or, with none (a client that keeps no cookies, a browser whose cookies were
cleared), when it is the same browser and system from the same network as a known device.
Anything else is a new device: the account's email, and its backup email if any, get a notice
with the customer id, the device, the time and the client address (no geolocation database is
deployed, so no place is guessed), and a link that closes that session (a one-time token,
`CLOSE_LINK_DAYS` days, POST /auth/sessions/close) and one to reset the password.

The first login of an account tells nothing: there is no device yet to compare with, and the
customer has just proven the address. An account keeps its `KEPT_DEVICES` most recent devices.

The notice is sent before the device is recorded: a mail that cannot leave fails the login
(503), and the login tried again mails it then, rather than recording a device no one was told of.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from guichet_contracts import formatting
from pynamodb.exceptions import DeleteError

from . import devices, emails, opaque_tokens
from .accounts import consume_token, one_time
from .models import KnownDevice

if TYPE_CHECKING:
    from .models import Account

logger = Logger(child=True)

COOKIE = "guichet_device"
PATH = "/auth"
DEVICE_DAYS = 400  # the longest a browser keeps a cookie (RFC 6265bis)
KEPT_DEVICES = 20
CLOSE_LINK_DAYS = 7
CLOSE = "CLOSE"  # the one-time tokens of the links that close a session


def cookie_setting(token: str) -> str:
    return f"{COOKIE}={token}; Path={PATH}; HttpOnly; Secure; SameSite=Strict; Max-Age={DEVICE_DAYS * 86400}"


def network_of(ip: str | None) -> str | None:
    """The network a client address belongs to, as a customer's home or office would keep it."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def recognise(
    account: Account,
    *,
    session_id: str,
    presented: str | None,
    user_agent: str | None,
    ip: str | None,
    now: datetime,
) -> str:
    """After a login: tell the customer if it came from a new device, and record the device. The
    device cookie's token to set (the one presented when it is known)."""
    known = list(KnownDevice.query(f"CUSTOMER#{account.customer_id}", KnownDevice.sk.startswith("DEVICE#")))
    described = devices.describe(user_agent) or {}
    browser, system, network = described.get("browser"), described.get("os"), network_of(ip)
    expires = int((now + timedelta(days=DEVICE_DAYS)).timestamp())
    if presented:
        sort_key = f"DEVICE#{opaque_tokens.digest(presented)}"
        device = next((device for device in known if device.sk == sort_key), None)
        if device is not None:
            device.update(
                actions=[KnownDevice.last_seen_at.set(now), KnownDevice.expires_at_epoch.set(expires)]
            )
            return presented
    alike = [
        device
        for device in known
        if (device.browser, device.os, device.network) == (browser, system, network)
    ]
    if known and not alike:
        _notify(account, session_id=session_id, described=described, ip=ip, now=now)
    token, digest = opaque_tokens.new_token()
    KnownDevice(
        f"CUSTOMER#{account.customer_id}",
        f"DEVICE#{digest}",
        browser=browser,
        os=system,
        network=network,
        first_seen_at=min((device.first_seen_at for device in alike), default=now),
        last_seen_at=now,
        expires_at_epoch=expires,
    ).save()
    # the same device under its new cookie, and the oldest beyond what an account keeps, go
    left = sorted((device for device in known if device not in alike), key=lambda device: device.last_seen_at)
    for device in alike + left[: max(0, len(left) + 1 - KEPT_DEVICES)]:
        _forget(device)
    return token


def _forget(device: KnownDevice) -> None:
    try:
        device.delete()
    except DeleteError:
        logger.warning("a known device could not be forgotten", extra={"device": device.sk})


def _notify(
    account: Account, *, session_id: str, described: dict[str, Any], ip: str | None, now: datetime
) -> None:
    token, digest = opaque_tokens.new_token()
    one_time(CLOSE, digest, account.customer_id, now + timedelta(days=CLOSE_LINK_DAYS), session_id).save()
    context = {
        "first_name": account.first_name,
        "customer_id": account.customer_id,
        "browser": described.get("browser"),
        "system": described.get("os"),
        "ip": ip,
        "close_url": emails.portal_link("close-session", token=token),
        "forgot_url": emails.portal_link("forgot-password"),
    }
    emails.security_notice(
        "new_device_login", account, logged_in_at=formatting.moment(now, account.language), **context
    )
    logger.info(
        "login from a new device told", extra={"customer_id": account.customer_id, "session_id": session_id}
    )


def close_by_link(token: str, *, now: datetime) -> None:
    """The session a new-device notice named, closed from its link (once; an unknown, used or
    expired link is a 400 invalid_token)."""
    from . import sessions

    item = consume_token(CLOSE, token, now=now)
    closed = sessions.revoke(item.customer_id, item.reference or "", now=now)
    logger.info(
        "session closed from a login notice",
        extra={"customer_id": item.customer_id, "session_id": item.reference, "was_open": closed},
    )
