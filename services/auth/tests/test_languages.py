"""Error messages follow Accept-Language (fr by default, en, it); mails follow the account's language."""

from __future__ import annotations

import pytest
from conftest import assert_error, call, register, subject, unique_email


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        (None, "fr"),
        ("en", "en"),
        ("it-IT,it;q=0.9", "it"),
        ("de-DE, en;q=0.5", "en"),
        ("de", "fr"),
        ("en;q=0.2, it;q=0.8", "it"),
    ],
)
def test_error_messages_follow_accept_language(client, accept_language, language):
    from guichet_contracts.words import catalog

    headers = {"accept-language": accept_language} if accept_language else {}
    body = {"login": unique_email("nobody"), "password": "whatever it may be"}

    error = assert_error(call(client, "POST", "/login", body, headers=headers), 401, "invalid_credentials")

    assert error["message"] == catalog(language)["error.invalid_credentials"]
    assert len({catalog(other)["error.invalid_credentials"] for other in ("fr", "en", "it")}) == 3


def test_the_code_does_not_depend_on_the_language(client):
    codes = {
        call(client, "GET", "/me", headers={"accept-language": language}).json_body["error"]["code"]
        for language in ("fr", "en", "it")
    }

    assert codes == {"unauthenticated"}


@pytest.mark.parametrize("language", ["fr", "en", "it"])
def test_mails_are_in_the_language_of_the_account(client, mailbox, language):
    _, email, _ = register(client, mailbox, language=language)

    assert mailbox.last(email)["subject"] == subject("verify_email", language)
    assert len({subject("verify_email", other) for other in ("fr", "en", "it")}) == 3


REGISTRATION_PROBLEMS = {
    "fr": {
        "email": "n'est pas une adresse e-mail valide",
        "first_name": "ne doit pas être vide",
        "address.country": "doit être un code pays de deux lettres, par exemple FR",
        "address.postal_code": "peut compter au plus 16 caractères",
        "phone": "n'est pas un numéro de téléphone valide",
    },
    "en": {
        "email": "is not a valid email address",
        "first_name": "must not be empty",
        "address.country": "must be a country code of two letters, such as FR",
        "address.postal_code": "can have at most 16 characters",
        "phone": "is not a valid phone number",
    },
    "it": {
        "email": "non è un indirizzo email valido",
        "first_name": "non deve essere vuoto",
        "address.country": "deve essere un codice paese di due lettere, ad esempio IT",
        "address.postal_code": "può contenere al massimo 16 caratteri",
        "phone": "non è un numero di telefono valido",
    },
}


@pytest.mark.parametrize("language", ["fr", "en", "it"])
def test_a_refused_registration_names_each_problem_in_the_readers_language(client, language):
    body = {
        "email": "not an address",
        "password": "a long enough passphrase 1",
        "first_name": "",
        "last_name": "Martin",
        "phone": "12",
        "address": {"line1": "1 rue de la Paix", "postal_code": "7" * 17, "city": "Paris", "country": "ZZ"},
    }

    response = call(client, "POST", "/register", body, headers={"accept-language": language})

    error = assert_error(response, 422, "validation_failed")
    assert response.headers["Content-Language"] == language
    assert (
        error["message"]
        == {
            "fr": "Certains champs ne sont pas valides.",
            "en": "Some fields are not valid.",
            "it": "Alcuni campi non sono validi.",
        }[language]
    )
    assert error["fields"] == REGISTRATION_PROBLEMS[language]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "Choisissez un mot de passe d'au moins 12 caractères"),
        ("en", "Choose a password of 12 characters or more"),
        ("it", "Scelga una password di almeno 12 caratteri"),
    ],
)
def test_a_weak_password_is_explained_in_the_readers_language(client, language, expected):
    body = {"email": unique_email("weak"), "password": "short", "first_name": "A", "last_name": "B"}

    response = call(client, "POST", "/register", body, headers={"accept-language": language})

    error = assert_error(response, 422, "weak_password")
    assert error["message"].startswith(expected)
    assert (
        error["fields"]["password"]
        == {
            "fr": "doit compter au moins 12 caractères",
            "en": "needs at least 12 characters",
            "it": "deve contenere almeno 12 caratteri",
        }[language]
    )
