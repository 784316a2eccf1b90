"""Scheduled work of the auth service. Each job takes "now" from the event, so it can run for any date."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate
from guichet_contracts import events, import_files

jobs = Blueprint(__name__)


@jobs.schedule(Rate(15, unit=Rate.MINUTES), name="apply_pending_email_changes")
def apply_pending_email_changes(event: Any) -> dict[str, int]:
    """Applies the email changes nobody answered within 24 h of the request."""
    from .email_changes import apply_unanswered_changes

    applied = apply_unanswered_changes(now=events.scheduled_time(event))
    return {"applied": applied}


@jobs.schedule(Rate(1, unit=Rate.MINUTES), name="apply_customer_imports")
def apply_customer_imports(event: Any) -> dict[str, int]:
    """Applies the customers files operators submitted (customer_import.py), oldest first, for at
    most RUN_SECONDS of the Lambda's 15 minutes; what is left goes on at the next run."""
    import time

    from .customer_import import run_queued

    stop_at = time.monotonic() + RUN_SECONDS
    return {"done": run_queued(now=events.scheduled_time(event), stop=lambda: time.monotonic() >= stop_at)}


RUN_SECONDS = import_files.RUN_SECONDS  # of the 15 minutes a Lambda may run (.chalice/config.json)


@jobs.schedule(Rate(1, unit=Rate.MINUTES), name="retry_webhook_deliveries")
def retry_webhook_deliveries(event: Any) -> dict[str, int]:
    """Attempts again the webhook deliveries due (webhook_deliveries.py), for at most
    WEBHOOK_RUN_SECONDS of the Lambda's minute; what is left goes on at the next run."""
    import time

    from .webhook_deliveries import retry_due

    stop_at = time.monotonic() + WEBHOOK_RUN_SECONDS
    return retry_due(now=events.scheduled_time(event), stop=lambda: time.monotonic() >= stop_at)


# of the 60 seconds the function may run: an attempt waits 10 s at most for its receiver
WEBHOOK_RUN_SECONDS = 40
