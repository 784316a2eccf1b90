"""The OpenAPI 3.1 document of the consumption API, served at GET /consumption/openapi.json."""

from __future__ import annotations

from typing import Any

from guichet_contracts import openapi
from guichet_contracts.openapi import DAY, ERROR, Route, list_of, one_of

from . import responses, schemas
from .series import STEPS

SCOPE = "readings:write"  # what an operator token must allow on the operator routes

# the answers' schemas, generated from the response models
_SCHEMAS: dict[str, Any] = openapi.response_schemas(*responses.ANSWERS)

ROUTES = [
    Route("GET", "/health", "Service health", protected=False, responses={200: "Health"}),
    Route("GET", "/openapi.json", "This document", protected=False, responses={200: None}),
    Route("GET", "/meters", "The customer's meters", responses={200: list_of("Meter")}),
    Route(
        "GET",
        "/meters/{meter_id}/series",
        "Readings at a step: half_hour and hour (≤ 366 days), day, month; day and month points "
        "with their cost; compare=previous_year: the same period a year earlier (day and month)",
        query=(("from", DAY), ("to", DAY), ("step", one_of(*STEPS)), ("compare", one_of("previous_year"))),
        responses={200: "Series", 404: ERROR, 422: ERROR},
    ),
    Route(
        "GET",
        "/meters/{meter_id}/summary",
        "A year month by month, each with its cost and the same month a year earlier, with the "
        "previous year's total",
        query=(("year", {"type": "integer", "minimum": 2000}),),
        responses={200: "Summary", 404: ERROR, 422: ERROR},
    ),
    Route(
        "GET",
        "/meters/{meter_id}/export.csv",
        "The half-hours of a period (≤ 366 days) as CSV",
        query=(("from", DAY), ("to", DAY)),
        responses={200: None, 404: ERROR, 422: ERROR},
    ),
    Route("GET", "/battery", "The virtual battery", responses={200: "Battery", 404: ERROR}),
    Route("GET", "/surplus", "The surplus sold and the kitty", responses={200: "Surplus", 404: ERROR}),
    Route(
        "GET",
        "/usage",
        "A mobile line's allowances in its current period (from its billing day)",
        query=("subscription_id",),
        responses={200: "Usage", 404: ERROR},
    ),
    # operator routes: an operator token with the readings:write scope (403 without it)
    Route(
        "POST",
        "/operator/readings",
        "Operator: a batch of meter readings (a meter file's rows as JSON items), answered item by "
        "item (accepted, duplicate, rejected with its fields); the same batch twice changes nothing",
        body="ReadingsBatch",
        operator_scope=SCOPE,
        responses={200: "ReadingsReceived", 400: ERROR, 403: ERROR, 413: ERROR, 422: ERROR},
    ),
    Route(
        "GET",
        "/operator/meters/{meter_id}/readings",
        "Operator: the half-hours a point of delivery (the readings' meter_id) holds from one day to "
        "another (31 days at most), by file or by batch",
        query=(("from", DAY), ("to", DAY)),
        operator_scope=SCOPE,
        responses={200: "ReadingsHeld", 403: ERROR, 404: ERROR, 422: ERROR},
    ),
]


def document() -> dict[str, Any]:
    built = openapi.document(service="consumption", routes=ROUTES, components=_SCHEMAS, schemas=schemas)
    # a summary's year is at most next year (api._year), which depends on the day
    from .api import _today

    summary = built["paths"]["/consumption/meters/{meter_id}/summary"]["get"]
    year = next(parameter for parameter in summary["parameters"] if parameter["name"] == "year")
    year["schema"]["anyOf"][0]["maximum"] = _today().year + 1
    # the export is the one answer that is not JSON
    export = built["paths"]["/consumption/meters/{meter_id}/export.csv"]["get"]["responses"]["200"]
    export["description"] = "The half-hours read: start,end,consumption_<unit>[,injection_<unit>][,period]"
    export["content"] = {"text/csv": {"schema": {"type": "string"}}}
    return built
