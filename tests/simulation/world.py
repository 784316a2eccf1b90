"""The world a simulated customer lives in: the local runtime under a controlled clock.

The runtime runs in this process (`guichet_local.Runtime` with `Options.clock`), each service in its
own worker process as in `make run`. Customers reach it over HTTP through its gateway; meter files
go through `Runtime.ingest`; time moves with `advance_to`, which fires every job due on the way at
its declared time. What the services stored is read back without asking them:

- `Mirror`: each service's table as plain dicts, kept up to date from the table's DynamoDB stream
  (enabled on the emulator's tables), so that each sync reads only the items written since;
- `Inbox`: the mail sent through the emulator's SES, read once each;
- `EventTap`: a copy of every domain event put on the bus (an SQS queue its own rule feeds), for
  the invariants that compare what was announced with what was stored.
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import requests
from guichet_local.events import ACCOUNT_ID
from guichet_local.runtime import REGION, Delivery, Fired, Options, Runtime
from guichet_local.services import SERVICES

logger = logging.getLogger("simulation")

SOURCES = ["guichet.auth", "guichet.subscriptions", "guichet.invoices", "guichet.consumption"]
# Items the invariants never read, written by the thousand: left out of the mirrors.
UNREAD_SORT_KEYS = ("DAY#", "MONTH#")

Key = tuple[str, str]


class Mirror:
    """One service's table as {pk: {sk: item}}, from the emulator in this process."""

    def __init__(self, service: str, table_name: str) -> None:
        import boto3

        self.service = service
        self.table_name = table_name
        self.partitions: dict[str, dict[str, dict[str, Any]]] = {}
        self._read = 0
        boto3.client("dynamodb").update_table(
            TableName=table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
        )

    def _table(self) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[ACCOUNT_ID][REGION].get_table(self.table_name)

    def sync(self) -> set[Key]:
        """Read the items written since the last sync; their keys."""
        from moto.dynamodb.models.dynamo_type import DynamoType

        table = self._table()
        records = table.stream_shard.items[self._read :]
        self._read += len(records)
        changed: set[Key] = set()
        for record in records:
            keys = record.record["dynamodb"]["Keys"]
            key = (keys["pk"]["S"], keys["sk"]["S"])
            if key[1].startswith(UNREAD_SORT_KEYS):
                continue
            changed.add(key)
        for pk, sk in changed:
            item = table.get_item(DynamoType({"S": pk}), DynamoType({"S": sk}))
            partition = self.partitions.setdefault(pk, {})
            if item is None:
                partition.pop(sk, None)
            else:
                partition[sk] = item.to_regular_json()
        return changed

    def partition(self, pk: str, sk_prefix: str = "") -> Iterator[dict[str, Any]]:
        for sk, item in self.partitions.get(pk, {}).items():
            if sk.startswith(sk_prefix):
                yield item

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        return self.partitions.get(pk, {}).get(sk)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    sent_at: datetime


class Inbox:
    """Every mail the services sent through SES, each read once, oldest first."""

    def __init__(self) -> None:
        self._read = 0

    def new(self) -> list[Mail]:
        from moto.ses.models import ses_backends

        sent = ses_backends[ACCOUNT_ID][REGION].sent_messages
        fresh = sent[self._read :]
        self._read += len(fresh)
        return [_parse_mail(message) for message in fresh]


def _parse_mail(message: Any) -> Mail:
    parsed = email.message_from_string(message.raw_data, policy=email.policy.default)
    body = parsed.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    return Mail(
        to=str(parsed["To"]).lower(),
        subject=str(parsed["Subject"]),
        text=body.get_content() if body is not None else "",
        sent_at=parsedate_to_datetime(str(parsed["Date"])).astimezone(UTC),
    )


@dataclass(frozen=True)
class Observed:
    """A domain event as it was put on the bus."""

    name: str
    event_id: str
    occurred_at: str
    data: dict[str, Any]


class EventTap:
    """A copy of every event the services publish, from a queue of its own."""

    NAME = "guichet-simulation-tap"

    def __init__(self) -> None:
        import boto3

        self._sqs = boto3.client("sqs")
        self.queue_url = self._sqs.create_queue(QueueName=self.NAME)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events = boto3.client("events")
        events.put_rule(Name=self.NAME, EventPattern=json.dumps({"source": SOURCES}), State="ENABLED")
        events.put_targets(Rule=self.NAME, Targets=[{"Id": "tap", "Arn": arn}])

    def new(self) -> list[Observed]:
        """The events put on the bus since the last call, oldest first: taken from the queue in the
        emulator of this process (as the mirrors and the inbox read theirs), which only this reads."""
        from moto.sqs.models import sqs_backends

        queue = sqs_backends[ACCOUNT_ID][REGION].get_queue(self.NAME)
        taken = len(queue._messages)
        if not taken:
            return []
        messages = queue._messages[:taken]
        del queue._messages[:taken]
        found: list[Observed] = []
        for message in messages:
            event = json.loads(message.body)
            detail = event["detail"]
            found.append(
                Observed(event["detail-type"], detail["event_id"], detail["occurred_at"], detail["data"])
            )
        return found


@dataclass
class Changes:
    """What happened since the last sync."""

    items: dict[str, set[Key]] = field(default_factory=dict)  # per service
    mails: list[Mail] = field(default_factory=list)
    events: list[Observed] = field(default_factory=list)


@dataclass
class Counts:
    """Work done, for the report: requests, jobs, events, files."""

    requests: int = 0
    jobs: int = 0
    events_delivered: int = 0
    duplicates: int = 0
    files: int = 0
    by_route: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # wall time, by what on
    route_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))


class World:
    """The runtime under a controlled clock, started at `start`, with its mirrors, inbox and tap."""

    def __init__(self, *, start: datetime, delivery: Delivery, state_dir: Path, **options: Any) -> None:
        # the services log warnings and errors only: a year of INFO lines is written for no reader
        # (`options`: other runtime options, guichet_local.runtime.Options)
        self.runtime = Runtime(
            Options(
                port=0,
                services=list(SERVICES),
                demo=False,
                state_dir=state_dir,
                clock=start,
                **{"log_level": "WARNING", **options},
            )
        )
        self.runtime.delivery = delivery
        self.http = requests.Session()
        self.counts = Counts()
        self.mirrors: dict[str, Mirror] = {}
        self.inbox = Inbox()
        self.tap: EventTap | None = None
        self.fired: list[Fired] = []

    def start(self) -> None:
        started = time.monotonic()
        self.runtime.start()
        for name, worker in self.runtime.workers.items():
            table = next(
                (value for key, value in worker.environment.items() if key.endswith("_TABLE_NAME")), None
            )
            if table and name != "auth":
                self.mirrors[name] = Mirror(name, table)
        self.tap = EventTap()
        logger.info("runtime up in %.1f s at %s", time.monotonic() - started, self.now.isoformat())

    def stop(self) -> None:
        self.http.close()
        self.runtime.stop()

    @property
    def now(self) -> datetime:
        now = self.runtime.clock.now
        assert now is not None, "the runtime is not under a controlled clock"
        return now

    @property
    def url(self) -> str:
        return self.runtime.url

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        route: str | None = None,
    ) -> requests.Response:
        """One request through the gateway, as the portal would send it."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        route = route or f"{method} {path.split('?', 1)[0]}"
        self.counts.requests += 1
        self.counts.by_route[route] += 1
        started = time.perf_counter()
        with self.timed("requests"):
            answer = self.http.request(method, self.url + path, json=body, headers=sent, timeout=60)
        self.counts.route_seconds[route] += time.perf_counter() - started
        return answer

    @contextmanager
    def timed(self, what: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.counts.seconds[what] += time.perf_counter() - started

    def advance_to(
        self, moment: datetime, on_job: Callable[[Fired], None] | None = None, *, fire_rates: bool = False
    ) -> list[Fired]:
        """Move time to `moment`, every job due on the way fired at its time (`on_job` after each);
        the jobs every N minutes only with `fire_rates` (the simulation runs them once a day)."""
        with self.timed("jobs and their events"):
            fired = self.runtime.advance_to(moment, after_job=on_job, fire_rates=fire_rates)
        self.counts.jobs += len(fired)
        self.fired.extend(fired)
        self._count_delivery()
        return fired

    def settle(self, *, final: bool = False) -> None:
        with self.timed("events"):
            self.runtime.settle(final=final)
        self._count_delivery()

    def _count_delivery(self) -> None:
        self.counts.events_delivered = self.runtime.delivered.delivered
        self.counts.duplicates = self.runtime.delivered.duplicates

    def ingest(self, name: str, content: bytes) -> dict[str, Any]:
        """Drop a meter file in the ingest bucket; the consumption service's report on it."""
        self.counts.files += 1
        with self.timed("meter files"):
            status, report = self.runtime.ingest(name, content)
        if status != 200:
            raise RuntimeError(f"meter file {name} was not handled: {report}")
        return report

    def dead_letters(self) -> list[dict[str, Any]]:
        return list(self.runtime.events.dead_letters) if self.runtime.events else []

    def sync(self) -> Changes:
        """What the services wrote, mailed and announced since the last sync."""
        assert self.tap is not None
        with self.timed("reading back"):
            return Changes(
                items={name: mirror.sync() for name, mirror in self.mirrors.items()},
                mails=self.inbox.new(),
                events=self.tap.new(),
            )
