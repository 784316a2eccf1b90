"""The emails of the subscriptions service, in the customer's language; money and dates in them
are `guichet_contracts.formatting`'s (`money`, `day`), as on the PDFs and in the portal."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools import Logger
from guichet_contracts import formatting, mail

from .models import Customer, Order
from .settings import settings

logger = Logger(child=True)

# what the emails show amounts and dates with, as the PDFs and the portal do
money = formatting.money
day = formatting.day

_PERIOD = {
    "fr": {"month": "par mois", "year": "par an"},
    "en": {"month": "per month", "year": "per year"},
    "it": {"month": "al mese", "year": "all'anno"},
}


def portal_link(path: str, **params: str) -> str:
    query = f"?{urlencode(params)}" if params else ""
    return f"{settings.public_url}/{path.lstrip('/')}{query}"


def period(billing_period: str, language: str) -> str:
    return _PERIOD.get(language, _PERIOD["fr"]).get(billing_period, billing_period)


def order_lines(order: Order, language: str) -> list[dict[str, str]]:
    return [
        {
            "name": line.name,
            "label": line.label,
            "price": money(int(line.total_cents), order.currency, language),
        }
        for line in order.items
    ]


def send(name: str, customer: Customer, **context: Any) -> None:
    email = mail.render(
        settings.templates, name, customer.language, customer.email, first_name=customer.first_name, **context
    )
    mail.send(email, sender=settings.mail_sender)


def notify(name: str, customer: Customer, **context: Any) -> None:
    """Send a notice about something already done: a mail that cannot leave is logged, not raised."""
    try:
        send(name, customer, **context)
    except Exception:
        logger.exception("notice not sent", extra={"template": name, "customer_id": customer.customer_id})
