"""Errors of the subscriptions service. Each carries its HTTP status; guichet_contracts.web renders them."""

from guichet_contracts.errors import (
    ApiError,
    Conflict,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
    ValidationFailed,
)

__all__ = [
    "AddressMissing",
    "ApiError",
    "AppointmentPast",
    "Conflict",
    "ForbiddenTransition",
    "NotFound",
    "ProfileUnavailable",
    "SlotUnavailable",
    "SupportMessagesExhausted",
    "TooManyAttempts",
    "Unauthenticated",
    "UnknownProduct",
    "ValidationFailed",
]


class ForbiddenTransition(Conflict):
    code = "forbidden_transition"
    message = "The subscription's status does not allow this."
    translations = {
        "fr": "Le statut de l'abonnement ne permet pas cette action.",
        "it": "Lo stato dell'abbonamento non consente questa azione.",
    }


class UnknownProduct(ValidationFailed):
    code = "unknown_product"
    message = "This product is not in the catalog."
    translations = {"fr": "Ce produit n'est pas au catalogue.", "it": "Questo prodotto non è in catalogo."}


class SlotUnavailable(Conflict):
    code = "slot_unavailable"
    message = "This time slot is no longer available. Choose another one."
    translations = {
        "fr": "Ce créneau n'est plus disponible. Choisissez-en un autre.",
        "it": "Questa fascia oraria non è più disponibile. Ne scelga un'altra.",
    }


class AddressMissing(Conflict):
    code = "address_missing"
    message = "Add your postal address to your profile to get this document."
    translations = {
        "fr": "Ajoutez votre adresse postale à votre profil pour obtenir ce document.",
        "it": "Aggiunga il Suo indirizzo postale al profilo per ottenere questo documento.",
    }


class AppointmentPast(Conflict):
    code = "appointment_past"
    message = "A past appointment cannot be cancelled."
    translations = {
        "fr": "Un rendez-vous passé ne peut pas être annulé.",
        "it": "Un appuntamento passato non può essere annullato.",
    }


class ProfileUnavailable(Conflict):
    code = "profile_unavailable"
    message = "Your customer details are not available yet. Try again in a minute."
    translations = {
        "fr": "Vos coordonnées ne sont pas encore disponibles. Réessayez dans une minute.",
        "it": "I Suoi dati non sono ancora disponibili. Riprovi tra un minuto.",
    }


class SupportMessagesExhausted(TooManyAttempts):
    code = "too_many_messages"
    message = "You have sent as many messages as a day allows. Call us, or write again tomorrow."
    translations = {
        "fr": "Vous avez envoyé autant de messages qu'une journée le permet. Appelez-nous, ou écrivez-nous demain.",
        "it": "Ha inviato tutti i messaggi consentiti in un giorno. Ci chiami, o ci scriva domani.",
    }
