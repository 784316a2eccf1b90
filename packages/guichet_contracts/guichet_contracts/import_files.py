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
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from pynamodb.attributes import BinaryAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

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


def sent_file(request: Any) -> tuple[str, bytes]:
    """The file of an import's POST: its format (file_format) and its bytes."""
    kind = file_format(request.headers.get("content-type"))
    raw = request.raw_body or b""
    return kind, raw.encode() if isinstance(raw, str) else raw


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


# --- the file job: submit, queue, lease, run within a deadline, report -----------------------


class ImportRecord:
    """The attributes of an import's record (IMPORT#<import_id> / IMPORT), mixed into the model
    each service declares on its own table."""

    import_id = UnicodeAttribute()
    operator = UnicodeAttribute()  # the operator token's sub
    status = UnicodeAttribute()  # queued | importing | (a follow-up's) | done
    format = UnicodeAttribute()  # csv | jsonl
    sha256 = UnicodeAttribute()
    submitted_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    file_parts = NumberAttribute()
    report_parts = NumberAttribute(default=0)
    rows = NumberAttribute(default=0)
    created = NumberAttribute(default=0)
    updated = NumberAttribute(default=0)
    unchanged = NumberAttribute(default=0)
    rejected = NumberAttribute(default=0)
    lease_until = NumberAttribute(null=True)  # epoch seconds: a run of the job holds it until then
    expires_at_epoch = NumberAttribute()


class ImportPartData:
    """The attributes of a part of a file, then of its report (IMPORT#<import_id> / FILE#<n> or
    REPORT#<n>): compressed, under 400 KB each."""

    data = BinaryAttribute(legacy_encoding=False)
    expires_at_epoch = NumberAttribute()


class QueuedImport:
    """The attributes of a file waiting for the job (IMPORTS / <submitted_at>#<import_id>)."""

    import_id = UnicodeAttribute()
    expires_at_epoch = NumberAttribute()


KEPT_DAYS = 30  # a file and its report are kept this long (the items' expires_at_epoch)
LEASE_SECONDS = 16 * 60  # longer than the job's Lambda may run (15 minutes)
RUN_SECONDS = 12 * 60  # what a run of the job takes of the Lambda's 15 minutes: room to stop
_IMPORT_ID = re.compile(r"[0-9a-f]{32}")


def import_key(import_id: str, part: str = "IMPORT") -> tuple[str, str]:
    """The keys of an import's items: its record (`IMPORT`) and its parts (`FILE#n`, `REPORT#n`)."""
    return f"IMPORT#{import_id}", part


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class QueueItems:
    """Waiting imports as items of their own (`partition` / `<submitted_at>#<import_id>`), one
    Query finds them oldest first; `model` has `import_id` and `expires_at_epoch`."""

    def __init__(self, model: Any, partition: str = "IMPORTS") -> None:
        self.model, self.partition = model, partition

    def on_record(self, now: datetime) -> dict[str, Any]:
        return {}

    def add(self, record: Any) -> None:
        self.model(
            self.partition,
            f"{_iso(record.submitted_at)}#{record.import_id}",
            import_id=record.import_id,
            expires_at_epoch=int(record.expires_at_epoch),
        ).save()

    def waiting(self) -> list[str]:
        return [item.import_id for item in self.model.query(self.partition) if isinstance(item, self.model)]

    def leave(self, record: Any) -> list[Any]:
        return []

    def left(self, record: Any) -> None:
        self.model(self.partition, f"{_iso(record.submitted_at)}#{record.import_id}").delete()


class QueueIndex:
    """Waiting imports as their records in a sparse index (`due_pk` = `partition`, `due_at` the
    time submitted): the record's attributes are set at submission and removed once done."""

    def __init__(self, index: Any, partition: str) -> None:
        self.index, self.partition = index, partition

    def on_record(self, now: datetime) -> dict[str, Any]:
        return {"due_pk": self.partition, "due_at": _iso(now)}

    def add(self, record: Any) -> None:
        return None

    def waiting(self) -> list[str]:
        return [item.pk.removeprefix("IMPORT#") for item in self.index.query(self.partition)]

    def leave(self, record: Any) -> list[Any]:
        model = type(record)
        return [model.due_pk.remove(), model.due_at.remove()]

    def left(self, record: Any) -> None:
        return None


