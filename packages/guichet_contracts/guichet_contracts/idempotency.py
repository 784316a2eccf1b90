"""Idempotency-Key (API.md "Conventions"): a replay within 24 h answers what the first request
answered; the same key with another body is refused (422 `idempotency_key_reused`).

Built on Powertools' idempotency utility with the service's own table: the record key is the
customer id and the header (so keys are scoped to the customer), the stored payload hash is the
body's, records expire after 24 h (the table's TTL attribute), and a request that raised leaves
no record, so it can be sent again. A request that arrives while the first one with its key is
still running waits (up to 5 s) for that answer and replays it, else gets 409 with Retry-After.
Powertools is imported on the routes that use it only.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import ApiError, Conflict, ValidationFailed

if TYPE_CHECKING:
    from chalice.app import Request

HEADER = "idempotency-key"
RETENTION_SECONDS = 24 * 3600
WAIT_FOR_FIRST_SECONDS = 5.0
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class IdempotencyKeyRequired(ApiError):
    status = 400
    code = "idempotency_key_required"


class IdempotencyKeyReused(ValidationFailed):
    code = "idempotency_key_reused"


class RequestInProgress(Conflict):
    code = "request_in_progress"


def key_of(request: Request) -> str:
    key = request.headers.get(HEADER) or ""
    if not _KEY.match(key):
        raise IdempotencyKeyRequired()
    return key


class Idempotency:
    """Runs an action at most once per (customer, key) and replays its answer."""

    def __init__(self, *, table_name: str, name: str) -> None:
        self.table_name = table_name
        self.name = name
        self._store: Any = None

    def _persistence(self) -> Any:
        if self._store is None:
            from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

            from .retries import dynamodb_config

            self._store = DynamoDBPersistenceLayer(
                table_name=self.table_name,
                boto_config=dynamodb_config(),
                key_attr="pk",
                sort_key_attr="sk",
                static_pk_value=f"IDEMPOTENCY#{self.name}",
                expiry_attr="expires_at_epoch",
            )
        return self._store

    def run(
        self,
        *,
        customer_id: str,
        key: str,
        body: dict[str, Any],
        action: Callable[[], tuple[int, Any]],
        lambda_context: Any = None,
    ) -> tuple[int, Any]:
        """(status, body) of the first request with this key, running `action` only for that one."""
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyValidationError,
        )

        config = IdempotencyConfig(
            event_key_jmespath="[customer_id, key]",
            payload_validation_jmespath="body",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=RETENTION_SECONDS,
            hash_function="sha256",
            # with the invocation's context, a request whose Lambda died stops counting as in progress
            lambda_context=lambda_context,
        )

        @idempotent_function(
            data_keyword_argument="request",
            persistence_store=self._persistence(),
            config=config,
            key_prefix=self.name,
        )
        def once(request: dict[str, Any]) -> dict[str, Any]:
            status, answer = action()
            return {"status": status, "body": answer}

        request = {"customer_id": customer_id, "key": key, "body": body}
        deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
        while True:
            try:
                result = once(request=request)
                break
            except IdempotencyValidationError:
                raise IdempotencyKeyReused() from None
            except IdempotencyAlreadyInProgressError:
                # The first request with this key is still running: wait for its answer, then replay it.
                if time.monotonic() > deadline:
                    raise RequestInProgress(headers={"Retry-After": "1"}) from None
                time.sleep(0.05)
        return int(result["status"]), result["body"]
