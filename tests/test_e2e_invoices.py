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


def operator_token(runtime: Any, scopes: str = "invoices:write") -> str:
    """`make operator-token SCOPES=...` against this runtime: the token it prints."""
    import subprocess
    import sys

    from conftest import REPO

    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "guichet_local.operator_token",
            "--port",
            str(runtime.port),
            "--scopes",
            scopes,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


def test_a_tip_payers_order_is_completed_once_an_operator_records_the_tip(runtime: Any) -> None:
    # Given a customer who chose to pay by TIP, and ordered a mobile line
    customer = verified_customer(runtime, "e2e-tip", **CAMILLE)
    auth = customer.auth
    chose = runtime.request("PATCH", "/invoices/preferences", json={"payment_method": "tip"}, headers=auth)
    assert chose.status_code == 200 and chose.json()["payment_method"] == "tip"
    order = runtime.post(
        "/subscriptions/orders",
        json={"items": [{"product_id": "mobile-50go", "label": "Ligne de Camille"}]},
        headers={**auth, "Idempotency-Key": f"order-{uuid.uuid4()}"},
    )
    assert order.status_code == 201, order.text
    order_id = order.json()["order_id"]
    from customers import order_invoice

    invoice = order_invoice(runtime, customer, order_id, timeout=30)

    # Then its invoice is to be paid by TIP, and its PDF carries the TIP slip
    assert invoice["payment_mode"] == "tip"
    import io

    from pypdf import PdfReader

    link = runtime.get(f"/invoices/{invoice['invoice_id']}/pdf", headers=auth).json()
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(runtime.http.get(link["url"]).content)).pages
    )
    assert "TIP SEPA" in text and f"{customer.customer_id} {invoice['number']}" in text

    # When they send the TIP, then try to pay by card as well
    sent = runtime.post(
        f"/invoices/{invoice['invoice_id']}/payments",
        json={"method": "tip"},
        headers={**auth, "Idempotency-Key": f"pay-{uuid.uuid4()}"},
    )
    card = runtime.post(
        f"/invoices/{invoice['invoice_id']}/payments",
        json={"method": "card", "card_token": "tok_visa"},
        headers={**auth, "Idempotency-Key": f"pay-{uuid.uuid4()}"},
    )

    # Then the TIP is awaited and the card refused (409): nothing is provisioned yet
    assert sent.status_code == 201 and sent.json()["status"] == "pending"
    assert card.status_code == 409 and card.json()["error"]["code"] == "payment_pending"
    assert runtime.get(f"/subscriptions/orders/{order_id}", headers=auth).json()["status"] == "received"

    # When the back office, with an operator token, records the TIP received
    token = operator_token(runtime)
    route = (
        f"/invoices/operator/customers/{customer.customer_id}/payments/{sent.json()['payment_id']}/received"
    )
    as_customer = runtime.post(route, headers=auth)
    as_operator_on_customer_route = runtime.get("/invoices", headers={"Authorization": f"Bearer {token}"})
    received = runtime.post(route, headers={"Authorization": f"Bearer {token}"})

    # Then a customer token cannot do it nor an operator token read the customer's invoices; the
    # invoice is paid and the order completed
    assert as_customer.status_code == 401 and as_operator_on_customer_route.status_code == 401
    assert received.status_code == 200, received.text
    assert received.json()["status"] == "succeeded"
    assert runtime.get(f"/invoices/{invoice['invoice_id']}", headers=auth).json()["status"] == "paid"
    completed = eventually(
        lambda: (
            runtime.get(f"/subscriptions/orders/{order_id}", headers=auth).json()["status"] == "completed"
        ),
        timeout=30,
    )
    assert completed, "the order was not completed"
    mails = [mail for mail in runtime.mail() if customer.email in mail["to"]]
    assert any("Nous avons bien reçu" in mail["subject"] for mail in mails)


def test_an_order_never_paid_is_voided_by_the_daily_job(runtime: Any) -> None:
    # Given an order whose invoice is not paid
    from datetime import date, timedelta

    from customers import order_invoice

    customer = verified_customer(runtime, "e2e-void", **CAMILLE)
    auth = customer.auth
    order = runtime.post(
        "/subscriptions/orders",
        json={"items": [{"product_id": "mobile-50go", "label": "Ligne oubliée"}]},
        headers={**auth, "Idempotency-Key": f"order-{uuid.uuid4()}"},
    )
    invoice = order_invoice(runtime, customer, order.json()["order_id"], timeout=30)
    due_on = date.fromisoformat(invoice["due_on"])

    # When the daily job runs the day after its due date, then 14 days after it
    for late in (1, 14):
        done = runtime.job("invoices.mark_overdue", at=f"{due_on + timedelta(days=late)}T06:00:00Z")
        assert done.returncode == 0, done.stderr

    # Then the invoice is void, the customer was told (a reminder naming the day, then the void),
    # and a late payment is refused
    assert runtime.get(f"/invoices/{invoice['invoice_id']}", headers=auth).json()["status"] == "void"
    subjects = [mail["subject"] for mail in runtime.mail() if customer.email in mail["to"]]
    assert any("Votre commande est annulée" in subject for subject in subjects)
    late = runtime.post(
        f"/invoices/{invoice['invoice_id']}/payments",
        json={"method": "card", "card_token": "tok_visa"},
        headers={**auth, "Idempotency-Key": f"pay-{uuid.uuid4()}"},
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "invoice_void"
