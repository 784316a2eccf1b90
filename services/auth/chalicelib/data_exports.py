"""A copy of the customer's data, as a ZIP linked by mail (GDPR articles 15 and 20).

POST /me/data-exports records the export (`preparing`) and publishes DataExportRequested; every
service writes its part under `exports/<export_id>/<service>/` of the exports bucket (this one
too, in its own handler) and says so (SubscriptionsDataExported, InvoicesDataExported,
ConsumptionDataExported). The part that completes the four assembles one ZIP, streamed from the
parts into a multipart upload (never the whole in memory), marks the export `ready` and mails a
link valid `LINK_HOURS`; GET /me/data-exports/{id} says where it stands, with a link while it is
valid. Only the owner sees an export: it lives in the customer's partition.

One export at a time (the `ExportSlot`, freed when the ZIP is ready or after `SLOT_SECONDS`),
`PER_DAY` a day at most. The bucket forgets every object after two days (its lifecycle rule).
"""

from __future__ import annotations

import io
import re
import shutil
import uuid
import zipfile
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import events, personal_data
from guichet_contracts.errors import Conflict, NotFound, TooManyAttempts
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from . import emails
from .models import Account, DataExport, ExportSlot, account_key
from .settings import settings

logger = Logger(child=True)

SERVICES = ("auth", "subscriptions", "invoices", "consumption")
LINK_HOURS = 24  # a mailed link works this long (the objects themselves live two days)
SLOT_SECONDS = 3600  # an export whose parts never all came frees the slot after this
PER_DAY = 3
KEPT_DAYS = 30  # the record of an export (no data in it) is kept this long
PART_SIZE = 8 * 1024 * 1024  # multipart upload parts (S3's minimum is 5 MiB, the last one apart)
_EXPORT_ID = re.compile(r"^ex_[0-9a-f]{32}$")


class ExportInProgress(Conflict):
    code = "export_in_progress"


class TooManyExports(TooManyAttempts):
    code = "too_many_exports"


def request(customer_id: str, *, now: datetime) -> DataExport:
    """Record a new export and ask every service for its part."""
    from guichet_contracts.domain_events.auth import DataExportRequested

    day_ago = now - timedelta(days=1)
    recent = [
        export
        for export in DataExport.query(f"CUSTOMER#{customer_id}", DataExport.sk.startswith("EXPORT#"))
        if export.requested_at > day_ago
    ]
    if len(recent) >= PER_DAY:
        oldest = min(export.requested_at for export in recent)
        raise TooManyExports(int((oldest + timedelta(days=1) - now).total_seconds()))
    export_id = f"ex_{uuid.uuid4().hex}"
    epoch = int(now.timestamp())
    try:
        ExportSlot(
            f"CUSTOMER#{customer_id}",
            "EXPORT_SLOT",
            export_id=export_id,
            until=epoch + SLOT_SECONDS,
            expires_at_epoch=epoch + SLOT_SECONDS,
        ).save(condition=ExportSlot.pk.does_not_exist() | (ExportSlot.until < epoch))
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise ExportInProgress() from None
    export = DataExport(
        f"CUSTOMER#{customer_id}",
        f"EXPORT#{export_id}",
        export_id=export_id,
        customer_id=customer_id,
        status="preparing",
        requested_at=now,
        expires_at_epoch=epoch + KEPT_DAYS * 86400,
    )
    export.save()
    events.publish(
        DataExportRequested(export_id=export_id, customer_id=customer_id), bus_name=settings.event_bus_name
    )
    logger.info("data export requested", extra={"customer_id": customer_id, "export_id": export_id})
    return export


def get(customer_id: str, export_id: str) -> DataExport:
    """The customer's export; another customer's answers exactly like a missing one."""
    if not _EXPORT_ID.match(export_id):
        raise NotFound()
    try:
        return DataExport.get(f"CUSTOMER#{customer_id}", f"EXPORT#{export_id}")
    except DoesNotExist:
        raise NotFound() from None


def as_dict(export: DataExport, *, now: datetime) -> dict[str, Any]:
    """An export as the API shows it: its link while the link may be given (LINK_HOURS after it
    was ready), signed for what is left of that time."""
    from .accounts import iso

    link = link_expires_at = None
    if export.status == "ready" and export.ready_at is not None and export.zip_key:
        ends = export.ready_at + timedelta(hours=LINK_HOURS)
        if ends > now:
            link = presigned(export.zip_key, seconds=int((ends - now).total_seconds()))
            link_expires_at = iso(ends)
    return {
        "export_id": export.export_id,
        "status": "expired" if export.status == "ready" and link is None else export.status,
        "requested_at": iso(export.requested_at),
        "ready_at": iso(export.ready_at) if export.ready_at else None,
        "download_url": link,
        "download_expires_at": link_expires_at,
    }


_client: Any = None


def _s3() -> Any:
    global _client
    if _client is None:
        import boto3

        _client = boto3.client("s3")
    return _client


def presigned(key: str, *, seconds: int) -> str:
    """A GET link to `key` valid `seconds` (at most LINK_HOURS)."""
    seconds = max(1, min(seconds, LINK_HOURS * 3600))
    return str(
        _s3().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": settings.exports_bucket,
                "Key": key,
                "ResponseContentDisposition": 'attachment; filename="my-data.zip"',
            },
            ExpiresIn=seconds,
        )
    )


