"""Routes of the subscriptions service (all 🔒 but health and the OpenAPI document).

Each route parses the request, calls one domain function and returns a dict. The customer
always comes from the verified access token; an id of another customer's resource answers
404 like a missing one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from chalice import Blueprint, Response
from guichet_contracts import web
from guichet_contracts.access_tokens import AccessTokenVerifier
from guichet_contracts.errors import ValidationFailed
from guichet_contracts.idempotency import Idempotency, key_of
from guichet_contracts.words import Phrase

from . import subscriptions
from .models import customer_pk
from .settings import settings

api = Blueprint(__name__)
verifier = AccessTokenVerifier(
    public_keys_secret_id=settings.jwt_public_keys_secret,
    issuer=settings.jwt_issuer,
    audience=settings.jwt_audience,
)
order_once = Idempotency(table_name=settings.table_name, name="orders")
renewal_once = Idempotency(table_name=settings.table_name, name="renewals")
support_once = Idempotency(table_name=settings.table_name, name="support_messages")


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return _now().astimezone(settings.timezone).date()


def _customer() -> str:
    return verifier.caller(api.current_request).customer_id


def _body(model_name: str) -> Any:
    from . import schemas

    return schemas.parse(getattr(schemas, model_name), web.json_object(api.current_request))


def _query(name: str) -> str | None:
    return web.query(api.current_request, name)


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    return web.choice(api.current_request, name, allowed)


def _day(name: str) -> date | None:
    value = _query(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(fields={name: Phrase("field.date")}) from None


# ASCII digits only: str.isdigit() also takes "²", which int() then refuses (a 500).
_DAYS = re.compile(r"[0-9]{1,4}")


def _days(name: str, maximum: int) -> int | None:
    value = _query(name)
    if value is None:
        return None
    if not _DAYS.fullmatch(value) or int(value) > maximum:
        raise ValidationFailed(fields={name: Phrase("field.days", maximum=maximum)})
    return int(value)


def _page(customer_id: str, sort_prefix: str) -> tuple[int, dict[str, Any] | None]:
    """?limit= and ?cursor= of a list of the customer's items whose sort keys start with `sort_prefix`."""
    limit = web.page_limit(api.current_request)
    cursor = web.decode_cursor(
        api.current_request, partition=customer_pk(customer_id), sort_prefix=sort_prefix
    )
    return limit, cursor


def _no_content() -> Response:
    return Response(body="", status_code=204)


