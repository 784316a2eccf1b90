"""Routes of the auth service: parse the request, call one domain function, return a dict.

Routes that take a body import `schemas` (pydantic) when called, and routes that hash or sign
import those libraries through the domain, so a cold start pays only for the route it serves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint, Response
from guichet_contracts import web
from guichet_contracts.access_tokens import AccessTokenVerifier, Caller

from . import accounts
from .settings import settings

api = Blueprint(__name__)
verifier = AccessTokenVerifier(
    public_keys_secret_id=settings.jwt_public_keys_secret,
    issuer=settings.jwt_issuer,
    audience=settings.jwt_audience,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _caller() -> Caller:
    return verifier.caller(api.current_request)


def _sensitive_caller() -> Caller:
    """The caller of a sensitive action (email change, contacts): a session signed in with a
    second factor must have shown it within the last minutes (403 step_up_required)."""
    caller = _caller()
    caller.require_recent_authentication(now=_now().timestamp())
    return caller


def _body(model_name: str) -> Any:
    from . import schemas

    return schemas.parse(getattr(schemas, model_name), web.json_object(api.current_request))


def _no_content() -> Response:
    return Response(body="", status_code=204)


@api.route("/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@api.route("/openapi.json", methods=["GET"])
def openapi() -> dict[str, Any]:
    from .openapi import document

    return document()


# --- accounts -------------------------------------------------------------------------------


@api.route("/register", methods=["POST"])
def register() -> Response:
    from . import login_throttle

    body = _body("Registration")
    login_throttle.spend("register", web.client_ip(api.current_request), now=_now())
    registered = accounts.register(body, now=_now())
    return Response(
        body={"customer_id": registered.customer_id, "email": registered.email, "status": registered.status},
        status_code=201,
    )


@api.route("/verify-email", methods=["POST"])
def verify_email() -> dict[str, str]:
    account = accounts.verify_email(_body("TokenBody").token, now=_now())
    return {"customer_id": account.customer_id, "status": account.status}


@api.route("/activate", methods=["POST"])
def activate() -> dict[str, str]:
    from . import invitations

    body = _body("Activation")
    account = invitations.activate(body.token, body.password, now=_now())
    return {"customer_id": account.customer_id, "status": "active"}


@api.route("/me", methods=["GET"])
def me() -> dict[str, Any]:
    return accounts.profile(accounts.get(_caller().customer_id))


@api.route("/me", methods=["PATCH"])
def change_me() -> dict[str, Any]:
    caller = _caller()
    return accounts.profile(accounts.update_profile(caller.customer_id, _body("ProfileChanges"), now=_now()))


# --- sessions -------------------------------------------------------------------------------


@api.route("/login", methods=["POST"])
def login() -> dict[str, Any] | Response:
    """A password login: the session, or for an account with a second factor the challenge of
    the second step (POST /login/second-factor), which opens it."""
    from . import login_notices, second_factor, session_cookie, sessions

    body = _body("Login")
    request = api.current_request
    account = sessions.check_password(body.login, body.password, now=_now(), ip=web.client_ip(request))
    if second_factor.required(account):
        return second_factor.challenge(account, cookie=body.cookie, remember=body.remember, now=_now())
    pair, device = sessions.open_session(
        account,
        ["pwd"],
        now=_now(),
        user_agent=request.headers.get("user-agent"),
        ip=web.client_ip(request),
        remember=body.remember if body.cookie else None,
        device=session_cookie.cookie_value(request, login_notices.COOKIE),
    )
    return _session_answer(pair, device, cookie=body.cookie, remember=body.remember)


def _session_answer(
    pair: dict[str, Any], device: str, *, cookie: bool, remember: bool
) -> dict[str, Any] | Response:
    """The answer of a login: the pair, or the session in the cookie, with the device cookie."""
    from . import login_notices

    if not cookie:  # a client keeping its tokens itself: known by its device and network alone
        return pair
    return _in_cookie(
        pair,
        settings.refresh_token_days * 86400 if remember else None,
        also=[login_notices.cookie_setting(device)],
    )


@api.route("/login/second-factor", methods=["POST"])
def login_second_factor() -> dict[str, Any] | Response:
    from . import login_notices, second_factor, session_cookie

    request = api.current_request
    pair, device, choices = second_factor.complete_login(
        _body("SecondFactorLogin"),
        now=_now(),
        user_agent=request.headers.get("user-agent"),
        ip=web.client_ip(request),
        device=session_cookie.cookie_value(request, login_notices.COOKIE),
    )
    return _session_answer(
        pair, device, cookie=bool(choices.get("cookie")), remember=bool(choices.get("remember"))
    )


@api.route("/login/passkey/options", methods=["POST"])
def passkey_login_options() -> dict[str, Any]:
    """Options of a login by passkey alone (navigator.credentials.get(), discoverable credentials)."""
    from . import login_throttle, passkeys

    login_throttle.spend("passkey_login", web.client_ip(api.current_request), now=_now())
    return passkeys.login_options(now=_now())


@api.route("/login/passkey", methods=["POST"])
def passkey_login() -> dict[str, Any] | Response:
    from . import login_notices, passkeys, second_factor, session_cookie, sessions

    body = _body("PasskeyLogin")
    request = api.current_request
    account = passkeys.login(body.credential, now=_now())
    pair, device = sessions.open_session(
        account,
        second_factor.AMR_PASSKEY,
        now=_now(),
        user_agent=request.headers.get("user-agent"),
        ip=web.client_ip(request),
        remember=body.remember if body.cookie else None,
        device=session_cookie.cookie_value(request, login_notices.COOKIE),
    )
    return _session_answer(pair, device, cookie=body.cookie, remember=body.remember)


@api.route("/refresh", methods=["POST"])
def refresh() -> dict[str, Any] | Response:
    from . import session_cookie, sessions
    from .errors import InvalidRefreshToken

    now = _now()
    given = _body("RefreshBody").refresh_token
    if given is not None:
        return sessions.refresh(given, now=now)
    token = _cookie_token()
    try:
        pair = sessions.refresh(token, now=now)
    except InvalidRefreshToken as error:  # a dead token: the browser forgets it
        error.headers["Set-Cookie"] = session_cookie.clearing()
        raise
    return _in_cookie(pair, sessions.cookie_life(pair["refresh_token"], now=now))


@api.route("/logout", methods=["POST"])
def logout() -> Response:
    from . import session_cookie, sessions

    given = _body("RefreshBody").refresh_token
    sessions.logout(given if given is not None else _cookie_token(), now=_now())
    if given is not None:
        return _no_content()
    return Response(body="", status_code=204, headers={"Set-Cookie": session_cookie.clearing()})


def _cookie_token() -> str:
    """The refresh token of the session cookie, for a body without one: checked against forgery
    (session_cookie.check_header); none at all is the body's missing refresh_token (422)."""
    from guichet_contracts.words import Phrase

    from . import session_cookie
    from .errors import ValidationFailed

    request = api.current_request
    token = session_cookie.presented(request)
    if token is None:
        raise ValidationFailed(fields={"refresh_token": Phrase("field.missing")})
    session_cookie.check_header(request)
    return token


