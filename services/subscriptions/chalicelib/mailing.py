"""The emails of the subscriptions service, in the customer's language, and how they show money and dates."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools import Logger
from guichet_contracts import mail

from .models import Customer, Order
from .settings import settings

logger = Logger(child=True)

_MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "it": [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
_PERIOD = {
    "fr": {"month": "par mois", "year": "par an"},
    "en": {"month": "per month", "year": "per year"},
    "it": {"month": "al mese", "year": "all'anno"},
}


def portal_link(path: str, **params: str) -> str:
    query = f"?{urlencode(params)}" if params else ""
    return f"{settings.public_url}/{path.lstrip('/')}{query}"


def money(cents: int, currency: str, language: str) -> str:
    symbol = "€" if currency == "EUR" else currency
    units, rest = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    if language == "en":
        return f"{sign}{symbol}{units:,}.{rest:02d}"
    grouped = f"{units:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{rest:02d}\u00a0{symbol}"


def day(value: date, language: str) -> str:
    month = _MONTHS.get(language, _MONTHS["fr"])[value.month - 1]
    return f"{value.day} {month} {value.year}"


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
