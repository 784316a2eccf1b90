"""Faster paths through the embedded emulator (moto), for a runtime that lives long.

moto answers correctly, but some of its answers take a time that grows with everything stored:
a runtime that has kept a simulated year of meter readings, invoices and sessions slows down day
by day. `speed_up()` gives the same answers in a time that does not grow with the tables:

- a DynamoDB query on the table's key reads its own partition: moto sorts every item of the
  table first, then keeps those of the partition; a query on an index no longer sorts the whole
  table before sorting what matched (by the index's keys, then the table's: a total order), and
  reads only the items whose text key is the one asked (the table's items by that key's value,
  made again once the table was written); a query weighs each item it reads once, not twice;
- an item projected on some of its top-level attributes of text (an index's keys, a projection
  expression naming keys) copies those: moto converts the whole item to Python values and back
  once per attribute named;
- a DynamoDB transaction remembers the items it writes and puts them back (its stream records
  taken back too) if it fails: moto copies every table it names, stream records included;
- a DynamoDB answer writes its attribute values (`{"S": ...}`, `{"M": {...}}`...) as they are
  written on the wire, directly: moto's serializer looks up each of the ten members of every
  value through the botocore model (milliseconds per item);
- a stream record of a table whose stream keeps only keys (KEYS_ONLY) is made of the keys only:
  moto writes out both images of the item first, then leaves them out;
- an event put on the bus is read with the JSONPath expressions of the default target input
  compiled once: moto compiles them again for every rule an event matches;
- each request finds its service without listing moto's package directory on disk (twice), and
  its handler's action without listing the members of the handler's class.

`EmulatorServer` serves moto as moto's `ThreadedMotoServer` does (Werkzeug's server, moto's
request handler), counts every request it answers (`usage.py`), and keeps each client's
connection open between requests: Werkzeug's
development server closes every connection after one answer, so that each request to the
emulator cost a new connection and a new thread.

`Faults` makes the emulator fail a share of the calls the services make, as AWS does at times:
DynamoDB throttled (ProvisionedThroughputExceededException, ThrottlingException) or failing
(500 InternalServerError), SES throttled or failing, S3 slowing down (503 SlowDown) or failing
(500 InternalError). A faulty answer is given instead of the call's: the call had no effect, as
when AWS refuses a call before doing it. Only the calls of the services' workers are failed
(their SDK says `app/guichet-<service>` in its User-Agent, `WORKER_APP_ID`): the runtime's own
calls (events, meter files put in the bucket, the harness's reads) go through untouched.

The patches were written against one version of moto (`MOTO_VERSION`, pinned in
requirements/dev.txt) and copy what it does around them: with another version they are left out,
and moto runs as it comes.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import logging
import random
import re
import socket
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from .usage import USAGE

logger = logging.getLogger("guichet_local.emulator")

MOTO_VERSION = "5.2.5"
_applied = False
_query = threading.local()  # the query a thread is answering: (table, hash key, index name)


def speed_up() -> bool:
    """Patch the emulator of this process (once); whether it was patched."""
    global _applied
    import moto

    if _applied:
        return True
    if moto.__version__ != MOTO_VERSION:
        logger.warning(
            "moto %s is not %s: the emulator runs without its speed-ups", moto.__version__, MOTO_VERSION
        )
        return False
    _writes_counted()
    _partition_queries()
    _projections_of_top_level_strings()
    _transactions_undo_their_items()
    _attribute_values_written_directly()
    _stream_records_of_keys_only()
    _event_inputs_compiled_once()
    _services_listed_once()
    _applied = True
    return True


# --- queries ---------------------------------------------------------------------------------------


def _partition_queries() -> None:
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    query, all_items = Table.query, Table.all_items

    @functools.wraps(query)
    def query_one_partition(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        conditions = kwargs.get("hash_key_conditions") or []
        _query.current, _query.sizes = (self, hash_key, index_name, conditions), {}
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _query.current = _query.sizes = None

    @functools.wraps(all_items)
    def items_the_query_reads(self: Table) -> list[Any]:
        current = getattr(_query, "current", None)
        if current is None or current[0] is not self:
            return all_items(self)  # a scan, an export...: every item, in key order
        _query.current = None  # the query's own call only
        _, hash_key, index_name, conditions = current
        if index_name:  # moto keeps those its conditions match, sorted by the index's keys and the table's
            # a text key's value is equal as text: those that differ are left out before moto looks
            texts = [(name, value.value) for name, value in conditions if value.type == "S"]
            if not texts:
                return [item for partition in self.items.values() for item in _items_of(self, partition)]
            (name, value), others = texts[0], texts[1:]
            return [
                item
                for item in _by_text(self, name).get(value, ())
                if all(_text(item, other) == wanted for other, wanted in others)
            ]
        if hash_key is None or hash_key not in self.items:
            return []
        return list(_items_of(self, self.items[hash_key]))  # moto sorts them by range key

    size = Item.size

    @functools.wraps(size)
    def size_once_a_query(self: Item) -> int:
        sizes = getattr(_query, "sizes", None)  # a query weighs each item twice: once is enough
        if sizes is None:
            return int(size(self))
        if id(self) not in sizes:
            sizes[id(self)] = size(self)
        return int(sizes[id(self)])

    Table.query = query_one_partition  # type: ignore[method-assign]
    Table.all_items = items_the_query_reads  # type: ignore[method-assign]
    Item.size = size_once_a_query  # type: ignore[method-assign]


def _by_text(table: Any, name: str) -> dict[str, list[Any]]:
    """The table's items by their text value of attribute `name`, made again after a write."""
    cached = _lookups.get((id(table), name))
    if cached is not None and cached[0] is table and cached[1] == _versions.get(id(table)):
        return cached[2]
    found: dict[str, list[Any]] = {}
    for partition in table.items.values():
        for item in _items_of(table, partition):
            value = _text(item, name)
            if value is not None:
                found.setdefault(value, []).append(item)
    _lookups[(id(table), name)] = (table, _versions.get(id(table)), found)
    return found


