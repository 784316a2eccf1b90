"""PynamoDB models of the invoices table (single-table design; `pk`/`sk`, GSI `due`).

| item | pk | sk |
|---|---|---|
| Invoice (lines, payments applied) | CUSTOMER#<customer_id> | INVOICE#<invoice_id> |
| Payment | CUSTOMER#<customer_id> | PAYMENT#<payment_id> |
| BankAccount (SEPA mandate) | CUSTOMER#<customer_id> | BANK_ACCOUNT |
| Preferences | CUSTOMER#<customer_id> | PREFERENCES |
| BillingParty (copy of auth's events) | CUSTOMER#<customer_id> | PROFILE |
| Schedule (échéancier) of one contract | CUSTOMER#<customer_id> | SCHEDULE#<subscription_id>#<year> |
| Installment | CUSTOMER#<customer_id> | INSTALLMENT#<subscription_id>#<year>#<nn> |
| OrderSettlement (what an order asks before OrderPaid) | CUSTOMER#<customer_id> | ORDER#<order_id> |
| BilledSubscription (the order invoice that paid it) | CUSTOMER#<customer_id> | SUBSCRIPTION#<id> |
| EnergyContract (copy of an electricity contract's terms) | CUSTOMER#<customer_id> | ENERGY_CONTRACT#<id> |
| Refund (money paid back for a credit document) | CUSTOMER#<customer_id> | REFUND#<refund_id> |
| CarriedCredit (an overpayment kept for the next invoice) | CUSTOMER#<customer_id> | CREDIT#<invoice_id> |
| IssueKey (one invoice per business event, IMPORT#<external_id>: imported) | ISSUED#<source key> | ISSUED |
| Counter (invoice numbers of a year) | COUNTER#<year> | COUNTER |
| NumberClaim (a provider's number, imported once) | PROVIDER_NUMBER#<NUMBER> | NUMBER |
| Stamp (overdue reminders sent, duplicates made) | STAMP#<what> | <when or stage> |
| InvoiceImport (an invoices file and its counts, invoice_import.py) | IMPORT#<import_id> | IMPORT |
| ImportPart (the file, then its report, compressed, in parts) | IMPORT#<import_id> | FILE#<n> or REPORT#<n> |
| ImportQueued (a file waiting for the job) | IMPORTS | <submitted_at>#<import_id> |
| Powertools idempotency records | IDEMPOTENCY#<route> | <hash> |
| ProviderEvent (a Stripe webhook event handled) | PROVIDER_EVENT#<event id> | EVENT |

Invoice ids start with the issue date (`in_20261123_…`), so a customer's invoices of a period
are one Query on a sort-key range. The `due` index holds what a daily job must act on: open
invoices by due date (then by reminder, suspension or void date), installments not yet collected
(or to retry) and regularizations.
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


class DueIndex(GlobalSecondaryIndex["Item"]):
    class Meta:
        index_name = "due"
        projection = AllProjection()

    due_pk = UnicodeAttribute(hash_key=True)
    due_sk = UnicodeAttribute(range_key=True)


class Item(Model):
    """Any item of the table; its `type` attribute says which model reads it."""

    class Meta:
        table_name = settings.table_name

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")
    # what a daily job must act on (open invoices, installments, regularizations), any type
    due_pk = UnicodeAttribute(null=True)
    due_sk = UnicodeAttribute(null=True)
    due = DueIndex()


class Line(MapAttribute):
    description = UnicodeAttribute()
    quantity = UnicodeAttribute()  # decimal as text: "1", "342.5"
    unit = UnicodeAttribute()
    unit_price_cents = NumberAttribute()  # rounded for display; the total is exact
    unit_price = UnicodeAttribute(null=True)  # exact unit price in currency units, e.g. "0.1952"
    tax_rate = UnicodeAttribute()
    total_excl_tax_cents = NumberAttribute()


class AppliedPayment(MapAttribute):
    payment_id = UnicodeAttribute()
    amount_cents = NumberAttribute()
    method = UnicodeAttribute()
    status = UnicodeAttribute()
    at = UTCDateTimeAttribute()


class Invoice(Item, discriminator="invoice"):
    invoice_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    number = UnicodeAttribute()
    kind = UnicodeAttribute()  # invoice | credit_note | resale | regularization
    issued_on = UnicodeAttribute()
    due_on = UnicodeAttribute()
    period_start = UnicodeAttribute(null=True)
    period_end = UnicodeAttribute(null=True)
    # open | paid | overdue | void, and refunded for a credit note or negative regularization whose
    # money went back; a credit document waiting for its refund (or carried) is open
    status = UnicodeAttribute()
    total_excl_tax_cents = NumberAttribute()
    tax_cents = NumberAttribute()
    total_cents = NumberAttribute()
    amount_due_cents = NumberAttribute()
    currency = UnicodeAttribute()
    payment_mode = UnicodeAttribute()
    lines = ListAttribute(of=Line)
    payments = ListAttribute(of=AppliedPayment, default=list)
    pdf_key = UnicodeAttribute()
    language = UnicodeAttribute(default="fr")
    source = UnicodeAttribute()  # the business event it was issued for
    order_id = UnicodeAttribute(null=True)
    subscription_ids = ListAttribute(of=UnicodeAttribute, default=list)  # what it bills
    credited_invoice_id = UnicodeAttribute(null=True)
    credited_cents = NumberAttribute(null=True)  # what credit notes against it credited so far
    billing_party = JSONAttribute()  # the buyer as printed, kept with the invoice
    energy = JSONAttribute(null=True)  # an electricity month's statement as billed (energy_contracts.py)
    tax_breakdown = JSONAttribute()  # VAT per rate as billed: [{rate, base_cents, tax_cents}]
    # how VAT applies, decided at issue (vat.regime): None is French VAT (invoices issued before
    # the rule was kept say nothing), "reverse_charge" an EU business customer's autoliquidation
    vat_regime = UnicodeAttribute(null=True)
    payment_lock = UnicodeAttribute(null=True)  # the payment being charged for it, while it is
    payment_lock_until = NumberAttribute(null=True)  # epoch seconds: a crashed payment frees it then
    # a cheque or TIP on its way holds the invoice until an operator records it received or expired
    pending_payment_id = UnicodeAttribute(null=True)
    owed_cents = NumberAttribute(null=True)  # a credit document: what goes back to the customer
    carried = BooleanAttribute(null=True)  # a small overpayment kept for the next invoice
    voided_on = UnicodeAttribute(null=True)
    issued_by = UnicodeAttribute(null=True)  # the operator who issued it (credit notes, imports)
    # provider: issued by the provider's own billing (provider_invoices.py), its number and PDF
    # the provider's; absent: Guichet's own
    origin = UnicodeAttribute(null=True)
    external_id = UnicodeAttribute(null=True)  # the provider's id of an imported invoice
    import_digest = UnicodeAttribute(null=True)  # what the provider sent, to tell a repeat from a change
    created_at = UTCDateTimeAttribute()


class Payment(Item, discriminator="payment"):
    payment_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    method = UnicodeAttribute()  # card | direct_debit | check | tip
    # succeeded | failed | pending (a cheque or TIP on its way, or a provider's payment awaiting 3-D
    # Secure or a SEPA debit processing) | expired (a cheque or TIP never received)
    status = UnicodeAttribute()
    amount_cents = NumberAttribute()
    currency = UnicodeAttribute()
    invoice_ids = ListAttribute(of=UnicodeAttribute)
    provider_reference = UnicodeAttribute(null=True)
    failure_code = UnicodeAttribute(null=True)
    instructions = JSONAttribute(null=True)
    action = JSONAttribute(null=True)  # what the customer's page must do to finish it (3-D Secure)
    refunded_cents = NumberAttribute(default=0)
    recorded_by = UnicodeAttribute(null=True)  # the operator who recorded a cheque or TIP
    created_at = UTCDateTimeAttribute()


class Refund(Item, discriminator="refund"):
    """Money paid back for a credit document, by the method that paid (refunds.py)."""

    refund_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    invoice_id = UnicodeAttribute()  # the credit note or regularization paid back
    payment_id = UnicodeAttribute(null=True)  # the payment refunded, when one is
    method = UnicodeAttribute()  # card | transfer | check (by hand, recorded by an operator)
    status = UnicodeAttribute()  # pending | succeeded | failed
    amount_cents = NumberAttribute()
    currency = UnicodeAttribute()
    provider_reference = UnicodeAttribute(null=True)
    failure_code = UnicodeAttribute(null=True)
    recorded_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    refunded_on = UnicodeAttribute(null=True)


class CarriedCredit(Item, discriminator="carried_credit"):
    """What is left of a small overpayment, deducted from the customer's next invoices."""

    customer_id = UnicodeAttribute()
    invoice_id = UnicodeAttribute()
    number = UnicodeAttribute()
    left_cents = NumberAttribute()
    currency = UnicodeAttribute()


