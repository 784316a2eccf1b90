"""The consumption service's environment, parsed and validated once at cold start."""

from __future__ import annotations

import os
from dataclasses import dataclass
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
    ingest_bucket: str
    jwt_issuer: str
    jwt_audience: str
    operator_audience: str  # operator tokens (never a customer's access token)
    jwt_public_keys_secret: str
    event_bus_name: str
    timezone: ZoneInfo


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} is required")
    return value


def load() -> Settings:
    jwt_audience = _required("GUICHET_JWT_AUDIENCE")
    operator_audience = _required("GUICHET_OPERATOR_AUDIENCE")
    if operator_audience == jwt_audience:
        raise SettingsError("GUICHET_OPERATOR_AUDIENCE must differ from GUICHET_JWT_AUDIENCE")
    return Settings(
        stage=_required("GUICHET_STAGE"),
        table_name=_required("CONSUMPTION_TABLE_NAME"),
        exports_bucket=os.environ.get("GUICHET_EXPORTS_BUCKET", "").strip(),
        ingest_bucket=_required("CONSUMPTION_INGEST_BUCKET"),
        jwt_issuer=_required("GUICHET_JWT_ISSUER"),
        jwt_audience=jwt_audience,
        operator_audience=operator_audience,
        jwt_public_keys_secret=_required("GUICHET_JWT_PUBLIC_KEYS_SECRET"),
        event_bus_name=os.environ.get("GUICHET_EVENT_BUS", "default"),
        timezone=ZoneInfo(os.environ.get("CONSUMPTION_TIMEZONE", "Europe/Paris")),
    )


settings = load()
