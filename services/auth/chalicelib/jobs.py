"""Scheduled work of the auth service. Each job takes "now" from the event, so it can run for any date."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate
from guichet_contracts import events

jobs = Blueprint(__name__)


@jobs.schedule(Rate(15, unit=Rate.MINUTES), name="apply_pending_email_changes")
def apply_pending_email_changes(event: Any) -> dict[str, int]:
    """Applies the email changes nobody answered within 24 h of the request."""
    from .email_changes import apply_unanswered_changes

    applied = apply_unanswered_changes(now=events.scheduled_time(event))
    return {"applied": applied}
