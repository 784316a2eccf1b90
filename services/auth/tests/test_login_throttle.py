"""Login throttling: 5 free failures, a lock doubling from 1 s to 15 min, 100 failures an hour (point 8)."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from conftest import assert_documented, assert_error, login, unique_email, utc

T0 = utc(2030, 1, 1, 12, 0, 0)


def _key() -> str:
    from chalicelib import login_throttle

    return login_throttle.key_for_unknown_login(f"unit-{uuid.uuid4().hex}")


def _lock(key, now) -> int | None:
    """Retry-After seconds if the key is locked at `now` (read from its stored state), else None."""
    import math

    from chalicelib.models import LoginThrottle
    from pynamodb.exceptions import DoesNotExist

    try:
        state = LoginThrottle.get(key, "THROTTLE")
    except DoesNotExist:
        return None
    wait = float(state.locked_until or 0) - now.timestamp()
    return math.ceil(wait) if wait > 0 else None


def _fail(key, now) -> None:
    """An attempt whose password was wrong: counted, never given back."""
    from chalicelib import login_throttle

    login_throttle.begin(key, now=now)


def _succeed(key, now) -> None:
    from chalicelib import login_throttle

    login_throttle.begin(key, now=now).succeeded()


def _seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


# --- unit level, with chosen moments ---------------------------------------------------------


def test_five_failures_are_free_then_the_lock_doubles_up_to_15_minutes():
    key = _key()
    now = T0

    # Given four failures / Then no lock
    for _ in range(4):
        _fail(key, now)
        assert _lock(key, now) is None

    # When failing again each time the lock has just ended
    for delay in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900):
        _fail(key, now)

        # Then the lock lasts `delay` seconds exactly: 1, 2, 4 … capped at 900
        assert _lock(key, now) == delay
        assert _lock(key, now + _seconds(delay - 1)) == 1
        assert _lock(key, now + _seconds(delay)) is None
        now += _seconds(delay)


def test_delay_after_is_the_documented_sequence():
    from chalicelib import login_throttle

    assert [login_throttle.delay_after(n) for n in range(1, 18)] == [
        0,
        0,
        0,
        0,
        1,
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        512,
        900,
        900,
        900,
    ]


def test_a_success_resets_the_consecutive_count():
    key = _key()

    # Given four failures and then a success
    for second in range(4):
        _fail(key, T0 + _seconds(second))
    _succeed(key, T0 + _seconds(5))

    # When four more failures follow / Then still no lock
    for second in range(6, 10):
        _fail(key, T0 + _seconds(second))
        assert _lock(key, T0 + _seconds(second)) is None
    # and the fifth consecutive one locks
    _fail(key, T0 + _seconds(10))
    assert _lock(key, T0 + _seconds(10)) == 1


def test_a_hundred_failures_within_an_hour_lock_until_the_hour_ends():
    key = _key()

    # Given 99 failures in 33 minutes, never 5 in a row (a success after every 4)
    for n in range(99):
        _fail(key, T0 + _seconds(20 * n))
        if n % 4 == 3:
            _succeed(key, T0 + _seconds(20 * n + 1))
    assert _lock(key, T0 + _seconds(20 * 98 + 2)) is None

    # When the 100th failure comes
    _fail(key, T0 + _seconds(20 * 99))

    # Then the login is locked until the hour that began with the first failure ends
    assert _lock(key, T0 + _seconds(20 * 99)) == 3600 - 20 * 99
    assert _lock(key, T0 + _seconds(3599)) == 1
    assert _lock(key, T0 + _seconds(3600)) is None


def test_failures_of_a_past_hour_do_not_count():
    key = _key()
    for n in range(99):
        _fail(key, T0 + _seconds(20 * n))
        if n % 4 == 3:
            _succeed(key, T0 + _seconds(20 * n + 1))

    # When the 100th failure comes after the hour
    later = T0 + _seconds(3601)
    _succeed(key, later)
    _fail(key, later)

    # Then it opens a new hour: no lock
    assert _lock(key, later) is None


def test_the_lock_lasts_its_full_delay_from_the_failure():
    key = _key()
    late_in_a_second = T0 + _seconds(0.999)
    for _ in range(5):
        _fail(key, late_in_a_second)

    # Half a second after the fifth failure, the 1 s lock must still hold
    assert _lock(key, late_in_a_second + _seconds(0.5)) is not None


# --- through the login route ----------------------------------------------------------------


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, customer, frozen_clock):
    # Given five wrong passwords in a row
    for _ in range(5):
        assert_error(login(client, customer.email, "wrong password, again"), 401, "invalid_credentials")

    # When the right password comes next
    refused = login(client, customer.email)

    # Then 429 with Retry-After, whatever the form of the login
    assert_error(refused, 429, "too_many_attempts")
    assert_documented("POST", "/login", refused)
    assert int(refused.headers["Retry-After"]) >= 1
    assert_error(login(client, customer.customer_id.upper()), 429, "too_many_attempts")


def test_an_unknown_login_is_throttled_exactly_like_a_known_one(client, customer, frozen_clock):
    nobody = unique_email("nobody")

    # Given five failures on a known login and on an unknown one
    for _ in range(5):
        assert_error(login(client, customer.email, "wrong password, again"), 401, "invalid_credentials")
        assert_error(login(client, nobody, "wrong password, again"), 401, "invalid_credentials")

    # When each tries a sixth time
    known = login(client, customer.email, "wrong password, again")
    unknown = login(client, nobody, "wrong password, again")

    # Then both answers are the same 429
    assert_error(unknown, 429, "too_many_attempts")
    assert known.status_code == unknown.status_code == 429
    assert known.body == unknown.body
    assert known.headers["Retry-After"] == unknown.headers["Retry-After"]


def test_a_successful_login_resets_the_count(client, customer, frozen_clock):
    for _ in range(2):
        for _ in range(4):
            assert_error(login(client, customer.email, "wrong password, again"), 401, "invalid_credentials")
        response = login(client, customer.email)
        assert response.status_code == 200, response.body


def test_parallel_guesses_get_no_more_than_the_free_failures(customer, serialised_aws, monkeypatch):
    from chalicelib import passwords, sessions
    from chalicelib.errors import InvalidCredentials, TooManyAttempts

    # Given ten guesses that reach the password check at the same moment
    together = threading.Barrier(10, timeout=2)
    verify = passwords.verify

    def verify_together(password_hash, password):
        try:
            together.wait()
        except threading.BrokenBarrierError:
            pass  # fewer than ten got this far: fine
        return verify(password_hash, password)

    monkeypatch.setattr(passwords, "verify", verify_together)

    def guess(n):
        try:
            sessions.check_password(customer.email, f"guess number {n}", now=T0, ip=None)
        except InvalidCredentials:
            return "checked"
        except TooManyAttempts:
            return "locked"
        return "in"

    # When they are sent in parallel
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(guess, range(10)))

    # Then no more than five were checked against the password
    assert outcomes.count("checked") <= 5, outcomes


# --- per client address ---------------------------------------------------------------------


def test_guesses_from_elsewhere_do_not_lock_the_customer_out(client, customer, frozen_clock, client_address):
    # Given someone guessing the customer's password from another address, until refused
    client_address("203.0.113.7")
    for _ in range(5):
        assert_error(login(client, customer.customer_id, "a guess"), 401, "invalid_credentials")
    assert_error(login(client, customer.customer_id, "another guess"), 429, "too_many_attempts")

    # When the customer logs in from their own address
    client_address("198.51.100.20")
    response = login(client, customer.email)

    # Then they are in
    assert response.status_code == 200, response.body


def test_many_logins_guessed_once_each_from_one_address_are_stopped(client, frozen_clock, client_address):
    # Given one address trying 30 logins once each
    client_address("203.0.113.99")
    answers = [login(client, unique_email(f"guess{n}"), "a guess").status_code for n in range(30)]

    # Then the first ten are answered, and the address is held back well before the thirtieth
    assert answers[:10] == [401] * 10
    assert 429 in answers[10:]
    assert answers.count(401) < 20


# --- requests that mail someone or make an account, per client address ----------------------


def _forgot(client, login_name):
    from conftest import call

    return call(client, "POST", "/password/forgot", {"login": login_name})


def test_forgot_password_requests_from_one_address_are_held_back_whatever_they_name(
    client, customer, frozen_clock, client_address
):
    # Given one address asking for 20 reset links, for logins known and unknown alike
    client_address("203.0.113.40")
    names = [customer.email if n % 2 else unique_email(f"reset{n}") for n in range(20)]
    assert [_forgot(client, name).status_code for name in names] == [202] * 20

    # When it asks again, in the same second, for a known login or an unknown one
    known, unknown = _forgot(client, customer.email), _forgot(client, unique_email("other"))

    # Then both are held back alike, with a Retry-After (nothing tells the two apart)
    assert_error(known, 429, "too_many_attempts")
    assert_error(unknown, 429, "too_many_attempts")
    assert known.headers["Retry-After"] == unknown.headers["Retry-After"] == "1"
    assert_documented("POST", "/password/forgot", known)

    # while another address is answered as usual
    client_address("198.51.100.41")
    assert _forgot(client, customer.email).status_code == 202


def test_registrations_from_one_address_back_off_and_start_afresh_with_the_hour(
    client, client_address, monkeypatch
):
    from chalicelib import api
    from conftest import call, registration

    client_address("203.0.113.50")
    moment = [T0]
    monkeypatch.setattr(api, "_now", lambda: moment[0])

    def register_one(n: int):
        return call(client, "POST", "/register", registration(email=unique_email(f"crowd{n}")))

    # Given 20 registrations from one address in the same second: all made
    assert [register_one(n).status_code for n in range(20)] == [201] * 20

    # Then the next waits a second, the one after it two: a back-off, not a wall
    held = register_one(20)
    assert_error(held, 429, "too_many_attempts")
    assert held.headers["Retry-After"] == "1"
    assert_documented("POST", "/register", held)
    moment[0] += timedelta(seconds=1)
    assert register_one(21).status_code == 201
    assert register_one(22).headers["Retry-After"] == "2"

    # And once the hour that the first one opened ran out, the count starts again
    moment[0] = T0 + timedelta(hours=1, seconds=1)
    assert [register_one(100 + n).status_code for n in range(20)] == [201] * 20
    assert register_one(200).status_code == 429


def test_email_change_requests_are_limited_per_client_address(client, mailbox, frozen_clock, client_address):
    from conftest import call, new_customer

    client_address("203.0.113.60")
    customers = [new_customer(client, mailbox) for _ in range(3)]
    answers = []
    for n in range(21):
        someone = customers[n % 3]
        answers.append(
            call(
                client,
                "POST",
                "/me/email-change",
                {"new_email": unique_email(f"moved{n}"), "password": someone.password},
                token=someone.access_token,
            )
        )
    assert [answer.status_code for answer in answers[:20]] == [202] * 20
    assert_error(answers[20], 429, "too_many_attempts")
    assert_documented("POST", "/me/email-change", answers[20])
