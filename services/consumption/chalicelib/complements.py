"""Late readings billed as complements.

Readings can arrive, or be corrected, after their month was closed. Each file that touches an
earlier month marks it for every electricity meter of those days (a LateReadings item, whose
revision each file bumps). The meter's next monthly close takes each marked month it has
closed, adds up that month's own days as they read now, and bills the difference with what was
billed for them — day by day, at that month's tariff, negative for a downward correction — as a
complement of its ConsumptionPeriodClosed. What was billed for each day is kept on the month's
close (`billed_days`) and moves to what is billed now in the same write that saves the close
carrying the complement, which also removes the marks it read (on the condition that no file
bumped them meanwhile): each difference is billed once, however often files are fed.

French energy law: no consumption older than 14 months before the point's last reading may be
billed. Days before that limit keep what was billed for them: their late readings are shown in
the history and never billed. A month the service never closed (before it ran) is not billed
either.

What a complement does to a virtual battery or a surplus kitty: late readings are settled at the
close that finds them, with that close's battery and kitty (chalicelib/closing.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pynamodb.exceptions import DoesNotExist

from . import tariffs
from .models import LateReadings, Meter, MonthClosed, meter_pk
from .readings import Figures, by_day, decimal_text, month_days, own_days

ZERO = Figures(Decimal(0), Decimal(0), Decimal(0), Decimal(0), 0, 0)


def encode_days(month: str, days: dict[date, Figures]) -> str:
    """What was billed for each day of the month: `consumed:peak:off_peak:injected`, one per day
    of the month, empty for a day with nothing billed."""
    entries = []
    for number in range(1, month_days(month) + 1):
        figures = days.get(date.fromisoformat(f"{month}-{number:02d}"))
        entries.append(
            ""
            if figures is None
            else ":".join(
                decimal_text(value)
                for value in (figures.consumed, figures.peak, figures.off_peak, figures.injected)
            )
        )
    return ",".join(entries)


def decode_days(month: str, text: str) -> dict[date, Figures]:
    found = {}
    for number, entry in enumerate(text.split(","), start=1):
        if entry:
            consumed, peak, off_peak, injected = (Decimal(part) for part in entry.split(":"))
            found[date.fromisoformat(f"{month}-{number:02d}")] = Figures(
                consumed, peak, off_peak, injected, 0, 1
            )
    return found


@dataclass
class Late:
    """A month marked by late readings, as the close of a later month (or of itself) finds it."""

    month: str
    mark_revision: int  # the mark is removed only if no file bumped it since
    closed: MonthClosed | None  # its own close; None: this month is the one closing, or never closed
    tariff: tariffs.Tariff | None = None
    difference: Figures = ZERO  # what its days add up to now, minus what was billed for them
    billed_days: str | None = None  # what is billed for its days once this difference is

    @property
    def revision(self) -> int:
        return int(self.closed.revision) if self.closed else 0


def found(meter: Meter, closing: str, billable_from: Callable[[], date | None]) -> list[Late]:
    """The months marked for the meter up to `closing` (the month being closed, whose mark its
    own close covers), each with its difference to bill: one Query of the marks, and for each
    earlier month its close and one Query of its day buckets. `billable_from` gives the first
    day that may still be billed (asked once, when a month has something to complement)."""
    limit: list[date | None] = []
    marks = LateReadings.query(
        meter_pk(meter.meter_id),
        LateReadings.sk.between("LATE#", f"LATE#{closing}"),
        consistent_read=True,
    )
    months = []
    for mark in marks:
        late = Late(month=mark.month, mark_revision=int(mark.revision), closed=None)
        if mark.month < closing:
            try:
                late.closed = MonthClosed.get(
                    meter_pk(meter.meter_id), f"CLOSED#{mark.month}", consistent_read=True
                )
            except DoesNotExist:
                pass  # never closed here: nothing was billed to complement
        if late.closed is not None and late.closed.billed_days is not None:
            if not limit:
                limit.append(billable_from())
            _measure(meter, late, limit[0])
        months.append(late)
    return months


def _measure(meter: Meter, late: Late, billable_from: date | None) -> None:
    assert late.closed is not None and late.closed.billed_days is not None
    first, last = own_days(meter, late.month)
    late.tariff = tariffs.in_force(meter, first)
    billed = decode_days(late.month, late.closed.billed_days)
    if billable_from is not None:
        first = max(first, billable_from)  # older days stay as billed
    now = by_day(meter, first, last)
    difference = ZERO
    for day in sorted(set(now) | {day for day in billed if first <= day <= last}):
        difference = difference + _minus(now.get(day, ZERO), billed.get(day, ZERO))
        if day in now:
            billed[day] = now[day]
        else:
            billed.pop(day, None)
    late.difference = difference
    late.billed_days = encode_days(late.month, billed)


def _minus(a: Figures, b: Figures) -> Figures:
    return Figures(
        a.consumed - b.consumed, a.peak - b.peak, a.off_peak - b.off_peak, a.injected - b.injected, 0, 0
    )
