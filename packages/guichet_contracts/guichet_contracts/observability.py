"""What every Lambda of every service tells operators: whose work a log line is, and how business goes.

Correlation: a request's correlation id (web.py: the caller's `X-Correlation-Id`, else API
Gateway's request id) travels in the envelope of every event published while it is served
(`events.publish`), and the handler of such an event serves under the same id, and so on
downstream, across services: one id follows one request through every function it caused. A
schedule, an S3 drop or an event from an older publisher without the field starts a new id (logged).

`install(app, logger)` wires it on every non-HTTP handler of a Chalice app (events, schedules,
S3, SNS, SQS), as `web.install` does on routes: the Lambda context (function name, request id,
memory, cold start) and the correlation id are bound to the Powertools Logger for the
invocation, an event refused as off its contract is counted, and the metrics are flushed. Keys
are bound per thread (Powertools' thread-safe keys), because the local runtime serves several
invocations of one app at once.

Metrics: the business signals below, counted where they happen (`count`) and written at the end
of each invocation as CloudWatch Embedded Metric Format (Powertools Metrics) in namespace
`Guichet`, dimensions `service` and `stage`. The shared stack alarms on those that need an
operator (`Signal.alarm`); README "Operating Guichet" says what to do for each.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger
    from chalice import Chalice

NAMESPACE = "Guichet"
CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# the handlers Lambda invokes for something other than an HTTP request (Chalice middleware types)
EVENT_KINDS = ("cloudwatch", "scheduled", "s3", "sns", "sqs")


@dataclass(frozen=True)
class Alarm:
    """When a signal needs an operator: at least `threshold` in `period_seconds`."""

    threshold: int
    period_seconds: int = 300


@dataclass(frozen=True)
class Signal:
    name: str
    emitted_by: tuple[str, ...]  # the services that count it: one alarm each, if any
    meaning: str
    alarm: Alarm | None = None


SIGNALS = (
    Signal("OrdersPlaced", ("subscriptions",), "An order (purchase or renewal) was placed."),
    Signal("InvoicesIssued", ("invoices",), "An invoice or credit document was numbered and stored."),
    Signal("PaymentsSucceeded", ("invoices",), "A payment was received."),
    Signal(
        "PaymentsFailed",
        ("invoices",),
        "A card payment or a direct debit was declined, or a cheque or TIP never arrived.",
        Alarm(threshold=10, period_seconds=3600),
    ),
    Signal(
        "RefundsDue",
        ("invoices",),
        "A refund an operator must make by hand: no bank account on file, or the provider declined it.",
        Alarm(threshold=1),
    ),
    Signal(
        "MailsNotSent",
        ("auth", "subscriptions", "invoices"),
        "SES did not take an email.",
        Alarm(threshold=1),
    ),
    Signal(
        "MeterRowsRejected",
        ("consumption",),
        "Rows of a dropped meter file were rejected (the file's report names them).",
        Alarm(threshold=1),
    ),
    Signal(
        "WebhookDeliveriesFailed",
        ("auth",),
        "A webhook delivery was given up: its endpoint did not take the event for 72 hours (or was"
        " deleted, or its address turned private); the provider's systems missed it (replay it).",
        Alarm(threshold=1),
    ),
    Signal(
        "EventsRefused",
        ("auth", "subscriptions", "invoices", "consumption"),
        "A handler refused an event (or a schedule) off its contract: it ends in the dead-letter queue.",
        Alarm(threshold=1),
    ),
)
_BY_NAME = {signal.name: signal for signal in SIGNALS}

_correlation: ContextVar[str | None] = ContextVar("guichet_correlation_id", default=None)
_lock = threading.Lock()
_metrics: Any = None
_service = os.environ.get("POWERTOOLS_SERVICE_NAME", "")
_stage = os.environ.get("GUICHET_STAGE", "local")
_cold = True


def correlation_id() -> str | None:
    """The correlation id of the invocation being served (None outside one)."""
    return _correlation.get()


def new_correlation_id() -> str:
    return str(uuid.uuid4())


def bind(logger: Logger, correlation: str, lambda_context: Any = None) -> None:
    """Serve the current invocation under `correlation`: the id events published carry, and the
    keys of every log line (with the Lambda context's, when there is one)."""
    global _cold
    _correlation.set(correlation)
    keys: dict[str, Any] = {"correlation_id": correlation}
    if lambda_context is not None:
        with _lock:
            cold, _cold = _cold, False
        keys.update(
            cold_start=cold,
            function_name=getattr(lambda_context, "function_name", None),
            function_memory_size=getattr(lambda_context, "memory_limit_in_mb", None),
            function_arn=getattr(lambda_context, "invoked_function_arn", None) or None,
            function_request_id=getattr(lambda_context, "aws_request_id", None),
        )
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(**keys)


def install(app: Chalice, logger: Logger) -> None:
    """Every non-HTTP handler of `app`: Lambda context and correlation id in its logs, its
    refusals counted, its metrics flushed (see the module)."""
    global _service
    _service = logger.service

    def observe_event(event: Any, get_response: Any) -> Any:
        raw = event.to_dict() if hasattr(event, "to_dict") else {}
        correlation, inherited = _correlation_of(raw)
        bind(logger, correlation, getattr(event, "context", None))
        detail = raw["detail"] if isinstance(raw.get("detail"), dict) else {}
        logger.info(
            "event received" if inherited else "event received, new correlation id",
            extra={
                "source": raw.get("source"),
                "detail_type": raw.get("detail-type"),
                "event_id": detail.get("event_id") or raw.get("id"),
            },
        )
        from .events import InvalidEvent

        try:
            return get_response(event)
        except InvalidEvent as refused:
            count("EventsRefused")
            logger.error("event refused as off its contract", extra={"error": str(refused)})
            raise
        except Exception:
            logger.exception("event handler failed")
            raise
        finally:
            flush()

    for kind in EVENT_KINDS:
        app.register_middleware(observe_event, kind)


def _correlation_of(event: dict[str, Any]) -> tuple[str, bool]:
    """The correlation id a Guichet event carries (and True), else a new one (and False): a
    schedule, an S3 drop, an event from a publisher older than the field, or one off its contract
    (which `events.received` refuses anyway)."""
    detail = event.get("detail")
    given = detail.get("correlation_id") if isinstance(detail, dict) else None
    guichet = str(event.get("source", "")).startswith("guichet.")
    if guichet and isinstance(given, str) and CORRELATION_ID.match(given):
        return given, True
    return new_correlation_id(), False


def count(signal: str, value: int = 1) -> None:
    """Count a business signal (one of SIGNALS); written at the end of the invocation."""
    if signal not in _BY_NAME:
        raise ValueError(f"{signal!r} is not one of the signals of guichet_contracts.observability")
    if value <= 0:
        return
    from aws_lambda_powertools.metrics import MetricUnit

    with _lock:
        _powertools_metrics().add_metric(name=signal, unit=MetricUnit.Count, value=value)


def flush() -> None:
    """Write the signals counted so far as one EMF document on stdout (nothing if none)."""
    with _lock:
        if _metrics is not None and _metrics.metric_set:
            _metrics.flush_metrics()
            sys.stdout.flush()  # a print, unlike the Logger's lines: out now, not when a buffer fills


def _powertools_metrics() -> Any:
    global _metrics
    if _metrics is None:
        from aws_lambda_powertools import Metrics

        _metrics = Metrics(namespace=NAMESPACE, service=_service or None)
        _metrics.set_default_dimensions(stage=_stage)
    return _metrics


def emitted(lines: Iterable[str]) -> Counter[str]:
    """The signals counted in EMF documents among `lines` (a log file, captured stdout), by name."""
    counted: Counter[str] = Counter()
    for line in lines:
        if '"_aws"' not in line:
            continue
        try:
            document = json.loads(line)
        except ValueError:
            continue
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            if directive.get("Namespace") != NAMESPACE:
                continue
            for metric in directive.get("Metrics", []):
                value = document.get(metric["Name"])
                counted[metric["Name"]] += int(sum(value) if isinstance(value, list) else value or 0)
    return counted
