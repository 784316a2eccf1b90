"""The words of the invoice lines the service writes itself (an electricity month, its
complements, a surplus bought, a payment schedule's installments and regularization), in the
buyer's language at issue, from the catalogs of the emails (templates/locale/<language>.po,
context "invoice line"): what an invoice says never changes once issued. French is the wording
when the language is not one of the customer area's (guichet_contracts.mail.pgettext)."""

from __future__ import annotations

from typing import Any

from guichet_contracts import mail

from .settings import settings

LINES = {
    "subscription": mail.pgettext_noop("invoice line", "Electricity subscription %(month)s"),
    "subscription_days": mail.pgettext_noop(
        "invoice line",
        "Electricity subscription %(month)s (%(start)s to %(end)s, %(days)s d / %(days_in_month)s)",
    ),
    "base": mail.pgettext_noop("invoice line", "Consumption %(month)s"),
    "peak": mail.pgettext_noop("invoice line", "Peak hours %(month)s"),
    "off_peak": mail.pgettext_noop("invoice line", "Off-peak hours %(month)s"),
    "battery": mail.pgettext_noop("invoice line", "Taken back from the virtual battery %(month)s"),
    "complement": mail.pgettext_noop("invoice line", "Complement: %(line)s"),
    "surplus": mail.pgettext_noop("invoice line", "Surplus fed into the grid, bought back %(month)s"),
    "installment": mail.pgettext_noop("invoice line", "Installment %(number)s/%(count)s %(year)s"),
    "actual_consumption": mail.pgettext_noop("invoice line", "Actual consumption %(year)s"),
    "installments_debited": mail.pgettext_noop("invoice line", "Monthly installments debited %(year)s"),
}


class Wording:
    """`say(key, **values)`: a line's description in `language` (electricity_bill.Wording)."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, key: str, **values: Any) -> str:
        context, message = LINES[key]
        return mail.pgettext(settings.templates, self.language, context, message) % values


def of(customer_id: str) -> Wording:
    """The wording of a customer's lines: their language, as the invoices service's copy says."""
    from . import billing_parties

    party = billing_parties.get(customer_id)
    return Wording(party.language if party else "fr")
