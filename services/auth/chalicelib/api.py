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
    from . import login_notices, session_cookie, sessions

    body = _body("Login")
    request = api.current_request
    pair, device = sessions.login(
        body.login,
        body.password,
        now=_now(),
        user_agent=request.headers.get("user-agent"),
        ip=web.client_ip(request),
        remember=body.remember if body.cookie else None,
        device=session_cookie.cookie_value(request, login_notices.COOKIE),
    )
    if not body.cookie:  # a client keeping its tokens itself: known by its device and network alone
        return pair
    return _in_cookie(
        pair,
        settings.refresh_token_days * 86400 if body.remember else None,
        also=[login_notices.cookie_setting(device)],
    )


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

    caller = _caller()
    body = _body("EmailChangeRequest")
    login_throttle.spend("email_change", web.client_ip(api.current_request), now=_now())
    apply_at = email_changes.request(caller.customer_id, body.new_email, body.password, now=_now())
    return Response(body={"expires_at": accounts.iso(apply_at), "new_email": body.new_email}, status_code=202)


@api.route("/me/email-change/confirm", methods=["POST"])
def confirm_email_change() -> dict[str, Any]:
    from . import email_changes

    caller = _caller()
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

    caller = _caller()
    contact = contacts.add(caller.customer_id, _body("ContactBody"), now=_now())
    return Response(body=contacts.as_dict(contact), status_code=201)


@api.route("/me/contacts/{contact_id}", methods=["GET"])
def contacts_get(contact_id: str) -> dict[str, Any]:
    from . import contacts

    return contacts.as_dict(contacts.get(_caller().customer_id, contact_id))


@api.route("/me/contacts/{contact_id}", methods=["PATCH"])
def contacts_change(contact_id: str) -> dict[str, Any]:
    from . import contacts

    caller = _caller()
    return contacts.as_dict(contacts.change(caller.customer_id, contact_id, _body("ContactChanges")))


@api.route("/me/contacts/{contact_id}", methods=["DELETE"])
def contacts_remove(contact_id: str) -> Response:
    from . import contacts

    contacts.remove(_caller().customer_id, contact_id)
    return _no_content()


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
