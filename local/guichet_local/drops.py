"""Meter files dropped in the consumption service's ingest bucket (`make ingest`).

On AWS a meter data provider puts a CSV file under `readings/` in the ingest bucket; S3 sends
an "Object Created" event to the default EventBridge bus, whose rule runs the service's
`meter_readings_dropped` handler, which leaves its report under `reports/<name>.json`.
moto stores the object but sends no event, so `MeterDrop` does what S3 would: it puts the file,
then puts on the default bus the event S3 sends. The event then goes the way every event goes
locally (`events.EventRouter`): the handlers whose patterns match get it, with retries. Once
every event is handled, the report is read back and returned.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

from .events import ACCOUNT_ID, EventRouter

SERVICE = "consumption"
BUCKET_VARIABLE = "CONSUMPTION_INGEST_BUCKET"
READINGS_PREFIX = "readings/"
REPORTS_PREFIX = "reports/"
# Long enough for a large file and the retries of a failing handler (events.MAX_ATTEMPTS).
TIMEOUT_SECONDS = 600.0
# A file name, and a key S3 would not URL-encode in its event: nothing to escape anywhere.
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")

Answer = tuple[int, dict[str, Any]]


def valid_file_name(name: str) -> bool:
    return bool(_FILE_NAME.match(name)) and ".." not in name


def report_key(key: str) -> str:
    """Where the service leaves its report on `readings/<name>`: `reports/<name>.json`."""
    return REPORTS_PREFIX + key.removeprefix(READINGS_PREFIX) + ".json"


def object_created_entry(bucket: str, key: str, size: int, etag: str, account: str = ACCOUNT_ID) -> dict:
    """The PutEvents entry of what S3 sends EventBridge when an object is put (the bucket has
    `EventBridgeEnabled`): source `aws.s3`, detail-type `Object Created`."""
    return {
        "Source": "aws.s3",
        "DetailType": "Object Created",
        "Resources": [f"arn:aws:s3:::{bucket}"],
        "Detail": json.dumps(
            {
                "version": "0",
                "bucket": {"name": bucket},
                "object": {
                    "key": key,
                    "size": size,
                    "etag": etag.strip('"'),
                    "sequencer": uuid.uuid4().hex[:18].upper(),
                },
                "request-id": uuid.uuid4().hex[:16].upper(),
                "requester": account,
                "source-ip-address": "127.0.0.1",
                "reason": "PutObject",
            }
        ),
    }


def _error(status: int, code: str, message: str) -> Answer:
    return status, {"error": {"code": code, "message": message}}


class MeterDrop:
    """Drops meter files in the ingest bucket of the runtime's moto, one at a time."""

    def __init__(
        self,
        bucket: str,
        events: EventRouter,
        log_file: Path,
        *,
        s3: Any = None,
        settle: Callable[[float], bool] | None = None,
    ) -> None:
        import boto3

        self.bucket = bucket
        self._router = events
        # how to wait until every event is handled (under a controlled clock: deliver them now)
        self._settle = settle or events.wait_until_idle
        self._log_file = log_file
        self._s3 = s3 or boto3.client("s3")
        self._events = boto3.client("events")
        # One file at a time: a report read back is the one of the file just dropped.
        self._lock = threading.Lock()

    def ingest(self, name: str, content: bytes, timeout: float = TIMEOUT_SECONDS) -> Answer:
        """Drop `content` as `readings/<name>`: (HTTP status, the service's report or an error)."""
        if not valid_file_name(name):
            return _error(
                HTTPStatus.BAD_REQUEST,
                "malformed_request",
                f"{name!r} is not a file name: letters, digits, '.', '_' and '-', 200 at most.",
            )
        key = READINGS_PREFIX + name
        with self._lock:
            # A report left by an earlier drop of the same name must not pass for this one's.
            self._s3.delete_object(Bucket=self.bucket, Key=report_key(key))
            stored = self._s3.put_object(Bucket=self.bucket, Key=key, Body=content, ContentType="text/csv")
            sent = self._events.put_events(
                Entries=[object_created_entry(self.bucket, key, len(content), stored["ETag"])]
            )
            if sent["FailedEntryCount"]:
                failure = sent["Entries"][0]
                return _error(
                    HTTPStatus.INTERNAL_SERVER_ERROR,
                    "not_handled",
                    f"EventBridge refused the event of {key}: {failure.get('ErrorMessage')}",
                )
            if not self._settle(timeout):
                return _error(
                    HTTPStatus.GATEWAY_TIMEOUT,
                    "timeout",
                    f"{key} is still being handled after {timeout:.0f} s; its report will be "
                    f"{report_key(key)}. Log: {self._log_file}",
                )
            return self._report(key)

    def _report(self, key: str) -> Answer:
        try:
            stored = self._s3.get_object(Bucket=self.bucket, Key=report_key(key))
        except self._s3.exceptions.NoSuchKey:
            return _error(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                "not_handled",
                f"The {SERVICE} service left no report on {key}: its handler failed or did not "
                f"run. Log: {self._log_file}",
            )
        try:
            report = json.loads(stored["Body"].read())
        except ValueError:
            report = None
        if not isinstance(report, dict):
            return _error(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                "not_handled",
                f"The report {report_key(key)} is not a JSON object.",
            )
        return HTTPStatus.OK, report
