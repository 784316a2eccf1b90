"""The invoice PDF and its Factur-X XML, in fr, en and it.

Each PDF is read back with pypdf, as a customer's viewer would, and with factur-x, as an
accounting program would: the text a person reads, the XML inside, and the PDF/A-3 structure.

Runs alone: cd services/invoices && ../../.venv/bin/python -m pytest -q tests/test_invoice_pdf.py
"""

from __future__ import annotations

import copy
import functools
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdf
import pytest
from lxml import etree

SERVICE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SERVICE_DIR))

from chalicelib import cii, invoice_pdf  # noqa: E402
from guichet_contracts import formatting, letterhead  # noqa: E402
from guichet_contracts.brand import copy_brand, load_brand  # noqa: E402

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
LANGUAGES = ("fr", "en", "it")

SELLER = {
    "name": "Énergie Claire SAS",
    "address": {
        "line1": "12 rue des Lilas",
        "line2": None,
        "postal_code": "69003",
        "city": "Lyon",
        "country": "FR",
    },
    "vat_number": "FR32123456789",
    "siren": "123456789",
    "iban": "FR7630006000011234567890189",
    "email": "factures@energie-claire.test",
}
# The provider of these tests: a brand of its own, with SELLER's legal identity.
REPOSITORY_BRAND = Path(__file__).resolve().parents[3] / "brand"


@pytest.fixture(autouse=True, scope="module")
def seller_brand(tmp_path_factory: pytest.TempPathFactory) -> Any:
    legal = {**load_brand(REPOSITORY_BRAND).legal.model_dump(), "company": SELLER["name"]}
    legal["address"] = SELLER["address"]
    folder = tmp_path_factory.mktemp("brand") / "brand"
    copy_brand(folder, REPOSITORY_BRAND, name="Énergie Claire", legal=legal)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GUICHET_BRAND_DIR", str(folder))
        yield folder


BUYER = {
    "customer_id": "dm429850-EC",
    "name": "Dominique Martin",
    "address": {
        "line1": "4 allée des Peupliers",
        "line2": "Bât. B",
        "postal_code": "75011",
        "city": "Paris",
        "country": "FR",
    },
    "vat_number": None,
    "email": "dominique@example.test",
}
BUSINESS = {
    **BUYER,
    "name": "Atelier <Dupont> & Fils SARL",
    "vat_number": "FR45987654321",
    "siren": "987654321",
}
ITALIAN_BUSINESS = {
    "customer_id": "mr120034-EC",
    "name": "Trattoria Rossi Srl",
    "address": {
        "line1": "Via Dante 1",
        "line2": None,
        "postal_code": "20121",
        "city": "Milano",
        "country": "IT",
    },
    "siren": None,
    "vat_number": "IT00743110157",
    "email": "amministrazione@trattoria.test",
}
LINES = [
    {
        "description": "Abonnement Fibre 1 Gb/s — novembre 2026",
        "quantity": "1",
        "unit": "month",
        "unit_price_cents": 2999,
        "tax_rate": "20.0",
        "total_excl_tax_cents": 2999,
    },
    {
        "description": "Électricité consommée",
        "quantity": "342.5",
        "unit": "kWh",
        "unit_price_cents": 20,
        "tax_rate": "20.0",
        "total_excl_tax_cents": 6850,
    },
    {
        "description": "Abonnement électricité 9 kVA",
        "quantity": "1",
        "unit": "month",
        "unit_price_cents": 1500,
        "tax_rate": "5.5",
        "total_excl_tax_cents": 1500,
    },
    {
        "description": "Nom de domaine exemple.fr",
        "quantity": "1",
        "unit": "year",
        "unit_price_cents": 1200,
        "tax_rate": "20.0",
        "total_excl_tax_cents": 1200,
    },
    {
        "description": "Remise fidélité",
        "quantity": "1",
        "unit": "unit",
        "unit_price_cents": -500,
        "tax_rate": "20.0",
        "total_excl_tax_cents": -500,
    },
]
# 20 %: 29.99 + 68.50 + 12.00 - 5.00 = 105.49 → VAT 21.098 → 21.10; 5.5 %: 15.00 → 0.825 → 0.83
TOTAL_EXCL, TAX, TOTAL = 12049, 2193, 14242
INVOICE = {
    "invoice_id": "inv_01",
    "number": "F2026-000042",
    "kind": "invoice",
    "issued_on": "2026-11-22",
    "due_on": "2026-12-06",
    "period_start": "2026-11-01",
    "period_end": "2026-11-30",
    "currency": "EUR",
    "customer_id": "dm429850-EC",
    "total_excl_tax_cents": TOTAL_EXCL,
    "tax_cents": TAX,
    "total_cents": TOTAL,
    "payment_mode": "direct_debit",
    "payment_terms": None,
    "credited_invoice_number": None,
    "order_id": "ord_123",
    "mandate_reference": "RUM-2026-0042",
}
TOTAL_TEXT = {"fr": "142,42 €", "en": "€142.42", "it": "142,42 €"}
RESALE_LINES = [
    {
        "description": "Surplus injecté — octobre 2026",
        "quantity": "187.25",
        "unit": "kWh",
        "unit_price_cents": 13,
        "tax_rate": "0.0",
        "total_excl_tax_cents": 2434,
    }
]


