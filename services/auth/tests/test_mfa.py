"""The second factor (second_factor.py, passkeys.py): an authenticator app with recovery codes,
passkeys, the login's second step, and the step-up before sensitive actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pyotp
import pytest
from conftest import (
    PASSWORD,
    Customer,
    assert_documented,
    assert_error,
    call,
    login,
    new_customer,
    subject,
    subjects,
    unique_email,
)
from guichet_local.soft_authenticator import SoftAuthenticator


class Clock:
    """The routes' clock, set by the test (near the real time: access tokens are checked against it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from chalicelib import api

        self.now = datetime.now(UTC).replace(microsecond=0)
        monkeypatch.setattr(api, "_now", lambda: self.now)

    def move(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def claims(access_token: str) -> dict[str, Any]:
    return dict(jwt.decode(access_token, options={"verify_signature": False}))


def enrol_totp(client: Any, someone: Customer, clock: Clock) -> tuple[str, list[str]]:
    """Set up the authenticator app; (its secret, the recovery codes)."""
    started = call(client, "POST", "/me/totp", token=someone.access_token)
    assert started.status_code == 201, started.body
    assert_documented("POST", "/me/totp", started)
    secret = started.json_body["secret"]
    code = pyotp.TOTP(secret).at(clock.now)
    confirmed = call(
        client,
        "POST",
        "/me/totp/confirm",
        {"code": code, "password": someone.password},
        token=someone.access_token,
    )
    assert confirmed.status_code == 200, confirmed.body
    assert_documented("POST", "/me/totp/confirm", confirmed)
    return secret, confirmed.json_body["recovery_codes"]


def mfa_login(client: Any, someone: Customer) -> dict[str, Any]:
    response = login(client, someone.email, someone.password)
    assert response.status_code == 200, response.body
    assert_documented("POST", "/login", response)
    assert response.json_body["mfa_required"] is True
    return dict(response.json_body)


def second_step(client: Any, mfa_token: str, **proof: Any) -> Any:
    return call(client, "POST", "/login/second-factor", {"mfa_token": mfa_token, **proof})


@pytest.fixture
def with_totp(client, mailbox, clock) -> tuple[Customer, str, list[str]]:
    someone = new_customer(client, mailbox, backup_email=unique_email("backup"))
    # set up half an hour ago: the codes of the test's own moments come after the enrolment's
    clock.move(minutes=-30)
    secret, codes = enrol_totp(client, someone, clock)
    clock.move(minutes=30)
    return someone, secret, codes


# --- accounts without a second factor ---------------------------------------------------------


def test_a_login_without_a_second_factor_answers_as_before_and_says_how_it_was_made(client, customer, clock):
    response = login(client, customer.email)

    assert response.status_code == 200
    assert set(response.json_body) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "session_id",
    }
    said = claims(response.json_body["access_token"])
    assert said["amr"] == ["pwd"]
    assert said["auth_time"] == int(clock.now.timestamp())


def test_a_refresh_keeps_the_time_of_the_sign_in_not_its_own(client, customer, clock):
    signed_in = clock.now
    pair = login(client, customer.email).json_body
    clock.move(minutes=10)

    refreshed = call(client, "POST", "/refresh", {"refresh_token": pair["refresh_token"]})

    assert refreshed.status_code == 200, refreshed.body
    assert claims(refreshed.json_body["access_token"])["auth_time"] == int(signed_in.timestamp())


# --- the authenticator app --------------------------------------------------------------------


