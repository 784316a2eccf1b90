"""Forgotten password, reset link, password change (acceptance point 7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import (
    PASSWORD,
    assert_documented,
    assert_error,
    call,
    link_token,
    login,
    new_customer,
    register,
    subject,
    subjects,
    tokens_of,
    unique_email,
    unique_phone,
)

NEW_PASSWORD = "another long passphrase 77"


def _forgot(client, login_name):
    return call(client, "POST", "/password/forgot", {"login": login_name})


def _reset_link(client, mailbox, customer):
    assert _forgot(client, customer.email).status_code == 202
    message = mailbox.last(customer.email)
    assert message["subject"] == subject("password_reset")
    assert customer.customer_id in message["text"] and customer.customer_id in message["html"]
    return link_token(message, "reset-password")


def _reset(client, token, new_password=NEW_PASSWORD):
    return call(client, "POST", "/password/reset", {"token": token, "new_password": new_password})


def _refresh(client, refresh_token):
    return call(client, "POST", "/refresh", {"refresh_token": refresh_token})


def test_forgot_answers_the_same_for_known_and_unknown_logins(client, mailbox):
    # Given a customer with a phone
    national, e164 = unique_phone()
    customer = new_customer(client, mailbox, phone=national)
    before = subjects(mailbox, customer.email).count(subject("password_reset"))
    _, unknown_e164 = unique_phone()

    # When asking for a reset with each form of their login, and with logins nobody has
    known = [customer.customer_id, customer.customer_id.upper(), customer.email.upper(), national, e164]
    unknown = ["zz000000-GU", unique_email("nobody"), unknown_e164, "not even a login"]
    answers = {login_name: _forgot(client, login_name) for login_name in known + unknown}

    # Then every answer is the same 202 with the same body
    assert {answer.status_code for answer in answers.values()} == {202}
    assert len({answer.body for answer in answers.values()}) == 1
    assert_documented("POST", "/password/forgot", next(iter(answers.values())))
    # and only the known logins mailed the customer, once each, up to the hourly cap of mails to
    # one address (the verification mail of the registration counted)
    from chalicelib.emails import PER_ADDRESS_HOURLY

    after = subjects(mailbox, customer.email).count(subject("password_reset"))
    assert after - before == min(len(known), PER_ADDRESS_HOURLY - 1)
    for login_name in unknown:
        if "@" in login_name:
            assert mailbox.messages(login_name) == []


def test_a_reset_link_sets_the_password_once(client, mailbox, customer, no_forgot_delay):
    # Given a reset link from the mail
    token = _reset_link(client, mailbox, customer)

    # When it is used
    response = _reset(client, token)

    # Then 204, the new password works and the old one does not
    assert response.status_code == 204
    assert_documented("POST", "/password/reset", response)
    assert login(client, customer.email, NEW_PASSWORD).status_code == 200
    assert_error(login(client, customer.email, PASSWORD), 401, "invalid_credentials")
    # and the link does not work a second time
    again = _reset(client, token, "yet another long passphrase 88")
    assert_error(again, 422, "invalid_token")
    assert_documented("POST", "/password/reset", again)
    assert login(client, customer.email, NEW_PASSWORD).status_code == 200


def test_an_older_reset_link_dies_when_a_newer_one_is_used(client, mailbox, customer, no_forgot_delay):
    # Given two reset links, asked one after the other
    older = _reset_link(client, mailbox, customer)
    newer = _reset_link(client, mailbox, customer)

    # When the newer one sets a password
    assert _reset(client, newer).status_code == 204

    # Then the older one no longer works: the password stays the one chosen
    assert_error(_reset(client, older, "yet another long passphrase 88"), 422, "invalid_token")
    assert login(client, customer.email, NEW_PASSWORD).status_code == 200


def test_a_reset_link_dies_when_the_password_is_changed(client, mailbox, customer, no_forgot_delay):
    # Given a reset link asked (by the customer, or by someone who reads their mailbox)
    token = _reset_link(client, mailbox, customer)

    # When the customer then changes the password from their session
    assert _change(client, customer, PASSWORD, NEW_PASSWORD).status_code == 204

    # Then the link no longer works
    assert_error(_reset(client, token, "yet another long passphrase 88"), 422, "invalid_token")
    assert login(client, customer.email, NEW_PASSWORD).status_code == 200


def test_a_reset_revokes_every_session_and_mails_the_customer(client, mailbox, customer, no_forgot_delay):
    # Given two sessions
    second = tokens_of(client, customer.email)
    token = _reset_link(client, mailbox, customer)

    # When the password is reset
    assert _reset(client, token).status_code == 204

    # Then neither session can refresh
    assert_error(_refresh(client, customer.refresh_token), 401, "invalid_refresh_token")
    assert_error(_refresh(client, second["refresh_token"]), 401, "invalid_refresh_token")
    # and the customer is told, signed out everywhere
    message = mailbox.last(customer.email)
    assert message["subject"] == subject("password_changed")
    assert "signed out on all your devices" in message["text"]
    assert customer.customer_id in message["text"]


def test_a_reset_link_expires_after_an_hour(client, mailbox, customer, no_forgot_delay):
    from chalicelib import credentials
    from chalicelib.errors import InvalidToken

    # Given two links asked for at a chosen moment
    asked = datetime.now(UTC)
    credentials.forgot(customer.email, now=asked)
    late = link_token(mailbox.last(customer.email), "reset-password")
    credentials.forgot(customer.email, now=asked)
    timely = link_token(mailbox.last(customer.email), "reset-password")

    # When one is used after 61 minutes / Then it is refused and the password unchanged
    with pytest.raises(InvalidToken):
        credentials.reset(late, NEW_PASSWORD, now=asked + timedelta(minutes=61))
    assert login(client, customer.email, PASSWORD).status_code == 200
    # and the other, used after 59 minutes, works
    credentials.reset(timely, NEW_PASSWORD, now=asked + timedelta(minutes=59))
    assert login(client, customer.email, NEW_PASSWORD).status_code == 200


def test_a_reset_also_proves_the_address_of_an_unverified_account(client, mailbox, no_forgot_delay):
    # Given a registration never verified
    _, email, _ = register(client, mailbox)
    assert_error(login(client, email), 403, "email_not_verified")

    # When a reset link sent to the address is used
    assert _forgot(client, email).status_code == 202
    assert _reset(client, link_token(mailbox.last(email), "reset-password")).status_code == 204

    # Then the account is active
    assert login(client, email, NEW_PASSWORD).status_code == 200


def test_a_reset_with_a_weak_password_is_refused(client, mailbox, customer, no_forgot_delay):
    token = _reset_link(client, mailbox, customer)

    response = _reset(client, token, "password1234")

    assert_error(response, 422, "weak_password", fields=("new_password",))
    assert login(client, customer.email, PASSWORD).status_code == 200


def test_a_link_survives_a_weak_password_choice(client, mailbox, customer, no_forgot_delay):
    token = _reset_link(client, mailbox, customer)
    assert_error(_reset(client, token, "password1234"), 422, "weak_password")

    response = _reset(client, token, NEW_PASSWORD)

    assert response.status_code == 204, response.body


def test_a_reset_clears_the_login_lock(client, mailbox, customer, no_forgot_delay, frozen_clock):
    # Given an account locked by wrong passwords
    for _ in range(5):
        login(client, customer.email, "wrong password entirely")
    assert login(client, customer.email).status_code == 429

    # When the password is reset through the mailbox / Then the new password logs in at once
    assert _reset(client, _reset_link(client, mailbox, customer)).status_code == 204
    assert login(client, customer.email, NEW_PASSWORD).status_code == 200


# --- change ---------------------------------------------------------------------------------


def _change(client, customer, current, new):
    body = {"current_password": current, "new_password": new}
    return call(client, "POST", "/password/change", body, token=customer.access_token)


def test_changing_the_password_needs_the_current_one(client, mailbox, customer):
    before = len(mailbox.messages(customer.email))

    response = _change(client, customer, "not my password at all", NEW_PASSWORD)

    assert_error(response, 422, "wrong_password", fields=("current_password",))
    assert_documented("POST", "/password/change", response)
    assert login(client, customer.email, PASSWORD).status_code == 200
    assert len(mailbox.messages(customer.email)) == before


def test_changing_the_password_keeps_this_session_and_ends_the_others(client, mailbox, customer):
    # Given another session of the same customer
    other = tokens_of(client, customer.email)

    # When the password is changed from the first one
    response = _change(client, customer, PASSWORD, NEW_PASSWORD)

    # Then 204; the other session cannot refresh, the current one can
    assert response.status_code == 204
    assert_documented("POST", "/password/change", response)
    assert_error(_refresh(client, other["refresh_token"]), 401, "invalid_refresh_token")
    assert _refresh(client, customer.refresh_token).status_code == 200
    # and the new password is the one that logs in
    assert login(client, customer.email, NEW_PASSWORD).status_code == 200
    assert_error(login(client, customer.email, PASSWORD), 401, "invalid_credentials")
    # and the customer is told
    message = mailbox.last(customer.email)
    assert message["subject"] == subject("password_changed")
    assert "signed out on your other devices" in message["text"]


@pytest.mark.parametrize(
    ("new", "code"),
    [(PASSWORD, "validation_failed"), ("short", "weak_password"), ("password1234", "weak_password")],
)
def test_the_new_password_must_be_new_and_strong(client, customer, new, code):
    response = _change(client, customer, PASSWORD, new)

    assert_error(response, 422, code, fields=("new_password",))
    assert login(client, customer.email, PASSWORD).status_code == 200


def test_reset_mails_to_one_address_are_capped_per_hour(mailbox, customer, no_forgot_delay):
    from chalicelib import credentials
    from chalicelib.emails import PER_ADDRESS_HOURLY

    # Given an hour of someone asking, again and again, for this customer's reset link
    hour = datetime(2031, 5, 4, 10, 0, tzinfo=UTC)
    before = subjects(mailbox, customer.email).count(subject("password_reset"))
    for minute in range(12):
        credentials.forgot(customer.email, now=hour + timedelta(minutes=minute))

    # Then the mailbox got the hour's cap, no more
    sent = subjects(mailbox, customer.email).count(subject("password_reset"))
    assert sent - before == PER_ADDRESS_HOURLY

    # and an hour later, one more can come
    credentials.forgot(customer.email, now=hour + timedelta(minutes=61))
    assert subjects(mailbox, customer.email).count(subject("password_reset")) == sent + 1
