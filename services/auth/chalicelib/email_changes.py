"""Email changes (seed 003): a code to the CURRENT address, applied on confirmation or after 24 h.

Requesting needs the password. The 6-digit code (CSPRNG, stored as a salted digest, 5
attempts) goes to the current address with a link to refuse; the new address gets a notice.
Unanswered, the change applies 24 h after the request through the scheduled job, which
reads the `due` index only. Applying is one transaction that swaps the unique LoginName and
is conditional on the request id, so confirming twice, or the job running twice, applies once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger
from guichet_contracts import formatting
from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from . import accounts, customer_events, emails, login_throttle, opaque_tokens, passwords
from .errors import (
    EmailUnavailable,
    InvalidCode,
    InvalidToken,
    NoPendingEmailChange,
    TooManyCodes,
    ValidationFailed,
    WrongPassword,
)
from .models import Account, OneTimeToken, PendingEmailChange, token_key, transaction

logger = Logger(child=True)

APPLY_AFTER = timedelta(hours=24)
MAX_ATTEMPTS = 5
DUE_PK = "EMAIL_CHANGE"


def request(customer_id: str, new_email: str, password: str, *, now: datetime) -> datetime:
    account = accounts.get(customer_id)
    attempt = login_throttle.begin(login_throttle.key_for_account(customer_id), now=now)
    if not passwords.verify(account.password_hash, password):
        raise WrongPassword(fields={"password": Phrase("field.not_correct")})
    attempt.succeeded()
    if new_email == account.email:
        raise ValidationFailed(fields={"new_email": Phrase("field.same_email")})
    request_id = uuid.uuid4().hex
    code, code_hash = opaque_tokens.new_code(salt=request_id)
    refuse_token, refuse_digest = opaque_tokens.new_token(24)
    apply_at = now + APPLY_AFTER
    pending = PendingEmailChange(
        request_id=request_id,
        new_email=new_email,
        code_hash=code_hash,
        attempts=0,
        requested_at=now,
        apply_at=apply_at,
    )
    with transaction() as write:
        # A new request replaces the one before it (its code and refusal link stop working).
        write.update(
            account,
            actions=[
                Account.pending_email.set(pending),
                Account.due_pk.set(DUE_PK),
                Account.due_at.set(f"{accounts.iso(apply_at)}#{customer_id}"),
                Account.updated_at.set(now),
            ],
            condition=Account.pk.exists(),
        )
        write.save(accounts.one_time("REFUSE", refuse_digest, customer_id, apply_at, reference=request_id))
    when = formatting.moment(apply_at, account.language)
    emails.send_capped(
        "email_change_code",
        now=now,
        to=account.email,
        language=account.language,
        first_name=account.first_name,
        customer_id=account.customer_id,
        code=code,
        new_email=new_email,
        refuse_url=emails.portal_link("email-change/refuse", token=refuse_token),
        apply_at=when,
    )
    # the one mail without the customer id: its address is not yet proven to be the customer's
    emails.send_capped(
        "email_change_notice",
        now=now,
        to=new_email,
        language=account.language,
        first_name=account.first_name,
        new_email=new_email,
        apply_at=when,
    )
    logger.info("email change requested", extra={"customer_id": customer_id})
    return apply_at


def confirm(customer_id: str, code: str, *, now: datetime) -> Account:
    account = accounts.get(customer_id)
    pending = account.pending_email
    if pending is None:
        raise NoPendingEmailChange()
    # Count the attempt before comparing, atomically, so parallel guesses cannot pass the limit.
    try:
        account.update(
            # pynamodb's stubs do not type paths into a MapAttribute
            actions=[Account.pending_email.attempts.add(1)],  # type: ignore[attr-defined]
            condition=(Account.pending_email.request_id == pending.request_id)  # type: ignore[arg-type]
            & (Account.pending_email.attempts < MAX_ATTEMPTS),  # type: ignore[attr-defined]
        )
    except UpdateError:
        account.refresh()
        if account.pending_email is None or account.pending_email.request_id != pending.request_id:
            raise NoPendingEmailChange() from None
        raise TooManyCodes(int((pending.apply_at - now).total_seconds())) from None
    if not opaque_tokens.same(opaque_tokens.code_digest(code, pending.request_id), pending.code_hash):
        raise InvalidCode(fields={"code": Phrase("field.not_correct")})
    return apply(account, pending.request_id, now=now)


def cancel(customer_id: str, *, now: datetime, request_id: str | None = None) -> None:
    account = accounts.get(customer_id)
    pending = account.pending_email
    if pending is None or (request_id and pending.request_id != request_id):
        raise NoPendingEmailChange()
    try:
        account.update(
            actions=[
                Account.pending_email.remove(),
                Account.due_pk.remove(),
                Account.due_at.remove(),
                Account.updated_at.set(now),
            ],
            condition=Account.pending_email.request_id == pending.request_id,  # type: ignore[arg-type]
        )
    except UpdateError:
        raise NoPendingEmailChange() from None


def refuse(token: str, *, now: datetime) -> None:
    """The link in the mail to the current address: cancel the request it was sent for."""
    try:
        item = OneTimeToken.get(*token_key("REFUSE", opaque_tokens.digest(token)))
    except DoesNotExist:
        raise InvalidToken() from None
    if item.expires_at <= now:
        raise InvalidToken()
    try:
        cancel(item.customer_id, now=now, request_id=item.reference)
    except NoPendingEmailChange:
        raise InvalidToken() from None
    item.delete()
    logger.info("email change refused", extra={"customer_id": item.customer_id})


def apply(account: Account, request_id: str, *, now: datetime) -> Account:
    pending = account.pending_email
    if pending is None or pending.request_id != request_id:
        raise NoPendingEmailChange()
    old_email, new_email = account.email, pending.new_email
    try:
        with transaction() as write:
            write.update(
                account,
                actions=[
                    Account.email.set(new_email),
                    Account.email_verified_at.set(now),
                    Account.pending_email.remove(),
                    Account.due_pk.remove(),
                    Account.due_at.remove(),
                    Account.updated_at.set(now),
                ],
                condition=(Account.pending_email.request_id == request_id) & (Account.email == old_email),
            )
            accounts.move_login_email(write, account.customer_id, old_email, new_email)
    except TransactWriteError as error:
        failed = accounts.failed_conditions(error)
        # sent as: delete of the old address (0), put of the new one (1), update of the account (2)
        if 1 in failed and 2 not in failed:
            # The address was taken by another account meanwhile: drop the request and say so.
            cancel(account.customer_id, now=now, request_id=request_id)
            raise EmailUnavailable(fields={"new_email": Phrase("field.taken")}) from None
        raise NoPendingEmailChange() from None
    account.refresh()
    changed(account, old_email)
    logger.info("email changed", extra={"customer_id": account.customer_id})
    return account


def changed(account: Account, old_email: str) -> None:
    """What follows a changed login email (here, or by a recovery case): the old addresses told,
    the other services too."""
    emails.security_notice(
        "email_changed",
        account,
        to=old_email,
        first_name=account.first_name,
        customer_id=account.customer_id,
        old_email=old_email,
        new_email=account.email,
        forgot_url=emails.portal_link("forgot-password"),
    )
    customer_events.updated(account, ["email"])


def apply_unanswered_changes(now: datetime) -> int:
    """Apply every change requested 24 h ago or more that nobody confirmed or refused."""
    applied = 0
    due = Account.due.query(DUE_PK, Account.due_at <= f"{accounts.iso(now)}#~")
    for key in due:
        try:
            account = Account.get(key.pk, key.sk)
        except DoesNotExist:
            continue
        pending = account.pending_email
        if pending is None or pending.apply_at > now:
            continue
        try:
            apply(account, pending.request_id, now=now)
            applied += 1
        except (NoPendingEmailChange, EmailUnavailable) as outcome:
            logger.info(
                "email change not applied", extra={"customer_id": account.customer_id, "code": outcome.code}
            )
    return applied
