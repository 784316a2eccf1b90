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

# Words the emails' context carries, translated by the same catalogs as the templates
# (templates/locale/<language>.po), each under a context saying what it names.
KIND_LABELS = {
    "invoice": mail.pgettext_noop("document kind", "invoice"),
    "credit_note": mail.pgettext_noop("document kind", "credit note"),
    "resale": mail.pgettext_noop("document kind", "resale invoice"),
    "regularization": mail.pgettext_noop("document kind", "regularization invoice"),
}
METHOD_LABELS = {
    "card": mail.pgettext_noop("payment method", "card"),
    "direct_debit": mail.pgettext_noop("payment method", "direct debit"),
    "check": mail.pgettext_noop("payment method", "cheque"),
    "tip": mail.pgettext_noop("payment method", "TIP"),
    "transfer": mail.pgettext_noop("payment method", "bank transfer"),
}
REFUND_LABELS = {
    "card": mail.pgettext_noop("refund method", "refund to your card"),
    "transfer": mail.pgettext_noop("refund method", "bank transfer"),
    "check": mail.pgettext_noop("refund method", "cheque"),
}
DECLINE_LABELS = {
    "insufficient_funds": mail.pgettext_noop("decline reason", "insufficient funds"),
    "account_closed": mail.pgettext_noop("decline reason", "account closed"),
    "invalid_account": mail.pgettext_noop("decline reason", "invalid bank details"),
    "card_declined": mail.pgettext_noop("decline reason", "card declined"),
    "expired_card": mail.pgettext_noop("decline reason", "card expired"),
    "incorrect_cvc": mail.pgettext_noop("decline reason", "incorrect security code"),
    "invalid_card": mail.pgettext_noop("decline reason", "invalid card"),
}


def decline_reason(code: str | None, language: str) -> str:
    """Why the bank or the card network said no, in words of the customer's language."""
    return label(DECLINE_LABELS, language, code or "card_declined")


def label(table: dict[str, tuple[str, str]], language: str, key: str) -> str:
    """What `key` names in `language` (French if not a customer area's), from the emails'
    catalogs; a key the table does not know, as it is."""
    if key not in table:
        return key
    context, message = table[key]
    return mail.pgettext(settings.templates, language, context, message)


def portal_link(path: str, **params: str) -> str:
    query = f"?{urlencode(params)}" if params else ""
    return f"{settings.public_url}/{path.lstrip('/')}{query}"


def send(name: str, party: BillingParty, *, security: bool = False, **context: Any) -> None:
    """Every mail names the customer id (the customer quotes it to the provider). A security
    notice (`security`) goes to the backup email as well, as the auth service's notices do."""
    context.setdefault("customer_id", party.customer_id)
    addresses = [party.email, party.backup_email] if security else [party.email]
    for address in dict.fromkeys(filter(None, addresses)):
        email = mail.render(
            settings.templates, name, party.language, address, first_name=party.first_name, **context
        )
        mail.send(email, sender=settings.mail_sender)


def notify(name: str, party: BillingParty | None, *, security: bool = False, **context: Any) -> None:
    """A notice about something already done: a mail that cannot leave is logged, not raised."""
    if party is None:
        logger.warning("no billing party: notice not sent", extra={"template": name})
        return
    try:
        send(name, party, security=security, **context)
    except Exception:
        logger.exception("notice not sent", extra={"template": name, "customer_id": party.customer_id})
