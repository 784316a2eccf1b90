"""GDPR: this service's part of a customer's data export (with the invoices' PDFs), and its
erasure on CustomerClosed, invoices keeping the legal minimum of their buyer."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from typing import Any

import boto3
from conftest import Customer, issue_invoice
from guichet_contracts.domain_events.auth import CustomerClosed, DataExportRequested
from guichet_local.testing import EventLog, a_customer, deliver, table_models

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
BUCKET = os.environ["GUICHET_EXPORTS_BUCKET"]
IBAN = "FR76 3000 6000 0112 3456 7890 189"


def one_of_each(customer: Customer) -> Any:
    """A customer with an item of every exported kind; their invoice."""
    from chalicelib import invoicing
    from chalicelib.models import (
        BilledSubscription,
        CarriedCredit,
        Installment,
        NumberClaim,
        OrderSettlement,
        Payment,
        Preferences,
        Refund,
        Schedule,
        customer_pk,
    )

    invoice = issue_invoice(customer.customer_id, date(2026, 11, 2))
    invoicing.ensure_pdf(invoice)
    assert (
        customer.call("PUT", "/bank-account", {"iban": IBAN, "holder": "Zélie Quintard"}).status_code == 200
    )
    pk, who = customer_pk(customer.customer_id), customer.customer_id
    Payment(
        pk,
        "PAYMENT#p1",
        payment_id="p1",
        customer_id=who,
        method="card",
        status="succeeded",
        amount_cents=100,
        currency="EUR",
        invoice_ids=[invoice.invoice_id],
        created_at=NOW,
    ).save()
    Refund(
        pk,
        "REFUND#r1",
        refund_id="r1",
        customer_id=who,
        invoice_id="in_x",
        method="card",
        status="succeeded",
        amount_cents=1,
        currency="EUR",
        created_at=NOW,
    ).save()
    CarriedCredit(
        pk, "CREDIT#in_x", customer_id=who, invoice_id="in_x", number="AV-1", left_cents=1, currency="EUR"
    ).save()
    BilledSubscription(pk, "SUBSCRIPTION#s1", subscription_id="s1", customer_id=who).save()
    OrderSettlement(
        pk,
        "ORDER#o1",
        order_id="o1",
        customer_id=who,
        needs_mandate=False,
        currency="EUR",
        status="paid",
        created_at=NOW,
    ).save()
    Preferences(pk, "PREFERENCES").save()
    Schedule(
        pk,
        "SCHEDULE#s1#2026",
        customer_id=who,
        subscription_id="s1",
        year=2026,
        estimated_annual_cents=1200,
        installments_count=10,
        regularization_on="2027-01-15",
    ).save()
    Installment(
        pk,
        "INSTALLMENT#s1#2026#01",
        customer_id=who,
        subscription_id="s1",
        year=2026,
        number=1,
        due_on="2026-02-05",
        amount_cents=120,
        status="paid",
    ).save()
    NumberClaim(
        f"PROVIDER_NUMBER#{invoice.number}", "NUMBER", invoice_id=invoice.invoice_id, customer_id=who
    ).save()
    from chalicelib.models import EnergyContract, Invoice

    Invoice(pk, f"INVOICE#{invoice.invoice_id}").update(actions=[Invoice.origin.set("provider")])
    terms = [
        {"from": "2026-01-01", "pdl": "14295837461028", "subscribed_power_kva": 6, "tariff_option": "base"}
    ]
    EnergyContract(pk, "ENERGY_CONTRACT#s1", subscription_id="s1", customer_id=who, terms=terms).save()
    return invoice


def test_every_model_of_the_table_is_exported_or_said_why_not() -> None:
    from chalicelib import personal_data
    from chalicelib.models import Item

    assert set(personal_data.EXPORTED) & set(personal_data.NOT_EXPORTED) == set()
    assert table_models(Item) == set(personal_data.EXPORTED) | set(personal_data.NOT_EXPORTED)


def test_the_part_holds_an_item_of_each_kind_the_csv_and_the_invoice_pdfs(
    client: Any, customer_factory: Any
) -> None:
    from chalicelib import personal_data

    published = EventLog("guichet.invoices")
    customer = customer_factory()
    invoice = one_of_each(customer)
    deliver(
        client,
        "data_export_requested",
        DataExportRequested(export_id="ex_i1", customer_id=customer.customer_id),
    )

    s3 = boto3.client("s3")
    keys = {
        entry["Key"]
        for entry in s3.list_objects_v2(Bucket=BUCKET, Prefix="exports/ex_i1/invoices/")["Contents"]
    }
    document = json.loads(s3.get_object(Bucket=BUCKET, Key="exports/ex_i1/invoices/data.json")["Body"].read())
    assert set(document["items"]) == set(personal_data.EXPORTED)
    assert {"exports/ex_i1/invoices/invoices.csv", "exports/ex_i1/invoices/payments.csv"} <= keys
    pdf = s3.get_object(Bucket=BUCKET, Key=f"exports/ex_i1/invoices/invoices/{invoice.number}.pdf")[
        "Body"
    ].read()
    assert pdf.startswith(b"%PDF")
    announced = published.of(customer.customer_id, "InvoicesDataExported")
    assert announced and set(announced[-1]["detail"]["data"]["keys"]) == keys


def test_closing_deletes_the_bank_account_and_leaves_invoices_their_buyer_s_name_and_address_only(
    client: Any, customer_factory: Any
) -> None:
    from chalicelib.models import Item, customer_pk

    customer = customer_factory(first_name="Zélie", last_name="Quintard")
    invoice = one_of_each(customer)
    closed = CustomerClosed(customer_id=customer.customer_id, closed_on=date(2026, 11, 20))
    deliver(client, "customer_closed", closed)
    deliver(client, "customer_closed", closed)  # again: the same result
    # a late profile event, older than the closure, writes nothing back
    deliver(client, "customer_changed", a_customer(customer.customer_id, customer.email, first_name="Zélie"))

    items = list(Item.query(customer_pk(customer.customer_id)))
    kinds = {type(item).__name__ for item in items}
    assert "BankAccount" not in kinds and "EnergyContract" not in kinds
    outside_invoices = json.dumps(
        [i.attribute_values for i in items if type(i).__name__ != "Invoice"], default=str
    )
    for trace in (
        customer.email,
        "Zélie",
        "Quintard",
        "rue de la Paix",
        "FR76",
        "3000 6000",
        "14295837461028",
    ):
        assert trace not in outside_invoices, trace
    kept = next(item for item in items if type(item).__name__ == "Invoice").billing_party
    assert kept["name"] == "Zélie Quintard" and kept["address"]["line1"] == "1 rue de la Paix"
    assert kept["email"] is None and customer.email not in json.dumps(kept)
    assert invoice.invoice_id  # the invoice and its PDF stay
