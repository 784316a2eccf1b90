"""The OpenAPI 3.1 document of the auth API, served at GET /auth/openapi.json.

Request bodies come from the pydantic models the routes validate with, so they cannot drift;
the tests check that every route of the app is here (and nothing else) and that the answers
of the route tests match the response schemas below.
"""

from __future__ import annotations

from typing import Any

from guichet_contracts import openapi
from guichet_contracts.openapi import ERROR, Route, list_of

from . import login_notices, oauth, responses, schemas, session_cookie

# the answers' schemas, generated from the response models
_SCHEMAS: dict[str, Any] = openapi.response_schemas(*responses.ANSWERS)


# the answer of a login or refresh: the pair, or without the refresh token when it is in the cookie
PAIR_OR_COOKIE = {
    "oneOf": [{"$ref": "#/components/schemas/TokenPair"}, {"$ref": "#/components/schemas/SessionInCookie"}]
}
# a password login: the session, or the second step's challenge for an account with a second factor
LOGIN_ANSWER = {"oneOf": [*PAIR_OR_COOKIE["oneOf"], {"$ref": "#/components/schemas/MfaChallenge"}]}
_SESSION_COOKIE_WORDS = (
    f"With the session cookie: `{session_cookie.NAME}=<refresh token>; "
    f"Path={session_cookie.PATH}; HttpOnly; Secure; SameSite=Strict` (with `Max-Age`, the "
    "token's seconds left, when the login asked to be remembered); `Max-Age=0` clears it "
    "(logout, a refused refresh)"
)
_SET_COOKIE = {"Set-Cookie": {"description": _SESSION_COOKIE_WORDS, "schema": {"type": "string"}}}
_COOKIE_PARAMETERS = (
    {
        "name": session_cookie.NAME,
        "in": "cookie",
        "required": False,
        # OpenAPI cannot say that one of the two must come: the descriptions do
        "description": "The refresh token, when the body has none (neither: 422 naming refresh_token)",
        "schema": {"type": "string"},
    },
    {
        "name": session_cookie.HEADER,
        "in": "header",
        "required": False,
        "description": f"`{session_cookie.HEADER_VALUE}`: required with the cookie (against forgery)",
        # any value may come (a request with a body token ignores it); the cookie needs this one
        "schema": {"type": "string"},
    },
)
_LOGIN_COOKIES = {
    "Set-Cookie": {
        "description": _SESSION_COOKIE_WORDS
        + f"; and the device cookie `{login_notices.COOKIE}=<token>; Path={login_notices.PATH}; HttpOnly;"
        " Secure; SameSite=Strict; Max-Age=…`, by which a later login from this browser is known (a"
        " login from a device the account does not know mails a notice)",
        "schema": {"type": "string"},
    }
}
_DEVICE_COOKIE = {
    "name": login_notices.COOKIE,
    "in": "cookie",
    "required": False,
    "description": "The device cookie an earlier login set: a login presenting it is from a known device",
    "schema": {"type": "string"},
}
_SESSION_COOKIE = {
    "/login": {"parameters": (_DEVICE_COOKIE,), "response_headers": {200: _LOGIN_COOKIES}},
    "/refresh": {"parameters": _COOKIE_PARAMETERS, "response_headers": {200: _SET_COOKIE, 401: _SET_COOKIE}},
    "/logout": {"parameters": _COOKIE_PARAMETERS, "response_headers": {204: _SET_COOKIE}},
}