class BilledSubscription(Item, discriminator="billed_subscription"):
    """A subscription whose order invoice is known (its purchase), to refund by the method that paid."""

    subscription_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)
    invoice_id = UnicodeAttribute(null=True)


class EnergyContract(Item, discriminator="energy_contract"):
    """The terms of an electricity contract an invoice must state (PDL, power, option, offer), as
    the subscription events told them: [{from, ...}] by the day each applies from."""

    subscription_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    terms = JSONAttribute()


class OrderSettlement(Item, discriminator="order_settlement"):
    """An order of the subscriptions service, until everything it asks before provisioning is
    there: its invoice paid (when it has one) and a mandate (when a line is debited monthly)."""

    order_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    invoice_id = UnicodeAttribute(null=True)
    needs_mandate = BooleanAttribute()
    currency = UnicodeAttribute()
    kind = UnicodeAttribute(null=True)  # purchase | renewal
    status = UnicodeAttribute()  # awaiting | paid | cancelled (its invoice voided unpaid)
    settled_by = UnicodeAttribute(null=True)  # payment | mandate | nothing_due
    created_at = UTCDateTimeAttribute()


class BankAccount(Item, discriminator="bank_account"):
    customer_id = UnicodeAttribute()
    iban = UnicodeAttribute()
    bic = UnicodeAttribute()
    holder = UnicodeAttribute()
    mandate_reference = UnicodeAttribute()
    mandate_sequence = NumberAttribute()
    signed_on = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()


