"""Invoices of the provider's own billing, imported over the operator API: idempotent by the
provider's id, never edited once issued, their numbers the provider's (never Guichet's), their
totals checked against their lines, their PDF the provider's document, and then listed, paid and
announced as Guichet's own.
"""

from __future__ import annotations

import uuid
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import (
    Operator,
    assert_answer_documented,
    card_paid,
    invoices_in_table,
    issue_invoice,
    linked_object,
    new_client,
    operator_token,
    paris_noon,
    stored_invoice,
)
from guichet_local.testing import answer, assert_error

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%\xe2\xe3\xcf\xd3 provider's own document\n%%EOF\n"


def provider_invoice(**changes: Any) -> dict[str, Any]:
    """Two lines at 20 % and one at 5.5 %: 2 x 29.99 + 10.00 = 69.98 at 20 % (VAT 14.00),
    3.333 x 1.5 = 5.00 (4.9995 rounded) at 5.5 % (VAT 0.28): 74.98 + 14.28 = 89.26 €."""
    return {
        "number": f"FA-{uuid.uuid4().hex[:10].upper()}",
        "issued_on": "2026-11-03",
        "due_on": "2026-12-03",
        "currency": "EUR",
        "lines": [
            {"label": "Fibre 1 Gb/s", "quantity": "2", "unit_price": "29.99", "vat_rate": "20"},
            {"label": "Location box", "quantity": "1", "unit_price": "10", "vat_rate": "20"},
            {"label": "Presse en ligne", "quantity": "3.333", "unit_price": "1.5", "vat_rate": "5.5"},
        ],
        "total_excl_tax_cents": 7498,
        "tax_cents": 1428,
        "total_cents": 8926,
        **changes,
    }


def put(operator: Operator, customer: Any, external_id: str, body: Any) -> Any:
    return operator.call("PUT", f"/customers/{customer.customer_id}/provider-invoices/{external_id}", body)


def put_pdf(
    operator: Operator, customer: Any, external_id: str, content: bytes, kind: str = "application/pdf"
) -> Any:
    path = f"/operator/customers/{customer.customer_id}/provider-invoices/{external_id}/pdf"
    headers = {"authorization": f"Bearer {operator.token}", "content-type": kind}
    response = operator.client.http.request("PUT", path, headers=headers, body=content)
    assert_answer_documented("PUT", path, response)
    return response


@pytest.fixture
def in_november(route_clock: Any) -> Any:
    """The customer routes read 10 November 2026 as today (the imported invoices' month)."""
    return route_clock(paris_noon(date(2026, 11, 10)))


@pytest.fixture
def imported(customer_factory: Any, operator: Operator, in_november: Any) -> Any:
    """A customer and an invoice of the provider's billing imported for them, with its PDF."""
    customer = customer_factory()
    external_id = f"inv-{uuid.uuid4().hex[:12]}"
    body = provider_invoice()
    created = put(operator, customer, external_id, body)
    assert created.status_code == 201, created.body
    assert put_pdf(operator, customer, external_id, PDF).status_code == 201
    return SimpleNamespace(customer=customer, external_id=external_id, body=body, invoice=answer(created))


def test_an_imported_invoice_keeps_the_providers_data_and_number(imported: Any, published: Any) -> None:
    # Given an invoice imported with its PDF
    invoice, body = imported.invoice, imported.body

    # Then it is an invoice of the customer with the provider's number, totals and lines
    assert invoice["number"] == body["number"]
    assert invoice["origin"] == "provider"
    assert invoice["external_id"] == imported.external_id
    assert (invoice["total_cents"], invoice["tax_cents"], invoice["amount_due_cents"]) == (8926, 1428, 8926)
    assert (invoice["status"], invoice["issued_on"], invoice["due_on"]) == (
        "open",
        "2026-11-03",
        "2026-12-03",
    )
    assert [line["description"] for line in invoice["lines"]] == [
        "Fibre 1 Gb/s",
        "Location box",
        "Presse en ligne",
    ]
    assert [line["total_excl_tax_cents"] for line in invoice["lines"]] == [5998, 1000, 500]
    # and it was announced as Guichet's own are, once
    (issued,) = [
        event
        for event in published.of(imported.customer.customer_id, "InvoiceIssued")
        if event["detail"]["data"]["invoice_id"] == invoice["invoice_id"]
    ]
    assert issued["detail"]["data"]["number"] == body["number"]
    # and the operator who imported it is kept
    assert stored_invoice(imported.customer.customer_id, invoice["invoice_id"]).issued_by == "ops:camille"


