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
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from auth_bench import DynamoCalls, cold_import_ratio

ROOT = Path(__file__).resolve().parents[1]
SERVICE = ROOT / "services" / "invoices"
ROUNDS = 20


def environment() -> dict[str, str]:
    config = json.loads((SERVICE / ".chalice" / "config.json").read_text())
    env = dict(os.environ)
    env.update(config["environment_variables"])
    env.update(config["stages"]["local"]["environment_variables"])
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-west-3",
            "INVOICES_TABLE_NAME": "guichet-test-invoices",
            "INVOICES_PDF_BUCKET": "guichet-test-invoices-123456789012",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    env.pop("AWS_ENDPOINT_URL", None)
    return env


def render_ratio() -> None:
    sys.path.insert(0, str(SERVICE))
    sys.path.insert(0, str(SERVICE / "tests"))
    from chalicelib import invoice_pdf
    from test_invoice_pdf import BUYER, INVOICE, LINES, SELLER

    invoice_pdf.render(INVOICE, LINES, SELLER, BUYER, language="fr"), invoice_pdf.blank_page()  # warm
    renders, blanks = [], []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        invoice_pdf.blank_page()
        blanks.append(time.perf_counter() - started)
        started = time.perf_counter()
        invoice_pdf.render(INVOICE, LINES, SELLER, BUYER, language="fr")
        renders.append(time.perf_counter() - started)
    ratio = statistics.median(renders) / statistics.median(blanks)
    print(
        f"one-page invoice with Factur-X: {statistics.median(renders) * 1000:.1f} ms, blank page "
        f"{statistics.median(blanks) * 1000:.2f} ms, ratio {ratio:.0f} (reported)"
    )


def list_requests() -> None:
    import logging

    logging.disable(logging.WARNING)
    os.environ.update(environment())
    from guichet_local.resources import deploy_service_resources, verify_mail_sender
    from guichet_local.testing import Signer, deliver
    from moto import mock_aws

    with mock_aws():
        deploy_service_resources(SERVICE, "guichet-test")
        verify_mail_sender(os.environ["GUICHET_MAIL_SENDER"])
        signer = Signer()
        signer.publish()
        from app import app
        from chalice.test import Client

        client = Client(app, stage_name="local", project_dir=str(SERVICE))
        customer_id = "bi000001-GU"
        deliver(
            client,
            "customer_changed",
            "guichet.auth",
            "CustomerRegistered",
            {"customer_id": customer_id, "email": "bench@example.org", "first_name": "B", "last_name": "I"},
        )
        for index in range(12):
            deliver(
                client,
                "order_placed",
                "guichet.subscriptions",
                "OrderPlaced",
                {
                    "order_id": uuid.uuid4().hex,
                    "customer_id": customer_id,
                    "currency": "EUR",
                    "prices_include_tax": True,
                    "lines": [
                        {
                            "description": f"Ligne {index}",
                            "quantity": 1,
                            "unit": "month",
                            "unit_price_cents": 999,
                            "tax_rate": "20.0",
                        }
                    ],
                },
            )
        headers = {"authorization": f"Bearer {signer.token(customer_id)}"}
        client.http.get("/", headers=headers)  # warm
        calls = DynamoCalls()
        answer, counted = calls.during(lambda: client.http.get("/", headers=headers))
        items = len(json.loads(answer.body)["items"])
        total = sum(counted.values())
        detail = ", ".join(f"{op} {n}" for op, n in sorted(counted.items()))
        print(f"DynamoDB requests, GET /invoices ({items} invoices): {total} ({detail}) (goal 1)")


if __name__ == "__main__":
    cold_import_ratio(SERVICE, environment(), "invoices app")
    render_ratio()
    list_requests()
