"""Errors of the invoices service. Each carries its HTTP status; guichet_contracts.web renders them."""

from guichet_contracts.errors import (
    ApiError,
    Conflict,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
    ValidationFailed,
)

__all__ = [
    "AmountExceedsCreditable",
    "AmountExceedsDue",
    "ApiError",
    "Conflict",
    "InvalidSignature",
    "InvoiceVoid",
    "NoBankAccount",
    "NoTipSlip",
    "NotCreditable",
    "NotFound",
    "NothingDue",
    "PaymentNotPending",
    "PaymentPending",
    "PeriodOutOfRange",
    "RefundNotPending",
    "TooManyAttempts",
    "Unauthenticated",
    "ValidationFailed",
]


class PeriodOutOfRange(ValidationFailed):
    code = "period_out_of_range"


class NothingDue(Conflict):
    code = "nothing_due"


class AmountExceedsDue(ValidationFailed):
    code = "amount_exceeds_due"


class NoBankAccount(Conflict):
    code = "no_bank_account"


class PaymentDeclined(ApiError):
    status = 402
    code = "payment_declined"


class PaymentPending(Conflict):
    code = "payment_pending"


class NoTipSlip(Conflict):
    code = "no_tip_slip"


class InvoiceVoid(Conflict):
    code = "invoice_void"


class PaymentNotPending(Conflict):
    code = "payment_not_pending"


class NotCreditable(Conflict):
    code = "not_creditable"


class AmountExceedsCreditable(ValidationFailed):
    code = "amount_exceeds_creditable"


class RefundNotPending(Conflict):
    code = "refund_not_pending"


class InvalidSignature(ApiError):
    status = 400
    code = "invalid_signature"