def test_the_same_body_twice_is_one_invoice(imported: Any, operator: Operator, published: Any) -> None:
    # When the provider sends the same invoice again
    again = put(operator, imported.customer, imported.external_id, imported.body)

    # Then 200, the same invoice, nothing more stored or announced
    assert again.status_code == 200, again.body
    assert answer(again)["invoice_id"] == imported.invoice["invoice_id"]
    assert len(invoices_in_table(imported.customer.customer_id)) == 1
    assert len(published.of(imported.customer.customer_id, "InvoiceIssued")) == 1


def test_a_changed_body_for_an_issued_invoice_is_a_conflict(imported: Any, operator: Operator) -> None:
    # Given the stored invoice
    before = stored_invoice(imported.customer.customer_id, imported.invoice["invoice_id"]).serialize()

    # When the provider sends other data under the same id
    changed = put(
        operator, imported.customer, imported.external_id, {**imported.body, "due_on": "2026-12-31"}
    )

    # Then 409: an issued invoice is never edited; it is as it was
    assert_error(changed, 409, "invoice_already_issued")
    assert stored_invoice(imported.customer.customer_id, imported.invoice["invoice_id"]).serialize() == before


def test_the_id_of_another_customers_invoice_names_nothing_for_this_one(
    imported: Any, operator: Operator, customer_factory: Any
) -> None:
    # Given another customer; when the operator names them with the first one's invoice id
    other = customer_factory()
    again = put(operator, other, imported.external_id, imported.body)
    pdf = put_pdf(operator, other, imported.external_id, PDF)

    # Then 404 (as for an id that names nothing), and nothing is stored for the other customer
    assert_error(again, 404, "not_found")
    assert_error(pdf, 404, "not_found")
    assert invoices_in_table(other.customer_id) == []


def test_totals_that_do_not_add_up_are_refused_with_their_fields(
    customer_factory: Any, operator: Operator
) -> None:
    # Given a customer
    customer = customer_factory()

    # When the totals are off by a cent (VAT rounded per line instead of per rate, say)
    wrong = put(operator, customer, "inv-wrong-1", provider_invoice(tax_cents=1429, total_cents=8927))

    # Then 422 naming the wrong totals, and nothing is stored
    assert_error(wrong, 422, "validation_failed", "tax_cents", "total_cents")
    assert answer(wrong)["error"]["fields"]["tax_cents"] == "les lignes totalisent 1428 centimes"
    assert invoices_in_table(customer.customer_id) == []


@pytest.mark.parametrize(
    ("language", "message", "field"),
    [
        ("fr", "Certains champs ne sont pas valides.", "les lignes totalisent 8926 centimes"),
        ("it", "Alcuni campi non sono validi.", "le righe sommano 8926 centesimi"),
    ],
)
def test_the_refusals_speak_the_operators_language(
    customer_factory: Any, operator: Operator, language: str, message: str, field: str
) -> None:
    # Given an operator whose requests ask for French or Italian
    customer = customer_factory()
    headers = {"accept-language": language}

    # When its totals or its PDF are refused
    path = f"/customers/{customer.customer_id}/provider-invoices/inv-words-1"
    wrong = operator.call("PUT", path, provider_invoice(total_cents=8927), headers=headers)
    taken = operator.call("PUT", path, provider_invoice(number="F2026-1"), headers=headers)

    # Then the message and the fields are in that language, never English left in
    error = answer(wrong)["error"]
    assert (error["message"], error["fields"]["total_cents"]) == (message, field)
    assert answer(taken)["error"]["message"] != "This invoice number is already used."
    assert "Guichet" in answer(taken)["error"]["fields"]["number"]


