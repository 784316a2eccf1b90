"""Operator routes bringing the provider's contracts in (contract_import.py), and the job applying
their files. Each route takes an operator token with the `subscriptions:write` scope, never a
customer's access token; every write is logged with the operator's `sub`.

- PUT / GET /subscriptions/operator/customers/{customer_id}/subscriptions/{external_id}: one
  contract by the provider's id, created, updated or left as it is;
- POST /subscriptions/operator/subscriptions/imports: a contracts file (CSV or JSON Lines), kept
  and applied by the `apply_contract_imports` job; GET .../imports/{import_id}: its report.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from chalice import Blueprint, Rate, Response
from guichet_contracts import events, import_files, web

from .operator_api import SCOPE, logger, operators
from .settings import settings

contract_import_api = Blueprint(__name__)
_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


def _now() -> datetime:
    return datetime.now(UTC)


def _today(now: datetime) -> date:
    return now.astimezone(settings.timezone).date()


def _operator() -> str:
    return operators.operator(contract_import_api.current_request, SCOPE).operator_id


def _ids(customer_id: str, external_id: str) -> tuple[str, str]:
    """Ids of the path: one that cannot name a contract is a 404 like an unknown one."""
    from .errors import NotFound
    from .schemas import EXTERNAL_ID

    if not (_ID.fullmatch(customer_id) and re.fullmatch(EXTERNAL_ID, external_id)):
        raise NotFound()
    return customer_id, external_id


@contract_import_api.route("/operator/customers/{customer_id}/subscriptions/{external_id}", methods=["PUT"])
def put_contract(customer_id: str, external_id: str) -> Response:
    from . import contract_import, schemas

    operator = _operator()
    customer_id, external_id = _ids(customer_id, external_id)
    request = contract_import_api.current_request
    body = schemas.parse(schemas.ContractTerms, web.json_object(request))
    now = _now()
    today = _today(now)
    outcome, subscription = contract_import.put_one(customer_id, external_id, body, now=now, today=today)
    logger.info(
        "operator put a contract",
        extra={
            "operator": operator,
            "customer_id": customer_id,
            "subscription_id": subscription.subscription_id,
            "result": outcome.status,
        },
    )
    answer = {**contract_import.as_operator(subscription), "result": outcome.status}
    return Response(body=answer, status_code=201 if outcome.status == "created" else 200)


@contract_import_api.route("/operator/customers/{customer_id}/subscriptions/{external_id}", methods=["GET"])
def get_contract(customer_id: str, external_id: str) -> dict[str, Any]:
    from . import contract_import

    _operator()
    return contract_import.as_operator(contract_import.get_one(*_ids(customer_id, external_id)))


@contract_import_api.route(
    "/operator/subscriptions/imports", methods=["POST"], content_types=import_files.FILE_TYPES
)
def submit_import() -> Response:
    from . import contract_import

    operator = _operator()
    kind, content = import_files.sent_file(contract_import_api.current_request)
    now = _now()
    submitted = contract_import.submit(content, kind, operator=operator, now=now, today=_today(now))
    return Response(body=import_files.summary(submitted), status_code=202)


@contract_import_api.route("/operator/subscriptions/imports/{import_id}", methods=["GET"])
def import_report(import_id: str) -> dict[str, Any]:
    from . import contract_import

    _operator()
    return contract_import.JOB.report(contract_import_api.current_request, import_id)


RUN_SECONDS = import_files.RUN_SECONDS  # of the 15 minutes a Lambda may run (.chalice/config.json)


@contract_import_api.schedule(Rate(1, unit=Rate.MINUTES), name="apply_contract_imports")
def apply_contract_imports(event: Any) -> dict[str, int]:
    """Applies the contracts files operators submitted, oldest first, for at most RUN_SECONDS;
    what is left goes on at the next run."""
    import time

    from . import contract_import

    now = events.scheduled_time(event)
    stop_at = time.monotonic() + RUN_SECONDS
    done = contract_import.run_queued(now=now, today=_today(now), stop=lambda: time.monotonic() >= stop_at)
    return {"done": done}
