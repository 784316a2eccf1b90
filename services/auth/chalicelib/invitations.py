"""Invitations: how a customer imported by the provider gets into their account.

An imported account has no password (status `invited`): nobody can log in to it, and a password
reset asked for it mails a fresh invitation instead of a reset link. The invitation mail shows
the customer id and carries a one-use link (a CSPRNG token, stored only as its SHA-256 digest,
valid `VALID_DAYS`) to the portal's page `activate`, where the customer chooses a password:
the account is then active, its email proven by the link, and the customer logs in with the
customer id (or the email, or the phone).

Each account is invited once: its Invitation item says when the mail went, so importing the
same file again, or a job run taken up again, mails nobody twice. Tokens and Invitation items
of a batch are written with BatchWriteItem (no condition is needed: a token is new, and the
Invitation item is the account's own), 25 to a request. Mails are paced to
`settings.invitation_mails_per_second` (SES's sending rate; 0 for no pause).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger
from pynamodb.exceptions import UpdateError

from . import accounts, emails, opaque_tokens, passwords
from .errors import InvalidToken
from .models import Account, Invitation, OneTimeToken, invitation_key
from .settings import settings

logger = Logger(child=True)

VALID_DAYS = 7
BATCH = 100  # accounts read and invited together (their tokens written 25 to a request)
KIND = "INVITE"


def invite_pending(candidates: list[Account], *, now: datetime) -> int:
    """Mail an invitation to each of these accounts still invited and never mailed one; how many."""
    invited = [account for account in candidates if account.status == "invited"]
    if not invited:
        return 0
    keys = [invitation_key(account.customer_id) for account in invited]
    mailed = {item.pk for item in Invitation.batch_get(keys) if item.sent_at is not None}
    due = [account for account in invited if invitation_key(account.customer_id)[0] not in mailed]
    return _send(due, now=now)


def invite_again(account: Account, *, now: datetime) -> bool:
    """A fresh invitation for an account still invited (its owner asked for a password reset),
    within the per-address cap of the mails anyone can trigger (emails.send_capped)."""
    if account.status != "invited":
        return False
    return _send([account], now=now, capped=True) == 1


def _send(due: list[Account], *, now: datetime, capped: bool = False) -> int:
    expires_at = now + timedelta(days=VALID_DAYS)
    links = {account.customer_id: opaque_tokens.new_token() for account in due}
    with OneTimeToken.batch_write() as batch:
        for account in due:
            _token, digest = links[account.customer_id]
            batch.save(accounts.one_time(KIND, digest, account.customer_id, expires_at))
    pause = 1 / settings.invitation_mails_per_second if settings.invitation_mails_per_second else 0
    sent: list[Account] = []
    for account in due:
        started = time.monotonic()
        token, _digest = links[account.customer_id]
        context = {
            "first_name": account.first_name,
            "customer_id": account.customer_id,
            "activate_url": emails.portal_link("activate", token=token),
            "expires_days": VALID_DAYS,
        }
        if capped:
            if not emails.send_capped(
                "invitation", to=account.email, language=account.language, now=now, **context
            ):
                continue
        else:
            emails.send("invitation", to=account.email, language=account.language, **context)
        sent.append(account)
        if pause:
            time.sleep(max(0.0, pause - (time.monotonic() - started)))
    with Invitation.batch_write() as batch:
        for account in sent:
            batch.save(
                Invitation(
                    *invitation_key(account.customer_id),
                    digest=links[account.customer_id][1],
                    expires_at=expires_at,
                    sent_at=now,
                )
            )
    if sent:
        logger.info("invitations mailed", extra={"count": len(sent)})
    return len(sent)


def activate(token: str, password: str, *, now: datetime) -> Account:
    """Set the first password of an invited account from its link; the link is then used up.
    A link of an account already active (activated by another link) is refused like a used one."""
    item = accounts.peek_token(KIND, token, now=now)
    account = accounts.get(item.customer_id)
    if account.status != "invited":
        accounts.consume_token(KIND, token, now=now)
        raise InvalidToken()
    passwords.check_policy(
        password, field="password", personal=[account.email, account.first_name, account.last_name]
    )
    try:
        account.update(
            actions=[
                Account.status.set("active"),
                Account.password_hash.set(passwords.hash_password(password)),
                Account.password_changed_at.set(now),
                Account.email_verified_at.set(now),  # the link reached the mailbox
                Account.updated_at.set(now),
            ],
            condition=Account.status == "invited",
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise  # not activated: the link is kept for the retry
        raise InvalidToken() from None  # another link activated it meanwhile
    accounts.consume_token(KIND, token, now=now)
    logger.info("invited customer activated", extra={"customer_id": account.customer_id})
    return account