# POST /oauth/token (oauth.py): a form, client authentication by HTTP Basic or in the form, and
# RFC 6749's answers and error body rather than API.md's
OAUTH_ERROR = {"$ref": "#/components/schemas/OAuthError"}
_SCOPE_WORD = "(" + "|".join(oauth.SCOPES) + ")"
_TOKEN_FORM = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        "grant_type": {"type": "string", "enum": [oauth.GRANT_TYPE]},
        "scope": {
            "type": "string",
            "pattern": f"^{_SCOPE_WORD}( {_SCOPE_WORD})*$",
            "description": "Fewer scopes than the client has, space separated; all of them if left out",
        },
        "client_id": {"type": "string", "description": "client_secret_post: the client's id"},
        "client_secret": {"type": "string", "description": "client_secret_post: the client's secret"},
    },
    # other parameters are ignored (RFC 6749 3.1), each once, 10 in all at most (oauth.MAX_FIELDS)
    "additionalProperties": {"type": "string"},
    "maxProperties": oauth.MAX_FIELDS,
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}}
_OAUTH = {
    "/oauth/token": {
        "response_headers": {
            200: {"Cache-Control": {"description": "`no-store`", "schema": {"type": "string"}}},
            401: {
                "WWW-Authenticate": {
                    "description": f"`{oauth.WWW_AUTHENTICATE}`",
                    "schema": {"type": "string"},
                }
            },
            429: _RETRY_AFTER,
            503: _RETRY_AFTER,
        }
    }
}
CLIENT_BASIC = {
    "type": "http",
    "scheme": "basic",
    "description": "A machine client's id and secret (client_secret_basic, RFC 6749 2.3.1); "
    "or both in the form instead (client_secret_post)",
}

