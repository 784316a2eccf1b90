"""Issue 4 end to end over HTTP on the local runtime: order → invoice listed → PDF downloaded
through its link → paid by card → the order completes (PaymentSucceeded reaches subscriptions).
"""

from __future__ import annotations

import uuid
from typing import Any

from conftest import eventually
from customers import verified_customer

CAMILLE = {
    "first_name": "Camille",
    "last_name": "Durand",
    "address": {"line1": "3 quai des Chartrons", "postal_code": "33000", "city": "Bordeaux", "country": "FR"},
}


def test_order_is_invoiced_downloaded_paid_by_card_and_completed(runtime: Any) -> None:
    customer = verified_customer(runtime, "e2e-inv", **CAMILLE)
    customer_id, auth = customer.customer_id, customer.auth

    order = runtime.post(
        "/subscriptions/orders",
        json={"items": [{"product_id": "mobile-50go", "label": "Ligne de Camille"}]},
        headers={**auth, "Idempotency-Key": f"order-{uuid.uuid4()}"},
    )
    assert order.status_code == 201, order.text
    order_id = order.json()["order_id"]

    # OrderPlaced → the invoices service issues the invoice
    invoice = eventually(
        lambda: next(
            (
                item
                for item in runtime.get("/invoices", headers=auth).json()["items"]
                if item["order_id"] == order_id
            ),
            None,
        ),
        timeout=30,
    )
    assert invoice, "the events did not arrive in time"
    assert invoice["status"] == "open"
    assert invoice["total_cents"] == order.json()["total_cents"]
    assert invoice["number"].startswith("F")

    # the PDF through its short link: a Factur-X PDF with the customer id
    link = runtime.get(f"/invoices/{invoice['invoice_id']}/pdf", headers=auth).json()
    pdf = runtime.http.get(link["url"], timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf.content))
    assert customer_id in "".join(page.extract_text() for page in reader.pages)
    assert "factur-x.xml" in str(reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"].get_object())

    # paid by card (sandbox test card)
    paid = runtime.post(
        f"/invoices/{invoice['invoice_id']}/payments",
        json={"method": "card", "card_token": "4242 4242 4242 4242"},
        headers={**auth, "Idempotency-Key": f"pay-{uuid.uuid4()}"},
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "succeeded"
    assert runtime.get(f"/invoices/{invoice['invoice_id']}", headers=auth).json()["status"] == "paid"

    # PaymentSucceeded → subscriptions completes the order and the line is active
    completed = eventually(
        lambda: (
            runtime.get(f"/subscriptions/orders/{order_id}", headers=auth).json()["status"] == "completed"
        ),
        timeout=30,
    )
    assert completed, "the events did not arrive in time"
    lines = runtime.get("/subscriptions", headers=auth, params={"family": "mobile"}).json()["items"]
    assert [line["label"] for line in lines] == ["Ligne de Camille"]
    assert lines[0]["status"] == "active"
