"""Scheduled work of the auth service. Each job takes "now" from the event, so it can run for any date."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint, Rate

jobs = Blueprint(__name__)


def _event_time(event: Any) -> datetime:
    raw = getattr(event, "time", None) or ""
    try:
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return datetime.now(UTC)


@jobs.schedule(Rate(15, unit=Rate.MINUTES), name="apply_pending_email_changes")
def apply_pending_email_changes(event: Any) -> dict[str, int]:
    """Applies the email changes nobody answered within 24 h of the request."""
    from .email_changes import apply_unanswered_changes

    applied = apply_unanswered_changes(now=_event_time(event))
    return {"applied": applied}
