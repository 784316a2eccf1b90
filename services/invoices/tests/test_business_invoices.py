"""Invoices of business customers: the VAT rule (vat.regime), decided at issue and kept on the
invoice, and the invoices of four customers issued through the service's events, each checked
against the EN 16931 schematron and read back as a person reads its PDF.

Runs alone: cd services/invoices && ../../.venv/bin/python -m pytest -q tests/test_business_invoices.py
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from conftest import (
    consumption_closed,
    en16931_failures,
    energy_activated,
    invoice_of_order,
    invoices_in_table,
    order_placed,
    pdf_text,
    priced,
)
from guichet_local.testing import deliver

ISSUED_AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SIREN, FR_VAT = "732829320", "FR44732829320"
IT_VAT = "IT00743110157"
MILANO = {"line1": "Via Dante 1", "line2": None, "postal_code": "20121", "city": "Milano", "country": "IT"}
HOSTING = {"description": "Hébergement Pro — novembre 2026", "unit_price_cents": 2400}


def business_buyer(vat_number: str | None, siren: str | None = None) -> dict[str, Any]:
    return {"name": "Société", "vat_number": vat_number, "siren": siren}


@pytest.mark.parametrize(
    ("buyer", "kind", "unit", "expected"),
    [
        (business_buyer(None), "invoice", "month", None),  # a consumer: French VAT
        (business_buyer(FR_VAT, SIREN), "invoice", "month", None),  # a French business
        (business_buyer(IT_VAT), "invoice", "month", "reverse_charge"),  # an Italian business
        (business_buyer("it 007 431 10157"), "invoice", "month", "reverse_charge"),  # as typed
        (business_buyer("EL094259216"), "invoice", "year", "reverse_charge"),  # Greece's prefix
        (business_buyer(IT_VAT), "regularization", "month", "reverse_charge"),
        (business_buyer(IT_VAT), "invoice", "kWh", None),  # electricity is taxed where consumed
        (business_buyer(IT_VAT), "resale", "kWh", None),  # the customer sells: not our supply
        (business_buyer("XI123456782"), "invoice", "month", None),  # Northern Ireland: goods only
        (business_buyer("CHE116281710"), "invoice", "month", None),  # outside the EU
    ],
)
def test_the_vat_rule(buyer: dict[str, Any], kind: str, unit: str, expected: str | None) -> None:
    from chalicelib import vat

    assert vat.regime(buyer, kind=kind, lines=[priced(unit=unit)]) == expected


def test_a_reverse_charged_line_bills_the_price_without_tax() -> None:
    from chalicelib import vat

    agreed = priced(2400, tax_included=True)  # 24 € tax included: 20 € + 4 € of VAT

    (line,) = vat.under(vat.REVERSE_CHARGE, [agreed])

    assert (line.tax_rate, line.total_excl_tax_cents, line.total_incl_tax_cents) == (Decimal("0"), 2000, None)
    assert vat.breakdown([line]) == [{"rate": "0", "base_cents": 2000, "tax_cents": 0}]
    assert vat.under(None, [agreed]) == [agreed]


def stored_pdf(invoice: Any) -> bytes:
    import boto3
    from chalicelib.settings import settings

    return bytes(
        boto3.client("s3").get_object(Bucket=settings.pdf_bucket, Key=invoice.pdf_key)["Body"].read()
    )


def embedded_xml(pdf: bytes) -> str:
    from facturx import get_xml_from_pdf

    _, xml = get_xml_from_pdf(io.BytesIO(pdf), check_xsd=True)
    return bytes(xml).decode()


def test_invoices_of_a_consumer_a_french_business_an_italian_business_and_an_electricity_customer(
    customer_factory: Any,
) -> None:
    pytest.importorskip("saxonche")
    with time_machine.travel(ISSUED_AT, tick=False):
        # Given four customers, as auth announced them (CustomerRegistered v3)
        consumer = customer_factory()
        french = customer_factory(company="Atelier Lumière SAS", siren=SIREN, siret=None, vat_number=FR_VAT)
        italian = customer_factory(
            language="it", company="Trattoria Rossi Srl", vat_number=IT_VAT, address=MILANO
        )
        electricity = customer_factory(language="en")

        # When the first three order hosting (24 € tax included) and the fourth's month of electricity closes
        invoices = {
            name: invoice_of_order(order_placed(customer.client, customer.customer_id, [HOSTING]))
            for name, customer in (("consumer", consumer), ("french", french), ("italian", italian))
        }
        contract = energy_activated(
            electricity,
            payment_mode="per_invoice",
            pdl="30001234567890",
            subscribed_power_kva=6,
            price_cents=1547,
        )
        taxes = {"accise_cents_per_kwh": "3.085", "cta_rate_percent": "15", "cta_base_percent": "40"}
        closed = consumption_closed(
            electricity.customer_id,
            subscription_id=contract.subscription_id,
            meter_id="30001234567890",
            taxes=taxes,
        )
        deliver(electricity.client, "consumption_period_closed", closed)
        (invoices["electricity"],) = invoices_in_table(electricity.customer_id)

    # Then French VAT is billed, except to the Italian business (reverse charge, kept on the invoice)
    assert {name: invoice.vat_regime for name, invoice in invoices.items()} == {
        "consumer": None,
        "french": None,
        "italian": "reverse_charge",
        "electricity": None,
    }
    assert (invoices["french"].total_excl_tax_cents, invoices["french"].tax_cents) == (2000, 400)
    assert (invoices["italian"].total_excl_tax_cents, invoices["italian"].tax_cents) == (2000, 0)
    assert invoices["italian"].total_cents == 2000
    assert invoices["electricity"].tax_cents > 0

    # And each embedded Factur-X XML passes the EN 16931 business rules
    pdfs = {name: stored_pdf(invoice) for name, invoice in invoices.items()}
    for name, pdf in pdfs.items():
        assert en16931_failures(embedded_xml(pdf)) == [], name
    assert "<ram:CategoryCode>AE</ram:CategoryCode>" in embedded_xml(pdfs["italian"])
    french_xml = embedded_xml(pdfs["french"])
    assert f'<ram:ID schemeID="0002">{SIREN}</ram:ID>' in french_xml
    assert f'<ram:ID schemeID="VA">{FR_VAT}</ram:ID>' in french_xml

    # And each PDF shows its mandatory mentions, in the customer's language
    text = {name: pdf_text(pdf) for name, pdf in pdfs.items()}
    for name, invoice in invoices.items():
        assert invoice.number in text[name] and invoice.customer_id in text[name]
    assert "20 % 20,00 € 4,00 €" in text["consumer"] and "Total TTC 24,00 €" in text["consumer"]
    assert "pénalités" not in text["consumer"] and "40 €" not in text["consumer"]
    assert "Atelier Lumière SAS" in text["french"]
    assert f"SIREN : {SIREN}" in text["french"] and f"N° de TVA : {FR_VAT}" in text["french"]
    assert "trois fois le taux d'intérêt légal" in text["french"]
    assert "indemnité forfaitaire pour frais de recouvrement de 40 €" in text["french"]
    assert "Pas d'escompte pour paiement anticipé" in text["french"]
    assert "Autoliquidation" not in text["french"] and "Total TTC 24,00 €" in text["french"]
    assert "Trattoria Rossi Srl" in text["italian"] and f"Partita IVA: {IT_VAT}" in text["italian"]
    assert "Inversione contabile (autoliquidation)" in text["italian"]
    assert "0 % 20,00 € 0,00 €" in text["italian"] or "0% 20,00 € 0,00 €" in text["italian"]
    assert "direttiva 2006/112/CE" in text["italian"]
    assert "indennità forfettaria per le spese di recupero di 40 €" in text["italian"]
    assert "Nessuno sconto per pagamento anticipato" in text["italian"]
    # (an electricity bill's own mentions, each language: services/invoices/tests/test_energy_invoice.py)
    assert "Billing period: 1 October 2026 to 31 October 2026" in text["electricity"]
    assert "Consumption 2026-10 210.5 kWh €0.2516 20%" in text["electricity"]  # in the buyer's language
    assert "Electricity subscription 2026-10" in text["electricity"]
    for mention in (
        "30001234567890",
        "6 kVA",
        "Excise duty on electricity",
        "(CTA)",
        "www.energie-mediateur.fr",
    ):
        assert mention in text["electricity"], mention
    assert "Total incl. VAT €79.02" in text["electricity"]
    assert "recovery fee" not in text["electricity"]
