"""The controlled clock: "now" set by a harness for the runtime and every worker process.

In its usual mode the runtime runs on the wall clock, fires the schedules when they are due and
delivers events in the background. Under a controlled clock (`Options.clock`, `--clock` on the
command line) a harness decides what time it is: every process (the runtime with its in-process
moto, and each worker) is frozen at the same instant, which only moves when the harness moves it
(`Runtime.advance_to`, `POST /_local/clock`). Route handlers, event handlers and jobs then all read
the simulated time from `datetime.now()`, `date.today()` and `time.time()`, and nothing fires by
itself: the harness runs each job at its declared time and delivers events when it says so.

time-machine does the freezing (`tick=False`: the clock stands still between moves, so a run is
reproducible); `time.monotonic()` is left alone, so timeouts and waits keep working.
libfaketime is not used: under Python 3.11 it hangs timed waits (monotonic clock faked) or
makes `time.sleep` raise EINVAL (monotonic left alone). time-machine is imported only under a controlled
clock: the usual run never loads it.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any


class ControlledClock:
    """This process's frozen clock; `move_to` sets it to another instant."""

    def __init__(self) -> None:
        self._travel: Any = None  # time_machine.travel: what stops it
        self._traveller: Any = None  # what its start() gave: what moves it
        self._now: datetime | None = None
        self._lock = threading.Lock()

    @property
    def now(self) -> datetime | None:
        """The instant this process is frozen at, None when it runs on the wall clock."""
        return self._now

    def move_to(self, moment: datetime) -> datetime:
        """Freeze this process at `moment` (aware; kept in UTC), or move it there."""
        if moment.tzinfo is None:
            raise ValueError("a controlled clock needs an aware time, e.g. 2027-01-01T00:00:00Z")
        moment = moment.astimezone(UTC)
        with self._lock:
            if self._traveller is None:
                import time_machine

                self._travel = time_machine.travel(moment, tick=False)
                self._traveller = self._travel.start()
            else:
                self._traveller.move_to(moment, tick=False)
            self._now = moment
        return moment

    def release(self) -> None:
        """Back to the wall clock."""
        with self._lock:
            if self._travel is not None:
                self._travel.stop()
            self._travel = self._traveller = None
            self._now = None


def parse_instant(raw: str) -> datetime:
    """An ISO 8601 time; one without an offset is taken as UTC."""
    moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
