"""PynamoDB models of the subscriptions table (single-table design; `pk`/`sk`, GSI `renewals`).

| item | pk | sk |
|---|---|---|
| Subscription (with its contract and settings) | CUSTOMER#<customer_id> | SUB#<subscription_id> |
| Order (lines, history); the id starts with the time placed | CUSTOMER#<customer_id> | ORDER#<order_id> |
| Appointment | CUSTOMER#<customer_id> | APPT#<start> |
| Customer (copy kept from auth's events) | CUSTOMER#<customer_id> | PROFILE |
| Slot (advisors booked at a time) | SLOTS#<YYYY-MM of start> | <start> |
| Counter (dossier and contract numbers) | COUNTER#<name> | COUNTER |
| ReminderSent (ledger: one mail per milestone) | REMINDER#<subscription_id> | <renews_on>#<milestone> |
| RenewalPlaced (ledger: one auto-renewal order per period) | RENEWAL#<subscription_id> | <renews_on> |
| PdlHolder (the contract that last took a PDL) | PDL#<pdl> | HOLDER |
| InvoiceSettled (an invoice said paid) | CUSTOMER#<customer_id> | PAID#<invoice_id> |
| EventSeen (consumed event ids) | EVENT#<event_id> | EVENT |
| JobRun (last day a daily job covered) | JOB#<name> | JOB |
| CustomerExternalId (the provider's id of a customer) | EXTCUSTOMER#<external_id> | CUSTOMER |
| ContractExternalId (the provider's id of a contract) | EXTCONTRACT#<external_id> | CONTRACT |
| ContractImport (a contracts file and its counts) | IMPORT#<import_id> | IMPORT |
| ImportPart (the file, then its report, compressed, in parts) | IMPORT#<import_id> | FILE#<n> or REPORT#<n> |
| ImportQueued (a file waiting for the job) | IMPORTS | <submitted_at>#<import_id> |
| CatalogHead, CatalogVersion (catalog_versions.py) | CATALOG | HEAD, VERSION#<n> |
| PriceNotice (dearer terms announced, price_changes.py) | PRICE_NOTICE#<subscription_id> | <version> |
| Powertools idempotency records | IDEMPOTENCY#<route> | <hash> |

A customer's partition holds everything the customer area shows, so a listing or the
dashboard is one Query (`Item.query` returns each item as its own model). The `renewals`
index holds live subscriptions by renewal day
(renews_pk = RENEWS#<YYYY-MM-DD>), so daily jobs read the days they cover and nothing else.
"""

from __future__ import annotations

from guichet_contracts import retries
from guichet_contracts.import_files import ImportPartData, ImportRecord, QueuedImport
from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from .settings import settings

retries.use_for_dynamodb()  # DynamoDB's own retry policy, not PynamoDB's (guichet_contracts.retries)


class Item(Model):
    """Any item of the table; its `type` attribute says which model reads it (PynamoDB discriminator)."""

    class Meta:
        table_name = settings.table_name

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")


class RenewalsIndex(GlobalSecondaryIndex["Subscription"]):
    class Meta:
        index_name = "renewals"
        projection = AllProjection()

    renews_pk = UnicodeAttribute(hash_key=True)
    renews_sk = UnicodeAttribute(range_key=True)


class Contract(MapAttribute):
    contract_number = UnicodeAttribute()
    offer = UnicodeAttribute(null=True)
    payment_mode = UnicodeAttribute()  # monthly | per_invoice
    pdl = UnicodeAttribute(null=True)
    off_peak_hours = ListAttribute(of=MapAttribute, null=True)
    subscribed_power_kva = NumberAttribute(null=True)
    tariff_option = UnicodeAttribute(null=True)


class Subscription(Item, discriminator="subscription"):
    subscription_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    dossier_number = UnicodeAttribute()
    product_id = UnicodeAttribute()
    family = UnicodeAttribute()
    name = UnicodeAttribute()
    label = UnicodeAttribute()
    status = UnicodeAttribute()
    remarks = UnicodeAttribute(null=True)
    started_on = UnicodeAttribute(null=True)  # YYYY-MM-DD
    renews_on = UnicodeAttribute()  # YYYY-MM-DD: the end of the paid period
    auto_renew = BooleanAttribute(default=False)
    price_cents = NumberAttribute()
    currency = UnicodeAttribute()
    billing_period = UnicodeAttribute()  # month | year
    commitment_months = NumberAttribute(default=0)
    # the terms of the catalog version it was ordered or last renewed under (price_changes.py);
    # absent on a subscription from before versions: catalog.json's
    catalog_version = NumberAttribute(null=True)
    tariff = JSONAttribute(null=True)
    contract = Contract()
    settings = JSONAttribute(default=dict)
    options = JSONAttribute(default=dict)
    search_text = UnicodeAttribute()  # lowercased name, label and dossier number, for ?q=
    cancel_at = UnicodeAttribute(null=True)  # the day a cancellation takes effect
    cancel_reason = UnicodeAttribute(null=True)
    # a cancellation the customer asked for here, what its written confirmation says:
    # {"requested_at" (ISO 8601 UTC), "immediately" (bool), "refund_cents" (int or null)}
    cancellation = JSONAttribute(null=True)
    # the order that made it: {"order_id", "at" (ISO 8601 UTC), "terms_version" (null: none accepted)}
    accepted = JSONAttribute(null=True)
    suspended_for = ListAttribute(of=UnicodeAttribute, null=True)  # unpaid invoices it waits for
    suspension_reason = UnicodeAttribute(null=True)  # unpaid | operator
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    renews_pk = UnicodeAttribute(null=True)  # only while the subscription can renew or expire
    renews_sk = UnicodeAttribute(null=True)
    renewals = RenewalsIndex()
    # a contract imported from the provider's systems (contract_import.py); null for an order's
    external_id = UnicodeAttribute(null=True)  # the provider's id of the contract
    imported_on = UnicodeAttribute(null=True)  # YYYY-MM-DD: the day it was imported
    billed_from = UnicodeAttribute(null=True)  # YYYY-MM-DD: the first day Guichet bills
    ended_on = UnicodeAttribute(null=True)  # YYYY-MM-DD: an imported ended contract's last day
    commitment_ends_on = UnicodeAttribute(null=True)  # YYYY-MM-DD: an imported contract's commitment


