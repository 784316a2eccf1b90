"""Meter readings sent over the API by the provider's systems: a batch of JSON items, taken as a
meter file's rows are.

An item is `{meter_id, start, value[, direction]}`, the columns of a file's row
(chalicelib/readings.py): each is checked by the same function (`readings.take`) and the good
ones stored by the same function (`readings.store`) as a dropped file's, so the day buckets,
monthly totals and late-readings marks for the closes are the same. The answer says, item by
item, `accepted`, `duplicate` (its half-hour held that value already, or an earlier item of the
batch gave it) or `rejected` with its fields' problems in the API's words; a bad item never stops
the good ones.

Idempotent as files are: a reading sets its half-hour, and a batch whose every item was taken is
recorded by its SHA-256 (over its items as canonical JSON), so the same batch again is answered
from that record (every item a duplicate) without a write. A batch with rejected items is not
recorded: once mended or once its meter exists, it can be sent again.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import observability
from guichet_contracts.words import Phrase

from . import readings
from .readings import DayReadings, Points, Problem, Seen, Slot

logger = Logger(child=True)

MAX_BODY_BYTES = 1_000_000  # ~7 times what schemas.MAX_READINGS items take
FIELDS = ("meter_id", "start", "value", "direction")


def receive(items: list[Any], *, operator: str, now: datetime) -> dict[str, Any]:
    """Take a batch of readings; the answer item by item (`fields` as Phrases)."""
    canonical = json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    if readings.already_counted(f"BATCH#{digest}") is not None:
        logger.info("operator sent meter readings again", extra={"operator": operator, "batch": digest})
        return _answer(digest, "already_received", [(index, "duplicate", {}) for index in range(len(items))])
    points: Points = {}
    grouped: dict[tuple[str, date], DayReadings] = defaultdict(DayReadings)
    seen: Seen = {}
    taken: dict[int, Slot] = {}
    outcomes: list[tuple[int, str, dict[str, Phrase]]] = []
    first_of: dict[Slot, int] = {}
    for index, item in enumerate(items):
        fields = _fields(item)
        if isinstance(fields, dict):
            outcomes.append((index, "rejected", fields))
            continue
        slot = readings.take(
            fields,
            index,
            grouped,
            seen,
            points,
            now,
            conflict=lambda earlier: Phrase("field.reading_conflict_item", index=earlier),
        )
        if isinstance(slot, Problem):
            outcomes.append((index, "rejected", {slot.field: slot.phrase}))
            continue
        taken[index] = slot
        first_of.setdefault(slot, index)
        outcomes.append((index, "accepted", {}))
    held = readings.store(grouped, points)
    for position, (index, status, _) in enumerate(outcomes):
        if status != "accepted":
            continue
        point_id, day, direction, half_hour = slot = taken[index]
        if first_of[slot] != index or (direction, half_hour) in held[(point_id, day)]:
            outcomes[position] = (index, "duplicate", {})
    answer = _answer(digest, "received", outcomes)
    answer["beyond_billing_limit"] = [
        {
            "meter_id": found["meter_id"],
            "last_reading": found["last_reading"],
            "billable_from": found["billable_from"],
            "items": found["rows"],
            "indexes": found["lines"],
        }
        for found in readings.beyond_billing_limit(grouped)
    ]
    logger.info(
        "operator sent meter readings",
        extra={
            "operator": operator,
            "batch": digest,
            **{name: answer[name] for name in ("received", "accepted", "duplicate", "rejected")},
        },
    )
    if answer["rejected"]:
        observability.count("MeterRowsRejected", answer["rejected"])
    else:
        readings.count_done(
            f"BATCH#{digest}",
            key=f"operator:{operator}",
            rows=len(items),
            accepted=len(items),
            now=now,
        )
    return answer


def _fields(item: Any) -> tuple[str, str, str, str] | dict[str, Phrase]:
    """The item's four texts as a file's row has them, or its problems of form."""
    if not isinstance(item, dict):
        return {"item": Phrase("field.object")}
    problems: dict[str, Phrase] = {
        str(name)[:64]: Phrase("field.extra_forbidden") for name in list(item)[:10] if name not in FIELDS
    }
    texts = []
    for name in FIELDS:
        value = item.get(name)
        if value is None:
            if name != "direction":
                problems[name] = Phrase("field.missing")
            texts.append("")
        elif name == "value" and isinstance(value, int | float) and not isinstance(value, bool):
            texts.append(repr(value))  # the number as JSON wrote it (repr is its shortest form)
        elif isinstance(value, str):
            texts.append(value)
        else:
            problems[name] = Phrase("field.number" if name == "value" else "field.text")
            texts.append("")
    if problems:
        return problems
    return texts[0], texts[1], texts[2], texts[3]


def _answer(digest: str, status: str, outcomes: list[tuple[int, str, dict[str, Phrase]]]) -> dict[str, Any]:
    counts = {name: 0 for name in ("accepted", "duplicate", "rejected")}
    items = []
    for index, outcome, fields in outcomes:
        counts[outcome] += 1
        items.append({"index": index, "status": outcome, **({"fields": fields} if fields else {})})
    return {
        "batch": digest,
        "status": status,
        "received": len(outcomes),
        **counts,
        "items": items,
        "beyond_billing_limit": [],
    }
