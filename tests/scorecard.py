"""A test tier's line of the reliability scorecard (docs/RELIABILITY.md, written by `make report`),
in the format bench/report.py reads (and checks): `write_result` writes one where it is told,
`write_tier` under $GUICHET_REPORT_DIR/tiers/ when the make target sets that variable (and does
nothing otherwise)."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any


def write_tier(
    tier: str, *, name: str, tried: str, count: int, held: int, command: str, details: list[str]
) -> Path | None:
    """Write tiers/<tier>.json: `count` tried, `held` of them held; the path, or None when no
    report directory is set."""
    directory = os.environ.get("GUICHET_REPORT_DIR")
    if not directory:
        return None
    path = Path(directory) / "tiers" / f"{tier}.json"
    result = {
        "name": name,
        "tried": tried,
        "count": count,
        "held": held,
        "command": command,
        "measured_on": date.today().isoformat(),  # when the figures were measured, not a test input
        "details": details,
    }
    write_result(path, result)
    return path


def write_result(path: Path, result: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
