"""The subscriptions service's part of a customer's data export and of an account's closure
(guichet_contracts.personal_data; docs/PRIVACY.md).

Exported: everything of the customer's partition (subscriptions and their contracts, orders,
appointments, support messages, the copy of the profile, invoices said paid), the ledgers kept
per subscription (renewal reminders, auto-renewal orders, price notices), the points of delivery
it holds, the provider's ids of the customer and of the contracts, and the contract documents
(PDF) made for the customer.

On closure: the copy of the profile is pseudonymized (and kept so, a late profile event never
writing it back), the appointments' phone numbers and the support messages' texts erased, the
contract documents deleted (copies, made again from the subscription on demand, and holding the
name and address). Subscriptions and orders stay: they hold no identity, and invoices refer to them.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import personal_data

from .models import (
    Appointment,
    ContractExternalId,
    Customer,
    CustomerExternalId,
    Item,
    PdlHolder,
    ReminderSent,
    RenewalPlaced,
    Subscription,
    SupportMessage,
    customer_pk,
)
from .settings import settings

logger = Logger(child=True)

SERVICE = "subscriptions"
# every model of the table: exported when it is about one customer, else why not
EXPORTED = (
    "Subscription",
    "Order",
    "Appointment",
    "SupportMessage",
    "Customer",
    "InvoiceSettled",
    "ReminderSent",
    "RenewalPlaced",
    "PriceNotice",
    "PdlHolder",
    "CustomerExternalId",
    "ContractExternalId",
)
NOT_EXPORTED = {
    "Slot": "how many advisors are booked at a time, for every customer together",
    "Counter": "the last dossier and contract numbers given",
    "EventSeen": "the ids of the events already handled",
    "JobRun": "the last day a daily job covered",
    "ContractImport": "an operator's contracts file and its counts (expires)",
    "ImportPart": "an operator's contracts file, compressed (expires)",
    "ImportQueued": "an operator's file waiting for the job (expires)",
    "CatalogHead": "the catalog, the same for every customer",
    "CatalogVersion": "the catalog, the same for every customer",
}
TABULAR = {"Subscription": "subscriptions.csv", "Order": "orders.csv", "Appointment": "appointments.csv"}


def customer_items(customer_id: str) -> list[Any]:
    """Every item of the table about the customer."""
    from .price_changes import PriceNotice

    found: list[Any] = list(Item.query(customer_pk(customer_id)))
    for item in list(found):
        if isinstance(item, Subscription):
            found.extend(ReminderSent.query(f"REMINDER#{item.subscription_id}"))
            found.extend(RenewalPlaced.query(f"RENEWAL#{item.subscription_id}"))
            found.extend(PriceNotice.query(f"PRICE_NOTICE#{item.subscription_id}"))
            if item.contract.pdl:
                holder = _get(PdlHolder, f"PDL#{item.contract.pdl}", "HOLDER")
                if holder is not None and holder.customer_id == customer_id:
                    found.append(holder)
            if item.external_id:
                found.extend(
                    filter(None, [_get(ContractExternalId, f"EXTCONTRACT#{item.external_id}", "CONTRACT")])
                )
        elif isinstance(item, Customer) and item.external_id:
            found.extend(
                filter(None, [_get(CustomerExternalId, f"EXTCUSTOMER#{item.external_id}", "CUSTOMER")])
            )
    return found


def _get(model: Any, pk: str, sk: str) -> Any:
    from pynamodb.exceptions import DoesNotExist

    try:
        return model.get(pk, sk)
    except DoesNotExist:
        return None


def _documents(customer_id: str) -> list[str]:
    """The keys of the contract documents made for the customer."""
    from .documents import _s3 as s3_client

    client = s3_client()
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=settings.documents_bucket, Prefix=f"documents/{customer_id}/"
    ):
        keys.extend(entry["Key"] for entry in page.get("Contents", []))
    return keys


def export(export_id: str, customer_id: str) -> list[str]:
    """Write the customer's part of export `export_id`; the keys written."""
    from .documents import _s3 as s3_client

    part = personal_data.Part(SERVICE, customer_id)
    part.add(customer_items(customer_id))
    client = s3_client()
    prefix = f"documents/{customer_id}/"
    for key in _documents(customer_id):
        body = client.get_object(Bucket=settings.documents_bucket, Key=key)["Body"].read()
        part.add_file("documents/" + key.removeprefix(prefix).replace("/", "-"), body, "application/pdf")
    return part.write(settings.exports_bucket, export_id, tabular=TABULAR)


def erase(customer_id: str) -> int:
    """Erase the customer's personal data (CustomerClosed); the items changed. Running it again
    changes nothing more."""

    changed = 0
    for item in Item.query(customer_pk(customer_id)):
        if isinstance(item, Customer) and item.version != personal_data.CLOSED_VERSION:
            item.update(
                actions=[
                    Customer.email.set(personal_data.ERASED),
                    Customer.first_name.set(personal_data.ERASED),
                    Customer.last_name.set(personal_data.ERASED),
                    Customer.company.remove(),
                    Customer.phone.remove(),
                    Customer.address.remove(),
                    Customer.version.set(personal_data.CLOSED_VERSION),
                ]
            )
            changed += 1
        elif isinstance(item, Appointment) and item.phone != personal_data.ERASED:
            item.update(actions=[Appointment.phone.set(personal_data.ERASED)])
            changed += 1
        elif isinstance(item, SupportMessage) and item.message != personal_data.ERASED:
            item.update(
                actions=[
                    SupportMessage.subject.set(personal_data.ERASED),
                    SupportMessage.message.set(personal_data.ERASED),
                ]
            )
            changed += 1
    changed += _delete_documents(customer_id)
    logger.info("customer's personal data erased", extra={"customer_id": customer_id, "changed": changed})
    return changed


def _delete_documents(customer_id: str) -> int:
    """Delete every version of the customer's contract documents (the bucket is versioned: a
    plain delete would only hide them); the versions deleted."""
    from .documents import _s3 as s3_client

    client = s3_client()
    versions: list[dict[str, str]] = []
    for page in client.get_paginator("list_object_versions").paginate(
        Bucket=settings.documents_bucket, Prefix=f"documents/{customer_id}/"
    ):
        for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            versions.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
    for start in range(0, len(versions), 1000):
        client.delete_objects(
            Bucket=settings.documents_bucket,
            Delete={"Objects": versions[start : start + 1000], "Quiet": True},
        )
    return len(versions)