def _written(table: Any) -> None:
    """Something in the table changed: what was looked up in it is made again."""
    _versions[id(table)] = _versions.get(id(table), 0) + 1


def _writes_counted() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    def counting(method: Any, table_of: Any) -> Any:
        @functools.wraps(method)
        def write(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            finally:
                try:
                    table = table_of(self, *args, **kwargs)
                except Exception:  # no such table: nothing was written
                    table = None
                if table is not None:
                    _written(table)

        return write

    itself = lambda table, *args, **kwargs: table  # noqa: E731
    Table.put_item = counting(Table.put_item, itself)  # type: ignore[method-assign]
    Table.delete_item = counting(Table.delete_item, itself)  # type: ignore[method-assign]
    # an update changes the item in place
    named = lambda backend, table_name, *args, **kwargs: backend.get_table(table_name)  # noqa: E731
    DynamoDBBackend.update_item = counting(DynamoDBBackend.update_item, named)  # type: ignore[method-assign]


_versions: dict[int, int] = {}  # how many writes each table (by id) took
_lookups: dict[tuple[int, str], tuple[Any, int | None, dict[str, list[Any]]]] = {}


def _text(item: Any, name: str) -> Any:
    value = item.attrs.get(name)
    return value.value if value is not None and value.type == "S" else None


def _items_of(table: Any, partition: Any) -> Any:
    """The items of one entry of `Table.items`: a partition {range key: item}, or an item."""
    return partition.values() if table.range_key_attr else (partition,)


def _projections_of_top_level_strings() -> None:
    from moto.dynamodb.models.dynamo_type import Item

    project = Item.project

    @functools.wraps(project)
    def project_strings(self: Item, projection_expressions: list[list[str]]) -> Item:
        picked: dict[str, Any] = {}
        for expression in projection_expressions:
            name = expression[0] if len(expression) == 1 else None
            if name is None or "[" in name:
                return project(self, projection_expressions)  # a nested path or a list element
            value = self.attrs.get(name)
            if value is None:
                continue  # what is not there is not projected
            if value.type != "S" or not isinstance(value.value, str):
                return project(self, projection_expressions)  # moto's round trip may rewrite it
            picked[name] = {"S": value.value}
        return Item(hash_key=self.hash_key, range_key=self.range_key, attrs=picked)

    Item.project = project_strings  # type: ignore[method-assign]


# --- transactions ----------------------------------------------------------------------------------


def _transactions_undo_their_items() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


class _Undo:
    """The items a transaction may write, as they were, and how long each table's stream was."""

    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        self.items: list[tuple[Any, Any, Any, Any]] = []
        self.streams: dict[int, tuple[Any, int]] = {}
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            if table is None:
                continue
            if table.stream_shard is not None:
                self.streams.setdefault(id(table), (table, len(table.stream_shard.items)))
            try:
                key = op["Item"] if "Item" in op else op["Key"]
                hash_value = DynamoType(key[table.hash_key_attr])
                range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            except (KeyError, TypeError, AttributeError):
                continue  # a key moto refuses: it writes nothing for it
            before = copy.deepcopy(table.get_item(hash_value, range_value))
            self.items.append((table, hash_value, range_value, before))

    def undo(self) -> None:
        for table, hash_value, range_value, before in reversed(self.items):
            if range_value is None:
                if before is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = before
            elif before is None:
                table.items.get(hash_value, {}).pop(range_value, None)
            else:
                table.items[hash_value][range_value] = before
        for table, length in self.streams.values():
            del table.stream_shard.items[length:]
        for table, *_ in self.items:
            _written(table)


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto 5.2.5's `DynamoDBBackend.transact_write_items`, rolled back by `_Undo`."""
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models import get_filter_expression

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    undo = _Undo(self, transact_items)

    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            expression_attribute_names = op.get("ExpressionAttributeNames")
            expression_attribute_values = op.get("ExpressionAttributeValues")
            return_values_on_condition_check_failure = op.get("ReturnValuesOnConditionCheckFailure")
            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            check_unicity(table_name, key)
            current = self.get_item(table_name, key)
            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression, expression_attribute_names, expression_attribute_values
                )
                if not condition_op.expr(current):
                    if return_values_on_condition_check_failure == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
            if op_type == "Put":
                self.put_item(
                    table_name,
                    op["Item"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    table_name,
                    key,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Update":
                self.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            undo.undo()
            raise
        except ConditionalCheckFailed as error:
            errors.append(("ConditionalCheckFailed", str(error.message), original_item))  # type: ignore[arg-type]
        except Exception as error:  # moto reports any other failure per item, as here
            errors.append((type(error).__name__, str(error), original_item))  # type: ignore[arg-type]
    if any(code is not None for code, _, _ in errors):
        undo.undo()
        raise TransactionCanceledException(errors)


# --- answers ------------------------------------------------------------------------------------


def _attribute_values_written_directly() -> None:
    from moto.core.serialize import BaseJSONSerializer

    structure, mapping = BaseJSONSerializer._serialize_type_structure, BaseJSONSerializer._serialize_type_map

    @functools.wraps(structure)
    def write_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if key and shape.name == ATTRIBUTE_VALUE:
            written = attribute_value(value)
            if written is not None:
                serialized[self.get_serialized_name(shape, key)] = written
                return
        structure(self, serialized, value, shape, key)

    @functools.wraps(mapping)
    def write_map(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if shape.value.name == ATTRIBUTE_VALUE and isinstance(value, dict):
            written = {name: attribute_value(item) for name, item in value.items()}
            if None not in written.values():
                serialized[self.get_serialized_name(shape, key)] = written
                return
        mapping(self, serialized, value, shape, key)

    BaseJSONSerializer._serialize_type_structure = write_structure  # type: ignore[method-assign]
    BaseJSONSerializer._serialize_type_map = write_map  # type: ignore[method-assign]


ATTRIBUTE_VALUE = "AttributeValue"
_STRINGS = ("S", "N")
_STRING_SETS = ("SS", "NS")
_BOOLEANS = ("NULL", "BOOL")


def attribute_value(value: Any) -> dict[str, Any] | None:
    """One DynamoDB attribute value as moto's JSON serializer writes it, or None for a value this
    leaves to it (binary, or anything but the plain wire form)."""
    if not isinstance(value, dict):
        return None
    written: dict[str, Any] = {}
    for member, item in value.items():
        if item is None:
            continue  # a member left out
        if member in _STRINGS:
            if not isinstance(item, str):
                return None
            written[member] = item
        elif member in _BOOLEANS:
            written[member] = item
        elif member in _STRING_SETS:
            if not isinstance(item, list) or not all(isinstance(one, str) for one in item):
                return None
            written[member] = list(item)
        elif member == "M":
            if not isinstance(item, dict):
                return None
            inner = {name: attribute_value(one) for name, one in item.items()}
            if None in inner.values():
                return None
            written[member] = inner
        elif member == "L":
            if not isinstance(item, list):
                return None
            elements = [attribute_value(one) for one in item]
            if None in elements:
                return None
            written[member] = elements
        else:
            return None  # B, BS, or a key of no attribute value
    return written


# --- streams ---------------------------------------------------------------------------------------


def _stream_records_of_keys_only() -> None:
    from moto.dynamodb.models.table import StreamRecord

    record = StreamRecord.__init__

    @functools.wraps(record)
    def keys_only(
        self: Any, table: Any, stream_type: str, event_name: str, old: Any, new: Any, seq: int
    ) -> None:
        if stream_type == "KEYS_ONLY":  # the images moto would write out are left out of the record
            old = _KeysOf(old) if old is not None else None
            new = _KeysOf(new) if new is not None else None
        record(self, table, stream_type, event_name, old, new, seq)

    StreamRecord.__init__ = keys_only  # type: ignore[method-assign]


class _KeysOf:
    """What a KEYS_ONLY stream record reads of an item: its keys (its image is never kept)."""

    def __init__(self, item: Any) -> None:
        self.hash_key, self.range_key = item.hash_key, item.range_key

    def to_json(self) -> dict[str, Any]:
        return {"Attributes": {}}


# --- events ----------------------------------------------------------------------------------------


def _event_inputs_compiled_once() -> None:
    from moto.events.utils import EventTemplateParser

    EventTemplateParser.parse = staticmethod(_template_parse)  # type: ignore[method-assign]


@functools.lru_cache(maxsize=256)
def _json_path(expression: str) -> Any:
    from jsonpath_ng.ext import parse

    return parse(expression)  # type: ignore[no-untyped-call]


def _template_parse(input_template: str, input_paths_map: dict[str, Any], event: Any) -> dict[str, Any]:
    """moto 5.2.5's `EventTemplateParser.parse`, its JSONPath expressions compiled once."""
    from moto.events.utils import EventTemplateParser

    template = input_template or EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
    paths = input_paths_map or EventTemplateParser.DEFAULT_EVENT_INPUT_PATHS_MAP
    for name in paths:
        matches = _json_path(paths[name]).find(event)
        result = EventTemplateParser._stringify(matches[0].value) if matches else None
        if result:
            template = template.replace(f"<{name}>", result)
    for name, value in (
        ("aws.events.event.json", event),
        ("aws.events.event.ingestion-time", event["ingestion-time"]),
    ):
        template = template.replace(f"<{name}>", EventTemplateParser._stringify(value))
    return json.loads(template)  # type: ignore[no-any-return]


# --- dispatch -------------------------------------------------------------------------------------


def _services_listed_once() -> None:
    from moto import backends

    listed = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: iter(listed)  # type: ignore[assignment]

    from moto.core import responses

    names = functools.cache(responses.method_names_from_class)
    responses.method_names_from_class = lambda clazz: list(names(clazz))  # type: ignore[assignment]


# --- faults ---------------------------------------------------------------------------------------

# AWS_SDK_UA_APP_ID of a service's worker: `app/guichet-<service>` in its User-Agent
WORKER_APP_ID = "guichet-{service}"
_WORKER_AGENT = re.compile(r"\bapp/guichet-([a-z]+)\b")
_SIGNED_SERVICE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")
FAULT_KINDS = ("throttling", "internal")
FAULT_SERVICES = ("dynamodb", "ses", "s3")


@dataclass
class FaultRule:
    """Fail `rate` of the calls to one AWS service (all its operations, or those named), with
    one of `kinds` drawn for each failed call."""

    rate: float
    kinds: tuple[str, ...] = FAULT_KINDS
    operations: frozenset[str] | None = None
    callers: frozenset[str] | None = None  # the services whose calls fail (every one: None)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"a fault rate is a share of the calls, 0 to 1, not {self.rate}")
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"fault kinds are {FAULT_KINDS}, not {sorted(unknown) or 'none'}")


@dataclass
class Faults:
    """Which calls of the services fail, drawn from one seeded generator (a run is reproducible
    as far as the order of the calls is), and what was failed so far."""

    rules: dict[str, FaultRule] = field(default_factory=dict)  # by AWS service (FAULT_SERVICES)
    seed: int = 0
    calls: Counter[str] = field(default_factory=Counter)  # the services' calls seen, by AWS service
    injected: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (AWS service, operation, kind)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)  # noqa: S311 - which calls fail, not a secret
        self._lock = threading.Lock()
        # told of each call of a service (caller, AWS service, operation) before the draw; when it
        # answers True the call fails (500): what a harness uses to kill a worker in mid-job
        self.trap: Any = None

    def set(self, rules: dict[str, FaultRule], seed: int | None = None) -> None:
        """Fail calls as `rules` say from now on ({}: none); a seed starts the draws again."""
        unknown = set(rules) - set(FAULT_SERVICES)
        if unknown:
            raise ValueError(f"faults are injected in {FAULT_SERVICES}, not {sorted(unknown)}")
        with self._lock:
            self.rules = dict(rules)
            if seed is not None:
                self.seed, self._rng = seed, random.Random(seed)  # noqa: S311

    def clear(self) -> None:
        self.set({})

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rules": {
                    service: {
                        "rate": rule.rate,
                        "kinds": list(rule.kinds),
                        "operations": sorted(rule.operations) if rule.operations is not None else None,
                        "callers": sorted(rule.callers) if rule.callers is not None else None,
                    }
                    for service, rule in self.rules.items()
                },
                "seed": self.seed,
                "calls": dict(self.calls),
                "injected": [
                    {"service": service, "operation": operation, "kind": kind, "count": count}
                    for (service, operation, kind), count in sorted(self.injected.items())
                ],
            }

    def draw(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """The faulty answer this call gets instead of its own, or None: it goes through."""
        caller = _WORKER_AGENT.search(environ.get("HTTP_USER_AGENT", ""))
        if caller is None or not (self.rules or self.trap):
            return None
        signed = _SIGNED_SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = signed.group(1) if signed else None
        if service == "email":
            service = "ses"  # SES signs as `email`
        trap = self.trap
        if trap is not None and service and trap(caller.group(1), service, _operation(service, environ)):
            return _faulty_answer(service, "internal", 0.0)
        rule = self.rules.get(service or "")
        if service is None or rule is None:
            return None
        if rule.callers is not None and caller.group(1) not in rule.callers:
            return None
        operation = _operation(service, environ)
        if rule.operations is not None and operation not in rule.operations:
            return None
        with self._lock:
            self.calls[service] += 1
            if self._rng.random() >= rule.rate:
                return None
            kind = self._rng.choice(rule.kinds)
            self.injected[(service, operation, kind)] += 1
            variant = self._rng.random()
        return _faulty_answer(service, kind, variant)


def _operation(service: str, environ: dict[str, Any]) -> str:
    if service == "dynamodb":
        return str(environ.get("HTTP_X_AMZ_TARGET", "")).rpartition(".")[2] or "?"
    if service == "ses":  # the query protocol: Action in the form body, put back for moto to read
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])[0]
    method = environ.get("REQUEST_METHOD", "GET")
    has_key = "/" in str(environ.get("PATH_INFO", "")).strip("/")
    return (
        {"GET": "GetObject", "PUT": "PutObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(
            method, method.title() + "Object"
        )
        if has_key
        else f"{method} bucket"
    )


