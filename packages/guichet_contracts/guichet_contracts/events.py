"""The event envelope: how a domain event travels between services on EventBridge.

Source is `guichet.<service>`, detail-type the event name, and the detail a versioned
document: `{"event_id", "version", "occurred_at", "data"}`. Consumers deduplicate on
`event_id` (delivery is at least once) and refuse versions they do not know.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_client: Any = None


@dataclass(frozen=True)
class Envelope:
    source: str
    name: str
    data: dict[str, Any]
    version: int = 1
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    def detail(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "version": self.version,
            "occurred_at": self.occurred_at,
            "data": self.data,
        }


class UnknownEventVersion(ValueError):
    pass


def publish(envelope: Envelope, *, bus_name: str = "default") -> None:
    """Put one event on the bus; raise if EventBridge did not take it."""
    global _client
    if _client is None:
        import boto3

        _client = boto3.client("events")
    answer = _client.put_events(
        Entries=[
            {
                "Source": envelope.source,
                "DetailType": envelope.name,
                "Detail": json.dumps(envelope.detail(), separators=(",", ":")),
                "EventBusName": bus_name,
            }
        ]
    )
    if answer.get("FailedEntryCount"):
        raise RuntimeError(f"EventBridge refused {envelope.name}: {answer['Entries']}")


def received(event: Any, known_versions: tuple[int, ...] = (1,)) -> Envelope:
    """The envelope of an event a handler received (a Chalice CloudWatchEvent)."""
    detail: dict[str, Any] = event.detail
    version = detail.get("version")
    if version not in known_versions:
        raise UnknownEventVersion(f"{event.detail_type} version {version!r} is not one of {known_versions}")
    return Envelope(
        source=event.source,
        name=event.detail_type,
        data=dict(detail.get("data") or {}),
        version=version,
        event_id=str(detail["event_id"]),
        occurred_at=str(detail.get("occurred_at", "")),
    )


def scheduled_time(event: Any) -> datetime:
    """The "now" of a scheduled job: the time of its CloudWatch event (what `make job AT=` sets)."""
    raw = getattr(event, "time", None) or ""
    try:
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return datetime.now(UTC)
