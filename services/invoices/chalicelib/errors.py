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
    "AlreadyPaid",
    "ApiError",
    "Conflict",
    "NoBankAccount",
    "NotFound",
    "PeriodOutOfRange",
    "TooManyAttempts",
    "TooMuch",
    "Unauthenticated",
    "ValidationFailed",
]


class PeriodOutOfRange(ValidationFailed):
    code = "period_out_of_range"
    message = "Invoices can be consulted for 24 months after they are issued."
    translations = {
        "fr": "Les factures sont consultables pendant 24 mois après leur émission.",
        "it": "Le fatture sono consultabili per 24 mesi dopo l'emissione.",
    }


class AlreadyPaid(Conflict):
    code = "nothing_due"
    message = "Nothing is due on this invoice any more."
    translations = {
        "fr": "Plus rien n'est dû sur cette facture.",
        "it": "Non c'è più nulla da pagare su questa fattura.",
    }


class TooMuch(ValidationFailed):
    code = "amount_exceeds_due"
    message = "A payment cannot exceed what is due."
    translations = {
        "fr": "Un paiement ne peut pas dépasser le montant dû.",
        "it": "Un pagamento non può superare l'importo dovuto.",
    }


class NoBankAccount(Conflict):
    code = "no_bank_account"
    message = "Add your bank details (IBAN) before paying by direct debit."
    translations = {
        "fr": "Ajoutez vos coordonnées bancaires (IBAN) avant de payer par prélèvement.",
        "it": "Aggiunga le Sue coordinate bancarie (IBAN) prima di pagare con addebito diretto.",
    }


class PaymentDeclined(ApiError):
    status = 402
    code = "payment_declined"
    message = "The payment was declined."
    translations = {"fr": "Le paiement a été refusé.", "it": "Il pagamento è stato rifiutato."}