def test_bad_fields_are_refused(customer_factory: Any, operator: Operator) -> None:
    customer = customer_factory()
    bad = put(
        operator,
        customer,
        "inv-bad-1",
        provider_invoice(currency="USD", issued_on="2026-13-40", lines=[], number="FA 1"),
    )
    assert_error(bad, 422, "validation_failed", "currency", "lines", "number")
    late = put(operator, customer, "inv-bad-2", provider_invoice(issued_on="2026-02-30"))
    assert_error(late, 422, "validation_failed", "issued_on")
    early = put(operator, customer, "inv-bad-3", provider_invoice(due_on="2026-11-02"))
    assert_error(early, 422, "validation_failed", "due_on")


def test_an_unknown_customer_is_refused(operator: Operator) -> None:
    nobody = SimpleNamespace(customer_id="zz999999-GNOBODY1")
    assert_error(
        put(operator, nobody, "inv-nobody-1", provider_invoice()), 404, "unknown_customer", "customer_id"
    )


def test_a_number_already_taken_is_refused(imported: Any, operator: Operator, customer_factory: Any) -> None:
    # Given an imported invoice with its number; when another invoice comes with it (any case)
    customer = customer_factory()
    clash = put(operator, customer, "inv-clash-1", provider_invoice(number=imported.body["number"].lower()))

    # Then 409 number_taken, and nothing is stored for the newcomer
    assert_error(clash, 409, "number_taken", "number")
    assert invoices_in_table(customer.customer_id) == []
    # and the id stays free: the same id with a number of its own is imported
    assert put(operator, customer, "inv-clash-1", provider_invoice()).status_code == 201


def test_guichets_own_numbering_range_is_never_taken(customer_factory: Any, operator: Operator) -> None:
    # Given Guichet's next number
    from chalicelib.models import Counter
    from pynamodb.exceptions import DoesNotExist

    customer = customer_factory()
    try:
        before = int(Counter.get("COUNTER#2026", "COUNTER", consistent_read=True).value)
    except DoesNotExist:
        before = 0

    # When the provider sends a number of Guichet's own form (the next one, or any)
    for number in (f"F2026-{before + 1:06d}", "f2031-000001", "F2026-1234567"):
        assert_error(
            put(operator, customer, f"inv-f-{number}", provider_invoice(number=number)), 409, "number_taken"
        )

    # And an imported invoice takes nothing from Guichet's sequence
    assert put(operator, customer, "inv-own-seq", provider_invoice()).status_code == 201
    own = issue_invoice(customer.customer_id, date(2026, 11, 5))
    assert int(own.number.split("-")[1]) >= before + 1
    assert own.number.startswith("F2026-")


def test_the_pdf_must_be_a_pdf_of_a_bounded_size(customer_factory: Any, operator: Operator) -> None:
    # Given an imported invoice without its PDF
    customer = customer_factory()
    assert put(operator, customer, "inv-pdf-1", provider_invoice()).status_code == 201

    # Then a body that is not a PDF, a JSON body, a PDF too large are refused
    assert_error(put_pdf(operator, customer, "inv-pdf-1", b"<html>not a pdf</html>"), 422, "not_a_pdf")
    as_json = put_pdf(operator, customer, "inv-pdf-1", b"{}", "application/json")
    assert_error(as_json, 415, "unsupported_media_type")
    assert "application/pdf" in answer(as_json)["error"]["message"]
    from chalicelib.provider_invoices import MAX_PDF_BYTES

    large = PDF + b"0" * (MAX_PDF_BYTES - len(PDF) + 1)
    assert_error(put_pdf(operator, customer, "inv-pdf-1", large), 413, "payload_too_large")
    # and the PDF of an unknown invoice is a 404
    assert_error(put_pdf(operator, customer, "inv-pdf-unknown", PDF), 404, "not_found")


