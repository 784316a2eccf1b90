"""The answers of the auth API as pydantic models: the OpenAPI document's response schemas are
generated from them (openapi.py), as its request bodies are from schemas.py.

The routes build plain dicts; the route tests validate every real answer against the schemas
generated here, which allow no other field: a field added to an answer and not here fails them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from guichet_contracts.validation import ResponseModel, not_null
from pydantic import BaseModel, ConfigDict, Field

from .schemas import Language, Role

CUSTOMER_ID = "^[a-z]{2}[0-9]{6}-[A-Z0-9]{2,10}$"


class Health(ResponseModel):
    status: Literal["ok"]


class Registered(ResponseModel):
    customer_id: str = Field(pattern=CUSTOMER_ID)
    email: str
    status: Literal["pending_verification"]


class Verified(ResponseModel):
    customer_id: str
    status: Literal["active"]


class TokenPair(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("session_id"))

    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(le=900)
    session_id: str | None = None


class SessionInCookie(ResponseModel):
    """The answer of a login asking for the session cookie, and of a refresh by that cookie: the
    refresh token is in the cookie (Set-Cookie), not here."""

    model_config = ConfigDict(json_schema_extra=not_null("session_id"))

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(le=900)
    session_id: str | None = None


class MfaChallenge(ResponseModel):
    """The answer of a right password for an account with a second factor: no session yet; the
    second step (POST /auth/login/second-factor) takes `mfa_token` (one use, `expires_in` seconds)
    with one of `methods`."""

    model_config = ConfigDict(json_schema_extra=not_null("passkey_options"))

    mfa_required: Literal[True]
    mfa_token: str
    methods: list[Literal["totp", "recovery_code", "passkey"]]
    expires_in: int
    passkey_options: dict[str, Any] | None = Field(
        default=None, description="With a passkey: the options of navigator.credentials.get()"
    )


class SteppedUp(ResponseModel):
    """A fresh access token of the session, whose auth_time is now."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(le=900)


class TotpEnrolment(ResponseModel):
    """Answered once: the secret, its otpauth URI and that URI as a QR code (SVG data URI)."""

    secret: str
    otpauth_uri: str
    qr_code: str


class RecoveryCodes(ResponseModel):
    """Answered once: each code signs in once instead of the app's code."""

    recovery_codes: list[str]


class TotpStatus(ResponseModel):
    enabled: bool
    enabled_at: str | None
    recovery_codes_left: int


class Passkey(ResponseModel):
    passkey_id: str
    name: str
    transports: list[str]
    sign_count: int
    created_at: str
    last_used_at: str | None


class SecondFactors(ResponseModel):
    totp: TotpStatus
    passkeys: list[Passkey]


class WebAuthnOptions(ResponseModel):
    """PublicKeyCredentialCreationOptions (a registration) or PublicKeyCredentialRequestOptions
    (an authentication) as JSON, bytes in base64url (WebAuthn Level 3, parseCreationOptionsFromJSON)."""

    model_config = ConfigDict(
        json_schema_extra=not_null(
            "rp",
            "user",
            "pubKeyCredParams",
            "excludeCredentials",
            "authenticatorSelection",
            "attestation",
            "hints",
            "rpId",
            "allowCredentials",
            "userVerification",
        )
    )

    challenge: str
    timeout: int
    rp: dict[str, Any] | None = None
    user: dict[str, Any] | None = None
    pubKeyCredParams: list[dict[str, Any]] | None = None  # WebAuthn's names
    excludeCredentials: list[dict[str, Any]] | None = None
    authenticatorSelection: dict[str, Any] | None = None
    attestation: str | None = None
    hints: list[str] | None = None
    rpId: str | None = None
    allowCredentials: list[dict[str, Any]] | None = None
    userVerification: str | None = None


class Jwks(ResponseModel):
    keys: list[dict[str, Any]]


