"""The auth service's environment, parsed and validated once at cold start."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path


class SettingsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    # the exports bucket (shared stack; GDPR data exports, guichet_contracts.personal_data): "" when
    # the stage has none, and then an export fails loudly
    exports_bucket: str
    public_url: str
    mail_sender: str
    jwt_issuer: str
    jwt_audience: str
    operator_audience: str  # the operator tokens of machine clients (POST /oauth/token)
    jwt_public_keys_secret: str
    jwt_signing_secret: str
    totp_key_secret: str  # the key sealing the authenticator apps' secrets (totp_sealing.py)
    customer_id_suffix: str
    event_bus_name: str
    access_token_seconds: int
    refresh_token_days: int
    argon2_memory_kib: int
    argon2_time_cost: int
    argon2_parallelism: int
    accept_test_email_domains: bool
    templates: Path
    # invitations of imported customers mailed per second at most (SES's sending rate); 0: no pause
    invitation_mails_per_second: float
    # webhook endpoints may be http(s)://127.0.0.1 or localhost (the local run's receivers): the
    # local stage only; everywhere else an endpoint is https on a public address (webhook_endpoints.py)
    webhooks_allow_loopback: bool
    # passkeys (passkeys.py): the relying party's id (a domain) and the origins whose ceremonies count
    webauthn_rp_id: str
    webauthn_origins: tuple[str, ...]


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} is required")
    return value


def _integer(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name)
    value = int(raw) if raw else default
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}")
    return value


def _webauthn(public_url: str, stage: str) -> tuple[str, tuple[str, ...]]:
    """The relying party of passkeys: AUTH_WEBAUTHN_RP_ID and AUTH_WEBAUTHN_ORIGINS (comma
    separated) when given, else the public URL's host and origin. Browsers refuse an IP address
    as relying party: the local stage, served on 127.0.0.1, is then `localhost` (the portal opened
    at http://localhost:<port> to use passkeys)."""
    from urllib.parse import urlsplit

    parts = urlsplit(public_url)
    host, origin = parts.hostname or "", f"{parts.scheme}://{parts.netloc}"
    if stage == "local" and host == "127.0.0.1":
        host, origin = "localhost", origin.replace("127.0.0.1", "localhost")
    rp_id = os.environ.get("AUTH_WEBAUTHN_RP_ID", "").strip() or host
    origins = tuple(
        value.strip().rstrip("/")
        for value in os.environ.get("AUTH_WEBAUTHN_ORIGINS", "").split(",")
        if value.strip()
    ) or (origin,)
    return rp_id, origins


def load() -> Settings:
    suffix = os.environ.get("AUTH_CUSTOMER_ID_SUFFIX", "GU").strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{2,10}", suffix):
        raise SettingsError("AUTH_CUSTOMER_ID_SUFFIX must be 2 to 10 capital letters or digits")
    access_seconds = _integer("AUTH_ACCESS_TOKEN_SECONDS", 900, 60)
    if access_seconds > 900:
        raise SettingsError("AUTH_ACCESS_TOKEN_SECONDS must be at most 900")
    jwt_audience = _required("GUICHET_JWT_AUDIENCE")
    operator_audience = _required("GUICHET_OPERATOR_AUDIENCE")
    if operator_audience == jwt_audience:
        raise SettingsError("GUICHET_OPERATOR_AUDIENCE must differ from GUICHET_JWT_AUDIENCE")
    mails_per_second = float(os.environ.get("AUTH_INVITATION_MAILS_PER_SECOND") or 10)
    if mails_per_second < 0:
        raise SettingsError("AUTH_INVITATION_MAILS_PER_SECOND must be 0 (no pause) or more")
    stage = _required("GUICHET_STAGE")
    allow_loopback = os.environ.get("AUTH_WEBHOOKS_ALLOW_LOOPBACK", "") == "true"
    if allow_loopback and stage != "local":
        raise SettingsError("AUTH_WEBHOOKS_ALLOW_LOOPBACK is for the local stage only")
    public_url = _required("GUICHET_PUBLIC_URL").rstrip("/")
    rp_id, origins = _webauthn(public_url, stage)
    return Settings(
        stage=stage,
        table_name=_required("AUTH_TABLE_NAME"),
        exports_bucket=os.environ.get("GUICHET_EXPORTS_BUCKET", "").strip(),
        public_url=public_url,
        mail_sender=_required("GUICHET_MAIL_SENDER"),
        jwt_issuer=_required("GUICHET_JWT_ISSUER"),
        jwt_audience=jwt_audience,
        operator_audience=operator_audience,
        jwt_public_keys_secret=_required("GUICHET_JWT_PUBLIC_KEYS_SECRET"),
        jwt_signing_secret=_required("AUTH_JWT_SIGNING_SECRET"),
        totp_key_secret=_required("AUTH_TOTP_KEY_SECRET"),
        customer_id_suffix=suffix,
        event_bus_name=os.environ.get("GUICHET_EVENT_BUS", "default"),
        access_token_seconds=access_seconds,
        refresh_token_days=_integer("AUTH_REFRESH_TOKEN_DAYS", 30, 1),
        # OWASP's floor for argon2id is m=19 MiB, t=2, p=1; nothing lower is accepted.
        argon2_memory_kib=_integer("AUTH_ARGON2_MEMORY_KIB", 19 * 1024, 19 * 1024),
        argon2_time_cost=_integer("AUTH_ARGON2_TIME_COST", 2, 2),
        argon2_parallelism=_integer("AUTH_ARGON2_PARALLELISM", 1, 1),
        # RFC 2606 names (.test) are for the local run only, where the demo customers live.
        accept_test_email_domains=os.environ.get("AUTH_ACCEPT_TEST_EMAIL_DOMAINS", "") == "true",
        templates=Path(__file__).parent / "templates",
        invitation_mails_per_second=mails_per_second,
        webhooks_allow_loopback=allow_loopback,
        webauthn_rp_id=rp_id,
        webauthn_origins=origins,
    )


settings = load()
