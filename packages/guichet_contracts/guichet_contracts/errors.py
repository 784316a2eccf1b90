"""The error body of the public API (API.md "Errors") and the errors that carry it."""

from __future__ import annotations

from typing import Any

from chalice import ChaliceUnhandledError  # type: ignore[attr-defined]


class ApiError(ChaliceUnhandledError):
    """An error a client can act on: it carries its HTTP status and a stable code.

    It derives from ChaliceUnhandledError so that Chalice hands it to the middleware instead of
    turning it into its own body.
    """

    status = 400
    code = "bad_request"
    message = "The request is not valid."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.fields = fields or {}
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.fields)


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


class MalformedRequest(ApiError):
    status = 400
    code = "malformed_request"
    message = "The request body is not valid JSON."


class Unauthenticated(ApiError):
    status = 401
    code = "unauthenticated"
    message = "A valid access token is required."


class Forbidden(ApiError):
    status = 403
    code = "forbidden"
    message = "This action is not allowed."


class NotFound(ApiError):
    status = 404
    code = "not_found"
    message = "No such resource."


class Conflict(ApiError):
    status = 409
    code = "conflict"
    message = "The resource is not in a state that allows this."


class ValidationFailed(ApiError):
    status = 422
    code = "validation_failed"
    message = "Some fields are not valid."


class TooManyAttempts(ApiError):
    status = 429
    code = "too_many_attempts"
    message = "Too many attempts. Try again later."

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        seconds = max(1, int(retry_after_seconds))
        super().__init__(message, headers={"Retry-After": str(seconds)})
        self.retry_after_seconds = seconds
