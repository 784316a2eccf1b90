"""Operator routes of the invoices service (`/invoices/operator/...`): the back office's hands.

Each route takes an operator token with the `invoices:write` scope (guichet_contracts
.operator_tokens: the auth service's key, the operator audience), never a customer's access
token; every write is logged with the operator's `sub` and kept on what it changed
(`recorded_by`, `issued_by`).

- a cheque or TIP received, or never received (expired);
- a credit note against an invoice (amount, reason; with an Idempotency-Key), refunded by the
  method that paid it (or deducted from what is still due on it);
- a refund made by hand (one waiting for an operator, or one the provider declined);
- an invoice of the provider's own billing, its data then its PDF (provider_invoices.py), or a
  file of thousands of them, applied by the `apply_invoice_imports` job (invoice_import.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint, Rate, Response
from guichet_contracts import events, import_files, web
from guichet_contracts.idempotency import Idempotency, key_of
from guichet_contracts.operator_tokens import OperatorTokenVerifier
from guichet_contracts.words import Phrase

from .settings import settings

operator_api = Blueprint(__name__)
operators = OperatorTokenVerifier.from_settings(settings)
SCOPE = "invoices:write"
_CUSTOMER_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
credit_note_once = Idempotency(table_name=settings.table_name, name="operator-credit-notes")


def _now() -> datetime:
    return datetime.now(UTC)


def _operator() -> str:
    return operators.operator(operator_api.current_request, SCOPE).operator_id


def _customer(customer_id: str) -> str:
    """A customer id of the path: one that cannot name an item is a 404 like an unknown one."""
    from .errors import NotFound

    if not _CUSTOMER_ID.fullmatch(customer_id):
        raise NotFound()
    return customer_id


def _body(model_name: str) -> Any:
    from . import schemas

    return schemas.parse(getattr(schemas, model_name), web.json_object(operator_api.current_request))


@operator_api.route("/operator/customers/{customer_id}/payments/{payment_id}/received", methods=["POST"])
def payment_received(customer_id: str, payment_id: str) -> dict[str, Any]:
    from . import payments

    operator = _operator()
    return payments.as_dict(
        payments.record_received(_customer(customer_id), payment_id, operator=operator, now=_now())
    )


@operator_api.route("/operator/customers/{customer_id}/payments/{payment_id}/expired", methods=["POST"])
def payment_expired(customer_id: str, payment_id: str) -> dict[str, Any]:
    from . import payments

    operator = _operator()
    return payments.as_dict(
        payments.record_expired(_customer(customer_id), payment_id, operator=operator, now=_now())
    )


@operator_api.route("/operator/customers/{customer_id}/invoices/{invoice_id}/credit-notes", methods=["POST"])
def credit_note(customer_id: str, invoice_id: str) -> Response:
    from . import credit_notes, invoicing

    operator = _operator()
    request = operator_api.current_request
    raw = web.json_object(request)
    body = _body("CreditNoteRequest")
    key = key_of(request)

    def action() -> tuple[int, Any]:
        document = credit_notes.by_operator(
            _customer(customer_id),
            invoice_id,
            amount_cents=body.amount_cents,
            reason=body.reason,
            operator=operator,
            key=key,
            now=_now(),
        )
        return 201, invoicing.detail(document)

    status, answer = credit_note_once.run(
        customer_id=f"{operator}|{customer_id}",
        key=key,
        body={"invoice_id": invoice_id, **raw},
        action=action,
        lambda_context=operator_api.lambda_context,
    )
    return Response(body=answer, status_code=status)


@operator_api.route("/operator/customers/{customer_id}/refunds/{refund_id}/made", methods=["POST"])
def refund_made(customer_id: str, refund_id: str) -> dict[str, Any]:
    from . import refunds

    operator = _operator()
    body = _body("RefundMade")
    return refunds.as_dict(
        refunds.record_made(
            _customer(customer_id), refund_id, method=body.method, operator=operator, now=_now()
        )
    )


@operator_api.route("/operator/customers/{customer_id}/provider-invoices/{external_id}", methods=["PUT"])
def provider_invoice_put(customer_id: str, external_id: str) -> Response:
    from . import provider_invoices

    operator = _operator()
    body = _body("ProviderInvoice")
    created, invoice = provider_invoices.put(
        _customer(customer_id),
        provider_invoices.external_id_of(external_id),
        body,
        operator=operator,
        now=_now(),
    )
    return Response(body=provider_invoices.as_dict(invoice), status_code=201 if created else 200)


@operator_api.route(
    "/operator/customers/{customer_id}/provider-invoices/{external_id}/pdf",
    methods=["PUT"],
    # JSON too, so that the token is checked first and a JSON body gets our 415
    content_types=["application/pdf", "application/json"],
)
def provider_invoice_pdf(customer_id: str, external_id: str) -> Response:
    from . import provider_invoices
    from .errors import UnsupportedMediaType

    operator = _operator()
    request = operator_api.current_request
    customer = _customer(customer_id)
    external = provider_invoices.external_id_of(external_id)
    provider_invoices.get(customer, external)  # an id of another customer's is a 404 before all
    if (request.headers.get("content-type") or "").split(";")[0].strip().lower() != "application/pdf":
        raise UnsupportedMediaType(Phrase("error.unsupported_media_type_pdf"))
    raw = request.raw_body or b""
    stored, invoice = provider_invoices.store_pdf(
        customer, external, raw.encode() if isinstance(raw, str) else raw, operator=operator
    )
    return Response(body=provider_invoices.as_dict(invoice), status_code=201 if stored else 200)


@operator_api.route(
    "/operator/provider-invoices/imports",
    methods=["POST"],
    # CSV and JSON too, so that the token is checked first and they get our 415
    content_types=[*import_files.JSON_LINES, "text/csv", "application/json"],
)
def provider_invoices_import() -> Response:
    from . import invoice_import

    operator = _operator()
    request = operator_api.current_request
    invoice_import.file_format(request.headers.get("content-type"))
    _kind, content = import_files.sent_file(request)
    submitted = invoice_import.submit(content, operator=operator, now=_now())
    return Response(body=import_files.summary(submitted), status_code=202)


@operator_api.route("/operator/provider-invoices/imports/{import_id}", methods=["GET"])
def provider_invoices_import_report(import_id: str) -> dict[str, Any]:
    from . import invoice_import

    _operator()
    return invoice_import.JOB.report(operator_api.current_request, import_id, shown=invoice_import.with_pdfs)


@operator_api.schedule(Rate(1, unit=Rate.MINUTES), name="apply_invoice_imports")
def apply_invoice_imports(event: Any) -> dict[str, int]:
    """Applies the invoices files operators submitted, oldest first, for at most
    import_files.RUN_SECONDS of the Lambda's 15 minutes; what is left goes on at the next run."""
    import time

    from . import invoice_import

    stop_at = time.monotonic() + import_files.RUN_SECONDS
    done = invoice_import.run_queued(
        now=events.scheduled_time(event), stop=lambda: time.monotonic() >= stop_at
    )
    return {"done": done}