class OrderLine(MapAttribute):
    product_id = UnicodeAttribute()
    family = UnicodeAttribute()
    name = UnicodeAttribute()
    label = UnicodeAttribute()
    options = JSONAttribute(default=dict)
    periods = NumberAttribute(default=1)
    unit_price_cents = NumberAttribute()
    total_cents = NumberAttribute()
    billing_period = UnicodeAttribute()
    subscription_id = UnicodeAttribute(null=True)  # set for a renewal, or once provisioned
    payment_mode = UnicodeAttribute(null=True)  # monthly | per_invoice (a renewal: the contract's)
    catalog_version = NumberAttribute(null=True)  # the version whose terms it was priced with


class Step(MapAttribute):
    status = UnicodeAttribute()
    at = UTCDateTimeAttribute()


class Order(Item, discriminator="order"):
    order_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # purchase | renewal
    status = UnicodeAttribute()
    items = ListAttribute(of=OrderLine)
    total_cents = NumberAttribute()
    currency = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    history = ListAttribute(of=Step)
    # while received: what it waits for, `mandate` (monthly debits, none on file) or `payment`
    awaiting = UnicodeAttribute(null=True)
    invoice_id = UnicodeAttribute(null=True)  # its invoice, once the invoices service issued it
    terms_version = UnicodeAttribute(null=True)  # the terms of sale accepted with a purchase


class Appointment(Item, discriminator="appointment"):
    appointment_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    start = UnicodeAttribute()  # ISO 8601 UTC
    end = UnicodeAttribute()
    topic = UnicodeAttribute()
    phone = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class SupportMessage(Item, discriminator="support_message"):
    """A message the customer sent the provider's support (support_messages.py)."""

    message_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    topic = UnicodeAttribute()
    subject = UnicodeAttribute()
    message = UnicodeAttribute()
    subscription_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()


class Customer(Item, discriminator="customer"):
    customer_id = UnicodeAttribute()
    email = UnicodeAttribute()
    first_name = UnicodeAttribute()
    last_name = UnicodeAttribute()
    company = UnicodeAttribute(null=True)
    # a business customer's identifiers, as auth checked them (CustomerRegistered/Updated v3)
    siren = UnicodeAttribute(null=True)
    siret = UnicodeAttribute(null=True)
    vat_number = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    language = UnicodeAttribute(default="fr")
    address = JSONAttribute(null=True)
    version = UnicodeAttribute()  # occurred_at of the event that wrote it: older events do not overwrite
    external_id = UnicodeAttribute(null=True)  # the provider's id of an imported customer
    mandate_reference = UnicodeAttribute(null=True)  # a SEPA mandate on file (MandateSigned)


class Slot(Item, discriminator="slot"):
    booked = NumberAttribute(default=0)


class Counter(Item, discriminator="counter"):
    value = NumberAttribute(default=0)


class ReminderSent(Item, discriminator="reminder_sent"):
    sent_at = UTCDateTimeAttribute()
    expires_at_epoch = NumberAttribute()


class RenewalPlaced(Item, discriminator="renewal_placed"):
    order_id = UnicodeAttribute()
    expires_at_epoch = NumberAttribute()


class PdlHolder(Item, discriminator="pdl_holder"):
    """The electricity contract that last took a point of delivery (delivery_points.py)."""

    subscription_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    since = UnicodeAttribute(null=True)  # YYYY-MM-DD: the day it starts supplying the point


class InvoiceSettled(Item, discriminator="invoice_settled"):
    """An invoice the invoices service said paid: a late InvoiceUnpaid of it suspends nothing."""

    paid_on = UnicodeAttribute()
    expires_at_epoch = NumberAttribute()


class EventSeen(Item, discriminator="event_seen"):
    seen_at = UTCDateTimeAttribute()
    expires_at_epoch = NumberAttribute()


class JobRun(Item, discriminator="job_run"):
    covered_until = UnicodeAttribute()  # YYYY-MM-DD


class CustomerExternalId(Item, discriminator="customer_external_id"):
    """The provider's id of a customer (auth's CustomerRegistered/Updated) and the customer's id."""

    customer_id = UnicodeAttribute()


class ContractExternalId(Item, discriminator="contract_external_id"):
    """The provider's id of an imported contract, its subscription and the row applied last."""

    customer_id = UnicodeAttribute()
    subscription_id = UnicodeAttribute()
    fingerprint = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()


class ContractImport(ImportRecord, Item, discriminator="contract_import"):
    """A contracts file an operator submitted, its counts and where the job is with it."""


class ImportPart(ImportPartData, Item, discriminator="import_part"):
    """A part of a contracts file, then of its report."""


class ImportQueued(QueuedImport, Item, discriminator="import_queued"):
    """A contracts file waiting for the job: one Query finds them."""


def customer_pk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


_connection: Connection | None = None


def transaction() -> TransactWrite:
    global _connection
    if _connection is None:
        _connection = Connection()
    return TransactWrite(connection=_connection)
