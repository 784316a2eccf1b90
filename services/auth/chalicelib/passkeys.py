"""Passkeys (WebAuthn, the `webauthn` library): registered from a session, then used as the
second factor of a login, alone (a discoverable credential: a login without a password), or
for a step-up.

Every ceremony has its challenge: 32 random bytes, kept as a one-time token (its digest) of
`CHALLENGE_MINUTES` that names what it is for and whose it is, and used up by the response that
answers it, right or wrong. A login's second step keeps its challenge in the login's one-use
token instead (second_factor.challenge). The relying party id and the origins come from the
settings; a response from another origin, for another relying party, or signed by a credential
of another customer is refused (422 invalid_passkey). A credential is looked up under its
customer only, so a customer can neither use nor rename nor remove another's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts.access_tokens import Caller
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from . import accounts
from .errors import NotFound, ValidationFailed
from .models import Account, Passkey, PasskeyOwner, passkey_key, passkey_owner_key, transaction
from .settings import settings

logger = Logger(child=True)

CHALLENGE_KIND = "WEBAUTHN"
CHALLENGE_MINUTES = 5
TIMEOUT_MS = CHALLENGE_MINUTES * 60 * 1000
MAX_PASSKEYS = 20
_NOBODY = "-"  # the customer of a login's challenge: not known before the assertion names it


class InvalidPasskey(ValidationFailed):
    code = "invalid_passkey"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _plain(credential: Any) -> Any:
    """The credential as JSON data (the request's model, schemas.WebAuthnResponse, dumped)."""
    return credential.model_dump() if hasattr(credential, "model_dump") else credential


def new_challenge() -> str:
    return _b64(secrets.token_bytes(32))


def _user_handle(customer_id: str) -> bytes:
    """The account as authenticators know it: not the customer id itself (no personal data)."""
    return hashlib.sha256(f"guichet-user:{customer_id}".encode()).digest()[:16]


def _keep_challenge(challenge: str, purpose: str, customer_id: str, *, now: datetime) -> None:
    accounts.one_time(
        CHALLENGE_KIND,
        hashlib.sha256(challenge.encode()).hexdigest(),
        customer_id,
        now + timedelta(minutes=CHALLENGE_MINUTES),
        reference=purpose,
    ).save()


def _challenge_of(credential: Any) -> str:
    """The challenge a response answers (from its clientDataJSON), or InvalidPasskey."""
    try:
        client_data = json.loads(_unb64(credential["response"]["clientDataJSON"]))
        challenge = client_data["challenge"]
    except (KeyError, TypeError, ValueError):
        raise InvalidPasskey() from None
    if not isinstance(challenge, str) or not challenge:
        raise InvalidPasskey()
    return challenge


def take_challenge(credential: Any, purpose: str, customer_id: str | None, *, now: datetime) -> str:
    """Use up the challenge a response answers: it must be one this service gave, unexpired, for
    `purpose` and this customer (None: a login, whose customer is not known yet)."""
    from pynamodb.exceptions import DeleteError

    from .errors import InvalidToken
    from .models import OneTimeToken, token_key

    challenge = _challenge_of(_plain(credential))
    try:
        item = OneTimeToken.get(*token_key(CHALLENGE_KIND, hashlib.sha256(challenge.encode()).hexdigest()))
        item.delete(condition=OneTimeToken.pk.exists())
    except (DoesNotExist, DeleteError, InvalidToken):
        raise InvalidPasskey() from None
    if item.expires_at <= now or item.reference != purpose or item.customer_id != (customer_id or _NOBODY):
        raise InvalidPasskey()
    return challenge


def _options(options: Any) -> dict[str, Any]:
    from webauthn import options_to_json

    return dict(json.loads(options_to_json(options)))


def _descriptors(customer_id: str) -> list[Any]:
    from webauthn.helpers.structs import AuthenticatorTransport, PublicKeyCredentialDescriptor

    known = {transport.value for transport in AuthenticatorTransport}
    return [
        PublicKeyCredentialDescriptor(
            id=_unb64(passkey.credential_id),
            transports=[AuthenticatorTransport(t) for t in (passkey.transports or []) if t in known] or None,
        )
        for passkey in _passkeys(customer_id)
    ]


def _passkeys(customer_id: str) -> list[Passkey]:
    return list(Passkey.query(f"CUSTOMER#{customer_id}", Passkey.sk.startswith("PASSKEY#")))


# --- registration -----------------------------------------------------------------------------


def registration_options(caller: Caller, *, now: datetime) -> dict[str, Any]:
    """The options of navigator.credentials.create(): a discoverable credential (resident key)
    with user verification, none of the account's passkeys again."""
    from webauthn import generate_registration_options
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    account = accounts.get(caller.customer_id)
    challenge = new_challenge()
    options = generate_registration_options(
        rp_id=settings.webauthn_rp_id,
        rp_name=_rp_name(),
        user_id=_user_handle(account.customer_id),
        user_name=account.customer_id,
        user_display_name=f"{account.first_name} {account.last_name}",
        challenge=_unb64(challenge),
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(account.customer_id),
    )
    _keep_challenge(challenge, "register", account.customer_id, now=now)
    return _options(options)


def _rp_name() -> str:
    from guichet_contracts.brand import load_brand

    return str(load_brand().name)


def register(caller: Caller, credential: Any, name: str, password: str | None, *, now: datetime) -> Passkey:
    """Verify the response of navigator.credentials.create() and keep the passkey; mailed."""
    from webauthn import verify_registration_response
    from webauthn.helpers.exceptions import WebAuthnException

    from . import second_factor

    credential = _plain(credential)
    account = accounts.get(caller.customer_id)
    second_factor.confirm_identity(caller, account, password, now=now)
    challenge = take_challenge(credential, "register", account.customer_id, now=now)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=_unb64(challenge),
            expected_rp_id=settings.webauthn_rp_id,
            expected_origin=list(settings.webauthn_origins),
            require_user_verification=True,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError):
        raise InvalidPasskey() from None
    if len(_passkeys(account.customer_id)) >= MAX_PASSKEYS:
        raise InvalidPasskey()
    credential_id = _b64(verified.credential_id)
    transports = credential.get("response", {}).get("transports") if isinstance(credential, dict) else None
    passkey = Passkey(
        *passkey_key(account.customer_id, credential_id),
        credential_id=credential_id,
        public_key=_b64(verified.credential_public_key),
        sign_count=verified.sign_count,
        transports=[t for t in transports if isinstance(t, str)][:8]
        if isinstance(transports, list)
        else None,
        name=name,
        created_at=now,
    )
    try:
        with transaction() as write:
            write.save(passkey, condition=Passkey.pk.does_not_exist())
            write.save(
                PasskeyOwner(*passkey_owner_key(credential_id), customer_id=account.customer_id),
                condition=PasskeyOwner.pk.does_not_exist(),
            )
    except TransactWriteError:
        raise InvalidPasskey() from None  # this credential is already registered
    account.update(actions=[Account.second_factors.add({"passkey"}), Account.updated_at.set(now)])
    if not caller.second_factor:
        second_factor._signed_in_with_second_factor(caller, second_factor.AMR_PASSKEY_SECOND, now=now)
    second_factor.notify(account, "passkey_added", now=now, name=name)
    logger.info("passkey registered", extra={"customer_id": account.customer_id})
    return passkey


