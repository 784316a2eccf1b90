"""Leases of the scheduled jobs: runs of one job do not overlap.

A run holds its job's lease while it works; a run that finds it held (a second delivery of the
schedule, a `make job` meanwhile) leaves the work to the holder rather than doing it twice. A
lease outlives a dead run by 15 minutes at most, a Lambda's longest run; but a run is held by its
invocation (the scheduled event's id): when the Lambda dies in the job, AWS retries the same event
within minutes, and that retry takes the lease over instead of finding it held and doing nothing
(the month would have stayed unclosed until the next month's run).
"""

from __future__ import annotations

import time
import uuid

from pynamodb.exceptions import DeleteError, PutError

from .models import JobLease

LEASE_SECONDS = 900


def take(job: str, run_id: str | None = None) -> str | None:
    """This run's lease on `job`, or None when another run holds it. `run_id` names the
    invocation (the scheduled event's id): a retry of it takes over the lease it left."""
    holder, wall_clock = run_id or uuid.uuid4().hex, int(time.time())
    free = JobLease.pk.does_not_exist() | (JobLease.expires_at < wall_clock)
    try:
        JobLease(f"JOB#{job}", "LEASE", holder=holder, expires_at=wall_clock + LEASE_SECONDS).save(
            condition=free | (JobLease.holder == holder) if run_id else free
        )
    except PutError:
        return None
    return holder


def release(job: str, holder: str) -> None:
    try:
        JobLease(f"JOB#{job}", "LEASE").delete(condition=JobLease.holder == holder)
    except DeleteError:
        pass  # it expired and another run took it over
