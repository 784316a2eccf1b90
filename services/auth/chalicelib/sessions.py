"""Sessions: login, refresh-token rotation with reuse detection, logout and revocation.

A session is a refresh-token family. Each refresh rotates the token in one transaction that
also checks the session is alive; presenting a rotated token again revokes the whole family.
Access tokens are short (≤ 15 min) and are not looked up: revoking a session stops its refresh.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from . import accounts, login_throttle, opaque_tokens, passwords, token_signing
from .errors import EmailNotVerified, InvalidCredentials, InvalidRefreshToken, NotFound
from .models import Account, RefreshToken, Session, account_key, session_key, token_key, transaction
from .settings import settings

logger = Logger(child=True)


def resolve_login(login: str) -> tuple[str, str] | None:
    """What a login names: ("customer", id), ("email", address) or ("phone", E.164)."""
    from .schemas import normalise_email, normalise_phone

    customer_id = accounts.canonical_customer_id(login)
    if customer_id:
        return "customer", customer_id
    try:
        return ("email", normalise_email(login)) if "@" in login else ("phone", normalise_phone(login))
    except ValueError:
        return None


def find_account(resolved: tuple[str, str] | None) -> Account | None:
    if resolved is None:
        return None
    kind, value = resolved
    if kind == "customer":
        try:
            return Account.get(*account_key(value))
        except DoesNotExist:
            return None
    return accounts.by_login_name(kind, value)


def check_password(login: str, password: str, *, now: datetime, ip: str | None) -> Account:
    """The active account this login and password name, or InvalidCredentials (throttled:
    login_throttle.py). Opening its session is the caller's: `open_session`, or for an account
    with a second factor second_factor.challenge first."""
    resolved = resolve_login(login)
    account = find_account(resolved)
    if account is not None:
        key = login_throttle.key_for_account(account.customer_id)
    else:
        key = login_throttle.key_for_unknown_login(resolved[1] if resolved else login.strip().lower())
    attempts = login_throttle.begin_login(key, ip, now=now)
    if account is None or account.status == "invited":  # invited: no password until activated
        passwords.verify_nothing(password)
        raise InvalidCredentials()
    if not passwords.verify(account.password_hash, password):
        raise InvalidCredentials()
    for attempt in attempts:
        attempt.succeeded()
    if account.status != "active":
        raise EmailNotVerified()
    if passwords.needs_rehash(account.password_hash):
        _rehash(account, password)
    return account


def open_session(
    account: Account,
    amr: list[str],
    *,
    now: datetime,
    user_agent: str | None,
    ip: str | None,
    remember: bool | None = None,
    device: str | None = None,
) -> tuple[dict[str, Any], str]:
    """A session for a customer who proved who they are by `amr` (RFC 8176 methods), and the
    device cookie's token (a login from a device the account does not know mails a notice)."""
    from . import login_notices

    session_id = uuid.uuid4().hex
    pair = start(
        account.customer_id,
        now=now,
        user_agent=user_agent,
        ip=ip,
        remember=remember,
        session_id=session_id,
        amr=amr,
    )
    device = login_notices.recognise(
        account, session_id=session_id, presented=device, user_agent=user_agent, ip=ip, now=now
    )
    return pair, device


def _rehash(account: Account, password: str) -> None:
    """The hashing parameters rose since this hash was made: store it again with the new ones."""
    try:
        account.update(
            actions=[Account.password_hash.set(passwords.hash_password(password))],
            condition=Account.password_hash == account.password_hash,
        )
    except UpdateError:
        pass  # changed meanwhile (password change): the newer hash stands


def start(
    customer_id: str,
    *,
    now: datetime,
    user_agent: str | None,
    ip: str | None,
    remember: bool | None = None,
    session_id: str | None = None,
    amr: list[str] | None = None,
) -> dict[str, Any]:
    """A new session (of `session_id`, else a new id) and its first pair; `remember` (not None for a
    session kept in the cookie) goes with every refresh token of the session; `amr`: how the
    customer signed in (a password alone unless said)."""
    amr = amr or ["pwd"]
    session_id = session_id or uuid.uuid4().hex
    expires_at = now + timedelta(days=settings.refresh_token_days)
    token, digest = opaque_tokens.new_token(32)
    with transaction() as write:
        write.save(
            Session(
                *session_key(customer_id, session_id),
                session_id=session_id,
                customer_id=customer_id,
                created_at=now,
                last_used_at=now,
                expires_at=expires_at,
                expires_at_epoch=int(expires_at.timestamp()),
                user_agent=(user_agent or "")[:256] or None,
                ip=ip,
                amr=amr,
                auth_time=now,
            ),
            condition=Session.pk.does_not_exist(),
        )
        write.save(_refresh_item(digest, customer_id, session_id, expires_at, remember))
    logger.info("session started", extra={"customer_id": customer_id, "session_id": session_id, "amr": amr})
    return _token_pair(customer_id, session_id, token, now, amr=amr, auth_time=now)


