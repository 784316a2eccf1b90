"""Recovering an account whose email is out of reach (seed 003: a procedure for a customer whose
email is no longer reachable), decided by the provider.

The customer sends a request from the portal (`POST /auth/recovery-requests`): the customer id,
an address or a phone number to be answered at, and a message saying who they are. The answer is
the same whatever the id names (no enumeration), the requests are counted per client address
like the other requests that mail someone (login_throttle.spend), and the contact address gets
an acknowledgement capped per address (emails.send_capped), which says nothing of the account.
When the id names an active account, a case opens, one at a time per account (a second request
while one is open changes nothing), and the account's own addresses are told (a security
notice: if the request is not theirs, they say so to the provider).

The provider's support checks the requester's identity its own way and decides through the
operator API (scope customers:write): approve with the new email, which becomes the account's
login email at once (unique as at registration), every session is closed, the new address gets
a link to choose a password, and the old addresses are told; or refuse with a reason mailed to
the contact address. A decided case is never decided again.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import formatting
from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from . import accounts, credentials, email_changes, emails, sessions
from .errors import ConcurrentUpdate, EmailUnavailable, NotFound, RecoveryDecided, ValidationFailed
from .models import (
    Account,
    RecoveryCase,
    RecoveryOpen,
    account_key,
    transaction,
)

logger = Logger(child=True)

OPEN = "RECOVERY_OPEN"  # due_pk of an open case (the `due` index lists them for the operators)
KEPT_DAYS = 400  # a decided case is kept a year and more, the record of who changed the login


def case_key(case_id: str) -> tuple[str, str]:
    return f"RECOVERY#{case_id}", "RECOVERY"


def request(body: Any, *, now: datetime, ip: str | None) -> None:
    """Open a case for the account the customer id names, if it is an active one; acknowledge to
    the contact address either way."""
    if body.contact_email is None and body.contact_phone is None:
        raise ValidationFailed(fields={"contact_email": Phrase("field.contact_required")})
    customer_id = accounts.canonical_customer_id(body.customer_id)
    account = _account(customer_id) if customer_id else None
    if account is not None and account.status == "active":
        _open(account, body, now=now, ip=ip)
    if body.contact_email:
        emails.send_capped(
            "recovery_received",
            now=now,
            to=body.contact_email,
            language=body.language,
            customer_id=body.customer_id,
        )


def _account(customer_id: str) -> Account | None:
    try:
        return Account.get(*account_key(customer_id))
    except DoesNotExist:
        return None


def _open(account: Account, body: Any, *, now: datetime, ip: str | None) -> None:
    case_id = uuid.uuid4().hex
    try:
        with transaction() as write:
            write.save(
                RecoveryOpen(f"CUSTOMER#{account.customer_id}", "RECOVERY_OPEN", case_id=case_id),
                condition=RecoveryOpen.pk.does_not_exist(),
            )
            write.save(
                RecoveryCase(
                    *case_key(case_id),
                    case_id=case_id,
                    customer_id=account.customer_id,
                    contact_email=body.contact_email,
                    contact_phone=body.contact_phone,
                    message=body.message,
                    language=body.language,
                    status="open",
                    opened_at=now,
                    ip=ip,
                    expires_at_epoch=int((now + timedelta(days=KEPT_DAYS)).timestamp()),
                    due_pk=OPEN,
                    due_at=f"{accounts.iso(now)}#{case_id}",
                ),
                condition=RecoveryCase.pk.does_not_exist(),
            )
    except TransactWriteError as error:
        if not accounts.failed_conditions(error):
            raise
        logger.info(
            "recovery requested again while a case is open", extra={"customer_id": account.customer_id}
        )
        return
    emails.security_notice(
        "recovery_requested",
        account,
        first_name=account.first_name,
        customer_id=account.customer_id,
        requested_at=formatting.moment(now, account.language),
    )
    logger.info("recovery case opened", extra={"customer_id": account.customer_id, "case_id": case_id})


def open_cases() -> list[RecoveryCase]:
    """The open cases, oldest first."""
    keys = [item.pk for item in Account.due.query(OPEN)]
    found = {case.pk: case for case in RecoveryCase.batch_get([(pk, "RECOVERY") for pk in keys])}
    return [found[pk] for pk in keys if pk in found]


def get(case_id: str) -> RecoveryCase:
    try:
        return RecoveryCase.get(*case_key(case_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound() from None


def approve(case_id: str, new_email: str, *, operator: str, now: datetime) -> RecoveryCase:
    """The provider checked who asks: `new_email` becomes the account's login email, its sessions
    end, and the new address gets a link to choose a password."""
    case = _open_case(case_id)
    account = accounts.get(case.customer_id)
    old_email = account.email
    try:
        with transaction() as write:
            _decide(write, case, "approved", operator, now, RecoveryCase.new_email.set(new_email))
            if new_email != old_email:
                write.update(
                    account,
                    actions=[
                        Account.email.set(new_email),
                        Account.email_verified_at.set(now),
                        Account.updated_at.set(now),
                    ],
                    condition=Account.email == old_email,
                )
                accounts.move_login_email(write, account.customer_id, old_email, new_email)
    except TransactWriteError as error:
        failed = accounts.failed_conditions(error)
        if not failed:
            raise
        # sent as deletes (the open mark, the old address), puts (the new address), updates (the
        # case, the account): the case's condition is the first update's
        changing = new_email != old_email
        if (3 if changing else 1) in failed:
            raise RecoveryDecided() from None
        if 2 in failed:
            raise EmailUnavailable(fields={"new_email": Phrase("field.taken")}) from None
        raise ConcurrentUpdate() from None
    account.refresh()
    sessions.revoke_all(account.customer_id, now=now)
    if new_email != old_email:
        email_changes.changed(account, old_email)
    credentials.mail_reset_link(account, now=now)
    logger.info(
        "recovery case approved",
        extra={"customer_id": account.customer_id, "case_id": case_id, "operator": operator},
    )
    return get(case_id)


def refuse(case_id: str, reason: str, *, operator: str, now: datetime) -> RecoveryCase:
    case = _open_case(case_id)
    try:
        with transaction() as write:
            _decide(write, case, "refused", operator, now, RecoveryCase.reason.set(reason))
    except TransactWriteError as error:
        if not accounts.failed_conditions(error):
            raise
        raise RecoveryDecided() from None
    if case.contact_email:
        emails.send(
            "recovery_refused",
            to=case.contact_email,
            language=case.language,
            customer_id=case.customer_id,
            reason=reason,
        )
    logger.info(
        "recovery case refused",
        extra={"customer_id": case.customer_id, "case_id": case_id, "operator": operator},
    )
    return get(case_id)


def _decide(write: Any, case: RecoveryCase, status: str, operator: str, now: datetime, *actions: Any) -> None:
    """In the transaction `write`: the open case decided (on the condition that it is still open),
    and the account free to open another."""
    write.update(
        case,
        actions=[
            RecoveryCase.status.set(status),
            RecoveryCase.decided_at.set(now),
            RecoveryCase.decided_by.set(operator),
            RecoveryCase.due_pk.remove(),
            RecoveryCase.due_at.remove(),
            *actions,
        ],
        condition=RecoveryCase.status == "open",
    )
    write.delete(RecoveryOpen(f"CUSTOMER#{case.customer_id}", "RECOVERY_OPEN"))


def _open_case(case_id: str) -> RecoveryCase:
    case = get(case_id)
    if case.status != "open":
        raise RecoveryDecided()
    return case


def as_dict(case: RecoveryCase) -> dict[str, Any]:
    """A case as the operators see it, with what the account holds to check the requester against."""
    account = _account(case.customer_id)
    return {
        "case_id": case.case_id,
        "customer_id": case.customer_id,
        "status": case.status,
        "contact_email": case.contact_email,
        "contact_phone": case.contact_phone,
        "message": case.message,
        "opened_at": accounts.iso(case.opened_at),
        "decided_at": accounts.iso(case.decided_at) if case.decided_at else None,
        "decided_by": case.decided_by,
        "new_email": case.new_email,
        "reason": case.reason,
        "account": None
        if account is None
        else {
            "first_name": account.first_name,
            "last_name": account.last_name,
            "email": account.email,
            "backup_email": account.backup_email,
            "phone": account.phone,
        },
    }
