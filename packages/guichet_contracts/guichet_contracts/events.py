"""The event envelope: how a domain event travels between services on EventBridge.

Source is `guichet.<producer>`, detail-type the event's name, and the detail a versioned
document: `{"event_id", "version", "occurred_at", "correlation_id", "data"}`, where `data` is one
of the models of `guichet_contracts.domain_events` and `correlation_id` the id of the request (or
schedule, or file drop) whose work published it (observability.py), handed on downstream. An
event without `correlation_id` is accepted: it comes from a publisher deployed before the field
(services deploy one stack at a time), and its handler starts a new id; one present must be a
correlation id (1 to 128 of `A-Za-z0-9._:-`). An event is validated when published (it is built from its
model, and its JSON is read back through the model before it leaves) and when received: one
that does not validate raises `InvalidEvent`, which a handler lets through, so that the event
is refused loudly (logged, dead-lettered on AWS, reported by the local runtime) and never read
with defaults. Consumers deduplicate on `event_id` or a business key (delivery is at least once).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from . import observability

if TYPE_CHECKING:
    from .domain_events import DomainEvent

E = TypeVar("E", bound="DomainEvent")

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_client: Any = None


class InvalidEvent(ValueError):
    """An event that does not meet its contract: refused, never retried, never read with defaults."""


@dataclass(frozen=True)
class Received(Generic[E]):
    """A received event: its envelope and its data, validated by its model."""

    event_id: str
    version: int
    occurred_at: str  # ISO 8601 UTC, as written by the producer
    data: E
    correlation_id: str | None = None  # None: from a publisher older than the field

    @property
    def name(self) -> str:
        return self.data.name


def detail(
    event: DomainEvent,
    *,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
    correlation_id: str | None = None,
) -> dict[str, Any]:
    """The EventBridge detail of `event`, checked to read back through its model; its correlation
    id is the one given, else the invocation's, else a new one (published outside any)."""
    payload = event.model_dump_json()
    _validated(type(event), payload)
    moment = occurred_at or datetime.now(UTC)
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "version": event.version,
        "occurred_at": moment.astimezone(UTC).strftime(TIME_FORMAT),
        "correlation_id": correlation_id
        or observability.correlation_id()
        or observability.new_correlation_id(),
        "data": json.loads(payload),
    }


def publish(event: DomainEvent, *, bus_name: str = "default") -> str:
    """Put one event on the bus; its event id. Raises if EventBridge did not take it."""
    return publish_many([event], bus_name=bus_name)[0]


PUT_EVENTS_ENTRIES = 10  # EventBridge's limit for one PutEvents


def publish_many(events: list[DomainEvent], *, bus_name: str = "default") -> list[str]:
    """Put events on the bus ten to a PutEvents request (what a bulk import publishes); their
    event ids. Raises if EventBridge did not take one of them (the others of its request may
    have gone: consumers are idempotent, so publishing them again is safe)."""
    global _client
    if _client is None:
        import boto3

        _client = boto3.client("events")
    ids: list[str] = []
    for start in range(0, len(events), PUT_EVENTS_ENTRIES):
        documents = [(event, detail(event)) for event in events[start : start + PUT_EVENTS_ENTRIES]]
        answer = _client.put_events(
            Entries=[
                {
                    "Source": event.source(),
                    "DetailType": event.name,
                    "Detail": json.dumps(document, separators=(",", ":")),
                    "EventBusName": bus_name,
                }
                for event, document in documents
            ]
        )
        if answer.get("FailedEntryCount"):
            names = ", ".join(event.name for event, _ in documents)
            raise RuntimeError(f"EventBridge refused {names}: {answer['Entries']}")
        ids.extend(str(document["event_id"]) for _, document in documents)
    return ids


def received(event: Any, *models: type[E]) -> Received[E]:
    """The event a handler received (a Chalice CloudWatchEvent), read through the model of its
    detail-type among `models`; InvalidEvent when it is not one of them or does not validate."""
    name = getattr(event, "detail_type", None)
    model = next((candidate for candidate in models if candidate.name == name), None)
    if model is None:
        raise InvalidEvent(f"{name!r} is not one of {', '.join(m.name for m in models)}")
    if getattr(event, "source", None) != model.source():
        raise InvalidEvent(f"{name} must come from {model.source()}, not {getattr(event, 'source', None)!r}")
    document = getattr(event, "detail", None)
    if not isinstance(document, dict):
        raise InvalidEvent(f"{name}: the detail is not a JSON object")
    missing = [key for key in ("event_id", "version", "occurred_at", "data") if key not in document]
    if missing:
        raise InvalidEvent(f"{name}: the envelope lacks {', '.join(missing)}")
    version, data = document["version"], document["data"]
    if isinstance(version, bool) or not isinstance(version, int) or version > model.version:
        raise InvalidEvent(f"{name} version {version!r} is not {model.version}")
    if version < model.version:  # published before its producer had the new version
        older = data if isinstance(data, dict) else None
        data = model.upgraded(version, older) if older is not None else None
        if data is None:
            raise InvalidEvent(f"{name} version {version!r} is not {model.version}, nor one it reads")
    event_id, occurred_at = document["event_id"], document["occurred_at"]
    if not isinstance(event_id, str) or not event_id:
        raise InvalidEvent(f"{name}: event_id must be a non-empty string")
    correlation_id = document.get("correlation_id")
    if "correlation_id" in document and not (
        isinstance(correlation_id, str) and observability.CORRELATION_ID.match(correlation_id)
    ):
        raise InvalidEvent(f"{name}: correlation_id must be 1 to 128 of A-Za-z0-9._:-")
    try:
        datetime.strptime(occurred_at, TIME_FORMAT)
    except (TypeError, ValueError):
        raise InvalidEvent(f"{name}: occurred_at must be a time like 2026-11-22T09:30:00Z") from None
    data = _validated(model, json.dumps(data))
    return Received(
        event_id=event_id,
        version=model.version,
        occurred_at=occurred_at,
        data=data,
        correlation_id=correlation_id,
    )


def _validated(model: type[E], payload: str) -> E:
    from pydantic import ValidationError

    try:
        return model.model_validate_json(payload)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'data'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise InvalidEvent(f"{model.name} v{model.version} does not validate: {problems}") from None


def scheduled_time(event: Any) -> datetime:
    """The "now" of a scheduled job: the time of its CloudWatch event (what `make job AT=` sets)."""
    raw = getattr(event, "time", None)
    try:
        return datetime.strptime(raw or "", TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidEvent(
            f"a scheduled event must carry its time, like 2026-11-22T09:30:00Z, not {raw!r}"
        ) from None