def _refresh_item(
    digest: str, customer_id: str, session_id: str, expires_at: datetime, remember: bool | None
) -> RefreshToken:
    return RefreshToken(
        *token_key("REFRESH", digest),
        customer_id=customer_id,
        session_id=session_id,
        state="active",
        expires_at=expires_at,
        expires_at_epoch=int(expires_at.timestamp()),
        remember=remember,
    )


def _token_pair(
    customer_id: str,
    session_id: str,
    refresh_token: str,
    now: datetime,
    *,
    amr: list[str] | None,
    auth_time: datetime | None,
) -> dict[str, Any]:
    access_token, lifetime = token_signing.issue_access_token(
        customer_id=customer_id, session_id=session_id, now=now, amr=amr, auth_time=auth_time
    )
    return {
        "access_token": access_token,
        "refresh_token": refresh_token,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "session_id": session_id,
    }


def refresh(refresh_token: str, *, now: datetime) -> dict[str, Any]:
    """A new pair for a valid refresh token, which is rotated (used up). A rotated token presented
    again is reuse — a stolen copy — and ends its session, except within a few seconds of its
    rotation (`GRACE`): two tabs refreshing at once both get the same successor."""
    try:
        current = RefreshToken.get(*token_key("REFRESH", opaque_tokens.digest(refresh_token)))
    except DoesNotExist:
        raise InvalidRefreshToken() from None
    if current.expires_at <= now:
        raise InvalidRefreshToken()
    if current.state != "active":
        return _again_or_reuse(current, refresh_token, now=now)
    token, digest = opaque_tokens.new_token(32)
    try:
        with transaction() as write:
            write.update(
                current,
                actions=[
                    RefreshToken.state.set("rotated"),
                    RefreshToken.rotated_at.set(now),
                    RefreshToken.successor_sealed.set(opaque_tokens.seal(token, with_token=refresh_token)),
                ],
                condition=RefreshToken.state == "active",
            )
            write.save(
                _refresh_item(
                    digest, current.customer_id, current.session_id, current.expires_at, current.remember
                )
            )
            write.update(
                Session(*session_key(current.customer_id, current.session_id)),
                actions=[Session.last_used_at.set(now)],
                condition=Session.pk.exists() & Session.revoked_at.does_not_exist(),
            )
    except TransactWriteError as error:
        # PynamoDB sends deletes, then puts, then updates: the old token's condition is item 1
        if 1 in accounts.failed_conditions(error):
            # rotated meanwhile by a concurrent refresh: its successor, within the grace window
            rotated = RefreshToken.get(*token_key("REFRESH", opaque_tokens.digest(refresh_token)))
            return _again_or_reuse(rotated, refresh_token, now=now)
        raise InvalidRefreshToken() from None
    return _session_pair(current.customer_id, current.session_id, token, now)


def _session_pair(customer_id: str, session_id: str, refresh_token: str, now: datetime) -> dict[str, Any]:
    """The pair of a refresh: the access token says how and when the session's sign-in (or its
    last step-up) was, not the refresh's time."""
    session = Session.get(*session_key(customer_id, session_id), consistent_read=True)
    return _token_pair(
        customer_id,
        session_id,
        refresh_token,
        now,
        amr=list(session.amr) if session.amr else None,
        auth_time=session.auth_time or session.created_at,
    )


def reauthenticated(customer_id: str, session_id: str, amr: list[str], *, now: datetime) -> dict[str, Any]:
    """A step-up: the session's customer proved again who they are (by `amr`), now. The session
    remembers it (its later refreshes say it too) and a fresh access token says it."""
    try:
        Session(*session_key(customer_id, session_id)).update(
            actions=[Session.amr.set(amr), Session.auth_time.set(now)],
            condition=Session.pk.exists() & Session.revoked_at.does_not_exist(),
        )
    except UpdateError:
        raise InvalidRefreshToken() from None  # the session ended meanwhile
    access_token, lifetime = token_signing.issue_access_token(
        customer_id=customer_id, session_id=session_id, now=now, amr=amr, auth_time=now
    )
    return {"access_token": access_token, "token_type": "Bearer", "expires_in": lifetime}


