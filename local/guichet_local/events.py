"""Domain events, routed locally as EventBridge routes them on AWS.

moto matches EventBridge rules and delivers to SQS, but never invokes a Lambda target. So each
`@app.on_cw_event` handler gets, in moto, an SQS queue and a rule on the default bus with the
handler's own event pattern, targeting that queue; moto decides which handlers an event is for.
One thread per queue receives the events and has the owning worker run the handler, deleting a
message only when the handler succeeded: delivery is at least once, as on AWS. A failed event
comes back after a short delay, and is dead-lettered after MAX_ATTEMPTS; an event the handler
refuses as off its contract (InvalidEvent) is dead-lettered at once. Dead letters are logged as
errors and listed at `/_local/dead-letters.json`, as a queue on AWS would keep them.

No schedule rule is ever created in moto: a rule with only a ScheduleExpression matches every
event there (see FACTS.md); schedules are fired by `schedules.Scheduler`.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


def resource_name(service: str, handler: str) -> str:
    """A name valid for both an SQS queue (80) and an EventBridge rule (64)."""
    return _UNSAFE.sub("-", f"guichet-local-{service}-{handler}")[:64]


class EventRouter:
    def __init__(self, invoke: Invoke, *, events_client: Any = None, sqs_client: Any = None) -> None:
        import boto3

        self._invoke = invoke
        self._events = events_client or boto3.client("events")
        self._sqs = sqs_client or boto3.client("sqs")
        self.subscriptions: list[Subscription] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._busy_lock = threading.Lock()
        self.dead_letters: list[dict[str, Any]] = []

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
        for thread in self._threads:
            thread.join(timeout=5)

    def _poll(self, subscription: Subscription) -> None:
        while not self._stop.is_set():
            try:
                answer = self._sqs.receive_message(
                    QueueUrl=subscription.queue_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=1,
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

    def _deliver(self, subscription: Subscription, message: dict[str, Any]) -> None:
        event = json.loads(message["Body"])
        # moto's copy of the event has no "account", which Chalice's CloudWatchEvent requires.
        event.setdefault("account", ACCOUNT_ID)
        event.setdefault("resources", [])
        name = f"{subscription.service}.{subscription.handler}"
        try:
            ok, result = self._invoke(subscription.service, subscription.handler, event)
        except Exception as error:
            ok, result = False, f"{type(error).__name__}: {error}"
        receipt = message["ReceiptHandle"]
        if ok:
            self._sqs.delete_message(QueueUrl=subscription.queue_url, ReceiptHandle=receipt)
            logger.info("%s handled event %s", name, event.get("id"))
            return
        attempts = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        if isinstance(result, Refused) or attempts >= MAX_ATTEMPTS:
            why = (
                "refused it as off its contract"
                if isinstance(result, Refused)
                else f"failed {attempts} times"
            )
            logger.error("%s %s, event %s dead-lettered: %s", name, why, event.get("id"), result)
            self.dead_letters.append(
                {
                    "handler": name,
                    "source": event.get("source"),
                    "detail_type": event.get("detail-type"),
                    "event_id": (event.get("detail") or {}).get("event_id"),
                    "refused": isinstance(result, Refused),
                    "attempts": attempts,
                    "error": str(result),
                    "detail": event.get("detail"),
                }
            )
            self._sqs.delete_message(QueueUrl=subscription.queue_url, ReceiptHandle=receipt)
            return
        logger.warning(
            "%s failed on event %s (attempt %d), will retry: %s", name, event.get("id"), attempts, result
        )
        self._sqs.change_message_visibility(
            QueueUrl=subscription.queue_url,
            ReceiptHandle=receipt,
            VisibilityTimeout=RETRY_DELAY_SECONDS * attempts,
        )

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
