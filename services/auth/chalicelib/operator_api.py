"""Operator routes of the auth service (`/auth/operator/...`): the provider's systems bringing
their customers in (customer_import.py).

Each route takes an operator token with the `customers:write` scope (guichet_contracts
.operator_tokens: the auth service's key, the operator audience), never a customer's access
token; every write is logged with the operator's `sub`. The answers name which customers exist
(an email taken, a customer id): they are the provider's, never shown to a customer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint, Response
from guichet_contracts import import_files, web
from guichet_contracts.operator_tokens import OperatorTokenVerifier

from .settings import settings

operator_api = Blueprint(__name__)
operators = OperatorTokenVerifier.from_settings(settings)
SCOPE = "customers:write"
FILE_TYPES = import_files.FILE_TYPES


def _now() -> datetime:
    return datetime.now(UTC)


def _operator() -> str:
    return operators.operator(operator_api.current_request, SCOPE).operator_id


@operator_api.route("/operator/customers/{external_id}", methods=["PUT"])
def put_customer(external_id: str) -> Response:
    from . import customer_import, schemas

    operator = _operator()
    body = schemas.parse(schemas.OperatorCustomer, web.json_object(operator_api.current_request))
    outcome, account = customer_import.put_one(external_id, body, now=_now())
    customer_import.logger.info(
        "operator put a customer",
        extra={"operator": operator, "customer_id": account.customer_id, "result": outcome.status},
    )
    answer = {**customer_import.as_customer(account), "result": outcome.status}
    return Response(body=answer, status_code=201 if outcome.status == "created" else 200)


@operator_api.route("/operator/customers/{external_id}", methods=["GET"])
def get_customer(external_id: str) -> dict[str, Any]:
    from . import customer_import

    _operator()
    return customer_import.as_customer(customer_import.get_by_external_id(external_id))


@operator_api.route("/operator/customers/imports", methods=["POST"], content_types=FILE_TYPES)
def submit_import() -> Response:
    from . import customer_import

    operator = _operator()
    kind, content = import_files.sent_file(operator_api.current_request)
    submitted = customer_import.submit(content, kind, operator=operator, now=_now())
    return Response(body=customer_import.summary(submitted), status_code=202)


@operator_api.route("/operator/customers/imports/{import_id}", methods=["GET"])
def import_report(import_id: str) -> dict[str, Any]:
    from . import customer_import

    _operator()
    return customer_import.JOB.report(operator_api.current_request, import_id, customer_import.summary)


# --- recovery cases (recovery.py) ------------------------------------------------------------

_CASE_ID = re.compile(r"[0-9a-f]{32}")


def _case_id(case_id: str) -> str:
    from .errors import NotFound

    if not _CASE_ID.fullmatch(case_id):
        raise NotFound()
    return case_id


@operator_api.route("/operator/recovery-cases", methods=["GET"])
def recovery_cases() -> dict[str, Any]:
    from . import recovery

    _operator()
    return {"items": [recovery.as_dict(case) for case in recovery.open_cases()], "next_cursor": None}


@operator_api.route("/operator/recovery-cases/{case_id}", methods=["GET"])
def recovery_case(case_id: str) -> dict[str, Any]:
    from . import recovery

    _operator()
    return recovery.as_dict(recovery.get(_case_id(case_id)))


@operator_api.route("/operator/recovery-cases/{case_id}/approve", methods=["POST"])
def approve_recovery(case_id: str) -> dict[str, Any]:
    from . import recovery, schemas

    operator = _operator()
    body = schemas.parse(schemas.RecoveryApproval, web.json_object(operator_api.current_request))
    return recovery.as_dict(
        recovery.approve(_case_id(case_id), body.new_email, operator=operator, now=_now())
    )


@operator_api.route("/operator/recovery-cases/{case_id}/refuse", methods=["POST"])
def refuse_recovery(case_id: str) -> dict[str, Any]:
    from . import recovery, schemas

    operator = _operator()
    body = schemas.parse(schemas.RecoveryRefusal, web.json_object(operator_api.current_request))
    return recovery.as_dict(recovery.refuse(_case_id(case_id), body.reason, operator=operator, now=_now()))
