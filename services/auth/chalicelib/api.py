"""Routes of the auth service: parse the request, call one domain function, return a dict."""

from __future__ import annotations

from chalice import Blueprint

api = Blueprint(__name__)


@api.route("/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}
