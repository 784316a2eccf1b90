"""The invoice PDF through its link: a presigned S3 link of at most 300 s to the stored PDF, which
opens, names the customer and the number, and carries a valid Factur-X (EN 16931) XML; it is made
once; duplicates are marked in the reader's language, three a day per invoice.

The link is followed as a browser would, minus the network: the object is read from moto's S3 by
the bucket and key the presigned URL names.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import linked_object, ordered_invoice, pdf_objects, pdf_text, snapshot, stored_invoice, utc
from guichet_local.testing import answer, assert_error


def link_of(
    customer: Any, invoice_id: str, suffix: str = "/pdf", method: str = "GET", **headers: str
) -> dict[str, Any]:
    response = customer.call(method, f"/{invoice_id}{suffix}", headers=headers)
    assert response.status_code in (200, 201), response.body
    return dict(answer(response))


def test_the_link_gives_the_stored_pdf_with_its_factur_x_xml(customer_factory: Any) -> None:
    # Given a customer's invoice
    from facturx import get_xml_from_pdf, xml_check_xsd
    from lxml import etree

    customer = customer_factory()
    invoice = ordered_invoice(customer, 2399)
    before = datetime.now(UTC).replace(microsecond=0)

    # When they ask for its PDF and follow the link
    link = link_of(customer, invoice.invoice_id)
    after = datetime.now(UTC)
    pdf = linked_object(link["url"])

    # Then the link lives at most 300 s, and says so
    assert int(pdf["query"]["X-Amz-Expires"]) <= 300
    expires_at = datetime.strptime(link["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before <= expires_at - timedelta(seconds=300) <= after
    assert pdf["query"]["response-content-type"] == "application/pdf"
    assert f'filename="{invoice.number}.pdf"' in pdf["query"]["response-content-disposition"]
    # and it points at the invoice's stored PDF, which opens and names the customer and the number
    assert pdf["key"] == invoice.pdf_key == f"invoices/{customer.customer_id}/{invoice.invoice_id}.pdf"
    assert pdf["body"].startswith(b"%PDF-")
    text = pdf_text(pdf["body"])
    assert customer.customer_id in text and invoice.number in text
    assert "DUPLICATA" not in text
    # and its embedded Factur-X XML is valid EN 16931 and describes this invoice
    filename, xml = get_xml_from_pdf(pdf["body"], check_xsd=False)
    assert filename == "factur-x.xml"
    root = etree.fromstring(xml)
    assert xml_check_xsd(root, flavor="factur-x", level="en16931")
    assert invoice.number.encode() in xml and b"23.99" in xml


def test_a_second_link_does_not_make_the_pdf_again(customer_factory: Any) -> None:
    # Given an invoice whose PDF was linked once
    customer = customer_factory()
    invoice = ordered_invoice(customer)
    first = linked_object(link_of(customer, invoice.invoice_id)["url"])

    # When the link is asked for again
    second = linked_object(link_of(customer, invoice.invoice_id)["url"])

    # Then it is the same object: same version, same ETag, one version in the bucket
    assert first["version_id"] not in (None, "null")
    assert (second["version_id"], second["etag"], second["body"]) == (
        first["version_id"],
        first["etag"],
        first["body"],
    )
    assert pdf_objects(customer.customer_id) == {invoice.pdf_key: [first["version_id"]]}


@pytest.mark.parametrize(
    ("accept_language", "stamp", "not_stamp"),
    [
        (None, "DUPLICATA", "DUPLICATE "),
        ("en", "DUPLICATE", "DUPLICATA"),
        ("it-IT,it;q=0.9", "DUPLICATO", "DUPLICATA"),
    ],
    ids=["fr", "en", "it"],
)
def test_a_duplicate_is_marked_in_the_readers_language(
    customer_factory: Any, accept_language: str | None, stamp: str, not_stamp: str
) -> None:
    # Given an invoice whose original PDF is stored
    customer = customer_factory()
    invoice = ordered_invoice(customer)
    original = pdf_objects(customer.customer_id)

    # When a duplicate is asked for, in a language
    headers = {"accept-language": accept_language} if accept_language else {}
    link = link_of(customer, invoice.invoice_id, "/duplicate", "POST", **headers)
    copy = linked_object(link["url"])

    # Then the copy says so in that language, with the same number and customer; the original is untouched
    text = pdf_text(copy["body"])
    assert stamp in text and not_stamp not in text
    assert invoice.number in text and customer.customer_id in text
    assert copy["key"] != invoice.pdf_key
    assert pdf_objects(customer.customer_id)[invoice.pdf_key] == original[invoice.pdf_key]
    assert "DUPLICATA" not in pdf_text(linked_object(link_of(customer, invoice.invoice_id)["url"])["body"])
    assert snapshot(stored_invoice(customer.customer_id, invoice.invoice_id)) == snapshot(invoice)


def test_the_fourth_duplicate_of_the_day_is_refused_until_midnight_in_paris(
    customer_factory: Any, route_clock: Any
) -> None:
    # Given three duplicates of an invoice asked today, the last at 23:30 in Paris
    customer = customer_factory()
    invoice = ordered_invoice(customer)
    route_clock(utc(2026, 11, 23, 22, 0))
    link_of(customer, invoice.invoice_id, "/duplicate", "POST")
    link_of(customer, invoice.invoice_id, "/duplicate", "POST", **{"accept-language": "en"})
    route_clock(utc(2026, 11, 23, 22, 30))
    link_of(customer, invoice.invoice_id, "/duplicate", "POST")
    versions = pdf_objects(customer.customer_id)

    # When a fourth is asked, in any language
    refused = customer.call("POST", f"/{invoice.invoice_id}/duplicate", headers={"accept-language": "it"})

    # Then 429, to retry at midnight in Paris (30 minutes), and no copy was made
    assert_error(refused, 429, "too_many_attempts")
    assert refused.headers["Retry-After"] == "1800"
    assert pdf_objects(customer.customer_id) == versions
    assert f"{invoice.invoice_id}-duplicate-it.pdf" not in str(versions)

    # and the next day duplicates can be asked again
    route_clock(utc(2026, 11, 24, 7, 0))
    assert customer.call("POST", f"/{invoice.invoice_id}/duplicate").status_code == 201
