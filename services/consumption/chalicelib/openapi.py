"""The OpenAPI 3.1 document of the consumption API, served at GET /consumption/openapi.json."""

from __future__ import annotations

from typing import Any

from guichet_contracts import openapi
from guichet_contracts.openapi import DAY, ERROR, STRING_OR_NULL, Route, list_of, one_of

from .series import STEPS

_NUMBER_OR_NULL = {"type": ["number", "null"]}
_HOURS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["start", "end"],
        "properties": {"start": {"type": "string"}, "end": {"type": "string"}},
    },
}
_POINT = {
    "type": "object",
    "required": ["start", "value", "peak", "off_peak", "injected"],
    "properties": {
        "start": {"type": "string", "format": "date-time"},
        "value": _NUMBER_OR_NULL,
        "peak": _NUMBER_OR_NULL,
        "off_peak": _NUMBER_OR_NULL,
        "injected": _NUMBER_OR_NULL,
        "complete": {"type": "boolean"},
    },
}
_SCHEMAS: dict[str, Any] = {
    "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
    "Meter": {
        "type": "object",
        "required": [
            "meter_id",
            "subscription_id",
            "kind",
            "unit",
            "pdl",
            "tariff_option",
            "off_peak_hours",
            "has_production",
        ],
        "properties": {
            "meter_id": {
                "type": "string",
                "description": (
                    "The subscription's own meter: E<subscription_id> for electricity (its readings "
                    "are the PDL's), M<subscription_id>-<unit> for a mobile line's allowance"
                ),
            },
            "subscription_id": {"type": "string"},
            "kind": {"enum": ["electricity", "mobile"]},
            "unit": {"type": "string"},
            "pdl": {**STRING_OR_NULL, "description": "The point of delivery the meter reads (electricity)"},
            "tariff_option": {**STRING_OR_NULL, "description": "The tariff option in force today"},
            "off_peak_hours": _HOURS,
            "has_production": {"type": "boolean"},
            "offer": STRING_OR_NULL,
            "status": {"enum": ["active", "closed"]},
            "active_from": {"type": "string", "format": "date", "description": "Its first own day"},
            "closed_on": {
                "type": ["string", "null"],
                "format": "date",
                "description": "Its last own day: the subscription ended, or a newer one of its PDL started",
            },
        },
    },
    "Series": {
        "type": "object",
        "required": ["unit", "step", "points", "totals"],
        "properties": {
            "meter_id": {"type": "string"},
            "unit": {"type": "string"},
            "step": {"enum": ["half_hour", "hour", "day", "month"]},
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "points": {"type": "array", "items": _POINT},
            "totals": {
                "type": "object",
                "required": ["consumed", "peak", "off_peak", "injected"],
                "properties": {
                    name: {"type": "number"} for name in ("consumed", "peak", "off_peak", "injected")
                },
            },
        },
    },
    "Summary": {
        "type": "object",
        "required": ["months", "total", "previous_year_total"],
        "properties": {
            "meter_id": {"type": "string"},
            "unit": {"type": "string"},
            "year": {"type": "integer"},
            "months": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["month", "consumed", "peak", "off_peak", "injected", "estimated"],
                    "properties": {
                        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                        "consumed": _NUMBER_OR_NULL,
                        "peak": _NUMBER_OR_NULL,
                        "off_peak": _NUMBER_OR_NULL,
                        "injected": _NUMBER_OR_NULL,
                        "estimated": {"type": "boolean"},
                    },
                },
            },
            "total": {"type": "number"},
            "previous_year_total": _NUMBER_OR_NULL,
        },
    },
    "Battery": {
        "type": "object",
        "required": ["capacity_kwh", "level_kwh", "months"],
        "properties": {
            "meter_id": {"type": "string"},
            "capacity_kwh": {"type": "number"},
            "level_kwh": {"type": "number"},
            "months": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["month", "stored_kwh", "restored_kwh", "level_kwh"],
                    "properties": {
                        "month": {"type": "string"},
                        "stored_kwh": {"type": "number"},
                        "restored_kwh": {"type": "number"},
                        "level_kwh": {"type": "number"},
                    },
                },
            },
        },
    },
    "Surplus": {
        "type": "object",
        "required": ["kitty_cents", "paid_out_cents", "currency", "months"],
        "properties": {
            "meter_id": {"type": "string"},
            "kitty_cents": {"type": "integer", "description": "credited by the closes, not yet paid out"},
            "paid_out_cents": {"type": "integer", "description": "paid out to the customer so far"},
            "currency": {"type": "string"},
            "rate_cents_per_kwh": {"type": "number"},
            "months": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["month", "injected_kwh", "rate_cents_per_kwh", "credited_cents"],
                    "properties": {
                        "month": {"type": "string"},
                        "injected_kwh": {"type": "number"},
                        "rate_cents_per_kwh": {"type": "number"},
                        "credited_cents": {"type": "integer"},
                        "paid_out_on": {"type": ["string", "null"], "format": "date"},
                    },
                },
            },
        },
    },
    "Usage": {
        "type": "object",
        "required": ["period", "period_start", "period_end", "allowances", "out_of_plan_cents"],
        "properties": {
            "subscription_id": {"type": "string"},
            "period": {
                "type": "string",
                "pattern": "^[0-9]{4}-[0-9]{2}$",
                "description": "The month the current allowance period starts in",
            },
            "period_start": {
                "type": "string",
                "format": "date",
                "description": "The current allowance period's first day (the line's billing day)",
            },
            "period_end": {
                "type": "string",
                "format": "date",
                "description": "The first day of the next period: the period is [period_start, period_end)",
            },
            "allowances": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["unit", "included", "used", "remaining"],
                    "properties": {
                        "unit": {"type": "string"},
                        "included": _NUMBER_OR_NULL,
                        "used": {"type": "number"},
                        "remaining": _NUMBER_OR_NULL,
                    },
                },
            },
            "out_of_plan_cents": {"type": "integer"},
            "currency": {"type": "string"},
            "lines": {"type": "array", "items": {"type": "string"}},
        },
    },
}


ROUTES = [
    Route("GET", "/health", "Service health", protected=False, responses={200: "Health"}),
    Route("GET", "/openapi.json", "This document", protected=False, responses={200: None}),
    Route("GET", "/meters", "The customer's meters", responses={200: list_of("Meter")}),
    Route(
        "GET",
        "/meters/{meter_id}/series",
        "Readings at a step: half_hour and hour (≤ 366 days), day, month",
        query=(("from", DAY), ("to", DAY), ("step", one_of(*STEPS))),
        responses={200: "Series", 404: ERROR, 422: ERROR},
    ),
    Route(
        "GET",
        "/meters/{meter_id}/summary",
        "A year month by month, with the previous year's total",
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
]


def document() -> dict[str, Any]:
    built = openapi.document(service="consumption", routes=ROUTES, components=_SCHEMAS, schemas=None)
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
