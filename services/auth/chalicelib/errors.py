"""Errors of the auth service. Each carries its HTTP status; guichet_contracts.web renders them."""

from guichet_contracts.errors import (
    ApiError,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    TooManyAttempts,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)

__all__ = [
    "ApiError",
    "ConcurrentUpdate",
    "Conflict",
    "ContactLimitReached",
    "EmailNotVerified",
    "EmailUnavailable",
    "InvalidCode",
    "InvalidCredentials",
    "InvalidRefreshToken",
    "InvalidToken",
    "NoPendingEmailChange",
    "NotFound",
    "PayloadTooLarge",
    "PhoneUnavailable",
    "RecoveryDecided",
    "SessionHeaderRequired",
    "TooManyAttempts",
    "TooManyCodes",
    "Unauthenticated",
    "UnsupportedMediaType",
    "ValidationFailed",
    "WeakPassword",
    "WrongPassword",
]


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"


class EmailNotVerified(Forbidden):
    code = "email_not_verified"


class InvalidToken(ValidationFailed):
    code = "invalid_token"


class InvalidCode(ValidationFailed):
    code = "invalid_code"


class WeakPassword(ValidationFailed):
    code = "weak_password"


class WrongPassword(ValidationFailed):
    code = "wrong_password"


class ConcurrentUpdate(Conflict):
    code = "concurrent_update"


class TooManyCodes(TooManyAttempts):
    code = "too_many_codes"


class InvalidRefreshToken(Unauthenticated):
    code = "invalid_refresh_token"


class EmailUnavailable(Conflict):
    code = "email_unavailable"


class PhoneUnavailable(Conflict):
    code = "phone_unavailable"


class NoPendingEmailChange(NotFound):
    code = "no_pending_email_change"


class ContactLimitReached(Conflict):
    code = "contact_limit_reached"


class SessionHeaderRequired(Forbidden):
    """A refresh or logout by the session cookie without the portal's header (session_cookie.py)."""

    code = "session_header_required"


class RecoveryDecided(Conflict):
    code = "recovery_decided"