class FileJob:
    """A service's imports of one kind: a file submitted (checked readable at once, kept
    compressed in parts, queued), applied by the service's scheduled job (a request through API
    Gateway must answer within 29 s; the job's Lambda may run 15 minutes), its report (a line
    per row) kept with it for KEPT_DAYS and served by pages.

    `record` is the service's PynamoDB model of an import (import_id, operator, status, format,
    sha256, submitted_at, finished_at, file_parts, report_parts, rows, the RESULTS counts,
    expires_at_epoch, lease_until), `parts` its model of the parts (ImportPart), `queue` where
    waiting imports are found (QueueItems or QueueIndex). A run holds the import (a lease) so
    that two runs of the job never apply one file at once; a run stopped by its deadline leaves
    the file queued, and the next run goes on: the rows applied already are then unchanged.
    `follow_up` names the status of a second step after the report (the customers' invitations),
    which the run's `follow` callable does within the deadline."""

    def __init__(
        self,
        *,
        what: str,
        record: Any,
        parts: Any,
        queue: Any,
        not_found: type[Exception],
        follow_up: str = "",
    ) -> None:
        self.what, self.record, self.parts_model, self.queue = what, record, parts, queue
        self.not_found, self.follow_up = not_found, follow_up

    def parts(self, import_id: str) -> Parts:
        return Parts(self.parts_model, lambda part: import_key(import_id, part))

    def submit(self, content: bytes, kind: str, *, rows: int, operator: str, now: datetime) -> Any:
        """Keep a file whose `rows` were counted (a file that cannot be read was refused by then)
        and queue it."""
        import hashlib
        import uuid

        from aws_lambda_powertools import Logger

        import_id = uuid.uuid4().hex
        expires = int((now + timedelta(days=KEPT_DAYS)).timestamp())
        file_parts = self.parts(import_id).keep_file(content, expires=expires)
        submitted = self.record(
            *import_key(import_id),
            import_id=import_id,
            operator=operator,
            status="queued",
            format=kind,
            sha256=hashlib.sha256(content).hexdigest(),
            submitted_at=now,
            file_parts=file_parts,
            rows=rows,
            expires_at_epoch=expires,
            **self.queue.on_record(now),
        )
        submitted.save(condition=self.record.pk.does_not_exist())
        self.queue.add(submitted)
        Logger(child=True).info(
            f"{self.what} file queued", extra={"import_id": import_id, "rows": rows, "operator": operator}
        )
        return submitted

    def get(self, import_id: str) -> Any:
        """An import by its id; one that cannot be an id is a 404 like an unknown one."""
        if not _IMPORT_ID.fullmatch(import_id):
            raise self.not_found()
        try:
            return self.record.get(*import_key(import_id))
        except self.record.DoesNotExist:
            raise self.not_found() from None

    def report_lines(self, record: Any) -> Iterator[dict[str, Any]]:
        parts = self.parts(record.import_id)
        for part in range(int(record.report_parts)):
            yield from parts.report_part(part)

    def report(
        self,
        request: Any,
        import_id: str,
        summary: Callable[[Any], dict[str, Any]] = summary,
        shown: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] = lambda lines: lines,
    ) -> dict[str, Any]:
        """GET .../imports/{import_id}: the import's `summary`, then a page of its report (the
        lines `shown` as the service shows them) and the cursor of the next one."""
        from . import web

        status, limit, cursor = report_query(request)
        record = self.get(import_id)
        lines, next_line = report_page(
            self.parts(record.import_id).report_part,
            int(record.report_parts),
            language=web.language(request),
            status=status,
            limit=limit,
            cursor=cursor,
        )
        return {
            **summary(record),
            "items": shown(lines),
            "next_cursor": str(next_line) if next_line is not None else None,
        }

    def run(
        self,
        import_id: str,
        *,
        now: datetime,
        deadline: Callable[[], bool],
        apply: Callable[[Any, bytes], list[Any]],
        follow: Callable[[Any, Callable[[], bool]], bool] | None = None,
    ) -> bool:
        """Apply a queued file (`apply(record, content)`: the outcomes, each with `as_stored()`
        and `status`), write its report, then its follow-up if any; True once done."""
        from aws_lambda_powertools import Logger

        if not self._lease(import_id, now=now):
            return False
        record = self.get(import_id)
        if record.status in ("queued", "importing"):
            self._set(record, status="importing")
            outcomes = apply(record, self.parts(import_id).file(int(record.file_parts)))
            report_parts = self.parts(import_id).keep_report(
                [outcome.as_stored() for outcome in outcomes], expires=int(record.expires_at_epoch)
            )
            found = counts(outcomes)
            self._set(
                record,
                status=self.follow_up or record.status,
                report_parts=report_parts,
                rows=len(outcomes),
                **found,
            )
            Logger(child=True).info(
                f"{self.what} file applied", extra={"import_id": import_id, "counts": found}
            )
        if follow is not None and record.status == self.follow_up and not follow(record, deadline):
            record.update(actions=[self.record.lease_until.remove()])
            return False
        model = self.record
        actions = [model.lease_until.remove(), *self.queue.leave(record)]
        if record.status != "done":
            actions += [model.status.set("done"), model.finished_at.set(now)]
        record.update(actions=actions)
        self.queue.left(record)
        Logger(child=True).info(f"{self.what} file done", extra={"import_id": import_id})
        return True

    def run_queued(
        self,
        *,
        now: datetime,
        stop: Callable[[], bool],
        apply: Callable[[Any, bytes], list[Any]],
        follow: Callable[[Any, Callable[[], bool]], bool] | None = None,
    ) -> int:
        """Run the queued imports (`run`), oldest first, until `stop` says the Lambda's time is
        running out; how many were done."""
        done = 0
        for import_id in self.queue.waiting():
            if stop():
                break
            done += self.run(import_id, now=now, deadline=stop, apply=apply, follow=follow)
        return done

    def _lease(self, import_id: str, *, now: datetime) -> bool:
        from pynamodb.exceptions import UpdateError

        moment = int(now.timestamp())
        model = self.record
        try:
            model(*import_key(import_id)).update(
                actions=[model.lease_until.set(moment + LEASE_SECONDS)],
                condition=model.pk.exists()
                & (model.lease_until.does_not_exist() | (model.lease_until <= moment)),
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False  # another run holds it
        return True

    def _set(self, record: Any, **values: Any) -> None:
        record.update(actions=[getattr(self.record, name).set(value) for name, value in values.items()])
