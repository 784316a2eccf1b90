"""The homes' electricity, half-hour by half-hour, and the meter files that bring it to Guichet.

Each home draws a believable load curve (a base load, mornings and evenings, more in winter) and,
with solar panels, injects its midday surplus; the values come from a generator seeded by the home
and the day, so a run is reproducible. The grid operator sends them as CSV files
(`meter_id,start,value[,direction]`) for the days a supply contract ran: every Monday the week
before, and on the 1st the rest of the month just ended, before the monthly close. A file can
come late (after the close of its month) or carry a correction of days already sent.

`MeterLedger` remembers every value sent and when, so that the invariants know what was read
as of any moment: a half-hour's value is the last one sent, as the consumption service keeps it.
"""

from __future__ import annotations

import functools
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
HALF_HOUR = timedelta(minutes=30)
KWH = Decimal("0.001")
CONSUMPTION, INJECTION = "consumption", "injection"
FILE_TIME = time(1, 0)  # UTC: the operator's files land before the 03:00 monthly close


def paris_day(moment: datetime) -> date:
    return moment.astimezone(PARIS).date()


@functools.lru_cache(maxsize=4096)
def half_hours(day: date) -> tuple[datetime, ...]:
    """The starts (UTC) of the half-hours of a Paris day: 46, 48 or 50 of them."""
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)
    following = day + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=PARIS).astimezone(UTC)
    return tuple(start + n * HALF_HOUR for n in range(int((end - start) / HALF_HOUR)))


def month_of(day: date) -> str:
    return day.isoformat()[:7]


def first_of_next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Home:
    """A home's point of delivery and how it uses electricity."""

    pdl: str
    annual_kwh: int
    heating_share: float  # how much more it draws in the depth of winter
    solar_kwp: float = 0.0  # panels on the roof; 0 for none
    seed: int = 0

    def _rng(self, day: date, what: str) -> random.Random:
        return random.Random(f"{self.seed}/{self.pdl}/{day.isoformat()}/{what}")

    def consumption(self, day: date) -> list[Decimal]:
        rng = self._rng(day, CONSUMPTION)
        winter = math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365.25)
        season = 1 + self.heating_share * winter
        average = self.annual_kwh / (365.25 * 48)
        values = []
        for start in half_hours(day):
            hour = start.astimezone(PARIS).hour + start.astimezone(PARIS).minute / 60
            shape = 0.55 + 0.6 * _bump(hour, 7.5, 1.5) + 1.1 * _bump(hour, 19.5, 2.5)
            values.append(_kwh(average * season * shape * rng.uniform(0.7, 1.3)))
        return values

    def injection(self, day: date) -> list[Decimal]:
        if not self.solar_kwp:
            return []
        rng = self._rng(day, INJECTION)
        summer = 0.55 - 0.45 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 172) / 365.25 + math.pi)
        cloud = rng.uniform(0.25, 1.0)
        values = []
        for start in half_hours(day):
            hour = start.astimezone(PARIS).hour + start.astimezone(PARIS).minute / 60
            sun = max(0.0, math.sin(math.pi * (hour - 6.5) / 14))
            produced = self.solar_kwp * sun * summer * cloud * 0.5  # kW over half an hour
            values.append(_kwh(max(0.0, produced * 0.7 - 0.05)))  # the rest is used at home
        return values


def off_peak_flags(day: date, hours: list[dict[str, str]]) -> tuple[bool, ...]:
    """Which half-hours of a Paris day fall in the off-peak hours (`[start, end)`, local time)."""
    return _off_peak_flags(day, tuple((span["start"], span["end"]) for span in hours))


@functools.lru_cache(maxsize=8192)
def _off_peak_flags(day: date, hours: tuple[tuple[str, str], ...]) -> tuple[bool, ...]:
    def minutes(text: str) -> int:
        hour, minute = text.split(":")
        return int(hour) * 60 + int(minute)

    ranges = [(minutes(start), minutes(end)) for start, end in hours]
    flags = []
    for start in half_hours(day):
        local = start.astimezone(PARIS)
        minute = local.hour * 60 + local.minute
        flags.append(any(a <= minute < b if a < b else minute >= a or minute < b for a, b in ranges))
    return tuple(flags)


def _bump(hour: float, peak: float, width: float) -> float:
    return math.exp(-(((hour - peak) / width) ** 2))


