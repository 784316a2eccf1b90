"""Login throttling: exponential back-off after 5 consecutive failures, 100 failures an hour at most.

The state is keyed by account when the login names one, else by the login as typed
(normalised), so an unknown login is throttled exactly like a known one. Failures are
counted with atomic updates, so parallel guesses cannot slip past the count.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, UpdateError

from .errors import TooManyAttempts
from .models import LoginThrottle

FREE_FAILURES = 5
FIRST_DELAY_SECONDS = 1
MAX_DELAY_SECONDS = 15 * 60
HOURLY_FAILURES = 100
WINDOW_SECONDS = 3600


def key_for_account(customer_id: str) -> str:
    return f"THROTTLE#CUSTOMER#{customer_id}"


def key_for_unknown_login(normalised_login: str) -> str:
    return f"THROTTLE#LOGIN#{hashlib.sha256(normalised_login.encode()).hexdigest()}"


def _get(key: str) -> LoginThrottle | None:
    try:
        return LoginThrottle.get(key, "THROTTLE")
    except DoesNotExist:
        return None


def check(key: str, *, now: datetime) -> LoginThrottle | None:
    """Raise 429 with Retry-After while the key is locked; returns the state for record_success."""
    state = _get(key)
    if state is not None:
        wait = (state.locked_until or 0) - now.timestamp()
        if wait > 0:
            raise TooManyAttempts(math.ceil(wait))
    return state


def delay_after(consecutive_failures: int) -> int:
    """Lock after the n-th consecutive failure: none before the 5th, then 1 s doubling to 15 min."""
    if consecutive_failures < FREE_FAILURES:
        return 0
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** (consecutive_failures - FREE_FAILURES))


def record_failure(key: str, *, now: datetime) -> None:
    moment = int(now.timestamp())
    state = LoginThrottle(key, "THROTTLE")
    state.update(  # ADD is atomic: parallel failures are all counted
        actions=[
            LoginThrottle.consecutive_failures.add(1),
            LoginThrottle.window_failures.add(1),
            LoginThrottle.expires_at_epoch.set(moment + 2 * WINDOW_SECONDS + MAX_DELAY_SECONDS),
        ]
    )
    window_start = state.window_start or 0
    if window_start + WINDOW_SECONDS <= moment:
        # The hourly window has run out: this failure opens a new one.
        try:
            state.update(
                actions=[LoginThrottle.window_start.set(moment), LoginThrottle.window_failures.set(1)],
                condition=LoginThrottle.window_start.does_not_exist()
                | (LoginThrottle.window_start == window_start),
            )
        except UpdateError:
            state.refresh()  # a parallel failure opened it
    locked_until = moment + delay_after(int(state.consecutive_failures or 0))
    if (state.window_failures or 0) >= HOURLY_FAILURES:
        locked_until = max(locked_until, int(state.window_start or moment) + WINDOW_SECONDS)
    if locked_until > (state.locked_until or 0):
        try:
            state.update(
                actions=[LoginThrottle.locked_until.set(locked_until)],
                condition=LoginThrottle.locked_until.does_not_exist()
                | (LoginThrottle.locked_until < locked_until),
            )
        except UpdateError:
            pass  # a parallel failure locked it for longer


def record_success(key: str, state: LoginThrottle | None) -> None:
    if state is not None and state.consecutive_failures:
        LoginThrottle(key, "THROTTLE").update(actions=[LoginThrottle.consecutive_failures.set(0)])


def clear(key: str) -> None:
    """Forget the failures of a login (after its password was reset through the mailbox)."""
    LoginThrottle(key, "THROTTLE").delete()
