"""The OpenAPI 3.1 document of the subscriptions API, served at GET /subscriptions/openapi.json."""

from __future__ import annotations

from typing import Any

from guichet_contracts import openapi
from guichet_contracts.openapi import DAY, ERROR, PAGE_LIMIT, STRING_OR_NULL, Route, list_of, one_of

from . import schemas
from .orders import STATUSES as ORDER_STATUSES
from .subscriptions import FAMILIES, STATUSES

OPERATOR_SCOPE = "subscriptions:write"  # what an operator token must allow on the operator routes

_DAY = {"type": ["string", "null"], "format": "date"}
_MONEY = {"type": "integer"}
_SCHEMAS: dict[str, Any] = {
    "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
    "Product": {
        "type": "object",
        "required": [
            "product_id",
            "family",
            "name",
            "description",
            "price_cents",
            "currency",
            "billing_period",
            "commitment_months",
        ],
        "properties": {
            "product_id": {"type": "string"},
            "family": {"enum": ["domain", "website", "hosting", "internet", "mobile", "electricity"]},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "price_cents": _MONEY,
            "currency": {"type": "string"},
            "billing_period": {"enum": ["month", "year"]},
            "commitment_months": {"type": "integer"},
        },
    },
    "Catalog": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}}},
    },
    "Subscription": {
        "type": "object",
        "required": [
            "subscription_id",
            "dossier_number",
            "product_id",
            "family",
            "name",
            "label",
            "status",
            "remarks",
            "started_on",
            "renews_on",
            "auto_renew",
            "price_cents",
            "currency",
            "billing_period",
        ],
        "properties": {
            "subscription_id": {"type": "string"},
            "dossier_number": {"type": "string"},
            "product_id": {"type": "string"},
            "family": {"type": "string"},
            "name": {"type": "string"},
            "label": {"type": "string"},
            "status": {
                "enum": [
                    "pending_confirmation",
                    "to_configure",
                    "active",
                    "suspended",
                    "expired",
                    "cancelled",
                ]
            },
            "remarks": STRING_OR_NULL,
            "started_on": _DAY,
            "renews_on": {"type": "string", "format": "date"},
            "auto_renew": {"type": "boolean"},
            "price_cents": _MONEY,
            "currency": {"type": "string"},
            "billing_period": {"enum": ["month", "year"]},
            "commitment_months": {"type": "integer"},
            "cancel_at": _DAY,
            "contract": {"$ref": "#/components/schemas/Contract"},
            "settings": {"type": "object"},
            "options": {"type": "object"},
        },
    },
    "Contract": {
        "type": "object",
        "required": [
            "contract_number",
            "offer",
            "payment_mode",
            "pdl",
            "off_peak_hours",
            "subscribed_power_kva",
        ],
        "properties": {
            "contract_number": {"type": "string"},
            "offer": STRING_OR_NULL,
            "payment_mode": {"enum": ["monthly", "per_invoice"]},
            "pdl": STRING_OR_NULL,
            "off_peak_hours": {"type": ["array", "null"]},
            "subscribed_power_kva": {"type": ["integer", "null"]},
        },
    },
    "Dashboard": {
        "type": "object",
        "required": ["expiring_soon", "to_configure", "orders_in_progress"],
        "properties": {
            "expiring_soon": {"type": "array", "items": {"$ref": "#/components/schemas/Subscription"}},
            "to_configure": {"type": "array", "items": {"$ref": "#/components/schemas/Subscription"}},
            "orders_in_progress": {"type": "array", "items": {"$ref": "#/components/schemas/Order"}},
        },
    },
    "Order": {
        "type": "object",
        "required": ["order_id", "status", "items", "total_cents", "currency", "created_at", "history"],
        "properties": {
            "order_id": {"type": "string"},
            "kind": {"enum": ["purchase", "renewal"]},
            "status": {"enum": ["received", "paid", "provisioning", "completed", "failed", "cancelled"]},
            "items": {"type": "array", "items": {"type": "object"}},
            "total_cents": _MONEY,
            "currency": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "awaiting": {"enum": ["payment", "mandate", None]},
            "invoice_id": STRING_OR_NULL,
            "history": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["status", "at"],
                    "properties": {"status": {"type": "string"}, "at": {"type": "string"}},
                },
            },
        },
    },
    "Documents": {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["kind", "title"],
                    "properties": {
                        "kind": {"enum": ["contract", "terms", "proof_of_address"]},
                        "title": {"type": "string"},
                    },
                },
            }
        },
    },
    "Link": {
        "type": "object",
        "required": ["url", "expires_at"],
        "properties": {"url": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"}},
    },
    "Slots": {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["start", "end"],
                    "properties": {"start": {"type": "string"}, "end": {"type": "string"}},
                },
            }
        },
    },
    "Appointment": {
        "type": "object",
        "required": ["appointment_id", "start", "end", "topic", "phone"],
        "properties": {
            "appointment_id": {"type": "string"},
            "start": {"type": "string"},
            "end": {"type": "string"},
            "topic": {"type": "string"},
            "phone": {"type": "string"},
        },
    },
}

