"""Invoices service benchmarks (issue 4).

1. Cold import of the app's API function ÷ `python -c 'import boto3'` (goal ≤ 1.3: the PDF
   library stays out of it), fresh interpreters, alternated.
2. One-page invoice render with its Factur-X XML ÷ a blank one-page PDF made by the same library,
   interleaved in one run (reported).
3. DynamoDB requests for the invoice list (goal 1), counted at PynamoDB's connection on moto.
"""

from __future__ import annotations

import json
import os
import sys

from harness import (
    ROOT,
    DynamoCalls,
    cold_import_ratio,
    deployed_on_moto,
    interleaved_medians,
    requests_made,
    service_environment,
)

SERVICE = ROOT / "services" / "invoices"
RESOURCES = {
    "INVOICES_TABLE_NAME": "guichet-test-invoices",
    "INVOICES_PDF_BUCKET": "guichet-test-invoices-123456789012",
}
ROUNDS = 20


def render_ratio() -> None:
    sys.path.insert(0, str(SERVICE))
    sys.path.insert(0, str(SERVICE / "tests"))
    from chalicelib import invoice_pdf
    from test_invoice_pdf import BUYER, INVOICE, LINES, SELLER

    invoice_pdf.render(INVOICE, LINES, SELLER, BUYER, language="fr"), invoice_pdf.blank_page()  # warm
    blank, render = interleaved_medians(
        invoice_pdf.blank_page,
        lambda: invoice_pdf.render(INVOICE, LINES, SELLER, BUYER, language="fr"),
        ROUNDS,
    )
    print(
        f"one-page invoice with Factur-X: {render * 1000:.1f} ms, blank page "
        f"{blank * 1000:.2f} ms, ratio {render / blank:.0f} (reported)"
    )


def list_requests() -> None:
    import logging

    logging.disable(logging.WARNING)
    os.environ.update(service_environment(SERVICE, **RESOURCES))
    from conftest import order_event
    from guichet_local.testing import a_customer, deliver

    with deployed_on_moto(SERVICE, "guichet-test") as signer:
        from app import app
        from chalice.test import Client

        client = Client(app, stage_name="local", project_dir=str(SERVICE))
        customer_id = "bi000001-GU"
        deliver(client, "customer_changed", a_customer(customer_id, "bench@example.org"))
        for index in range(12):
            order = order_event(customer_id, [{"description": f"Ligne {index}", "unit_price_cents": 999}])
            deliver(client, "order_placed", order)
        headers = {"authorization": f"Bearer {signer.token(customer_id)}"}
        client.http.get("/", headers=headers)  # warm
        calls = DynamoCalls()
        answer, counted = calls.during(lambda: client.http.get("/", headers=headers))
        items = len(json.loads(answer.body)["items"])
        print(f"DynamoDB requests, GET /invoices ({items} invoices): {requests_made(counted)} (goal 1)")


if __name__ == "__main__":
    cold_import_ratio(SERVICE, service_environment(SERVICE, **RESOURCES), "invoices app")
    render_ratio()
    list_requests()