def _faulty_answer(service: str, kind: str, variant: float) -> tuple[int, list[tuple[str, str]], bytes]:
    """What AWS answers when it throttles or fails a call, on each service's wire protocol."""
    request_id = str(uuid.uuid4())
    if service == "dynamodb":
        if kind == "internal":
            status, code, message = 500, "InternalServerError", "Internal server error"
        elif variant < 0.5:
            status, code = 400, "ProvisionedThroughputExceededException"
            message = "The level of configured provisioned throughput for the table was exceeded."
        else:
            status, code = 400, "ThrottlingException"
            message = "Rate of requests exceeds the allowed throughput."
        prefix = (
            "com.amazon.coral.availability#"
            if code == "ThrottlingException"
            else "com.amazonaws.dynamodb.v20120810#"
        )
        body = json.dumps({"__type": prefix + code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", request_id)]
        return status, headers, body
    if service == "ses":
        status, kind_of, code, message = (
            (500, "Receiver", "InternalFailure", "An internal error occurred.")
            if kind == "internal"
            else (400, "Sender", "Throttling", "Maximum sending rate exceeded.")
        )
        body = (
            '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error>'
            f"<Type>{kind_of}</Type><Code>{code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body
    status, code, message = (
        (500, "InternalError", "We encountered an internal error. Please try again.")
        if kind == "internal"
        else (503, "SlowDown", "Please reduce your request rate.")
    )
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
        f"<RequestId>{request_id}</RequestId></Error>"
    ).encode()
    return status, [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)], body


class _Faulty:
    """A WSGI application that answers a call `faults` fails with AWS's faulty answer, else moto's."""

    def __init__(self, app: Any, faults: Faults) -> None:
        self.app, self.faults = app, faults

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        faulty = self.faults.draw(environ)
        if faulty is None:
            return self.app(environ, start_response)
        status, headers, body = faulty
        headers = [*headers, ("Content-Length", str(len(body)))]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]


