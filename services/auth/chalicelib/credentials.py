"""Passwords over time: forgotten (a single-use link by email), reset, and changed.

A reset link is bound to the password as it was when it was sent: once the password changes (by
this link, a newer one, or a change from a session), every link sent before is dead.

"Forgot" answers the same 202 whatever the login, and takes the same time: the work for a
known login happens, and an unknown one waits as long as that work usually takes.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import formatting
from guichet_contracts.words import Phrase
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from . import accounts, emails, login_throttle, opaque_tokens, passwords, sessions
from .errors import ConcurrentUpdate, InvalidToken, ValidationFailed, WrongPassword
from .models import Account

logger = Logger(child=True)

RESET_MINUTES = 60
_FORGOT_FLOOR_SECONDS = 0.4  # longer than the known-login path takes (one write, one email)


def forgot(login: str, *, now: datetime) -> None:
    started = time.monotonic()
    account = sessions.find_account(sessions.resolve_login(login))
    if account is not None and account.status == "invited":
        # imported, no password yet: what it lacks is its invitation (invitations.py)
        from . import invitations

        invitations.invite_again(account, now=now)
    elif account is not None:
        mail_reset_link(account, now=now, capped=True)
    remaining = _FORGOT_FLOOR_SECONDS - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)


def mail_reset_link(account: Account, *, now: datetime, capped: bool = False) -> None:
    """A link to choose a new password, to the account's email (`capped`: counted against the
    mails one address may get in an hour, for a request anyone can make)."""
    token, digest = opaque_tokens.new_token(32)
    accounts.one_time(
        "RESET",
        digest,
        account.customer_id,
        now + timedelta(minutes=RESET_MINUTES),
        reference=_password_version(account),
    ).save()
    context: dict[str, Any] = {
        "first_name": account.first_name,
        "customer_id": account.customer_id,
        "reset_url": emails.portal_link("reset-password", token=token),
        "expires_minutes": RESET_MINUTES,
    }
    if capped:
        emails.send_capped("password_reset", now=now, to=account.email, language=account.language, **context)
    else:
        emails.send("password_reset", to=account.email, language=account.language, **context)
    logger.info("password reset mailed", extra={"customer_id": account.customer_id})


def reset(token: str, new_password: str, *, now: datetime, ip: str | None = None) -> None:
    # The link stays usable until a valid password is chosen: check it before using the token up.
    item = accounts.peek_token("RESET", token, now=now)
    account = accounts.get(item.customer_id)
    if item.reference != _password_version(account):
        # the password changed since the link was sent (reset by a newer link, or changed)
        accounts.consume_token("RESET", token, now=now)
        raise InvalidToken()
    passwords.check_policy(
        new_password, field="new_password", personal=[account.email, account.first_name, account.last_name]
    )
    accounts.consume_token("RESET", token, now=now)
    actions: list[Action] = [
        Account.password_hash.set(passwords.hash_password(new_password)),
        Account.password_changed_at.set(now),
        Account.updated_at.set(now),
    ]
    if account.status == "pending_verification":
        # The link reached the mailbox: that proves the address as well as a verification link.
        actions += [Account.status.set("active"), Account.email_verified_at.set(now)]
    try:  # two links used at once: the first one sets the password
        account.update(actions=actions, condition=Account.password_hash == account.password_hash)
    except UpdateError:
        raise InvalidToken() from None
    sessions.revoke_all(account.customer_id, now=now)
    # the mailbox proved who asks: the locks of this login, and from this address, are lifted
    login_throttle.clear(login_throttle.key_for_account(account.customer_id))
    login_throttle.clear(
        login_throttle.key_for_login(login_throttle.key_for_account(account.customer_id), ip)
    )
    _notify_changed(account, now=now, all_sessions=True)


def change(
    customer_id: str, current_session_id: str, current_password: str, new_password: str, *, now: datetime
) -> None:
    account = accounts.get(customer_id)
    attempt = login_throttle.begin(login_throttle.key_for_account(customer_id), now=now)
    if not passwords.verify(account.password_hash, current_password):
        raise WrongPassword(fields={"current_password": Phrase("field.not_correct")})
    attempt.succeeded()
    if current_password == new_password:
        raise ValidationFailed(fields={"new_password": Phrase("field.same_password")})
    passwords.check_policy(
        new_password, field="new_password", personal=[account.email, account.first_name, account.last_name]
    )
    try:
        account.update(
            actions=[
                Account.password_hash.set(passwords.hash_password(new_password)),
                Account.password_changed_at.set(now),
                Account.updated_at.set(now),
            ],
            condition=Account.password_hash == account.password_hash,
        )
    except UpdateError:
        raise ConcurrentUpdate() from None
    sessions.revoke_all(customer_id, now=now, keep=current_session_id)
    _notify_changed(account, now=now, all_sessions=False)


def _password_version(account: Account) -> str:
    """What a reset link is bound to: the password as it was when the link was sent."""
    changed = account.password_changed_at
    return changed.isoformat() if changed else "initial"


def _notify_changed(account: Account, *, now: datetime, all_sessions: bool) -> None:
    emails.security_notice(
        "password_changed",
        account,
        first_name=account.first_name,
        customer_id=account.customer_id,
        changed_at=formatting.moment(now, account.language),
        forgot_url=emails.portal_link("forgot-password"),
        all_sessions=all_sessions,
    )
