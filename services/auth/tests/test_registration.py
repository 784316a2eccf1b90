"""Registration, customer ids, login names and email verification (acceptance points 1 to 3)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from conftest import (
    CUSTOMER_ID,
    PASSWORD,
    assert_documented,
    assert_error,
    call,
    link_token,
    login,
    new_customer,
    profile,
    register,
    registration,
    subject,
    subjects,
    unique_email,
    unique_phone,
    verify,
)

# --- customer ids ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_name", "last_name", "expected"),
    [
        ("Élodie", "Œuvray", "eo"),
        ("jean", "DUPONT", "jd"),
        ("Łukasz", "Żółć", "lz"),
        ("Søren", "Ågård", "sa"),
        ("李", "王", "lw"),  # transliterated: Li, Wang
        ("  -Anne", "d'Arc", "ad"),  # leading punctuation and spaces are skipped
        ("123", "Ünal", "xu"),  # no letter at all: x
    ],
)
def test_initials_are_the_ascii_first_letters_of_the_names(first_name, last_name, expected):
    from chalicelib import accounts

    # Given two names / When taking their initials / Then ASCII lowercase letters
    assert accounts.initials(first_name, last_name) == expected


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("eo123456-GU", "eo123456-GU"),
        ("EO123456-gu", "eo123456-GU"),
        ("  Eo123456-Gu \n", "eo123456-GU"),
        ("ab000000-ACME2026", "ab000000-ACME2026"),
    ],
)
def test_canonical_customer_id_accepts_any_case(typed, canonical):
    from chalicelib import accounts

    assert accounts.canonical_customer_id(typed) == canonical


@pytest.mark.parametrize(
    "typed",
    [
        "eo12345-GU",  # five digits
        "eo1234567-GU",  # seven digits
        "e0123456-GU",  # digit in the initials
        "eo123456-G",  # suffix too short
        "eo123456-ABCDEFGHIJK",  # suffix too long
        "eo123456GU",  # no dash
        "eo123456-G_U",
        "éo123456-GU",
        "someone@example.org",
        "+33612345678",
        "",
    ],
)
def test_canonical_customer_id_refuses_what_is_not_a_customer_id(typed):
    from chalicelib import accounts

    assert accounts.canonical_customer_id(typed) is None


def test_canonical_customer_id_only_returns_ids_of_the_documented_pattern():
    from chalicelib import accounts

    for typed in ("\u017fa123456-GU", "\u212aa123456-GU"):
        canonical = accounts.canonical_customer_id(typed)
        assert canonical is None or CUSTOMER_ID.match(canonical), (typed, canonical)


def test_customer_id_is_made_of_the_initials_and_is_in_the_verification_mail(client, mailbox):
    # Given a new customer named Élodie Œuvray
    body = registration(first_name="Élodie", last_name="Œuvray")

    # When they register
    response = call(client, "POST", "/register", body)

    # Then the answer says who they are, pending verification
    assert response.status_code == 201
    assert_documented("POST", "/register", response)
    answer = response.json_body
    assert set(answer) == {"customer_id", "email", "status"}
    assert answer["status"] == "pending_verification"
    assert answer["email"] == body["email"]
    assert CUSTOMER_ID.match(answer["customer_id"])
    assert answer["customer_id"].startswith("eo")
    assert answer["customer_id"].endswith("-GU")
    # and the verification mail carries the customer id and a link
    message = mailbox.last(body["email"])
    assert message["subject"] == subject("verify_email")
    assert answer["customer_id"] in message["text"]
    assert answer["customer_id"] in message["html"]
    assert link_token(message, "verify-email")


def test_customer_id_login_is_case_insensitive(client, customer):
    # Given a verified customer / When they log in with their id in capitals, with spaces around
    for typed in (customer.customer_id.upper(), f"  {customer.customer_id.swapcase()} "):
        response = login(client, typed)

        # Then they are in, as themselves
        assert response.status_code == 200, response.body
        assert_documented("POST", "/login", response)
        import jwt

        assert jwt.decode(response.json_body["access_token"], options={"verify_signature": False})["sub"] == (
            customer.customer_id
        )


# --- email and phone ------------------------------------------------------------------------


def test_email_is_normalised_and_login_with_it_ignores_case(client, mailbox):
    # Given an address typed in capitals with spaces around
    local = unique_email().split("@")[0]
    typed = f"  {local.upper()}@EXAMPLE.ORG "

    # When registering with it
    _, email, token = register(client, mailbox, email=typed)
    verify(client, token)

    # Then it is stored lowercased and trimmed
    assert email == f"{local}@example.org"
    # and a login with the address in any case works
    for login_name in (email, email.upper(), f" {local.title()}@Example.Org "):
        response = login(client, login_name)
        assert response.status_code == 200, (login_name, response.body)


def test_same_address_in_another_case_is_the_same_account(client, mailbox):
    # Given a registered, verified address
    customer_id, email, token = register(client, mailbox)
    verify(client, token)

    # When someone registers the same address in capitals with another password
    response = call(
        client, "POST", "/register", registration(email=email.upper(), password="another 0dd passphrase")
    )

    # Then the answer looks like a new registration
    assert response.status_code == 201
    assert set(response.json_body) == {"customer_id", "email", "status"}
    assert response.json_body["status"] == "pending_verification"
    assert CUSTOMER_ID.match(response.json_body["customer_id"])
    # but the owner is told, with their id and without a new verification link (already verified)
    message = mailbox.last(email)
    assert message["subject"] == subject("account_exists")
    assert customer_id in message["text"]
    assert "verify-email?token=" not in message["text"]
    # and the account keeps its password
    assert login(client, email, "another 0dd passphrase").status_code == 401
    assert login(client, email).status_code == 200


def test_french_national_phone_is_stored_in_e164():
    from chalicelib.schemas import normalise_phone

    assert normalise_phone("06 12 34 56 78") == "+33612345678"
    assert normalise_phone("0612345678") == "+33612345678"
    assert normalise_phone("+33 6 12 34 56 78") == "+33612345678"
    assert normalise_phone("+39 312 345 6789") == "+393123456789"
    for wrong in ("12", "06 12", "not a number", "+33 00 00 00 00 00"):
        with pytest.raises(ValueError):
            normalise_phone(wrong)


def test_login_works_with_customer_id_email_and_phone_in_both_forms(client, mailbox):
    # Given a customer registered with a French national number
    national, e164 = unique_phone()
    customer_id, email, token = register(client, mailbox, phone=national)
    verify(client, token)

    # When logging in with each form of each login name / Then each works
    for login_name in (customer_id, email, national, national.replace(" ", ""), e164):
        response = login(client, login_name)
        assert response.status_code == 200, (login_name, response.body)

    # and the profile shows the E.164 number
    import jwt

    access_token = response.json_body["access_token"]
    assert jwt.decode(access_token, options={"verify_signature": False})["sub"] == customer_id
    me = call(client, "GET", "/me", token=access_token)
    assert me.json_body["phone"] == e164


def test_the_example_number_of_the_issue_is_accepted_at_registration(client, mailbox):
    # Given the number of the issue in its national form (used by this test only)
    customer_id, _, token = register(client, mailbox, phone="06 12 34 56 78")
    verify(client, token)

    # When logging in with its E.164 form / Then it is the same customer
    response = login(client, "+33612345678")
    assert response.status_code == 200, response.body
    me = call(client, "GET", "/me", token=response.json_body["access_token"]).json_body
    assert (me["customer_id"], me["phone"]) == (customer_id, "+33612345678")


def test_a_phone_of_another_account_is_left_out_of_a_new_registration(client, mailbox):
    # Given a customer with a phone number
    national, e164 = unique_phone()
    first = new_customer(client, mailbox, phone=national)

    # When someone else registers with the same number
    customer_id, email, token = register(client, mailbox, phone=e164, first_name="Marc", last_name="Rossi")

    # Then their account is created without it, and their mail says so
    assert customer_id.startswith("mr")
    text = mailbox.last(email)["text"]
    assert "phone number you provided could not be attached" in text
    verify(client, token)
    second = login(client, email).json_body
    assert call(client, "GET", "/me", token=second["access_token"]).json_body["phone"] is None
    # and the number still belongs to (and logs into) the first account
    assert profile(client, first)["phone"] == e164
    import jwt

    by_phone = login(client, national).json_body["access_token"]
    assert jwt.decode(by_phone, options={"verify_signature": False})["sub"] == first.customer_id


def test_twenty_concurrent_registrations_of_one_address_make_one_account(client, mailbox, serialised_aws):
    from chalicelib.models import Account, LoginName, login_key

    # Given twenty people registering the same address at the same moment
    email = unique_email("race")
    body = registration(email=email)

    # When they all send the form
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: call(client, "POST", "/register", body), range(20)))

    # Then all twenty answers look alike: 201 with the same shape (no enumeration)
    assert [answer.status_code for answer in answers] == [201] * 20
    for answer in answers:
        assert set(answer.json_body) == {"customer_id", "email", "status"}
        assert answer.json_body["email"] == email
        assert answer.json_body["status"] == "pending_verification"
        assert CUSTOMER_ID.match(answer.json_body["customer_id"])
    # and exactly one account holds the address
    accounts = list(Account.scan((Account.sk == "ACCOUNT") & (Account.email == email)))
    assert len(accounts) == 1
    owner = LoginName.get(*login_key("email", email)).customer_id
    assert owner == accounts[0].customer_id
    assert owner in {answer.json_body["customer_id"] for answer in answers}
    # and its owner got one verification mail and was told of the other attempts, as far as the
    # hourly cap of mails to one address allows
    from chalicelib.emails import PER_ADDRESS_HOURLY

    sent = subjects(mailbox, email)
    assert sent.count(subject("verify_email")) == 1
    assert sent.count(subject("account_exists")) == PER_ADDRESS_HOURLY - 1
    assert all(owner in message["text"] for message in mailbox.messages(email))


def test_registering_a_pending_address_again_mails_a_fresh_verification_link(client, mailbox):
    # Given a registration nobody verified yet
    customer_id, email, first_token = register(client, mailbox)

    # When the same address registers again
    response = call(client, "POST", "/register", registration(email=email))

    # Then the answer is a 201 as usual and the owner gets a new verification link that works
    assert response.status_code == 201
    message = mailbox.last(email)
    assert message["subject"] == subject("account_exists")
    second_token = link_token(message, "verify-email")
    assert second_token != first_token
    verified = call(client, "POST", "/verify-email", {"token": second_token})
    assert verified.status_code == 200
    assert verified.json_body == {"customer_id": customer_id, "status": "active"}


# --- verification ---------------------------------------------------------------------------


def test_login_is_refused_until_the_email_is_verified(client, mailbox):
    # Given a registered customer who has not verified their address
    customer_id, email, token = register(client, mailbox)

    # When logging in with a wrong password / Then 401, saying nothing of the account state
    assert_error(login(client, email, "not the right password"), 401, "invalid_credentials")

    # When logging in with the right password / Then 403 email_not_verified
    refused = login(client, email)
    assert_error(refused, 403, "email_not_verified")
    assert_documented("POST", "/login", refused)
    assert_error(login(client, customer_id), 403, "email_not_verified")

    # When the link of the mail is followed / Then the account is active and login works
    verified = call(client, "POST", "/verify-email", {"token": token})
    assert verified.status_code == 200
    assert_documented("POST", "/verify-email", verified)
    assert verified.json_body == {"customer_id": customer_id, "status": "active"}
    assert login(client, email).status_code == 200


def test_a_verification_link_works_once(client, mailbox):
    _, _, token = register(client, mailbox)
    assert call(client, "POST", "/verify-email", {"token": token}).status_code == 200

    again = call(client, "POST", "/verify-email", {"token": token})

    assert_error(again, 422, "invalid_token")
    assert_error(call(client, "POST", "/verify-email", {"token": "made-up-token"}), 422, "invalid_token")


def test_a_verification_link_expires_after_48_hours(client, mailbox):
    from chalicelib import accounts
    from chalicelib.errors import InvalidToken

    # Given two registrations pending verification
    _, _, late_token = register(client, mailbox)
    customer_id, _, timely_token = register(client, mailbox)
    now = datetime.now(UTC)

    # When one link is followed after 49 hours / Then it is refused
    with pytest.raises(InvalidToken):
        accounts.verify_email(late_token, now=now + timedelta(hours=49))
    # and the other, followed after 47 hours, works
    assert accounts.verify_email(timely_token, now=now + timedelta(hours=47)).status == "active"
    assert accounts.get(customer_id).status == "active"


def test_password_of_a_new_account_is_hashed_with_argon2id_at_owasp_strength(client, mailbox):
    import re

    from chalicelib import accounts

    customer_id, _, _ = register(client, mailbox)

    stored = accounts.get(customer_id).password_hash

    assert PASSWORD not in stored
    found = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+", stored)
    assert found, stored
    memory, time_cost, parallelism = map(int, found.groups())
    assert memory >= 19456
    assert time_cost >= 2
    assert parallelism >= 1