def test_enrolling_an_app_shows_its_secret_once_mails_the_customer_and_ends_other_sessions(
    client, mailbox, clock
):
    backup = unique_email("backup")
    someone = new_customer(client, mailbox, backup_email=backup)
    other_session = login(client, someone.email).json_body

    started = call(client, "POST", "/me/totp", token=someone.access_token)
    assert started.json_body["otpauth_uri"].startswith("otpauth://totp/")
    assert started.json_body["qr_code"].startswith("data:image/svg+xml")
    secret = started.json_body["secret"]
    assert len(secret) == 32
    # a wrong first code enables nothing
    wrong = call(
        client,
        "POST",
        "/me/totp/confirm",
        {"code": "000000", "password": PASSWORD},
        token=someone.access_token,
    )
    if pyotp.TOTP(secret).verify("000000", for_time=clock.now, valid_window=1):  # one chance in 330,000
        pytest.skip("the app's code happened to be 000000")
    assert_error(wrong, 422, "invalid_code")
    # the password is asked of a session signed in without a second factor
    no_password = call(
        client,
        "POST",
        "/me/totp/confirm",
        {"code": pyotp.TOTP(secret).at(clock.now)},
        token=someone.access_token,
    )
    assert_error(no_password, 422, "validation_failed", fields=("password",))

    confirmed = call(
        client,
        "POST",
        "/me/totp/confirm",
        {"code": pyotp.TOTP(secret).at(clock.now), "password": PASSWORD},
        token=someone.access_token,
    )

    assert confirmed.status_code == 200, confirmed.body
    codes = confirmed.json_body["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    status = call(client, "GET", "/me/second-factors", token=someone.access_token)
    assert_documented("GET", "/me/second-factors", status)
    assert status.json_body["totp"]["enabled"] is True
    assert status.json_body["totp"]["recovery_codes_left"] == 10
    assert "secret" not in str(status.json_body) and secret not in str(status.json_body)
    # the secret is never answered again: a new enrolment is refused
    assert_error(call(client, "POST", "/me/totp", token=someone.access_token), 409, "totp_already_enabled")
    # the customer and the backup address are told, with the customer id
    for address in (someone.email, backup):
        notice = mailbox.last(address)
        assert notice["subject"] == subject("second_factor_changed")
        assert someone.customer_id in notice["text"]
    # the session opened without the app is over
    assert (
        call(client, "POST", "/refresh", {"refresh_token": other_session["refresh_token"]}).status_code == 401
    )


def test_a_login_asks_the_app_s_code_and_opens_the_session_with_it(client, with_totp, clock):
    someone, secret, _ = with_totp

    challenge = mfa_login(client, someone)

    assert challenge["methods"] == ["totp", "recovery_code"]
    assert "access_token" not in challenge and "refresh_token" not in challenge
    done = second_step(client, challenge["mfa_token"], code=pyotp.TOTP(secret).at(clock.now))
    assert done.status_code == 200, done.body
    assert_documented("POST", "/login/second-factor", done)
    said = claims(done.json_body["access_token"])
    assert "otp" in said["amr"] and "pwd" in said["amr"]
    assert call(client, "GET", "/me", token=done.json_body["access_token"]).status_code == 200
    # the token of the second step works once
    again = second_step(
        client, challenge["mfa_token"], code=pyotp.TOTP(secret).at(clock.now + timedelta(seconds=30))
    )
    assert_error(again, 422, "invalid_token")


def test_an_app_code_is_taken_once(client, with_totp, clock):
    someone, secret, _ = with_totp
    code = pyotp.TOTP(secret).at(clock.now)
    assert second_step(client, mfa_login(client, someone)["mfa_token"], code=code).status_code == 200

    replayed = second_step(client, mfa_login(client, someone)["mfa_token"], code=code)

    assert_error(replayed, 422, "invalid_code")
    # nor is the code of an earlier step, once a later one was taken
    earlier = pyotp.TOTP(secret).at(clock.now - timedelta(seconds=30))
    assert_error(
        second_step(client, mfa_login(client, someone)["mfa_token"], code=earlier), 422, "invalid_code"
    )
    # the next step's code is
    clock.move(seconds=30)
    later = second_step(
        client, mfa_login(client, someone)["mfa_token"], code=pyotp.TOTP(secret).at(clock.now)
    )
    assert later.status_code == 200, later.body


def test_a_recovery_code_signs_in_once(client, with_totp, clock):
    someone, _, codes = with_totp

    first = second_step(client, mfa_login(client, someone)["mfa_token"], recovery_code=codes[3].upper())

    assert first.status_code == 200, first.body
    again = second_step(client, mfa_login(client, someone)["mfa_token"], recovery_code=codes[3])
    assert_error(again, 422, "invalid_code")
    status = call(client, "GET", "/me/second-factors", token=first.json_body["access_token"])
    assert status.json_body["totp"]["recovery_codes_left"] == 9


def test_the_second_step_expires(client, with_totp, clock):
    someone, secret, _ = with_totp
    challenge = mfa_login(client, someone)
    clock.move(minutes=6)

    late = second_step(client, challenge["mfa_token"], code=pyotp.TOTP(secret).at(clock.now))

    assert_error(late, 422, "invalid_token")


def test_wrong_codes_are_throttled_like_passwords(client, with_totp, clock):
    someone, secret, _ = with_totp
    challenge = mfa_login(client, someone)
    right = pyotp.TOTP(secret).at(clock.now)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"

    answers = [second_step(client, challenge["mfa_token"], code=wrong) for _ in range(6)]

    assert [answer.status_code for answer in answers[:5]] == [422] * 5
    locked = answers[5]
    assert_error(locked, 429, "too_many_attempts")
    assert int(locked.headers["Retry-After"]) >= 1
    # while locked, even the right code waits
    assert second_step(client, challenge["mfa_token"], code=right).status_code == 429


def test_a_second_step_needs_a_proof(client, with_totp):
    someone, _, _ = with_totp
    challenge = mfa_login(client, someone)

    assert_error(second_step(client, challenge["mfa_token"]), 422, "validation_failed", fields=("code",))
    assert_error(second_step(client, challenge["mfa_token"], code="12ab56"), 422, "validation_failed")
    assert_error(second_step(client, "not-a-token", code="123456"), 422, "invalid_token")


def test_removing_the_app_needs_a_recent_second_factor_and_is_mailed(client, with_totp, clock, mailbox):
    someone, secret, _ = with_totp
    # a session signed in with the app, 10 minutes ago
    clock.move(minutes=-10)
    session = second_step(
        client, mfa_login(client, someone)["mfa_token"], code=pyotp.TOTP(secret).at(clock.now)
    ).json_body
    clock.move(minutes=10)

    refused = call(client, "DELETE", "/me/totp", {}, token=session["access_token"])

    assert_error(refused, 403, "step_up_required")
    stepped = call(
        client, "POST", "/step-up", {"code": pyotp.TOTP(secret).at(clock.now)}, token=session["access_token"]
    )
    assert stepped.status_code == 200, stepped.body
    assert_documented("POST", "/step-up", stepped)
    removed = call(client, "DELETE", "/me/totp", {}, token=stepped.json_body["access_token"])
    assert removed.status_code == 204, removed.body
    assert subjects(mailbox, someone.email).count(subject("second_factor_changed")) == 2
    # a login is a password login again
    assert "access_token" in login(client, someone.email).json_body


# --- step-up before sensitive actions ---------------------------------------------------------


def test_sensitive_actions_of_an_old_second_factor_sign_in_ask_a_step_up(client, with_totp, clock):
    someone, secret, _ = with_totp
    clock.move(minutes=-10)
    session = second_step(
        client, mfa_login(client, someone)["mfa_token"], code=pyotp.TOTP(secret).at(clock.now)
    ).json_body
    clock.move(minutes=10)
    old = session["access_token"]
    contact = {"name": "Compta", "roles": ["billing"]}

    assert_error(call(client, "POST", "/me/contacts", contact, token=old), 403, "step_up_required")
    change = {"new_email": unique_email("new"), "password": PASSWORD}
    assert_error(call(client, "POST", "/me/email-change", change, token=old), 403, "step_up_required")
    closing = {"password": PASSWORD}
    assert_error(call(client, "POST", "/me/closure", closing, token=old), 403, "step_up_required")
    # reading is not sensitive
    assert call(client, "GET", "/me/contacts", token=old).status_code == 200
    # the password alone is not a step-up for an account with a second factor
    assert_error(
        call(client, "POST", "/step-up", {"password": PASSWORD}, token=old), 422, "validation_failed"
    )

    stepped = call(client, "POST", "/step-up", {"code": pyotp.TOTP(secret).at(clock.now)}, token=old)

    fresh = stepped.json_body["access_token"]
    assert claims(fresh)["auth_time"] == int(clock.now.timestamp())
    assert call(client, "POST", "/me/contacts", contact, token=fresh).status_code == 201
    # a refresh of the session keeps the step-up's time
    refreshed = call(client, "POST", "/refresh", {"refresh_token": session["refresh_token"]})
    assert claims(refreshed.json_body["access_token"])["auth_time"] == int(clock.now.timestamp())
    # and a few minutes later it is needed again
    clock.move(minutes=6)
    assert_error(call(client, "POST", "/me/contacts", contact, token=fresh), 403, "step_up_required")


def test_an_account_without_a_second_factor_keeps_its_password_confirmed_flows(client, customer, clock):
    signed_in_long_ago = customer.access_token
    clock.move(minutes=14)

    added = call(
        client, "POST", "/me/contacts", {"name": "Compta", "roles": ["billing"]}, token=signed_in_long_ago
    )

    assert added.status_code == 201, added.body
    # its step-up is the password
    assert_error(
        call(client, "POST", "/step-up", {"password": "wrong " + PASSWORD}, token=customer.access_token),
        401,
        "invalid_credentials",
    )
    stepped = call(client, "POST", "/step-up", {"password": PASSWORD}, token=customer.access_token)
    assert stepped.status_code == 200
    assert claims(stepped.json_body["access_token"])["amr"] == ["pwd"]


# --- passkeys ---------------------------------------------------------------------------------


def register_passkey(
    client: Any, someone: Customer, authenticator: SoftAuthenticator, token: str | None = None, **extra: Any
) -> Any:
    token = token or someone.access_token
    options = call(client, "POST", "/me/passkeys/options", token=token)
    assert options.status_code == 200, options.body
    assert_documented("POST", "/me/passkeys/options", options)
    credential = authenticator.create(options.json_body)
    body = {"credential": credential, "name": "Mon téléphone", "password": someone.password, **extra}
    return call(client, "POST", "/me/passkeys", body, token=token)


def test_a_passkey_is_registered_listed_renamed_and_signs_in_as_the_second_factor(client, mailbox, clock):
    someone = new_customer(client, mailbox)
    authenticator = SoftAuthenticator()

    registered = register_passkey(client, someone, authenticator)

    assert registered.status_code == 201, registered.body
    assert_documented("POST", "/me/passkeys", registered)
    passkey_id = registered.json_body["passkey_id"]
    assert mailbox.last(someone.email)["subject"] == subject("second_factor_changed")
    renamed = call(
        client, "PATCH", f"/me/passkeys/{passkey_id}", {"name": "Portable"}, token=someone.access_token
    )
    assert renamed.status_code == 200 and renamed.json_body["name"] == "Portable"
    listed = call(client, "GET", "/me/passkeys", token=someone.access_token)
    assert_documented("GET", "/me/passkeys", listed)
    assert [item["name"] for item in listed.json_body["items"]] == ["Portable"]

    challenge = mfa_login(client, someone)

    assert challenge["methods"] == ["passkey"]
    assertion = authenticator.get(challenge["passkey_options"])
    done = second_step(client, challenge["mfa_token"], passkey=assertion)
    assert done.status_code == 200, done.body
    assert "hwk" in claims(done.json_body["access_token"])["amr"]
    used = call(client, "GET", "/me/passkeys", token=done.json_body["access_token"]).json_body["items"][0]
    assert used["last_used_at"] is not None and used["sign_count"] == 1


def test_a_passkey_alone_signs_in(client, mailbox, clock):
    someone = new_customer(client, mailbox)
    authenticator = SoftAuthenticator()
    assert register_passkey(client, someone, authenticator).status_code == 201

    options = call(client, "POST", "/login/passkey/options")
    assert_documented("POST", "/login/passkey/options", options)
    assert "allowCredentials" not in options.json_body or not options.json_body["allowCredentials"]
    signed_in = call(client, "POST", "/login/passkey", {"credential": authenticator.get(options.json_body)})

    assert signed_in.status_code == 200, signed_in.body
    assert_documented("POST", "/login/passkey", signed_in)
    said = claims(signed_in.json_body["access_token"])
    assert said["sub"] == someone.customer_id and "hwk" in said["amr"]
    # the challenge was used up
    replay = call(client, "POST", "/login/passkey", {"credential": authenticator.get(options.json_body)})
    assert_error(replay, 422, "invalid_passkey")


def test_a_passkey_login_without_user_verification_is_refused(client, mailbox, clock):
    someone = new_customer(client, mailbox)
    authenticator = SoftAuthenticator()
    assert register_passkey(client, someone, authenticator).status_code == 201
    authenticator.user_verified = False

    options = call(client, "POST", "/login/passkey/options").json_body
    refused = call(client, "POST", "/login/passkey", {"credential": authenticator.get(options)})

    assert_error(refused, 422, "invalid_passkey")


def test_a_passkey_ceremony_of_another_origin_is_refused(client, mailbox, clock):
    someone = new_customer(client, mailbox)
    authenticator = SoftAuthenticator()
    options = call(client, "POST", "/me/passkeys/options", token=someone.access_token).json_body
    phished = authenticator.create(options, origin="https://guichet.example.net")

    refused = call(
        client,
        "POST",
        "/me/passkeys",
        {"credential": phished, "password": PASSWORD},
        token=someone.access_token,
    )

    assert_error(refused, 422, "invalid_passkey")
    # and its challenge is spent: the genuine answer to it is refused too
    genuine = authenticator.create(options)
    again = call(
        client,
        "POST",
        "/me/passkeys",
        {"credential": genuine, "password": PASSWORD},
        token=someone.access_token,
    )
    assert_error(again, 422, "invalid_passkey")
    assert call(client, "GET", "/me/passkeys", token=someone.access_token).json_body["items"] == []


def test_a_passkey_challenge_expires(client, mailbox, clock):
    someone = new_customer(client, mailbox)
    authenticator = SoftAuthenticator()
    options = call(client, "POST", "/me/passkeys/options", token=someone.access_token).json_body
    clock.move(minutes=6)

    late = call(
        client,
        "POST",
        "/me/passkeys",
        {"credential": authenticator.create(options), "password": PASSWORD},
        token=someone.access_token,
    )

    assert_error(late, 422, "invalid_passkey")


def test_a_passkey_of_another_customer_can_be_neither_removed_renamed_nor_used(client, mailbox, clock):
    owner = new_customer(client, mailbox)
    intruder = new_customer(client, mailbox, first_name="Bruno", last_name="Costa")
    owner_key, intruder_key = SoftAuthenticator(), SoftAuthenticator()
    passkey_id = register_passkey(client, owner, owner_key).json_body["passkey_id"]
    assert register_passkey(client, intruder, intruder_key).status_code == 201

    removed = call(
        client, "DELETE", f"/me/passkeys/{passkey_id}", {"password": PASSWORD}, token=intruder.access_token
    )
    renamed = call(
        client, "PATCH", f"/me/passkeys/{passkey_id}", {"name": "Mine"}, token=intruder.access_token
    )

    assert_error(removed, 404, "not_found")
    assert_error(renamed, 404, "not_found")
    # the owner's passkey does not answer the intruder's login challenge
    challenge = mfa_login(client, intruder)
    stolen = owner_key.get({**challenge["passkey_options"], "allowCredentials": []})
    assert_error(second_step(client, challenge["mfa_token"], passkey=stolen), 422, "invalid_code")
    assert [
        item["passkey_id"]
        for item in call(client, "GET", "/me/passkeys", token=owner.access_token).json_body["items"]
    ] == [passkey_id]


def test_removing_the_last_passkey_makes_the_login_a_password_login_again(client, mailbox, clock):
    someone = new_customer(client, mailbox)
    authenticator = SoftAuthenticator()
    passkey_id = register_passkey(client, someone, authenticator).json_body["passkey_id"]
    # the access token of the registering session says a password sign-in: the password is asked
    assert_error(
        call(client, "DELETE", f"/me/passkeys/{passkey_id}", {}, token=someone.access_token),
        422,
        "validation_failed",
        fields=("password",),
    )

    removed = call(
        client, "DELETE", f"/me/passkeys/{passkey_id}", {"password": PASSWORD}, token=someone.access_token
    )

    assert removed.status_code == 204, removed.body
    assert "access_token" in login(client, someone.email).json_body


def test_a_step_up_with_a_passkey(client, mailbox, clock):
    someone = new_customer(client, mailbox)
    authenticator = SoftAuthenticator()
    assert register_passkey(client, someone, authenticator).status_code == 201
    clock.move(minutes=-10)
    challenge = mfa_login(client, someone)
    session = second_step(
        client, challenge["mfa_token"], passkey=authenticator.get(challenge["passkey_options"])
    ).json_body
    clock.move(minutes=10)
    contact = {"name": "Compta", "roles": ["billing"]}
    assert_error(
        call(client, "POST", "/me/contacts", contact, token=session["access_token"]), 403, "step_up_required"
    )

    options = call(client, "POST", "/step-up/passkey-options", token=session["access_token"])
    assert_documented("POST", "/step-up/passkey-options", options)
    stepped = call(
        client,
        "POST",
        "/step-up",
        {"passkey": authenticator.get(options.json_body)},
        token=session["access_token"],
    )

    assert stepped.status_code == 200, stepped.body
    assert (
        call(client, "POST", "/me/contacts", contact, token=stepped.json_body["access_token"]).status_code
        == 201
    )


def test_the_app_s_secret_is_kept_sealed_and_only_for_its_account(client, with_totp, other_customer):
    from chalicelib import totp_sealing
    from chalicelib.models import TotpAuthenticator, totp_key
    from cryptography.exceptions import InvalidTag

    someone, secret, _ = with_totp

    kept = TotpAuthenticator.get(*totp_key(someone.customer_id)).secret

    assert secret not in kept
    assert totp_sealing.unseal(kept, customer_id=someone.customer_id) == secret
    with pytest.raises(InvalidTag):  # copied to another account, it does not open
        totp_sealing.unseal(kept, customer_id=other_customer.customer_id)
