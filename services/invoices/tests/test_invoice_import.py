"""Invoices of the provider's billing imported in bulk: a JSON Lines file of ProviderInvoice bodies
(each with its customer_id and external_id) applied by the apply_invoice_imports job, reported
line by line, idempotent by the provider's id; their PDFs then one by one, each announcing its
invoice as a single import does.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import Operator, assert_answer_documented, invoices_in_table, mails_to, operator_token
from guichet_local.testing import answer, assert_error
from test_provider_invoices import PDF, provider_invoice, put, put_pdf

SUBMITTED = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
IMPORTS = "/provider-invoices/imports"


def jsonl(*lines: Any) -> bytes:
    """A file of these lines: a dict as a JSON object, a str as it is."""
    return "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines).encode()


def line(customer: Any, external_id: str, **changes: Any) -> dict[str, Any]:
    return {"customer_id": customer.customer_id, "external_id": external_id, **provider_invoice(**changes)}


def submit(operator: Operator, content: bytes, content_type: str = "application/jsonl") -> Any:
    headers = {"authorization": f"Bearer {operator.token}", "content-type": content_type}
    response = operator.client.http.request("POST", f"/operator{IMPORTS}", headers=headers, body=content)
    assert_answer_documented("POST", f"/operator{IMPORTS}", response)
    return response


def run_job(client: Any, at: datetime = SUBMITTED) -> Any:
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    event["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return client.lambda_.invoke("apply_invoice_imports", event).payload


def report(operator: Operator, import_id: str, query: str = "") -> Any:
    response = operator.call("GET", f"{IMPORTS}/{import_id}{query}", headers={"accept-language": "en"})
    assert_answer_documented("GET", f"/operator{IMPORTS}/{{import_id}}", response)
    return response


def imported(operator: Operator, content: bytes) -> dict[str, Any]:
    """Submit a file, run the job, read the whole report."""
    submitted = submit(operator, content)
    assert submitted.status_code == 202, submitted.body
    assert answer(submitted)["status"] == "queued"
    run_job(operator.client)
    found = report(operator, answer(submitted)["import_id"])
    assert found.status_code == 200, found.body
    return dict(answer(found))


def by_line(found: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {item["line"]: item for item in found["items"]}


def new_id(tag: str = "inv") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}"


def test_a_file_imports_its_invoices_and_the_same_file_again_changes_nothing(
    customer_factory: Any, operator: Operator, published: Any
) -> None:
    # Given two customers and a file of three invoices
    first, second = customer_factory(), customer_factory()
    ids = [new_id() for _ in range(3)]
    content = jsonl(line(first, ids[0]), line(first, ids[1], total_cents=8926), line(second, ids[2]))

    # When it is imported
    found = imported(operator, content)

    # Then three invoices are created, each line naming its invoice, all awaiting their PDF
    assert (found["status"], found["rows"], found["created"], found["unchanged"], found["rejected"]) == (
        "done",
        3,
        3,
        0,
        0,
    )
    lines = by_line(found)
    assert [lines[n]["status"] for n in (1, 2, 3)] == ["created"] * 3
    assert all(lines[n]["awaiting_pdf"] is True for n in (1, 2, 3))
    assert len(invoices_in_table(first.customer_id)) == 2
    assert len(invoices_in_table(second.customer_id)) == 1
    # and nothing was announced: the "new invoice" mail waits for the PDF it links to
    assert published.of(first.customer_id, "InvoiceIssued") == []

    # When the same file is imported again
    again = imported(operator, content)

    # Then every line is unchanged, naming the same invoices, and nothing more is stored
    assert (again["created"], again["unchanged"], again["rejected"]) == (0, 3, 0)
    assert [item["invoice_id"] for item in again["items"]] == [item["invoice_id"] for item in found["items"]]
    assert len(invoices_in_table(first.customer_id)) == 2


def test_an_imported_invoice_is_announced_once_its_pdf_is_stored_and_the_report_says_so(
    customer_factory: Any, operator: Operator, published: Any, mailbox: Any
) -> None:
    # Given a file of two invoices of one customer, imported
    customer = customer_factory()
    waiting, sent = new_id(), new_id()
    body = line(customer, sent)
    found = imported(operator, jsonl(line(customer, waiting), body))
    import_id = found["import_id"]

    # When the PDF of one of them is stored by the PUT of one invoice's PDF
    assert put_pdf(operator, customer, sent, PDF).status_code == 201

    # Then it is announced once, with its mail, and the report says only the other still waits
    (issued,) = published.of(customer.customer_id, "InvoiceIssued")
    assert issued["detail"]["data"]["number"] == body["number"]
    assert len([mail for mail in mails_to(mailbox, customer.email) if body["number"] in mail["subject"]]) == 1
    pending = {
        item["external_id"]: item["awaiting_pdf"] for item in answer(report(operator, import_id))["items"]
    }
    assert pending == {waiting: True, sent: False}


def test_bad_lines_are_reported_by_line_number_and_the_good_ones_imported(
    customer_factory: Any, operator: Operator
) -> None:
    # Given a file whose lines 2 to 8 are each wrong in one way (a blank line 9 is skipped)
    customer = customer_factory()
    good, late = new_id(), new_id()
    content = jsonl(
        line(customer, good),
        "not json",
        line(customer, new_id(), total_cents=1),  # totals that are not their lines'
        line(customer, new_id(), due_on="2026-10-01"),  # due before issued
        {**line(customer, new_id()), "currency": "USD"},
        {key: value for key, value in line(customer, new_id()).items() if key != "customer_id"},
        line(customer, good),  # the same external_id again
        {**line(customer, new_id()), "external_id": "not an id!"},
        "",
        line(customer, late),
    )

    # When it is imported
    found = imported(operator, content)

    # Then each bad line is rejected with its fields, and the good ones (lines 1 and 10) imported
    lines = by_line(found)
    assert (found["rows"], found["created"], found["rejected"]) == (9, 2, 7)
    assert [lines[n]["status"] for n in (1, 10)] == ["created", "created"]
    assert set(lines[2]["fields"]) == {"line"}
    assert set(lines[3]["fields"]) == {"total_cents"}
    assert "8926" in lines[3]["fields"]["total_cents"]
    assert set(lines[4]["fields"]) == {"due_on"}
    assert set(lines[5]["fields"]) == {"currency"}
    assert set(lines[6]["fields"]) == {"customer_id"}
    assert lines[7]["fields"] == {"external_id": "is already on line 1"}
    assert set(lines[8]["fields"]) == {"external_id"}
    assert 9 not in lines
    # and only the rejected lines when asked for, a page at a time
    rejected = answer(report(operator, found["import_id"], "?status=rejected&limit=4"))
    assert [item["line"] for item in rejected["items"]] == [2, 3, 4, 5]
    rest = answer(report(operator, found["import_id"], f"?status=rejected&cursor={rejected['next_cursor']}"))
    assert [item["line"] for item in rest["items"]] == [6, 7, 8]
    assert rest["next_cursor"] is None


def test_numbers_taken_or_in_guichets_range_are_rejected_per_line(
    customer_factory: Any, operator: Operator
) -> None:
    # Given an invoice imported one by one, and a file reusing its number (in another case), a
    # number of Guichet's own range, and one number on two lines
    customer = customer_factory()
    taken = provider_invoice()
    assert put(operator, customer, new_id(), taken).status_code == 201
    twice = f"FA-{uuid.uuid4().hex[:8]}"
    content = jsonl(
        line(customer, new_id(), number=taken["number"].lower()),
        line(customer, new_id(), number="F2026-000123"),
        line(customer, new_id(), number=twice),
        line(customer, new_id(), number=twice),
    )

    # When it is imported
    lines = by_line(imported(operator, content))

    # Then each number another invoice has, or Guichet's, is its line's problem
    assert lines[1]["fields"] == {"number": "is already the number of another invoice"}
    assert lines[2]["fields"] == {"number": "is in Guichet's own numbering range (F<year>-<n>)"}
    assert lines[3]["status"] == "created"
    assert lines[4]["fields"] == {"number": "is already on line 3"}
    assert len(invoices_in_table(customer.customer_id)) == 2


def test_an_unknown_customer_is_rejected_on_its_line(customer_factory: Any, operator: Operator) -> None:
    customer = customer_factory()
    content = jsonl(
        {**line(customer, new_id()), "customer_id": "zz999999-GUNKNOWN"},
        line(customer, new_id()),
    )
    lines = by_line(imported(operator, content))
    assert lines[1]["fields"] == {"customer_id": "is not a customer the service knows"}
    assert lines[2]["status"] == "created"
    assert invoices_in_table("zz999999-GUNKNOWN") == []


def test_an_external_id_imported_with_other_data_or_for_another_customer_is_rejected(
    customer_factory: Any, operator: Operator
) -> None:
    # Given an invoice imported by its PUT
    customer, other = customer_factory(), customer_factory()
    external_id = new_id()
    body = provider_invoice()
    assert put(operator, customer, external_id, body).status_code == 201

    # When a file sends it with other data, for another customer, and as it was
    content = jsonl(
        {**line(customer, external_id), "number": body["number"], "due_on": "2026-12-31"},
        {**line(other, external_id), **body},
        {"customer_id": customer.customer_id, "external_id": external_id, **body},
    )
    lines = by_line(imported(operator, content))

    # Then the first is rejected (an issued invoice never changes), the others name line 1
    assert set(lines[1]["fields"]) == {"external_id"}
    assert lines[1]["fields"]["external_id"].startswith("was imported with other data")
    assert lines[2]["fields"] == lines[3]["fields"] == {"external_id": "is already on line 1"}

    # When, alone in their files, it comes for another customer, then as it was
    for_other = by_line(imported(operator, jsonl({**line(other, external_id), **body})))
    same = by_line(
        imported(operator, jsonl({"customer_id": customer.customer_id, "external_id": external_id, **body}))
    )

    # Then another customer's is named as such, and the same data is the PUT's invoice, unchanged
    assert for_other[1]["fields"] == {"external_id": "is the id of another customer's invoice"}
    assert (same[1]["status"], same[1]["number"]) == ("unchanged", body["number"])
    assert len(invoices_in_table(customer.customer_id)) == 1
    assert invoices_in_table(other.customer_id) == []


def test_a_file_that_cannot_be_read_is_refused_at_once(operator: Operator) -> None:
    assert_error(submit(operator, b""), 422, "validation_failed")
    assert_error(submit(operator, b"\xff\xfe not utf-8\n"), 422, "validation_failed")
    csv = submit(operator, b"customer_id,external_id\nx,y\n", "text/csv")
    assert_error(csv, 415, "unsupported_media_type")
    assert "JSON Lines" in answer(csv)["error"]["message"]
    as_json = submit(operator, b'{"a": 1}', "application/json")
    assert_error(as_json, 415, "unsupported_media_type")
    assert "JSON Lines" in answer(as_json)["error"]["message"]


def test_a_report_of_an_unknown_import_is_not_found(operator: Operator) -> None:
    assert_error(report(operator, uuid.uuid4().hex), 404, "not_found")
    assert_error(report(operator, "not-an-import"), 404, "not_found")


def test_the_routes_need_the_invoices_write_scope_and_refuse_a_customer_token(
    customer_factory: Any, client: Any, signer: Any, operator: Operator
) -> None:
    customer = customer_factory()
    content = jsonl(line(customer, new_id()))
    submitted = answer(submit(operator, content))
    for caller, status, code in (
        (Operator(operator_token(signer, scopes=("customers:write",)), client), 403, "insufficient_scope"),
        (Operator(customer.token, client), 401, "unauthenticated"),
    ):
        assert_error(submit(caller, content), status, code)
        assert_error(report(caller, submitted["import_id"]), status, code)
    run_job(client)
    assert invoices_in_table(customer.customer_id) != []  # the operator's file alone


def test_a_run_out_of_time_leaves_the_file_queued_for_the_next_run(
    customer_factory: Any, operator: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a file submitted, and a run of the job whose Lambda has no time left
    from guichet_contracts import import_files

    customer = customer_factory()
    submitted = answer(submit(operator, jsonl(line(customer, new_id()))))
    with monkeypatch.context() as patched:
        patched.setattr(import_files, "RUN_SECONDS", 0)
        run_job(operator.client)

    # Then nothing is applied yet: the file waits, queued
    assert answer(report(operator, submitted["import_id"]))["status"] == "queued"
    assert invoices_in_table(customer.customer_id) == []

    # When the next run has its time, the file is applied
    run_job(operator.client)
    assert answer(report(operator, submitted["import_id"]))["created"] == 1