_TABLE: list[tuple[str, str, str, bool, str | None, dict[int, Any]]] = [
    ("GET", "/health", "Service health", False, None, {200: "Health"}),
    ("GET", "/openapi.json", "This document", False, None, {200: None}),
    (
        "POST",
        "/register",
        "Create an account; mails a verification link and the customer id",
        False,
        "Registration",
        {201: "Registered", 400: ERROR, 422: ERROR, 429: ERROR},
    ),
    (
        "POST",
        "/verify-email",
        "Confirm the email address with the mailed token",
        False,
        "TokenBody",
        {200: "Verified", 422: ERROR},
    ),
    (
        "POST",
        "/login",
        "Log in with customer id, email or phone; `cookie`: the refresh token in the session cookie",
        False,
        "Login",
        {200: LOGIN_ANSWER, 401: ERROR, 403: ERROR, 429: ERROR},
    ),
    (
        "POST",
        "/login/second-factor",
        "Second step of a login asking one (`mfa_required`): the mfa_token with an app code, a recovery"
        " code or a passkey assertion; opens the session as the login would have (the same cookie"
        " choices); the token is used up by a success, 422 invalid_token after",
        False,
        "SecondFactorLogin",
        {200: PAIR_OR_COOKIE, 403: ERROR, 422: ERROR, 429: ERROR},
    ),
    (
        "POST",
        "/login/passkey/options",
        "Options of a login by passkey alone (navigator.credentials.get(); one-use challenge of 5 minutes)",
        False,
        None,
        {200: "WebAuthnOptions", 429: ERROR},
    ),
    (
        "POST",
        "/login/passkey",
        "Log in with a passkey alone (a discoverable credential, the user verified); 422 invalid_passkey",
        False,
        "PasskeyLogin",
        {200: PAIR_OR_COOKIE, 422: ERROR},
    ),
    (
        "POST",
        "/refresh",
        "Rotate a refresh token (the body's, else the session cookie's); a reused one revokes its family",
        False,
        "RefreshBody",
        {200: PAIR_OR_COOKIE, 401: ERROR, 403: ERROR},
    ),
    (
        "POST",
        "/logout",
        "End the session of a refresh token (the body's, else the session cookie's, which is cleared)",
        False,
        "RefreshBody",
        {204: None, 403: ERROR},
    ),
    ("GET", "/.well-known/jwks.json", "Public keys of access tokens", False, None, {200: "Jwks"}),
    (
        "POST",
        "/password/forgot",
        "Mail a reset link; same answer whatever the login",
        False,
        "ForgotBody",
        {202: "Accepted", 429: ERROR},
    ),
    (
        "POST",
        "/recovery-requests",
        "Ask the provider to recover an account whose email is out of reach (customer id, an address or"
        " phone to be answered at, a message); same answer whatever the id names",
        False,
        "RecoveryRequest",
        {202: "Accepted", 422: ERROR, 429: ERROR},
    ),
    (
        "POST",
        "/password/reset",
        "Set a new password with the mailed token; revokes every session",
        False,
        "ResetBody",
        {204: None, 422: ERROR},
    ),
    (
        "POST",
        "/password/change",
        "Change the password; revokes the other sessions",
        True,
        "PasswordChange",
        {204: None, 401: ERROR, 422: ERROR, 429: ERROR},
    ),
    (
        "POST",
        "/activate",
        "Choose the first password of an account the provider imported, with the invitation's token",
        False,
        "Activation",
        {200: "Verified", 422: ERROR},
    ),
    ("GET", "/me", "The profile", True, None, {200: "Profile", 401: ERROR}),
    (
        "PATCH",
        "/me",
        "Change the profile (not the email nor the customer id)",
        True,
        "ProfileChanges",
        {200: "Profile", 401: ERROR, 409: ERROR, 422: ERROR},
    ),
    (
        "POST",
        "/me/email-change",
        "Ask to change the email; a code goes to the current address",
        True,
        "EmailChangeRequest",
        {202: "EmailChangeRequested", 401: ERROR, 422: ERROR, 429: ERROR},
    ),
    ("DELETE", "/me/email-change", "Cancel the email change", True, None, {204: None, 404: ERROR}),
    (
        "POST",
        "/me/email-change/confirm",
        "Confirm the email change with the code",
        True,
        "CodeBody",
        {200: "Profile", 404: ERROR, 409: ERROR, 422: ERROR, 429: ERROR},
    ),
    (
        "POST",
        "/email-change/refuse",
        "Refuse an email change from the link mailed to the current address",
        False,
        "TokenBody",
        {204: None, 422: ERROR},
    ),
    ("GET", "/me/contacts", "The contacts", True, None, {200: list_of("Contact")}),
    (
        "POST",
        "/me/contacts",
        "Add a contact (20 at most)",
        True,
        "ContactBody",
        {201: "Contact", 409: ERROR, 422: ERROR},
    ),
    ("GET", "/me/contacts/{contact_id}", "One contact", True, None, {200: "Contact", 404: ERROR}),
    (
        "PATCH",
        "/me/contacts/{contact_id}",
        "Change a contact",
        True,
        "ContactChanges",
        {200: "Contact", 404: ERROR, 422: ERROR},
    ),
    ("DELETE", "/me/contacts/{contact_id}", "Remove a contact", True, None, {204: None, 404: ERROR}),
    (
        "GET",
        "/me/second-factors",
        "The second factors: the authenticator app's state and the passkeys",
        True,
        None,
        {200: "SecondFactors"},
    ),
    (
        "POST",
        "/me/totp",
        "Start setting up an authenticator app: its secret, otpauth URI and QR code, shown this once;"
        " 409 totp_already_enabled",
        True,
        None,
        {201: "TotpEnrolment", 409: ERROR},
    ),
    (
        "POST",
        "/me/totp/confirm",
        "Enable the authenticator app with its first code (and the password, for a session signed in"
        " without a second factor): the 10 recovery codes, shown this once; other sessions end; mailed",
        True,
        "TotpConfirmation",
        {200: "RecoveryCodes", 403: ERROR, 404: ERROR, 409: ERROR, 429: ERROR},
    ),
    (
        "DELETE",
        "/me/totp",
        "Remove the authenticator app (after a recent second factor, or with the password in the body);"
        " mailed",
        True,
        "PasswordConfirmation",
        {204: None, 403: ERROR, 404: ERROR, 429: ERROR},
    ),
    (
        "POST",
        "/me/totp/recovery-codes",
        "New recovery codes, shown this once; the old ones stop working",
        True,
        "PasswordConfirmation",
        {200: "RecoveryCodes", 403: ERROR, 404: ERROR, 429: ERROR},
    ),
    (
        "POST",
        "/me/passkeys/options",
        "Options of navigator.credentials.create() for a new passkey (one-use challenge of 5 minutes)",
        True,
        None,
        {200: "WebAuthnOptions"},
    ),
    ("GET", "/me/passkeys", "The passkeys", True, None, {200: list_of("Passkey")}),
    (
        "POST",
        "/me/passkeys",
        "Register a passkey (the response of navigator.credentials.create(), a name, and the password"
        " for a session signed in without a second factor); mailed",
        True,
        "PasskeyRegistration",
        {201: "Passkey", 403: ERROR, 429: ERROR},
    ),
    (
        "PATCH",
        "/me/passkeys/{passkey_id}",
        "Rename a passkey",
        True,
        "PasskeyChanges",
        {200: "Passkey", 404: ERROR},
    ),
    (
        "DELETE",
        "/me/passkeys/{passkey_id}",
        "Remove a passkey (after a recent second factor, or with the password in the body); mailed",
        True,
        "PasswordConfirmation",
        {204: None, 403: ERROR, 404: ERROR, 429: ERROR},
    ),
    (
        "POST",
        "/step-up/passkey-options",
        "Options of navigator.credentials.get() for a step-up with a passkey",
        True,
        None,
        {200: "WebAuthnOptions"},
    ),
    (
        "POST",
        "/step-up",
        "Authenticate again in this session before a sensitive action: an app code, a recovery code or a"
        " passkey for an account with a second factor, the password for one without; a fresh access"
        " token whose auth_time is now",
        True,
        "StepUp",
        {200: "SteppedUp", 401: ERROR, 429: ERROR},
    ),
    (
        "POST",
        "/me/data-exports",
        "Ask for a copy of every data kept about the customer (GDPR): a ZIP of JSON and CSV files and "
        "the invoices' PDFs, prepared by every service, then linked by mail (link valid 24 h); one at "
        "a time (409 export_in_progress), three a day (429 too_many_exports)",
        True,
        None,
        {202: "DataExport", 401: ERROR, 409: ERROR, 429: ERROR},
    ),
    (
        "GET",
        "/me/data-exports/{export_id}",
        "Where a copy of the data stands, with its download link while valid",
        True,
        None,
        {200: "DataExport", 404: ERROR},
    ),
    (
        "POST",
        "/me/closure",
        "Close the account, the password confirmed: refused (409 account_not_closable, with the reasons) "
        "while a contract runs or an amount is due; then no login, the customer mailed what is kept "
        "(invoices and payments, 10 years) and every service erases the personal data",
        True,
        "ClosureRequest",
        {204: None, 409: "ClosureRefused", 422: ERROR, 429: ERROR},
    ),
    ("GET", "/me/sessions", "Active sessions", True, None, {200: list_of("Session")}),
    ("DELETE", "/me/sessions/{session_id}", "Revoke a session", True, None, {204: None, 404: ERROR}),
    (
        "POST",
        "/sessions/close",
        "Close the session a new-device login notice names, with the mailed token (once; no login)",
        False,
        "TokenBody",
        {204: None, 422: ERROR},
    ),
    (
        "POST",
        "/oauth/token",
        "An operator token for a machine client (OAuth 2.0 client credentials, RFC 6749 4.4); "
        "errors in RFC 6749's body",
        False,
        None,
        {200: "OAuthToken", 400: OAUTH_ERROR, 401: OAUTH_ERROR, 429: OAUTH_ERROR, 503: OAUTH_ERROR},
    ),
]

