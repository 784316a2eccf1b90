"""Declared schedules (`@app.schedule`), fired locally since moto never fires them.

Expressions are EventBridge's: `rate(N minute|minutes|hour|hours|day|days)` and
`cron(minutes hours day-of-month month day-of-week year)`, in UTC. AWS cron differs from the
cron croniter reads: it has a year field, `?` for "any", and numbers its days of the week
1-7 from Sunday where croniter uses 0-6; `to_croniter` converts. A rate schedule fires every
N units from when the runtime started, as on AWS from when the rule was created.

The scheduler sends each handler the event EventBridge would: a "Scheduled Event" whose
`time` is the scheduled time, from which jobs read "now".
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

logger = logging.getLogger("guichet_local.schedules")

ACCOUNT_ID = "123456789012"
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MAX_YEAR_SKIPS = 1000


class ScheduleExpressionError(ValueError):
    pass


def rate_interval(expression: str) -> timedelta | None:
    """The interval of a rate expression, None for a cron expression."""
    match = _RATE.match(expression.strip())
    if not match:
        return None
    value, unit = int(match.group(1)), match.group(2)
    if value < 1:
        raise ScheduleExpressionError(f"{expression}: the rate must be at least 1")
    singular = unit.rstrip("s")
    if (value == 1) != (unit == singular):
        raise ScheduleExpressionError(f"{expression}: AWS wants rate(1 {singular}) or rate(N {singular}s)")
    return timedelta(seconds=value * _UNITS[singular])


def _day_of_week(field_value: str) -> str:
    """AWS day-of-week (1-7 = SUN-SAT, names, ?, L, #) in croniter's terms (0-6 = SUN-SAT)."""
    if field_value == "?":
        return "*"
    if field_value == "L":
        return "6"  # AWS: the last day of the week, Saturday

    def number(match: re.Match[str]) -> str:
        value = int(match.group(0))
        if not 1 <= value <= 7:
            raise ScheduleExpressionError(f"day of week {value} is not within 1-7")
        return str(value - 1)

    parts = []
    for part in field_value.split(","):
        if part.endswith("L") and part[:-1]:  # 6L, the last Friday of the month
            parts.append("L" + re.sub(r"\d+", number, part[:-1]))
        elif "#" in part:  # 6#3, the third Friday of the month
            day, _, nth = part.partition("#")
            parts.append(re.sub(r"\d+", number, day) + "#" + nth)
        elif "/" in part:  # 2/2: from Monday, every other day; the step is not a day
            start, _, step = part.partition("/")
            parts.append(re.sub(r"\d+", number, start) + "/" + step)
        else:
            parts.append(re.sub(r"\d+", number, part))
    return ",".join(parts)


def to_croniter(expression: str) -> tuple[str, str]:
    """(croniter expression, AWS year field) of an AWS `cron(...)` expression."""
    match = _CRON.match(expression.strip())
    if not match:
        raise ScheduleExpressionError(f"{expression!r} is neither rate(...) nor cron(...)")
    fields = match.group(1).split()
    if len(fields) != 6:
        raise ScheduleExpressionError(f"{expression}: AWS cron has 6 fields, not {len(fields)}")
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if "?" not in (day_of_month, day_of_week):
        raise ScheduleExpressionError(f"{expression}: AWS wants ? in day-of-month or day-of-week")
    day_of_month = "*" if day_of_month == "?" else day_of_month
    return " ".join([minutes, hours, day_of_month, month, _day_of_week(day_of_week)]), year


def _year_matches(year_field: str, year: int) -> bool:
    if year_field in ("*", "?"):
        return True
    for part in year_field.split(","):
        span, _, step = part.partition("/")
        low, _, high = span.partition("-")
        first = int(low) if low != "*" else 1970
        last = int(high) if high else (first if not step and low != "*" else 2199)
        if first <= year <= last and (year - first) % int(step or 1) == 0:
            return True
    return False


def next_fire_time(expression: str, after: datetime, *, started_at: datetime | None = None) -> datetime:
    """The first time strictly after `after` at which `expression` fires (UTC).

    A rate fires at started_at + k * interval (started_at defaults to `after`).
    """
    after = after.astimezone(UTC)
    interval = rate_interval(expression)
    if interval is not None:
        origin = (started_at or after).astimezone(UTC)
        if after < origin:
            return origin + interval
        periods = (after - origin) // interval + 1
        return origin + periods * interval
    from croniter import CroniterError, croniter

    cron, year_field = to_croniter(expression)
    try:
        iterator = croniter(cron, after.replace(second=0, microsecond=0))
        for _ in range(_MAX_YEAR_SKIPS):
            candidate: datetime = iterator.get_next(datetime)
            if candidate > after and _year_matches(year_field, candidate.year):
                return candidate
    except (CroniterError, ValueError) as error:
        raise ScheduleExpressionError(f"{expression}: {error}") from None
    raise ScheduleExpressionError(f"{expression}: no time left to fire in year {year_field}")


def scheduled_event(rule: str, at: datetime, region: str) -> dict[str, Any]:
    """The event EventBridge sends a scheduled Lambda: `time` is the scheduled time."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{rule}"],
        "detail": {},
    }


@dataclass
class Schedule:
    service: str
    name: str
    expression: str
    next_run: datetime = field(default=datetime.max.replace(tzinfo=UTC))

    @property
    def job(self) -> str:
        return f"{self.service}.{self.name}"


Fire = Callable[[Schedule, datetime], Any]


class Scheduler:
    """Fires schedules when due. The clock and the longest sleep are injectable for tests.

    A schedule that missed several times (the machine slept) fires once, for its latest due
    time, as EventBridge does not catch up either.
    """

    def __init__(
        self,
        schedules: list[Schedule],
        fire: Fire,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_sleep: float = 1.0,
    ) -> None:
        self.schedules = schedules
        self._fire = fire
        self._clock = clock
        self._max_sleep = max_sleep
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.started_at = clock()
        for schedule in schedules:
            schedule.next_run = next_fire_time(
                schedule.expression, self.started_at, started_at=self.started_at
            )

    def run_pending(
        self,
        now: datetime | None = None,
        *,
        fire: Fire | None = None,
        only: list[Schedule] | None = None,
    ) -> list[tuple[Schedule, datetime]]:
        """Fire every schedule due at `now` (those of `only`, with `fire` instead of the
        scheduler's own, when given); what was fired, with its scheduled time."""
        now = now or self._clock()
        fire = fire or self._fire
        fired = []
        for schedule in self.schedules if only is None else only:
            if schedule.next_run > now:
                continue
            due = schedule.next_run
            while (following := next_fire_time(schedule.expression, due, started_at=self.started_at)) <= now:
                due = following
            schedule.next_run = following
            try:
                fire(schedule, due)
            except Exception:
                logger.exception("scheduled job %s failed", schedule.job)
            fired.append((schedule, due))
        return fired

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_pending()
            if not self.schedules:
                self._stop.wait()
                return
            seconds = (min(schedule.next_run for schedule in self.schedules) - self._clock()).total_seconds()
            self._stop.wait(min(max(seconds, 0.0), self._max_sleep))

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
