"""What the demo customers' meters read, half-hour by half-hour, and the files that bring it in.

A home draws a believable load curve (a base load, mornings and evenings, more in winter) and,
with solar panels, injects its midday surplus; a mobile line is used in waking hours. The values
come from a generator seeded by the meter and the day, so every start of the demo reads the same.
The grid operator (the network, for a mobile line) sends them as the CSV files the consumption
service ingests (`meter_id,start,value,direction`, one half-hour a row, the start in UTC).

`Home` is the year simulation's (tests/simulation/readings.py), copied here because the local
runtime cannot import the tests: the two are to be merged into this module.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
HALF_HOUR = timedelta(minutes=30)
KWH = Decimal("0.001")
CONSUMPTION, INJECTION = "consumption", "injection"
HEADER = "meter_id,start,value,direction"


def half_hours(day: date) -> list[datetime]:
    """The starts (UTC) of the half-hours of a Paris day: 46, 48 or 50 of them."""
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)
    following = day + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=PARIS).astimezone(UTC)
    return [start + n * HALF_HOUR for n in range(int((end - start) / HALF_HOUR))]


def _bump(hour: float, peak: float, width: float) -> float:
    return math.exp(-(((hour - peak) / width) ** 2))


def _kwh(value: float) -> Decimal:
    return Decimal(str(value)).quantize(KWH, rounding=ROUND_HALF_UP)


def _hour(start: datetime) -> float:
    local = start.astimezone(PARIS)
    return local.hour + local.minute / 60


@dataclass(frozen=True)
class Home:
    """A home's point of delivery (PDL) and how it uses electricity."""

    pdl: str
    annual_kwh: int
    heating_share: float  # how much more it draws in the depth of winter
    solar_kwp: float = 0.0  # panels on the roof; 0 for none
    seed: int = 0

    def _rng(self, day: date, what: str) -> random.Random:
        return random.Random(f"{self.seed}/{self.pdl}/{day.isoformat()}/{what}")  # noqa: S311 (demo figures)

    def consumption(self, day: date) -> list[Decimal]:
        rng = self._rng(day, CONSUMPTION)
        winter = math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365.25)
        season = 1 + self.heating_share * winter
        average = self.annual_kwh / (365.25 * 48)
        values = []
        for start in half_hours(day):
            hour = _hour(start)
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
            sun = max(0.0, math.sin(math.pi * (_hour(start) - 6.5) / 14))
            produced = self.solar_kwp * sun * summer * cloud * 0.5  # kW over half an hour
            values.append(_kwh(max(0.0, produced * 0.7 - 0.05)))  # the rest is used at home
        return values

    def rows(self, day: date) -> list[str]:
        """The day's rows of a meter file: every half-hour consumed, and injected with panels."""
        rows = []
        for direction, values in ((CONSUMPTION, self.consumption(day)), (INJECTION, self.injection(day))):
            if not values:
                continue
            for start, value in zip(half_hours(day), values, strict=True):
                rows.append(f"{self.pdl},{start:%Y-%m-%dT%H:%M:%SZ},{value},{direction}")
        return rows


@dataclass(frozen=True)
class MobileUse:
    """A mobile line's (or a box's) use of one allowance, as the operator's network reports it:
    a few sessions a day in waking hours, `per_day` units a day on average."""

    meter_id: str  # M<subscription_id>-<unit>
    per_day: float
    whole: bool = False  # minutes and texts are counted whole, data in GB to the MB

    def rows(self, day: date) -> list[str]:
        rng = random.Random(f"{self.meter_id}/{day.isoformat()}")  # noqa: S311 (demo figures)
        slots = half_hours(day)
        used: dict[int, Decimal] = {}
        for _ in range(rng.randint(3, 8)):
            index = rng.randint(len(slots) // 3, len(slots) - 3)  # from about 8:00 to 22:30
            amount = self.per_day / 5 * rng.uniform(0.3, 1.8)
            value = Decimal(round(amount)) if self.whole else _kwh(amount)
            used[index] = used.get(index, Decimal(0)) + value
        return [
            f"{self.meter_id},{slots[index]:%Y-%m-%dT%H:%M:%SZ},{value},{CONSUMPTION}"
            for index, value in sorted(used.items())
            if value > 0
        ]


def meter_file(meters: Iterable[Home | MobileUse], days: Iterable[date]) -> bytes:
    """One CSV file with every row of `meters` on `days`."""
    chosen = list(days)
    rows = [HEADER]
    for meter in meters:
        for day in chosen:
            rows.extend(meter.rows(day))
    return ("\n".join(rows) + "\n").encode()
