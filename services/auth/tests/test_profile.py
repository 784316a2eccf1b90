"""GET and PATCH /auth/me: validation, protected fields, unique phone (acceptance point 10)."""

from __future__ import annotations

import jwt
import pytest
from conftest import (
    assert_documented,
    assert_error,
    call,
    login,
    profile,
    unique_email,
    unique_phone,
)


def _patch(client, someone, changes):
    return call(client, "PATCH", "/me", changes, token=someone.access_token)


def _logs_into(client, login_name) -> str:
    response = login(client, login_name)
    assert response.status_code == 200, response.body
    return jwt.decode(response.json_body["access_token"], options={"verify_signature": False})["sub"]


def test_the_profile_shows_what_was_registered(client, customer):
    response = call(client, "GET", "/me", token=customer.access_token)

    assert response.status_code == 200
    assert_documented("GET", "/me", response)
    me = response.json_body
    assert me["customer_id"] == customer.customer_id
    assert me["email"] == customer.email
    assert (me["first_name"], me["last_name"], me["language"]) == ("Élodie", "Œuvray", "en")
    assert me["phone"] is None
    assert me["address"] is None
    assert me["pending_email_change"] is None
    assert "password_hash" not in me


def test_valid_changes_are_normalised_and_kept(client, customer):
    national, e164 = unique_phone()
    backup = unique_email("backup")

    # When the customer changes what they may change
    response = _patch(
        client,
        customer,
        {
            "first_name": "  Élo  ",
            "phone": national,
            "backup_email": backup.upper(),
            "language": "it",
            "company": "Œuvray & Fils",
            "address": {
                "line1": "1 rue de la Paix",
                "postal_code": "75002",
                "city": "Paris",
                "country": "fr",
            },
        },
    )

    # Then the answer and a later read show them, normalised
    assert response.status_code == 200, response.body
    assert_documented("PATCH", "/me", response)
    me = profile(client, customer)
    assert me == response.json_body
    assert me["first_name"] == "Élo"
    assert me["phone"] == e164
    assert me["backup_email"] == backup
    assert me["language"] == "it"
    assert me["company"] == "Œuvray & Fils"
    assert me["address"].get("line2") is None
    assert {name: value for name, value in me["address"].items() if name != "line2"} == {
        "line1": "1 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
        "country": "FR",
    }
    # and untouched fields stay
    assert me["last_name"] == "Œuvray"
    assert me["email"] == customer.email


def test_optional_fields_can_be_cleared(client, customer):
    national, _ = unique_phone()
    assert (
        _patch(
            client, customer, {"phone": national, "company": "ACME", "backup_email": unique_email()}
        ).status_code
        == 200
    )

    response = _patch(client, customer, {"phone": None, "company": None, "backup_email": None})

    assert response.status_code == 200, response.body
    me = profile(client, customer)
    assert (me["phone"], me["company"], me["backup_email"]) == (None, None, None)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": "12"}, "phone"),
        ({"phone": "+33 00 00 00 00 00"}, "phone"),
        ({"phone": "not a number"}, "phone"),
        ({"backup_email": "not-an-email"}, "backup_email"),
        ({"backup_email": "a@b"}, "backup_email"),
        (
            {"address": {"line1": "1 rue", "postal_code": "75001", "city": "Paris", "country": "XX"}},
            "address.country",
        ),
        (
            {"address": {"line1": "1 rue", "postal_code": "75001", "city": "Paris", "country": "FRA"}},
            "address.country",
        ),
        ({"address": {"line1": "1 rue", "postal_code": "75001", "country": "FR"}}, "address.city"),
        (
            {"address": {"line1": "", "postal_code": "75001", "city": "Paris", "country": "FR"}},
            "address.line1",
        ),
        ({"language": "de"}, "language"),
        ({"language": "EN"}, "language"),
        ({"first_name": None}, "first_name"),
        ({"first_name": "   "}, "first_name"),
        ({"last_name": "a\u0000b"}, "last_name"),
        ({"language": None}, "language"),
        ({"company": "x" * 101}, "company"),
    ],
)
def test_invalid_values_are_refused_and_nothing_changes(client, customer, changes, field):
    before = profile(client, customer)

    response = _patch(client, customer, {"company": "Should not be kept", **changes})

    error = assert_error(response, 422, "validation_failed", fields=(field,))
    assert_documented("PATCH", "/me", response)
    assert isinstance(error["fields"][field], str) and error["fields"][field]
    assert profile(client, customer) == before