class Accepted(ResponseModel):
    """The same answer whether the login is known or not."""

    status: Literal["accepted"]
    message: str


class Address(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("line1", "postal_code", "city", "country"))

    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = Field(default=None, pattern="^[A-Z]{2}$")


class PendingEmailChange(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("new_email", "expires_at"))

    new_email: str | None = None
    expires_at: str | None = None


class Profile(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("status"))

    customer_id: str
    first_name: str
    last_name: str
    email: str
    backup_email: str | None
    phone: str | None
    phone_display: str | None = None  # the phone as people write it ("03 20 12 34 56")
    address: Address | None
    language: Language
    company: str | None
    # a business: its identifiers, checked by format and check digits (VIES is not consulted)
    account_type: Literal["individual", "business"] = "individual"
    siren: str | None = None
    siret: str | None = None
    vat_number: str | None = None
    status: Literal["pending_verification", "invited", "active"] | None = None
    created_at: datetime
    pending_email_change: PendingEmailChange | None


class EmailChangeRequested(ResponseModel):
    model_config = ConfigDict(json_schema_extra=not_null("new_email"))

    expires_at: datetime
    new_email: str | None = None


class Contact(ResponseModel):
    contact_id: str
    name: str
    email: str | None
    phone: str | None
    phone_display: str | None = None
    roles: list[Role]


class Device(ResponseModel):
    browser: str | None
    os: str | None
    device: str | None
    kind: Literal["phone", "tablet", "computer", "unknown"]


class Session(ResponseModel):
    session_id: str
    created_at: str
    last_used_at: str
    expires_at: str
    user_agent: str | None = None
    device: Device | None = None  # the user agent in words (browser, system, kind of device)
    ip: str | None = None
    current: bool


class ProviderCustomer(Profile):
    """A customer as an operator sees it: the profile, the provider's id, and (for a PUT) what it did."""

    model_config = ConfigDict(json_schema_extra=not_null("status", "result"))

    external_id: str | None
    result: Literal["created", "updated", "unchanged"] | None = None


ImportStatus = Literal["queued", "importing", "inviting", "done"]
LineStatus = Literal["created", "updated", "unchanged", "rejected"]


class ImportLine(ResponseModel):
    """One row of a customers file: its line number and what became of it."""

    model_config = ConfigDict(json_schema_extra=not_null("customer_id", "fields"))

    line: int = Field(ge=1)
    external_id: str | None
    status: LineStatus
    customer_id: str | None = None
    fields: dict[str, str] | None = None  # a rejected row: each wrong field (or column) and why


class CustomerImport(ResponseModel):
    """A customers file: where its import is, and its counts so far."""

    import_id: str
    status: ImportStatus
    format: Literal["csv", "jsonl"]
    sha256: str
    submitted_at: datetime
    finished_at: datetime | None
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    invitations_sent: int


class ImportReport(CustomerImport):
    """The import and a page of its lines (`?status=` for one kind, `?cursor=` for the next page)."""

    items: list[ImportLine]
    next_cursor: str | None


class RecoveryAccount(ResponseModel):
    """What the account holds, to check a recovery's requester against."""

    first_name: str
    last_name: str
    email: str
    backup_email: str | None
    phone: str | None


class RecoveryCase(ResponseModel):
    """A request to recover an account whose email is out of reach (recovery.py)."""

    case_id: str
    customer_id: str = Field(pattern=CUSTOMER_ID)
    status: Literal["open", "approved", "refused"]
    contact_email: str | None
    contact_phone: str | None
    message: str
    opened_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    new_email: str | None
    reason: str | None
    account: RecoveryAccount | None


class RecoveryCases(ResponseModel):
    """The open recovery cases, oldest first."""

    items: list[RecoveryCase]
    next_cursor: None


