"""The invoices service's part of a customer's data export and of an account's closure
(guichet_contracts.personal_data; docs/PRIVACY.md).

Exported: everything of the customer's partition (invoices and their PDFs, payments, refunds,
carried credits, schedules and installments, orders' settlements, the bank account, the energy
contracts' terms, billing preferences, the billing party), and the keys that tie an invoice to the
business event it bills or to the provider's number.

On closure (the customer's accounts are settled: auth checked that nothing is due): the bank account
and the copies of the energy contracts (their PDL) are deleted; the billing party (the copy of the
profile) pseudonymized and kept so; each invoice keeps, as the law requires (French commercial code
L123-22, tax procedure code L102 B: ten years), the buyer as printed on it, name (or company) and
address, and loses the email and contact person it carried. Payment records keep amounts, dates,
methods and references only. Invoice PDFs are kept as issued: an issued invoice never changes.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import personal_data
from pynamodb.exceptions import DoesNotExist

from .models import (
    BankAccount,
    BillingParty,
    EnergyContract,
    Invoice,
    IssueKey,
    Item,
    NumberClaim,
    customer_pk,
)
from .settings import settings

logger = Logger(child=True)

SERVICE = "invoices"
EXPORTED = (
    "Invoice",
    "Payment",
    "Refund",
    "CarriedCredit",
    "BilledSubscription",
    "OrderSettlement",
    "BankAccount",
    "EnergyContract",
    "Preferences",
    "BillingParty",
    "Schedule",
    "Installment",
    "IssueKey",
    "NumberClaim",
)
NOT_EXPORTED = {
    "Counter": "the last invoice number of a year",
    "Stamp": "which overdue reminders were sent for an invoice, and when (the invoices say their status)",
    "JobRun": "the last day a daily job covered",
    "ProviderEvent": "the payment provider's webhook events already handled",
    "InvoiceImport": "an operator's invoices file and its counts (expires; its invoices are exported)",
    "ImportPart": "an operator's invoices file or its report, compressed (expires)",
    "ImportQueued": "an invoices file waiting for the import job",
}
TABULAR = {
    "Invoice": "invoices.csv",
    "Payment": "payments.csv",
    "Refund": "refunds.csv",
    "Installment": "installments.csv",
}
# what an invoice keeps of its buyer once the customer closed the account: the legal minimum
KEPT_ON_INVOICES = ("customer_id", "name", "address", "vat_number")


def customer_items(customer_id: str) -> list[Any]:
    """Every item of the table about the customer."""
    found: list[Any] = list(Item.query(customer_pk(customer_id)))
    for item in list(found):
        if isinstance(item, Invoice):
            found.extend(filter(None, [_get(IssueKey, f"ISSUED#{item.source}", "ISSUED")]))
            if item.origin == "provider":
                from .invoicing import number_claim_pk

                found.extend(filter(None, [_get(NumberClaim, number_claim_pk(item.number), "NUMBER")]))
    return [item for item in found if getattr(item, "customer_id", customer_id) == customer_id]


def _get(model: Any, pk: str, sk: str) -> Any:
    try:
        return model.get(pk, sk)
    except DoesNotExist:
        return None


def export(export_id: str, customer_id: str) -> list[str]:
    """Write the customer's part of export `export_id` (with the invoices' PDFs); the keys written."""
    from .invoicing import _s3

    part = personal_data.Part(SERVICE, customer_id)
    items = customer_items(customer_id)
    part.add(items)
    client = _s3()
    for invoice in items:
        if isinstance(invoice, Invoice) and invoice.pdf_key:
            try:
                body = client.get_object(Bucket=settings.pdf_bucket, Key=invoice.pdf_key)["Body"].read()
            except client.exceptions.NoSuchKey:
                logger.warning(
                    "invoice PDF missing from the export", extra={"invoice_id": invoice.invoice_id}
                )
                continue
            part.add_file(f"invoices/{invoice.number}.pdf", body, "application/pdf")
    return part.write(settings.exports_bucket, export_id, tabular=TABULAR)


def erase(customer_id: str) -> int:
    """Erase the customer's personal data (CustomerClosed), keeping the invoices' legal minimum;
    the items changed. Running it again changes nothing more."""
    changed = 0
    for item in Item.query(customer_pk(customer_id)):
        if isinstance(item, (BankAccount, EnergyContract)):  # an energy contract: its PDL, a home's
            item.delete()
            changed += 1
        elif isinstance(item, BillingParty) and item.version != personal_data.CLOSED_VERSION:
            item.update(
                actions=[
                    BillingParty.email.set(personal_data.ERASED),
                    BillingParty.backup_email.remove(),
                    BillingParty.first_name.set(personal_data.ERASED),
                    BillingParty.last_name.set(personal_data.ERASED),
                    BillingParty.company.remove(),
                    BillingParty.address.remove(),
                    BillingParty.version.set(personal_data.CLOSED_VERSION),
                ]
            )
            changed += 1
        elif isinstance(item, Invoice):
            # the other fields stay, empty: the PDF and the Factur-X XML read them
            party = item.billing_party or {}
            kept = {name: value if name in KEPT_ON_INVOICES else None for name, value in party.items()}
            if kept != item.billing_party:
                item.update(actions=[Invoice.billing_party.set(kept)])
                changed += 1
    logger.info("customer's personal data erased", extra={"customer_id": customer_id, "changed": changed})
    return changed
