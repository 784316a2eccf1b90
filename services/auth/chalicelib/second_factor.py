"""The second factor: an authenticator app (TOTP, RFC 6238) with its recovery codes, asked at
login and again before sensitive actions (step-up); passkeys are in passkeys.py.

- Enrolment: a secret from the CSPRNG (pyotp.random_base32, 160 bits), shown once with its
  otpauth URI and a QR code, confirmed by a first code (and the password, or a recent second
  factor): then 10 recovery codes are shown, once, and only their digests are kept. Each code is
  taken at most once: an app code is accepted for its time step and the one on each side (clock
  drift), and never for a step at or before the last one taken (replay); a recovery code is
  removed from the account as it is used (a conditional update: one use, even in a race).
- Login: a password that names an account with a second factor opens no session. The answer
  says `mfa_required` with an opaque token of `MFA_MINUTES` and the methods; the second step
  (`complete_login`) takes the token with a code, a recovery code or a passkey assertion, uses
  the token up and opens the session. Codes are throttled like passwords (login_throttle.py):
  per account and client address, and per client address.
- Step-up: a session signed in with a second factor must have done so, or step up again, within
  guichet_contracts.access_tokens.STEP_UP_SECONDS before a sensitive action. The step-up takes
  a code or a passkey for such an account, the password for an account without one.

The secret is kept sealed (AES-256-GCM under a key only Secrets Manager holds: totp_sealing.py),
never logged, never answered after the enrolment.
"""

from __future__ import annotations

import hmac
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import formatting
from guichet_contracts.access_tokens import Caller
from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist, UpdateError

from . import accounts, emails, login_throttle, opaque_tokens, passwords, sessions, totp_sealing
from .errors import Conflict, InvalidCode, InvalidCredentials, NotFound, ValidationFailed, WrongPassword
from .models import Account, Session, TotpAuthenticator, session_key, totp_key

logger = Logger(child=True)

MFA_KIND = "MFA"
MFA_MINUTES = 5
STEP_SECONDS = 30
DIGITS = 6
RECOVERY_CODES = 10
# the app's code is taken for its time step and the one on each side: a phone's clock a little off
DRIFT_STEPS = 1
# RFC 8176 `amr` of each way to sign in
AMR_TOTP = ["pwd", "otp", "mfa"]
AMR_RECOVERY = ["pwd", "otp", "mfa"]
AMR_PASSKEY = ["hwk", "user"]
AMR_PASSKEY_SECOND = ["pwd", "hwk", "mfa"]


class TotpAlreadyEnabled(Conflict):
    code = "totp_already_enabled"


def methods(account: Account) -> list[str]:
    """The second factors of an account, as the login's answer names them."""
    kinds = set(account.second_factors or ())
    named = []
    if "totp" in kinds:
        named += ["totp", "recovery_code"]
    if "passkey" in kinds:
        named.append("passkey")
    return named


def required(account: Account) -> bool:
    return bool(account.second_factors)


# --- the authenticator app -------------------------------------------------------------------


def _authenticator(customer_id: str) -> TotpAuthenticator | None:
    try:
        return TotpAuthenticator.get(*totp_key(customer_id), consistent_read=True)
    except DoesNotExist:
        return None


def start_enrolment(caller: Caller, *, now: datetime) -> dict[str, Any]:
    """A new secret waiting for its first code (replacing one still waiting): the secret, its
    otpauth URI and the URI as a QR code (an SVG data URI), answered this once."""
    import pyotp
    import segno

    account = accounts.get(caller.customer_id)
    current = _authenticator(caller.customer_id)
    if current is not None and current.confirmed_at is not None:
        raise TotpAlreadyEnabled()
    secret = pyotp.random_base32(32)  # 32 base32 characters: 160 bits from `secrets`
    sealed = totp_sealing.seal(secret, customer_id=caller.customer_id)
    TotpAuthenticator(*totp_key(caller.customer_id), secret=sealed, created_at=now).save()
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account.customer_id, issuer_name=_issuer()
    )
    qr = segno.make(uri, error="m").svg_data_uri(scale=4)
    logger.info("authenticator app enrolment started", extra={"customer_id": caller.customer_id})
    return {"secret": secret, "otpauth_uri": uri, "qr_code": qr}


