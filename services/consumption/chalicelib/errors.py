"""Errors of the consumption service. Each carries its HTTP status; guichet_contracts.web renders them."""

from guichet_contracts.errors import ApiError, NotFound, PayloadTooLarge, Unauthenticated, ValidationFailed

__all__ = [
    "ApiError",
    "NotFound",
    "NotYetKnown",
    "PayloadTooLarge",
    "RangeTooLong",
    "Unauthenticated",
    "ValidationFailed",
]


class RangeTooLong(ValidationFailed):
    code = "range_too_long"


class NotYetKnown(RuntimeError):
    """An event about a subscription whose SubscriptionActivated has not arrived yet (events come
    in any order): the handler fails, so that the event comes back once it has."""
