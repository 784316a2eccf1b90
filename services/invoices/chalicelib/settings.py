"""The invoices service's environment, parsed and validated once at cold start.

The stage decides the payment provider (INVOICES_PAYMENT_PROVIDER: sandbox | stripe). A stage
marked production (GUICHET_PRODUCTION=true) refuses the sandbox: the app does not start, so no
production stage can take payments from test cards. Stripe's keys are in Secrets Manager, in
the secret INVOICES_STRIPE_SECRET names (default guichet/<stage>/stripe; stripe_provider.py).

The seller on invoices, payment instructions and the Factur-X XML is the provider: its legal
identity (company, address, SIREN, VAT number) from the brand (`guichet_contracts.brand`), what
is operational from INVOICES_SELLER (`iban` transfers are paid to, billing `email`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from guichet_contracts.brand import load_brand
from guichet_contracts.letterhead import legal_party


class SettingsError(RuntimeError):
    pass


PAYMENT_PROVIDERS = ("sandbox", "stripe")
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no", "")


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    # the exports bucket (shared stack; GDPR data exports, guichet_contracts.personal_data): "" when
    # the stage has none, and then an export fails loudly
    exports_bucket: str
    pdf_bucket: str
    public_url: str
    mail_sender: str
    jwt_issuer: str
    jwt_audience: str
    operator_audience: str
    jwt_public_keys_secret: str
    event_bus_name: str
    payment_provider: str
    production: bool
    stripe_secret: str
    stripe_api_base: str | None
    timezone: ZoneInfo
    payment_terms_days: int
    seller: dict[str, Any]
    templates: Path


_SELLER_SETTINGS = {"iban", "email"}  # what INVOICES_SELLER says: the account paid, the billing address


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} is required")
    return value


def _flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value not in _TRUE + _FALSE:
        raise SettingsError(f"environment variable {name} must be true or false")
    return value in _TRUE


def _payment_provider(stage: str, production: bool) -> str:
    name = os.environ.get("INVOICES_PAYMENT_PROVIDER", "sandbox").strip().lower()
    if name not in PAYMENT_PROVIDERS:
        raise SettingsError(f"INVOICES_PAYMENT_PROVIDER must be one of {', '.join(PAYMENT_PROVIDERS)}")
    if production and name == "sandbox":
        raise SettingsError(
            f"stage {stage} is marked production (GUICHET_PRODUCTION): the sandbox payment provider "
            "is refused there; set INVOICES_PAYMENT_PROVIDER=stripe"
        )
    return name


def load() -> Settings:
    seller = json.loads(_required("INVOICES_SELLER"))
    # the legal identity (company, address, SIREN, VAT...) is the brand's (guichet_contracts.brand)
    unknown = sorted(set(seller) - _SELLER_SETTINGS)
    if unknown:
        raise SettingsError(
            f"INVOICES_SELLER holds {', '.join(unknown)}: it says only iban and email; the seller's "
            "legal identity comes from the brand (brand/brand.json)"
        )
    jwt_audience = _required("GUICHET_JWT_AUDIENCE")
    operator_audience = _required("GUICHET_OPERATOR_AUDIENCE")
    if operator_audience == jwt_audience:
        raise SettingsError("GUICHET_OPERATOR_AUDIENCE must differ from GUICHET_JWT_AUDIENCE")
    stage = _required("GUICHET_STAGE")
    production = _flag("GUICHET_PRODUCTION")
    return Settings(
        stage=stage,
        table_name=_required("INVOICES_TABLE_NAME"),
        exports_bucket=os.environ.get("GUICHET_EXPORTS_BUCKET", "").strip(),
        pdf_bucket=_required("INVOICES_PDF_BUCKET"),
        public_url=_required("GUICHET_PUBLIC_URL").rstrip("/"),
        mail_sender=_required("GUICHET_MAIL_SENDER"),
        jwt_issuer=_required("GUICHET_JWT_ISSUER"),
        jwt_audience=jwt_audience,
        operator_audience=operator_audience,
        jwt_public_keys_secret=_required("GUICHET_JWT_PUBLIC_KEYS_SECRET"),
        event_bus_name=os.environ.get("GUICHET_EVENT_BUS", "default"),
        payment_provider=_payment_provider(stage, production),
        production=production,
        stripe_secret=os.environ.get("INVOICES_STRIPE_SECRET", "").strip() or f"guichet/{stage}/stripe",
        stripe_api_base=os.environ.get("INVOICES_STRIPE_API_BASE", "").strip() or None,
        timezone=ZoneInfo(os.environ.get("INVOICES_TIMEZONE", "Europe/Paris")),
        payment_terms_days=int(os.environ.get("INVOICES_PAYMENT_TERMS_DAYS", "15")),
        seller={**seller, **legal_party(load_brand())},
        templates=Path(__file__).parent / "templates",
    )


settings = load()
