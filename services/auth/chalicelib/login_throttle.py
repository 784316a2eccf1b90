"""Login throttling, without letting anyone lock a customer out.

Three counts, each a progressive back-off after its free failures and a cap per hour:
- per login *and* client address (`key_for_login`): 5 failures free, then a lock doubling from 1 s
  to 15 min, 100 failures an hour at most. Someone guessing a customer's password from elsewhere
  locks only their own address: the customer, from theirs, still logs in.
- per client address, whatever the login (`key_for_address`): 10 failures free, then the same
  doubling, 30 an hour at most: guessing many logins once each from one address is stopped too.
- per account (`key_for_account`), for the password checks of a signed-in customer (changing the
  password or the email).

And one count of requests rather than failures (`spend`): the requests that mail someone or make
an account or a challenge (registration, forgot-password, email change, a passkey login's options)
per client address, whatever they name,
each counted: 20 an hour free, then the same doubling, 60 an hour at most, the count starting
again with each hour. The mail to one mailbox is capped on top of it (`emails.send_capped`).

The state is keyed by account when the login names one, else by the login as typed
(normalised), so an unknown login is throttled exactly like a known one.

An attempt is counted as a failure *before* its password is checked (and the lock it would
earn is set then), and given back when it succeeds. Each count is a conditional write on the
state it read, so guesses sent in parallel queue up behind one another: none reaches the
password check while the key is locked.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from .errors import TooManyAttempts
from .models import LoginThrottle

FREE_FAILURES = 5
FIRST_DELAY_SECONDS = 1
MAX_DELAY_SECONDS = 15 * 60
HOURLY_FAILURES = 100
WINDOW_SECONDS = 3600
_RACES = 20


ADDRESS_FREE_FAILURES = 10
ADDRESS_HOURLY_FAILURES = 30


@dataclass(frozen=True)
class Limits:
    free: int = FREE_FAILURES
    hourly: int = HOURLY_FAILURES
    # the back-off counts within the hour only (requests, every one counted), not across hours
    # (failures, which a success ends)
    hourly_back_off: bool = False


PER_LOGIN = Limits()
PER_ADDRESS = Limits(free=ADDRESS_FREE_FAILURES, hourly=ADDRESS_HOURLY_FAILURES)
REQUESTS_PER_ADDRESS = Limits(free=20, hourly=60, hourly_back_off=True)
REQUEST_KINDS = ("register", "forgot_password", "email_change", "recovery", "passkey_login")


def key_for_account(customer_id: str) -> str:
    return f"THROTTLE#CUSTOMER#{customer_id}"


def key_for_unknown_login(normalised_login: str) -> str:
    return f"THROTTLE#LOGIN#{hashlib.sha256(normalised_login.encode()).hexdigest()}"


def key_for_login(login_key: str, address: str | None) -> str:
    """A login (its account's key, or the unknown login's) from one client address."""
    if address is None:
        return login_key
    return f"{login_key}#FROM#{hashlib.sha256(address.encode()).hexdigest()[:32]}"


def key_for_address(address: str) -> str:
    return f"THROTTLE#ADDRESS#{hashlib.sha256(address.encode()).hexdigest()}"


def key_for_requests(kind: str, address: str) -> str:
    return f"THROTTLE#{kind.upper()}#FROM#{hashlib.sha256(address.encode()).hexdigest()}"


def spend(kind: str, address: str | None, *, now: datetime) -> None:
    """Count a request of `kind` (one of REQUEST_KINDS) from a client address, or answer 429 with
    Retry-After while the address is held back; whatever the request names, known or not, it is
    counted alike. A request with no known address (none behind the gateway) is not counted."""
    if kind not in REQUEST_KINDS:
        raise ValueError(f"unknown kind of request: {kind}")
    if address is not None:
        begin(key_for_requests(kind, address), now=now, limits=REQUESTS_PER_ADDRESS)


def delay_after(consecutive_failures: int, free: int = FREE_FAILURES) -> int:
    """Lock after the n-th consecutive failure: none before the `free`-th (the 5th by default),
    then 1 s doubling to 15 min."""
    if consecutive_failures < free:
        return 0
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** (consecutive_failures - free))


@dataclass(frozen=True)
class Attempt:
    key: str
    consecutive_failures: int

    def succeeded(self) -> None:
        """The password was right: the attempt is not a failure, and the count starts again."""
        try:
            LoginThrottle(self.key, "THROTTLE").update(
                actions=[
                    LoginThrottle.consecutive_failures.set(0),
                    LoginThrottle.locked_until.set(0),
                    LoginThrottle.window_failures.add(-1),
                ],
                condition=LoginThrottle.consecutive_failures == self.consecutive_failures,
            )
        except UpdateError:
            # another attempt was counted meanwhile: still reset the count, keep its lock
            LoginThrottle(self.key, "THROTTLE").update(actions=[LoginThrottle.consecutive_failures.set(0)])


def begin_login(login_key: str, address: str | None, *, now: datetime) -> list[Attempt]:
    """Count a login's attempt (a password, or the code of its second step) from a client address:
    the address first (guesses of many logins), then this login from that address."""
    attempts = []
    if address is not None:
        attempts.append(begin(key_for_address(address), now=now, limits=PER_ADDRESS))
    attempts.append(begin(key_for_login(login_key, address), now=now))
    return attempts


def _read(key: str) -> LoginThrottle | None:
    try:
        return LoginThrottle.get(key, "THROTTLE", consistent_read=True)
    except DoesNotExist:
        return None


def begin(key: str, *, now: datetime, limits: Limits = PER_LOGIN) -> Attempt:
    """Count an attempt (as a failure until it succeeds), or answer 429 with Retry-After while locked."""
    moment = now.timestamp()
    for _ in range(_RACES):
        state = _read(key)
        locked_until = float(state.locked_until or 0) if state else 0.0
        if locked_until > moment:
            raise TooManyAttempts(math.ceil(locked_until - moment))
        consecutive = int(state.consecutive_failures or 0) + 1 if state else 1
        window_start = int(state.window_start or 0) if state else 0
        window_failures = int(state.window_failures or 0) + 1 if state else 1
        if window_start + WINDOW_SECONDS <= moment:
            window_start, window_failures = int(moment), 1  # the hour ran out: this attempt opens a new one
            if limits.hourly_back_off:
                consecutive = 1
        delay = delay_after(consecutive, limits.free)
        lock = math.ceil(moment + delay) if delay else 0
        if window_failures >= limits.hourly:
            lock = max(lock, window_start + WINDOW_SECONDS)
        written = LoginThrottle(
            key,
            "THROTTLE",
            consecutive_failures=consecutive,
            locked_until=lock,
            window_start=window_start,
            window_failures=window_failures,
            expires_at_epoch=int(moment) + 2 * WINDOW_SECONDS + MAX_DELAY_SECONDS,
        )
        try:
            if state is None:
                written.save(condition=LoginThrottle.pk.does_not_exist())
            else:
                written.save(
                    condition=(LoginThrottle.consecutive_failures == state.consecutive_failures)
                    & (LoginThrottle.window_failures == state.window_failures)
                )
        except PutError:
            continue  # a parallel attempt was counted first: read again
        return Attempt(key, consecutive)
    raise TooManyAttempts(FIRST_DELAY_SECONDS)


def clear(key: str) -> None:
    """Forget the failures of a login (after its password was reset through the mailbox)."""
    LoginThrottle(key, "THROTTLE").delete()
