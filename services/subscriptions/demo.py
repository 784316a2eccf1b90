"""Demo subscriptions of the local run (API.md "Local run"). Never packaged: it lives outside chalicelib.

The demo customers come from the auth service's CustomerRegistered events (the local runtime
loads auth's demo first and waits for its events), so this finds them by email in its own copy.
Loading twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib import catalog, subscriptions
from chalicelib.models import Customer, Item, Order, OrderLine, Step, Subscription, customer_pk
from chalicelib.renewals import local_day

# email -> subscriptions: (product_id, label, status, dossier number or None, days until renewal, extra)
DEMO: dict[str, list[tuple[str, str, str, str | None, int, dict[str, Any]]]] = {
    "abonne@demo.guichet.test": [
        (
            "domain-relais-confort",
            "etre-visible.com",
            "active",
            "D06002270",
            142,
            {"options": {"domain_name": "etre-visible.com"}},
        ),
        ("website-site-basic", "etre-visible", "pending_confirmation", "H03002050", 300, {}),
        ("hosting-linux-100", "solutionslogis", "active", "H270002740", 18, {"auto_renew": True}),
        ("hosting-windows-50", "solutionslogis", "active", "H30000540", 24, {}),
    ],
    "stockage@demo.guichet.test": [
        (
            "electricity-stockage-virtuel",
            "Maison Caluire",
            "active",
            None,
            190,
            {
                "since_days": 430,
                "auto_renew": True,
                "options": {
                    "pdl": "09152284763340",
                    "subscribed_power_kva": 9,
                    "tariff_option": "off_peak",
                    "off_peak_hours": [
                        {"start": "01:30", "end": "07:30"},
                        {"start": "13:00", "end": "15:00"},
                    ],
                    "payment_mode": "monthly",
                },
            },
        ),
    ],
    "surplus@demo.guichet.test": [
        (
            "electricity-boost-mon-surplus",
            "Toiture solaire",
            "active",
            None,
            250,
            {
                "since_days": 430,
                "auto_renew": True,
                "options": {"pdl": "21453398102267", "subscribed_power_kva": 6, "tariff_option": "base"},
            },
        ),
    ],
    "verte@demo.guichet.test": [
        (
            "electricity-verte-pro",
            "Atelier Roussel",
            "active",
            None,
            95,
            {
                "since_days": 430,
                "auto_renew": True,
                "options": {
                    "pdl": "30002198877451",
                    "subscribed_power_kva": 12,
                    "tariff_option": "off_peak",
                    "payment_mode": "monthly",
                },
            },
        ),
    ],
    "mobile@demo.guichet.test": [
        ("mobile-50go", "06 12 34 56 04", "active", None, 9, {"auto_renew": True}),
        (
            "internet-fibre-essentielle",
            "Box fibre Paris 19e",
            "active",
            None,
            21,
            {
                "auto_renew": True,
                "options": {
                    "installation_address": {
                        "line1": "25 avenue Jean Jaurès",
                        "postal_code": "75019",
                        "city": "Paris",
                    }
                },
            },
        ),
    ],
    "hebergement@demo.guichet.test": [
        ("hosting-linux-1000", "conti-web.it", "active", None, 5, {}),
        ("hosting-windows-500", "gestionale.conti-web.it", "to_configure", None, 30, {}),
        (
            "domain-relais-essentiel",
            "conti-web.it",
            "active",
            None,
            200,
            {"options": {"domain_name": "conti-web.it"}},
        ),
    ],
}


def _customers() -> dict[str, Customer]:
    found = Item.scan(Customer.email.is_in(*DEMO))  # demo data only: a few items in a local table
    return {item.email: item for item in found if isinstance(item, Customer)}


def load(now: datetime) -> list[dict[str, str]]:
    """Subscriptions (and an order in progress) for each demo customer; no new logins to print."""
    from chalicelib.technical_settings import validate_order_options

    today = local_day(now)
    for email, customer in _customers().items():
        if any(
            Subscription.query(customer_pk(customer.customer_id), Subscription.sk.startswith("SUB#"), limit=1)
        ):
            continue  # already loaded
        for product_id, label, status, dossier, days_left, extra in DEMO[email]:
            product = catalog.product(product_id)
            options = validate_order_options(product["family"], extra.get("options", {}))
            subscription = subscriptions.new_subscription(
                customer_id=customer.customer_id,
                product=product,
                label=label,
                options=options,
                periods=1,
                today=today,
                now=now,
                status=status,
            )
            renews_on = (today + timedelta(days=days_left)).isoformat()
            subscription.renews_on = renews_on
            # energy customers have been with us longer: their consumption history goes back 14 months
            since = extra.get("since_days", 365 - days_left)
            subscription.started_on = (today - timedelta(days=since)).isoformat()
            subscription.auto_renew = bool(extra.get("auto_renew"))
            if dossier:
                subscription.dossier_number = dossier
            subscription.search_text = subscriptions.search_text(
                subscription.name, label, subscription.dossier_number
            )
            subscription.renews_pk, subscription.renews_sk = subscriptions.renewal_keys(
                subscription.subscription_id, customer.customer_id, renews_on, status
            )
            subscription.save(condition=Subscription.pk.does_not_exist())
            if status == "active":
                subscriptions.announce_activated(
                    subscription, None
                )  # the other services' copies (consumption's meters)
        if email == "mobile@demo.guichet.test":
            _order_in_progress(customer.customer_id, now)
    return []


def _order_in_progress(customer_id: str, now: datetime) -> None:
    """Seed 002 follows orders: one new line ordered two days ago, still waiting for its payment."""
    product = catalog.product("mobile-2h")
    placed = now - timedelta(days=2)
    Order(
        customer_pk(customer_id),
        "ORDER#demo-mobile-2h",
        order_id="demo-mobile-2h",
        customer_id=customer_id,
        kind="purchase",
        status="received",
        items=[
            OrderLine(
                product_id=product["product_id"],
                family=product["family"],
                name=product["name"],
                label="Ligne de Léa",
                options={},
                periods=1,
                unit_price_cents=product["price_cents"],
                total_cents=product["price_cents"],
                billing_period=product["billing_period"],
                subscription_id=None,
            )
        ],
        total_cents=product["price_cents"],
        currency=product["currency"],
        created_at=placed,
        history=[Step(status="received", at=placed)],
    ).save()