# operator routes: an operator token with the customers:write scope (403 without it)
OPERATOR_SCOPE = "customers:write"
# a customers file: its bytes as they are, not a JSON object (customer_import.py)
_FILE_COLUMNS = (
    "a header line naming its columns among external_id, email, first_name, last_name (required), "
    "phone, language, company, account_type, siren, siret, vat_number (a business: SIREN or SIRET and VAT "
    "number checked by format and check digits, VIES not consulted), address_line1, address_line2, "
    "address_postal_code, address_city, address_country"
)
FILE_REQUEST_BODY = openapi.file_request_body(
    "A customers file, 5 MB and 50,000 rows at most",
    csv=_FILE_COLUMNS,
    jsonl="one object per line, OperatorCustomer's fields and external_id",
)
_OPERATOR_ROUTES = [
    Route(
        "PUT",
        "/operator/customers/{external_id}",
        "Operator: create (and invite) or update the customer of this provider's id; "
        "the same body again changes nothing",
        body="OperatorCustomer",
        responses={200: "ProviderCustomer", 201: "ProviderCustomer", 400: ERROR, 409: ERROR, 422: ERROR},
        operator_scope=OPERATOR_SCOPE,
    ),
    Route(
        "GET",
        "/operator/customers/{external_id}",
        "Operator: the customer of this provider's id",
        responses={200: "ProviderCustomer", 404: ERROR},
        operator_scope=OPERATOR_SCOPE,
    ),
    Route(
        "POST",
        "/operator/customers/imports",
        "Operator: import a customers file (CSV or JSON Lines); applied by the apply_customer_imports job",
        responses={202: "CustomerImport", 413: ERROR, 415: ERROR, 422: ERROR},
        operator_scope=OPERATOR_SCOPE,
    ),
    Route(
        "GET",
        "/operator/customers/imports/{import_id}",
        "Operator: an import's counts and its report, a line per row",
        query=(
            ("status", openapi.one_of("created", "updated", "unchanged", "rejected")),
            openapi.PAGE_LIMIT,
            "cursor",
        ),
        responses={200: "ImportReport", 404: ERROR, 422: ERROR},
        operator_scope=OPERATOR_SCOPE,
    ),
    Route(
        "GET",
        "/operator/recovery-cases",
        "Operator: the open requests to recover an account whose email is out of reach, oldest first",
        responses={200: "RecoveryCases"},
        operator_scope=OPERATOR_SCOPE,
    ),
    Route(
        "GET",
        "/operator/recovery-cases/{case_id}",
        "Operator: a recovery case, with what the account holds to check the requester against",
        responses={200: "RecoveryCase", 404: ERROR},
        operator_scope=OPERATOR_SCOPE,
    ),
    Route(
        "POST",
        "/operator/recovery-cases/{case_id}/approve",
        "Operator: the requester's identity checked, the new email becomes the login email (409"
        " email_unavailable if another account has it), every session ends and the new address gets a"
        " link to choose a password; 409 recovery_decided for a decided case",
        body="RecoveryApproval",
        responses={200: "RecoveryCase", 400: ERROR, 404: ERROR, 409: ERROR, 422: ERROR},
        operator_scope=OPERATOR_SCOPE,
    ),
    Route(
        "POST",
        "/operator/recovery-cases/{case_id}/refuse",
        "Operator: refuse, the reason mailed to the contact address; 409 recovery_decided for a decided case",
        body="RecoveryRefusal",
        responses={200: "RecoveryCase", 400: ERROR, 404: ERROR, 409: ERROR, 422: ERROR},
        operator_scope=OPERATOR_SCOPE,
    ),
]

