"""The simulated customers: who they are, what they buy, how they pay, and their sessions.

Each customer is one of the demo profiles (an ISP subscriber, a hosting customer, a mobile
customer, electricity paid by monthly debits or per invoice, a virtual battery, a surplus seller,
a small business) with a way of paying (card, a card declined first, direct debit, a debit that
bounces, cheque, TIP). They use Guichet as a person uses the portal: over HTTP through the
gateway, with the access token of their session, refreshed when it expired (15 simulated
minutes) and a new login when the refresh token is refused (after some days).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from .readings import Home
from .world import World

# The deployment's catalogue (also GET /subscriptions/catalog): what each product costs.
CATALOG = Path(__file__).resolve().parents[2] / "services" / "subscriptions" / "chalicelib" / "catalog.json"
PRICES: dict[str, int] = {
    product["product_id"]: int(product["price_cents"])
    for product in json.loads(CATALOG.read_text())["products"]
}

GOOD_IBAN = "FR7630006000011234567890189"
BOUNCING_IBAN = "FR7630004000010000000040294"  # the sandbox refuses it: insufficient funds
GOOD_CARD = "tok_visa"
DECLINED_CARDS = ("tok_chargeDeclined", "tok_insufficientFunds", "tok_expiredCard")

# How a customer pays what is not debited under a mandate.
PAYMENT_HABITS = ("card", "card_declined_first", "direct_debit", "direct_debit_bounces", "cheque", "tip")
MANDATE_HABITS = ("direct_debit", "direct_debit_bounces")


@dataclass(frozen=True)
class Item:
    """One line of an order: a catalogue product, its label and options."""

    product_id: str
    label: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    name: str
    who: str
    electricity: str | None = None  # the energy product, if the profile has a home to supply
    energy_payment: str = "per_invoice"  # monthly (debits under a mandate) or per_invoice
    tariff_option: str = "base"
    power_kva: int = 6
    solar_kwp: float = 0.0
    company: bool = False
    products: tuple[str, ...] = ()  # upfront products (telecom, hosting, web)
    habits: tuple[str, ...] = PAYMENT_HABITS  # the ways of paying this profile draws from


PROFILES = (
    Profile("isp", "ISP subscriber (fibre box and a domain)", products=("internet-fibre-essentielle",)),
    Profile(
        "hosting",
        "hosting customer (a Linux pack and its domain)",
        products=("hosting-linux-1000", "domain-relais-essentiel"),
    ),
    Profile("mobile", "mobile customer", products=("mobile-2h",)),
    Profile(
        "electricity_monthly",
        "electricity paid by monthly debits",
        electricity="electricity-essentielle",
        energy_payment="monthly",
        habits=MANDATE_HABITS,
    ),
    Profile(
        "electricity_per_invoice",
        "electricity paid per invoice, peak and off-peak",
        electricity="electricity-essentielle",
        tariff_option="off_peak",
        power_kva=9,
    ),
    Profile(
        "virtual_battery",
        "solar producer storing its surplus in a virtual battery",
        electricity="electricity-stockage-virtuel",
        solar_kwp=3.0,
    ),
    Profile(
        "surplus_seller",
        "solar producer selling its surplus",
        electricity="electricity-boost-mon-surplus",
        solar_kwp=4.5,
    ),
    Profile(
        "small_business",
        "small business (green electricity and a website)",
        electricity="electricity-verte-pro",
        power_kva=12,
        company=True,
        products=("website-site-pro",),
        habits=("tip", "cheque", "direct_debit", "card"),
    ),
)
_FIRST_NAMES = ("Camille", "Léa", "Hugo", "Inès", "Noé", "Zoé", "Jules", "Chloé", "Louis", "Manon")
_LAST_NAMES = ("Martin", "Bernard", "Dubois", "Lefèvre", "Morel", "Girard", "Roux", "Fournier", "Garnier")
_CITIES = (("59000", "Lille"), ("67000", "Strasbourg"), ("69003", "Lyon"), ("33000", "Bordeaux"))


class ApiError(AssertionError):
    """A request a customer makes as the portal would was answered with an unexpected status."""


@dataclass
class Session:
    access: str = ""
    access_until: datetime | None = None
    refresh: str = ""


@dataclass
class Customer:
    number: int
    profile: Profile
    pays: str
    email: str
    password: str
    first_name: str
    last_name: str
    company: str | None
    address: dict[str, Any]
    arrives_on: date
    home: Home | None
    customer_id: str = ""
    session: Session = field(default_factory=Session)
    traits: set[str] = field(default_factory=set)  # the scenarios this customer plays
    # what the scenarios remember about the customer
    orders: list[str] = field(default_factory=list)
    declined_once: bool = False
    fixing_bank_details: bool = False
    late_month: str | None = None  # the month whose last week of readings comes late
    successor: Customer | None = None  # who moves into this customer's home
    withdrawn: set[str] = field(default_factory=set)  # dossiers whose cancellation was withdrawn
    daily_gb: float = 0.0  # a mobile line's data use a day (the network reports it)
    abandoned_orders: set[str] = field(default_factory=set)  # orders the customer will never pay
    keys: int = 0  # Idempotency-Keys used
    logins: int = 0
    refreshes: int = 0

    def __str__(self) -> str:
        return f"{self.customer_id or self.email} ({self.profile.name}, pays by {self.pays})"

    # --- a session, as the portal keeps one -----------------------------------------------------

    def token(self, world: World) -> str:
        now = world.now
        if self.session.access and self.session.access_until and now < self.session.access_until:
            return self.session.access
        if self.session.refresh:
            answer = world.request(
                "POST",
                "/auth/refresh",
                body={"refresh_token": self.session.refresh},
                route="POST /auth/refresh",
            )
            if answer.status_code == 200:
                self.refreshes += 1
                return self._keep(answer.json(), now)
        return self.login(world)

    def login(self, world: World) -> str:
        answer = world.request("POST", "/auth/login", body={"login": self.email, "password": self.password})
        expect(answer, 200, f"{self} logs in")
        self.logins += 1
        return self._keep(answer.json(), world.now)

    def _keep(self, pair: dict[str, Any], now: datetime) -> str:
        # a minute of margin, as a portal renews a token that is about to expire
        self.session = Session(
            access=pair["access_token"],
            access_until=now + timedelta(seconds=int(pair["expires_in"]) - 60),
            refresh=pair["refresh_token"],
        )
        return self.session.access

    # --- requests -------------------------------------------------------------------------------

    def call(
        self,
        world: World,
        method: str,
        path: str,
        body: Any = None,
        *,
        idempotent: bool = False,
        route: str | None = None,
    ) -> Any:
        """A request with the customer's token; `idempotent` adds a fresh Idempotency-Key."""
        headers = {}
        if idempotent:
            self.keys += 1
            headers["Idempotency-Key"] = f"sim-{self.number}-{self.keys}"
        answer = world.request(method, path, token=self.token(world), body=body, headers=headers, route=route)
        if answer.status_code == 401:  # a session revoked meanwhile: log in again, once
            self.session = Session()
            answer = world.request(
                method, path, token=self.token(world), body=body, headers=headers, route=route
            )
        return answer

    def ok(self, world: World, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        """The JSON answer of a request that must succeed (2xx)."""
        answer = self.call(world, method, path, body, **kwargs)
        if not 200 <= answer.status_code < 300:
            raise ApiError(f"{self}: {method} {path} answered {answer.status_code}: {answer.text[:400]}")
        return answer.json() if answer.content else None


def expect(answer: Any, status: int, what: str) -> None:
    if answer.status_code != status:
        raise ApiError(f"{what}: expected {status}, got {answer.status_code}: {answer.text[:400]}")


# --- the population ------------------------------------------------------------------------------


def build(
    count: int, *, seed: int, first_day: date, arrivals_within_days: int, first_number: int = 0
) -> list[Customer]:
    """`count` customers, every profile and way of paying represented as soon as there are enough
    of them; they arrive over the first `arrivals_within_days` days. Numbered from `first_number`:
    the customers of a population shared between worlds are numbered, and so given their profile
    and way of paying, as in one world."""
    rng = random.Random(seed)
    customers = []
    for number in range(first_number, first_number + count):
        profile = PROFILES[number % len(PROFILES)]
        # each profile cycles through its ways of paying, so that a small population has them all
        pays = profile.habits[(number // len(PROFILES) + number) % len(profile.habits)]
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        postal_code, city = rng.choice(_CITIES)
        home = None
        if profile.electricity:
            home = Home(
                pdl=f"{rng.randrange(10**13, 10**14):014d}",
                annual_kwh=rng.choice((2500, 3500, 5000, 7000)) * (3 if profile.company else 1),
                heating_share=rng.uniform(0.1, 0.6),
                solar_kwp=profile.solar_kwp,
                seed=seed,
            )
        customers.append(
            Customer(
                number=number,
                profile=profile,
                pays=pays,
                email=f"sim{seed}-{number:04d}-{_ascii(first)}.{_ascii(last)}@example.org",
                password=f"simulated year {seed} customer {number} passphrase",
                first_name=first,
                last_name=last,
                company=f"{last} et associés SARL" if profile.company else None,
                address={
                    "line1": f"{rng.randrange(1, 120)} rue des Lilas",
                    "postal_code": postal_code,
                    "city": city,
                    "country": "FR",
                },
                arrives_on=first_day + timedelta(days=(number * 7 + rng.randrange(5)) % arrivals_within_days),
                home=home,
            )
        )
    return customers


def _ascii(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower().translate(str.maketrans("éèëï", "eeei")))