def invoice_with(lines: list[dict[str, Any]] | None = None, **changes: Any) -> tuple[dict, list]:
    """A consistent invoice: totals computed from the lines as the invoicing service does."""
    lines = copy.deepcopy(lines if lines is not None else LINES)
    breakdown = cii.tax_breakdown(lines)
    excl = sum(group["base_cents"] for group in breakdown)
    tax = sum(group["tax_cents"] for group in breakdown)
    invoice = {**INVOICE, "total_excl_tax_cents": excl, "tax_cents": tax, "total_cents": excl + tax}
    invoice.update(changes)
    return invoice, lines


def zero_rated(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines as a reverse-charged invoice bills them: their prices without VAT, at 0 %."""
    return [{**line, "tax_rate": "0.0"} for line in lines]


def negated(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **line,
            "unit_price_cents": -line["unit_price_cents"],
            "total_excl_tax_cents": -line["total_excl_tax_cents"],
        }
        for line in lines
    ]


@functools.cache
def rendered(language: str = "fr", duplicate: bool = False) -> bytes:
    return invoice_pdf.render(INVOICE, LINES, SELLER, BUYER, language=language, duplicate=duplicate)


def text_of(pdf: bytes) -> list[str]:
    """The text of each page, whitespace collapsed."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def embedded_xml(pdf: bytes) -> etree._Element:
    from facturx import get_xml_from_pdf

    filename, xml = get_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    return etree.fromstring(xml)


def one(root: etree._Element, path: str) -> str:
    found = root.xpath(path, namespaces=NS)
    assert len(found) == 1, (path, found)
    return found[0] if isinstance(found[0], str) else found[0].text


def amounts(root: etree._Element) -> dict[str, Decimal]:
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    names = (
        "LineTotalAmount",
        "TaxBasisTotalAmount",
        "TaxTotalAmount",
        "GrandTotalAmount",
        "DuePayableAmount",
    )
    return {name: Decimal(one(root, summation + name)) for name in names}


# The document a person reads.


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pdf_shows_the_customer_id_number_dates_and_totals_in_each_language(language: str) -> None:
    pdf = rendered(language)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [595, 842]  # A4
    (text,) = text_of(pdf)
    expected = {
        "fr": ["Facture", "Identifiant client", "Date d'échéance", "6 décembre 2026", "Total TTC", "120,49 €",
               "21,93 €", "Détail de la TVA", "5,5 %", "0,83 €", "prélevé le 6 décembre 2026", "mois",
               "kWh", "342,5", "Période de facturation : du 1 novembre 2026 au 30 novembre 2026"],
        "en": ["Invoice", "Customer ID", "Due date", "6 December 2026", "Total incl. VAT", "€120.49",
               "€21.93", "VAT breakdown", "5.5%", "€0.83", "debited on 6 December 2026", "month", "342.5",
               "Billing period: 1 November 2026 to 30 November 2026"],
        "it": ["Fattura", "Codice cliente", "Data di scadenza", "6 dicembre 2026", "Totale documento",
               "120,49 €", "21,93 €", "Riepilogo IVA", "5,5%", "0,83 €", "addebitato il 6 dicembre 2026",
               "mese", "342,5",
               "Periodo di fatturazione: dal 1 novembre 2026 al 30 novembre 2026"],
    }[language]  # fmt: skip
    for piece in [BUYER["customer_id"], INVOICE["number"], TOTAL_TEXT[language], *expected]:
        assert piece in text, piece
    assert "RUM-2026-0042" in text  # the mandate of the direct debit
    assert "SIREN 123456789" in text and "FR32123456789" in text  # the legal mentions
    # The box top right starts with the customer id, then the number (seed 003).
    box = {
        "fr": "Identifiant client dm429850-EC N° de facture F2026-000042 Date d'émission 22 novembre 2026",
        "en": "Customer ID dm429850-EC Invoice number F2026-000042 Issue date 22 November 2026",
        "it": "Codice cliente dm429850-EC N. fattura F2026-000042 Data di emissione 22 novembre 2026",
    }[language]
    assert box in text


def words(text: str) -> str:
    return " ".join(text.split())  # U+00A0 and U+202F are spaces too


@pytest.mark.parametrize("language", LANGUAGES)
def test_amounts_are_printed_as_the_shared_formatting_writes_them(language: str) -> None:
    """The emails and the portal write amounts with Babel's (narrow) no-break spaces: the PDF draws
    them with the embedded font (reportlab writes the no-break space as a space, its glyph), never
    a "?" nor a box, and a copied amount reads as the emails write it."""
    invoice, lines = invoice_with([{**LINES[0], "unit_price_cents": 123456, "total_excl_tax_cents": 123456}])
    pdf = invoice_pdf.render(invoice, lines, SELLER, BUYER, language=language)
    raw = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for cents in (123456, invoice["total_cents"]):
        assert words(formatting.money(cents, "EUR", language)) in words(raw), cents
    assert words(formatting.percent("20", language)) in words(raw)
    assert ("1\u202f234,56" in raw) is (language == "fr")  # the French thousands separator, kept
    assert "?" not in raw
    assert invoice_pdf.format_iban("FR7630006000011234567890189") == "FR76 3000 6000 0112 3456 7890 189"


def test_a_precise_unit_price_is_printed_and_written_with_its_decimals() -> None:
    lines = copy.deepcopy(LINES)
    lines[1]["unit_price"] = "0.2"  # 342.5 kWh at 0.20 €
    lines[2]["unit_price"] = "15"
    energy = {**LINES[1], "quantity": "100", "unit_price_cents": 20, "unit_price": "0.1952",
              "total_excl_tax_cents": 1952}  # fmt: skip
    invoice, lines = invoice_with([*lines, energy])
    pdf = invoice_pdf.render(invoice, lines, SELLER, BUYER, language="fr")
    assert "0,1952 €" in text_of(pdf)[0] and "15,00 €" in text_of(pdf)[0]
    prices = embedded_xml(pdf).xpath("//ram:NetPriceProductTradePrice/ram:ChargeAmount/text()", namespaces=NS)
    assert prices == ["29.99", "0.20", "15.00", "12.00", "5.00", "0.1952"]


def test_a_company_customer_shows_the_person_to_the_attention_of() -> None:
    buyer = {**BUSINESS, "contact": "Dominique Martin"}
    (text,) = text_of(invoice_pdf.render(INVOICE, LINES, SELLER, buyer, language="fr"))
    assert "Atelier <Dupont> & Fils SARL Dominique Martin 4 allée des Peupliers" in text


def test_an_unknown_language_gives_the_french_document() -> None:
    pdf = invoice_pdf.render(INVOICE, LINES, SELLER, BUYER, language="de-DE")
    assert "Total TTC" in text_of(pdf)[0]


@pytest.mark.parametrize(
    ("mode", "changes", "expected"),
    [
        ("card", {"status": "paid"}, ["carte bancaire", "aucun montant restant dû", "Net à payer", "0,00 €"]),
        ("card", {}, ["Réglez 142,42 € par carte bancaire avant le 6 décembre 2026", "espace client"]),
        ("check", {}, ["Chèque de 142,42 € à l'ordre de Énergie Claire SAS", "au dos", "F2026-000042",
                       "dm429850-EC", "12 rue des Lilas, 69003 Lyon"]),
        ("transfer", {}, ["Virement de 142,42 €", "FR76 3000 6000 0112 3456 7890 189",
                          "référence F2026-000042"]),
        ("tip", {}, ["TIP SEPA", "FR76 3000 6000 0112 3456 7890 189", "référence F2026-000042"]),
        ("direct_debit", {"mandate_reference": None},
         ["prélevé le 6 décembre 2026 sur votre compte bancaire"]),
    ],
)  # fmt: skip
def test_the_payment_section_says_what_to_do_for_each_payment_mode(
    mode: str, changes: dict[str, Any], expected: list[str]
) -> None:
    invoice = {**INVOICE, "payment_mode": mode, **changes}
    (text,) = text_of(invoice_pdf.render(invoice, LINES, SELLER, BUYER, language="fr"))
    for piece in expected:
        assert piece in text, piece


def test_a_business_customer_gets_the_late_payment_penalties_a_consumer_does_not() -> None:
    (business,) = text_of(invoice_pdf.render(INVOICE, LINES, SELLER, BUSINESS, language="fr"))
    (consumer,) = text_of(rendered("fr"))
    assert "trois fois le taux d'intérêt légal" in business and "40 €" in business
    assert "FR45987654321" in business  # the customer's VAT number
    assert "intérêt légal" not in consumer


def test_data_with_markup_characters_is_shown_as_typed_and_kept_intact_in_the_xml() -> None:
    lines = copy.deepcopy(LINES)
    lines[0]["description"] = "Option <b>pro</b> & support 24/7 <script>"
    buyer = {**BUSINESS, "address": {**BUYER["address"], "line1": "1 rue <A&B>"}}
    pdf = invoice_pdf.render(INVOICE, lines, SELLER, buyer, language="en")
    (text,) = text_of(pdf)
    assert "Option <b>pro</b> & support 24/7 <script>" in text
    assert "Atelier <Dupont> & Fils SARL" in text
    assert "1 rue <A&B>" in text
    root = embedded_xml(pdf)
    assert one(root, "//ram:IncludedSupplyChainTradeLineItem[1]//ram:Name") == lines[0]["description"]
    assert one(root, "//ram:BuyerTradeParty/ram:Name") == "Atelier <Dupont> & Fils SARL"


def test_letters_the_font_cannot_draw_lose_their_accent_and_control_characters_go() -> None:
    buyer = {**BUYER, "name": "Antonín Dvořák\x07 Łukasz"}
    (text,) = text_of(invoice_pdf.render(INVOICE, LINES, SELLER, buyer, language="fr"))
    assert "Antonín Dvorák Lukasz" in text  # á is Latin-1, ř and Ł are not


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_duplicate_is_stamped_on_every_page_and_says_so_in_its_header(language: str) -> None:
    stamp = {"fr": "DUPLICATA", "en": "DUPLICATE", "it": "DUPLICATO"}[language]
    note = {
        "fr": "copie de l'original émis le 22 novembre 2026",
        "en": "copy of the original issued on 22 November 2026",
        "it": "copia dell'originale emesso il 22 novembre 2026",
    }[language]
    many = [{**LINES[0], "description": f"Nom de domaine site-{n}.fr"} for n in range(60)]
    invoice, lines = invoice_with(many)
    pdf = invoice_pdf.render(invoice, lines, SELLER, BUYER, language=language, duplicate=True)
    pages = text_of(pdf)
    assert len(pages) > 1
    assert all(stamp in page for page in pages)
    assert note in pages[0]
    assert stamp not in text_of(rendered(language))[0]


def test_many_lines_continue_on_later_pages_with_the_customer_id_on_each() -> None:
    many = [{**LINES[1], "description": f"Relevé {n}"} for n in range(80)]
    invoice, lines = invoice_with(many)
    pages = text_of(invoice_pdf.render(invoice, lines, SELLER, BUYER, language="fr"))
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert BUYER["customer_id"] in page and invoice["number"] in page
        assert f"Page {number}" in page
    assert "Relevé 79" in "".join(pages) and "Total TTC" in pages[-1]


def test_blank_page_is_a_valid_empty_one_page_pdf() -> None:
    pdf = invoice_pdf.blank_page()
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    assert reader.pages[0].extract_text().strip() == ""
    assert invoice_pdf.blank_page() == pdf


def test_the_same_invoice_gives_the_same_bytes_dated_from_its_issue_date() -> None:
    first = invoice_pdf.render(INVOICE, LINES, SELLER, BUYER, language="it", duplicate=True)
    assert invoice_pdf.render(INVOICE, LINES, SELLER, BUYER, language="it", duplicate=True) == first
    reader = pypdf.PdfReader(io.BytesIO(first))
    assert reader.metadata["/CreationDate"] == reader.metadata["/ModDate"] == "D:20261122000000+00'00'"
    xmp = reader.root_object["/Metadata"].get_object().get_data()
    assert b"<xmp:CreateDate>2026-11-22T00:00:00+00:00</xmp:CreateDate>" in xmp
    names = reader.root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    params = names[1].get_object()["/EF"]["/F"].get_object()["/Params"]
    assert params["/ModDate"] == "D:20261122000000+00'00'"


# The XML a machine reads.


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pdf_carries_a_valid_en16931_factur_x_xml(language: str) -> None:
    from facturx import get_flavor, get_level, xml_check_xsd

    root = embedded_xml(rendered(language))
    assert get_flavor(root) == "factur-x"
    assert get_level(root) == "en16931"
    assert xml_check_xsd(root, flavor="factur-x", level="en16931")
    assert one(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == "urn:cen.eu:en16931:2017"
    assert one(root, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID") == "F2026-000042"
    assert one(root, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert one(root, "//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") == "20261122"
    assert one(root, "//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString/@format") == "102"


def test_the_xml_totals_are_the_invoice_totals() -> None:
    root = embedded_xml(rendered("fr"))
    assert amounts(root) == {
        "LineTotalAmount": Decimal("120.49"),
        "TaxBasisTotalAmount": Decimal("120.49"),
        "TaxTotalAmount": Decimal("21.93"),
        "GrandTotalAmount": Decimal("142.42"),
        "DuePayableAmount": Decimal("142.42"),
    }
    assert one(root, "//ram:TaxTotalAmount/@currencyID") == "EUR"
    assert one(root, "//ram:InvoiceCurrencyCode") == "EUR"
    groups = root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    found = [
        (g.findtext("ram:RateApplicablePercent", namespaces=NS), g.findtext("ram:BasisAmount", namespaces=NS),
         g.findtext("ram:CalculatedAmount", namespaces=NS), g.findtext("ram:CategoryCode", namespaces=NS))
        for g in groups
    ]  # fmt: skip
    assert found == [("20.00", "105.49", "21.10", "S"), ("5.50", "15.00", "0.83", "S")]
    lines = sum(
        Decimal(t)
        for t in root.xpath(
            "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount/text()", namespaces=NS
        )
    )
    assert lines == Decimal("120.49")


def test_the_xml_lines_have_un_ece_units_prices_quantities_and_vat() -> None:
    root = embedded_xml(rendered("fr"))
    items = root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)
    assert [item.findtext(".//ram:LineID", namespaces=NS) for item in items] == ["1", "2", "3", "4", "5"]
    quantities = [item.find(".//ram:BilledQuantity", namespaces=NS) for item in items]
    assert [(q.get("unitCode"), q.text) for q in quantities] == [
        ("MON", "1"), ("KWH", "342.5"), ("MON", "1"), ("ANN", "1"), ("C62", "-1")
    ]  # fmt: skip
    prices = [
        item.findtext(".//ram:NetPriceProductTradePrice/ram:ChargeAmount", namespaces=NS) for item in items
    ]
    assert prices == ["29.99", "0.20", "15.00", "12.00", "5.00"]  # a discount: positive price, quantity -1
    assert items[4].findtext(".//ram:LineTotalAmount", namespaces=NS) == "-5.00"
    assert items[2].findtext(".//ram:RateApplicablePercent", namespaces=NS) == "5.50"


def test_the_xml_parties_period_and_direct_debit() -> None:
    root = embedded_xml(rendered("fr"))
    seller = "//ram:SellerTradeParty/"
    assert one(root, seller + "ram:Name") == "Énergie Claire SAS"
    assert one(root, seller + "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == "FR32123456789"
    assert one(root, seller + "ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']") == "123456789"
    assert one(root, seller + "ram:PostalTradeAddress/ram:CountryID") == "FR"
    assert one(root, "//ram:BuyerTradeParty/ram:ID") == "dm429850-EC"
    assert one(root, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CityName") == "Paris"
    assert one(root, "//ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString") == "20261101"
    assert one(root, "//ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString") == "20261130"
    assert one(root, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "59"
    assert one(root, "//ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID") == "RUM-2026-0042"
    assert one(root, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString") == "20261206"
    assert one(root, "//ram:SellerOrderReferencedDocument/ram:IssuerAssignedID") == "ord_123"


def test_without_a_period_the_delivery_date_is_the_issue_date() -> None:
    invoice = {**INVOICE, "period_start": None, "period_end": None}
    root = etree.fromstring(cii.cii_xml(invoice, LINES, SELLER, {**BUYER, "address": None}))
    assert (
        one(root, "//ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString")
        == "20261122"
    )
    assert not root.xpath("//ram:BillingSpecifiedPeriod", namespaces=NS)
    # a customer without an address still has the country EN 16931 requires
    assert one(root, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID") == "FR"


@pytest.mark.parametrize(
    ("mode", "code", "iban"),
    [("card", "48", None), ("direct_debit", "59", None), ("check", "20", None),
     ("transfer", "58", "FR7630006000011234567890189"), ("tip", "30", "FR7630006000011234567890189")],
)  # fmt: skip
def test_the_xml_payment_means_of_each_mode(mode: str, code: str, iban: str | None) -> None:
    from facturx import xml_check_xsd

    xml = cii.cii_xml({**INVOICE, "payment_mode": mode}, LINES, SELLER, BUYER)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = etree.fromstring(xml)
    assert one(root, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == code
    payee = root.xpath("//ram:PayeePartyCreditorFinancialAccount/ram:IBANID/text()", namespaces=NS)
    assert payee == ([iban] if iban else [])
    # a transfer without the payee's account cannot say 58 (BR-61): the means is then "not defined"
    no_iban = etree.fromstring(
        cii.cii_xml({**INVOICE, "payment_mode": mode}, LINES, {**SELLER, "iban": None}, BUYER)
    )
    expected = "1" if iban else code
    assert one(no_iban, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == expected


def test_a_card_invoice_paid_when_ordered_is_prepaid_with_nothing_due() -> None:
    root = etree.fromstring(
        cii.cii_xml({**INVOICE, "payment_mode": "card", "status": "paid"}, LINES, SELLER, BUYER)
    )
    assert one(root, "//ram:TotalPrepaidAmount") == "142.42"
    assert one(root, "//ram:DuePayableAmount") == "0.00"


def test_a_business_customer_gets_the_french_legal_notes_in_the_xml() -> None:
    root = etree.fromstring(cii.cii_xml(INVOICE, LINES, SELLER, BUSINESS))
    codes = root.xpath("//rsm:ExchangedDocument/ram:IncludedNote/ram:SubjectCode/text()", namespaces=NS)
    assert codes == ["PMD", "PMT", "AAB"]
    assert one(root, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "FR45987654321"
    assert (
        one(root, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == "M1"
    )  # kWh and services


def test_a_credit_note_is_type_381_and_refers_to_the_credited_invoice() -> None:
    invoice, lines = invoice_with(
        negated(LINES),
        kind="credit_note",
        number="A2026-000007",
        credited_invoice_number="F2026-000041",
        credited_invoice_issued_on="2026-10-22",
        payment_mode="card",
    )
    assert invoice["total_cents"] == -TOTAL
    pdf = invoice_pdf.render(invoice, lines, SELLER, BUYER, language="fr")
    (text,) = text_of(pdf)
    assert "Avoir" in text and "N° d'avoir" in text and "Avoir sur la facture n° F2026-000041" in text
    assert "-142,42 €" in text and "en votre faveur" in text
    root = embedded_xml(pdf)
    assert one(root, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    reference = "//ram:ApplicableHeaderTradeSettlement/ram:InvoiceReferencedDocument/"
    assert one(root, reference + "ram:IssuerAssignedID") == "F2026-000041"
    assert one(root, reference + "ram:FormattedIssueDateTime/qdt:DateTimeString") == "20261022"
    # type 381 already says the money goes back: the amounts are written positive
    assert amounts(root)["GrandTotalAmount"] == Decimal("142.42")
    assert amounts(root)["TaxTotalAmount"] == Decimal("21.93")


def test_a_regularization_is_an_invoice_380_and_keeps_a_negative_balance_negative() -> None:
    invoice, lines = invoice_with(negated(LINES[:1]), kind="regularization")
    pdf = invoice_pdf.render(invoice, lines, SELLER, BUYER, language="en")
    assert "Adjustment invoice" in text_of(pdf)[0] and "in your favour" in text_of(pdf)[0]
    root = embedded_xml(pdf)
    assert one(root, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert amounts(root)["GrandTotalAmount"] == Decimal("-35.99")


@pytest.mark.parametrize(
    ("language", "heading", "parties", "self_billing"),
    [
        ("fr", "Facture de revente de surplus",
         ("Vendeur (producteur) Dominique Martin", "Acheteur Énergie Claire SAS"),
         "Autofacturation : facture émise par Énergie Claire SAS au nom et pour le compte de "
         "Dominique Martin"),
        ("en", "Surplus resale invoice", ("Seller (producer) Dominique Martin", "Buyer Énergie Claire SAS"),
         "Self-billing: invoice issued by Énergie Claire SAS in the name and on behalf of Dominique Martin"),
        ("it", "Fattura di rivendita dell'eccedenza", ("Venditore (produttore) Dominique Martin",
         "Acquirente Énergie Claire SAS"),
         "Autofatturazione: fattura emessa da Énergie Claire SAS in nome e per conto di Dominique Martin"),
    ],
)  # fmt: skip
def test_a_surplus_resale_is_self_billed_with_the_customer_as_seller(
    language: str, heading: str, parties: tuple[str, str], self_billing: str
) -> None:
    buyer = {**BUYER, "iban": "FR7612345000010000000000011"}
    invoice, lines = invoice_with(RESALE_LINES, kind="resale", payment_mode="transfer", order_id=None)
    pdf = invoice_pdf.render(invoice, lines, SELLER, buyer, language=language)
    (text,) = text_of(pdf)
    assert heading in text and self_billing in text
    assert "FR76 **** **** 0011" in text  # the customer's account, masked
    seller_block, buyer_block = parties
    assert seller_block in text and buyer_block in text
    root = embedded_xml(pdf)
    assert one(root, "//rsm:ExchangedDocument/ram:TypeCode") == "389"
    assert one(root, "//ram:SellerTradeParty/ram:Name") == "Dominique Martin"
    assert one(root, "//ram:SellerTradeParty/ram:ID") == "dm429850-EC"
    assert one(root, "//ram:BuyerTradeParty/ram:Name") == "Énergie Claire SAS"
    assert one(root, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == "FR7612345000010000000000011"
    # a private producer is not subject to VAT: category O, and no VAT number anywhere (BR-O-02)
    assert one(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode") == "O"
    assert one(
        root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:ExemptionReasonCode"
    ) == ("VATEX-EU-O")
    assert not root.xpath("//ram:SpecifiedTaxRegistration", namespaces=NS)
    assert amounts(root)["GrandTotalAmount"] == Decimal("24.34")


def test_type_codes_of_each_kind() -> None:
    assert cii.TYPE_CODES == {
        "invoice": "380",
        "regularization": "380",
        "credit_note": "381",
        "resale": "389",
    }


# The VAT breakdown.


def test_the_breakdown_groups_lines_by_rate_highest_first() -> None:
    lines = [
        {"tax_rate": "5.5", "total_excl_tax_cents": 1000},
        {"tax_rate": "20", "total_excl_tax_cents": 1000},
        {"tax_rate": "20.00", "total_excl_tax_cents": 2500},
        {"tax_rate": "0.0", "total_excl_tax_cents": 700},
        {"tax_rate": "10.0", "total_excl_tax_cents": 333},
    ]
    assert cii.tax_breakdown(lines) == [
        {"rate": "20.0", "base_cents": 3500, "tax_cents": 700},
        {"rate": "10.0", "base_cents": 333, "tax_cents": 33},
        {"rate": "5.5", "base_cents": 1000, "tax_cents": 55},
        {"rate": "0.0", "base_cents": 700, "tax_cents": 0},
    ]


@pytest.mark.parametrize(
    ("rate", "base", "tax"),
    [
        ("5.5", 100, 6),  # 5.5 cents: a half cent rounds up
        ("5.5", -100, -6),  # and away from zero, so a credit note mirrors its invoice
        ("10.0", 5, 1),  # 0.5
        ("10.0", 4, 0),  # 0.4
        ("20.0", 1, 0),  # 0.2
        ("2.1", 50, 1),  # 1.05
        ("5.5", 1, 0),  # 0.055: exact decimals, no float drift
        ("5.5", 1500, 83),  # 82.5
        ("20.0", 10549, 2110),  # 2109.8
    ],
)
def test_the_tax_of_a_rate_is_rounded_half_up_to_the_cent(rate: str, base: int, tax: int) -> None:
    assert cii.tax_breakdown([{"tax_rate": rate, "total_excl_tax_cents": base}])[0]["tax_cents"] == tax


def test_the_tax_is_rounded_once_per_rate_not_per_line() -> None:
    # three lines of 3 cents at 20 %: 0.6 each would round to 1 (3 cents); per rate 1.8 → 2
    lines = [{"tax_rate": "20.0", "total_excl_tax_cents": 3}] * 3
    assert cii.tax_breakdown(lines) == [{"rate": "20.0", "base_cents": 9, "tax_cents": 2}]


def test_totals_that_do_not_add_up_are_refused() -> None:
    for changes, message in [
        ({"tax_cents": TAX + 1}, "tax_cents"),
        ({"total_excl_tax_cents": TOTAL_EXCL - 1}, "total_excl_tax_cents"),
        ({"total_cents": TOTAL + 1}, "total_cents"),
        ({"total_cents": 142.42}, "integer number of cents"),
    ]:
        with pytest.raises(cii.InvoiceDataError, match=message):
            invoice_pdf.render({**INVOICE, **changes}, LINES, SELLER, BUYER, language="fr")
    with pytest.raises(ValueError, match="at least one line"):
        cii.cii_xml(INVOICE, [], SELLER, BUYER)
    with pytest.raises(ValueError, match="unit"):
        cii.cii_xml(INVOICE, [{**LINES[0], "unit": "parsec"}, *LINES[1:]], SELLER, BUYER)
    with pytest.raises(ValueError, match="rate"):
        cii.tax_breakdown([{"tax_rate": 20.0, "total_excl_tax_cents": 100}])


# PDF/A-3.


def test_the_pdf_has_what_pdf_a_3_asks_for() -> None:
    pdf = rendered("fr", duplicate=True)
    assert pdf.startswith(b"%PDF-1.7\n%") and pdf.count(b"%%EOF") == 1
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.root_object
    assert reader.trailer["/ID"]
    (intent,) = root["/OutputIntents"]
    intent = intent.get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3
    icc = profile.get_data()
    assert icc[36:40] == b"acsp" and icc[12:20] == b"mntrRGB " and icc[8] == 2
    # every font is embedded: no Helvetica, the built-in font PDF/A cannot use
    fonts = [font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()]
    assert fonts and all("/FontFile2" in font["/FontDescriptor"] for font in fonts)
    assert b"Helvetica" not in pdf
    # the XMP declares PDF/A-3B and Factur-X EN 16931, and the document info says the same
    xmp = root["/Metadata"].get_object()
    assert "/Filter" not in xmp
    data = xmp.get_data().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in data and "<pdfaid:conformance>B</pdfaid:conformance>" in data
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in data
    assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in data
    info = reader.metadata
    assert set(info) == {
        "/Title",
        "/Author",
        "/Subject",
        "/Creator",
        "/Producer",
        "/CreationDate",
        "/ModDate",
    }
    assert (
        f">{info['/Title']}<" in data and f">{info['/Producer']}<" in data and f">{info['/Creator']}<" in data
    )
    assert info["/Title"] == "Facture F2026-000042"
    # the XML is attached as the Factur-X data of the document
    (filespec,) = root["/AF"]
    filespec = filespec.get_object()
    assert filespec["/AFRelationship"] == "/Data" and filespec["/UF"] == "factur-x.xml"


def test_the_output_intent_profile_is_a_profile_little_cms_reads_as_srgb() -> None:
    image_cms = pytest.importorskip("PIL.ImageCms")
    profile = image_cms.ImageCmsProfile(io.BytesIO(letterhead.srgb_icc()))
    assert image_cms.getProfileDescription(profile).strip() == "sRGB IEC61966-2.1"
    transform = image_cms.buildTransform(profile, image_cms.createProfile("sRGB"), "RGB", "RGB")
    from PIL import Image

    image = Image.new("RGB", (1, 1), (200, 120, 40))
    assert image_cms.applyTransform(image, transform).getpixel((0, 0)) == (200, 120, 40)


def test_a_business_buyer_s_siren_and_vat_number_are_bt_47_and_bt_48() -> None:
    root = etree.fromstring(cii.cii_xml(INVOICE, LINES, SELLER, BUSINESS))

    buyer = "//ram:BuyerTradeParty"
    assert one(root, f"{buyer}/ram:SpecifiedLegalOrganization/ram:ID") == "987654321"
    assert root.xpath(f"{buyer}/ram:SpecifiedLegalOrganization/ram:ID/@schemeID", namespaces=NS) == ["0002"]
    assert one(root, f"{buyer}/ram:SpecifiedTaxRegistration/ram:ID") == "FR45987654321"


def test_a_reverse_charged_invoice_is_vat_category_ae_with_its_exemption_reason() -> None:
    invoice, lines = invoice_with(zero_rated(LINES), vat_regime="reverse_charge")

    root = etree.fromstring(cii.cii_xml(invoice, lines, SELLER, ITALIAN_BUSINESS))

    header = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
    assert one(root, f"{header}/ram:CategoryCode") == "AE"
    assert one(root, f"{header}/ram:ExemptionReasonCode") == "VATEX-EU-AE"
    assert "Autoliquidation" in one(root, f"{header}/ram:ExemptionReason")
    assert one(root, f"{header}/ram:RateApplicablePercent") == "0.00"
    assert one(root, f"{header}/ram:CalculatedAmount") == "0.00"
    line_categories = root.xpath("//ram:SpecifiedLineTradeSettlement//ram:CategoryCode/text()", namespaces=NS)
    assert set(line_categories) == {"AE"}
    assert one(root, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "IT00743110157"
    # the same lines at 0 % without the regime are zero rated, not reverse-charged
    plain = etree.fromstring(cii.cii_xml({**invoice, "vat_regime": None}, lines, SELLER, ITALIAN_BUSINESS))
    assert one(plain, f"{header}/ram:CategoryCode") == "Z"


@pytest.mark.parametrize(
    ("language", "mention"),
    [
        ("fr", "Autoliquidation : TVA due par le preneur (article 196 de la directive 2006/112/CE)"),
        ("en", "Reverse charge (autoliquidation): VAT to be accounted for by the customer (article 196"),
        ("it", "Inversione contabile (autoliquidation): IVA dovuta dal committente (articolo 196"),
    ],
)
def test_a_reverse_charged_invoice_says_so_with_the_buyer_s_vat_number(language: str, mention: str) -> None:
    invoice, lines = invoice_with(zero_rated(LINES), vat_regime="reverse_charge")

    text = " ".join(text_of(invoice_pdf.render(invoice, lines, SELLER, ITALIAN_BUSINESS, language=language)))

    assert mention in text
    assert "IT00743110157" in text and "Trattoria Rossi Srl" in text
    assert "40 €" in text or "€40" in text  # a business: the fixed recovery indemnity
    french = " ".join(text_of(invoice_pdf.render(INVOICE, LINES, SELLER, BUSINESS, language=language)))
    assert "196" not in french and "SIREN: 987654321" in french.replace(" :", ":")


def test_the_xml_passes_the_en16931_business_rules_when_saxon_is_installed() -> None:
    """The schematron (BR-CO-10, BR-S-08, BR-O-02, BR-AE-02, BR-61...) needs XSLT 2: saxonche."""
    pytest.importorskip("saxonche")
    from conftest import en16931_failures

    credit, credit_lines = invoice_with(negated(LINES), kind="credit_note", credited_invoice_number="F1")
    resale, resale_lines = invoice_with(RESALE_LINES, kind="resale", payment_mode="transfer")
    reverse_charged, untaxed_lines = invoice_with(zero_rated(LINES), vat_regime="reverse_charge")
    cases = [
        (INVOICE, LINES, BUYER),
        ({**INVOICE, "payment_mode": "card", "status": "paid"}, LINES, BUSINESS),
        ({**INVOICE, "payment_mode": "tip", "period_start": None, "period_end": None}, LINES, BUYER),
        (credit, credit_lines, BUYER),
        (resale, resale_lines, BUYER),
        (reverse_charged, untaxed_lines, ITALIAN_BUSINESS),
    ]
    for invoice, lines, buyer in cases:
        xml = cii.cii_xml(invoice, lines, SELLER, buyer).decode()
        assert en16931_failures(xml) == [], invoice["kind"]


# Cold start.


def test_importing_the_modules_loads_neither_reportlab_nor_factur_x_nor_lxml() -> None:
    code = (
        "import sys; sys.path.insert(0, '.'); import chalicelib.invoice_pdf, chalicelib.cii; "
        "heavy = [m for m in ('reportlab', 'facturx', 'lxml', 'pypdf', 'chalicelib.settings', 'boto3') "
        "if m in sys.modules]; print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=SERVICE_DIR, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# The provider's brand.


def test_a_second_brand_prints_its_name_logo_colour_and_legal_identity_with_no_code_change(
    tmp_path: Path,
) -> None:
    from PIL import Image
    from reportlab.lib.colors import HexColor
    from reportlab.lib.rl_accel import fp_str

    legal = {**load_brand(REPOSITORY_BRAND).legal.model_dump(), "company": "Rivage Services SARL"}
    legal.update(siren="987654321", vat_number="FR45987654321", rcs="RCS Nantes 987 654 321")
    legal["address"] = {
        "line1": "3 quai de la Fosse",
        "postal_code": "44000",
        "city": "Nantes",
        "country": "FR",
    }
    texts = {"fr": {"pdf.invoice.labels.total_incl": "Net à payer", "pdf.letterhead.page": "Feuillet {n}"}}
    brand = copy_brand(tmp_path / "rivage", REPOSITORY_BRAND, name="Rivage", legal=legal, texts=texts)
    brand = copy_brand(
        tmp_path / "brand", brand.folder, colours={**brand.colours.model_dump(), "primary": "#7a1fa2"}
    )
    Image.new("RGBA", (300, 100), (122, 31, 162, 255)).save(brand.logo_path("png"))

    invoice = {**INVOICE, "payment_mode": "transfer"}
    pdf = invoice_pdf.render(invoice, LINES, {"iban": SELLER["iban"]}, BUYER, language="fr", brand=brand)

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    (text,) = text_of(pdf)
    assert text.startswith("Rivage")
    for piece in (
        "Rivage Services SARL",
        "SIREN 987654321",
        "FR45987654321",
        "44000 Nantes",
        "RCS Nantes",
        "au bénéfice de Rivage Services SARL, IBAN FR76 3000",
        "Net à payer",  # its wording of the invoice's label and of the letterhead's (texts)
        "Feuillet 1",
    ):
        assert piece in text, piece
    assert "Total TTC" not in text and "Page 1" not in text
    metadata = " ".join(str(value) for value in reader.metadata.values())
    xmp = reader.root_object["/Metadata"].get_object().get_data().decode()
    for place in (text, metadata, xmp):
        assert "Guichet" not in place and "Énergie Claire" not in place
    images = [x.get_object() for x in reader.pages[0]["/Resources"]["/XObject"].values()]
    assert [(x["/Subtype"], x["/Width"], x["/Height"]) for x in images] == [("/Image", 300, 100)]
    content = reader.pages[0].get_contents().get_data().decode("latin-1")
    assert f"{fp_str(*HexColor('#7a1fa2').rgb())} rg" in content  # the lines' header, in its colour
    assert "#0b5394" not in str(brand.colours) and fp_str(*HexColor("#0b5394").rgb()) not in content
    # the XML says what the page says
    root = embedded_xml(pdf)
    assert one(root, "//ram:SellerTradeParty/ram:Name") == "Rivage Services SARL"
    assert one(root, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == "987654321"
    assert one(root, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == SELLER["iban"]


def test_the_seller_of_the_settings_is_the_brands_company_with_the_account_and_email_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib import settings as settings_module

    # Given the brand of these tests and INVOICES_SELLER as .chalice/config.json says it
    loaded = settings_module.load()
    # Then the seller is the brand's company, with the account and e-mail of the settings
    assert loaded.seller["name"] == SELLER["name"] and loaded.seller["address"] == SELLER["address"]
    assert (loaded.seller["siren"], loaded.seller["vat_number"]) == ("123456789", "FR32123456789")
    assert set(loaded.seller) == {"name", "address", "siren", "vat_number", "iban", "email"}
    # and settings that still say a legal identity are refused at start, saying where it lives
    monkeypatch.setenv("INVOICES_SELLER", '{"name": "Autre SAS", "iban": "FR7630006000011234567890189"}')
    with pytest.raises(settings_module.SettingsError, match=r"holds name: .* comes from the brand"):
        settings_module.load()
