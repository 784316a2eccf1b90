"""Operator routes of the subscriptions service (`/subscriptions/operator/...`): the back office's hands.

Each route takes an operator token with the `subscriptions:write` scope (guichet_contracts
.operator_tokens: the auth service's key, the operator audience), never a customer's access
token; every write is logged with the operator's `sub`.

- suspend a running subscription by hand (an operator suspension is lifted only by an operator);
- resume a suspended one.
Both publish SubscriptionSuspended / SubscriptionResumed (`reason: operator`) and mail the customer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from chalice import Blueprint
from guichet_contracts.operator_tokens import OperatorTokenVerifier

from .settings import settings

operator_api = Blueprint(__name__)
operators = OperatorTokenVerifier.from_settings(settings)
logger = Logger(child=True)
SCOPE = "subscriptions:write"
_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


def _now() -> datetime:
    return datetime.now(UTC)


def _ids(customer_id: str, subscription_id: str) -> tuple[str, str]:
    """Ids of the path: one that cannot name an item is a 404 like an unknown one."""
    from .errors import NotFound

    if not (_ID.fullmatch(customer_id) and _ID.fullmatch(subscription_id)):
        raise NotFound()
    return customer_id, subscription_id


@operator_api.route(
    "/operator/customers/{customer_id}/subscriptions/{subscription_id}/suspend", methods=["POST"]
)
def suspend(customer_id: str, subscription_id: str) -> dict[str, Any]:
    from . import subscriptions, suspensions

    operator = operators.operator(operator_api.current_request, SCOPE).operator_id
    now = _now()
    suspended = suspensions.suspend_by_operator(
        *_ids(customer_id, subscription_id), now=now, today=now.astimezone(settings.timezone).date()
    )
    logger.info(
        "operator suspended a subscription",
        extra={"operator": operator, "customer_id": customer_id, "subscription_id": subscription_id},
    )
    return subscriptions.as_dict(suspended, detail=True)


@operator_api.route(
    "/operator/customers/{customer_id}/subscriptions/{subscription_id}/resume", methods=["POST"]
)
def resume(customer_id: str, subscription_id: str) -> dict[str, Any]:
    from . import subscriptions, suspensions

    operator = operators.operator(operator_api.current_request, SCOPE).operator_id
    now = _now()
    resumed = suspensions.resume_by_operator(
        *_ids(customer_id, subscription_id), now=now, today=now.astimezone(settings.timezone).date()
    )
    logger.info(
        "operator resumed a subscription",
        extra={"operator": operator, "customer_id": customer_id, "subscription_id": subscription_id},
    )
    return subscriptions.as_dict(resumed, detail=True)