class Preferences(Item, discriminator="preferences"):
    paperless = BooleanAttribute(default=True)
    notify_new_invoice = BooleanAttribute(default=True)
    payment_method = UnicodeAttribute(null=True)  # card | direct_debit | check | tip (None: the default)


class BillingParty(Item, discriminator="billing_party"):
    customer_id = UnicodeAttribute()
    email = UnicodeAttribute()
    backup_email = UnicodeAttribute(null=True)  # a security notice (bank details changed) goes there too
    first_name = UnicodeAttribute()
    last_name = UnicodeAttribute()
    company = UnicodeAttribute(null=True)
    # a business customer's identifiers, as auth checked them (CustomerRegistered/Updated v3)
    siren = UnicodeAttribute(null=True)
    siret = UnicodeAttribute(null=True)
    vat_number = UnicodeAttribute(null=True)
    language = UnicodeAttribute(default="fr")
    address = JSONAttribute(null=True)
    version = UnicodeAttribute()


class Schedule(Item, discriminator="schedule"):
    customer_id = UnicodeAttribute()
    subscription_id = UnicodeAttribute()
    year = NumberAttribute()
    estimated_annual_cents = NumberAttribute()
    installments_count = NumberAttribute()
    regularization_on = UnicodeAttribute()
    consumption_cents = NumberAttribute(default=0)  # actual energy billed so far, from closed periods
    consumption_months = ListAttribute(of=UnicodeAttribute, default=list)
    regularized = BooleanAttribute(default=False)
    currency = UnicodeAttribute(default="EUR")
    started_on = UnicodeAttribute(null=True)  # the contract's first day
    ended_on = UnicodeAttribute(null=True)  # the contract's last day, once it ended


class Installment(Item, discriminator="installment"):
    customer_id = UnicodeAttribute()
    subscription_id = UnicodeAttribute()
    year = NumberAttribute()
    number = NumberAttribute()
    due_on = UnicodeAttribute()
    amount_cents = NumberAttribute()
    # scheduled → collecting → paid | retrying (debited again RETRY_DAYS later) → paid | failed;
    # paused while the contract is suspended (then scheduled again, or skipped if its day passed);
    # cancelled when the contract ended before its day; processing while the provider (Stripe) has
    # not told how its SEPA debit ended (shown as collecting)
    status = UnicodeAttribute()
    # while collecting: the attempt being made (scheduled or retrying), which a run resumes when
    # the one that marked it died before the debit's outcome was written
    collecting_attempt = UnicodeAttribute(null=True)
    payment_id = UnicodeAttribute(null=True)
    failure_code = UnicodeAttribute(null=True)
    retry_on = UnicodeAttribute(null=True)


class IssueKey(Item, discriminator="issue_key"):
    invoice_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()


class NumberClaim(Item, discriminator="number_claim"):
    """A number of the provider's own billing, taken by one imported invoice (never twice)."""

    invoice_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()


class InvoiceImport(ImportRecord, Item, discriminator="invoice_import"):
    """An invoices file an operator submitted, its counts and where the job is with it."""


class ImportPart(ImportPartData, Item, discriminator="import_part"):
    """A part of an invoices file, then of its report."""


class ImportQueued(QueuedImport, Item, discriminator="import_queued"):
    """An invoices file waiting for the job: one Query finds them."""


class Counter(Item, discriminator="counter"):
    value = NumberAttribute(default=0)


class Stamp(Item, discriminator="stamp"):
    uses = NumberAttribute(default=0)
    expires_at_epoch = NumberAttribute(null=True)


def customer_pk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


_connection: Connection | None = None


def transaction() -> TransactWrite:
    global _connection
    if _connection is None:
        _connection = Connection()
    return TransactWrite(connection=_connection)


class JobRun(Item, discriminator="job_run"):
    covered_until = UnicodeAttribute()  # YYYY-MM-DD: the last day the daily job has handled


class ProviderEvent(Item, discriminator="provider_event"):
    """A payment provider's webhook event, handled once (stripe_webhooks.py)."""

    event_type = UnicodeAttribute()
    received_at = UTCDateTimeAttribute()
