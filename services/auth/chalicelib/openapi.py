"""The OpenAPI 3.1 document of the auth API, served at GET /auth/openapi.json.

Request bodies come from the pydantic models the routes validate with, so they cannot drift;
the tests check that every route of the app is here (and nothing else) and that the answers
of the route tests match the response schemas below.
"""

from __future__ import annotations

from typing import Any

from . import schemas

_ERROR = {"$ref": "#/components/schemas/Error"}
_STRING_OR_NULL = {"type": ["string", "null"]}
_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "pattern": "^[a-z_]+$"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }
        },
    },
    "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
    "Registered": {
        "type": "object",
        "required": ["customer_id", "email", "status"],
        "properties": {
            "customer_id": {"type": "string", "pattern": "^[a-z]{2}[0-9]{6}-[A-Z0-9]{2,10}$"},
            "email": {"type": "string"},
            "status": {"const": "pending_verification"},
        },
    },
    "Verified": {
        "type": "object",
        "required": ["customer_id", "status"],
        "properties": {"customer_id": {"type": "string"}, "status": {"const": "active"}},
    },
    "TokenPair": {
        "type": "object",
        "required": ["access_token", "refresh_token", "token_type", "expires_in"],
        "properties": {
            "access_token": {"type": "string"},
            "refresh_token": {"type": "string"},
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer", "maximum": 900},
            "session_id": {"type": "string"},
        },
    },
    "Jwks": {"type": "object", "required": ["keys"], "properties": {"keys": {"type": "array"}}},
    "Accepted": {"type": "object", "required": ["status"], "properties": {"status": {"const": "accepted"}}},
    "Address": {
        "type": ["object", "null"],
        "properties": {
            "line1": {"type": "string"},
            "line2": _STRING_OR_NULL,
            "postal_code": {"type": "string"},
            "city": {"type": "string"},
            "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
        },
    },
    "Profile": {
        "type": "object",
        "required": [
            "customer_id",
            "first_name",
            "last_name",
            "email",
            "backup_email",
            "phone",
            "address",
            "language",
            "company",
            "created_at",
            "pending_email_change",
        ],
        "properties": {
            "customer_id": {"type": "string"},
            "first_name": {"type": "string"},
            "last_name": {"type": "string"},
            "email": {"type": "string"},
            "backup_email": _STRING_OR_NULL,
            "phone": _STRING_OR_NULL,
            "address": {"$ref": "#/components/schemas/Address"},
            "language": {"enum": ["fr", "en", "it"]},
            "company": _STRING_OR_NULL,
            "status": {"enum": ["pending_verification", "active"]},
            "created_at": {"type": "string", "format": "date-time"},
            "pending_email_change": {
                "type": ["object", "null"],
                "properties": {"new_email": {"type": "string"}, "expires_at": {"type": "string"}},
            },
        },
    },
    "EmailChangeRequested": {
        "type": "object",
        "required": ["expires_at"],
        "properties": {
            "expires_at": {"type": "string", "format": "date-time"},
            "new_email": {"type": "string"},
        },
    },
    "Contact": {
        "type": "object",
        "required": ["contact_id", "name", "email", "phone", "roles"],
        "properties": {
            "contact_id": {"type": "string"},
            "name": {"type": "string"},
            "email": _STRING_OR_NULL,
            "phone": _STRING_OR_NULL,
            "roles": {"type": "array", "items": {"enum": ["admin", "billing", "technical"]}},
        },
    },
    "Session": {
        "type": "object",
        "required": ["session_id", "created_at", "last_used_at", "expires_at", "current"],
        "properties": {
            "session_id": {"type": "string"},
            "created_at": {"type": "string"},
            "last_used_at": {"type": "string"},
            "expires_at": {"type": "string"},
            "user_agent": _STRING_OR_NULL,
            "ip": _STRING_OR_NULL,
            "current": {"type": "boolean"},
        },
    },
}


def _list_of(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}},
            "next_cursor": _STRING_OR_NULL,
        },
    }


