"""Closing an account (GDPR article 17), once the last contract ended and nothing is due.

Services never call each other (docs/ARCHITECTURE.md), so this service keeps what it needs to
decide from the events it receives: each contract (SubscriptionActivated, then its end from
SubscriptionCancelled or SubscriptionExpired) and each amount due (InvoiceIssued with something
to pay, settled by InvoicePaid or InvoiceVoided). Events may come in any order and more than
once: an update never undoes a later fact (an end stays, a settlement stays).

POST /me/closure, the password confirmed: refused (409 `account_not_closable`, with `reasons`)
while a contract runs (no end, or an end not yet past) or an invoice is due; otherwise the
customer is mailed what is kept and for how long, the account is marked closed (no login, no
refresh: its sessions end and its login names go at once), and CustomerClosed asks every
service, this one too, to erase the rest (personal_data.py in each). Asking again for a closed
account publishes the event again (erasure is idempotent) without a second mail.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import events, formatting
from guichet_contracts.errors import Conflict
from guichet_contracts.words import Phrase, render
from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.expressions.update import Action

from . import accounts, emails, login_throttle, passwords
from .errors import WrongPassword
from .models import Account, ContractStanding, InvoiceStanding, LoginName, account_key, login_key
from .settings import settings

logger = Logger(child=True)

# what invoices and payment records keep, and how long (docs/PRIVACY.md): told to the customer
KEPT_YEARS = 10


class AccountNotClosable(Conflict):
    """A contract still runs or an amount is due: the body says which (`reasons`)."""

    code = "account_not_closable"

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__()
        self.reasons = reasons

    def body(self, language: str = "en") -> dict[str, Any]:
        answer = super().body(language)
        answer["error"]["reasons"] = [
            {**reason, "message": render(_said(reason), language)} for reason in self.reasons
        ]
        return answer


def _said(reason: dict[str, Any]) -> Phrase:
    if reason["kind"] == "contract_running":
        return Phrase("error.closure_contract_running", label=reason["label"])
    amount = f"{reason['amount_due_cents'] / 100:.2f} {reason['currency']}"
    return Phrase("error.closure_amount_due", number=reason["number"], amount=amount)


# --- the facts, from events ------------------------------------------------------------------


def _standing_pk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


def contract_started(customer_id: str, subscription_id: str, label: str, *, ended_on: str | None) -> None:
    """A contract exists (activated or imported); `ended_on` when it came already ended."""
    actions: list[Action] = [
        ContractStanding.subscription_id.set(subscription_id),
        ContractStanding.label.set(label),
    ]
    if ended_on is not None:
        actions.append(ContractStanding.ended_on.set(ContractStanding.ended_on | ended_on))
    ContractStanding(_standing_pk(customer_id), f"STANDING#SUB#{subscription_id}").update(actions=actions)


def contract_ended(
    customer_id: str, subscription_id: str, label: str, *, ended_on: str, stopped: bool = False
) -> None:
    """The contract's last day of service is `ended_on`; `stopped`: cancelled immediately, the
    service already stopped that day."""
    ContractStanding(_standing_pk(customer_id), f"STANDING#SUB#{subscription_id}").update(
        actions=[
            ContractStanding.subscription_id.set(subscription_id),
            ContractStanding.label.set(label),
            ContractStanding.ended_on.set(ended_on),
            ContractStanding.stopped.set(stopped),
        ]
    )


def invoice_due(
    customer_id: str, invoice_id: str, number: str, amount_due_cents: int, currency: str, due_on: str
) -> None:
    """An invoice issued with something to pay; a settlement told before it stays."""
    InvoiceStanding(_standing_pk(customer_id), f"STANDING#INVOICE#{invoice_id}").update(
        actions=[
            InvoiceStanding.invoice_id.set(invoice_id),
            InvoiceStanding.number.set(number),
            InvoiceStanding.amount_due_cents.set(amount_due_cents),
            InvoiceStanding.currency.set(currency),
            InvoiceStanding.due_on.set(due_on),
            InvoiceStanding.settled.set(InvoiceStanding.settled | False),
        ]
    )


def invoice_settled(customer_id: str, invoice_id: str, number: str) -> None:
    """Nothing is due on the invoice any more (paid in full, or void)."""
    InvoiceStanding(_standing_pk(customer_id), f"STANDING#INVOICE#{invoice_id}").update(
        actions=[
            InvoiceStanding.invoice_id.set(invoice_id),
            InvoiceStanding.number.set(number),
            InvoiceStanding.currency.set(InvoiceStanding.currency | ""),
            InvoiceStanding.amount_due_cents.set(InvoiceStanding.amount_due_cents | 0),
            InvoiceStanding.due_on.set(InvoiceStanding.due_on | ""),
            InvoiceStanding.settled.set(True),
        ]
    )


def reasons(customer_id: str, *, today: date) -> list[dict[str, Any]]:
    """Why the account cannot be closed today: the contracts running, the amounts due."""
    found: list[dict[str, Any]] = []
    pk = _standing_pk(customer_id)
    for contract in ContractStanding.query(pk, ContractStanding.sk.startswith("STANDING#SUB#")):
        day = today.isoformat()
        if (
            contract.ended_on is None
            or contract.ended_on > day
            or (contract.ended_on == day and not contract.stopped)
        ):
            found.append(
                {
                    "kind": "contract_running",
                    "subscription_id": contract.subscription_id,
                    "label": contract.label,
                    "ends_on": contract.ended_on,
                }
            )
    for invoice in InvoiceStanding.query(pk, InvoiceStanding.sk.startswith("STANDING#INVOICE#")):
        if not invoice.settled and invoice.amount_due_cents > 0:
            found.append(
                {
                    "kind": "amount_due",
                    "invoice_id": invoice.invoice_id,
                    "number": invoice.number,
                    "amount_due_cents": int(invoice.amount_due_cents),
                    "currency": invoice.currency,
                }
            )
    return found


# --- closing ---------------------------------------------------------------------------------


def close(customer_id: str, password: str, *, now: datetime, today: date) -> None:
    """Close the account (see the module); raises WrongPassword or AccountNotClosable."""
    from guichet_contracts.domain_events.auth import CustomerClosed

    account = accounts.get(customer_id)
    if account.status != "closed":
        attempt = login_throttle.begin(login_throttle.key_for_account(customer_id), now=now)
        if not passwords.verify(account.password_hash, password):
            raise WrongPassword(fields={"password": Phrase("field.not_correct")})
        attempt.succeeded()
        blocking = reasons(customer_id, today=today)
        if blocking:
            raise AccountNotClosable(blocking)
        _mark_closed(account, now=now)
    events.publish(CustomerClosed(customer_id=customer_id, closed_on=today), bus_name=settings.event_bus_name)
    logger.info("account closed", extra={"customer_id": customer_id})


def _mark_closed(account: Account, *, now: datetime) -> None:
    """Tell the customer what is kept, then end every way in: status closed, sessions revoked,
    login names gone. The rest is erased on CustomerClosed (personal_data.erase)."""
    from . import sessions

    emails.security_notice(
        "account_closed",
        account,
        first_name=account.first_name,
        customer_id=account.customer_id,
        closed_at=formatting.moment(now, account.language),
        years=KEPT_YEARS,
        kept_until=str(now.year + KEPT_YEARS),
    )
    try:
        Account(*account_key(account.customer_id)).update(
            actions=[Account.status.set("closed"), Account.closed_at.set(now), Account.password_hash.set("")],
            condition=Account.status != "closed",
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    sessions.revoke_all(account.customer_id, now=now)
    for kind, value in (("email", account.email), ("phone", account.phone)):
        if value:
            try:
                LoginName(*login_key(kind, value)).delete(
                    condition=LoginName.customer_id == account.customer_id
                )
            except DeleteError as error:  # gone already, or another account's since
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise


def erase_on_event(customer_id: str) -> int:
    from . import personal_data

    return personal_data.erase(customer_id)
