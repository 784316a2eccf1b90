"""An invoice of the provider's own billing, end to end over HTTP on the local runtime (issue 12):
the provider imports its data and its PDF with an operator token; the registered customer lists
it, downloads the very bytes the provider sent, pays it by card and sees it paid.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from customers import provider_invoice, verified_customer

PDF = b"%PDF-1.7\n%\xb5\xb5\xb5\xb5\n1 0 obj <</Type /Catalog>> endobj\n% the provider's own invoice\n%%EOF\n"


def operator_headers(runtime: Any, content_type: str) -> dict[str, str]:
    from guichet_local.operator_token import local_token

    token = local_token(runtime.port, ["invoices:write"], operator="ops:billing-sync")
    return {"Authorization": f"Bearer {token}", "Content-Type": content_type}


def test_an_imported_invoice_is_listed_downloaded_and_paid_by_the_customer(runtime: Any) -> None:
    from conftest import eventually

    # Given a registered customer, and an invoice of the provider's billing issued today
    customer = verified_customer(runtime, "e2e-provider-invoice", first_name="Lou", last_name="Martin")
    today = runtime.now().date()
    external_id = f"inv-{uuid.uuid4().hex[:12]}"
    number = f"FA-{uuid.uuid4().hex[:8].upper()}"
    body = provider_invoice(number, today, today + timedelta(days=30))
    path = f"/invoices/operator/customers/{customer.customer_id}/provider-invoices/{external_id}"

    # When the provider imports it (once the invoices service knows the customer) and its PDF
    def imported() -> Any:
        answer = runtime.request(
            "PUT", path, json=body, headers=operator_headers(runtime, "application/json")
        )
        return (answer.status_code, answer.text) if answer.status_code != 404 else None

    created = eventually(imported, timeout=20)
    assert created is not None, "the invoices service never learnt of the customer"
    assert created[0] == 201, created[1]
    stored = runtime.request(
        "PUT", f"{path}/pdf", data=PDF, headers=operator_headers(runtime, "application/pdf")
    )
    assert stored.status_code == 201, stored.text

    # Then the customer lists it, with the provider's number
    listed = runtime.get("/invoices", headers=customer.auth).json()["items"]
    (invoice,) = [item for item in listed if item["external_id"] == external_id]
    assert (invoice["number"], invoice["origin"], invoice["amount_due_cents"]) == (number, "provider", 3599)

    # And downloads the very bytes the provider sent
    link = runtime.get(f"/invoices/{invoice['invoice_id']}/pdf", headers=customer.auth)
    assert link.status_code == 200, link.text
    assert runtime.http.get(link.json()["url"], timeout=30).content == PDF

    # And pays it by card, and sees it paid
    paid = runtime.post(
        f"/invoices/{invoice['invoice_id']}/payments",
        json={"method": "card", "card_token": "tok_visa"},
        headers={**customer.auth, "Idempotency-Key": f"pay-{uuid.uuid4()}"},
    )
    assert paid.status_code == 201 and paid.json()["status"] == "succeeded", paid.text
    detail = runtime.get(f"/invoices/{invoice['invoice_id']}", headers=customer.auth).json()
    assert (detail["status"], detail["amount_due_cents"]) == ("paid", 0)