class OAuthToken(ResponseModel):
    """An operator token of a machine client (RFC 6749 5.1, POST /oauth/token)."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(le=900)
    scope: str


class OAuthError(ResponseModel):
    """The error body of POST /oauth/token: RFC 6749 5.2's, not API.md's (oauth.py)."""

    error: Literal[
        "invalid_request",
        "invalid_client",
        "unsupported_grant_type",
        "invalid_scope",
        "too_many_attempts",
        "temporarily_unavailable",
    ]
    error_description: str = Field(pattern="^[\\x20-\\x21\\x23-\\x5B\\x5D-\\x7E]+$")


class EndpointSecretDates(ResponseModel):
    created_at: datetime
    expires_at: datetime | None  # set during a rotation's grace: when the previous secret ends


class WebhookEndpoint(ResponseModel):
    """A webhook endpoint of the calling client (webhook_endpoints.py): never its secret."""

    endpoint_id: str = Field(pattern="^we_[0-9a-f]{24}$")
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool
    created_at: datetime
    updated_at: datetime
    secrets: list[EndpointSecretDates]


class WebhookEndpointWithSecret(WebhookEndpoint):
    """A new endpoint, or one whose secret was rotated: with the signing secret, shown this once."""

    secret: str = Field(pattern="^whsec_[A-Za-z0-9_-]{43}$")


class WebhookEndpoints(ResponseModel):
    items: list[WebhookEndpoint]


DeliveryStatus = Literal["pending", "succeeded", "failed"]


class WebhookDelivery(ResponseModel):
    """An event for an endpoint and where its attempts stand (webhook_deliveries.py)."""

    delivery_id: str = Field(pattern="^[0-9]{14}[0-9a-f]{16}$")
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int = Field(ge=0)
    created_at: datetime  # when the event happened
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None  # while pending


class WebhookDeliveryWithPayload(WebhookDelivery):
    """One delivery with the body every attempt sends: `{"id", "type", "created", "data"}`."""

    payload: dict[str, Any]


class WebhookDeliveries(ResponseModel):
    """A page of an endpoint's deliveries, newest event first (`?cursor=` for the next page)."""

    items: list[WebhookDelivery]
    next_cursor: str | None


class DataExport(ResponseModel):
    """A copy of the customer's data (data_exports.py): `download_url` while its link may be given."""

    export_id: str
    status: Literal["preparing", "ready", "expired"]
    requested_at: str
    ready_at: str | None
    download_url: str | None  # a link to the ZIP, valid until download_expires_at (24 h after ready)
    download_expires_at: str | None


class ClosureReason(ResponseModel):
    """Why the account cannot close yet: a contract running, or an amount due on an invoice."""

    kind: Literal["contract_running", "amount_due"]
    message: str
    subscription_id: str | None = None
    label: str | None = None
    ends_on: str | None = None  # a cancelled contract's last day, not yet past
    invoice_id: str | None = None
    number: str | None = None
    amount_due_cents: int | None = None
    currency: str | None = None


class ClosureRefusedError(ResponseModel):
    code: Literal["account_not_closable"]
    message: str
    reasons: list[ClosureReason]


class ClosureRefused(ResponseModel):
    """409 to POST /me/closure: the error body of API.md, with the reasons."""

    error: ClosureRefusedError


ANSWERS: tuple[type[BaseModel], ...] = (
    Health,
    Registered,
    Verified,
    TokenPair,
    SessionInCookie,
    MfaChallenge,
    SteppedUp,
    TotpEnrolment,
    RecoveryCodes,
    SecondFactors,
    Passkey,
    WebAuthnOptions,
    Jwks,
    Accepted,
    Profile,
    EmailChangeRequested,
    Contact,
    Session,
    ProviderCustomer,
    CustomerImport,
    ImportReport,
    OAuthToken,
    OAuthError,
    RecoveryCase,
    RecoveryCases,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
    WebhookEndpoints,
    WebhookDelivery,
    WebhookDeliveryWithPayload,
    WebhookDeliveries,
    DataExport,
    ClosureRefused,
)