_SUBSCRIPTION_ERRORS = {404: ERROR, 409: ERROR, 422: ERROR}
# A route that reads a JSON body answers 400 when it is not a JSON object (web.json_object).
_BODY_ERRORS = {400: ERROR, **_SUBSCRIPTION_ERRORS}
ROUTES = [
    Route("GET", "/health", "Service health", protected=False, responses={200: "Health"}),
    Route("GET", "/openapi.json", "This document", protected=False, responses={200: None}),
    Route(
        "GET",
        "/catalog",
        "Products of the catalog",
        query=(("family", one_of(*FAMILIES)),),
        responses={200: "Catalog", 422: ERROR},
    ),
    Route(
        "GET",
        "/",
        "The customer's subscriptions, filtered and paginated",
        query=(
            ("family", one_of(*FAMILIES)),
            ("status", one_of(*STATUSES)),
            ("q", {"type": "string", "maxLength": 100}),
            ("expiring_within_days", {"type": "integer", "minimum": 0, "maximum": 3660}),
            PAGE_LIMIT,
            "cursor",
        ),
        responses={200: list_of("Subscription"), 422: ERROR},
    ),
    Route(
        "GET", "/dashboard", "Expiring soon, to configure, orders in progress", responses={200: "Dashboard"}
    ),
    Route(
        "GET",
        "/{subscription_id}",
        "A subscription with its contract and settings",
        responses={200: "Subscription", 404: ERROR},
    ),
    Route(
        "PATCH",
        "/{subscription_id}",
        "Auto-renewal, product within the family, options",
        body="SubscriptionChanges",
        responses={200: "Subscription", **_BODY_ERRORS},
    ),
    Route(
        "POST",
        "/{subscription_id}/confirm",
        "Confirm a subscription waiting for it",
        responses={200: "Subscription", 404: ERROR, 409: ERROR},
    ),
    Route(
        "PUT",
        "/{subscription_id}/settings",
        "Technical settings, validated per family; activates a subscription waiting for them",
        responses={200: "Subscription", **_BODY_ERRORS},
    ),
    Route(
        "POST",
        "/{subscription_id}/renew",
        "Order more periods",
        body="RenewRequest",
        idempotent=True,
        responses={201: "Order", **_BODY_ERRORS},
    ),
    Route(
        "POST",
        "/{subscription_id}/cancel",
        "Cancel at the end of the period or immediately (mailed, with its effective date)",
        body="Cancellation",
        responses={200: "Subscription", **_BODY_ERRORS},
    ),
    Route(
        "DELETE",
        "/{subscription_id}/cancel",
        "Withdraw a cancellation planned for the end of the period, until that day",
        responses={200: "Subscription", 404: ERROR, 409: ERROR},
    ),
    Route(
        "GET",
        "/{subscription_id}/documents",
        "Documents of the subscription",
        responses={200: "Documents", 404: ERROR},
    ),
    Route(
        "GET",
        "/{subscription_id}/documents/{kind}",
        "A link of at most 300 s to the PDF",
        responses={200: "Link", 404: ERROR, 409: ERROR},
    ),
    Route(
        "POST",
        "/orders",
        "Order products",
        body="OrderRequest",
        idempotent=True,
        responses={201: "Order", 400: ERROR, 409: ERROR, 422: ERROR},
    ),
    Route(
        "GET",
        "/orders",
        "The customer's orders, newest first, filtered and paginated",
        query=(("status", one_of(*ORDER_STATUSES)), PAGE_LIMIT, "cursor"),
        responses={200: list_of("Order"), 422: ERROR},
    ),
    Route("GET", "/orders/{order_id}", "An order with its history", responses={200: "Order", 404: ERROR}),
    Route(
        "GET",
        "/appointments/slots",
        "Free phone slots with an advisor",
        query=(("from", DAY), ("to", DAY)),
        responses={200: "Slots", 422: ERROR},
    ),
    Route(
        "GET",
        "/appointments",
        "The customer's appointments, in time order, paginated",
        query=(PAGE_LIMIT, "cursor"),
        responses={200: list_of("Appointment"), 422: ERROR},
    ),
    Route(
        "POST",
        "/appointments",
        "Book a phone appointment",
        body="AppointmentRequest",
        responses={201: "Appointment", 400: ERROR, 409: ERROR, 422: ERROR},
    ),
    Route(
        "DELETE",
        "/appointments/{appointment_id}",
        "Cancel an appointment",
        responses={204: None, 404: ERROR, 409: ERROR},
    ),
    # operator routes: an operator token with the subscriptions:write scope (403 without it)
    Route(
        "POST",
        "/operator/customers/{customer_id}/subscriptions/{subscription_id}/suspend",
        "Operator: suspend a running subscription (lifted only by an operator)",
        operator_scope=OPERATOR_SCOPE,
        responses={200: "Subscription", 404: ERROR, 409: ERROR},
    ),
    Route(
        "POST",
        "/operator/customers/{customer_id}/subscriptions/{subscription_id}/resume",
        "Operator: resume a suspended subscription",
        operator_scope=OPERATOR_SCOPE,
        responses={200: "Subscription", 404: ERROR, 409: ERROR},
    ),
]


def document() -> dict[str, Any]:
    built = openapi.document(service="subscriptions", routes=ROUTES, components=_SCHEMAS, schemas=schemas)
    # technical settings are a JSON object whose fields depend on the family (technical_settings)
    built["paths"]["/subscriptions/{subscription_id}/settings"]["put"]["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
    return built
