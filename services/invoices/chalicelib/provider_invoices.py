"""Invoices issued by the provider's own billing, brought into Guichet (the operator API).

The provider sends an invoice's data under its own id (`external_id`), then its PDF. From the
data on, it is an invoice like Guichet's own: listed, payable by the same payment code, due and
dunned the same way (the customer owes it all the same, and one amount due counts everything),
announced once (InvoiceIssued, the "new invoice" email) when its PDF is there, so that the mail's
link downloads it. What stays the provider's:

- its number: kept as given, unique (a NumberClaim per number, written with the invoice), and
  never one of Guichet's own sequence (F<year>-<n>), which it can never take nor be taken by;
- its PDF: the provider's document, stored as sent in the invoices bucket where Guichet keeps
  its own, and served by the same download route; until it is sent the download answers 404;
- its amounts: checked against its lines with Guichet's rules (a line's total rounded half
  away from zero, VAT once per rate on the rate's base) and refused when they do not add up.

An issued invoice is never edited: the same data again changes nothing, other data for the
same `external_id` is a 409 (a correction is a credit note). Carried credits are not deducted
from an imported invoice: its PDF, drawn by the provider, states what is due.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from guichet_contracts.words import Phrase

from . import billing_parties, invoicing, vat
from .errors import (
    ImportedInvoiceDiffers,
    NotAPdf,
    NotFound,
    NumberTaken,
    PayloadTooLarge,
    PdfDiffers,
    UnknownCustomer,
    ValidationFailed,
)
from .models import Invoice, IssueKey, customer_pk
from .settings import settings

if TYPE_CHECKING:
    from .schemas import ProviderInvoice

logger = Logger(child=True)

# under Lambda's 6 MB request payload once API Gateway has base64-encoded the bytes (4/3 of them)
MAX_PDF_BYTES = 4 * 1024 * 1024
ORIGIN = "provider"
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}")
# Guichet's own numbers (invoicing._number_and_save), whatever the case: never the provider's
_GUICHET_NUMBER = re.compile(r"F[0-9]{4}-[0-9]+", re.IGNORECASE)


def source_of(external_id: str) -> str:
    return f"IMPORT#{external_id}"


def external_id_of(value: str) -> str:
    """The provider's id from the path; one that cannot be an id is a 404 like an unknown one."""
    if not _EXTERNAL_ID.fullmatch(value):
        raise NotFound()
    return value


def digest(body: ProviderInvoice) -> str:
    """What the provider sent, canonically: the same invoice sent again has the same digest."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def put(
    customer_id: str, external_id: str, body: ProviderInvoice, *, operator: str, now: datetime
) -> tuple[bool, Invoice]:
    """(created, the invoice) for the provider's invoice `external_id` of this customer."""
    sent = digest(body)
    existing = _imported(external_id)
    if existing is not None:
        return False, _same_or_conflict(existing, customer_id, sent)
    issued_on, due_on, lines = checked(body)
    party = billing_parties.get(customer_id)
    if party is None:
        raise UnknownCustomer(fields={"customer_id": Phrase("field.unknown_customer")})
    check_number(body)
    invoice = new_invoice(
        customer_id,
        external_id,
        body,
        checked=(issued_on, due_on, lines),
        party=party,
        payment_mode=invoicing.default_payment_mode(customer_id),
        operator=operator,
        now=now,
    )
    if not invoicing._number_and_save(
        invoice, source_of(external_id), issued_on.year, provider_number=body.number
    ):
        return False, _same_or_conflict(invoice, customer_id, sent)  # a concurrent PUT saved it first
    imported(invoice, operator=operator)
    return True, invoice


def imported(invoice: Invoice, *, operator: str) -> None:
    logger.info(
        "operator imported an invoice",
        extra={
            "operator": operator,
            "customer_id": invoice.customer_id,
            "external_id": invoice.external_id,
            "number": invoice.number,
        },
    )


def checked(body: ProviderInvoice) -> tuple[date, date, list[vat.PricedLine]]:
    """The invoice's days and priced lines, its totals checked against them; else a 422."""
    issued_on, due_on = _days(body)
    lines = _priced(body)
    _check_totals(body, lines)
    return issued_on, due_on, lines


def check_number(body: ProviderInvoice) -> None:
    """The provider's numbers are never Guichet's own (F<year>-<n>): a 409."""
    if _GUICHET_NUMBER.fullmatch(body.number):
        raise NumberTaken(fields={"number": Phrase("field.guichet_number_range")})


def new_invoice(
    customer_id: str,
    external_id: str,
    body: ProviderInvoice,
    *,
    checked: tuple[date, date, list[vat.PricedLine]],
    party: Any,
    payment_mode: str,
    operator: str,
    now: datetime,
) -> Invoice:
    """The imported invoice, not yet saved (invoicing._number_and_save, or a file's transaction)."""
    issued_on, due_on, lines = checked
    invoice_id = invoicing.new_invoice_id(issued_on)
    invoice = Invoice(
        customer_pk(customer_id),
        f"INVOICE#{invoice_id}",
        invoice_id=invoice_id,
        customer_id=customer_id,
        number=body.number,
        kind="invoice",
        issued_on=issued_on.isoformat(),
        due_on=due_on.isoformat(),
        status="paid" if body.total_cents == 0 else "open",
        total_excl_tax_cents=body.total_excl_tax_cents,
        tax_cents=body.tax_cents,
        total_cents=body.total_cents,
        amount_due_cents=body.total_cents,
        currency=body.currency,
        payment_mode=payment_mode,
        lines=invoicing.stored(lines),
        payments=[],
        pdf_key=f"invoices/{customer_id}/{invoice_id}.pdf",
        language=party.language,
        source=source_of(external_id),
        subscription_ids=[body.subscription_id] if body.subscription_id else [],
        billing_party=billing_parties.printed(party, customer_id),
        tax_breakdown=vat.breakdown(lines),
        issued_by=operator,
        origin=ORIGIN,
        external_id=external_id,
        import_digest=digest(body),
        created_at=now,
    )
    if invoice.status == "open":  # reminded, dunned and debited as Guichet's own (the due index)
        invoice.due_pk, invoice.due_sk = f"INVOICE_DUE#{invoice.due_on}", f"{customer_id}#{invoice_id}"
    return invoice


