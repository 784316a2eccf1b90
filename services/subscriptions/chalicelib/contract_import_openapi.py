"""The OpenAPI routes of the provider's contracts (contract_import_api.py), added to openapi.ROUTES."""

from __future__ import annotations

from guichet_contracts import openapi
from guichet_contracts.openapi import ERROR, Route

from .contract_import import COLUMNS, REQUIRED_COLUMNS, RESULTS

_FILE_COLUMNS = (
    f"a header line naming its columns among {', '.join(REQUIRED_COLUMNS)} (required), "
    f"{', '.join(name for name in COLUMNS if name not in REQUIRED_COLUMNS)}; one of customer_id and "
    "customer_external_id on each row; off_peak_hours written 22:00-06:00 12:00-14:00"
)
# a contracts file: its bytes as they are, not a JSON object
FILE_REQUEST_BODY = openapi.file_request_body(
    "A contracts file, 5 MB and 50,000 rows at most",
    csv=_FILE_COLUMNS,
    jsonl="one object per line, ContractTerms's fields, external_id, and customer_id or customer_external_id",
)
_ONE = "/operator/customers/{customer_id}/subscriptions/{external_id}"


def contract_import_routes(scope: str) -> list[Route]:
    """The routes, each taking an operator token with `scope`."""
    return [
        Route(
            "PUT",
            _ONE,
            "Operator: create or update the imported contract of this provider's id (the same body "
            "again changes nothing)",
            body="ContractTerms",
            responses={
                200: "ProviderContract",
                201: "ProviderContract",
                **dict.fromkeys((400, 404, 409, 422), ERROR),
            },
            operator_scope=scope,
        ),
        Route(
            "GET",
            _ONE,
            "Operator: the imported contract of this provider's id",
            responses={200: "ProviderContract", 404: ERROR},
            operator_scope=scope,
        ),
        Route(
            "POST",
            "/operator/subscriptions/imports",
            "Operator: import a contracts file (CSV or JSON Lines), applied by apply_contract_imports",
            responses={202: "ContractImport", 413: ERROR, 415: ERROR, 422: ERROR},
            operator_scope=scope,
        ),
        Route(
            "GET",
            "/operator/subscriptions/imports/{import_id}",
            "Operator: an import's counts and its report, a line per row",
            query=(("status", openapi.one_of(*RESULTS)), openapi.PAGE_LIMIT, "cursor"),
            responses={200: "ContractImportReport", 404: ERROR, 422: ERROR},
            operator_scope=scope,
        ),
    ]
