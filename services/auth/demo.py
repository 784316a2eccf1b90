"""Demo customers of the local run (API.md "Local run"). Never packaged: it lives outside chalicelib.

Each demo customer is imported as an active account (no verification mail), and announced
with CustomerRegistered like any customer. The rest of their data is not written here: the local
runtime plays each one's history through the services (guichet_local/demo_history.py), logged in
with the login and password this returns. Loading twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import accounts, customer_events, passwords
from chalicelib.schemas import Registration

PASSWORD = "Guichet-demo-2026!"

CUSTOMERS: list[dict[str, Any]] = [
    {
        "who": "ISP and web subscriber: domain and hosting paid by card, a website to confirm (seed 000)",
        "email": "abonne@demo.guichet.test",
        "first_name": "Bernard",
        "last_name": "Lefebvre",
        "phone": "+33320123456",
        "company": "Solutions Logis",
        "address": {"line1": "12 rue Nationale", "postal_code": "59000", "city": "Lille", "country": "FR"},
    },
    {
        "who": "solar home with a virtual battery, paid by monthly debits (seed 001)",
        "email": "stockage@demo.guichet.test",
        "first_name": "Hélène",
        "last_name": "Dubois",
        "phone": "+33612345601",
        "address": {
            "line1": "4 chemin des Vignes",
            "postal_code": "69300",
            "city": "Caluire-et-Cuire",
            "country": "FR",
        },
    },
    {
        "who": "solar producer selling its surplus, billed monthly, paid by debit (seed 001)",
        "email": "surplus@demo.guichet.test",
        "first_name": "Soleil",
        "last_name": "Martin",
        "phone": "+33612345602",
        "address": {
            "line1": "18 route du Mas",
            "postal_code": "34000",
            "city": "Montpellier",
            "country": "FR",
        },
    },
    {
        "who": "small business on green electricity, in its first year of debits (seed 001)",
        "email": "verte@demo.guichet.test",
        "first_name": "Valérie",
        "last_name": "Roussel",
        "phone": "+33612345603",
        "company": "Atelier Roussel SARL",
        # a business (made-up identifiers with valid check digits): its invoices carry the B2B mentions
        "account_type": "business",
        "siren": "812345676",
        "vat_number": "FR19812345676",
        "address": {"line1": "7 place du Marché", "postal_code": "35000", "city": "Rennes", "country": "FR"},
    },
    {
        "who": "mobile and fibre customer: an invoice overdue, an order to pay (seed 002)",
        "email": "mobile@demo.guichet.test",
        "first_name": "Mathis",
        "last_name": "Orsini",
        "phone": "+33612345604",
        "address": {
            "line1": "25 avenue Jean Jaurès",
            "postal_code": "75019",
            "city": "Paris",
            "country": "FR",
        },
    },
    {
        "who": "hosting customer: a pack ending at its term, one to configure (seeds 003, 004)",
        "email": "hebergement@demo.guichet.test",
        "first_name": "Irene",
        "last_name": "Conti",
        "phone": "+390587288688",
        "language": "it",
        "company": "Conti Web Srl",
        # an Italian business (a made-up VAT number with valid check digits): its hosting is
        # reverse-charged (autoliquidation), billed without VAT
        "account_type": "business",
        "vat_number": "IT02845120969",
        "address": {"line1": "Via Roma 10", "postal_code": "56025", "city": "Pontedera", "country": "IT"},
    },
]


def load(now: datetime) -> list[dict[str, str]]:
    password_hash = passwords.hash_password(PASSWORD)
    logins = []
    for customer in CUSTOMERS:
        fields = {key: value for key, value in customer.items() if key != "who"}
        body = Registration(password=PASSWORD, **fields)
        created = accounts.insert(body, password_hash, now=now, verification=None)
        if created is None:
            account = accounts.by_login_name("email", body.email)
            assert account is not None
        else:
            account = created[0]
            customer_events.registered(account)
        logins.append(
            {
                "login": account.email,
                "password": PASSWORD,
                "customer_id": account.customer_id,
                "who": customer["who"],
            }
        )
    return logins
