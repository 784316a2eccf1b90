"""Issue 4 end to end over HTTP on the local runtime: order → invoice listed → PDF downloaded
through its link → paid by card → the order completes (PaymentSucceeded reaches subscriptions).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

PASSWORD = "a long and personal passphrase 2026"


def logged_in(runtime: Any) -> tuple[str, dict[str, str]]:
    email = f"e2e-inv-{uuid.uuid4().hex[:8]}@example.org"
    registered = runtime.post(
        "/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "first_name": "Camille",
            "last_name": "Durand",
            "address": {
                "line1": "3 quai des Chartrons",
                "postal_code": "33000",
                "city": "Bordeaux",
                "country": "FR",
            },
        },
    ).json()
    text = next(mail for mail in runtime.mail() if email in mail["to"])["text"]
    token = text.split("token=", 1)[1].split()[0]
    assert runtime.post("/auth/verify-email", json={"token": token}).status_code == 200
    access = runtime.post("/auth/login", json={"login": email, "password": PASSWORD}).json()["access_token"]
    return registered["customer_id"], {"Authorization": f"Bearer {access}"}


def eventually(probe: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("the events did not arrive in time")


def test_order_is_invoiced_downloaded_paid_by_card_and_completed(runtime: Any) -> None:
    customer_id, auth = logged_in(runtime)

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
        )
    )
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
        lambda: runtime.get(f"/subscriptions/orders/{order_id}", headers=auth).json()["status"] == "completed"
    )
    assert completed
    lines = runtime.get("/subscriptions", headers=auth, params={"family": "mobile"}).json()["items"]
    assert [line["label"] for line in lines] == ["Ligne de Camille"]
    assert lines[0]["status"] == "active"
