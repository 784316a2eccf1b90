"""The emails of the invoices service, in the customer's language; money and dates in them are
`guichet_contracts.formatting`'s (`money`, `day`), as on the PDFs and in the portal."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools import Logger
from guichet_contracts import formatting, mail

from .models import BillingParty
from .settings import settings

logger = Logger(child=True)

# what the emails show amounts and dates with, as the PDFs and the portal do
money = formatting.money
day = formatting.day
moment = formatting.moment

KIND_LABELS = {
    "fr": {
        "invoice": "facture",
        "credit_note": "avoir",
        "resale": "facture de revente",
        "regularization": "facture de régularisation",
    },
    "en": {
        "invoice": "invoice",
        "credit_note": "credit note",
        "resale": "resale invoice",
        "regularization": "regularization invoice",
    },
    "it": {
        "invoice": "fattura",
        "credit_note": "nota di credito",
        "resale": "fattura di rivendita",
        "regularization": "fattura di conguaglio",
    },
}
METHOD_LABELS = {
    "fr": {
        "card": "carte bancaire",
        "direct_debit": "prélèvement automatique",
        "check": "chèque",
        "tip": "TIP",
        "transfer": "virement",
    },
    "en": {
        "card": "card",
        "direct_debit": "direct debit",
        "check": "cheque",
        "tip": "TIP",
        "transfer": "bank transfer",
    },
    "it": {
        "card": "carta",
        "direct_debit": "addebito diretto",
        "check": "assegno",
        "tip": "TIP",
        "transfer": "bonifico",
    },
}


REFUND_LABELS = {
    "fr": {"card": "remboursement sur votre carte", "transfer": "virement", "check": "chèque"},
    "en": {"card": "refund to your card", "transfer": "bank transfer", "check": "cheque"},
    "it": {"card": "rimborso sulla Sua carta", "transfer": "bonifico", "check": "assegno"},
}
DECLINE_LABELS = {
    "fr": {
        "insufficient_funds": "provision insuffisante",
        "account_closed": "compte clôturé",
        "invalid_account": "coordonnées bancaires invalides",
        "card_declined": "carte refusée",
        "expired_card": "carte expirée",
        "incorrect_cvc": "cryptogramme incorrect",
        "invalid_card": "carte invalide",
    },
    "en": {
        "insufficient_funds": "insufficient funds",
        "account_closed": "account closed",
        "invalid_account": "invalid bank details",
        "card_declined": "card declined",
        "expired_card": "card expired",
        "incorrect_cvc": "incorrect security code",
        "invalid_card": "invalid card",
    },
    "it": {
        "insufficient_funds": "fondi insufficienti",
        "account_closed": "conto chiuso",
        "invalid_account": "coordinate bancarie non valide",
        "card_declined": "carta rifiutata",
        "expired_card": "carta scaduta",
        "incorrect_cvc": "codice di sicurezza errato",
        "invalid_card": "carta non valida",
    },
}


def decline_reason(code: str | None, language: str) -> str:
    """Why the bank or the card network said no, in words of the customer's language."""
    return label(DECLINE_LABELS, language, code or "card_declined")


def label(table: dict[str, dict[str, str]], language: str, key: str) -> str:
    return table.get(language, table["fr"]).get(key, key)


def portal_link(path: str, **params: str) -> str:
    query = f"?{urlencode(params)}" if params else ""
    return f"{settings.public_url}/{path.lstrip('/')}{query}"


def send(name: str, party: BillingParty, **context: Any) -> None:
    """Every mail names the customer id (the customer quotes it to the provider)."""
    context.setdefault("customer_id", party.customer_id)
    email = mail.render(
        settings.templates, name, party.language, party.email, first_name=party.first_name, **context
    )
    mail.send(email, sender=settings.mail_sender)


def notify(name: str, party: BillingParty | None, **context: Any) -> None:
    """A notice about something already done: a mail that cannot leave is logged, not raised."""
    if party is None:
        logger.warning("no billing party: notice not sent", extra={"template": name})
        return
    try:
        send(name, party, **context)
    except Exception:
        logger.exception("notice not sent", extra={"template": name, "customer_id": party.customer_id})
