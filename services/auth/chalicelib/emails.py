"""The emails the auth service sends, and the portal links they carry.

Mails anyone can make the service send to an address (a reset link, "you already have an
account", a verification link, the notice of an email change) are capped per address: at most
`PER_ADDRESS_HOURLY` an hour, the rest dropped (logged) while the answer stays the same, so the
service can be used neither to flood a mailbox nor to learn whether the address has an account.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools import Logger
from guichet_contracts import mail

from .settings import settings

PER_ADDRESS_HOURLY = 5
_HOUR = 3600

logger = Logger(child=True)


def portal_link(path: str, **params: str) -> str:
    query = f"?{urlencode(params)}" if params else ""
    return f"{settings.public_url}/{path.lstrip('/')}{query}"


def send(name: str, *, to: str, language: str, **context: Any) -> None:
    """Render and send one message. A mail that cannot leave is logged, never lost silently."""
    email = mail.render(settings.templates, name, language, to, **context)
    try:
        mail.send(email, sender=settings.mail_sender)
    except Exception:
        logger.exception("email not sent", extra={"template": name})
        raise


def security_notice(name: str, account: Any, *, to: str | None = None, **context: Any) -> None:
    """A notice of what touches the account's safety (a login from a new device, a changed password
    or email): to `to` (the account's email unless said) and to its backup email, once each."""
    for address in dict.fromkeys(filter(None, (to or account.email, account.backup_email))):
        send(name, to=address, language=account.language, **context)


def send_capped(name: str, *, to: str, language: str, now: datetime, **context: Any) -> bool:
    """`send`, unless the address already got `PER_ADDRESS_HOURLY` capped mails this hour
    (then nothing is sent and False is answered)."""
    if not _count(to, now):
        logger.warning("mail to one address capped for the hour", extra={"template": name})
        return False
    send(name, to=to, language=language, **context)
    return True


def _count(address: str, now: datetime) -> bool:
    """Count one more mail to `address` this hour (atomically); False when the cap is reached."""
    from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

    from .models import MailCap

    key = f"MAILCAP#{hashlib.sha256(address.strip().lower().encode()).hexdigest()}"
    moment = int(now.timestamp())
    for _ in range(25):  # a race lost only to a request that counted: it converges quickly
        try:  # the hour under way: one more, below the cap
            MailCap(key, "MAILCAP").update(
                actions=[MailCap.sent.add(1)],
                condition=(MailCap.window_start > moment - _HOUR) & (MailCap.sent < PER_ADDRESS_HOURLY),
            )
            return True
        except UpdateError:
            pass
        try:  # no hour under way: this mail opens one
            MailCap(key, "MAILCAP", window_start=moment, sent=1, expires_at_epoch=moment + 2 * _HOUR).save(
                condition=MailCap.pk.does_not_exist() | (MailCap.window_start <= moment - _HOUR)
            )
            return True
        except PutError:
            pass
        try:
            current = MailCap.get(key, "MAILCAP", consistent_read=True)
        except DoesNotExist:
            continue  # expired meanwhile: open the hour again
        if int(current.window_start) > moment - _HOUR and int(current.sent) >= PER_ADDRESS_HOURLY:
            return False  # the hour's cap is reached
    return False