def _issuer() -> str:
    from guichet_contracts.brand import load_brand

    return str(load_brand().name)


def confirm_enrolment(caller: Caller, code: str, password: str | None, *, now: datetime) -> list[str]:
    """The first code proves the app holds the secret: the authenticator is enabled, the recovery
    codes made (answered this once), the other sessions ended (they were opened without it), this
    session counted as signed in with it, the customer mailed."""
    account = accounts.get(caller.customer_id)
    confirm_identity(caller, account, password, now=now)
    current = _authenticator(caller.customer_id)
    if current is None:
        raise NotFound()
    if current.confirmed_at is not None:
        raise TotpAlreadyEnabled()
    attempt = login_throttle.begin(_throttle_key(caller.customer_id), now=now)
    step = _matching_step(totp_sealing.unseal(current.secret, customer_id=caller.customer_id), code, now)
    if step is None:
        raise InvalidCode(fields={"code": Phrase("field.not_correct")})
    attempt.succeeded()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    try:
        current.update(
            actions=[
                TotpAuthenticator.confirmed_at.set(now),
                TotpAuthenticator.last_step.set(step),
                TotpAuthenticator.recovery_codes.set(
                    {_recovery_digest(caller.customer_id, c) for c in codes}
                ),
            ],
            condition=TotpAuthenticator.confirmed_at.does_not_exist()
            & (TotpAuthenticator.secret == current.secret),
        )
    except UpdateError:
        raise TotpAlreadyEnabled() from None  # confirmed (or enrolled again) meanwhile
    account.update(actions=[Account.second_factors.add({"totp"}), Account.updated_at.set(now)])
    _signed_in_with_second_factor(caller, AMR_TOTP, now=now)
    notify(account, "totp_enabled", now=now)
    logger.info("authenticator app enabled", extra={"customer_id": caller.customer_id})
    return codes


def _signed_in_with_second_factor(caller: Caller, amr: list[str], *, now: datetime) -> None:
    """A second factor was just set up in this session: the other sessions, opened without it,
    end; this one has now shown it."""
    sessions.revoke_all(caller.customer_id, now=now, keep=caller.session_id)
    try:
        Session(*session_key(caller.customer_id, caller.session_id)).update(
            actions=[Session.amr.set(amr), Session.auth_time.set(now)],
            condition=Session.pk.exists() & Session.revoked_at.does_not_exist(),
        )
    except UpdateError:
        pass  # the session ended meanwhile: nothing to count


def disable(caller: Caller, password: str | None, *, now: datetime) -> None:
    """Remove the authenticator app and its recovery codes (after a recent second factor)."""
    account = accounts.get(caller.customer_id)
    confirm_identity(caller, account, password, now=now)
    current = _authenticator(caller.customer_id)
    if current is None:
        raise NotFound()
    current.delete()
    if current.confirmed_at is None:
        return  # an enrolment never finished: nothing was enabled, nothing to tell
    account.update(actions=[Account.second_factors.delete({"totp"}), Account.updated_at.set(now)])
    notify(account, "totp_disabled", now=now)
    logger.info("authenticator app removed", extra={"customer_id": caller.customer_id})