def part_written(export_id: str, customer_id: str, service: str, keys: list[str], *, now: datetime) -> bool:
    """A service wrote its part: record it, and when it completes the four, assemble the ZIP and
    mail the link. True when this call made the export ready. A repeated part changes nothing."""
    prefix = personal_data.part_prefix(export_id, service)
    if service not in SERVICES or any(not key.startswith(prefix) for key in keys):
        raise events.InvalidEvent(f"the part of {service} must be under {prefix}")
    try:
        export = DataExport(f"CUSTOMER#{customer_id}", f"EXPORT#{export_id}")
        export.update(actions=[DataExport.parts.add({service})], condition=DataExport.pk.exists())
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        logger.warning("part of an unknown export", extra={"export_id": export_id, "service": service})
        return False
    if export.status != "preparing" or set(export.parts or ()) != set(SERVICES):
        return False
    if _closed(customer_id):  # closed meanwhile: the parts go, no ZIP is made
        delete_files(export_id)
        return False
    zip_key = assemble(export_id, customer_id)
    try:
        export.update(
            actions=[
                DataExport.status.set("ready"),
                DataExport.zip_key.set(zip_key),
                DataExport.ready_at.set(now),
            ],
            condition=DataExport.status == "preparing",
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False  # a concurrent last part made it ready and mailed
    try:
        ExportSlot(f"CUSTOMER#{customer_id}", "EXPORT_SLOT").delete(
            condition=ExportSlot.export_id == export_id
        )
    except Exception:
        logger.info("export slot not freed", extra={"export_id": export_id})
    _mail_link(customer_id, export, zip_key)
    return True


def _closed(customer_id: str) -> bool:
    try:
        return Account.get(*account_key(customer_id)).status == "closed"
    except DoesNotExist:
        return True


def _mail_link(customer_id: str, export: DataExport, zip_key: str) -> None:
    from guichet_contracts import formatting

    try:
        account = Account.get(*account_key(customer_id))
    except DoesNotExist:
        return
    if account.status == "closed":
        return
    emails.send(
        "data_export_ready",
        to=account.email,
        language=account.language,
        first_name=account.first_name,
        customer_id=customer_id,
        download_url=presigned(zip_key, seconds=LINK_HOURS * 3600),
        hours=LINK_HOURS,
        page_url=emails.portal_link("/account"),
        requested_at=formatting.moment(export.requested_at, account.language),
    )


def zip_key_of(export_id: str) -> str:
    return f"{personal_data.EXPORTS_PREFIX}{export_id}/my-data-{export_id}.zip"


def part_keys(export_id: str) -> list[str]:
    """The keys of every part of the export (the ZIP apart), in order."""
    keys: list[str] = []
    for page in (
        _s3()
        .get_paginator("list_objects_v2")
        .paginate(Bucket=settings.exports_bucket, Prefix=f"{personal_data.EXPORTS_PREFIX}{export_id}/")
    ):
        keys.extend(entry["Key"] for entry in page.get("Contents", []))
    return sorted(key for key in keys if key != zip_key_of(export_id))


def assemble(export_id: str, customer_id: str) -> str:
    """The ZIP of every part, as `<service>/<file>`, streamed into a multipart upload; its key."""
    client = _s3()
    key = zip_key_of(export_id)
    prefix = f"{personal_data.EXPORTS_PREFIX}{export_id}/"
    with (
        _MultipartUpload(client, settings.exports_bucket, key) as upload,
        zipfile.ZipFile(upload, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        archive.writestr("README.txt", _readme(customer_id))
        for part_key in part_keys(export_id):
            body = client.get_object(Bucket=settings.exports_bucket, Key=part_key)["Body"]
            with archive.open(part_key.removeprefix(prefix), "w") as member:
                shutil.copyfileobj(body, member, 1024 * 1024)
    return key


def _readme(customer_id: str) -> str:
    return (
        f"Your data, customer ID {customer_id}.\n\n"
        "Each folder is what one part of the customer area keeps about you: auth (your account, "
        "logins, sessions, contacts), subscriptions (contracts, orders, appointments, documents), "
        "invoices (invoices and their PDFs, payments, bank details) and consumption (meters and "
        "readings). data.json holds every record; the CSV files hold the same records as tables.\n"
    )


def delete_files(export_id: str) -> int:
    """Delete the export's objects (its parts and ZIP); how many."""
    keys = [*part_keys(export_id), zip_key_of(export_id)]
    client = _s3()
    for start in range(0, len(keys), 1000):
        client.delete_objects(
            Bucket=settings.exports_bucket,
            Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]], "Quiet": True},
        )
    return len(keys)


class _MultipartUpload(io.RawIOBase):
    """A write-only stream into one S3 object: parts of PART_SIZE as they fill, completed on a
    clean exit, aborted on an error (S3 keeps no half object)."""

    def __init__(self, client: Any, bucket: str, key: str) -> None:
        super().__init__()
        self._client, self._bucket, self._key = client, bucket, key
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._upload_id: str | None = None
        self._written = 0

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._written

    def write(self, data: Any) -> int:
        view = bytes(data)
        self._buffer.extend(view)
        self._written += len(view)
        while len(self._buffer) >= PART_SIZE:
            self._send(bytes(self._buffer[:PART_SIZE]))
            del self._buffer[:PART_SIZE]
        return len(view)

    def _send(self, chunk: bytes) -> None:
        if self._upload_id is None:
            self._upload_id = self._client.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, ContentType="application/zip"
            )["UploadId"]
        number = len(self._parts) + 1
        answer = self._client.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=chunk
        )
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if kind is not None:
            if self._upload_id is not None:
                self._client.abort_multipart_upload(
                    Bucket=self._bucket, Key=self._key, UploadId=self._upload_id
                )
            return
        if self._upload_id is None:  # small: one plain put
            self._client.put_object(
                Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer), ContentType="application/zip"
            )
            return
        if self._buffer:
            self._send(bytes(self._buffer))
        self._client.complete_multipart_upload(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )
