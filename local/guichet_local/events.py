"""Domain events, routed locally as EventBridge routes them on AWS.

moto matches EventBridge rules and delivers to SQS, but never invokes a Lambda target. So each
`@app.on_cw_event` handler gets, in moto, an SQS queue and a rule on the default bus with the
handler's own event pattern, targeting that queue; moto decides which handlers an event is for.
One thread per queue receives the events (when the emulator runs in the runtime's process, it
watches the queue there and asks for messages only once one is visible) and has the owning worker
run the handler, deleting a message only when the handler succeeded: delivery is at least once,
as on AWS. A failed event comes back after a short delay, and is dead-lettered after
MAX_ATTEMPTS; an event the handler refuses as off its contract (InvalidEvent) is dead-lettered at
once. Dead letters are logged as errors and listed at `/_local/dead-letters.json` with the
correlation id their envelope carries (what the handlers' log lines in
`<state>/logs/<service>.log` carry too), as a queue on AWS would keep them.

No schedule rule is ever created in moto: a rule with only a ScheduleExpression matches every
event there (moto's rule matching ignores the schedule); schedules are fired by `schedules.Scheduler`.

Under a controlled clock (`clock.py`) the polling threads are not started: a harness calls
`drain`, which delivers every pending event, and those the handlers publish in turn, until none
is left, at once (no long-poll wait). It can deliver a chosen share of events a second time, shuffle
the order in which pending events are handed over, and keep a share back for a later drain: the
at-least-once, any-order delivery EventBridge gives and every handler must survive. Failures are
retried and dead-lettered as above, only without waiting.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .service_process import Refused

logger = logging.getLogger("guichet_local.events")

MAX_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 2
VISIBILITY_TIMEOUT_SECONDS = 330  # longer than a worker call may take
ACCOUNT_ID = "123456789012"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")

Invoke = Callable[[str, str, dict[str, Any]], tuple[bool, Any]]


@dataclass(frozen=True)
class Subscription:
    service: str
    handler: str
    pattern: dict[str, Any]
    queue_url: str


@dataclass
class DrainReport:
    """What one `EventRouter.drain` did."""

    delivered: int = 0  # handler runs that succeeded, second deliveries included
    duplicates: int = 0  # second deliveries of an event its handler had already handled
    held: int = 0  # events kept back for a later drain
    rounds: int = 0
    by_event: Counter[str] = field(default_factory=Counter)  # first deliveries per detail-type

    def add(self, other: DrainReport) -> None:
        self.delivered += other.delivered
        self.duplicates += other.duplicates
        self.held += other.held
        self.rounds += other.rounds
        self.by_event.update(other.by_event)


class StillPending(RuntimeError):
    """Events kept coming after many rounds: handlers publishing events for ever."""


def resource_name(service: str, handler: str) -> str:
    """A name valid for both an SQS queue (80) and an EventBridge rule (64)."""
    return _UNSAFE.sub("-", f"guichet-local-{service}-{handler}")[:64]


POLLERS_AT_MOST = 64
POLL_SECONDS = 1  # how long a poller waits for a message before it looks again


class QueueWatch(Protocol):
    """The router's queues seen from the emulator's own process, without a request."""

    def length(self, queue_url: str) -> int:
        """Messages in the queue, in flight included."""

    def wait_for_visible(self, queue_url: str, timeout: float, stopped: Callable[[], bool]) -> bool | None:
        """Whether a message is visible within timeout (False as soon as stopped() says so);
        None when the queue cannot be watched."""

    def wake(self, queue_url: str) -> None:
        """Have a wait_for_visible on the queue look at stopped() again now."""


class EventRouter:
    def __init__(
        self,
        invoke: Invoke,
        *,
        events_client: Any = None,
        sqs_client: Any = None,
        queues: QueueWatch | None = None,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        import boto3
        from botocore.config import Config

        self._invoke = invoke
        self.max_attempts = max_attempts  # deliveries of a failing event before it is dead-lettered
        # the queues read without a request when the emulator runs in this process: drain skips
        # the empty ones at no cost, and a poller asks for messages only once one is there (a
        # long poll over HTTP of each queue each second kept an idle runtime busy)
        self._queues = queues
        self._events = events_client or boto3.client("events")
        # one poller a handler, each with a connection of its own (botocore keeps 10 by default,
        # and closes what is over: a new connection for nearly every poll)
        self._sqs = sqs_client or boto3.client("sqs", config=Config(max_pool_connections=POLLERS_AT_MOST))
        self.subscriptions: list[Subscription] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._busy_lock = threading.Lock()
        self.dead_letters: list[dict[str, Any]] = []
        self._held_once: set[tuple[str, str]] = set()  # (queue, event id) a drain kept back, once each
        self._attempts: dict[tuple[str, str], int] = {}  # failed deliveries by drain, per (queue, event id)

    def subscribe(self, service: str, handler: str, pattern: dict[str, Any]) -> Subscription:
        name = resource_name(service, handler)
        queue_url = self._sqs.create_queue(
            QueueName=name, Attributes={"VisibilityTimeout": str(VISIBILITY_TIMEOUT_SECONDS)}
        )["QueueUrl"]
        queue_arn = self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._events.put_rule(Name=name, EventPattern=json.dumps(pattern), State="ENABLED")
        self._events.put_targets(Rule=name, Targets=[{"Id": "local-worker", "Arn": queue_arn}])
        subscription = Subscription(service, handler, pattern, queue_url)
        self.subscriptions.append(subscription)
        return subscription

    def start(self) -> None:
        for subscription in self.subscriptions:
            thread = threading.Thread(
                target=self._poll,
                args=(subscription,),
                name=f"events-{subscription.service}-{subscription.handler}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        if self._queues is not None:
            for subscription in self.subscriptions:
                self._queues.wake(subscription.queue_url)
        deadline = time.monotonic() + 5  # for all of them: they stop side by side
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _poll(self, subscription: Subscription) -> None:
        while not self._stop.is_set():
            wait = POLL_SECONDS
            if self._queues is not None:
                url = subscription.queue_url
                visible = self._queues.wait_for_visible(url, POLL_SECONDS, self._stop.is_set)
                if visible is False:
                    continue
                if visible:
                    wait = 0
            try:
                answer = self._sqs.receive_message(
                    QueueUrl=subscription.queue_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=wait,
                    MessageSystemAttributeNames=["ApproximateReceiveCount"],
                )
            except Exception:
                if self._stop.is_set():
                    return
                logger.exception(
                    "receiving the events of %s.%s failed", subscription.service, subscription.handler
                )
                self._stop.wait(1)
                continue
            for message in answer.get("Messages", []):
                if self._stop.is_set():
                    return
                with self._busy_lock:
                    self._busy += 1
                try:
                    self._deliver(subscription, message)
                finally:
                    with self._busy_lock:
                        self._busy -= 1

    def _deliver(self, subscription: Subscription, message: dict[str, Any], *, requeue: bool = False) -> bool:
        """Run the handler on one received message; True when it succeeded. A failure comes back
        later (or, with `requeue`, at once as a new message: under a frozen clock a message made
        visible again "now" never is), or is dead-lettered."""
        event = _event(message)
        ok, result = self._run(subscription, event)
        receipt = message["ReceiptHandle"]
        if ok:
            self._sqs.delete_message(QueueUrl=subscription.queue_url, ReceiptHandle=receipt)
            return True
        if requeue:
            key = (subscription.queue_url, str(event.get("id")))
            self._attempts[key] = attempts = self._attempts.get(key, 0) + 1
        else:
            attempts = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        if isinstance(result, Refused) or attempts >= self.max_attempts:
            self._dead_letter(subscription, event, result, attempts)
            self._sqs.delete_message(QueueUrl=subscription.queue_url, ReceiptHandle=receipt)
            return False
        logger.warning(
            "%s.%s failed on event %s (attempt %d), will retry: %s",
            subscription.service,
            subscription.handler,
            event.get("id"),
            attempts,
            result,
        )
        if requeue:
            self._requeue(subscription, message)
        else:
            self._sqs.change_message_visibility(
                QueueUrl=subscription.queue_url,
                ReceiptHandle=receipt,
                VisibilityTimeout=RETRY_DELAY_SECONDS * attempts,
            )
        return False

    def _requeue(self, subscription: Subscription, message: dict[str, Any]) -> None:
        """Put a received message back as a new one, visible at once, whatever the clock says."""
        self._sqs.send_message(QueueUrl=subscription.queue_url, MessageBody=message["Body"])
        self._sqs.delete_message(QueueUrl=subscription.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def _run(self, subscription: Subscription, event: dict[str, Any]) -> tuple[bool, Any]:
        try:
            ok, result = self._invoke(subscription.service, subscription.handler, event)
        except Exception as error:
            ok, result = False, f"{type(error).__name__}: {error}"
        if ok:
            logger.info("%s.%s handled event %s", subscription.service, subscription.handler, event.get("id"))
        return ok, result

    def _dead_letter(
        self, subscription: Subscription, event: dict[str, Any], result: Any, attempts: int
    ) -> None:
        name = f"{subscription.service}.{subscription.handler}"
        why = "refused it as off its contract" if isinstance(result, Refused) else f"failed {attempts} times"
        detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
        logger.error(
            "%s %s, event %s (correlation id %s) dead-lettered: %s",
            name,
            why,
            event.get("id"),
            detail.get("correlation_id"),
            result,
        )
        self.dead_letters.append(
            {
                "handler": name,
                "source": event.get("source"),
                "detail_type": event.get("detail-type"),
                "event_id": detail.get("event_id"),
                "correlation_id": detail.get("correlation_id"),
                "refused": isinstance(result, Refused),
                "attempts": attempts,
                "error": str(result),
                "detail": event.get("detail"),
            }
        )

    def drain(
        self,
        *,
        duplicate_share: float = 0.0,
        hold_share: float = 0.0,
        shuffle: bool = False,
        rng: random.Random | None = None,
        max_rounds: int = 200,
    ) -> DrainReport:
        """Deliver every pending event now, and the events their handlers publish, until none is
        left (the polling threads must not run: see the module's docstring).

        `duplicate_share` of the events handled are delivered a second time, later in the same
        round; `shuffle` hands each round's events over in a random order; `hold_share` of the
        events are kept back (each at most once) until a later drain. `rng` makes it reproducible.
        """
        rng = rng or random.Random(0)  # noqa: S311 (test delivery order, not security)
        report = DrainReport()
        held: list[tuple[Subscription, dict[str, Any]]] = []
        try:
            for _ in range(max_rounds):
                deliverable = []
                for subscription, message in self._receive_pending():
                    key = (subscription.queue_url, str(_event(message).get("id")))
                    if hold_share and key not in self._held_once and rng.random() < hold_share:
                        self._held_once.add(key)
                        held.append((subscription, message))
                    else:
                        deliverable.append((subscription, message))
                if not deliverable:
                    return report
                report.rounds += 1
                if shuffle:
                    rng.shuffle(deliverable)
                again = []
                for subscription, message in deliverable:
                    if self._deliver(subscription, message, requeue=True):
                        report.delivered += 1
                        report.by_event[_event(message).get("detail-type", "?")] += 1
                        if duplicate_share and rng.random() < duplicate_share:
                            again.append((subscription, _event(message)))
                if shuffle:
                    rng.shuffle(again)
                for subscription, event in again:
                    if self._redeliver(subscription, event):
                        report.delivered += 1
                        report.duplicates += 1
            raise StillPending(f"events still pending after {max_rounds} rounds of delivery")
        finally:
            report.held = len(held)
            for subscription, message in held:  # back in their queues, for the next drain
                self._requeue(subscription, message)

    def _receive_pending(self) -> list[tuple[Subscription, dict[str, Any]]]:
        """Every message waiting in a handler's queue, received (so invisible until acted on)."""
        batch: list[tuple[Subscription, dict[str, Any]]] = []
        for subscription in self.subscriptions:
            if self._queues is not None and not self._queues.length(subscription.queue_url):
                continue
            while True:
                messages = self._sqs.receive_message(
                    QueueUrl=subscription.queue_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=0,
                    MessageSystemAttributeNames=["ApproximateReceiveCount"],
                ).get("Messages", [])
                if not messages:
                    break
                batch.extend((subscription, message) for message in messages)
        return batch

    def _redeliver(self, subscription: Subscription, event: dict[str, Any]) -> bool:
        """Deliver an event its handler already handled once more, as EventBridge may."""
        for attempt in range(1, self.max_attempts + 1):
            ok, result = self._run(subscription, event)
            if ok:
                return True
            if isinstance(result, Refused) or attempt == self.max_attempts:
                self._dead_letter(subscription, event, result, attempt)
                return False
        return False

    def pending(self) -> int:
        """Events routed to a handler and not yet handled (or given up on)."""
        total = 0
        for subscription in self.subscriptions:
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=subscription.queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            total += int(attributes["ApproximateNumberOfMessages"])
            total += int(attributes["ApproximateNumberOfMessagesNotVisible"])
        with self._busy_lock:
            return total + self._busy

    def wait_until_idle(self, timeout: float) -> bool:
        """Wait until every routed event is handled, including those its handlers emitted."""
        deadline = time.monotonic() + timeout
        quiet_checks = 0
        while time.monotonic() < deadline:
            quiet_checks = quiet_checks + 1 if self.pending() == 0 else 0
            if quiet_checks >= 2:
                return True
            time.sleep(0.1)
        return False


def _event(message: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(message["Body"])
    # moto's copy of the event has no "account", which Chalice's CloudWatchEvent requires.
    event.setdefault("account", ACCOUNT_ID)
    event.setdefault("resources", [])
    return event
