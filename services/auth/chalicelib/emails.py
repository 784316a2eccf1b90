"""The emails the auth service sends, and the portal links they carry."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools import Logger
from guichet_contracts import mail

from .settings import settings

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