def test_the_download_serves_the_providers_bytes(imported: Any, operator: Operator) -> None:
    # When the customer asks for the PDF
    customer = imported.customer
    link = customer.call("GET", f"/{imported.invoice['invoice_id']}/pdf")

    # Then the link gives the bytes the provider sent, named by its number
    assert link.status_code == 200, link.body
    stored = linked_object(answer(link)["url"])
    assert stored["body"] == PDF
    assert imported.body["number"] in stored["query"]["response-content-disposition"]
    # and a duplicate is the provider's document too, never one drawn by Guichet
    copy = customer.call("POST", f"/{imported.invoice['invoice_id']}/duplicate")
    assert copy.status_code == 201, copy.body
    assert linked_object(answer(copy)["url"])["body"] == PDF
    # and the same bytes again change nothing; other bytes are refused
    assert put_pdf(operator, customer, imported.external_id, PDF).status_code == 200
    assert_error(put_pdf(operator, customer, imported.external_id, PDF + b"%x\n"), 409, "pdf_already_stored")
    assert (
        linked_object(answer(customer.call("GET", f"/{imported.invoice['invoice_id']}/pdf"))["url"])["body"]
        == PDF
    )


def test_no_pdf_is_drawn_for_an_imported_invoice_before_the_providers(
    customer_factory: Any, operator: Operator, in_november: Any
) -> None:
    customer = customer_factory()
    created = answer(put(operator, customer, "inv-nopdf-1", provider_invoice()))
    assert_error(customer.call("GET", f"/{created['invoice_id']}/pdf"), 404, "not_found")


def test_the_customer_lists_and_pays_it_by_card(imported: Any, published: Any) -> None:
    # Given an imported invoice, a week after its issue
    customer = imported.customer

    # When the customer lists their invoices and pays it with the sandbox card
    listed = answer(customer.call("GET", "/?from=2026-11&to=2026-11"))["items"]
    assert [item["number"] for item in listed] == [imported.body["number"]]
    payment = card_paid(customer, SimpleNamespace(invoice_id=imported.invoice["invoice_id"]))

    # Then it is paid, through the same payment code as Guichet's own
    assert payment["status"] == "succeeded"
    detail = answer(customer.call("GET", f"/{imported.invoice['invoice_id']}"))
    assert (detail["status"], detail["amount_due_cents"]) == ("paid", 0)
    assert [
        event["detail"]["data"]["invoice_id"] for event in published.of(customer.customer_id, "InvoicePaid")
    ] == [imported.invoice["invoice_id"]]


def test_another_customer_cannot_see_it(imported: Any, customer_factory: Any) -> None:
    other = customer_factory()
    invoice_id = imported.invoice["invoice_id"]
    assert_error(other.call("GET", f"/{invoice_id}"), 404, "not_found")
    assert_error(other.call("GET", f"/{invoice_id}/pdf"), 404, "not_found")
    assert answer(other.call("GET", "/?from=2026-11&to=2026-11"))["items"] == []


def test_the_routes_need_the_scope_and_refuse_a_customer_token(
    customer_factory: Any, client: Any, signer: Any
) -> None:
    customer = customer_factory()
    without_scope = Operator(operator_token(signer, scopes=("customers:write",)), client)
    assert_error(put(without_scope, customer, "inv-scope-1", provider_invoice()), 403, "insufficient_scope")
    assert_error(put_pdf(without_scope, customer, "inv-scope-1", PDF), 403, "insufficient_scope")
    as_customer = Operator(customer.token, client)
    assert_error(put(as_customer, customer, "inv-scope-1", provider_invoice()), 401, "unauthenticated")
    assert_error(put_pdf(as_customer, customer, "inv-scope-1", PDF), 401, "unauthenticated")
    assert invoices_in_table(customer.customer_id) == []


