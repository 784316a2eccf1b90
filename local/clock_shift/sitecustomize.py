"""Shift the wall clock of every Python process by GUICHET_CLOCK_SHIFT_DAYS days (`make test-shifted`).

Python imports `sitecustomize` at start-up from the first directory of `sys.path` that has one, so
putting this directory on PYTHONPATH shifts `time.time()`, `datetime.now()`, `date.today()` and
their relatives before any test or service code runs, in pytest and in each subprocess it starts.
The clock keeps ticking from the shifted instant (`tick=True`) and `time.monotonic()` is left
alone, so timeouts and waits behave. libfaketime cannot do this here (see the README).

Without the variable, or with 0, it does nothing and imports nothing.
"""

from __future__ import annotations

import os

SHIFT_DAYS = int(os.environ.get("GUICHET_CLOCK_SHIFT_DAYS") or 0)

if SHIFT_DAYS:
    from datetime import UTC, datetime, timedelta

    import time_machine

    time_machine.travel(datetime.now(UTC) + timedelta(days=SHIFT_DAYS), tick=True).start()


def clock_line() -> str:
    """Which clock this process runs under; fails when the shift asked for is not in force."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    if not SHIFT_DAYS:
        return f"clock: real, {now:%Y-%m-%d %H:%M} UTC"
    from time_machine import escape_hatch

    real = datetime.fromtimestamp(escape_hatch.time.time(), UTC)
    shifted_days = round((now - real).total_seconds() / 86400)
    if shifted_days != SHIFT_DAYS:
        raise SystemExit(f"clock shift of {SHIFT_DAYS} days asked, {shifted_days} in force")
    return f"clock: shifted {SHIFT_DAYS:+d} days, {now:%Y-%m-%d %H:%M} UTC (really {real:%Y-%m-%d %H:%M} UTC)"
