"""The provider's files (CSV or JSON Lines) that operator imports read, row by row, line by line.

An import (customers in the auth service, contracts in the subscriptions service) takes a file
of at most MAX_FILE_BYTES and MAX_ROWS rows, as CSV with a header line naming its columns or as
JSON Lines (one object a line). Each row is handed on with its line number, so that a report
can name the line of every problem; a file that cannot be read at all (empty, not UTF-8, a
header naming unknown or missing columns, too many rows) is one 422 for the whole file, and a
line that cannot be read (cells missing, not a JSON object) a problem of that line only.
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from .words import Phrase

MAX_FILE_BYTES = 5 * 1024 * 1024  # under Lambda's 6 MB request payload (API Gateway takes 10 MB)
MAX_ROWS = 50_000
JSON_LINES = ("application/jsonl", "application/x-ndjson", "application/x-jsonlines", "application/jsonlines")
# the types an import route takes; JSON too, so that the token is checked first and a JSON body
# gets the 415 of file_format
FILE_TYPES = ["text/csv", "application/jsonl", "application/x-ndjson", "application/json"]

R = TypeVar("R")


@dataclass
class Line:
    """A line of a file that could not be read as a row: its number and why."""

    line: int
    problems: dict[str, Phrase] = field(default_factory=dict)


def file_format(content_type: str | None) -> str:
    """`csv` or `jsonl` from the request's Content-Type; 415 for anything else."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        return "csv"
    if kind in JSON_LINES:
        return "jsonl"
    raise UnsupportedMediaType()


@dataclass
class Reader(Generic[R]):
    """How one import reads its rows: its CSV columns (the required ones among them), what a CSV
    row's cells become (the given cells, by column), and what a row becomes (`row(line, given,
    csv_columns)`), or a problem line (`unreadable(line, problems)`), or a row only counted."""

    columns: tuple[str, ...]
    required: tuple[str, ...]
    row: Callable[[int, dict[str, Any], bool], R]
    unreadable: Callable[[int, dict[str, Phrase]], R]
    counted: Callable[[int], R]
    cells: Callable[[dict[str, Any]], dict[str, Any]] = lambda given: given

    def read(self, content: bytes, kind: str, *, validate: bool = True) -> list[R]:
        """The rows of a file (unless `validate` is False: only counted, as when the file is
        submitted); a file that cannot be read at all is one 422."""
        if not content.strip():
            raise ValidationFailed(fields={"file": Phrase("field.empty")})
        if len(content) > MAX_FILE_BYTES:
            raise PayloadTooLarge()
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed(fields={"file": Phrase("field.encoding")}) from None
        rows = list(self._csv(text, validate) if kind == "csv" else self._jsonl(text, validate))
        if len(rows) > MAX_ROWS:
            raise ValidationFailed(fields={"file": Phrase("field.too_many_rows", max_rows=MAX_ROWS)})
        return rows

    def _csv(self, text: str, validate: bool) -> Iterator[R]:
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = [name.strip().lower() for name in next(reader)]
        except (StopIteration, csv.Error):
            raise ValidationFailed(fields={"file": Phrase("field.empty")}) from None
        problems: dict[str, str] = {
            f"columns.{name}": Phrase("field.extra_forbidden") for name in header if name not in self.columns
        }
        problems |= {
            f"columns.{name}": Phrase("field.missing") for name in self.required if name not in header
        }
        if len(set(header)) != len(header):
            problems["columns"] = Phrase("field.no_duplicates")
        if problems:
            raise ValidationFailed(fields=problems)
        line = reader.line_num
        while True:
            start = line + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error:
                line = reader.line_num
                yield self.unreadable(start, {"line": Phrase("field.csv_line")})
                continue
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            if len(cells) != len(header):
                yield self.unreadable(start, {"line": Phrase("field.csv_cells", count=len(header))})
                continue
            if not validate:
                yield self.counted(start)
                continue
            given = {name: cell for name, cell in zip(header, cells, strict=True) if cell.strip()}
            yield self.row(start, self.cells(given), True)

    def _jsonl(self, text: str, validate: bool) -> Iterator[R]:
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            if not validate:
                yield self.counted(number)
                continue
            try:
                given = json.loads(raw)
            except ValueError:
                given = None
            if not isinstance(given, dict):
                yield self.unreadable(number, {"line": Phrase("field.object")})
                continue
            yield self.row(number, given, False)


PART_BYTES = 350 * 1024  # a DynamoDB item holds 400 KB
REPORT_LINES_PER_PART = 1000


