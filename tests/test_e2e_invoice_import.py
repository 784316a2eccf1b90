"""Invoices of the provider's own billing imported in bulk, end to end over HTTP on the local
runtime (issue 12): a JSON Lines file of them applied by the invoices.apply_invoice_imports job,
its report line by line; the "new invoice" mail of each waits for its PDF, sent one by one; the
same file again changes nothing; the customer lists them.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from customers import provider_invoice, verified_customer

PDF = b"%PDF-1.7\n%\xb5\xb5\xb5\xb5\n1 0 obj <</Type /Catalog>> endobj\n% the provider's invoice\n%%EOF\n"
IMPORTS = "/invoices/operator/provider-invoices/imports"


def operator_headers(runtime: Any, content_type: str | None = None) -> dict[str, str]:
    from guichet_local.operator_token import local_token

    token = local_token(runtime.port, ["invoices:write"], operator="ops:billing-sync")
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    return {**headers, "Content-Type": content_type} if content_type else headers


def imported(runtime: Any, content: bytes) -> dict[str, Any]:
    """Submit a file, run the job now, and read its report once done."""
    from conftest import eventually

    submitted = runtime.post(IMPORTS, data=content, headers=operator_headers(runtime, "application/jsonl"))
    assert submitted.status_code == 202, submitted.text
    ran = runtime.job("invoices.apply_invoice_imports", at=runtime.now().strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert ran.returncode == 0, ran.stderr

    def done() -> dict[str, Any] | None:
        report = runtime.get(f"{IMPORTS}/{submitted.json()['import_id']}", headers=operator_headers(runtime))
        assert report.status_code == 200, report.text
        return report.json() if report.json()["status"] == "done" else None

    report = eventually(done, timeout=60)
    assert report, "the invoices file is not applied after a minute"
    return report


def test_a_file_of_invoices_is_imported_announced_with_each_pdf_and_the_same_file_changes_nothing(
    runtime: Any,
) -> None:
    # Given a registered customer the invoices service knows
    customer = verified_customer(runtime, "e2e-invoice-import", first_name="Noé", last_name="Garnier")
    runtime.settle()
    today = runtime.now().date()

    def invoice(external_id: str, **changes: Any) -> dict[str, Any]:
        return {
            "customer_id": customer.customer_id,
            "external_id": external_id,
            **provider_invoice(f"FA-{uuid.uuid4().hex[:8].upper()}", today, today + timedelta(days=30)),
            **changes,
        }

    # When the provider imports a file of two invoices and one whose totals are wrong
    first, second = invoice(f"inv-{uuid.uuid4().hex[:10]}"), invoice(f"inv-{uuid.uuid4().hex[:10]}")
    wrong = invoice(f"inv-{uuid.uuid4().hex[:10]}", total_cents=3600)
    content = "".join(json.dumps(line) + "\n" for line in (first, wrong, second)).encode()
    report = imported(runtime, content)

    # Then two are created and line 2 is rejected by name, both invoices waiting for their PDF
    assert (report["rows"], report["created"], report["rejected"]) == (3, 2, 1), report
    lines = {line["line"]: line for line in report["items"]}
    assert lines[2]["fields"] == {"total_cents": "the lines add up to 3599 cents"}
    assert (lines[1]["awaiting_pdf"], lines[3]["awaiting_pdf"]) == (True, True)
    # and the customer lists them, announced to nobody yet
    listed = {
        item["external_id"]: item for item in runtime.get("/invoices", headers=customer.auth).json()["items"]
    }
    assert {first["external_id"], second["external_id"]} <= set(listed)
    assert not [mail for mail in runtime.mail() if first["number"] in mail["subject"]]

    # When the PDF of the first is sent
    path = f"/invoices/operator/customers/{customer.customer_id}/provider-invoices/{first['external_id']}/pdf"
    stored = runtime.request("PUT", path, data=PDF, headers=operator_headers(runtime, "application/pdf"))
    assert stored.status_code == 201, stored.text

    # Then its "new invoice" mail goes out, and only the second waits for its PDF now
    mails = [mail for mail in runtime.mail() if first["number"] in mail["subject"]]
    assert len(mails) == 1 and customer.email in mails[0]["to"], mails
    again = runtime.get(f"{IMPORTS}/{report['import_id']}", headers=operator_headers(runtime)).json()
    assert {line["line"]: line.get("awaiting_pdf") for line in again["items"]} == {1: False, 2: None, 3: True}

    # When the same file is imported again, nothing changes
    twice = imported(runtime, content)
    assert (twice["created"], twice["unchanged"], twice["rejected"]) == (0, 2, 1), twice
    assert len(runtime.get("/invoices", headers=customer.auth).json()["items"]) == len(listed)
