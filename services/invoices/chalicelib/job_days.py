"""Which days a daily job of the invoices service still has to cover.

Each job takes "now" as a parameter, remembers the last day it covered and reads from the
`due` index the days it has not covered yet, so a late run catches up and a second run does
nothing more; a first run catches up a week.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from pynamodb.exceptions import DoesNotExist, PutError

from .models import Item, JobRun

FIRST_RUN_CATCH_UP_DAYS = 7


def days_to_cover(job: str, last: date) -> list[date]:
    try:
        covered = date.fromisoformat(JobRun.get(f"JOB#{job}", "JOB").covered_until)
    except DoesNotExist:
        covered = last - timedelta(days=FIRST_RUN_CATCH_UP_DAYS)
    return [covered + timedelta(days=offset) for offset in range(1, (last - covered).days + 1)]


def mark_covered(job: str, last: date) -> None:
    try:
        JobRun(f"JOB#{job}", "JOB", covered_until=last.isoformat()).save(
            condition=JobRun.pk.does_not_exist() | (JobRun.covered_until < last.isoformat())
        )
    except PutError:
        pass


def due(kind: str, day: date) -> Iterator[Item]:
    return Item.due.query(f"{kind}#{day.isoformat()}")