def _in_cookie(pair: dict[str, Any], max_age: int | None, also: list[str] | None = None) -> Response:
    """The answer of a session kept in the cookie: the refresh token in the cookie, not the body
    (`also`: other cookies set with it)."""
    from . import session_cookie

    body = {name: value for name, value in pair.items() if name != "refresh_token"}
    cookie = session_cookie.setting(pair["refresh_token"], max_age)
    return Response(body=body, status_code=200, headers={"Set-Cookie": [cookie, *also] if also else cookie})


@api.route("/.well-known/jwks.json", methods=["GET"])
def jwks() -> Response:
    from . import token_signing

    return Response(body=token_signing.public_jwks(), headers={"Cache-Control": "public, max-age=300"})


@api.route("/me/sessions", methods=["GET"])
def my_sessions() -> dict[str, Any]:
    from . import sessions

    caller = _caller()
    return {"items": sessions.listing(caller.customer_id, caller.session_id, now=_now()), "next_cursor": None}


@api.route("/me/sessions/{session_id}", methods=["DELETE"])
def revoke_session(session_id: str) -> Response:
    from . import sessions

    sessions.revoke_one(_caller().customer_id, session_id, now=_now())
    return _no_content()


@api.route("/sessions/close", methods=["POST"])
def close_session_by_link() -> Response:
    """The link of a new-device notice: closes the session it names, without logging in."""
    from . import login_notices

    login_notices.close_by_link(_body("TokenBody").token, now=_now())
    return _no_content()


