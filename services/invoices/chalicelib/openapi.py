"""The OpenAPI 3.1 document of the invoices API, served at GET /invoices/openapi.json."""

from __future__ import annotations

from typing import Any

from guichet_contracts import openapi
from guichet_contracts.openapi import ERROR, MONTH, PAGE_LIMIT, STRING_OR_NULL, Route, list_of, one_of

from . import schemas

SCOPE = "invoices:write"  # what an operator token must allow on the operator routes

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
            # refunded: a credit note or negative regularization whose money went back
            "status": {"enum": ["open", "paid", "overdue", "void", "refunded"]},
            "total_excl_tax_cents": {"type": "integer"},
            "tax_cents": {"type": "integer"},
            "total_cents": {"type": "integer"},
            "amount_due_cents": {"type": "integer", "minimum": 0},
            "currency": {"type": "string"},
            "customer_id": {"type": "string"},
            "payment_mode": {"enum": ["card", "direct_debit", "check", "tip", "transfer"]},
            "order_id": STRING_OR_NULL,
            "pending_payment_id": {
                "type": ["string", "null"],
                "description": "A cheque or TIP on its way holds the invoice: paying it again answers 409",
            },
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
                    "owed_cents": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "A credit document: what goes back to the customer",
                    },
                    "carried": {"type": "boolean", "description": "Deducted from the next invoice"},
                    "refunds": {"type": "array", "items": {"$ref": "#/components/schemas/Refund"}},
                },
            },
        ]
    },
    "Refund": {
        "type": "object",
        "required": ["refund_id", "invoice_id", "method", "status", "amount_cents", "currency"],
        "properties": {
            "refund_id": {"type": "string"},
            "invoice_id": {"type": "string"},
            "payment_id": STRING_OR_NULL,
            "method": {"enum": ["card", "transfer", "check", "manual"]},
            "status": {"enum": ["pending", "succeeded", "failed"]},
            "amount_cents": {"type": "integer", "minimum": 1},
            "currency": {"type": "string"},
            "failure_code": STRING_OR_NULL,
            "refunded_on": {"type": ["string", "null"], "format": "date"},
        },
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
            "status": {"enum": ["succeeded", "failed", "pending", "expired"]},
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
            "subscription_id": {"type": "string"},
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
                        "status": {
                            "enum": [
                                "scheduled",
                                "collecting",
                                "paid",
                                "retrying",
                                "failed",
                                "paused",
                                "skipped",
                                "cancelled",
                            ]
                        },
                        "retry_on": {"type": ["string", "null"], "format": "date"},
                    },
                },
            },
            "regularization_on": _DAY,
            "ended_on": {"type": ["string", "null"], "format": "date"},
            "schedules": {
                "type": "array",
                "description": "Every contract paid by monthly debits, the first one's above",
                "items": {"$ref": "#/components/schemas/Schedule"},
            },
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
        "required": ["paperless", "notify_new_invoice", "payment_method"],
        "properties": {
            "paperless": {"type": "boolean"},
            "notify_new_invoice": {"type": "boolean"},
            "payment_method": {"enum": ["card", "direct_debit", "check", "tip"]},
        },
    },
}

_BODY_ERRORS = {400: ERROR, 422: ERROR}
_PAYMENT_PROVIDER = {
    "type": "object",
    "required": ["provider", "publishable_key"],
    "properties": {"provider": {"enum": ["sandbox", "stripe"]}, "publishable_key": STRING_OR_NULL},
}
_WEBHOOK_RECEIVED = {
    "type": "object",
    "required": ["received", "handled"],
    "properties": {"received": {"const": True}, "handled": {"type": "boolean"}},
}
ROUTES = [
    Route("GET", "/health", "Service health", protected=False, responses={200: "Health"}),
    Route("GET", "/openapi.json", "This document", protected=False, responses={200: None}),
    Route(
        "GET",
        "/",
        "Invoices of a period (default: the last 12 months; 24 months at most)",
        query=(
            ("from", MONTH),
            ("to", MONTH),
            ("status", one_of("open", "paid", "overdue", "void", "refunded")),
            ("kind", one_of("invoice", "credit_note", "resale", "regularization")),
            PAGE_LIMIT,
            "cursor",
        ),
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
        "GET",
        "/payment-provider",
        "Which provider takes cards: Stripe (Elements, with its publishable key) or the sandbox",
        responses={200: _PAYMENT_PROVIDER},
    ),
    Route(
        "POST",
        "/payments/stripe/webhook",
        "Stripe's webhook (signed with Stripe-Signature): pending payments, debits and refunds end",
        protected=False,
        responses={200: _WEBHOOK_RECEIVED, 400: ERROR, 404: ERROR},
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
        # 409: direct debit without bank details (a SEPA mandate)
        responses={200: "Preferences", 409: ERROR, **_BODY_ERRORS},
    ),
    Route(
        "POST",
        "/{invoice_id}/duplicate",
        "A copy marked as duplicate",
        responses={201: "Link", 404: ERROR, 429: ERROR},
    ),
    # operator routes: an operator token with the invoices:write scope (403 without it)
    Route(
        "POST",
        "/operator/customers/{customer_id}/payments/{payment_id}/received",
        "Operator: a cheque or TIP received (the payment succeeds, its invoices are paid)",
        operator_scope=SCOPE,
        responses={200: "Payment", 403: ERROR, 404: ERROR, 409: ERROR},
    ),
    Route(
        "POST",
        "/operator/customers/{customer_id}/payments/{payment_id}/expired",
        "Operator: a cheque or TIP never received (its invoices are payable again)",
        operator_scope=SCOPE,
        responses={200: "Payment", 403: ERROR, 404: ERROR, 409: ERROR},
    ),
    Route(
        "POST",
        "/operator/customers/{customer_id}/invoices/{invoice_id}/credit-notes",
        "Operator: a credit note against an invoice, refunded by the method that paid it",
        body="CreditNoteRequest",
        idempotent=True,
        operator_scope=SCOPE,
        responses={201: "InvoiceDetail", 403: ERROR, 404: ERROR, 409: ERROR, **_BODY_ERRORS},
    ),
    Route(
        "POST",
        "/operator/customers/{customer_id}/refunds/{refund_id}/made",
        "Operator: a refund made by hand (one waiting for an operator, or one the provider declined)",
        body="RefundMade",
        operator_scope=SCOPE,
        responses={200: "Refund", 403: ERROR, 404: ERROR, 409: ERROR, **_BODY_ERRORS},
    ),
]


def document() -> dict[str, Any]:
    return openapi.document(service="invoices", routes=ROUTES, components=_SCHEMAS, schemas=schemas)
