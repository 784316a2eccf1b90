"""Operator routes of the catalog (`/subscriptions/operator/catalog...`), scope `catalog:write`.

- PUT a whole catalog: a new version when it differs from the current one (201), the current one
  otherwise (200);
- PUT one product: the current catalog with that product put in place, as a new version;
- GET the current version with its document, and the versions' history, newest first.

Every write is logged with the operator client's id (the token's `client_id`, else its `sub`),
which the version also keeps. The domain is catalog_versions.py.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from chalice import Blueprint, Response
from guichet_contracts import web
from guichet_contracts.errors import MalformedRequest, PayloadTooLarge
from guichet_contracts.words import Phrase

from .operator_api import operators

catalog_api = Blueprint(__name__)
logger = Logger(child=True)
SCOPE = "catalog:write"
_PRODUCT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def _client() -> str:
    operator = operators.operator(catalog_api.current_request, SCOPE)
    return operator.client_id or operator.operator_id


def _document() -> Any:
    """The body as JSON; a syntax error is told with its line and column."""
    from .catalog_versions import MAX_DOCUMENT_BYTES

    raw = catalog_api.current_request.raw_body or b""
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge()
    if not raw.strip():
        raise MalformedRequest(Phrase("error.malformed_request.empty"))
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as error:
        raise MalformedRequest(
            Phrase("error.malformed_request.at", line=error.lineno, column=error.colno)
        ) from None
    except (ValueError, RecursionError):
        raise MalformedRequest() from None
    if not isinstance(body, dict):
        raise MalformedRequest(Phrase("error.malformed_request.not_object"))
    return body


def _answer(client_id: str, document: dict[str, Any]) -> Response:
    from . import catalog_versions

    stored = catalog_versions.store(document, client_id=client_id, now=datetime.now(UTC))
    logger.info(
        "operator put the catalog",
        extra={"client_id": client_id, "version": stored.catalog.version, "new_version": stored.created},
    )
    return Response(
        status_code=201 if stored.created else 200,
        body=catalog_versions.summary(
            stored.catalog.version, catalog_versions.catalog_digest(stored.catalog), stored.item
        ),
        headers={"Content-Type": "application/json"},
    )


@catalog_api.route("/operator/catalog", methods=["PUT"])
def put_catalog() -> Response:
    from . import catalog_versions

    client_id = _client()
    return _answer(client_id, catalog_versions.validated(_document()))


@catalog_api.route("/operator/catalog/products/{product_id}", methods=["PUT"])
def put_product(product_id: str) -> Response:
    from . import catalog_versions
    from .errors import NotFound, ValidationFailed

    client_id = _client()
    if not _PRODUCT_ID.fullmatch(product_id):
        raise NotFound()
    product = _document()
    if product.get("product_id", product_id) != product_id:
        raise ValidationFailed(fields={"product_id": Phrase("field.path_mismatch")})
    product = {**product, "product_id": product_id}
    current = catalog_versions.current()
    try:
        document = catalog_versions.validated({"currency": current.currency, "products": [product]})
    except ValidationFailed as error:  # the fields of the one product, as the body names them
        raise ValidationFailed(
            fields={name.removeprefix("products.0."): problem for name, problem in error.fields.items()}
        ) from None
    try:
        return _answer(client_id, catalog_versions.with_product(document["products"][0]))
    except ValidationFailed as error:  # the fields of the one product, as the body names them
        raise ValidationFailed(
            fields={
                re.sub(r"^products\.[0-9]+\.", "", name): problem for name, problem in error.fields.items()
            }
        ) from None


@catalog_api.route("/operator/catalog", methods=["GET"])
def get_catalog() -> dict[str, Any]:
    from . import catalog_versions

    _client()
    catalog_versions.forget_head()  # an operator reads what is stored now
    current = catalog_versions.current()
    item = catalog_versions.version_summary(current.version)
    summary = catalog_versions.summary(current.version, catalog_versions.catalog_digest(current), item)
    return {**summary, "document": current.document}


@catalog_api.route("/operator/catalog/versions", methods=["GET"])
def get_versions() -> dict[str, Any]:
    from . import catalog_versions

    _client()
    request = catalog_api.current_request
    limit = web.page_limit(request)
    cursor = web.decode_cursor(
        request, partition=catalog_versions.PK, sort_prefix=catalog_versions.VERSION_PREFIX
    )
    items, last_key = catalog_versions.history(limit=limit, cursor=cursor)
    return {
        "items": [catalog_versions.summary(int(item.version), item.digest, item) for item in items],
        "next_cursor": web.encode_cursor(last_key),
    }