# --- passwords ------------------------------------------------------------------------------

_FORGOT_ANSWER = {
    "status": "accepted",
    "message": "If an account matches this login, a link to choose a new password is on its way.",
}


@api.route("/password/forgot", methods=["POST"])
def forgot_password() -> Response:
    from . import credentials, login_throttle

    body = _body("ForgotBody")
    login_throttle.spend("forgot_password", web.client_ip(api.current_request), now=_now())
    credentials.forgot(body.login, now=_now())
    return Response(body=_FORGOT_ANSWER, status_code=202)


_RECOVERY_ANSWER = {
    "status": "accepted",
    "message": "If this customer ID matches an account, the provider's customer support will check"
    " the request and answer at the address or phone number given.",
}


@api.route("/recovery-requests", methods=["POST"])
def request_recovery() -> Response:
    """A customer whose email is out of reach asks the provider to recover the account (recovery.py)."""
    from . import login_throttle, recovery

    body = _body("RecoveryRequest")
    ip = web.client_ip(api.current_request)
    login_throttle.spend("recovery", ip, now=_now())
    recovery.request(body, now=_now(), ip=ip)
    return Response(body=_RECOVERY_ANSWER, status_code=202)


@api.route("/password/reset", methods=["POST"])
def reset_password() -> Response:
    from . import credentials

    body = _body("ResetBody")
    credentials.reset(body.token, body.new_password, now=_now(), ip=web.client_ip(api.current_request))
    return _no_content()


@api.route("/password/change", methods=["POST"])
def change_password() -> Response:
    from . import credentials

    caller = _caller()
    body = _body("PasswordChange")
    credentials.change(
        caller.customer_id, caller.session_id, body.current_password, body.new_password, now=_now()
    )
    return _no_content()


# --- email change ---------------------------------------------------------------------------


@api.route("/me/email-change", methods=["POST"])
def request_email_change() -> Response:
    from . import email_changes, login_throttle

    caller = _sensitive_caller()
    body = _body("EmailChangeRequest")
    login_throttle.spend("email_change", web.client_ip(api.current_request), now=_now())
    apply_at = email_changes.request(caller.customer_id, body.new_email, body.password, now=_now())
    return Response(body={"expires_at": accounts.iso(apply_at), "new_email": body.new_email}, status_code=202)


@api.route("/me/email-change/confirm", methods=["POST"])
def confirm_email_change() -> dict[str, Any]:
    from . import email_changes

    caller = _sensitive_caller()
    return accounts.profile(email_changes.confirm(caller.customer_id, _body("CodeBody").code, now=_now()))


@api.route("/me/email-change", methods=["DELETE"])
def cancel_email_change() -> Response:
    from . import email_changes

    email_changes.cancel(_caller().customer_id, now=_now())
    return _no_content()


@api.route("/email-change/refuse", methods=["POST"])
def refuse_email_change() -> Response:
    from . import email_changes

    email_changes.refuse(_body("TokenBody").token, now=_now())
    return _no_content()


# --- contacts -------------------------------------------------------------------------------


@api.route("/me/contacts", methods=["GET"])
def contacts_list() -> dict[str, Any]:
    from . import contacts

    return {"items": contacts.listing(_caller().customer_id), "next_cursor": None}


@api.route("/me/contacts", methods=["POST"])
def contacts_add() -> Response:
    from . import contacts

    caller = _sensitive_caller()
    contact = contacts.add(caller.customer_id, _body("ContactBody"), now=_now())
    return Response(body=contacts.as_dict(contact), status_code=201)


@api.route("/me/contacts/{contact_id}", methods=["GET"])
def contacts_get(contact_id: str) -> dict[str, Any]:
    from . import contacts

    return contacts.as_dict(contacts.get(_caller().customer_id, contact_id))