# --- the server ------------------------------------------------------------------------------------


class EmulatorServer:
    """moto's server on `ip_address:port` (0: a free port), in a thread of this process, each
    connection kept open between requests (HTTP/1.1 keep-alive); the services' calls failed as
    `faults` says (none until told)."""

    def __init__(self, ip_address: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (ip_address, port)
        self.faults = Faults()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        app = _Faulty(DomainDispatcherApplication(create_backend_app), self.faults)
        self._server = make_server(*self._address, app, threaded=True, request_handler=_handler_class())
        self._server.connections = set()
        self._server.connections_lock = threading.Lock()
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="emulator", daemon=True)
        self._thread.start()

    def get_host_and_port(self) -> tuple[str, int]:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._server.connections_lock:
            kept = list(self._server.connections)
        for connection in kept:  # a client's idle connection: its thread stops reading
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None


@functools.cache
def _handler_class() -> type:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class KeepAliveHandler(MotoRequestHandler):  # type: ignore[misc, valid-type]
        """moto's request handler; each answer carries its length, and the connection stays open
        for the client's next request (a request body of unknown length closes it, as before)."""

        def setup(self) -> None:
            super().setup()
            # an answer goes at once, not held back for an acknowledgement (Nagle's algorithm)
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.server.connections_lock:
                self.server.connections.add(self.connection)

        def finish(self) -> None:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)
            super().finish()

        def run_wsgi(self) -> None:
            length = self.headers.get("Content-Length")
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower() or (
                length is None and self.command in ("POST", "PUT", "PATCH")
            ):
                super().run_wsgi()  # Werkzeug's way: the connection closes after the answer
                USAGE.aws_request(self.headers, self.command, self.path.partition("?")[2], b"", 0)
                return
            if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            environ = self.make_environ()
            asked = self.rfile.read(int(length)) if length else b""
            environ["wsgi.input"] = io.BytesIO(asked)
            answered: dict[str, Any] = {}

            def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                answered["status"], answered["headers"] = status, headers
                return lambda data: answered.setdefault("written", []).append(data)

            try:
                result = self.server.app(environ, start_response)
                try:
                    body = b"".join([*answered.get("written", []), *result])
                finally:
                    if hasattr(result, "close"):
                        result.close()
            except Exception:  # what Werkzeug answers an application that raised
                logger.exception("the emulator failed on %s %s", self.command, self.path)
                self.close_connection = True
                answered = {"status": "500 INTERNAL SERVER ERROR", "headers": []}
                body = b""
            code, _, reason = str(answered["status"]).partition(" ")
            self.send_response(int(code), reason)
            declared = None
            for name, value in answered["headers"]:
                lowered = name.lower()
                if lowered == "content-length":
                    declared = value
                elif lowered not in ("connection", "transfer-encoding"):
                    self.send_header(name, value)
            no_body = self.command == "HEAD" or int(code) in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED)
            self.send_header(
                "Content-Length", declared if no_body and declared is not None else str(len(body))
            )
            self._headers_buffer.append(b"\r\n" + (b"" if no_body else body))  # one write: head and body
            self.flush_headers()
            USAGE.aws_request(self.headers, self.command, self.path.partition("?")[2], asked, len(body))

    return KeepAliveHandler
