"""Routes of the customer's GDPR rights: a copy of their data (data_exports.py) and closing
the account (closure.py). Thin: parse, call one domain function, answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint, Response

from .api import _body, _caller, _no_content, _sensitive_caller

privacy_api = Blueprint(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


@privacy_api.route("/me/data-exports", methods=["POST"])
def request_data_export() -> Response:
    from . import data_exports

    now = _now()
    export = data_exports.request(_caller().customer_id, now=now)
    return Response(body=data_exports.as_dict(export, now=now), status_code=202)


@privacy_api.route("/me/data-exports/{export_id}", methods=["GET"])
def data_export(export_id: str) -> dict[str, Any]:
    from . import data_exports

    now = _now()
    return data_exports.as_dict(data_exports.get(_caller().customer_id, export_id), now=now)


@privacy_api.route("/me/closure", methods=["POST"])
def close_account() -> Response:
    from . import closure

    caller = _sensitive_caller()  # a session signed in with a second factor shows it again first
    body = _body("ClosureRequest")
    now = _now()
    closure.close(caller.customer_id, body.password, now=now, today=now.date())
    return _no_content()