def test_every_invalid_field_is_named_at_once(client, customer):
    response = _patch(
        client,
        customer,
        {
            "phone": "12",
            "backup_email": "nope",
            "language": "de",
            "address": {"line1": "1 rue", "postal_code": "75001", "city": "Paris", "country": "XX"},
        },
    )

    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {"phone", "backup_email", "language", "address.country"}


def test_protected_and_unknown_fields_are_refused_by_name_and_nothing_changes(client, customer):
    before = profile(client, customer)

    # When the body tries to set what PATCH /me must not touch, with a legitimate change alongside
    response = _patch(
        client,
        customer,
        {
            "customer_id": "zz000000-GU",
            "email": unique_email("hijack"),
            "status": "active",
            "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$x$y",
            "created_at": "2000-01-01T00:00:00Z",
            "is_admin": True,
            "company": "Should not be kept",
        },
    )

    # Then 422 naming each of them, protected ones as such
    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {
        "customer_id",
        "email",
        "status",
        "password_hash",
        "created_at",
        "is_admin",
    }
    for name in ("customer_id", "email", "status", "password_hash", "created_at"):
        assert error["fields"][name] == "ne peut pas être modifié ici"
    assert error["fields"]["is_admin"] == "n'est pas un champ connu"
    # and nothing changed
    assert profile(client, customer) == before
    assert _logs_into(client, customer.email) == customer.customer_id


def test_a_phone_of_another_account_is_a_409_and_nothing_changes(client, customer, other_customer):
    # Given another customer holding a number
    national, e164 = unique_phone()
    assert _patch(client, other_customer, {"phone": national}).status_code == 200
    before = profile(client, customer)

    # When the customer tries to take it (with or without a number of their own)
    for own_number in (None, unique_phone()[0]):
        if own_number:
            assert _patch(client, customer, {"phone": own_number}).status_code == 200
            before = profile(client, customer)
        response = _patch(client, customer, {"phone": e164, "company": "Should not be kept"})

        # Then 409, and nothing changed on either side
        assert response.status_code == 409, response.body
        assert "error" in response.json_body
        assert_documented("PATCH", "/me", response)
        assert profile(client, customer) == before
        assert profile(client, other_customer)["phone"] == e164
        assert _logs_into(client, e164) == other_customer.customer_id


@pytest.mark.parametrize("has_a_phone", [False, True])
def test_a_phone_of_another_account_is_phone_unavailable(client, customer, other_customer, has_a_phone):
    national, e164 = unique_phone()
    assert _patch(client, other_customer, {"phone": national}).status_code == 200
    if has_a_phone:
        assert _patch(client, customer, {"phone": unique_phone()[0]}).status_code == 200

    response = _patch(client, customer, {"phone": e164})

    assert_error(response, 409, "phone_unavailable", fields=("phone",))


def test_changing_the_phone_frees_the_old_number(client, customer, other_customer):
    first_national, first = unique_phone()
    second_national, second = unique_phone()
    assert _patch(client, customer, {"phone": first_national}).status_code == 200

    # When the customer moves to another number
    assert _patch(client, customer, {"phone": second_national}).status_code == 200

    # Then the new number logs them in, and the old one is free for someone else
    assert _logs_into(client, second) == customer.customer_id
    assert_error(login(client, first), 401, "invalid_credentials")
    response = _patch(client, other_customer, {"phone": first})
    assert response.status_code == 200, response.body
    assert _logs_into(client, first) == other_customer.customer_id


def test_removing_the_phone_frees_it(client, customer, other_customer):
    national, e164 = unique_phone()
    assert _patch(client, customer, {"phone": national}).status_code == 200

    assert _patch(client, customer, {"phone": None}).status_code == 200

    assert_error(login(client, e164), 401, "invalid_credentials")
    assert _patch(client, other_customer, {"phone": e164}).status_code == 200
    assert _logs_into(client, e164) == other_customer.customer_id


def test_setting_the_same_phone_again_keeps_it(client, customer):
    national, e164 = unique_phone()
    assert _patch(client, customer, {"phone": national}).status_code == 200

    response = _patch(client, customer, {"phone": e164})

    assert response.status_code == 200, response.body
    assert _logs_into(client, national) == customer.customer_id


@pytest.mark.parametrize(
    "given, shown",
    [
        ("03 20 12 34 56", "03 20 12 34 56"),
        ("+33612345601", "06 12 34 56 01"),
        ("+39 06 1234 5678", "+39 06 1234 5678"),
    ],
)
def test_the_profile_gives_the_phone_as_people_write_it(client, customer, given, shown):
    answer = _patch(client, customer, {"phone": given})

    assert answer.status_code == 200, answer.body
    me = call(client, "GET", "/me", token=customer.access_token).json_body
    assert (me["phone"].startswith("+"), me["phone_display"]) == (True, shown)
