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


def send_capped(name: str, *, to: str, language: str, now: datetime, **context: Any) -> bool:
    """`send`, unless the address already got `PER_ADDRESS_HOURLY` capped mails this hour
    (then nothing is sent and False is answered)."""
    if not _count(to, now):
        logger.warning("mail to one address capped for the hour", extra={"template": name})
        return False
    send(name, to=to, language=language, **context)
    return True


def _count(address: str, now: datetime) -> bool:
    """Count one more mail to `address` this hour; False when the hour's cap is reached."""
    from pynamodb.exceptions import DoesNotExist, PutError

    from .models import MailCap

    key = f"MAILCAP#{hashlib.sha256(address.strip().lower().encode()).hexdigest()}"
    moment = int(now.timestamp())
    for _ in range(10):
        try:
            state = MailCap.get(key, "MAILCAP", consistent_read=True)
        except DoesNotExist:
            state = None
        fresh = state is None or int(state.window_start) + _HOUR <= moment
        sent = 0 if fresh or state is None else int(state.sent)
        if sent >= PER_ADDRESS_HOURLY:
            return False
        item = MailCap(
            key,
            "MAILCAP",
            window_start=moment if fresh or state is None else int(state.window_start),
            sent=sent + 1,
            expires_at_epoch=moment + 2 * _HOUR,
        )
        try:
            if state is None:
                item.save(condition=MailCap.pk.does_not_exist())
            else:
                item.save(
                    condition=(MailCap.sent == state.sent) & (MailCap.window_start == state.window_start)
                )
        except PutError:
            continue  # counted meanwhile by another request: read again
        return True
    return False
