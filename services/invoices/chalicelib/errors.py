"""Errors of the invoices service. Each carries its HTTP status; guichet_contracts.web renders them."""

from guichet_contracts.errors import (
    ApiError,
    Conflict,
    NotFound,
    PayloadTooLarge,
    TooManyAttempts,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)

__all__ = [
    "AmountExceedsCreditable",
    "AmountExceedsDue",
    "ApiError",
    "Conflict",
    "ImportedInvoiceDiffers",
    "InvalidSignature",
    "InvoiceVoid",
    "NoBankAccount",
    "NoTipSlip",
    "NotAPdf",
    "NotCreditable",
    "NotFound",
    "NothingDue",
    "NumberTaken",
    "PayloadTooLarge",
    "PaymentNotPending",
    "PaymentPending",
    "PdfDiffers",
    "PeriodOutOfRange",
    "RefundNotPending",
    "TooManyAttempts",
    "Unauthenticated",
    "UnknownCustomer",
    "UnsupportedMediaType",
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


class NumberTaken(Conflict):
    code = "number_taken"


class ImportedInvoiceDiffers(Conflict):
    code = "invoice_already_issued"


class UnknownCustomer(NotFound):
    code = "unknown_customer"


class PdfDiffers(Conflict):
    code = "pdf_already_stored"


class NotAPdf(ValidationFailed):
    code = "not_a_pdf"


class InvalidSignature(ApiError):
    status = 400
    code = "invalid_signature"
