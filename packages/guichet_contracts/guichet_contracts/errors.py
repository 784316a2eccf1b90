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
    # The message in the other languages of API.md; English is `message`.
    translations: dict[str, str] = {"fr": "La requête n'est pas valide.", "it": "La richiesta non è valida."}

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.custom_message = message is not None
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.fields = fields or {}
        self.headers = headers or {}
        super().__init__(self.message)

    def message_in(self, language: str) -> str:
        """The message for a person reading `language`; a message written at the raise stays as is."""
        if self.custom_message or language == "en":
            return self.message
        return self.translations.get(language, self.message)

    def body(self, language: str = "en") -> dict[str, Any]:
        return error_body(self.code, self.message_in(language), self.fields)


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


class MalformedRequest(ApiError):
    status = 400
    code = "malformed_request"
    message = "The request body is not valid JSON."
    translations = {"fr": "La requête n'est pas un JSON valide.", "it": "La richiesta non è un JSON valido."}


class Unauthenticated(ApiError):
    status = 401
    code = "unauthenticated"
    message = "A valid access token is required."
    translations = {
        "fr": "Un jeton d'accès valide est nécessaire.",
        "it": "È necessario un token di accesso valido.",
    }


class Forbidden(ApiError):
    status = 403
    code = "forbidden"
    message = "This action is not allowed."
    translations = {"fr": "Cette action n'est pas permise.", "it": "Questa azione non è consentita."}


class NotFound(ApiError):
    status = 404
    code = "not_found"
    message = "No such resource."
    translations = {"fr": "Cette ressource n'existe pas.", "it": "Questa risorsa non esiste."}


class Conflict(ApiError):
    status = 409
    code = "conflict"
    message = "The resource is not in a state that allows this."
    translations = {
        "fr": "L'état de la ressource ne permet pas cette action.",
        "it": "Lo stato della risorsa non consente questa azione.",
    }


class ValidationFailed(ApiError):
    status = 422
    code = "validation_failed"
    message = "Some fields are not valid."
    translations = {"fr": "Certains champs ne sont pas valides.", "it": "Alcuni campi non sono validi."}


class TooManyAttempts(ApiError):
    status = 429
    code = "too_many_attempts"
    message = "Too many attempts. Try again later."
    translations = {
        "fr": "Trop de tentatives. Réessayez plus tard.",
        "it": "Troppi tentativi. Riprovi più tardi.",
    }

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        seconds = max(1, int(retry_after_seconds))
        super().__init__(message, headers={"Retry-After": str(seconds)})
        self.retry_after_seconds = seconds


class ServiceUnavailable(ApiError):
    """AWS failed for a moment (throttled, a 5xx, once the SDK's retries are spent): retry."""

    status = 503
    code = "service_unavailable"
    message = "The service is busy for a moment. Try again in a second."
    translations = {
        "fr": "Le service est momentanément occupé. Réessayez dans une seconde.",
        "it": "Il servizio è momentaneamente occupato. Riprovi tra un secondo.",
    }
