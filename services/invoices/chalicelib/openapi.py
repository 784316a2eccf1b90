"""The OpenAPI 3.1 document of the invoices API, served at GET /invoices/openapi.json."""

from __future__ import annotations

from typing import Any

from guichet_contracts import openapi
from guichet_contracts.openapi import ERROR, STRING_OR_NULL, Route, list_of

from . import schemas

_DAY = {"type": "string", "format": "date"}
_SCHEMAS: dict[str, Any] = {
    "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
    "Invoice": {
        "type": "object",
        "required": [
            "invoice_id",
            "number",
            "kind",
            "issued_on",
            "due_on",
            "period_start",
            "period_end",
            "status",
            "total_excl_tax_cents",
            "tax_cents",
            "total_cents",
            "amount_due_cents",
            "currency",
            "customer_id",
        ],
        "properties": {
            "invoice_id": {"type": "string"},
            "number": {"type": "string", "pattern": "^F[0-9]{4}-[0-9]{6}$"},
            "kind": {"enum": ["invoice", "credit_note", "resale", "regularization"]},
            "issued_on": _DAY,
            "due_on": _DAY,
            "period_start": {"type": ["string", "null"], "format": "date"},
            "period_end": {"type": ["string", "null"], "format": "date"},
            "status": {"enum": ["open", "paid", "overdue", "void"]},
            "total_excl_tax_cents": {"type": "integer"},
            "tax_cents": {"type": "integer"},
            "total_cents": {"type": "integer"},
            "amount_due_cents": {"type": "integer", "minimum": 0},
            "currency": {"type": "string"},
            "customer_id": {"type": "string"},
            "payment_mode": {"enum": ["card", "direct_debit", "check", "tip", "transfer"]},
            "order_id": STRING_OR_NULL,
        },
    },
    "InvoiceDetail": {
        "allOf": [
            {"$ref": "#/components/schemas/Invoice"},
            {
                "type": "object",
                "required": ["lines", "payments"],
                "properties": {
                    "lines": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": [
                                "description",
                                "quantity",
                                "unit",
                                "unit_price_cents",
                                "tax_rate",
                                "total_excl_tax_cents",
                            ],
                            "properties": {
                                "description": {"type": "string"},
                                "quantity": {"type": "string"},
                                "unit": {"type": "string"},
                                "unit_price_cents": {"type": "integer"},
                                "tax_rate": {"type": "string"},
                                "total_excl_tax_cents": {"type": "integer"},
                            },
                        },
                    },
                    "payments": {"type": "array", "items": {"type": "object"}},
                },
            },
        ]
    },
    "Link": {
        "type": "object",
        "required": ["url", "expires_at"],
        "properties": {"url": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"}},
    },
    "Payment": {
        "type": "object",
        "required": ["payment_id", "status", "amount_cents", "currency", "method"],
        "properties": {
            "payment_id": {"type": "string"},
            "status": {"enum": ["succeeded", "failed", "pending"]},
            "amount_cents": {"type": "integer", "minimum": 1},
            "currency": {"type": "string"},
            "method": {"enum": ["card", "direct_debit", "check", "tip"]},
            "invoice_ids": {"type": "array", "items": {"type": "string"}},
            "failure_code": STRING_OR_NULL,
            "instructions": {"type": ["object", "null"]},
        },
    },
    "Schedule": {
        "type": "object",
        "required": ["year", "estimated_annual_cents", "installments", "regularization_on"],
        "properties": {
            "year": {"type": "integer"},
            "estimated_annual_cents": {"type": "integer"},
            "installments": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["due_on", "amount_cents", "status"],
                    "properties": {
                        "due_on": _DAY,
                        "amount_cents": {"type": "integer"},
                        "status": {"enum": ["scheduled", "collecting", "paid", "failed"]},
                    },
                },
            },
            "regularization_on": _DAY,
        },
    },
    "BankAccount": {
        "type": "object",
        "required": ["iban_masked", "bic", "holder", "mandate_reference", "signed_on"],
        "properties": {
            "iban_masked": {"type": "string"},
            "bic": {"type": "string"},
            "holder": {"type": "string"},
            "mandate_reference": {"type": "string"},
            "signed_on": _DAY,
        },
    },
    "Preferences": {
        "type": "object",
        "required": ["paperless", "notify_new_invoice"],
        "properties": {"paperless": {"type": "boolean"}, "notify_new_invoice": {"type": "boolean"}},
    },
}

_BODY_ERRORS = {400: ERROR, 422: ERROR}
ROUTES = [
    Route("GET", "/health", "Service health", protected=False, responses={200: "Health"}),
    Route("GET", "/openapi.json", "This document", protected=False, responses={200: None}),
    Route(
        "GET",
        "/",
        "Invoices of a period (default: the last 12 months; 24 months at most)",
        query=("from", "to", "status", "kind", "limit", "cursor"),
        responses={200: list_of("Invoice"), 422: ERROR},
    ),
    Route(
        "GET",
        "/{invoice_id}",
        "An invoice with its lines and payments",
        responses={200: "InvoiceDetail", 404: ERROR},
    ),
    Route(
        "GET",
        "/{invoice_id}/pdf",
        "A link of at most 300 s to the stored PDF",
        responses={200: "Link", 404: ERROR},
    ),
    Route(
        "POST",
        "/{invoice_id}/payments",
        "Pay an invoice",
        body="PaymentRequest",
        idempotent=True,
        responses={201: "Payment", 404: ERROR, 409: ERROR, **_BODY_ERRORS},
    ),
    Route(
        "POST",
        "/payments",
        "One payment for several open invoices",
        body="MultiPaymentRequest",
        idempotent=True,
        responses={201: "Payment", 404: ERROR, 409: ERROR, **_BODY_ERRORS},
    ),
    Route(
        "GET", "/schedule", "The payment schedule of a monthly payer", responses={200: "Schedule", 404: ERROR}
    ),
    Route(
        "GET", "/bank-account", "Bank details and SEPA mandate", responses={200: "BankAccount", 404: ERROR}
    ),
    Route(
        "PUT",
        "/bank-account",
        "Change the bank details (a new mandate)",
        body="BankAccountBody",
        responses={200: "BankAccount", **_BODY_ERRORS},
    ),
    Route("GET", "/preferences", "Billing preferences", responses={200: "Preferences"}),
    Route(
        "PATCH",
        "/preferences",
        "Paperless billing, new-invoice email",
        body="PreferencesChanges",
        responses={200: "Preferences", **_BODY_ERRORS},
    ),
    Route(
        "POST",
        "/{invoice_id}/duplicate",
        "A copy marked as duplicate",
        responses={201: "Link", 404: ERROR, 429: ERROR},
    ),
]


def document() -> dict[str, Any]:
    return openapi.document(service="invoices", routes=ROUTES, components=_SCHEMAS, schemas=schemas)
