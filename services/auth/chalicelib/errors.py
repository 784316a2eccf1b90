"""Errors of the auth service. Each carries its HTTP status; guichet_contracts.web renders them."""

from guichet_contracts.errors import (
    ApiError,
    Conflict,
    Forbidden,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
    ValidationFailed,
)

__all__ = [
    "ApiError",
    "Conflict",
    "ContactLimitReached",
    "EmailNotVerified",
    "EmailUnavailable",
    "InvalidCode",
    "InvalidCredentials",
    "InvalidToken",
    "NoPendingEmailChange",
    "NotFound",
    "PhoneUnavailable",
    "TooManyAttempts",
    "Unauthenticated",
    "ValidationFailed",
    "WeakPassword",
]


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    message = "The login or the password is not correct."


class EmailNotVerified(Forbidden):
    code = "email_not_verified"
    message = "Confirm your email address with the link we sent before logging in."


class InvalidToken(ValidationFailed):
    code = "invalid_token"
    message = "This link is invalid, already used or expired."


class InvalidCode(ValidationFailed):
    code = "invalid_code"
    message = "This validation code is not correct."


class WeakPassword(ValidationFailed):
    code = "weak_password"


class EmailUnavailable(Conflict):
    code = "email_unavailable"
    message = "This email address cannot be used for this account."


class PhoneUnavailable(Conflict):
    code = "phone_unavailable"
    message = "This phone number cannot be used for this account."


class NoPendingEmailChange(NotFound):
    code = "no_pending_email_change"
    message = "There is no email change waiting."


class ContactLimitReached(Conflict):
    code = "contact_limit_reached"
    message = "An account has at most 20 contacts."