@api.route("/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@api.route("/openapi.json", methods=["GET"])
def openapi() -> dict[str, Any]:
    from .openapi import document

    return document()


# --- catalog and subscriptions --------------------------------------------------------------


@api.route("/catalog", methods=["GET"])
def catalog_list() -> dict[str, Any]:
    from . import catalog

    _customer()
    return {"items": catalog.listing(_choice("family", subscriptions.FAMILIES))}


@api.route("/catalog/terms", methods=["GET"])
def catalog_terms() -> dict[str, str]:
    from . import documents

    _customer()
    language = _choice("language", web.LANGUAGES) or web.language(api.current_request)
    return documents.terms_of_sale_link(language=language, now=_now(), today=_today())


@api.route("/", methods=["GET"])
def subscriptions_list() -> dict[str, Any]:
    customer_id = _customer()
    within = _days("expiring_within_days", 3660)
    q = _query("q")
    if q is not None and len(q) > 100:
        raise ValidationFailed(fields={"q": Phrase("field.at_most_characters", max_length=100)})
    limit, cursor = _page(customer_id, "SUB#")
    items, last_key = subscriptions.listing(
        customer_id,
        family=_choice("family", subscriptions.FAMILIES),
        status=_choice("status", subscriptions.STATUSES),
        q=q,
        expiring_within_days=within,
        today=_today(),
        limit=limit,
        cursor=cursor,
    )
    return {"items": items, "next_cursor": web.encode_cursor(last_key)}


@api.route("/dashboard", methods=["GET"])
def dashboard() -> dict[str, Any]:
    from . import dashboard as read_model

    return read_model.dashboard(_customer(), today=_today())


@api.route("/{subscription_id}", methods=["GET"])
def subscription_get(subscription_id: str) -> dict[str, Any]:
    return subscriptions.as_dict(subscriptions.get(_customer(), subscription_id), detail=True)


@api.route("/{subscription_id}", methods=["PATCH"])
def subscription_change(subscription_id: str) -> dict[str, Any]:
    from . import changes

    customer_id = _customer()
    body = _body("SubscriptionChanges")
    changed = changes.change(customer_id, subscription_id, body, now=_now(), today=_today())
    return subscriptions.as_dict(changed, detail=True)


@api.route("/{subscription_id}/confirm", methods=["POST"])
def subscription_confirm(subscription_id: str) -> dict[str, Any]:
    confirmed = subscriptions.confirm(_customer(), subscription_id, now=_now())
    return subscriptions.as_dict(confirmed, detail=True)


@api.route("/{subscription_id}/settings", methods=["PUT"])
def subscription_settings(subscription_id: str) -> dict[str, Any]:
    customer_id = _customer()
    data = web.json_object(api.current_request)
    return subscriptions.as_dict(
        subscriptions.configure(customer_id, subscription_id, data, now=_now()), detail=True
    )


@api.route("/{subscription_id}/renew", methods=["POST"])
def subscription_renew(subscription_id: str) -> Response:
    from . import orders

    customer_id = _customer()
    key = key_of(api.current_request)
    raw = web.json_object(api.current_request)
    body = _body("RenewRequest")

    def place() -> tuple[int, Any]:
        return 201, orders.as_dict(orders.renew(customer_id, subscription_id, body.periods, now=_now()))

    status, answer = renewal_once.run(
        customer_id=customer_id,
        key=key,
        body={"subscription_id": subscription_id, **raw},
        action=place,
        lambda_context=api.lambda_context,
    )
    return Response(body=answer, status_code=status)


@api.route("/{subscription_id}/cancel", methods=["POST"])
def subscription_cancel(subscription_id: str) -> dict[str, Any]:
    from . import cancellations

    customer_id = _customer()
    body = _body("Cancellation")
    cancelled = cancellations.cancel(
        customer_id, subscription_id, reason=body.reason, at=body.at, now=_now(), today=_today()
    )
    return subscriptions.as_dict(cancelled, detail=True)


@api.route("/{subscription_id}/cancel", methods=["DELETE"])
def subscription_cancel_withdraw(subscription_id: str) -> dict[str, Any]:
    """Withdraw a cancellation planned for the end of the period (until that day)."""
    from . import cancellations

    withdrawn = cancellations.withdraw(_customer(), subscription_id, now=_now(), today=_today())
    return subscriptions.as_dict(withdrawn, detail=True)


@api.route("/{subscription_id}/documents", methods=["GET"])
def documents_list(subscription_id: str) -> dict[str, Any]:
    from . import documents

    language = web.language(api.current_request)
    return {"items": documents.listing(_customer(), subscription_id, language)}


@api.route("/{subscription_id}/documents/{kind}", methods=["GET"])
def document_link(subscription_id: str, kind: str) -> dict[str, str]:
    from . import documents

    language = web.language(api.current_request)
    return documents.link(_customer(), subscription_id, kind, language=language, now=_now(), today=_today())


# --- orders ---------------------------------------------------------------------------------


@api.route("/orders", methods=["POST"])
def order_place() -> Response:
    from . import orders

    customer_id = _customer()
    key = key_of(api.current_request)
    raw = web.json_object(api.current_request)
    body = _body("OrderRequest")

    def place() -> tuple[int, Any]:
        return 201, orders.as_dict(orders.place(customer_id, body, now=_now()))

    status, answer = order_once.run(
        customer_id=customer_id, key=key, body=raw, action=place, lambda_context=api.lambda_context
    )
    return Response(body=answer, status_code=status)


@api.route("/orders", methods=["GET"])
def orders_list() -> dict[str, Any]:
    from . import orders

    customer_id = _customer()  # first: a caller without a token is told so, whatever else is wrong
    status = _choice("status", orders.STATUSES)
    limit, cursor = _page(customer_id, orders.SORT_PREFIX)
    items, last_key = orders.listing(customer_id, status=status, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": web.encode_cursor(last_key)}


@api.route("/orders/{order_id}", methods=["GET"])
def order_get(order_id: str) -> dict[str, Any]:
    from . import orders

    return orders.as_dict(orders.get(_customer(), order_id))


# --- messages to support --------------------------------------------------------------------


@api.route("/support-messages", methods=["POST"])
def support_message_send() -> Response:
    from . import support_messages

    customer_id = _customer()
    key = key_of(api.current_request)
    raw = web.json_object(api.current_request)
    body = _body("SupportMessageRequest")

    def send() -> tuple[int, Any]:
        sent = support_messages.send(customer_id, body, now=_now(), today=_today())
        return 201, support_messages.as_dict(sent)

    status, answer = support_once.run(
        customer_id=customer_id, key=key, body=raw, action=send, lambda_context=api.lambda_context
    )
    return Response(body=answer, status_code=status)


@api.route("/support-messages", methods=["GET"])
def support_messages_list() -> dict[str, Any]:
    from . import support_messages

    customer_id = _customer()
    limit, cursor = _page(customer_id, support_messages.SORT_PREFIX)
    items, last_key = support_messages.listing(customer_id, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": web.encode_cursor(last_key)}


# --- appointments ---------------------------------------------------------------------------


@api.route("/appointments/slots", methods=["GET"])
def appointment_slots() -> dict[str, Any]:
    from . import appointments

    _customer()
    return {"items": appointments.free_slots(_day("from"), _day("to"), today=_today(), now=_now())}


@api.route("/appointments", methods=["GET"])
def appointments_list() -> dict[str, Any]:
    from . import appointments

    customer_id = _customer()
    limit, cursor = _page(customer_id, appointments.SORT_PREFIX)
    items, last_key = appointments.listing(customer_id, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": web.encode_cursor(last_key)}


@api.route("/appointments", methods=["POST"])
def appointment_book() -> Response:
    from . import appointments

    customer_id = _customer()
    body = _body("AppointmentRequest")
    booked = appointments.book(customer_id, start=body.start, topic=body.topic, phone=body.phone, now=_now())
    return Response(body=appointments.as_dict(booked), status_code=201)


@api.route("/appointments/{appointment_id}", methods=["DELETE"])
def appointment_cancel(appointment_id: str) -> Response:
    from . import appointments

    appointments.cancel(_customer(), appointment_id, now=_now())
    return _no_content()
