"""Every mail of every service names the customer id, in its text and its HTML parts, in each
language and variant: the customer quotes it to the provider, and finds it in any mail received
(account created, order received and completed, renewals, invoices, sign-in matters).

The one exception is the notice sent to an address a customer asks to sign in with: that address
is not yet proven to be theirs (a typo reaches a stranger), so it is told no identifier.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
from guichet_contracts import formatting, mail

SERVICES = Path(__file__).resolve().parents[1] / "services"
CUSTOMER_ID = "lm123456-GU"
NOT_YET_THE_CUSTOMER_S = {("auth", "email_change_notice")}


def _invoices_contexts() -> list[dict[str, Any]]:
    """The invoices service's own test holds what its senders give its mails, in every variant."""
    path = SERVICES / "invoices" / "tests" / "test_mail_templates.py"
    spec = importlib.util.spec_from_file_location("invoices_mail_contexts", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [
        {**module.CONTEXT, **variant, **other, "customer_id": CUSTOMER_ID}
        for variant in module.VARIANTS
        for other in module.OTHERS
    ]


AUTH = {
    "first_name": "Lina",
    "customer_id": CUSTOMER_ID,
    "verify_url": "http://127.0.0.1:8000/verify-email?token=t",
    "expires_hours": 48,
    "login_url": "http://127.0.0.1:8000/login",
    "forgot_url": "http://127.0.0.1:8000/forgot-password",
    "reset_url": "http://127.0.0.1:8000/reset-password?token=t",
    "expires_minutes": 30,
    "changed_at": "17/03/2026 10:00",
    "code": "482913",
    "new_email": "lina.new@example.org",
    "old_email": "lina@example.org",
    "refuse_url": "http://127.0.0.1:8000/email-change/refuse?token=t",
    "apply_at": "18/03/2026 10:00",
    "activate_url": "http://127.0.0.1:8000/activate?token=t",
    "expires_days": 7,
    "logged_in_at": "17/03/2026 10:00",
    "browser": "Firefox",
    "system": "Windows",
    "ip": "203.0.113.7",
    "close_url": "http://127.0.0.1:8000/close-session?token=t",
    "requested_at": "17/03/2026 10:00",
    "reason": "The name does not match the account's.",
    # a copy of the data ready (data_export_ready.j2), an account closed (account_closed.j2)
    "download_url": "http://127.0.0.1:8000/exports/ex_1/my-data.zip?X-Amz-Expires=86400",
    "hours": 24,
    "page_url": "http://127.0.0.1:8000/account",
    "closed_at": "17/03/2026 10:00",
    "years": 10,
    "kept_until": "2036",
}
SUBSCRIPTIONS = {
    "first_name": "Lina",
    "customer_id": CUSTOMER_ID,
    "subscription_name": "Fibre 1 Gb/s",
    "dossier_number": "D-000123",
    "subscription_url": "http://127.0.0.1:8000/subscription?id=s1",
    "start": "17/03/2026 10:30",
    "phone": "06 12 34 56 78",
    "topic": "billing",
    "appointments_url": "http://127.0.0.1:8000/appointments",
    "planned_on": "31/03/2026",
    "renews_on": "30/04/2026",
    "pdl": "12345678901234",
    "moves_in": "01/04/2026",
    "last_day": "31/03/2026",
    "order_id": "ord_1",
    "items": [],
    "total": "209,97 €",
    "orders_url": "http://127.0.0.1:8000/order-status?id=ord_1",
    "subscriptions_url": "http://127.0.0.1:8000/my-subscriptions",
    "price": "29,99 €",
    "renew_url": "http://127.0.0.1:8000/subscription?id=s1&action=renew",
    "effective_on": "31/03/2026",
    "withdraw_until": "30/03/2026",
    "on": "17/03/2026",
    "invoices_url": "http://127.0.0.1:8000/my-invoices",
    "customer_name": "Lina Martin",
    "customer_email": "lina@example.org",
    "subject": "Ma facture",
    "message": "Bonjour,\nune question.",
    "subscription_id": "s1",
    "message_id": "msg_1",
    "assistance_url": "http://127.0.0.1:8000/assistance",
    # a price change (price_change.j2)
    "applies_on": "30/04/2026",
    "old_price": "29,99 €",
    "new_price": "31,99 €",
    "rates": [{"option": "base", "old": "0,1952 €", "new": "0,215 €"}],
    "cancel_url": "http://127.0.0.1:8000/subscription?id=s1&action=cancel",
}
CONTEXTS: dict[str, list[dict[str, Any]]] = {
    "auth": [
        {**AUTH, "phone_dropped": False, "all_sessions": False, "verify_url": None, "change": "totp_enabled"},
        {
            **AUTH,
            "phone_dropped": True,
            "all_sessions": True,
            "change": "passkey_added",
            "passkey_name": "Phone",
        },
        {
            **AUTH,
            "phone_dropped": False,
            "all_sessions": False,
            "change": "passkey_removed",
            "passkey_name": "Key",
        },
    ],
    "subscriptions": [
        {
            **SUBSCRIPTIONS,
            "label": "Maison",
            "auto_renew": True,
            "immediately": True,
            "refund": "12,00 €",
            "attached": True,
            "reason": "paid",
            "days_left": 0,
            "billing_period": "month",
        },
        {
            **SUBSCRIPTIONS,
            "label": "",
            "auto_renew": False,
            "immediately": False,
            "refund": None,
            "attached": False,
            "reason": "unpaid",
            "days_left": 7,
            "billing_period": "year",
        },
        {
            **SUBSCRIPTIONS,
            "label": "Maison",
            "auto_renew": False,
            "immediately": True,
            "refund": None,
            "attached": True,
            "reason": "operator",
            "days_left": 1,
            "billing_period": "month",
        },
    ],
}
ORDER_LINES = [
    {"name": "Fibre 1 Gb/s", "label": "Maison", "periods": 3, "billing_period": "month"},
    {"name": "Mobile 50 Go", "label": "", "periods": 1, "billing_period": "year"},
]
MAILS = sorted(
    (path.parts[-4], path.stem)
    for path in SERVICES.glob("*/chalicelib/templates/*.j2")
    if '{% extends "layout.html.j2" %}' in path.read_text()
)


def _contexts(service: str, language: str) -> list[dict[str, Any]]:
    if service == "invoices":
        return _invoices_contexts()
    items = [{**line, "price": formatting.money(2999, "EUR", language)} for line in ORDER_LINES]
    return [{**context, "items": items} for context in CONTEXTS[service]]


def test_every_service_that_mails_is_checked() -> None:
    services = {service for service, _ in MAILS}
    assert services == {"auth", "invoices", "subscriptions"} and len(MAILS) >= 30
    # the consumption service sends no mail (if it ever does, its mails join this test)
    consumption = SERVICES / "consumption" / "chalicelib"
    assert not (consumption / "templates").exists()
    assert not any("mail.render" in path.read_text() for path in consumption.glob("*.py"))


@pytest.mark.parametrize("language", ["fr", "en", "it"])
@pytest.mark.parametrize("service, name", MAILS, ids=[f"{service}.{name}" for service, name in MAILS])
def test_every_mail_names_the_customer_id(service: str, name: str, language: str) -> None:
    templates = SERVICES / service / "chalicelib" / "templates"
    for context in _contexts(service, language):
        if (service, name) in NOT_YET_THE_CUSTOMER_S:
            # rendered without any customer id: it asks for none (StrictUndefined would say so)
            values = {key: value for key, value in context.items() if key != "customer_id"}
            email = mail.render(templates, name, language, "someone@example.org", **values)
            assert "lm123456" not in email.text + email.html
            continue
        email = mail.render(templates, name, language, "lina@example.org", **context)
        assert CUSTOMER_ID in email.text, (name, language, context)
        assert CUSTOMER_ID in re.sub(r"<[^>]+>", "", email.html), (name, language, context)
