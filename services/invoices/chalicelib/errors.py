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
    message = "Invoices can be consulted for 24 months after they are issued."
    translations = {
        "fr": "Les factures sont consultables pendant 24 mois après leur émission.",
        "it": "Le fatture sono consultabili per 24 mesi dopo l'emissione.",
    }


class NothingDue(Conflict):
    code = "nothing_due"
    message = "Nothing is due on this invoice any more."
    translations = {
        "fr": "Plus rien n'est dû sur cette facture.",
        "it": "Non c'è più nulla da pagare su questa fattura.",
    }


class AmountExceedsDue(ValidationFailed):
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


class PaymentPending(Conflict):
    code = "payment_pending"
    message = (
        "A payment of this invoice is under way (a cheque or TIP on its way, a card awaiting its "
        "authentication or a direct debit at the bank): it can be paid again only if that one fails."
    )
    translations = {
        "fr": "Un paiement de cette facture est en cours (un chèque ou un TIP en cours d'acheminement, une carte en attente d'authentification ou un prélèvement en cours à la banque) : elle ne pourra être réglée à nouveau que s'il échoue.",
        "it": "Un pagamento di questa fattura è in corso (assegno o TIP in arrivo, carta in attesa di autenticazione o addebito in corso in banca): potrà essere pagata di nuovo solo se non va a buon fine.",
    }


class NoTipSlip(Conflict):
    code = "no_tip_slip"
    message = (
        "This invoice has no TIP slip: choose payment by TIP in your preferences for your next invoices."
    )
    translations = {
        "fr": "Cette facture ne comporte pas de TIP : choisissez le paiement par TIP dans vos préférences pour vos prochaines factures.",
        "it": "Questa fattura non contiene un TIP: scelga il pagamento con TIP nelle preferenze per le prossime fatture.",
    }


class InvoiceVoid(Conflict):
    code = "invoice_void"
    message = "This invoice is void: there is nothing to pay."
    translations = {
        "fr": "Cette facture est annulée : il n'y a rien à payer.",
        "it": "Questa fattura è annullata: non c'è nulla da pagare.",
    }


class PaymentNotPending(Conflict):
    code = "payment_not_pending"
    message = "Only a cheque or TIP still awaited can be recorded received or expired."
    translations = {
        "fr": "Seul un chèque ou un TIP encore attendu peut être enregistré comme reçu ou expiré.",
        "it": "Solo un assegno o un TIP ancora atteso può essere registrato come ricevuto o scaduto.",
    }


class NotCreditable(Conflict):
    code = "not_creditable"
    message = "Only an issued invoice with a positive total can be credited."
    translations = {
        "fr": "Seule une facture émise d'un montant positif peut faire l'objet d'un avoir.",
        "it": "Solo una fattura emessa di importo positivo può essere stornata.",
    }


class AmountExceedsCreditable(ValidationFailed):
    code = "amount_exceeds_creditable"
    message = "A credit note cannot exceed what is left to credit on the invoice."
    translations = {
        "fr": "Un avoir ne peut pas dépasser ce qu'il reste à créditer sur la facture.",
        "it": "Una nota di credito non può superare l'importo ancora stornabile della fattura.",
    }


class RefundNotPending(Conflict):
    code = "refund_not_pending"
    message = "This refund is already made."
    translations = {
        "fr": "Ce remboursement est déjà effectué.",
        "it": "Questo rimborso è già stato effettuato.",
    }


class InvalidSignature(ApiError):
    status = 400
    code = "invalid_signature"
    message = "The webhook's signature is missing, wrong or too old."
    translations = {
        "fr": "La signature du webhook est absente, fausse ou trop ancienne.",
        "it": "La firma del webhook è assente, errata o troppo vecchia.",
    }
