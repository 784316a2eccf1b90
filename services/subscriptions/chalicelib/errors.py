"""Errors of the subscriptions service. Each carries its HTTP status; guichet_contracts.web renders them."""

from guichet_contracts.errors import (
    ApiError,
    Conflict,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
    ValidationFailed,
)

__all__ = [
    "AddressMissing",
    "ApiError",
    "AppointmentPast",
    "Conflict",
    "ForbiddenTransition",
    "NotFound",
    "ProfileUnavailable",
    "SlotUnavailable",
    "SupportMessagesExhausted",
    "TooManyAttempts",
    "Unauthenticated",
    "UnknownProduct",
    "ValidationFailed",
]


class ForbiddenTransition(Conflict):
    code = "forbidden_transition"


class UnknownProduct(ValidationFailed):
    code = "unknown_product"


class SlotUnavailable(Conflict):
    code = "slot_unavailable"


class AddressMissing(Conflict):
    code = "address_missing"


class AppointmentPast(Conflict):
    code = "appointment_past"


class ProfileUnavailable(Conflict):
    code = "profile_unavailable"


class SupportMessagesExhausted(TooManyAttempts):
    code = "too_many_messages"
