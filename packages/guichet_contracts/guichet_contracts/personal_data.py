"""A customer's data export and account closure (GDPR articles 15, 17 and 20), as every service
does its part: what a part of an export looks like in the exports bucket, and what an erased
field says.

An export is written under `exports/<export_id>/<service>/` of the exports bucket (private,
emptied by a lifecycle rule after two days: infra/shared_stack.py): `data.json`, every item the
service holds about the customer grouped by item type (`{"service", "customer_id", "items":
{"Invoice": [...], ...}}`), one CSV per tabular type (`invoices.csv`, `payments.csv`...), and the
files the customer owns (invoice PDFs). The auth service assembles the parts into one ZIP.

Each service says, for every model of its table, whether it is exported (`exported`) or why not
(`not_exported`: counters, ledgers of job runs, secrets' digests...), so that a model added
without a word fails the tests (services' `test_personal_data.py`, tests/test_e2e_gdpr.py).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

EXPORTS_PREFIX = "exports/"
ERASED = "erased"  # what a pseudonymized text field says
# the `version` of an event-fed profile copy once its customer closed the account: it sorts after
# every ISO time, so that a late CustomerRegistered/Updated never writes the personal data back
CLOSED_VERSION = "~closed"
_client: Any = None


def part_prefix(export_id: str, service: str) -> str:
    return f"{EXPORTS_PREFIX}{export_id}/{service}/"


def record(item: Any) -> dict[str, Any]:
    """A PynamoDB item as plain JSON values (binary as its size, sets as sorted lists)."""
    return {name: _plain(value) for name, value in sorted(item.attribute_values.items())}


def _plain(value: Any) -> Any:
    if isinstance(value, type):  # a polymorphic table's discriminator: the model's name
        return value.__name__
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if isinstance(value, Mapping):
        return {str(key): _plain(inner) for key, inner in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(inner) for inner in value)
    if isinstance(value, (list, tuple)):
        return [_plain(inner) for inner in value]
    attribute_values = getattr(value, "attribute_values", None)  # a MapAttribute
    if isinstance(attribute_values, Mapping):
        return {str(key): _plain(inner) for key, inner in attribute_values.items()}
    return str(value)


def _without(value: Any, hidden: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {name: _without(inner, hidden) for name, inner in value.items() if name not in hidden}
    if isinstance(value, list):
        return [_without(inner, hidden) for inner in value]
    return value


def csv_text(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV: one column per field found in any row (in order of appearance), nested values
    as JSON."""
    columns: list[str] = []
    for row in rows:
        columns.extend(name for name in row if name not in columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@dataclass
class Part:
    """One service's part of a customer's export, built up then written (`write`)."""

    service: str
    customer_id: str
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    files: list[tuple[str, bytes, str]] = field(default_factory=list)  # (name, content, content type)

    def add(self, items: Iterable[Any], *, hidden: Iterable[str] = ()) -> None:
        """Add items, leaving out the fields named `hidden` wherever they are (secrets' digests:
        a password's hash is no data about the customer, and must not travel)."""
        left_out = frozenset(hidden)
        for item in items:
            self.items.setdefault(type(item).__name__, []).append(_without(record(item), left_out))

    def add_file(self, name: str, content: bytes, content_type: str) -> None:
        self.files.append((name, content, content_type))

    def write(self, bucket: str, export_id: str, *, tabular: Mapping[str, str]) -> list[str]:
        """Put the part in the bucket: data.json, a CSV per type of `tabular` ({type: file name})
        present, the files; the keys written. Writing again writes the same keys (idempotent)."""
        global _client
        if not bucket:
            raise RuntimeError("no exports bucket is configured (GUICHET_EXPORTS_BUCKET)")
        if _client is None:
            import boto3

            _client = boto3.client("s3")
        prefix = part_prefix(export_id, self.service)
        document = {"service": self.service, "customer_id": self.customer_id, "items": self.items}
        objects: list[tuple[str, bytes, str]] = [
            ("data.json", json.dumps(document, ensure_ascii=False, indent=1).encode(), "application/json")
        ]
        for type_name, file_name in sorted(tabular.items()):
            if self.items.get(type_name):
                objects.append((file_name, csv_text(self.items[type_name]).encode(), "text/csv"))
        objects.extend(self.files)
        keys = []
        for name, content, content_type in objects:
            key = prefix + name
            _client.put_object(Bucket=bucket, Key=key, Body=content, ContentType=content_type)
            keys.append(key)
        return keys


def export_on_request(
    event: Any,
    export: Callable[[str, str], list[str]],
    announced: Callable[[str, str, list[str]], Any],
    *,
    bus_name: str,
) -> list[str]:
    """A service's handler of DataExportRequested: `export(export_id, customer_id)` writes its
    part, then `announced(export_id, customer_id, keys)` (its own DataExportPart event) is
    published; the keys written. Writing again writes the same keys: a repeat is harmless."""
    from . import events
    from .domain_events.auth import DataExportRequested

    request = events.received(event, DataExportRequested).data
    keys = export(request.export_id, request.customer_id)
    events.publish(announced(request.export_id, request.customer_id, keys), bus_name=bus_name)
    return keys


def erase_on_closure(event: Any, erase: Callable[[str], int]) -> int:
    """A service's handler of CustomerClosed: `erase(customer_id)`, idempotent; what it changed."""
    from . import events
    from .domain_events.auth import CustomerClosed

    return erase(events.received(event, CustomerClosed).data.customer_id)