@api.route("/me/contacts/{contact_id}", methods=["PATCH"])
def contacts_change(contact_id: str) -> dict[str, Any]:
    from . import contacts

    caller = _sensitive_caller()
    return contacts.as_dict(contacts.change(caller.customer_id, contact_id, _body("ContactChanges")))


@api.route("/me/contacts/{contact_id}", methods=["DELETE"])
def contacts_remove(contact_id: str) -> Response:
    from . import contacts

    contacts.remove(_sensitive_caller().customer_id, contact_id)
    return _no_content()


# --- the second factor and step-up ----------------------------------------------------------


@api.route("/me/second-factors", methods=["GET"])
def second_factors() -> dict[str, Any]:
    from . import passkeys, second_factor

    caller = _caller()
    return {
        "totp": second_factor.status(caller.customer_id),
        "passkeys": passkeys.listing(caller.customer_id),
    }


@api.route("/me/totp", methods=["POST"])
def totp_enrol() -> Response:
    from . import second_factor

    return Response(body=second_factor.start_enrolment(_caller(), now=_now()), status_code=201)


@api.route("/me/totp/confirm", methods=["POST"])
def totp_confirm() -> dict[str, Any]:
    from . import second_factor

    caller = _caller()
    body = _body("TotpConfirmation")
    return {"recovery_codes": second_factor.confirm_enrolment(caller, body.code, body.password, now=_now())}


@api.route("/me/totp", methods=["DELETE"])
def totp_disable() -> Response:
    from . import second_factor

    second_factor.disable(_caller(), _body("PasswordConfirmation").password, now=_now())
    return _no_content()


@api.route("/me/totp/recovery-codes", methods=["POST"])
def totp_recovery_codes() -> dict[str, Any]:
    from . import second_factor

    caller = _caller()
    body = _body("PasswordConfirmation")
    return {"recovery_codes": second_factor.new_recovery_codes(caller, body.password, now=_now())}


@api.route("/me/passkeys/options", methods=["POST"])
def passkey_registration_options() -> dict[str, Any]:
    from . import passkeys

    return passkeys.registration_options(_caller(), now=_now())


@api.route("/me/passkeys", methods=["GET"])
def passkeys_list() -> dict[str, Any]:
    from . import passkeys

    return {"items": passkeys.listing(_caller().customer_id), "next_cursor": None}


@api.route("/me/passkeys", methods=["POST"])
def passkey_register() -> Response:
    from . import passkeys

    caller = _caller()
    body = _body("PasskeyRegistration")
    passkey = passkeys.register(caller, body.credential, body.name, body.password, now=_now())
    return Response(body=passkeys.as_dict(passkey), status_code=201)


@api.route("/me/passkeys/{passkey_id}", methods=["PATCH"])
def passkey_rename(passkey_id: str) -> dict[str, Any]:
    from . import passkeys

    caller = _caller()
    return passkeys.as_dict(passkeys.rename(caller.customer_id, passkey_id, _body("PasskeyChanges").name))


@api.route("/me/passkeys/{passkey_id}", methods=["DELETE"])
def passkey_remove(passkey_id: str) -> Response:
    from . import passkeys

    caller = _caller()
    passkeys.remove(caller, passkey_id, _body("PasswordConfirmation").password, now=_now())
    return _no_content()


@api.route("/step-up/passkey-options", methods=["POST"])
def step_up_passkey_options() -> dict[str, Any]:
    from . import passkeys

    return passkeys.step_up_options(_caller(), now=_now())


@api.route("/step-up", methods=["POST"])
def step_up() -> dict[str, Any]:
    """Authenticate again in this session: a fresh access token whose auth_time is now."""
    from . import second_factor

    caller = _caller()
    return second_factor.step_up(caller, _body("StepUp"), now=_now(), ip=web.client_ip(api.current_request))


# --- machine clients ------------------------------------------------------------------------


@api.route(
    "/oauth/token",
    methods=["POST"],
    # the form RFC 6749 asks for; any other body gets its invalid_request, not a 415
    content_types=["application/x-www-form-urlencoded", "application/json", "text/plain"],
)
def oauth_token() -> Response:
    from . import oauth

    return oauth.token(api.current_request, now=_now())
