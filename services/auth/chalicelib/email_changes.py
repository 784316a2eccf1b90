"""Email changes (seed 003): a code to the current address, applied by confirmation or after 24 h."""

from __future__ import annotations

from datetime import datetime


def apply_unanswered_changes(now: datetime) -> int:
    return 0