# webhook routes (webhook_api.py, docs/WEBHOOKS.md): an operator token with webhooks:manage; a
# client sees its own endpoints only (another's id answers 404)
WEBHOOKS_SCOPE = "webhooks:manage"
_ENDPOINTS = "/operator/webhooks/endpoints"
_ENDPOINT = _ENDPOINTS + "/{endpoint_id}"
_DELIVERY = _ENDPOINT + "/deliveries/{delivery_id}"
_WEBHOOK_ROUTES = [
    Route(
        "POST",
        _ENDPOINTS,
        "Operator: register a webhook endpoint (https, public address) for some event types or `*`; "
        "the answer shows its signing secret, this once",
        body="WebhookEndpointBody",
        responses={201: "WebhookEndpointWithSecret", 400: ERROR, 409: ERROR, 422: ERROR},
        operator_scope=WEBHOOKS_SCOPE,
    ),
    Route(
        "GET",
        _ENDPOINTS,
        "Operator: the calling client's webhook endpoints, oldest first",
        responses={200: "WebhookEndpoints"},
        operator_scope=WEBHOOKS_SCOPE,
    ),
    Route(
        "GET",
        _ENDPOINT,
        "Operator: one webhook endpoint of the calling client",
        responses={200: "WebhookEndpoint", 404: ERROR},
        operator_scope=WEBHOOKS_SCOPE,
    ),
    Route(
        "PATCH",
        _ENDPOINT,
        "Operator: change a webhook endpoint's url, event types, description, or enable/disable it",
        body="WebhookEndpointChanges",
        responses={200: "WebhookEndpoint", 400: ERROR, 404: ERROR, 409: ERROR, 422: ERROR},
        operator_scope=WEBHOOKS_SCOPE,
    ),
    Route(
        "DELETE",
        _ENDPOINT,
        "Operator: delete a webhook endpoint; its pending deliveries stop",
        responses={204: None, 404: ERROR},
        operator_scope=WEBHOOKS_SCOPE,
    ),
    Route(
        "POST",
        _ENDPOINT + "/rotate-secret",
        "Operator: a new signing secret, shown this once; the previous one signs beside it for 24 hours",
        responses={200: "WebhookEndpointWithSecret", 404: ERROR, 409: ERROR},
        operator_scope=WEBHOOKS_SCOPE,
    ),
    Route(
        "GET",
        _ENDPOINT + "/deliveries",
        "Operator: the endpoint's delivery log, newest event first",
        query=(openapi.PAGE_LIMIT, "cursor"),
        responses={200: "WebhookDeliveries", 404: ERROR, 422: ERROR},
        operator_scope=WEBHOOKS_SCOPE,
    ),
    Route(
        "GET",
        _DELIVERY,
        "Operator: one delivery, with the body its attempts send",
        responses={200: "WebhookDeliveryWithPayload", 404: ERROR},
        operator_scope=WEBHOOKS_SCOPE,
    ),
    Route(
        "POST",
        _DELIVERY + "/replay",
        "Operator: send the delivery's event again now (one more attempt, the same event id)",
        responses={200: "WebhookDeliveryWithPayload", 404: ERROR},
        operator_scope=WEBHOOKS_SCOPE,
    ),
]

# (method, path, summary, protected, request model, {status: response schema})
ROUTES = (
    [
        Route(
            method,
            path,
            summary,
            protected=protected,
            body=body,
            # a route that reads a body answers 400 (not JSON) and 422 (invalid fields) as well
            responses={**({400: ERROR, 422: ERROR} if body else {}), **responses},
            **(_SESSION_COOKIE | _OAUTH).get(path, {}),  # type: ignore[arg-type]
        )
        for method, path, summary, protected, body, responses in _TABLE
    ]
    + _OPERATOR_ROUTES
    + _WEBHOOK_ROUTES
)


def document() -> dict[str, Any]:
    built = openapi.document(service="auth", routes=ROUTES, components=_SCHEMAS, schemas=schemas)
    token = built["paths"]["/auth/oauth/token"]["post"]
    token["requestBody"] = {"required": True, "content": {oauth.FORM: {"schema": _TOKEN_FORM}}}
    token["security"] = [{"client_basic": []}, {}]  # or client_secret_post, in the form
    built["components"]["securitySchemes"]["client_basic"] = CLIENT_BASIC
    built["paths"]["/auth/operator/customers/imports"]["post"]["requestBody"] = FILE_REQUEST_BODY
    return built
