"""Every route of API.md "Invoices" answers with its documented fields, and each answer validates
against the service's OpenAPI document (GET /invoices/openapi.json) for its status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import (
    assert_documented,
    energy_activated,
    invoice_of_order,
    order_placed,
    ordered_invoice,
    pay_key,
    payments_in_table,
    snapshot,
    stored_invoice,
)
from guichet_local.testing import answer

INVOICE_FIELDS = {
    "invoice_id",
    "number",
    "kind",
    "issued_on",
    "due_on",
    "period_start",
    "period_end",
    "status",
    "total_excl_tax_cents",
    "tax_cents",
    "total_cents",
    "amount_due_cents",
    "currency",
    "customer_id",
}
LINE_FIELDS = {"description", "quantity", "unit", "unit_price_cents", "tax_rate", "total_excl_tax_cents"}
PAYMENT_FIELDS = {"payment_id", "status", "amount_cents", "currency", "method"}
LINK_FIELDS = {"url", "expires_at"}
SCHEDULE_FIELDS = {"year", "estimated_annual_cents", "installments", "regularization_on"}
BANK_FIELDS = {"iban_masked", "bic", "holder", "mandate_reference", "signed_on"}
IBAN = "FR76 3000 6000 0112 3456 7890 189"


def test_health_answers_ok_without_a_token(client: Any, openapi_document: dict[str, Any]) -> None:
    # Given no token
    # When the health route is called
    response = client.http.get("/health")

    # Then it answers ok, as documented
    assert (response.status_code, answer(response)) == (200, {"status": "ok"})
    assert_documented(openapi_document, "GET", "/health", response)


def test_the_list_gives_the_invoices_with_their_fields(
    customer_factory: Any, openapi_document: dict[str, Any]
) -> None:
    # Given a customer with two invoices issued today
    customer = customer_factory()
    first = ordered_invoice(customer, 1200)
    second = ordered_invoice(customer, 3599)

    # When they list their invoices
    response = customer.call("GET", "/")

    # Then both come with every field of API.md, and the answer matches the document
    assert response.status_code == 200
    body = answer(response)
    assert body["next_cursor"] is None
    assert {item["invoice_id"] for item in body["items"]} == {first.invoice_id, second.invoice_id}
    for item in body["items"]:
        assert set(item) >= INVOICE_FIELDS, item
        assert item["customer_id"] == customer.customer_id
        assert item["kind"] == "invoice" and item["status"] == "open" and item["currency"] == "EUR"
    by_id = {item["invoice_id"]: item for item in body["items"]}
    assert by_id[second.invoice_id]["total_cents"] == 3599
    assert by_id[second.invoice_id]["number"] == second.number
    assert_documented(openapi_document, "GET", "/", response)


def test_an_invoice_comes_with_its_lines_and_payments(
    customer_factory: Any, openapi_document: dict[str, Any]
) -> None:
    # Given a customer with an invoice of two lines, paid by card
    customer = customer_factory()
    order_id = order_placed(
        customer.client,
        customer.customer_id,
        [
            {"description": "Nom de domaine guichet.fr", "unit_price_cents": 1200, "unit": "year"},
            {"description": "Boîte mail", "unit_price_cents": 300, "quantity": 2},
        ],
    )
    invoice = invoice_of_order(order_id)
    paid = customer.call(
        "POST", f"/{invoice.invoice_id}/payments", {"method": "card", "card_token": "tok_visa"}, pay_key()
    )
    assert paid.status_code == 201, paid.body

    # When the invoice is read
    response = customer.call("GET", f"/{invoice.invoice_id}")

    # Then it has the invoice fields, its two lines and the payment applied, as documented
    assert response.status_code == 200
    body = answer(response)
    assert INVOICE_FIELDS | {"lines", "payments"} <= set(body)
    assert (body["invoice_id"], body["number"], body["order_id"]) == (
        invoice.invoice_id,
        invoice.number,
        order_id,
    )
    assert (body["status"], body["total_cents"], body["amount_due_cents"]) == ("paid", 1800, 0)
    assert [line["description"] for line in body["lines"]] == ["Nom de domaine guichet.fr", "Boîte mail"]
    assert all(set(line) >= LINE_FIELDS for line in body["lines"])
    assert [(line["quantity"], line["unit"]) for line in body["lines"]] == [("1", "year"), ("2", "month")]
    assert [payment["payment_id"] for payment in body["payments"]] == [answer(paid)["payment_id"]]
    assert body["payments"][0]["amount_cents"] == 1800 and body["payments"][0]["method"] == "card"
    assert_documented(openapi_document, "GET", "/{invoice_id}", response)


def test_the_pdf_route_gives_a_short_link(customer_factory: Any, openapi_document: dict[str, Any]) -> None:
    # Given a customer's invoice
    customer = customer_factory()
    invoice = ordered_invoice(customer)
    before = datetime.now(UTC).replace(microsecond=0)

    # When its PDF is asked for
    response = customer.call("GET", f"/{invoice.invoice_id}/pdf")

    # Then a link expiring within 300 s comes back, as documented
    assert response.status_code == 200
    body = answer(response)
    assert set(body) == LINK_FIELDS
    assert body["url"].startswith("https://") and "X-Amz-Expires=300" in body["url"]
    expires = datetime.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before + timedelta(seconds=299) <= expires <= datetime.now(UTC) + timedelta(seconds=300)
    assert_documented(openapi_document, "GET", "/{invoice_id}/pdf", response)


def test_paying_one_invoice_answers_201_with_the_payment(
    customer_factory: Any, openapi_document: dict[str, Any]
) -> None:
    # Given a customer's open invoice
    customer = customer_factory()
    invoice = ordered_invoice(customer, 4500)

    # When they pay it by card
    response = customer.call(
        "POST", f"/{invoice.invoice_id}/payments", {"method": "card", "card_token": "tok_visa"}, pay_key()
    )

    # Then 201 with the payment of API.md, stored, as documented
    assert response.status_code == 201, response.body
    body = answer(response)
    assert set(body) >= PAYMENT_FIELDS
    assert (body["status"], body["amount_cents"], body["currency"], body["method"]) == (
        "succeeded",
        4500,
        "EUR",
        "card",
    )
    assert [payment.payment_id for payment in payments_in_table(customer.customer_id)] == [body["payment_id"]]
    assert_documented(openapi_document, "POST", "/{invoice_id}/payments", response)


def test_paying_several_invoices_answers_201_with_one_payment(
    customer_factory: Any, openapi_document: dict[str, Any]
) -> None:
    # Given a customer's two open invoices
    customer = customer_factory()
    first, second = ordered_invoice(customer, 1000), ordered_invoice(customer, 2500)

    # When they pay both at once
    response = customer.call(
        "POST",
        "/payments",
        {"invoice_ids": [first.invoice_id, second.invoice_id], "method": "card", "card_token": "tok_visa"},
        pay_key(),
    )

    # Then one payment of the sum, as documented
    assert response.status_code == 201, response.body
    body = answer(response)
    assert set(body) >= PAYMENT_FIELDS
    assert (body["status"], body["amount_cents"]) == ("succeeded", 3500)
    assert body["invoice_ids"] == [first.invoice_id, second.invoice_id]
    assert_documented(openapi_document, "POST", "/payments", response)


def test_the_schedule_of_a_monthly_payer(customer_factory: Any, openapi_document: dict[str, Any]) -> None:
    # Given a monthly payer's electricity contract, activated
    customer = customer_factory()
    energy_activated(customer, price_cents=1200)

    # When they read their schedule
    response = customer.call("GET", "/schedule")

    # Then it has the fields of API.md, as documented
    assert response.status_code == 200, response.body
    body = answer(response)
    assert set(body) >= SCHEDULE_FIELDS
    assert len(body["installments"]) == 12
    assert all({"due_on", "amount_cents", "status"} <= set(item) for item in body["installments"])
    assert sum(item["amount_cents"] for item in body["installments"]) == body["estimated_annual_cents"]
    assert_documented(openapi_document, "GET", "/schedule", response)


def test_bank_account_put_then_get(customer_factory: Any, openapi_document: dict[str, Any]) -> None:
    # Given a customer without bank details
    customer = customer_factory()

    # When they give an IBAN, then read their bank details
    put = customer.call("PUT", "/bank-account", {"iban": IBAN, "holder": "Test Client"})
    got = customer.call("GET", "/bank-account")

    # Then both answers have the fields of API.md, as documented
    assert put.status_code == 200, put.body
    assert set(answer(put)) == BANK_FIELDS
    assert answer(got) == answer(put)
    assert answer(put)["bic"].startswith("AGRIFRPP") and answer(put)["holder"] == "Test Client"
    assert_documented(openapi_document, "PUT", "/bank-account", put)
    assert_documented(openapi_document, "GET", "/bank-account", got)


def test_preferences_get_then_patch(customer_factory: Any, openapi_document: dict[str, Any]) -> None:
    # Given a customer
    customer = customer_factory()

    # When they read and change their preferences
    got = customer.call("GET", "/preferences")
    patched = customer.call("PATCH", "/preferences", {"paperless": False})

    # Then both answers have the fields of API.md, as documented
    assert (got.status_code, answer(got)) == (
        200,
        {"paperless": True, "notify_new_invoice": True, "payment_method": "card"},
    )
    assert (patched.status_code, answer(patched)) == (
        200,
        {"paperless": False, "notify_new_invoice": True, "payment_method": "card"},
    )
    assert_documented(openapi_document, "GET", "/preferences", got)
    assert_documented(openapi_document, "PATCH", "/preferences", patched)


def test_a_duplicate_answers_201_with_a_link(customer_factory: Any, openapi_document: dict[str, Any]) -> None:
    # Given a customer's invoice
    customer = customer_factory()
    invoice = ordered_invoice(customer)

    # When a duplicate is asked for
    response = customer.call("POST", f"/{invoice.invoice_id}/duplicate")

    # Then 201 with a link, as documented; the invoice itself is unchanged
    assert response.status_code == 201, response.body
    assert set(answer(response)) == LINK_FIELDS
    assert "duplicate" in answer(response)["url"]
    assert snapshot(stored_invoice(customer.customer_id, invoice.invoice_id)) == snapshot(invoice)
    assert_documented(openapi_document, "POST", "/{invoice_id}/duplicate", response)