def _imported(external_id: str) -> Invoice | None:
    from pynamodb.exceptions import DoesNotExist

    try:
        key = IssueKey.get(f"ISSUED#{source_of(external_id)}", "ISSUED", consistent_read=True)
    except DoesNotExist:
        return None
    return invoicing.get(key.customer_id, key.invoice_id, any_age=True)


def _same_or_conflict(invoice: Invoice, customer_id: str, sent: str) -> Invoice:
    if invoice.customer_id != customer_id:  # another customer's invoice: nothing of it here
        raise NotFound()
    if invoice.import_digest != sent:
        raise ImportedInvoiceDiffers()
    if _has_pdf(invoice):  # an earlier PUT of its PDF may have died before announcing it
        _announce(invoice)
    return invoice


def get(customer_id: str, external_id: str) -> Invoice:
    invoice = _imported(external_id)
    if invoice is None or invoice.customer_id != customer_id:
        raise NotFound()
    return invoice


def _days(body: ProviderInvoice) -> tuple[date, date]:
    fields: dict[str, Phrase] = {}
    days: dict[str, date] = {}
    for name in ("issued_on", "due_on"):
        try:
            days[name] = date.fromisoformat(getattr(body, name))
        except ValueError:
            fields[name] = Phrase("field.date")
    if not fields and days["due_on"] < days["issued_on"]:
        fields["due_on"] = Phrase("field.not_before_issued_on")
    if fields:
        raise ValidationFailed(fields=fields)
    return days["issued_on"], days["due_on"]


def _priced(body: ProviderInvoice) -> list[vat.PricedLine]:
    return [
        vat.line_excluding_tax(
            description=line.label,
            quantity=Decimal(line.quantity),
            unit="unit",
            unit_price_cents=Decimal(line.unit_price) * 100,
            tax_rate=Decimal(line.vat_rate),
            tax_included=False,
        )
        for line in body.lines
    ]


def _check_totals(body: ProviderInvoice, lines: list[vat.PricedLine]) -> None:
    """The totals the provider states are its lines' (Guichet's rounding, vat.py), to the cent."""
    groups = vat.breakdown(lines)
    expected = {
        "total_excl_tax_cents": sum(group["base_cents"] for group in groups),
        "tax_cents": sum(group["tax_cents"] for group in groups),
    }
    expected["total_cents"] = expected["total_excl_tax_cents"] + expected["tax_cents"]
    fields = {
        name: Phrase("field.lines_add_up_to", cents=cents)
        for name, cents in expected.items()
        if getattr(body, name) != cents
    }
    if fields:
        raise ValidationFailed(fields=fields)


def check_pdf(content: bytes) -> None:
    if len(content) > MAX_PDF_BYTES:
        raise PayloadTooLarge()
    if not content.startswith(b"%PDF-"):
        raise NotAPdf(fields={"body": Phrase("field.pdf_header")})


def store_pdf(customer_id: str, external_id: str, content: bytes, *, operator: str) -> tuple[bool, Invoice]:
    """(stored now, the invoice): the provider's PDF of an imported invoice, kept as sent, once;
    the same bytes again change nothing, other bytes are a 409 (an issued invoice never changes)."""
    invoice = get(customer_id, external_id)
    check_pdf(content)
    client = invoicing._s3()
    stored = _stored_pdf(invoice)
    if stored is None:
        try:
            client.put_object(
                Bucket=settings.pdf_bucket,
                Key=invoice.pdf_key,
                Body=content,
                ContentType="application/pdf",
                ServerSideEncryption="AES256",
                IfNoneMatch="*",  # a concurrent upload stored it meanwhile: compare with that one
            )
        except client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") != "PreconditionFailed":
                raise
            stored = _stored_pdf(invoice)
        else:
            logger.info(
                "operator stored an imported invoice's PDF",
                extra={"operator": operator, "customer_id": customer_id, "external_id": external_id},
            )
            _announce(invoice)
            return True, invoice
    if stored != hashlib.sha256(content).hexdigest():
        raise PdfDiffers()
    _announce(invoice)  # the same bytes again: an announcement cut short the first time goes out now
    return False, invoice


def _announce(invoice: Invoice) -> None:
    """InvoiceIssued and the "new invoice" email, once (invoicing._finish stamps it), now that
    the PDF the email links to is stored."""
    invoicing._finish(invoice, billing_parties.get(invoice.customer_id))


def _stored_pdf(invoice: Invoice) -> str | None:
    """The SHA-256 of the invoice's stored PDF, None while there is none."""
    client = invoicing._s3()
    try:
        stored = client.get_object(Bucket=settings.pdf_bucket, Key=invoice.pdf_key)
    except client.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return hashlib.sha256(stored["Body"].read()).hexdigest()


def require_pdf(invoice: Invoice) -> None:
    """An imported invoice's PDF is downloadable once the provider sent it: 404 until then."""
    if not _has_pdf(invoice):
        raise NotFound()


def _has_pdf(invoice: Invoice) -> bool:
    client = invoicing._s3()
    try:
        client.head_object(Bucket=settings.pdf_bucket, Key=invoice.pdf_key)
    except client.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def as_dict(invoice: Invoice) -> dict[str, Any]:
    return invoicing.detail(invoice)