def _kwh(value: float) -> Decimal:
    return Decimal(str(value)).quantize(KWH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class MobileLine:
    """A mobile line's data use, as the operator's network reports it for its allowance meter."""

    point: str  # the line's data meter, M<subscription_id>-GB
    daily_gb: float
    seed: int = 0

    @property
    def pdl(self) -> str:
        return self.point

    def consumption(self, day: date) -> list[Decimal]:
        """The day's GB in the evening half-hours when the line is used most (none at night)."""
        rng = random.Random(f"{self.seed}/{self.point}/{day.isoformat()}")
        slots = half_hours(day)
        used = [Decimal(0)] * len(slots)
        for index in rng.sample(range(len(slots) // 3, len(slots)), 4):
            used[index] = Decimal(str(self.daily_gb * rng.uniform(0.15, 0.35))).quantize(
                KWH, rounding=ROUND_HALF_UP
            )
        return used

    def injection(self, day: date) -> list[Decimal]:
        return []


@dataclass(frozen=True)
class Sent:
    at: datetime  # when the file carrying these values was ingested
    values: tuple[Decimal, ...]


class MeterLedger:
    """Every half-hour value sent to Guichet, by meter, day and direction, with when it was sent."""

    def __init__(self) -> None:
        self._sent: dict[tuple[str, date, str], list[Sent]] = defaultdict(list)

    def record(self, meter_id: str, day: date, direction: str, values: list[Decimal], at: datetime) -> None:
        self._sent[(meter_id, day, direction)].append(Sent(at, tuple(values)))

    def read(self, meter_id: str, day: date, direction: str, as_of: datetime) -> Decimal:
        """The day's kWh as the meter's data stood at `as_of` (each half-hour: its last value sent)."""
        versions = [sent for sent in self._sent.get((meter_id, day, direction), []) if sent.at <= as_of]
        return sum(versions[-1].values, Decimal(0)) if versions else Decimal(0)

    def total(self, meter_id: str, days: list[date], direction: str, as_of: datetime) -> Decimal:
        return sum((self.read(meter_id, day, direction, as_of) for day in days), Decimal(0))

    def split(
        self, meter_id: str, day: date, off_peak: list[bool], as_of: datetime
    ) -> tuple[Decimal, Decimal]:
        """The day's consumption as it stood at `as_of`, in peak and off-peak hours."""
        versions = [sent for sent in self._sent.get((meter_id, day, CONSUMPTION), []) if sent.at <= as_of]
        if not versions:
            return Decimal(0), Decimal(0)
        values = versions[-1].values
        peak = sum((value for value, off in zip(values, off_peak, strict=True) if not off), Decimal(0))
        return peak, sum(values, Decimal(0)) - peak

    def days_sent(self, meter_id: str) -> set[date]:
        return {day for (meter, day, _), _sent in self._sent.items() if meter == meter_id}


@dataclass
class Delivery:
    """One day of one meter, to be sent at `at` (a correction carries other values)."""

    at: datetime
    home: Home | MobileLine
    day: date
    correction: float = 1.0  # the values sent are the home's times this


@dataclass
class MeterFeed:
    """The files the grid operator sends: regular ones, late ones and corrections."""

    ledger: MeterLedger
    deliveries: list[Delivery] = field(default_factory=list)
    files_sent: int = 0
    rows_sent: int = 0

    @staticmethod
    def regular_time(day: date) -> datetime:
        """When a day's readings arrive: the Monday after, or the 1st of the next month if sooner."""
        monday = day + timedelta(days=7 - day.weekday())
        arrival = min(monday, first_of_next_month(day))
        return datetime.combine(arrival, FILE_TIME, tzinfo=UTC)

    def plan(self, home: Home | MobileLine, day: date, *, delay_days: int = 0) -> None:
        at = self.regular_time(day) + timedelta(days=delay_days)
        self.deliveries.append(Delivery(at, home, day))

    def correct(self, home: Home, day: date, at: datetime, factor: float) -> None:
        self.deliveries.append(Delivery(at, home, day, correction=factor))

    def due(self, now: datetime, *, peek: bool = False) -> list[Delivery]:
        """What is to be sent by `now` (taken from the plan, unless only peeked at)."""
        ready = [delivery for delivery in self.deliveries if delivery.at <= now]
        if not peek:
            self.deliveries = [delivery for delivery in self.deliveries if delivery.at > now]
        return ready

    def send(
        self, ready: list[Delivery], now: datetime, ingest: Callable[[str, bytes], dict[str, Any]]
    ) -> dict[str, Any] | None:
        """One CSV file for everything ready now (what it carries goes into the ledger); the
        consumption service's report on it."""
        if not ready:
            return None
        rows = ["meter_id,start,value,direction"]
        for delivery in sorted(ready, key=lambda d: (d.home.pdl, d.day)):
            home, day = delivery.home, delivery.day
            for direction, values in ((CONSUMPTION, home.consumption(day)), (INJECTION, home.injection(day))):
                if not values:
                    continue
                if delivery.correction != 1.0:
                    values = [_kwh(float(value) * delivery.correction) for value in values]
                for start, value in zip(half_hours(day), values, strict=True):
                    rows.append(f"{home.pdl},{start.strftime('%Y-%m-%dT%H:%M:%SZ')},{value},{direction}")
                self.ledger.record(home.pdl, day, direction, values, now)
        name = f"enedis-{now:%Y%m%d%H%M}-{self.files_sent:05d}.csv"
        report = ingest(name, ("\n".join(rows) + "\n").encode())
        self.files_sent += 1
        self.rows_sent += len(rows) - 1
        return report
