"""Operator routes of the consumption service (`/consumption/operator/...`): the provider's systems.

Each route takes an operator token with the `readings:write` scope (guichet_contracts
.operator_tokens: the auth service's key, the operator audience), never a customer's access
token; every batch is logged with the operator's `sub` (a machine client's id).

- a batch of meter readings, taken as a dropped meter file's rows are (chalicelib/batches.py);
- the half-hours a point holds over some days (at most 31), for the provider to check what was
  received (a point no meter reads is a 404).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint
from guichet_contracts import web
from guichet_contracts.operator_tokens import OperatorTokenVerifier
from guichet_contracts.words import render

from .settings import settings

operator_api = Blueprint(__name__)
operators = OperatorTokenVerifier.from_settings(settings)
SCOPE = "readings:write"


def _now() -> datetime:
    return datetime.now(UTC)


def _operator() -> str:
    return operators.operator(operator_api.current_request, SCOPE).operator_id


@operator_api.route("/operator/readings", methods=["POST"])
def readings_received() -> dict[str, Any]:
    from . import batches, schemas
    from .errors import PayloadTooLarge

    operator = _operator()
    request = operator_api.current_request
    if len(request.raw_body or b"") > batches.MAX_BODY_BYTES:
        raise PayloadTooLarge()
    body = schemas.parse(schemas.ReadingsBatch, web.json_object(request))
    answer = batches.receive(body.readings, operator=operator, now=_now())
    language = web.language(request)
    for item in answer["items"]:
        if "fields" in item:
            item["fields"] = {name: render(problem, language) for name, problem in item["fields"].items()}
    return answer


@operator_api.route("/operator/meters/{meter_id}/readings", methods=["GET"])
def readings_held(meter_id: str) -> dict[str, Any]:
    from guichet_contracts.words import Phrase

    from . import readings
    from .api import _day
    from .errors import NotFound, RangeTooLong, ValidationFailed

    _operator()
    first, last = _day("from"), _day("to")
    if first is None or last is None:
        given = (("from", first), ("to", last))
        raise ValidationFailed(fields={name: Phrase("field.missing") for name, day in given if day is None})
    if last < first:
        raise ValidationFailed(fields={"to": Phrase("field.not_before_from")})
    if (last - first).days >= readings.MAX_RECEIVED_DAYS:
        raise RangeTooLong(
            fields={"to": Phrase("field.at_most_days_after_from", days=readings.MAX_RECEIVED_DAYS - 1)}
        )
    found = readings.received(meter_id, first, last)
    if found is None:
        raise NotFound()
    return found
