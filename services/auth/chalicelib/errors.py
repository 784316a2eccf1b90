"""Errors of the auth service. Each carries its HTTP status; guichet_contracts.web renders them."""

from guichet_contracts.errors import (
    ApiError,
    Conflict,
    Forbidden,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
    ValidationFailed,
)

__all__ = [
    "ApiError",
    "ConcurrentUpdate",
    "Conflict",
    "ContactLimitReached",
    "EmailNotVerified",
    "EmailUnavailable",
    "InvalidCode",
    "InvalidCredentials",
    "InvalidRefreshToken",
    "InvalidToken",
    "NoPendingEmailChange",
    "NotFound",
    "PhoneUnavailable",
    "TooManyAttempts",
    "TooManyCodes",
    "Unauthenticated",
    "ValidationFailed",
    "WeakPassword",
    "WrongPassword",
]


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    message = "The login or the password is not correct."
    translations = {
        "fr": "L'identifiant ou le mot de passe est incorrect.",
        "it": "L'identificativo o la password non sono corretti.",
    }


class EmailNotVerified(Forbidden):
    code = "email_not_verified"
    message = "Confirm your email address with the link we sent before logging in."
    translations = {
        "fr": "Confirmez votre adresse e-mail avec le lien envoyé avant de vous connecter.",
        "it": "Confermi il Suo indirizzo email con il link inviato prima di accedere.",
    }


class InvalidToken(ValidationFailed):
    code = "invalid_token"
    message = "This link is invalid, already used or expired."
    translations = {
        "fr": "Ce lien n'est pas valide, a déjà servi ou a expiré.",
        "it": "Questo link non è valido, è già stato usato o è scaduto.",
    }


class InvalidCode(ValidationFailed):
    code = "invalid_code"
    message = "This validation code is not correct."
    translations = {
        "fr": "Ce code de validation est incorrect.",
        "it": "Questo codice di convalida non è corretto.",
    }


class WeakPassword(ValidationFailed):
    code = "weak_password"
    message = (
        "Choose a password of 12 characters or more that is hard to guess: a few unrelated words work well."
    )
    translations = {
        "fr": "Choisissez un mot de passe d'au moins 12 caractères, difficile à deviner : "
        "quelques mots sans rapport entre eux conviennent bien.",
        "it": "Scelga una password di almeno 12 caratteri, difficile da indovinare: "
        "alcune parole senza legame tra loro vanno bene.",
    }


class WrongPassword(ValidationFailed):
    code = "wrong_password"
    message = "The password is not correct."
    translations = {"fr": "Le mot de passe est incorrect.", "it": "La password non è corretta."}


class ConcurrentUpdate(Conflict):
    code = "concurrent_update"
    message = "This changed meanwhile: read it again and retry."
    translations = {
        "fr": "Les données ont changé entre-temps : relisez-les et réessayez.",
        "it": "I dati sono cambiati nel frattempo: li rilegga e riprovi.",
    }


class TooManyCodes(TooManyAttempts):
    code = "too_many_codes"
    message = "Too many wrong codes. Ask for a new email change."
    translations = {
        "fr": "Trop de codes erronés. Demandez un nouveau changement d'adresse e-mail.",
        "it": "Troppi codici errati. Richieda un nuovo cambio di indirizzo email.",
    }


class InvalidRefreshToken(Unauthenticated):
    code = "invalid_refresh_token"
    message = "This refresh token is not valid any more. Log in again."
    translations = {
        "fr": "Ce jeton de rafraîchissement n'est plus valide. Reconnectez-vous.",
        "it": "Questo token di aggiornamento non è più valido. Acceda di nuovo.",
    }


class EmailUnavailable(Conflict):
    code = "email_unavailable"
    message = "This email address cannot be used for this account."
    translations = {
        "fr": "Cette adresse e-mail ne peut pas être utilisée pour ce compte.",
        "it": "Questo indirizzo email non può essere usato per questo account.",
    }


class PhoneUnavailable(Conflict):
    code = "phone_unavailable"
    message = "This phone number cannot be used for this account."
    translations = {
        "fr": "Ce numéro de téléphone ne peut pas être utilisé pour ce compte.",
        "it": "Questo numero di telefono non può essere usato per questo account.",
    }


class NoPendingEmailChange(NotFound):
    code = "no_pending_email_change"
    message = "There is no email change waiting."
    translations = {
        "fr": "Aucun changement d'adresse e-mail n'est en attente.",
        "it": "Nessun cambio di indirizzo email è in attesa.",
    }


class ContactLimitReached(Conflict):
    code = "contact_limit_reached"
    message = "An account has at most 20 contacts."
    translations = {"fr": "Un compte a au plus 20 contacts.", "it": "Un account ha al massimo 20 contatti."}
