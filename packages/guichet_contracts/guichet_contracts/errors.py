"""The error body of the public API (API.md "Errors") and the errors that carry it."""

from __future__ import annotations

from typing import Any

from chalice import ChaliceUnhandledError  # type: ignore[attr-defined]

from .words import Phrase, render


class ApiError(ChaliceUnhandledError):
    """An error a client can act on: it carries its HTTP status and a stable code.

    Its message is a Phrase (words.py), said in the request's language: the one given at the
    raise, else its code's (`error.<code>` in the catalogs); its `fields` map a field to a Phrase.
    A plain text given instead stays as it is in every language (never for a customer).

    It derives from ChaliceUnhandledError so that Chalice hands it to the middleware instead of
    turning it into its own body.
    """

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code or self.code
        self.status = status or self.status
        self.phrase = message if message is not None else Phrase(f"error.{self.code}")
        self.message = str(self.phrase)
        self.fields = fields or {}
        self.headers = headers or {}
        super().__init__(self.message)

    def message_in(self, language: str) -> str:
        return render(self.phrase, language)

    def body(self, language: str = "en") -> dict[str, Any]:
        fields = {name: render(problem, language) for name, problem in self.fields.items()}
        return error_body(self.code, self.message_in(language), fields)


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


class MalformedRequest(ApiError):
    status = 400
    code = "malformed_request"


class Unauthenticated(ApiError):
    status = 401
    code = "unauthenticated"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class StepUpRequired(Forbidden):
    """A sensitive action of a session signed in with a second factor too long ago: authenticate
    again (POST /auth/step-up) and retry with the fresh access token (access_tokens.py)."""

    code = "step_up_required"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class PayloadTooLarge(ApiError):
    """A body over what one request of that route may bring (a file, a batch, a PDF)."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ApiError):
    """A body of a Content-Type the route does not take."""

    status = 415
    code = "unsupported_media_type"


class ValidationFailed(ApiError):
    status = 422
    code = "validation_failed"


class TooManyAttempts(ApiError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        seconds = max(1, int(retry_after_seconds))
        super().__init__(message, headers={"Retry-After": str(seconds)})
        self.retry_after_seconds = seconds


class ServiceUnavailable(ApiError):
    """AWS failed for a moment (throttled, a 5xx, once the SDK's retries are spent): retry."""

    status = 503
    code = "service_unavailable"
