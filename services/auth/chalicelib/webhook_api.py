"""Webhook routes of the operator API (`/auth/operator/webhooks/...`, docs/WEBHOOKS.md).

Each takes an operator token with the `webhooks:manage` scope. The endpoints and deliveries are
those of the token's `sub` (a machine client's id): another client's id answers 404, like one
that does not exist. Every write is logged with the client id, never with a secret.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from chalice import Blueprint, Response
from guichet_contracts import web
from guichet_contracts.words import Phrase

from .errors import ValidationFailed
from .operator_api import operators

webhook_api = Blueprint(__name__)
logger = Logger(child=True)
SCOPE = "webhooks:manage"
ENDPOINTS = "/operator/webhooks/endpoints"
_DELIVERY_ID = re.compile(r"[0-9]{14}[0-9a-f]{16}")


def _now() -> datetime:
    return datetime.now(UTC)


def _client() -> str:
    return operators.operator(webhook_api.current_request, SCOPE).operator_id


def _audit(action: str, client_id: str, endpoint_id: str, **details: Any) -> None:
    logger.info(
        f"operator {action} a webhook endpoint",
        extra={"operator": client_id, "client_id": client_id, "endpoint_id": endpoint_id, **details},
    )


@webhook_api.route(ENDPOINTS, methods=["POST"])
def create_endpoint() -> Response:
    from . import schemas, webhook_endpoints

    client_id = _client()
    body = schemas.parse(schemas.WebhookEndpointBody, web.json_object(webhook_api.current_request))
    now = _now()
    shown = webhook_endpoints.create(
        client_id, url=body.url, event_types=body.event_types, description=body.description or None, now=now
    )
    _audit("created", client_id, shown.endpoint.endpoint_id, url=body.url, event_types=body.event_types)
    return Response(
        body=webhook_endpoints.as_dict(shown.endpoint, now=now, secret=shown.secret), status_code=201
    )


@webhook_api.route(ENDPOINTS, methods=["GET"])
def list_endpoints() -> dict[str, Any]:
    from . import webhook_endpoints

    now = _now()
    return {
        "items": [webhook_endpoints.as_dict(item, now=now) for item in webhook_endpoints.owned(_client())]
    }


@webhook_api.route(ENDPOINTS + "/{endpoint_id}", methods=["GET"])
def get_endpoint(endpoint_id: str) -> dict[str, Any]:
    from . import webhook_endpoints

    return webhook_endpoints.as_dict(webhook_endpoints.get(_client(), endpoint_id), now=_now())


@webhook_api.route(ENDPOINTS + "/{endpoint_id}", methods=["PATCH"])
def change_endpoint(endpoint_id: str) -> dict[str, Any]:
    from . import schemas, webhook_endpoints

    client_id = _client()
    body = schemas.parse(schemas.WebhookEndpointChanges, web.json_object(webhook_api.current_request))
    changes = body.model_dump(exclude_unset=True)
    required = [
        name for name in ("url", "event_types", "enabled") if name in changes and changes[name] is None
    ]
    if required:
        raise ValidationFailed(fields={name: Phrase("field.empty") for name in required})
    if "description" in changes:
        changes["description"] = changes["description"] or None
    now = _now()
    endpoint = webhook_endpoints.update(client_id, endpoint_id, changes, now=now)
    _audit("changed", client_id, endpoint_id, changed=sorted(changes))
    return webhook_endpoints.as_dict(endpoint, now=now)


@webhook_api.route(ENDPOINTS + "/{endpoint_id}", methods=["DELETE"])
def delete_endpoint(endpoint_id: str) -> Response:
    from . import webhook_endpoints

    client_id = _client()
    webhook_endpoints.delete(client_id, endpoint_id)
    _audit("deleted", client_id, endpoint_id)
    return Response(body="", status_code=204)


@webhook_api.route(ENDPOINTS + "/{endpoint_id}/rotate-secret", methods=["POST"])
def rotate_secret(endpoint_id: str) -> dict[str, Any]:
    from . import webhook_endpoints

    client_id = _client()
    now = _now()
    shown = webhook_endpoints.rotate(client_id, endpoint_id, now=now)
    _audit("rotated the secret of", client_id, endpoint_id)
    return webhook_endpoints.as_dict(shown.endpoint, now=now, secret=shown.secret)


@webhook_api.route(ENDPOINTS + "/{endpoint_id}/deliveries", methods=["GET"])
def list_deliveries(endpoint_id: str) -> dict[str, Any]:
    from . import webhook_deliveries, webhook_endpoints

    endpoint = webhook_endpoints.get(_client(), endpoint_id)
    request = webhook_api.current_request
    limit = web.page_limit(request, default=20)
    cursor = web.decode_cursor(
        request, partition=f"WEBHOOK#{endpoint.endpoint_id}", sort_prefix=webhook_deliveries.DELIVERY_PREFIX
    )
    items, last_key = webhook_deliveries.listing(endpoint, limit=limit, cursor=cursor)
    return {
        "items": [webhook_deliveries.as_dict(item) for item in items],
        "next_cursor": web.encode_cursor(last_key),
    }


@webhook_api.route(ENDPOINTS + "/{endpoint_id}/deliveries/{delivery_id}", methods=["GET"])
def get_delivery(endpoint_id: str, delivery_id: str) -> dict[str, Any]:
    from . import webhook_deliveries

    _, delivery = _delivery(endpoint_id, delivery_id)
    return webhook_deliveries.as_dict(delivery, payload=True)


@webhook_api.route(ENDPOINTS + "/{endpoint_id}/deliveries/{delivery_id}/replay", methods=["POST"])
def replay_delivery(endpoint_id: str, delivery_id: str) -> dict[str, Any]:
    from . import webhook_deliveries

    endpoint, delivery = _delivery(endpoint_id, delivery_id)
    replayed = webhook_deliveries.replay(endpoint, delivery, now=_now())
    _audit(
        "replayed a delivery to",
        endpoint.client_id,
        endpoint_id,
        delivery_id=delivery_id,
        event_id=replayed.event_id,
        status_code=replayed.last_status_code,
    )
    return webhook_deliveries.as_dict(replayed, payload=True)


def _delivery(endpoint_id: str, delivery_id: str) -> tuple[Any, Any]:
    from . import webhook_deliveries, webhook_endpoints
    from .errors import NotFound

    endpoint = webhook_endpoints.get(_client(), endpoint_id)
    if not _DELIVERY_ID.fullmatch(delivery_id):
        raise NotFound()
    return endpoint, webhook_deliveries.get(endpoint, delivery_id)
