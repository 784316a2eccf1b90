"""Changing the account's email (seed 003): code to the current address, 24 h auto-apply (point 9)."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
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
    profile,
    register,
    run_schedule,
    subject,
    subjects,
    unique_email,
    utc,
)


def _request(client, customer, new_email, password=PASSWORD):
    body = {"new_email": new_email, "password": password}
    return call(client, "POST", "/me/email-change", body, token=customer.access_token)


def _confirm(client, customer, code):
    return call(client, "POST", "/me/email-change/confirm", {"code": code}, token=customer.access_token)


def _code_mail(mailbox, address):
    """(code, refuse token) of the last code mail sent to `address`."""
    message = mailbox.last(address)
    assert message["subject"] == subject("email_change_code")
    codes = re.findall(r"^\s*(\d{6})\s*$", message["text"], re.MULTILINE)
    assert len(codes) == 1, message["text"]
    assert codes[0] in message["html"]
    return codes[0], link_token(message, "email-change/refuse")


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _owner_of(email: str) -> str | None:
    from chalicelib.models import LoginName, login_key
    from pynamodb.exceptions import DoesNotExist

    try:
        return LoginName.get(*login_key("email", email)).customer_id
    except DoesNotExist:
        return None


# --- asking ---------------------------------------------------------------------------------


def test_asking_needs_the_password(client, mailbox, customer):
    new_email = unique_email("new")
    sent_before = len(mailbox.messages(customer.email))

    response = _request(client, customer, new_email, password="not my password at all")

    assert_error(response, 422, "wrong_password", fields=("password",))
    assert_documented("POST", "/me/email-change", response)
    assert len(mailbox.messages(customer.email)) == sent_before
    assert mailbox.messages(new_email) == []
    assert profile(client, customer)["pending_email_change"] is None


def test_asking_for_the_current_address_is_refused(client, customer):
    response = _request(client, customer, customer.email.upper())

    assert_error(response, 422, "validation_failed", fields=("new_email",))


def test_the_code_goes_to_the_current_address_and_a_notice_to_the_new_one(client, mailbox, customer):
    new_email = unique_email("new")

    # When the customer asks for a new address
    asked = datetime.now(UTC)
    response = _request(client, customer, new_email.upper())

    # Then 202 with when it will apply by itself (24 h later)
    assert response.status_code == 202, response.body
    assert_documented("POST", "/me/email-change", response)
    expires_at = datetime.strptime(response.json_body["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(expires_at - (asked + timedelta(hours=24))) < timedelta(minutes=1)
    # and the code, with a refusal link, goes to the CURRENT address
    code, refuse_token = _code_mail(mailbox, customer.email)
    assert new_email in mailbox.last(customer.email)["text"]
    assert customer.customer_id in mailbox.last(customer.email)["text"]
    # and the new address only gets a notice, without the code nor the customer id (not yet proven
    # the customer's, it may be a stranger's)
    notices = mailbox.messages(new_email)
    assert [notice["subject"] for notice in notices] == [subject("email_change_notice")]
    assert code not in notices[0]["text"]
    assert code not in notices[0]["html"]
    assert refuse_token not in notices[0]["text"]
    assert customer.customer_id not in notices[0]["text"] + notices[0]["html"]
    # and the profile shows the change waiting
    assert profile(client, customer)["pending_email_change"] == {
        "new_email": new_email,
        "expires_at": response.json_body["expires_at"],
    }


# --- confirming -----------------------------------------------------------------------------


def test_confirming_with_the_code_applies_the_change(client, mailbox, customer):
    new_email = unique_email("new")
    assert _request(client, customer, new_email).status_code == 202
    code, _ = _code_mail(mailbox, customer.email)

    # When the code is confirmed
    response = _confirm(client, customer, code)

    # Then the answer is the profile with the new address
    assert response.status_code == 200, response.body
    assert_documented("POST", "/me/email-change/confirm", response)
    assert response.json_body["email"] == new_email
    assert response.json_body["pending_email_change"] is None
    assert profile(client, customer)["email"] == new_email
    # and logins follow: the new address works, the old one does not
    assert login(client, new_email).status_code == 200
    assert_error(login(client, customer.email), 401, "invalid_credentials")
    assert _owner_of(new_email) == customer.customer_id
    assert _owner_of(customer.email) is None
    # and the old address is told
    told = mailbox.last(customer.email)
    assert told["subject"] == subject("email_changed")
    assert customer.email in told["text"]
    assert new_email in told["text"]
    assert customer.customer_id in told["text"]
    # and the old address is free for someone else
    other_id, _, _ = register(client, mailbox, email=customer.email)
    assert _owner_of(customer.email) == other_id


def test_five_wrong_codes_and_even_the_right_one_is_refused(client, mailbox, customer):
    new_email = unique_email("new")
    assert _request(client, customer, new_email).status_code == 202
    code, _ = _code_mail(mailbox, customer.email)

    # Given five wrong codes
    for _ in range(5):
        wrong = _confirm(client, customer, _wrong(code))
        assert_error(wrong, 422, "invalid_code", fields=("code",))
    assert_documented("POST", "/me/email-change/confirm", wrong)

    # When the right code comes
    refused = _confirm(client, customer, code)

    # Then 429 with Retry-After, and the address is unchanged
    assert_error(refused, 429, "too_many_codes")
    assert_documented("POST", "/me/email-change/confirm", refused)
    assert int(refused.headers["Retry-After"]) >= 1
    assert profile(client, customer)["email"] == customer.email
    assert login(client, customer.email).status_code == 200
    assert _owner_of(new_email) is None


def test_four_wrong_codes_still_let_the_right_one_in(client, mailbox, customer):
    new_email = unique_email("new")
    assert _request(client, customer, new_email).status_code == 202
    code, _ = _code_mail(mailbox, customer.email)
    for _ in range(4):
        assert_error(_confirm(client, customer, _wrong(code)), 422, "invalid_code")

    assert _confirm(client, customer, code).json_body["email"] == new_email


@pytest.mark.parametrize("malformed", ["12345", "1234567", "abcdef", "12 345", ""])
def test_a_code_is_six_digits(client, customer, malformed):
    assert_error(_confirm(client, customer, malformed), 422, "validation_failed", fields=("code",))


def test_confirming_without_a_request_is_a_404(client, customer):
    response = _confirm(client, customer, "123456")

    assert_error(response, 404, "no_pending_email_change")
    assert_documented("POST", "/me/email-change/confirm", response)


def test_parallel_wrong_codes_get_no_more_than_five_comparisons(
    client, mailbox, customer, serialised_aws, monkeypatch
):
    from chalicelib import email_changes, opaque_tokens
    from chalicelib.errors import InvalidCode, TooManyAttempts

    assert _request(client, customer, unique_email("new")).status_code == 202
    code, _ = _code_mail(mailbox, customer.email)

    # Given ten guesses that reach the comparison at the same moment
    together = threading.Barrier(10, timeout=2)
    same = opaque_tokens.same

    def same_together(a, b):
        try:
            together.wait()
        except threading.BrokenBarrierError:
            pass
        return same(a, b)

    monkeypatch.setattr(opaque_tokens, "same", same_together)

    def guess(n):
        try:
            email_changes.confirm(
                customer.customer_id, f"{(int(code) + 1 + n) % 1_000_000:06d}", now=datetime.now(UTC)
            )
        except InvalidCode:
            return "compared"
        except TooManyAttempts:
            return "refused"
        return "applied"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(guess, range(10)))

    assert outcomes.count("compared") <= 5, outcomes


def test_a_new_request_replaces_the_previous_one(client, mailbox, customer):
    first_email, second_email = unique_email("first"), unique_email("second")
    assert _request(client, customer, first_email).status_code == 202
    first_code, first_refusal = _code_mail(mailbox, customer.email)
    assert _request(client, customer, second_email).status_code == 202
    second_code, _ = _code_mail(mailbox, customer.email)

    # The first request's link no longer cancels anything
    assert_error(call(client, "POST", "/email-change/refuse", {"token": first_refusal}), 422, "invalid_token")
    if first_code != second_code:
        assert_error(_confirm(client, customer, first_code), 422, "invalid_code")
    assert _confirm(client, customer, second_code).json_body["email"] == second_email


# --- refusing and cancelling ----------------------------------------------------------------


def test_the_refusal_link_cancels_the_change(client, mailbox, customer):
    assert _request(client, customer, unique_email("new")).status_code == 202
    code, refuse_token = _code_mail(mailbox, customer.email)

    # When the link of the mail to the current address is followed (no login needed)
    response = call(client, "POST", "/email-change/refuse", {"token": refuse_token})

    # Then the change is gone and its code useless
    assert response.status_code == 204
    assert_documented("POST", "/email-change/refuse", response)
    assert profile(client, customer)["pending_email_change"] is None
    assert_error(_confirm(client, customer, code), 404, "no_pending_email_change")
    # and the link works once
    again = call(client, "POST", "/email-change/refuse", {"token": refuse_token})
    assert_error(again, 422, "invalid_token")
    assert_documented("POST", "/email-change/refuse", again)


def test_delete_cancels_the_change(client, mailbox, customer):
    assert _request(client, customer, unique_email("new")).status_code == 202
    code, _ = _code_mail(mailbox, customer.email)

    response = call(client, "DELETE", "/me/email-change", token=customer.access_token)

    assert response.status_code == 204
    assert_documented("DELETE", "/me/email-change", response)
    assert profile(client, customer)["pending_email_change"] is None
    again = call(client, "DELETE", "/me/email-change", token=customer.access_token)
    assert_error(again, 404, "no_pending_email_change")
    assert_documented("DELETE", "/me/email-change", again)
    assert_error(_confirm(client, customer, code), 404, "no_pending_email_change")


def test_an_address_taken_meanwhile_is_not_applied_by_the_code(client, mailbox, customer):
    # Given a change asked for, then the new address registered by someone else
    new_email = unique_email("new")
    assert _request(client, customer, new_email).status_code == 202
    code, _ = _code_mail(mailbox, customer.email)
    taker, _, _ = register(client, mailbox, email=new_email)

    # When the code is confirmed
    response = _confirm(client, customer, code)

    # Then it is refused with an error, and nothing moved
    assert 400 <= response.status_code < 500, response.body
    assert "error" in response.json_body
    assert profile(client, customer)["email"] == customer.email
    assert _owner_of(new_email) == taker
    assert _owner_of(customer.email) == customer.customer_id
    assert login(client, customer.email).status_code == 200


def test_an_address_taken_meanwhile_is_a_409_and_the_request_is_dropped(client, mailbox, customer):
    new_email = unique_email("new")
    assert _request(client, customer, new_email).status_code == 202
    code, _ = _code_mail(mailbox, customer.email)
    register(client, mailbox, email=new_email)

    response = _confirm(client, customer, code)

    assert_error(response, 409, "email_unavailable", fields=("new_email",))
    assert_documented("POST", "/me/email-change/confirm", response)
    assert profile(client, customer)["pending_email_change"] is None


# --- the 24 h job ---------------------------------------------------------------------------
# Each job test asks at its own moment in a past year, so that no other change is due with it.


def test_the_job_applies_an_unanswered_change_24_hours_after_once(client, mailbox, customer):
    from chalicelib import email_changes

    # Given a change asked for at a chosen moment and never answered
    asked = utc(2001, 3, 4, 10, 0, 0)
    new_email = unique_email("new")
    apply_at = email_changes.request(customer.customer_id, new_email, PASSWORD, now=asked)
    assert apply_at == asked + timedelta(hours=24)

    # When the job runs 23 h later / Then nothing is applied
    assert email_changes.apply_unanswered_changes(now=asked + timedelta(hours=23)) == 0
    assert profile(client, customer)["email"] == customer.email

    # When it runs 25 h later / Then this change is applied, once
    assert email_changes.apply_unanswered_changes(now=asked + timedelta(hours=25)) == 1
    assert email_changes.apply_unanswered_changes(now=asked + timedelta(hours=25)) == 0
    assert email_changes.apply_unanswered_changes(now=asked + timedelta(hours=26)) == 0
    me = profile(client, customer)
    assert me["email"] == new_email
    assert me["pending_email_change"] is None
    assert login(client, new_email).status_code == 200
    assert_error(login(client, customer.email), 401, "invalid_credentials")
    assert subjects(mailbox, customer.email).count(subject("email_changed")) == 1


def test_the_job_never_applies_an_address_taken_meanwhile(client, mailbox, customer):
    from chalicelib import email_changes

    # Given a change asked for, then the new address registered by someone else
    asked = utc(2002, 5, 6, 7, 0, 0)
    new_email = unique_email("new")
    email_changes.request(customer.customer_id, new_email, PASSWORD, now=asked)
    taker = new_customer(client, mailbox, email=new_email)

    # When the job runs after 24 h, and again later
    assert email_changes.apply_unanswered_changes(now=asked + timedelta(hours=25)) == 0
    assert email_changes.apply_unanswered_changes(now=asked + timedelta(hours=48)) == 0

    # Then nothing is applied: each keeps their address
    assert profile(client, customer)["email"] == customer.email
    assert _owner_of(new_email) == taker.customer_id
    assert _owner_of(customer.email) == customer.customer_id
    assert login(client, customer.email).status_code == 200
    assert subject("email_changed") not in subjects(mailbox, customer.email)


def test_the_job_drops_a_change_whose_address_was_taken_meanwhile(client, mailbox, customer):
    from chalicelib import email_changes

    asked = utc(2004, 5, 6, 7, 0, 0)
    new_email = unique_email("new")
    email_changes.request(customer.customer_id, new_email, PASSWORD, now=asked)
    register(client, mailbox, email=new_email)

    assert email_changes.apply_unanswered_changes(now=asked + timedelta(hours=25)) == 0

    assert profile(client, customer)["pending_email_change"] is None


def test_the_scheduled_function_runs_the_job_as_of_the_event_time(client, mailbox, customer):
    from chalicelib import email_changes

    asked = utc(2003, 7, 8, 9, 0, 0)
    new_email = unique_email("new")
    email_changes.request(customer.customer_id, new_email, PASSWORD, now=asked)

    assert run_schedule(client, "apply_pending_email_changes", asked + timedelta(hours=23)) == {"applied": 0}
    assert run_schedule(client, "apply_pending_email_changes", asked + timedelta(hours=24, minutes=15)) == {
        "applied": 1
    }

    assert profile(client, customer)["email"] == new_email
