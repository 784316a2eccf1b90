"""The OpenAPI 3.1 document of the invoices API, served at GET /invoices/openapi.json."""

from __future__ import annotations

from typing import Any

from guichet_contracts import openapi
from guichet_contracts.openapi import ERROR, MONTH, PAGE_LIMIT, Route, list_of, one_of

from . import responses, schemas

SCOPE = "invoices:write"  # what an operator token must allow on the operator routes

# the answers' schemas, generated from the response models
_SCHEMAS: dict[str, Any] = openapi.response_schemas(*responses.ANSWERS)

_BODY_ERRORS = {400: ERROR, 422: ERROR}
# the answers of both PUTs of a provider's invoice (its data, its PDF): 201 stored, 200 as it was
_PROVIDER_INVOICE_PUT = {200: "InvoiceDetail", 201: "InvoiceDetail", 403: ERROR, 404: ERROR, 409: ERROR}
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
        responses={200: "PaymentProvider"},
    ),
    Route(
        "POST",
        "/payments/stripe/webhook",
        "Stripe's webhook (signed with Stripe-Signature): pending payments, debits and refunds end",
        protected=False,
        responses={200: "WebhookReceived", 400: ERROR, 404: ERROR},
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
        "Change the bank details (a new mandate); a session signed in with a second factor more than 5"
        " minutes ago (its token's amr and auth_time) is refused 403 step_up_required: POST /auth/step-up",
        body="BankAccountBody",
        responses={200: "BankAccount", 403: ERROR, **_BODY_ERRORS},
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
        "Operator: a credit note against an invoice, refunded by the method that paid it; at most what"
        " is left to credit on the invoice (else 422 amount_exceeds_creditable)",
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
    Route(
        "PUT",
        "/operator/customers/{customer_id}/provider-invoices/{external_id}",
        "Operator: an invoice of the provider's own billing, under its id (its number kept; the same"
        " body again changes nothing; other data for an issued one: 409 invoice_already_issued; a number"
        " already taken or of Guichet's own F<year>-<n> range: 409 number_taken; totals that do not add"
        " up to the lines: 422; a customer Guichet does not know: 404 unknown_customer)",
        body="ProviderInvoice",
        operator_scope=SCOPE,
        responses={**_PROVIDER_INVOICE_PUT, **_BODY_ERRORS},
    ),
    Route(
        "PUT",
        "/operator/customers/{customer_id}/provider-invoices/{external_id}/pdf",
        "Operator: the PDF of an imported invoice, as the provider drew it (application/pdf, 4 MiB at"
        " most); the same bytes again change nothing, other bytes: 409 pdf_already_stored",
        operator_scope=SCOPE,
        responses={**_PROVIDER_INVOICE_PUT, 413: ERROR, 415: ERROR, 422: ERROR},
    ),
]
ROUTES += [
    Route(
        "POST",
        "/operator/provider-invoices/imports",
        "Operator: import a file of the provider's invoices (JSON Lines: one ProviderInvoice body a line"
        " with its customer_id and external_id; CSV: 415), applied by apply_invoice_imports; their PDFs"
        " then by PUT .../provider-invoices/{external_id}/pdf",
        operator_scope=SCOPE,
        responses={202: "InvoiceImport", 403: ERROR, 413: ERROR, 415: ERROR, 422: ERROR},
    ),
    Route(
        "GET",
        "/operator/provider-invoices/imports/{import_id}",
        "Operator: an invoices import's counts and its report, a line per invoice (awaiting_pdf: its PDF"
        " not stored yet)",
        query=(("status", one_of("created", "updated", "unchanged", "rejected")), PAGE_LIMIT, "cursor"),
        operator_scope=SCOPE,
        responses={200: "InvoiceImportReport", 403: ERROR, 404: ERROR, 422: ERROR},
    ),
]
IMPORT_PATH = "/invoices/operator/provider-invoices/imports"
IMPORT_REQUEST_BODY = openapi.file_request_body(
    "An invoices file, 5 MB and 50,000 lines at most",
    jsonl="one object a line, ImportedInvoice: ProviderInvoice's fields, customer_id and external_id",
)
PDF_PATH = "/invoices/operator/customers/{customer_id}/provider-invoices/{external_id}/pdf"
PDF_REQUEST_BODY = {
    "required": True,
    "description": "The invoice's PDF, 4 MiB at most",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}


def document() -> dict[str, Any]:
    built = openapi.document(service="invoices", routes=ROUTES, components=_SCHEMAS, schemas=schemas)
    built["paths"][PDF_PATH]["put"]["requestBody"] = PDF_REQUEST_BODY
    built["paths"][IMPORT_PATH]["post"]["requestBody"] = IMPORT_REQUEST_BODY
    line = schemas.ImportedInvoice.model_json_schema(ref_template="#/components/schemas/{model}")
    built["components"]["schemas"].update(line.pop("$defs", {}))
    built["components"]["schemas"]["ImportedInvoice"] = line  # a line of IMPORT_PATH's file
    return built
