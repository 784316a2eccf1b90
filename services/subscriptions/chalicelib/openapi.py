"""The OpenAPI 3.1 document of the subscriptions API, served at GET /subscriptions/openapi.json."""

from __future__ import annotations

from typing import Any

from guichet_contracts import openapi
from guichet_contracts.openapi import DAY, ERROR, PAGE_LIMIT, Route, list_of, one_of

from . import catalog_schema, responses, schemas
from .contract_import_openapi import FILE_REQUEST_BODY, contract_import_routes
from .orders import STATUSES as ORDER_STATUSES
from .subscriptions import FAMILIES, STATUSES

OPERATOR_SCOPE = "subscriptions:write"  # what an operator token must allow on the operator routes
CATALOG_SCOPE = "catalog:write"  # ... on the catalog's

# the answers' schemas, generated from the response models
_SCHEMAS: dict[str, Any] = openapi.response_schemas(*responses.ANSWERS, *catalog_schema.ANSWERS)

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
        "/catalog/terms",
        "A link of at most 300 s to the terms of sale in force, and their version",
        query=(("language", one_of("fr", "en", "it")),),
        responses={200: "TermsLink", 422: ERROR},
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
        responses={200: "SubscriptionDetail", 404: ERROR},
    ),
    Route(
        "PATCH",
        "/{subscription_id}",
        "Auto-renewal, product within the family, options",
        body="SubscriptionChanges",
        responses={200: "SubscriptionDetail", **_BODY_ERRORS},
    ),
    Route(
        "POST",
        "/{subscription_id}/confirm",
        "Confirm a subscription waiting for it",
        responses={200: "SubscriptionDetail", 404: ERROR, 409: ERROR},
    ),
    Route(
        "PUT",
        "/{subscription_id}/settings",
        "Technical settings, validated per family; activates a subscription waiting for them",
        responses={200: "SubscriptionDetail", **_BODY_ERRORS},
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
        responses={200: "SubscriptionDetail", **_BODY_ERRORS},
    ),
    Route(
        "DELETE",
        "/{subscription_id}/cancel",
        "Withdraw a cancellation planned for the end of the period, until that day",
        responses={200: "SubscriptionDetail", 404: ERROR, 409: ERROR},
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
        "POST",
        "/support-messages",
        "Send a message to the provider's support (mailed with the customer id, Reply-To the customer;"
        " an acknowledgement to the customer); at most 5 a day (429 with Retry-After)",
        body="SupportMessageRequest",
        idempotent=True,
        responses={201: "SupportMessage", 400: ERROR, 404: ERROR, 409: ERROR, 422: ERROR, 429: ERROR},
    ),
    Route(
        "GET",
        "/support-messages",
        "The customer's messages to support, newest first, paginated",
        query=(PAGE_LIMIT, "cursor"),
        responses={200: list_of("SupportMessage"), 422: ERROR},
    ),
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
        responses={200: "SubscriptionDetail", 404: ERROR, 409: ERROR},
    ),
    Route(
        "POST",
        "/operator/customers/{customer_id}/subscriptions/{subscription_id}/resume",
        "Operator: resume a suspended subscription",
        operator_scope=OPERATOR_SCOPE,
        responses={200: "SubscriptionDetail", 404: ERROR, 409: ERROR},
    ),
    *contract_import_routes(OPERATOR_SCOPE),
    # the catalog as operator data (catalog_versions.py): an operator token with catalog:write
    Route(
        "PUT",
        "/operator/catalog",
        "Operator: put a whole catalog; a new version (201) unless it is the current one (200)."
        " Products are never removed: withdraw one with withdrawn: true",
        body="CatalogDocument",
        operator_scope=CATALOG_SCOPE,
        responses={200: "CatalogVersionSummary", 201: "CatalogVersionSummary", 413: ERROR, **_BODY_ERRORS},
    ),
    Route(
        "PUT",
        "/operator/catalog/products/{product_id}",
        "Operator: put one product (added or replaced) in a new version of the catalog",
        body="CatalogProductUpdate",
        operator_scope=CATALOG_SCOPE,
        responses={200: "CatalogVersionSummary", 201: "CatalogVersionSummary", 413: ERROR, **_BODY_ERRORS},
    ),
    Route(
        "GET",
        "/operator/catalog",
        "Operator: the catalog version in force, with its document (version 0: the default file)",
        operator_scope=CATALOG_SCOPE,
        responses={200: "CatalogCurrent"},
    ),
    Route(
        "GET",
        "/operator/catalog/versions",
        "Operator: the stored versions, newest first (time, client id, products changed)",
        query=(PAGE_LIMIT, "cursor"),
        operator_scope=CATALOG_SCOPE,
        responses={200: "CatalogVersions", 422: ERROR},
    ),
]


def document() -> dict[str, Any]:
    built = openapi.document(service="subscriptions", routes=ROUTES, components=_SCHEMAS, schemas=schemas)
    # technical settings are a JSON object whose fields depend on the family (technical_settings)
    built["paths"]["/subscriptions/{subscription_id}/settings"]["put"]["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
    built["paths"]["/subscriptions/operator/subscriptions/imports"]["post"]["requestBody"] = FILE_REQUEST_BODY
    return built