def status(customer_id: str) -> dict[str, Any]:
    current = _authenticator(customer_id)
    enabled = current is not None and current.confirmed_at is not None
    return {
        "enabled": enabled,
        "enabled_at": accounts.iso(current.confirmed_at)
        if enabled and current and current.confirmed_at
        else None,
        "recovery_codes_left": len(current.recovery_codes or ()) if enabled and current else 0,
    }


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code `code` is (within the drift), or None."""
    import pyotp

    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step  # every step is compared: the time taken says nothing of which matched
    return found


def _use_app_code(customer_id: str, code: str, *, now: datetime) -> bool:
    """Take an app code once: its step must come after the last one taken (a conditional update,
    so the same code sent twice at once is taken once)."""
    current = _authenticator(customer_id)
    if current is None or current.confirmed_at is None:
        return False
    step = _matching_step(totp_sealing.unseal(current.secret, customer_id=customer_id), code, now)
    if step is None or step <= int(current.last_step or 0):
        return False
    try:
        current.update(
            actions=[TotpAuthenticator.last_step.set(step)],
            condition=TotpAuthenticator.last_step < step,
        )
    except UpdateError:
        return False
    return True


def _new_recovery_code() -> str:
    """10 characters of an alphabet without look-alikes (50 bits), written in two groups."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _normalised_recovery_code(code: str) -> str:
    raw = "".join(character for character in code.lower() if character.isalnum())
    return f"{raw[:5]}-{raw[5:]}"


def _recovery_digest(customer_id: str, code: str) -> str:
    return opaque_tokens.code_digest(_normalised_recovery_code(code), f"recovery:{customer_id}")


def _use_recovery_code(customer_id: str, code: str) -> bool:
    digest = _recovery_digest(customer_id, code)
    try:
        TotpAuthenticator(*totp_key(customer_id)).update(
            actions=[TotpAuthenticator.recovery_codes.delete({digest})],
            condition=TotpAuthenticator.recovery_codes.contains(digest),
        )
    except UpdateError:
        return False
    logger.info("recovery code used", extra={"customer_id": customer_id})
    return True


def new_recovery_codes(caller: Caller, password: str | None, *, now: datetime) -> list[str]:
    """Replace the recovery codes (the old ones stop working); answered this once."""
    account = accounts.get(caller.customer_id)
    confirm_identity(caller, account, password, now=now)
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    try:
        TotpAuthenticator(*totp_key(caller.customer_id)).update(
            actions=[
                TotpAuthenticator.recovery_codes.set({_recovery_digest(caller.customer_id, c) for c in codes})
            ],
            condition=TotpAuthenticator.confirmed_at.exists(),
        )
    except UpdateError:
        raise NotFound() from None
    return codes


def _throttle_key(customer_id: str) -> str:
    return f"THROTTLE#SECOND_FACTOR#{customer_id}"


# --- login with a second factor ---------------------------------------------------------------


def challenge(account: Account, *, cookie: bool, remember: bool, now: datetime) -> dict[str, Any]:
    """The answer of a right password for an account with a second factor: no session yet, a
    one-use token of MFA_MINUTES for the second step (which remembers the login's cookie
    choices), the methods, and the passkey options when the account has passkeys."""
    from . import passkeys

    token, digest = opaque_tokens.new_token(32)
    named = methods(account)
    webauthn_challenge = passkeys.new_challenge() if "passkey" in named else None
    reference = json.dumps({"cookie": cookie, "remember": remember, "webauthn": webauthn_challenge})
    expires_at = now + timedelta(minutes=MFA_MINUTES)
    accounts.one_time(MFA_KIND, digest, account.customer_id, expires_at, reference=reference).save()
    answer: dict[str, Any] = {
        "mfa_required": True,
        "mfa_token": token,
        "methods": named,
        "expires_in": MFA_MINUTES * 60,
    }
    if webauthn_challenge is not None:
        answer["passkey_options"] = passkeys.assertion_options(account.customer_id, webauthn_challenge)
    logger.info("login waits for its second factor", extra={"customer_id": account.customer_id})
    return answer


