"""The subscriptions service's environment, parsed and validated once at cold start."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo


class SettingsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    # the exports bucket (shared stack; GDPR data exports, guichet_contracts.personal_data): "" when
    # the stage has none, and then an export fails loudly
    exports_bucket: str
    documents_bucket: str
    public_url: str
    mail_sender: str
    jwt_issuer: str
    jwt_audience: str
    operator_audience: str  # operator tokens (never a customer's access token)
    jwt_public_keys_secret: str
    event_bus_name: str
    provider_name: str
    advisors: int
    timezone: ZoneInfo
    catalog_file: Path
    catalog_check_seconds: float  # how old a container's idea of the current catalog version may be
    templates: Path


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} is required")
    return value


def load() -> Settings:
    here = Path(__file__).parent
    advisors = int(os.environ.get("SUBSCRIPTIONS_ADVISORS", "2"))
    if advisors < 1:
        raise SettingsError("SUBSCRIPTIONS_ADVISORS must be at least 1")
    jwt_audience = _required("GUICHET_JWT_AUDIENCE")
    operator_audience = _required("GUICHET_OPERATOR_AUDIENCE")
    if operator_audience == jwt_audience:
        raise SettingsError("GUICHET_OPERATOR_AUDIENCE must differ from GUICHET_JWT_AUDIENCE")
    return Settings(
        stage=_required("GUICHET_STAGE"),
        table_name=_required("SUBSCRIPTIONS_TABLE_NAME"),
        exports_bucket=os.environ.get("GUICHET_EXPORTS_BUCKET", "").strip(),
        documents_bucket=_required("SUBSCRIPTIONS_DOCUMENTS_BUCKET"),
        public_url=_required("GUICHET_PUBLIC_URL").rstrip("/"),
        mail_sender=_required("GUICHET_MAIL_SENDER"),
        jwt_issuer=_required("GUICHET_JWT_ISSUER"),
        jwt_audience=jwt_audience,
        operator_audience=operator_audience,
        jwt_public_keys_secret=_required("GUICHET_JWT_PUBLIC_KEYS_SECRET"),
        event_bus_name=os.environ.get("GUICHET_EVENT_BUS", "default"),
        provider_name=os.environ.get("SUBSCRIPTIONS_PROVIDER_NAME", "Guichet"),
        advisors=advisors,
        timezone=ZoneInfo(os.environ.get("SUBSCRIPTIONS_TIMEZONE", "Europe/Paris")),
        # The catalog is deployment data: a provider replaces this file, not the code.
        catalog_file=Path(os.environ.get("SUBSCRIPTIONS_CATALOG_FILE") or here / "catalog.json"),
        catalog_check_seconds=float(os.environ.get("SUBSCRIPTIONS_CATALOG_CHECK_SECONDS", "5")),
        templates=here / "templates",
    )


settings = load()
