"""GDPR: this service's part of a customer's data export, and its erasure on CustomerClosed."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from typing import Any

import boto3
from conftest import Customer, electricity_options, order_and_pay, update_customer
from guichet_contracts.domain_events.auth import CustomerClosed, DataExportRequested
from guichet_local.testing import EventLog, answer, deliver, table_models

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
BUCKET = os.environ["GUICHET_EXPORTS_BUCKET"]


def one_of_each(customer: Customer) -> str:
    """A customer with an item of every exported kind; the electricity subscription's id."""
    from chalicelib.models import (
        Appointment,
        ContractExternalId,
        CustomerExternalId,
        InvoiceSettled,
        ReminderSent,
        RenewalPlaced,
        Subscription,
        SupportMessage,
        customer_pk,
    )
    from chalicelib.models import (
        Customer as CustomerCopy,
    )
    from chalicelib.price_changes import PriceNotice

    subscription_id = order_and_pay(customer, "electricity-essentielle", "Maison", electricity_options())[
        "subscription_id"
    ]
    assert answer(customer.call("GET", f"/{subscription_id}/documents/contract"))["url"]
    pk = customer_pk(customer.customer_id)
    Appointment(
        pk,
        "APPT#2026-12-01T09:00:00Z",
        appointment_id="a1",
        customer_id=customer.customer_id,
        start="2026-12-01T09:00:00Z",
        end="2026-12-01T09:30:00Z",
        topic="billing",
        phone="+33611223344",
        created_at=NOW,
    ).save()
    SupportMessage(
        pk,
        "MESSAGE#m1",
        message_id="m1",
        customer_id=customer.customer_id,
        topic="other",
        subject="Mon déménagement",
        message="J'habite désormais 4 rue Secrète",
        created_at=NOW,
    ).save()
    InvoiceSettled(pk, "PAID#in_1", paid_on="2026-11-02", expires_at_epoch=2_000_000_000).save()
    ReminderSent(
        f"REMINDER#{subscription_id}", "2027-01-01#30", sent_at=NOW, expires_at_epoch=2_000_000_000
    ).save()
    RenewalPlaced(
        f"RENEWAL#{subscription_id}", "2027-01-01", order_id="o1", expires_at_epoch=2_000_000_000
    ).save()
    PriceNotice(
        f"PRICE_NOTICE#{subscription_id}",
        "2",
        version=2,
        notified_on="2026-11-01",
        applies_on="2027-01-01",
        price_cents=1,
        tariff={},
        sent_at=NOW,
    ).save()
    Subscription(pk, f"SUB#{subscription_id}").update(actions=[Subscription.external_id.set("CT-1")])
    ContractExternalId(
        "EXTCONTRACT#CT-1",
        "CONTRACT",
        customer_id=customer.customer_id,
        subscription_id=subscription_id,
        fingerprint="f",
        updated_at=NOW,
    ).save()
    CustomerCopy(pk, "PROFILE").update(actions=[CustomerCopy.external_id.set("CU-1")])
    CustomerExternalId("EXTCUSTOMER#CU-1", "CUSTOMER", customer_id=customer.customer_id).save()
    return str(subscription_id)


def test_every_model_of_the_table_is_exported_or_said_why_not() -> None:
    from chalicelib import personal_data
    from chalicelib.models import Item

    assert set(personal_data.EXPORTED) & set(personal_data.NOT_EXPORTED) == set()
    assert table_models(Item) == set(personal_data.EXPORTED) | set(personal_data.NOT_EXPORTED)


def test_the_part_holds_an_item_of_each_kind_the_csv_and_the_contract_documents(
    client: Any, customer_factory: Any, published: EventLog
) -> None:
    from chalicelib import personal_data

    customer = customer_factory()
    one_of_each(customer)
    deliver(
        client,
        "data_export_requested",
        DataExportRequested(export_id="ex_s1", customer_id=customer.customer_id),
    )

    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="exports/ex_s1/subscriptions/")["Contents"]
    keys = {entry["Key"] for entry in listed}
    document = json.loads(
        s3.get_object(Bucket=BUCKET, Key="exports/ex_s1/subscriptions/data.json")["Body"].read()
    )
    assert set(document["items"]) == set(personal_data.EXPORTED)
    assert document["items"]["Customer"][0]["email"] == customer.email
    assert "exports/ex_s1/subscriptions/subscriptions.csv" in keys
    assert any(key.endswith(".pdf") and "/documents/" in key for key in keys)
    announced = published.of(customer.customer_id, "SubscriptionsDataExported")
    assert announced and set(announced[-1]["detail"]["data"]["keys"]) == keys


def test_closing_erases_the_profile_copy_phones_messages_and_documents_and_a_late_update_writes_nothing_back(
    client: Any, customer_factory: Any
) -> None:
    from chalicelib.models import Item, customer_pk

    customer = customer_factory(first_name="Zélie", last_name="Quintard", phone="+33698765432")
    subscription_id = one_of_each(customer)
    closed = CustomerClosed(customer_id=customer.customer_id, closed_on=date(2026, 11, 20))
    deliver(client, "customer_closed", closed)
    deliver(client, "customer_closed", closed)  # again: the same result
    update_customer(customer, first_name="Zélie", last_name="Quintard")  # late, older than the closure

    items = [item.attribute_values for item in Item.query(customer_pk(customer.customer_id))]
    dump = json.dumps(items, default=str)
    for trace in (customer.email, "Zélie", "Quintard", "+33698765432", "+33611223344", "rue Secrète", "Paix"):
        assert trace not in dump, trace
    assert subscription_id in dump  # the contract itself stays (invoices refer to it)
    versions = boto3.client("s3").list_object_versions(
        Bucket=os.environ["SUBSCRIPTIONS_DOCUMENTS_BUCKET"], Prefix=f"documents/{customer.customer_id}/"
    )
    assert not versions.get("Versions") and not versions.get("DeleteMarkers")