def test_concurrent_puts_make_one_invoice_and_one_number(
    empty_table: None, app: Any, customer_factory: Any, signer: Any, concurrent_app: Any, published: Any
) -> None:
    # Given a customer, and the same invoice sent four times at once (four containers), then two
    # other invoices sent at once under one new id
    customer = customer_factory()
    operators = [Operator(operator_token(signer), new_client(app)) for _ in range(4)]
    body = provider_invoice()
    same = concurrent_app(
        *[lambda operator=operator: put(operator, customer, "inv-race-1", body) for operator in operators]
    )
    rivals = concurrent_app(
        *[
            lambda operator=operator: put(operator, customer, "inv-race-2", provider_invoice())
            for operator in operators[:2]
        ]
    )

    # Then one import of each id won: the same body got the same invoice every time, the rival
    # body a 409; two invoices are stored, neither announced before its PDF
    assert sorted(response.status_code for response in same) == [200, 200, 200, 201]
    assert len({answer(response)["invoice_id"] for response in same}) == 1
    assert sorted(response.status_code for response in rivals) == [201, 409]
    assert len(invoices_in_table(customer.customer_id)) == 2
    assert published.of(customer.customer_id, "InvoiceIssued") == []

    # When the same PDF of one of them is sent four times at once, it is announced once
    pdfs = concurrent_app(
        *[lambda operator=operator: put_pdf(operator, customer, "inv-race-1", PDF) for operator in operators]
    )
    assert sorted(response.status_code for response in pdfs) == [200, 200, 200, 201]
    assert len(published.of(customer.customer_id, "InvoiceIssued")) == 1


def test_the_new_invoice_mail_waits_for_the_pdf_it_links_to(
    customer_factory: Any, operator: Operator, published: Any, mailbox: Any, in_november: Any
) -> None:
    # Given an imported invoice whose PDF has not come yet
    from conftest import mails_to

    customer = customer_factory()
    body = provider_invoice()
    created = answer(put(operator, customer, "inv-mail-1", body))

    def announced() -> tuple[int, int]:
        mails = [mail for mail in mails_to(mailbox, customer.email) if body["number"] in mail["subject"]]
        return len(published.of(customer.customer_id, "InvoiceIssued")), len(mails)

    # Then nothing announced it yet: its download would answer 404
    assert announced() == (0, 0)
    assert_error(customer.call("GET", f"/{created['invoice_id']}/pdf"), 404, "not_found")

    # When its PDF is stored, and sent again
    assert put_pdf(operator, customer, "inv-mail-1", PDF).status_code == 201
    assert put_pdf(operator, customer, "inv-mail-1", PDF).status_code == 200

    # Then the event and the mail went out once, and the download works
    assert announced() == (1, 1)
    assert customer.call("GET", f"/{created['invoice_id']}/pdf").status_code == 200


def test_an_imported_invoice_is_dunned_as_guichets_own(
    customer_factory: Any, operator: Operator, fresh_jobs: None, mailbox: Any
) -> None:
    # Given an imported invoice due on 3 December 2043 (a year of this test's own), unpaid
    from datetime import timedelta

    from chalicelib import dunning
    from conftest import job_ran_until, mails_to, subject

    customer = customer_factory()
    body = provider_invoice(issued_on="2043-11-03", due_on="2043-12-03")
    created = answer(put(operator, customer, "inv-late-1", body))
    job_ran_until("mark_overdue", date(2043, 12, 2))

    # When the daily job runs the day after its due date
    dunning.mark_overdue(now=paris_noon(date(2043, 12, 3) + timedelta(days=1)))

    # Then it is overdue and the customer is reminded of it by its number, as of Guichet's own
    stored = stored_invoice(customer.customer_id, created["invoice_id"])
    assert (stored.status, stored.amount_due_cents) == ("overdue", 8926)
    wanted = subject("overdue_reminder", number=body["number"], stage=1)
    assert [mail["subject"] for mail in mails_to(mailbox, customer.email) if mail["subject"] == wanted] == [
        wanted
    ]