GRACE = timedelta(seconds=10)


def _again_or_reuse(rotated: RefreshToken, refresh_token: str, *, now: datetime) -> dict[str, Any]:
    """A rotated token presented again: its immediate successor if it was rotated within `GRACE`
    and that successor is still the session's live token; else reuse, which ends the session."""
    successor = None
    if rotated.rotated_at is not None and now - rotated.rotated_at <= GRACE and rotated.successor_sealed:
        successor = opaque_tokens.unseal(rotated.successor_sealed, with_token=refresh_token)
    if successor is not None:
        try:
            live = RefreshToken.get(
                *token_key("REFRESH", opaque_tokens.digest(successor)), consistent_read=True
            )
        except DoesNotExist:
            live = None
        try:
            session = Session.get(*session_key(rotated.customer_id, rotated.session_id), consistent_read=True)
        except DoesNotExist:
            session = None
        alive = session is not None and session.revoked_at is None and session.expires_at > now
        if live is not None and live.state == "active" and alive:
            logger.info(
                "concurrent refresh answered with the same successor",
                extra={"customer_id": rotated.customer_id, "session_id": rotated.session_id},
            )
            return _session_pair(rotated.customer_id, rotated.session_id, successor, now)
    _revoke_family(rotated, now=now, reason="a rotated refresh token was presented again")
    raise InvalidRefreshToken()


def _revoke_family(token: RefreshToken, *, now: datetime, reason: str) -> None:
    logger.warning(
        "refresh token family revoked",
        extra={"customer_id": token.customer_id, "session_id": token.session_id, "reason": reason},
    )
    revoke(token.customer_id, token.session_id, now=now)


def cookie_life(refresh_token: str, *, now: datetime) -> int | None:
    """How long the session cookie holding this (live) refresh token lasts: the seconds the token
    has left if its login asked to stay signed in, None (a cookie of the browser's session) if not."""
    token = RefreshToken.get(*token_key("REFRESH", opaque_tokens.digest(refresh_token)), consistent_read=True)
    if not token.remember:
        return None
    return max(0, int((token.expires_at - now).total_seconds()))


def logout(refresh_token: str, *, now: datetime) -> None:
    try:
        token = RefreshToken.get(*token_key("REFRESH", opaque_tokens.digest(refresh_token)))
    except DoesNotExist:
        return
    revoke(token.customer_id, token.session_id, now=now)


def revoke(customer_id: str, session_id: str, *, now: datetime) -> bool:
    """Revoke a session; False when it does not exist or was already revoked."""
    try:
        Session(*session_key(customer_id, session_id)).update(
            actions=[Session.revoked_at.set(now)],
            condition=Session.pk.exists() & Session.revoked_at.does_not_exist(),
        )
    except UpdateError:
        return False
    return True


def active(customer_id: str, *, now: datetime) -> list[Session]:
    return [
        session
        for session in Session.query(
            f"CUSTOMER#{customer_id}",
            Session.sk.startswith("SESSION#"),
            filter_condition=Session.revoked_at.does_not_exist(),
        )
        if session.expires_at > now
    ]


def listing(customer_id: str, current_session_id: str, *, now: datetime) -> list[dict[str, Any]]:
    from .devices import describe

    return [
        {
            "session_id": session.session_id,
            "created_at": accounts.iso(session.created_at),
            "last_used_at": accounts.iso(session.last_used_at),
            "expires_at": accounts.iso(session.expires_at),
            "user_agent": session.user_agent,
            "device": describe(session.user_agent),
            "ip": session.ip,
            "current": session.session_id == current_session_id,
        }
        for session in sorted(active(customer_id, now=now), key=lambda s: s.last_used_at, reverse=True)
    ]


def revoke_one(customer_id: str, session_id: str, *, now: datetime) -> None:
    if not revoke(customer_id, session_id, now=now):
        raise NotFound()


def revoke_all(customer_id: str, *, now: datetime, keep: str | None = None) -> int:
    return sum(
        revoke(customer_id, session.session_id, now=now)
        for session in active(customer_id, now=now)
        if session.session_id != keep
    )
