"""Routes of the invoices service (all 🔒 but health, the OpenAPI document and Stripe's webhook,
which its signature authenticates).

Each route parses the request, calls one domain function and returns a dict. The customer comes
from the verified access token; another customer's invoice answers 404 like a missing one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from chalice import Blueprint, Response
from guichet_contracts import web
from guichet_contracts.access_tokens import AccessTokenVerifier
from guichet_contracts.errors import ValidationFailed
from guichet_contracts.idempotency import Idempotency, key_of
from guichet_contracts.words import Phrase

from . import invoicing
from .models import customer_pk
from .settings import settings

api = Blueprint(__name__)
verifier = AccessTokenVerifier(
    public_keys_secret_id=settings.jwt_public_keys_secret,
    issuer=settings.jwt_issuer,
    audience=settings.jwt_audience,
)
payment_once = Idempotency(table_name=settings.table_name, name="payments")


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return invoicing.local_day(_now())


def _customer() -> str:
    return verifier.caller(api.current_request).customer_id


def _body(model_name: str) -> Any:
    from . import schemas

    return schemas.parse(getattr(schemas, model_name), web.json_object(api.current_request))


def _paid_once(customer_id: str, raw: dict[str, Any], pay: Any) -> Response:
    """`pay(request_key)` once per Idempotency-Key; a retry of a request that failed midway pays
    with the same key again (payments.pay: the same payment, the provider's same charge)."""
    from . import payments

    key = key_of(api.current_request)

    def action() -> tuple[int, Any]:
        return 201, payments.as_dict(pay(key))

    status, answer = payment_once.run(
        customer_id=customer_id,
        key=key,
        body=raw,
        action=action,
        lambda_context=api.lambda_context,
    )
    return Response(body=answer, status_code=status)


@api.route("/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@api.route("/openapi.json", methods=["GET"])
def openapi() -> dict[str, Any]:
    from .openapi import document

    return document()


@api.route("/", methods=["GET"])
def invoices_list() -> dict[str, Any]:
    customer_id = _customer()
    request = api.current_request
    items, last_key = invoicing.listing(
        customer_id,
        month_from=invoicing.month_bounds(web.query(request, "from"), "from"),
        month_to=invoicing.month_bounds(web.query(request, "to"), "to"),
        status=web.choice(request, "status", ("open", "paid", "overdue", "void", "refunded")),
        kind=web.choice(request, "kind", ("invoice", "credit_note", "resale", "regularization")),
        today=_today(),
        limit=web.page_limit(request),
        cursor=web.decode_cursor(request, partition=customer_pk(customer_id), sort_prefix="INVOICE#"),
    )
    return {"items": items, "next_cursor": web.encode_cursor(last_key)}


@api.route("/schedule", methods=["GET"])
def schedule() -> dict[str, Any]:
    from . import payment_schedules

    return payment_schedules.current(_customer(), _today())


@api.route("/bank-account", methods=["GET"])
def bank_account() -> dict[str, Any]:
    from . import bank_accounts

    return bank_accounts.as_dict(bank_accounts.get(_customer()))


@api.route("/bank-account", methods=["PUT"])
def bank_account_change() -> dict[str, Any]:
    from . import bank_accounts

    caller = verifier.caller(api.current_request)
    # a session signed in with a second factor shows it again before bank details change
    caller.require_recent_authentication(now=_now().timestamp())
    customer_id = caller.customer_id
    body = _body("BankAccountBody")
    changed = bank_accounts.change(
        customer_id, iban=body.iban, bic=body.bic, holder=body.holder, now=_now(), today=_today().isoformat()
    )
    return bank_accounts.as_dict(changed)


@api.route("/preferences", methods=["GET"])
def preferences_get() -> dict[str, Any]:
    from . import preferences

    return preferences.as_dict(preferences.get(_customer()))


@api.route("/preferences", methods=["PATCH"])
def preferences_change() -> dict[str, Any]:
    from . import preferences

    customer_id = _customer()
    changes = _body("PreferencesChanges").model_dump(exclude_unset=True)
    if any(value is None for value in changes.values()):
        raise ValidationFailed(
            fields={
                name: Phrase("field.one_of", allowed=["card", "direct_debit", "check", "tip"])
                if name == "payment_method"
                else Phrase("field.boolean")
                for name, value in changes.items()
                if value is None
            }
        )
    return preferences.as_dict(preferences.change(customer_id, changes))


@api.route("/payments", methods=["POST"])
def pay_several() -> Response:
    from . import payments

    customer_id = _customer()
    raw = web.json_object(api.current_request)
    body = _body("MultiPaymentRequest")
    return _paid_once(
        customer_id,
        raw,
        lambda key: payments.pay(
            customer_id,
            body.invoice_ids,
            method=body.method,
            card_token=body.card_token,
            now=_now(),
            request_key=key,
        ),
    )


@api.route("/payment-provider", methods=["GET"])
def payment_provider() -> dict[str, Any]:
    """Which provider takes card payments, for the portal's card form (Stripe Elements with the
    publishable key, or the sandbox's card numbers)."""
    from . import payment_provider as providers

    _customer()
    return providers.page_configuration()


@api.route("/payments/stripe/webhook", methods=["POST"])
def stripe_webhook() -> dict[str, Any]:
    """Stripe's webhook: no customer token; the signature, checked with the SDK, is the auth."""
    from . import stripe_webhooks

    request = api.current_request
    return stripe_webhooks.receive(request.raw_body, request.headers.get("stripe-signature"), now=_now())


@api.route("/{invoice_id}", methods=["GET"])
def invoice_get(invoice_id: str) -> dict[str, Any]:
    from . import payments

    invoice = invoicing.get(_customer(), invoice_id, today=_today())
    return {**invoicing.detail(invoice), "pending_payment": payments.holding(invoice)}


@api.route("/{invoice_id}/pdf", methods=["GET"])
def invoice_pdf(invoice_id: str) -> dict[str, str]:
    return invoicing.pdf_link(_customer(), invoice_id, now=_now())


@api.route("/{invoice_id}/duplicate", methods=["POST"])
def invoice_duplicate(invoice_id: str) -> Response:
    customer_id = _customer()
    language = web.language(api.current_request)
    return Response(
        body=invoicing.duplicate(customer_id, invoice_id, language=language, now=_now()), status_code=201
    )


@api.route("/{invoice_id}/payments", methods=["POST"])
def pay_one(invoice_id: str) -> Response:
    from . import payments

    customer_id = _customer()
    raw = web.json_object(api.current_request)
    body = _body("PaymentRequest")
    return _paid_once(
        customer_id,
        {"invoice_id": invoice_id, **raw},
        lambda key: payments.pay(
            customer_id,
            [invoice_id],
            method=body.method,
            card_token=body.card_token,
            amount_cents=body.amount_cents,
            now=_now(),
            request_key=key,
        ),
    )