class Parts:
    """Where an import keeps its file and its report, compressed, in parts: items of `model` (a
    PynamoDB model of the service's table with `data` and `expires_at_epoch`) at the keys
    `key(f"FILE#{n:04d}")` and `key(f"REPORT#{n:04d}")`."""

    def __init__(self, model: Any, key: Callable[[str], tuple[str, str]]) -> None:
        self.model, self.key = model, key

    def keep_file(self, content: bytes, *, expires: int) -> int:
        """Keep a file (compressed, in parts); how many parts."""
        return self._save("FILE", split(zlib.compress(content, 6)), expires)

    def keep_report(self, lines: list[dict[str, Any]], *, expires: int) -> int:
        """Keep a report's lines (as_stored); how many parts."""
        return self._save("REPORT", report_parts(lines), expires)

    def file(self, parts: int) -> bytes:
        """The file kept in `parts` parts, as it was sent."""
        return zlib.decompress(
            b"".join(self.model.get(*self.key(f"FILE#{n:04d}")).data for n in range(parts))
        )

    def report_part(self, part: int) -> list[dict[str, Any]]:
        return list(json.loads(zlib.decompress(self.model.get(*self.key(f"REPORT#{part:04d}")).data)))

    def _save(self, kind: str, parts: list[bytes], expires: int) -> int:
        with self.model.batch_write() as batch:
            for index, data in enumerate(parts):
                batch.save(self.model(*self.key(f"{kind}#{index:04d}"), data=data, expires_at_epoch=expires))
        return len(parts)


def split(packed: bytes) -> list[bytes]:
    """A compressed file in parts that each fit in an item."""
    return [packed[start : start + PART_BYTES] for start in range(0, len(packed), PART_BYTES)]


def report_parts(lines: list[dict[str, Any]]) -> list[bytes]:
    """A report's lines (as_stored) in compressed parts of REPORT_LINES_PER_PART lines."""
    return [
        zlib.compress(
            json.dumps(
                lines[start : start + REPORT_LINES_PER_PART], separators=(",", ":"), ensure_ascii=False
            ).encode(),
            6,
        )
        for start in range(0, len(lines), REPORT_LINES_PER_PART)
    ]


def report_page(
    read_part: Callable[[int], list[dict[str, Any]]],
    parts: int,
    *,
    language: str,
    status: str | None,
    limit: int,
    cursor: int,
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of a report's lines from the `cursor`-th on (those of `status` only, if given), each
    line's problems said in `language`; the cursor of the next page, or None."""
    found: list[dict[str, Any]] = []
    index = 0
    for part in range(parts):
        if (part + 1) * REPORT_LINES_PER_PART <= cursor:
            index = (part + 1) * REPORT_LINES_PER_PART
            continue
        for line in read_part(part):
            if index < cursor:
                index += 1
                continue
            index += 1
            if status and line["status"] != status:
                continue
            if len(found) == limit:
                return found, index - 1
            shown = dict(line)
            if "fields" in line:
                shown["fields"] = said_fields(line["fields"], language)
            found.append(shown)
    return found, None


RESULTS = ("created", "updated", "unchanged", "rejected")  # what became of a row


def counts(outcomes: list[Any]) -> dict[str, int]:
    """How many rows became what (each outcome's `status`, one of RESULTS)."""
    found = dict.fromkeys(RESULTS, 0)
    for outcome in outcomes:
        found[outcome.status] += 1
    return found


BATCH_GET = 100  # DynamoDB's limit for one BatchGetItem


def batch_get(model: Any, keys: list[tuple[str, str]]) -> list[Any]:
    """The items of `model` (a PynamoDB model) at these keys, once each, BATCH_GET a request."""
    found: list[Any] = []
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), BATCH_GET):
        found.extend(model.batch_get(unique[start : start + BATCH_GET]))
    return found


def summary(item: Any) -> dict[str, Any]:
    """An import's item as the operator routes show it: where it is, and its counts."""
    moment = "%Y-%m-%dT%H:%M:%SZ"
    return {
        "import_id": item.import_id,
        "status": item.status,
        "format": item.format,
        "sha256": item.sha256,
        "submitted_at": item.submitted_at.strftime(moment),
        "finished_at": item.finished_at.strftime(moment) if item.finished_at else None,
        "rows": int(item.rows),
        **{result: int(getattr(item, result)) for result in RESULTS},
    }


def report_query(request: Any) -> tuple[str | None, int, int]:
    """What a report's page asks (`?status=`, `?limit=` 1-100, default 100, `?cursor=`)."""
    import re

    from . import web

    status = web.choice(request, "status", RESULTS)
    limit = web.page_limit(request, default=100)
    raw_cursor = web.query(request, "cursor") or "0"
    if not re.fullmatch(r"[0-9]{1,6}", raw_cursor):
        raise ValidationFailed(fields={"cursor": Phrase("field.cursor")})
    return status, limit, int(raw_cursor)


def stored_fields(fields: dict[str, Phrase]) -> dict[str, list[Any]]:
    """A report line's problems as kept (message id and values), to be said in any language later."""
    return {name: [p.message_id, _plain(p.values)] for name, p in fields.items()}


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value if isinstance(value, int | float) else str(value) for name, value in values.items()}


def said_fields(stored: dict[str, list[Any]], language: str) -> dict[str, str]:
    from .words import say

    return {name: say(language, mid, values) for name, (mid, values) in stored.items()}
