"""The invoices service's environment, parsed and validated once at cold start."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo


class SettingsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    pdf_bucket: str
    public_url: str
    mail_sender: str
    jwt_issuer: str
    jwt_audience: str
    operator_audience: str
    jwt_public_keys_secret: str
    event_bus_name: str
    payment_provider: str
    timezone: ZoneInfo
    payment_terms_days: int
    seller: dict[str, Any]
    templates: Path


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} is required")
    return value


def load() -> Settings:
    seller = json.loads(_required("INVOICES_SELLER"))
    missing = [name for name in ("name", "address", "vat_number", "siren") if not seller.get(name)]
    if missing:
        raise SettingsError(f"INVOICES_SELLER lacks {', '.join(missing)}")
    jwt_audience = _required("GUICHET_JWT_AUDIENCE")
    operator_audience = _required("GUICHET_OPERATOR_AUDIENCE")
    if operator_audience == jwt_audience:
        raise SettingsError("GUICHET_OPERATOR_AUDIENCE must differ from GUICHET_JWT_AUDIENCE")
    return Settings(
        stage=_required("GUICHET_STAGE"),
        table_name=_required("INVOICES_TABLE_NAME"),
        pdf_bucket=_required("INVOICES_PDF_BUCKET"),
        public_url=_required("GUICHET_PUBLIC_URL").rstrip("/"),
        mail_sender=_required("GUICHET_MAIL_SENDER"),
        jwt_issuer=_required("GUICHET_JWT_ISSUER"),
        jwt_audience=jwt_audience,
        operator_audience=operator_audience,
        jwt_public_keys_secret=_required("GUICHET_JWT_PUBLIC_KEYS_SECRET"),
        event_bus_name=os.environ.get("GUICHET_EVENT_BUS", "default"),
        payment_provider=os.environ.get("INVOICES_PAYMENT_PROVIDER", "sandbox"),
        timezone=ZoneInfo(os.environ.get("INVOICES_TIMEZONE", "Europe/Paris")),
        payment_terms_days=int(os.environ.get("INVOICES_PAYMENT_TERMS_DAYS", "15")),
        seller=seller,
        templates=Path(__file__).parent / "templates",
    )


settings = load()
