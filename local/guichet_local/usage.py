"""What the local runtime was asked to do, counted as AWS would bill it (`GET /_local/usage.json`).

The runtime counts, since it started:

- every request its emulator answered, by AWS service and operation (`dynamodb` `Query`, `s3`
  `GET`, `ses` `SendRawEmail`, `events` `PutEvents` ...), and for DynamoDB the read and write
  request units of on-demand capacity those requests would consume: a read of up to 4 KB is one
  unit (half for an eventually consistent one, two in a transaction), a write of up to 1 KB one
  unit (two in a transaction). The size is the request's or the answer's JSON on the wire
  (the written item, the items read): DynamoDB's own measure of an item is smaller (no type
  tags, no quotes), so the units err upwards, except for an update, counted by its request's
  size (at least one unit) rather than by the item it changes;
- every Lambda invocation of each service (`api` for an HTTP request through the gateway, as
  API Gateway invokes it; otherwise the event handler or schedule it ran) and the seconds it took,
  from the runtime's call to the worker to its answer.

`bench/load` reads the counts before and after each customer journey: the figures of the cost
model in docs/PERFORMANCE.md. Counting is cheap (the emulator parses DynamoDB requests anyway);
it is always on.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter
from typing import Any

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_QUERY_SCOPE = re.compile(r"X-Amz-Credential=[^&]*?(?:/|%2F)\d{8}(?:/|%2F)[^/&%]+(?:/|%2F)([a-z0-9-]+)")
_ACTION = re.compile(rb"(?:^|&)Action=([A-Za-z]+)")
_READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def aws_service(headers: Any, query: str) -> str:
    """The AWS service a request to the emulator is signed for (`dynamodb`, `s3`, `ses` ...)."""
    target = headers.get("X-Amz-Target") or ""
    if target.startswith("DynamoDB_"):
        return "dynamodb"
    if target.startswith("AWSEvents."):
        return "events"
    found = _CREDENTIAL_SCOPE.search(headers.get("Authorization") or "") or _QUERY_SCOPE.search(query)
    return found.group(1) if found else "other"


def operation(service: str, method: str, headers: Any, body: bytes) -> str:
    """The operation asked: the JSON protocols' target, the query protocol's Action, else (S3) the
    HTTP method."""
    target = headers.get("X-Amz-Target") or ""
    if target:
        return target.rsplit(".", 1)[-1]
    found = _ACTION.search(body) if body and service not in ("s3", "other") else None
    return found.group(1).decode() if found else method


def dynamodb_units(operation: str, request: bytes, answer_bytes: int) -> tuple[float, float]:
    """(read units, write units) of one DynamoDB request on on-demand capacity (see the module)."""
    if operation not in _READS and operation not in _WRITES:
        return 0.0, 0.0
    try:
        asked = json.loads(request) if request else {}
    except ValueError:
        return 0.0, 0.0
    if not isinstance(asked, dict):
        return 0.0, 0.0
    if operation == "TransactWriteItems":
        items = asked.get("TransactItems") or []
        return 0.0, float(sum(2 * _write_units(entry) for entry in items if isinstance(entry, dict)))
    if operation == "BatchWriteItem":
        requests = [r for writes in (asked.get("RequestItems") or {}).values() for r in writes]
        return 0.0, float(sum(_write_units(r) for r in requests if isinstance(r, dict)))
    if operation in _WRITES:
        return 0.0, float(_units(len(request), WRITE_UNIT_BYTES))
    units = _units(answer_bytes, READ_UNIT_BYTES)
    if operation == "TransactGetItems":
        return 2.0 * units, 0.0
    consistent = bool(asked.get("ConsistentRead"))
    return (float(units) if consistent else units / 2), 0.0


def _write_units(entry: dict[str, Any]) -> int:
    """A transaction's or a batch's entry: a put by its item's size, anything else by its own."""
    put = entry.get("Put") or entry.get("PutRequest")
    written = put.get("Item") if isinstance(put, dict) else entry
    return _units(len(json.dumps(written, separators=(",", ":"))), WRITE_UNIT_BYTES)


def _units(size: int, unit: int) -> int:
    return max(1, math.ceil(size / unit))


class Usage:
    """The counts of one runtime; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str]] = Counter()
        self._units: Counter[str] = Counter()
        self._invocations: Counter[tuple[str, str]] = Counter()
        self._seconds: Counter[tuple[str, str]] = Counter()

    def aws_request(self, headers: Any, method: str, query: str, body: bytes, answer_bytes: int) -> None:
        service = aws_service(headers, query)
        name = operation(service, method, headers, body)
        reads, writes = dynamodb_units(name, body, answer_bytes) if service == "dynamodb" else (0.0, 0.0)
        with self._lock:
            self._requests[(service, name)] += 1
            self._units["read_request_units"] += reads
            self._units["write_request_units"] += writes

    def invocation(self, service: str, handler: str, seconds: float) -> None:
        with self._lock:
            self._invocations[(service, handler)] += 1
            self._seconds[(service, handler)] += seconds

    def snapshot(self) -> dict[str, Any]:
        """`{"aws": {service: {operation: n}}, "dynamodb_units": {...}, "lambda": {service:
        {handler: {"invocations": n, "seconds": s}}}}`."""
        with self._lock:
            aws: dict[str, dict[str, int]] = {}
            for (service, name), count in sorted(self._requests.items()):
                aws.setdefault(service, {})[name] = count
            functions: dict[str, dict[str, dict[str, float]]] = {}
            for (service, handler), count in sorted(self._invocations.items()):
                functions.setdefault(service, {})[handler] = {
                    "invocations": count,
                    "seconds": round(self._seconds[(service, handler)], 6),
                }
            return {
                "aws": aws,
                "dynamodb_units": {
                    "read_request_units": self._units["read_request_units"],
                    "write_request_units": self._units["write_request_units"],
                },
                "lambda": functions,
            }


USAGE = Usage()  # the runtime's: its emulator and its workers count here
