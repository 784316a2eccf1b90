"""The emails of the subscriptions service, in the customer's language: one template per message
(`templates/<name>.j2`) whose texts the catalogs `templates/locale/<language>.po` translate; money and
dates in them are `guichet_contracts.formatting`'s (`money`, `day`), as on the PDFs and in the
portal. Every mail names the customer id: the customer quotes it to the provider."""

from __future__ import annotations

from dataclasses import replace
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


def portal_link(path: str, **params: str) -> str:
    query = f"?{urlencode(params)}" if params else ""
    return f"{settings.public_url}/{path.lstrip('/')}{query}"


def order_lines(order: Order, language: str) -> list[dict[str, Any]]:
    """What the order's mails list: each line's offer, label, periods (a count of its billing
    period, "month" or "year", which the templates word) and price."""
    return [
        {
            "name": line.name,
            "label": line.label,
            "periods": int(line.periods),
            "billing_period": line.billing_period,
            "price": money(int(line.total_cents), order.currency, language),
        }
        for line in order.items
    ]


def send(
    name: str, customer: Customer, *, attachments: tuple[mail.Attachment, ...] = (), **context: Any
) -> None:
    email = mail.render(
        settings.templates,
        name,
        customer.language,
        customer.email,
        first_name=customer.first_name,
        customer_id=customer.customer_id,
        **context,
    )
    if attachments:
        email = replace(email, attachments=attachments)
    mail.send(email, sender=settings.mail_sender)


def notify(
    name: str, customer: Customer, *, attachments: tuple[mail.Attachment, ...] = (), **context: Any
) -> None:
    """Send a notice about something already done: a mail that cannot leave is logged, not raised."""
    try:
        send(name, customer, attachments=attachments, **context)
    except Exception:
        logger.exception("notice not sent", extra={"template": name, "customer_id": customer.customer_id})
