"""Errors of the consumption service. Each carries its HTTP status; guichet_contracts.web renders them."""

from guichet_contracts.errors import ApiError, NotFound, Unauthenticated, ValidationFailed

__all__ = ["ApiError", "NotFound", "NotYetKnown", "RangeTooLong", "Unauthenticated", "ValidationFailed"]


class RangeTooLong(ValidationFailed):
    code = "range_too_long"
    message = "This period is too long for this step."
    translations = {
        "fr": "Cette période est trop longue pour ce pas de temps.",
        "it": "Questo periodo è troppo lungo per questo passo temporale.",
    }


class NotYetKnown(RuntimeError):
    """An event about a subscription whose SubscriptionActivated has not arrived yet (events come
    in any order): the handler fails, so that the event comes back once it has."""