def as_dict(passkey: Passkey) -> dict[str, Any]:
    return {
        "passkey_id": passkey.credential_id,
        "name": passkey.name,
        "transports": list(passkey.transports or []),
        "sign_count": int(passkey.sign_count or 0),
        "created_at": accounts.iso(passkey.created_at),
        "last_used_at": accounts.iso(passkey.last_used_at) if passkey.last_used_at else None,
    }


def listing(customer_id: str) -> list[dict[str, Any]]:
    return [as_dict(passkey) for passkey in sorted(_passkeys(customer_id), key=lambda p: p.created_at)]


def _get(customer_id: str, passkey_id: str) -> Passkey:
    try:
        return Passkey.get(*passkey_key(customer_id, passkey_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound() from None


def rename(customer_id: str, passkey_id: str, name: str) -> Passkey:
    passkey = _get(customer_id, passkey_id)
    try:
        passkey.update(actions=[Passkey.name.set(name)], condition=Passkey.pk.exists())
    except UpdateError:
        raise NotFound() from None
    return passkey


def remove(caller: Caller, passkey_id: str, password: str | None, *, now: datetime) -> None:
    """Remove one of the caller's passkeys (another's answers 404); mailed."""
    from . import second_factor

    passkey = _get(caller.customer_id, passkey_id)
    account = accounts.get(caller.customer_id)
    second_factor.confirm_identity(caller, account, password, now=now)
    with transaction() as write:
        write.delete(passkey)
        write.delete(PasskeyOwner(*passkey_owner_key(passkey.credential_id)))
    if not _passkeys(caller.customer_id):
        account.update(actions=[Account.second_factors.delete({"passkey"}), Account.updated_at.set(now)])
    second_factor.notify(account, "passkey_removed", now=now, name=passkey.name)
    logger.info("passkey removed", extra={"customer_id": caller.customer_id})


# --- authentication ---------------------------------------------------------------------------


def assertion_options(
    customer_id: str, challenge: str, *, user_verification: str = "preferred"
) -> dict[str, Any]:
    """The options of navigator.credentials.get() for this customer's passkeys."""
    from webauthn import generate_authentication_options
    from webauthn.helpers.structs import UserVerificationRequirement

    options = generate_authentication_options(
        rp_id=settings.webauthn_rp_id,
        challenge=_unb64(challenge),
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(customer_id),
        user_verification=UserVerificationRequirement(user_verification),
    )
    return _options(options)


def step_up_options(caller: Caller, *, now: datetime) -> dict[str, Any]:
    challenge = new_challenge()
    _keep_challenge(challenge, "step_up", caller.customer_id, now=now)
    return assertion_options(caller.customer_id, challenge)


def login_options(*, now: datetime) -> dict[str, Any]:
    """Options of a login by passkey alone: no credential named (the authenticator offers the
    discoverable ones it holds for this relying party), user verification required."""
    from webauthn import generate_authentication_options
    from webauthn.helpers.structs import UserVerificationRequirement

    challenge = new_challenge()
    options = generate_authentication_options(
        rp_id=settings.webauthn_rp_id,
        challenge=_unb64(challenge),
        timeout=TIMEOUT_MS,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    _keep_challenge(challenge, "login", _NOBODY, now=now)
    return _options(options)


def verify_assertion(
    customer_id: str,
    credential: Any,
    challenge: str,
    *,
    now: datetime,
    require_user_verification: bool = False,
) -> bool:
    """Whether `credential` is an assertion of one of this customer's passkeys for `challenge`;
    if so its sign count and last use are kept."""
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import WebAuthnException

    credential = _plain(credential)
    passkey_id = credential.get("id") if isinstance(credential, dict) else None
    if not isinstance(passkey_id, str) or not passkey_id or len(passkey_id) > 1024:
        return False
    try:
        passkey = _get(customer_id, passkey_id)
    except NotFound:
        return False
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=_unb64(challenge),
            expected_rp_id=settings.webauthn_rp_id,
            expected_origin=list(settings.webauthn_origins),
            credential_public_key=_unb64(passkey.public_key),
            credential_current_sign_count=int(passkey.sign_count or 0),
            require_user_verification=require_user_verification,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError):
        logger.info("passkey assertion refused", extra={"customer_id": customer_id})
        return False
    try:
        passkey.update(
            actions=[Passkey.sign_count.set(verified.new_sign_count), Passkey.last_used_at.set(now)],
            condition=Passkey.sign_count == passkey.sign_count,
        )
    except UpdateError:
        return False  # used at the same moment by another assertion: a cloned authenticator
    return True


def login(credential: Any, *, now: datetime) -> Account:
    """The account a passkey alone signs in (user verified), or InvalidPasskey."""
    credential = _plain(credential)
    challenge = take_challenge(credential, "login", None, now=now)
    passkey_id = credential.get("id") if isinstance(credential, dict) else None
    if not isinstance(passkey_id, str) or not passkey_id or len(passkey_id) > 1024:
        raise InvalidPasskey()
    try:
        owner = PasskeyOwner.get(*passkey_owner_key(passkey_id))
    except DoesNotExist:
        raise InvalidPasskey() from None
    if not verify_assertion(
        owner.customer_id, credential, challenge, now=now, require_user_verification=True
    ):
        raise InvalidPasskey()
    account = accounts.get(owner.customer_id)
    if account.status != "active":
        raise InvalidPasskey()
    return account