def complete_login(
    body: Any, *, now: datetime, user_agent: str | None, ip: str | None, device: str | None
) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The second step of a login: the session's pair, the device cookie's token, and the cookie
    choices of the first step (`cookie`, `remember`)."""
    item = accounts.peek_token(MFA_KIND, body.mfa_token, now=now)
    choices = json.loads(item.reference or "{}")
    account = accounts.get(item.customer_id)
    amr = _second_factor(account, body, choices.get("webauthn"), now=now, ip=ip)
    accounts.consume_token(MFA_KIND, body.mfa_token, now=now)  # once: a second use is invalid_token
    pair, device_token = sessions.open_session(
        account,
        amr,
        now=now,
        user_agent=user_agent,
        ip=ip,
        remember=choices.get("remember") if choices.get("cookie") else None,
        device=device,
    )
    return pair, device_token, choices


def _second_factor(
    account: Account, body: Any, webauthn_challenge: str | None, *, now: datetime, ip: str | None
) -> list[str]:
    """Check the code, the recovery code or the passkey of `body` (throttled); its `amr`."""
    from . import passkeys

    attempts = login_throttle.begin_login(_throttle_key(account.customer_id), ip, now=now)
    kinds = set(account.second_factors or ())
    if body.code is not None and "totp" in kinds:
        ok, amr = _use_app_code(account.customer_id, body.code, now=now), AMR_TOTP
    elif body.recovery_code is not None and "totp" in kinds:
        ok, amr = _use_recovery_code(account.customer_id, body.recovery_code), AMR_RECOVERY
    elif body.passkey is not None and "passkey" in kinds and webauthn_challenge is not None:
        ok = passkeys.verify_assertion(account.customer_id, body.passkey, webauthn_challenge, now=now)
        amr = AMR_PASSKEY_SECOND
    else:
        raise ValidationFailed(fields={"code": Phrase("field.missing")})
    if not ok:
        raise InvalidCode()
    for attempt in attempts:
        attempt.succeeded()
    return amr


# --- step-up ----------------------------------------------------------------------------------


def confirm_identity(caller: Caller, account: Account, password: str | None, *, now: datetime) -> None:
    """Before changing the second factors: a session signed in with a second factor must have
    shown it recently (403 step_up_required); a session of a password alone gives the password."""
    if caller.second_factor or required(account):
        caller.require_recent_authentication(now=now.timestamp())
        if caller.second_factor:
            return
    if not _password_proven(account, password, now=now):
        raise WrongPassword(fields={"password": Phrase("field.not_correct")})


def _password_proven(account: Account, password: str | None, *, now: datetime) -> bool:
    """Whether `password` is the account's (counted like the password checks of a signed-in
    customer: login_throttle.key_for_account); a 422 naming it when it is missing."""
    if password is None:
        raise ValidationFailed(fields={"password": Phrase("field.missing")})
    attempt = login_throttle.begin(login_throttle.key_for_account(account.customer_id), now=now)
    if not passwords.verify(account.password_hash, password):
        return False
    attempt.succeeded()
    return True


def step_up(caller: Caller, body: Any, *, now: datetime, ip: str | None) -> dict[str, Any]:
    """Prove again who one is, in this session: a code, a recovery code or a passkey for an
    account with a second factor (its password alone is not enough), the password for one
    without. A fresh access token, whose auth_time is now."""
    account = accounts.get(caller.customer_id)
    if required(account):
        challenge_value = None
        if body.passkey is not None:
            from . import passkeys

            challenge_value = passkeys.take_challenge(body.passkey, "step_up", caller.customer_id, now=now)
        amr = _second_factor(account, body, challenge_value, now=now, ip=ip)
    elif _password_proven(account, body.password, now=now):
        amr = ["pwd"]
    else:
        raise InvalidCredentials()
    logger.info("step-up", extra={"customer_id": caller.customer_id, "amr": amr})
    return sessions.reauthenticated(caller.customer_id, caller.session_id, amr, now=now)


# --- notices ----------------------------------------------------------------------------------


def notify(account: Account, change: str, *, now: datetime, name: str | None = None) -> None:
    """Mail the change of a second factor to the account's email and backup email."""
    emails.security_notice(
        "second_factor_changed",
        account,
        first_name=account.first_name,
        customer_id=account.customer_id,
        change=change,
        passkey_name=name,
        changed_at=formatting.moment(now, account.language),
        forgot_url=emails.portal_link("forgot-password"),
    )
