"""Accounts: registration, email verification, the profile and its changes.

Email and phone are unique across accounts through LoginName items written in the same
transaction as the account, with conditions: two concurrent registrations of one address make
one account. Registering an address that already has an account answers exactly like a new
registration (no enumeration) and mails the address's owner instead.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from anyascii import anyascii
from aws_lambda_powertools import Logger
from guichet_contracts.words import Phrase
from pynamodb.exceptions import DeleteError, DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action

from . import customer_events, emails, opaque_tokens, passwords
from .errors import ConcurrentUpdate, InvalidToken, NotFound, PhoneUnavailable, ValidationFailed
from .models import Account, Address, LoginName, OneTimeToken, account_key, login_key, token_key, transaction
from .settings import settings

logger = Logger(child=True)

CUSTOMER_ID = re.compile(r"^([a-z]{2})([0-9]{6})-([A-Z0-9]{2,10})$", re.IGNORECASE | re.ASCII)
VERIFY_HOURS = 48
_ID_ATTEMPTS = 8


@dataclass(frozen=True)
class Registered:
    customer_id: str
    email: str
    status: str = "pending_verification"


def canonical_customer_id(value: str) -> str | None:
    match = CUSTOMER_ID.match(value.strip())
    if not match:
        return None
    initials, digits, suffix = match.groups()
    return f"{initials.lower()}{digits}-{suffix.upper()}"


def initials(first_name: str, last_name: str) -> str:
    """First letter of each name, transliterated to ASCII (Élodie Œuvray → eo); x when none."""

    def first_letter(name: str) -> str:
        letters = [c for c in anyascii(name).lower() if "a" <= c <= "z"]
        return letters[0] if letters else "x"

    return first_letter(first_name) + first_letter(last_name)


def new_customer_id(first_name: str, last_name: str) -> str:
    return (
        f"{initials(first_name, last_name)}{secrets.randbelow(1_000_000):06d}-{settings.customer_id_suffix}"
    )


def get(customer_id: str) -> Account:
    try:
        return Account.get(*account_key(customer_id))
    except DoesNotExist:
        raise NotFound() from None


def by_login_name(kind: str, value: str) -> Account | None:
    try:
        name = LoginName.get(*login_key(kind, value))
    except DoesNotExist:
        return None
    try:
        return Account.get(*account_key(name.customer_id))
    except DoesNotExist:
        return None


def register(body: Any, *, now: datetime) -> Registered:
    """Create a pending account and mail its verification link (schemas.Registration)."""
    passwords.check_policy(
        body.password, field="password", personal=[body.email, body.first_name, body.last_name]
    )
    token, digest = opaque_tokens.new_token()
    created = insert(body, passwords.hash_password(body.password), now=now, verification=digest)
    if created is None:
        return _already_registered(body, now=now)
    account, phone_dropped = created
    emails.send_capped(
        "verify_email",
        now=now,
        to=account.email,
        language=account.language,
        first_name=account.first_name,
        customer_id=account.customer_id,
        verify_url=emails.portal_link("verify-email", token=token),
        expires_hours=VERIFY_HOURS,
        phone_dropped=phone_dropped,
    )
    customer_events.registered(account)
    logger.info("customer registered", extra={"customer_id": account.customer_id})
    return Registered(customer_id=account.customer_id, email=account.email)


def insert(
    body: Any, password_hash: str, *, now: datetime, verification: str | None
) -> tuple[Account, bool] | None:
    """Write a new account with its unique login names; None when the email has an account.

    With a `verification` digest the account waits for its email to be confirmed; without one
    (customers imported by the provider, demo data) it is active at once. Returns the account
    and whether its phone was left out because another account has it.
    """
    phone = body.phone
    for _attempt in range(_ID_ATTEMPTS):
        customer_id = new_customer_id(body.first_name, body.last_name)
        account = Account(
            *account_key(customer_id),
            customer_id=customer_id,
            status="pending_verification" if verification else "active",
            email=body.email,
            password_hash=password_hash,
            first_name=body.first_name,
            last_name=body.last_name,
            phone=phone,
            backup_email=body.backup_email,
            language=body.language,
            company=body.company or None,
            siren=body.siren,
            siret=body.siret,
            vat_number=body.vat_number,
            address=Address(**body.address.model_dump()) if body.address else None,
            created_at=now,
            updated_at=now,
            email_verified_at=None if verification else now,
        )
        try:
            with transaction() as write:
                write.save(account, condition=Account.pk.does_not_exist())
                write.save(
                    LoginName(*login_key("email", body.email), customer_id=customer_id),
                    condition=LoginName.pk.does_not_exist(),
                )
                if phone:
                    write.save(
                        LoginName(*login_key("phone", phone), customer_id=customer_id),
                        condition=LoginName.pk.does_not_exist(),
                    )
                if verification:
                    write.save(
                        one_time("VERIFY", verification, customer_id, now + timedelta(hours=VERIFY_HOURS))
                    )
        except TransactWriteError as error:
            failed = failed_conditions(error)
            if 1 in failed:
                return None
            if 2 in failed and phone:
                phone = None  # the number belongs to another account: register without it, and say so
                continue
            if 0 in failed:
                continue  # customer id already taken: draw other digits
            raise
        return account, bool(body.phone and not phone)
    raise RuntimeError("could not draw a free customer id")


def failed_conditions(error: TransactWriteError) -> set[int]:
    """Positions of the items whose condition failed, in the order PynamoDB sent them:
    condition checks, then deletes, then puts, then updates (each kind in call order)."""
    reasons = getattr(error, "cancellation_reasons", None) or []
    return {i for i, reason in enumerate(reasons) if reason and reason.code == "ConditionalCheckFailed"}


def move_login_email(write: Any, customer_id: str, old_email: str, new_email: str) -> None:
    """In the transaction `write`: the unique login name of `old_email` (the customer's) handed
    over to `new_email` (nobody's): a delete then a put, each on its condition."""
    write.delete(LoginName(*login_key("email", old_email)), condition=LoginName.customer_id == customer_id)
    write.save(
        LoginName(*login_key("email", new_email), customer_id=customer_id),
        condition=LoginName.pk.does_not_exist(),
    )


def one_time(
    kind: str, digest: str, customer_id: str, expires_at: datetime, reference: str | None = None
) -> OneTimeToken:
    return OneTimeToken(
        *token_key(kind, digest),
        customer_id=customer_id,
        expires_at=expires_at,
        expires_at_epoch=int(expires_at.timestamp()),
        reference=reference,
    )


def _already_registered(body: Any, *, now: datetime) -> Registered:
    """The address has an account: mail its owner and answer as for a new one."""
    existing = by_login_name("email", body.email)
    decoy = Registered(customer_id=new_customer_id(body.first_name, body.last_name), email=body.email)
    if existing is None:
        return decoy
    verify_url = None
    if existing.status == "pending_verification":
        token, digest = opaque_tokens.new_token()
        one_time("VERIFY", digest, existing.customer_id, now + timedelta(hours=VERIFY_HOURS)).save()
        verify_url = emails.portal_link("verify-email", token=token)
    emails.send_capped(
        "account_exists",
        now=now,
        to=existing.email,
        language=existing.language,
        first_name=existing.first_name,
        customer_id=existing.customer_id,
        login_url=emails.portal_link("login"),
        forgot_url=emails.portal_link("forgot-password"),
        verify_url=verify_url,
    )
    logger.info("registration of a known address", extra={"customer_id": existing.customer_id})
    return decoy


def peek_token(kind: str, token: str, *, now: datetime) -> OneTimeToken:
    """The one-time token's item if it is valid now, without using it up."""
    try:
        item = OneTimeToken.get(*token_key(kind, opaque_tokens.digest(token)))
    except DoesNotExist:
        raise InvalidToken() from None
    if item.expires_at <= now:
        raise InvalidToken()
    return item


def consume_token(kind: str, token: str, *, now: datetime) -> OneTimeToken:
    """Use a one-time token up: a conditional delete, so only one caller can ever consume it."""
    item = peek_token(kind, token, now=now)
    try:
        item.delete(condition=OneTimeToken.pk.exists())
    except DeleteError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise  # AWS failing for a moment (a 503): the token is still there for the retry
        raise InvalidToken() from None
    return item


def verify_email(token: str, *, now: datetime) -> Account:
    """Activate the account the link names, then use the link up: a request that fails midway
    (AWS failing for a moment) leaves the link working for its retry."""
    item = peek_token("VERIFY", token, now=now)
    account = get(item.customer_id)
    if account.status == "pending_verification":
        try:
            account.update(
                actions=[
                    Account.status.set("active"),
                    Account.email_verified_at.set(now),
                    Account.updated_at.set(now),
                ],
                condition=Account.status == "pending_verification",
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise  # not activated: the link is kept for the retry
            account.refresh()  # another request with the link activated it meanwhile
    consume_token("VERIFY", token, now=now)
    return account


def profile(account: Account) -> dict[str, Any]:
    from .schemas import display_phone

    pending = account.pending_email
    return {
        "customer_id": account.customer_id,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "email": account.email,
        "backup_email": account.backup_email,
        "phone": account.phone,
        "phone_display": display_phone(account.phone),
        "address": account.address.as_dict() if account.address else None,
        "language": account.language,
        "company": account.company,
        "account_type": account_type(account),
        "siren": account.siren,
        "siret": account.siret,
        "vat_number": account.vat_number,
        "status": account.status,
        "created_at": iso(account.created_at),
        "pending_email_change": (
            {"new_email": pending.new_email, "expires_at": iso(pending.apply_at)} if pending else None
        ),
    }


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def account_type(account: Account) -> str:
    """A business's account has its identifiers (a SIREN or a VAT number); a person's has none."""
    return "business" if account.siren or account.vat_number else "individual"


_BILLING_FIELDS = {  # what the other services keep a copy of (CustomerUpdated)
    "backup_email",
    "first_name",
    "last_name",
    "company",
    "address",
    "language",
    "phone",
    "siren",
    "siret",
    "vat_number",
}
_BUSINESS_IDENTIFIERS = ("siren", "siret", "vat_number")


def update_profile(customer_id: str, changes: Any, *, now: datetime) -> Account:
    """Apply PATCH /auth/me (schemas.ProfileChanges); the phone moves its unique LoginName with it."""
    given = changes.model_dump(exclude_unset=True)
    required = [
        name
        for name in ("first_name", "last_name", "language", "account_type")
        if name in given and given[name] is None
    ]
    if required:
        raise ValidationFailed(fields={name: Phrase("field.empty") for name in required})
    account = get(customer_id)
    given = _business_changes(account, given)
    actions: list[Action] = [Account.updated_at.set(now)]
    for name, value in given.items():
        attribute = getattr(Account, name)
        if name == "address":
            actions.append(attribute.set(Address(**value)) if value else attribute.remove())
        elif value in (None, ""):
            actions.append(attribute.remove())
        else:
            actions.append(attribute.set(value))
    new_phone = given.get("phone", account.phone) or None
    if "phone" in given and new_phone != account.phone:
        _move_phone(account, new_phone, actions)
    else:
        account.update(actions=actions, condition=Account.pk.exists())
    account.refresh()
    changed = sorted(given)
    if _BILLING_FIELDS & set(changed):
        customer_events.updated(account, changed)
    return account


def _business_changes(account: Account, given: dict[str, Any]) -> dict[str, Any]:
    """The profile's changes once the account they make is checked (companies.account_problems):
    "individual" clears a business's identifiers; a new SIRET alone gives its SIREN."""
    from guichet_contracts import companies

    kind = given.pop("account_type", None)
    if kind == "individual":
        for name in _BUSINESS_IDENTIFIERS:
            if given.get(name):
                raise ValidationFailed(fields={name: Phrase("field.business_only")})
            if getattr(account, name):
                given[name] = None
    if given.get("siret") and not given.get("siren", account.siren):
        given["siren"] = given["siret"][:9]
    after = {name: given[name] if name in given else getattr(account, name) for name in _BUSINESS_IDENTIFIERS}
    address = (
        given["address"] if "address" in given else (account.address.as_dict() if account.address else None)
    )
    found = companies.account_problems(
        kind,
        company=given.get("company", account.company),
        country=address["country"] if address else None,
        **after,
    )
    if found:
        raise ValidationFailed(fields={name: Phrase(message_id) for name, message_id in found.items()})
    return given


def _move_phone(account: Account, new_phone: str | None, actions: list[Any]) -> None:
    old_phone = account.phone
    try:
        with transaction() as write:
            condition = Account.phone == old_phone if old_phone else Account.phone.does_not_exist()
            write.update(account, actions=actions, condition=condition)
            if old_phone:
                write.delete(
                    LoginName(*login_key("phone", old_phone)),
                    condition=LoginName.customer_id == account.customer_id,
                )
            if new_phone:
                write.save(
                    LoginName(*login_key("phone", new_phone), customer_id=account.customer_id),
                    condition=LoginName.pk.does_not_exist(),
                )
    except TransactWriteError as error:
        # PynamoDB sends deletes, then puts, then updates: the new number's put follows the old one's delete
        if new_phone and (1 if old_phone else 0) in failed_conditions(error):
            raise PhoneUnavailable(fields={"phone": Phrase("field.taken")}) from None
        raise ConcurrentUpdate() from None
