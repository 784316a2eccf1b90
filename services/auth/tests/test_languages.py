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
    from chalicelib.errors import InvalidCredentials

    headers = {"accept-language": accept_language} if accept_language else {}
    body = {"login": unique_email("nobody"), "password": "whatever it may be"}

    error = assert_error(call(client, "POST", "/login", body, headers=headers), 401, "invalid_credentials")

    expected = InvalidCredentials.message if language == "en" else InvalidCredentials.translations[language]
    assert error["message"] == expected


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
