"""Operator access: the operator routes take an operator token (the auth service's key, the
operator audience, a `scope` claim), never a customer's access token; a customer route never
takes an operator token; an operator token without the invoices:write scope gets 403; and what
an operator writes names them (logged and kept with what it changed).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from conftest import Operator, operator_token, ordered_invoice, pay_key, stored_invoice
from guichet_local.testing import answer, assert_error

OPERATOR_ROUTE = "/customers/{customer}/payments/{payment}/received"


@pytest.fixture
def cheque(customer_factory: Any) -> Any:
    """A customer who said they pay an invoice of 25 € by cheque: the payment is pending."""
    customer = customer_factory()
    invoice = ordered_invoice(customer, 2500)
    response = customer.call("POST", f"/{invoice.invoice_id}/payments", {"method": "check"}, pay_key())
    assert response.status_code == 201, response.body
    return customer, invoice, answer(response)["payment_id"]


def test_an_operator_token_records_a_cheque_and_names_its_operator(cheque: Any, operator: Operator) -> None:
    # Given a pending cheque
    customer, invoice, payment_id = cheque

    # When an operator with the invoices:write scope records it received
    response = operator.received(customer, payment_id)

    # Then it is done, and the payment keeps who recorded it (the token's sub)
    assert response.status_code == 200, response.body
    assert answer(response)["status"] == "succeeded"
    from chalicelib import payments

    assert payments.get(customer.customer_id, payment_id).recorded_by == "ops:camille"
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "paid"


def test_a_customer_token_is_refused_on_an_operator_route(cheque: Any, client: Any) -> None:
    # Given a pending cheque, and the customer's own valid access token
    customer, invoice, payment_id = cheque
    assert customer.call("GET", f"/{invoice.invoice_id}").status_code == 200

    # When the customer calls the operator route with it (their own payment)
    as_customer = Operator(customer.token, client).received(customer, payment_id)

    # Then 401, and the cheque is still awaited
    assert_error(as_customer, 401, "unauthenticated")
    from chalicelib import payments

    assert payments.get(customer.customer_id, payment_id).status == "pending"


def test_an_operator_token_is_refused_on_customer_routes(
    cheque: Any, operator: Operator, client: Any
) -> None:
    # Given an operator token
    _, invoice, _ = cheque

    # When it is used on the customer routes
    headers = {"authorization": f"Bearer {operator.token}"}
    listed = client.http.get("/", headers=headers)
    read = client.http.get(f"/{invoice.invoice_id}", headers=headers)

    # Then 401: it has no session and is for another audience
    assert_error(listed, 401, "unauthenticated")
    assert_error(read, 401, "unauthenticated")


def test_an_operator_token_with_a_customer_session_claim_is_refused(
    cheque: Any, signer: Any, client: Any
) -> None:
    # Given a token for the operator audience that also carries a customer's session id
    customer, _, payment_id = cheque
    token = operator_token(signer, sid="a-customer-session")

    # When it calls the operator route
    response = Operator(token, client).received(customer, payment_id)

    # Then 401: a session token is a customer's, whatever its audience says
    assert_error(response, 401, "unauthenticated")


def test_an_operator_token_without_the_scope_gets_403(cheque: Any, signer: Any, client: Any) -> None:
    # Given an operator token that only allows the subscriptions routes
    customer, _, payment_id = cheque
    token = operator_token(signer, scopes=("subscriptions:write",))

    # When it records the cheque
    response = Operator(token, client).received(customer, payment_id)

    # Then 403 insufficient_scope naming the scope, and nothing changed
    assert_error(response, 403, "insufficient_scope", "scope")
    from chalicelib import payments

    assert payments.get(customer.customer_id, payment_id).status == "pending"


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": int(time.time()) - 60, "iat": int(time.time()) - 3600, "nbf": int(time.time()) - 3600},
        {"aud": "guichet"},
        {"iss": "https://evil.example"},
        {"scope": None},
        {"sub": ""},
        {"iat": int(time.time()), "exp": int(time.time()) + 10 * 365 * 86400},
    ],
    ids=["expired", "customer-audience", "other-issuer", "no-scope", "no-sub", "living-ten-years"],
)
def test_a_bad_operator_token_gets_401(cheque: Any, signer: Any, client: Any, claims: dict[str, Any]) -> None:
    customer, _, payment_id = cheque
    response = Operator(operator_token(signer, **claims), client).received(customer, payment_id)
    assert_error(response, 401, "unauthenticated")


def test_an_operator_token_signed_by_another_key_gets_401(cheque: Any, client: Any) -> None:
    from guichet_local.testing import Signer

    customer, _, payment_id = cheque
    stranger = Signer()  # its key is in no JWKS the service reads
    response = Operator(operator_token(stranger), client).received(customer, payment_id)
    assert_error(response, 401, "unauthenticated")


def test_operator_writes_are_logged_with_the_operator(cheque: Any, operator: Operator) -> None:
    # Given a pending cheque, and the service's log lines kept
    import logging

    from chalicelib import payments

    customer, _, payment_id = cheque
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    kept = Keep()
    payments.logger.addHandler(kept)
    try:
        # When an operator records it received
        assert operator.received(customer, payment_id).status_code == 200
    finally:
        payments.logger.removeHandler(kept)

    # Then the audit line names the operator, the customer and the payment
    audit = [record for record in records if record.getMessage() == "operator recorded a payment received"]
    assert len(audit) == 1
    assert (audit[0].operator, audit[0].customer_id, audit[0].payment_id) == (  # type: ignore[attr-defined]
        "ops:camille",
        customer.customer_id,
        payment_id,
    )


def test_the_signer_refuses_what_an_operator_token_must_not_be() -> None:
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives.asymmetric import ec
    from guichet_contracts import operator_tokens

    key = ec.generate_private_key(ec.SECP256R1())
    common = {"kid": "k", "issuer": "i", "audience": "a", "now": datetime.now(UTC)}
    with pytest.raises(ValueError, match="operator"):
        operator_tokens.sign(key, operator_id=" ", scopes=["invoices:write"], **common)
    with pytest.raises(ValueError, match="scopes"):
        operator_tokens.sign(key, operator_id="ops", scopes=[], **common)
    with pytest.raises(ValueError, match="at most"):
        operator_tokens.sign(
            key, operator_id="ops", scopes=["invoices:write"], lifetime=timedelta(days=2), **common
        )


RECEIVED = "/operator/customers/{customer_id}/payments/{payment_id}/received"
EXPIRED = "/operator/customers/{customer_id}/payments/{payment_id}/expired"
CREDIT_NOTES = "/operator/customers/{customer_id}/invoices/{invoice_id}/credit-notes"
REFUND_MADE = "/operator/customers/{customer_id}/refunds/{refund_id}/made"


def test_every_operator_answer_is_documented(
    cheque: Any, operator: Operator, signer: Any, client: Any, openapi_document: dict[str, Any]
) -> None:
    from conftest import assert_documented

    customer, invoice, payment_id = cheque
    base = f"/customers/{customer.customer_id}"
    unscoped = Operator(operator_token(signer, scopes=("subscriptions:write",)), client)
    answers = [
        # (route as the app routes it, method, response, status expected)
        (RECEIVED, operator.call("POST", f"{base}/payments/pay_20260101_000000000000/received"), 404),
        (RECEIVED, unscoped.received(customer, payment_id), 403),
        (RECEIVED, Operator("not-a-token", client).received(customer, payment_id), 401),
        (RECEIVED, operator.received(customer, payment_id), 200),
        (EXPIRED, operator.expired(customer, payment_id), 409),
        (CREDIT_NOTES, operator.credit_note(customer, invoice.invoice_id, 500, "Geste commercial"), 201),
        (CREDIT_NOTES, operator.credit_note(customer, invoice.invoice_id, 10**6, "Trop"), 422),
        (
            CREDIT_NOTES,
            operator.call("POST", f"{base}/invoices/{invoice.invoice_id}/credit-notes", b"{"),
            400,
        ),
        (CREDIT_NOTES, operator.credit_note(customer, "in_20260101_0000000000", 100, "Inconnue"), 404),
        (REFUND_MADE, operator.refund_made(customer, "rf_in_20260101_0000000000_00"), 404),
        (
            REFUND_MADE,
            operator.call("POST", f"{base}/refunds/rf_in_20260101_0000000000_00/made", {"method": "cash"}),
            422,
        ),
    ]
    for route, response, status in answers:
        assert response.status_code == status, (route, status, response.body[:300])
        assert_documented(openapi_document, "POST", route, response)


@pytest.mark.parametrize(
    "path",
    [
        "/customers/%00/payments/pay_20260101_000000000000/received",
        "/customers/" + "x" * 3000 + "/payments/pay_20260101_000000000000/expired",
        "/customers/tm000001-GU/payments/" + "p" * 3000 + "/received",
        "/customers/tm000001-GU/invoices/" + "i" * 3000 + "/credit-notes",
        "/customers/tm000001-GU/refunds/rf_in_" + "r" * 3000 + "/made",
    ],
)
def test_odd_ids_in_operator_paths_are_a_404_never_a_500(operator: Operator, path: str) -> None:
    body = {"amount_cents": 100, "reason": "Essai"} if "credit-notes" in path else {"method": "transfer"}
    response = operator.call("POST", path, body, pay_key())
    assert_error(response, 404, "not_found")