# (method, path, summary, protected, request model, {status: response schema or None})
ROUTES: list[tuple[str, str, str, bool, str | None, dict[int, Any]]] = [
    ("GET", "/health", "Service health", False, None, {200: "Health"}),
    ("GET", "/openapi.json", "This document", False, None, {200: None}),
    (
        "POST",
        "/register",
        "Create an account; mails a verification link and the customer id",
        False,
        "Registration",
        {201: "Registered", 400: _ERROR, 422: _ERROR},
    ),
    (
        "POST",
        "/verify-email",
        "Confirm the email address with the mailed token",
        False,
        "TokenBody",
        {200: "Verified", 422: _ERROR},
    ),
    (
        "POST",
        "/login",
        "Log in with customer id, email or phone",
        False,
        "Login",
        {200: "TokenPair", 401: _ERROR, 403: _ERROR, 429: _ERROR},
    ),
    (
        "POST",
        "/refresh",
        "Rotate a refresh token; a reused one revokes its family",
        False,
        "RefreshBody",
        {200: "TokenPair", 401: _ERROR},
    ),
    ("POST", "/logout", "End the session of a refresh token", False, "RefreshBody", {204: None}),
    ("GET", "/.well-known/jwks.json", "Public keys of access tokens", False, None, {200: "Jwks"}),
    (
        "POST",
        "/password/forgot",
        "Mail a reset link; same answer whatever the login",
        False,
        "ForgotBody",
        {202: "Accepted"},
    ),
    (
        "POST",
        "/password/reset",
        "Set a new password with the mailed token; revokes every session",
        False,
        "ResetBody",
        {204: None, 422: _ERROR},
    ),
    (
        "POST",
        "/password/change",
        "Change the password; revokes the other sessions",
        True,
        "PasswordChange",
        {204: None, 401: _ERROR, 422: _ERROR, 429: _ERROR},
    ),
    ("GET", "/me", "The profile", True, None, {200: "Profile", 401: _ERROR}),
    (
        "PATCH",
        "/me",
        "Change the profile (not the email nor the customer id)",
        True,
        "ProfileChanges",
        {200: "Profile", 401: _ERROR, 409: _ERROR, 422: _ERROR},
    ),
    (
        "POST",
        "/me/email-change",
        "Ask to change the email; a code goes to the current address",
        True,
        "EmailChangeRequest",
        {202: "EmailChangeRequested", 401: _ERROR, 422: _ERROR},
    ),
    ("DELETE", "/me/email-change", "Cancel the email change", True, None, {204: None, 404: _ERROR}),
    (
        "POST",
        "/me/email-change/confirm",
        "Confirm the email change with the code",
        True,
        "CodeBody",
        {200: "Profile", 404: _ERROR, 409: _ERROR, 422: _ERROR, 429: _ERROR},
    ),
    (
        "POST",
        "/email-change/refuse",
        "Refuse an email change from the link mailed to the current address",
        False,
        "TokenBody",
        {204: None, 422: _ERROR},
    ),
    ("GET", "/me/contacts", "The contacts", True, None, {200: _list_of("Contact")}),
    (
        "POST",
        "/me/contacts",
        "Add a contact (20 at most)",
        True,
        "ContactBody",
        {201: "Contact", 409: _ERROR, 422: _ERROR},
    ),
    ("GET", "/me/contacts/{contact_id}", "One contact", True, None, {200: "Contact", 404: _ERROR}),
    (
        "PATCH",
        "/me/contacts/{contact_id}",
        "Change a contact",
        True,
        "ContactChanges",
        {200: "Contact", 404: _ERROR, 422: _ERROR},
    ),
    ("DELETE", "/me/contacts/{contact_id}", "Remove a contact", True, None, {204: None, 404: _ERROR}),
    ("GET", "/me/sessions", "Active sessions", True, None, {200: _list_of("Session")}),
    ("DELETE", "/me/sessions/{session_id}", "Revoke a session", True, None, {204: None, 404: _ERROR}),
]


def _response(status: int, schema: Any) -> dict[str, Any]:
    if schema is None:
        return {"description": "No content" if status == 204 else "See description"}
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    return {"description": str(status), "content": {"application/json": {"schema": schema}}}


def document() -> dict[str, Any]:
    components = dict(_SCHEMAS)
    paths: dict[str, dict[str, Any]] = {}
    for method, path, summary, protected, body, responses in ROUTES:
        operation: dict[str, Any] = {
            "summary": summary,
            "responses": {str(status): _response(status, schema) for status, schema in responses.items()},
        }
        if protected:
            operation["security"] = [{"bearer": []}]
            operation["responses"].setdefault("401", _response(401, _ERROR))
        if body:
            model = getattr(schemas, body)
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in schema.pop("$defs", {}).items():
                components[name] = definition
            components[body] = schema
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
            }
        parameters = [
            {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
            for part in path.split("/")
            if part.startswith("{")
        ]
        if parameters:
            operation["parameters"] = parameters
        paths.setdefault(f"/auth{path}", {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Guichet auth", "version": "1.0.0"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
