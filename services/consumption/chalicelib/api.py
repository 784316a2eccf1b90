"""Routes of the consumption service (all 🔒 but health and the OpenAPI document).

Each route parses the request, calls one domain function and returns a dict. The customer comes
from the verified access token; another customer's meter answers 404 like a missing one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from chalice import Blueprint, Response
from guichet_contracts import web
from guichet_contracts.access_tokens import AccessTokenVerifier
from guichet_contracts.errors import ValidationFailed
from guichet_contracts.words import Phrase

from . import meters
from .settings import settings

api = Blueprint(__name__)
verifier = AccessTokenVerifier(
    public_keys_secret_id=settings.jwt_public_keys_secret,
    issuer=settings.jwt_issuer,
    audience=settings.jwt_audience,
)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YEAR = re.compile(r"[0-9]{4}")


def _today() -> date:
    return datetime.now(UTC).astimezone(settings.timezone).date()


def _customer() -> str:
    return verifier.caller(api.current_request).customer_id


def _day(name: str) -> date | None:
    value = web.query(api.current_request, name)
    if value is None:
        return None
    if _DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationFailed(fields={name: Phrase("field.date")})


def _year(today: date) -> int:
    value = web.query(api.current_request, "year")
    if value is None:
        return today.year
    if not _YEAR.fullmatch(value) or not 2000 <= int(value) <= today.year + 1:
        raise ValidationFailed(fields={"year": Phrase("field.year", last=today.year + 1)})
    return int(value)


@api.route("/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@api.route("/openapi.json", methods=["GET"])
def openapi() -> dict[str, Any]:
    from .openapi import document

    return document()


@api.route("/meters", methods=["GET"])
def meters_list() -> dict[str, Any]:
    today = _today()
    return {
        "items": [meters.as_dict(meter, today) for meter in meters.listing(_customer())],
        "next_cursor": None,
    }


@api.route("/meters/{meter_id}/series", methods=["GET"])
def meter_series(meter_id: str) -> dict[str, Any]:
    from . import series

    customer_id = _customer()
    step = web.choice(api.current_request, "step", series.STEPS) or "day"
    compare = web.choice(api.current_request, "compare", ("previous_year",))
    first, last = _day("from"), _day("to")
    meter = meters.owned(customer_id, meter_id)
    first, last = series.visible_range(meter, first, last, step, _today())
    return series.series(meter, first, last, step, compare)


@api.route("/meters/{meter_id}/summary", methods=["GET"])
def meter_summary(meter_id: str) -> dict[str, Any]:
    from . import series

    customer_id = _customer()
    today = _today()
    year = _year(today)
    return series.summary(meters.owned(customer_id, meter_id), year, today)


@api.route("/meters/{meter_id}/export.csv", methods=["GET"])
def meter_export(meter_id: str) -> Response:
    from . import series

    customer_id = _customer()
    first, last = _day("from"), _day("to")
    meter = meters.owned(customer_id, meter_id)
    first, last = series.visible_range(meter, first, last, "half_hour", _today())
    body = series.export_csv(meter, first, last)
    name = f"consommation-{meter.meter_id}-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


@api.route("/battery", methods=["GET"])
def battery() -> dict[str, Any]:
    from . import ledgers

    return ledgers.battery(meters.listing(_customer()))


@api.route("/surplus", methods=["GET"])
def surplus() -> dict[str, Any]:
    from . import ledgers

    return ledgers.surplus(meters.listing(_customer()))


@api.route("/usage", methods=["GET"])
def usage() -> dict[str, Any]:
    from . import lines

    customer_id = _customer()
    subscription_id = web.query(api.current_request, "subscription_id")
    return lines.current(meters.listing(customer_id), _today(), subscription_id)
