"""Password policy, exact Unicode passwords and rehashing (acceptance point 4)."""

from __future__ import annotations

import base64
import unicodedata

import pytest
from conftest import PASSWORD, assert_error, call, login, new_customer, registration


def _hash_length(password_hash: str) -> int:
    encoded = password_hash.rsplit("$", 1)[1]
    return len(base64.b64decode(encoded + "=" * (-len(encoded) % 4)))


# A 128-character passphrase mixing precomposed accents, emoji (outside the BMP), CJK and spaces.
_PIECES = "Ça été très drôle 😀🎉 漢字かな交じり文 Ünïcödé ñandú ẞtraße 🐍🦊 Ελληνικά №42 "
UNICODE_PASSWORD = (_PIECES * 3)[:127] + "é"
# The same mix in 72 characters: all of it goes through zxcvbn's estimate (its limit).
SHORTER_UNICODE_PASSWORD = (_PIECES * 2)[:71] + "é"


@pytest.mark.parametrize("password", [UNICODE_PASSWORD, SHORTER_UNICODE_PASSWORD])
def test_the_unicode_passphrases_are_what_the_tests_claim(password):
    assert len(password) in (128, 72)
    assert any(ord(c) > 0xFFFF for c in password)  # emoji
    assert any("\u4e00" <= c <= "\u9fff" for c in password)  # CJK
    assert unicodedata.normalize("NFD", password) != password
    assert unicodedata.normalize("NFC", password) == password


@pytest.mark.parametrize("too_short", ["Xq9#vT2!mZ4", "é😀漢"])
def test_a_password_under_12_characters_is_refused(client, too_short):
    response = call(client, "POST", "/register", registration(password=too_short))

    assert_error(response, 422, "weak_password", fields=("password",))


@pytest.mark.parametrize("common", ["password1234", "azertyuiop123", "motdepasse123", "123456789012"])
def test_common_passwords_are_refused(client, common):
    response = call(client, "POST", "/register", registration(password=common))

    assert_error(response, 422, "weak_password", fields=("password",))


def test_a_password_made_of_the_customers_own_names_is_refused(client):
    body = registration(first_name="Maximilien", last_name="Robespierre")
    body["password"] = "MaximilienRobespierre"

    assert_error(call(client, "POST", "/register", body), 422, "weak_password", fields=("password",))


def test_a_password_over_256_characters_is_refused(client):
    response = call(client, "POST", "/register", registration(password="Kx7#pLm2" * 33))

    assert_error(response, 422, "weak_password", fields=("password",))


def _login_only_with_exactly(client, mailbox, password):
    # Given a customer whose password is mixed Unicode
    customer = new_customer(client, mailbox, password=password)

    # When logging in with exactly that string / Then it works
    assert login(client, customer.email, password).status_code == 200

    # When the same text is normalised otherwise, or has a space around / Then it is another password
    for variant in (
        unicodedata.normalize("NFD", password),
        password + " ",
        " " + password,
        password[:-1],
    ):
        assert variant != password
        assert_error(login(client, customer.email, variant), 401, "invalid_credentials")


def test_a_72_character_unicode_password_is_taken_exactly_as_typed(client, mailbox):
    _login_only_with_exactly(client, mailbox, SHORTER_UNICODE_PASSWORD)


def test_a_128_character_unicode_password_is_taken_exactly_as_typed(client, mailbox):
    _login_only_with_exactly(client, mailbox, UNICODE_PASSWORD)


@pytest.mark.parametrize("path", ["/register", "/password/change"])
def test_a_long_ascii_passphrase_is_accepted(client, customer, path):
    long_passphrase = "the quick brown fox jumps over the lazy dog while it rains on Lyon " * 2
    assert 73 <= len(long_passphrase) <= 256
    if path == "/register":
        response = call(client, "POST", path, registration(password=long_passphrase))
        assert response.status_code == 201, response.body
    else:
        body = {"current_password": PASSWORD, "new_password": long_passphrase}
        response = call(client, "POST", path, body, token=customer.access_token)
        assert response.status_code == 204, response.body


def test_a_password_registered_in_nfd_needs_nfd_at_login(client, mailbox):
    decomposed = unicodedata.normalize("NFD", "Élégance éphémère à Noël 2026")
    customer = new_customer(client, mailbox, password=decomposed)

    assert_error(
        login(client, customer.email, unicodedata.normalize("NFC", decomposed)), 401, "invalid_credentials"
    )
    assert login(client, customer.email, decomposed).status_code == 200


def test_a_hash_made_with_weaker_parameters_is_replaced_at_the_next_login(client, mailbox):
    from argon2 import PasswordHasher, Type
    from chalicelib import accounts
    from chalicelib.models import Account

    # Given an account whose stored hash was made with other parameters (a 16-byte hash)
    customer = new_customer(client, mailbox)
    old = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=16, type=Type.ID).hash(
        PASSWORD
    )
    accounts.get(customer.customer_id).update(actions=[Account.password_hash.set(old)])
    assert _hash_length(old) == 16

    # When the customer logs in with the right password
    assert login(client, customer.email).status_code == 200

    # Then the stored hash is a new one, with the current parameters, for the same password
    new = accounts.get(customer.customer_id).password_hash
    assert new != old
    assert _hash_length(new) == 32
    assert PasswordHasher().verify(new, PASSWORD)
    assert login(client, customer.email).status_code == 200
    # and a further login keeps it (no rehash of a current hash)
    assert accounts.get(customer.customer_id).password_hash == new


def test_a_failed_login_does_not_rehash(client, mailbox):
    from argon2 import PasswordHasher, Type
    from chalicelib import accounts
    from chalicelib.models import Account

    customer = new_customer(client, mailbox)
    old = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=16, type=Type.ID).hash(
        PASSWORD
    )
    accounts.get(customer.customer_id).update(actions=[Account.password_hash.set(old)])

    assert login(client, customer.email, "not the password at all").status_code == 401

    assert accounts.get(customer.customer_id).password_hash == old


def test_raised_memory_setting_rehashes_at_login(client, mailbox, monkeypatch):
    import dataclasses
    import re

    from chalicelib import accounts, passwords

    # Given an account hashed with today's settings
    customer = new_customer(client, mailbox)
    before = accounts.get(customer.customer_id).password_hash

    # When the deployment raises the memory cost and the customer logs in
    raised = dataclasses.replace(
        passwords.settings, argon2_memory_kib=passwords.settings.argon2_memory_kib + 1024
    )
    monkeypatch.setattr(passwords, "settings", raised)
    monkeypatch.setattr(passwords, "_hasher", None)
    assert login(client, customer.email).status_code == 200
    monkeypatch.setattr(passwords, "_hasher", None)

    # Then the hash was made again with the new memory cost
    after = accounts.get(customer.customer_id).password_hash
    assert after != before
    assert re.search(r"\$m=(\d+),", after).group(1) == str(raised.argon2_memory_kib)
