"""Invoices of the provider's own billing brought in by a file (POST
/invoices/operator/provider-invoices/imports): thousands of what PUT
/operator/customers/{customer_id}/provider-invoices/{external_id} takes one by one
(provider_invoices.py), the same rules, applied by the `apply_invoice_imports` job.

The file is JSON Lines, one invoice a line: the ProviderInvoice body with its `customer_id` and
the provider's `external_id`. CSV is refused (415): an invoice has lines of its own, which a row
of cells cannot hold without inventing a second file or columns numbered per line. Each line is
then, by its external_id,

- created: an invoice like the PUT's, its number the provider's (a NumberClaim written with it,
  conditional), not yet announced: InvoiceIssued and the "new invoice" email go out when its PDF
  is stored by PUT .../provider-invoices/{external_id}/pdf, as for one PUT; the report says which
  invoices still wait for theirs (`awaiting_pdf`, read when the report is);
- unchanged: the same external_id with the same data, imported before (by a file or a PUT):
  nothing is written, so the same file twice changes nothing;
- rejected, each wrong field named with the line number: a body the PUT would refuse (fields,
  dates, totals that are not their lines', a number of Guichet's own F<year>-<n> range), a
  customer Guichet does not know, a number another invoice has, an external_id already imported
  with other data or for another customer (an issued invoice never changes: a credit note
  corrects it), an external_id or a number already on an earlier line.

Writes: each new invoice is three items (its IssueKey, the invoice, its NumberClaim), each
conditional, so that a number is never given twice, even to a PUT racing the file: they go in
TransactWriteItems of 33 invoices (99 items), a transaction costing two write units per item.
Lookups go by BatchGetItem, 100 keys a request: the external ids, the invoices already imported
under them, the customers (billing party, preferences, mandate) and the numbers. A transaction
refused as a whole is replayed invoice by invoice, and only the line at fault is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import import_files
from guichet_contracts.errors import ApiError
from guichet_contracts.words import Phrase
from pynamodb.exceptions import TransactWriteError

from . import invoicing, provider_invoices, vat
from .errors import NotFound, NumberTaken, UnsupportedMediaType
from .models import (
    BankAccount,
    BillingParty,
    ImportPart,
    ImportQueued,
    Invoice,
    InvoiceImport,
    IssueKey,
    NumberClaim,
    Preferences,
    Stamp,
    customer_pk,
    transaction,
)

logger = Logger(child=True)

TRANSACTION_INVOICES = 33  # three items each, DynamoDB's limit being 100 items a TransactWriteItems

JOB = import_files.FileJob(
    what="invoices",
    record=InvoiceImport,
    parts=ImportPart,
    queue=import_files.QueueItems(ImportQueued),
    not_found=NotFound,
)


@dataclass
class Row:
    """One line of a file: the invoice once validated, or its problems."""

    line: int
    external_id: str | None
    customer_id: str = ""  # once validated
    body: Any = None  # schemas.ProviderInvoice
    checked: tuple[date, date, list[vat.PricedLine]] | None = None
    problems: dict[str, Phrase] = field(default_factory=dict)


@dataclass
class Outcome:
    line: int
    external_id: str | None
    status: str  # created | unchanged | rejected
    customer_id: str | None = None
    invoice_id: str | None = None
    number: str | None = None
    fields: dict[str, Phrase] = field(default_factory=dict)

    def as_stored(self) -> dict[str, Any]:
        stored: dict[str, Any] = {"line": self.line, "external_id": self.external_id, "status": self.status}
        for name in ("customer_id", "invoice_id", "number"):
            if getattr(self, name):
                stored[name] = getattr(self, name)
        if self.fields:
            stored["fields"] = import_files.stored_fields(self.fields)
        return stored


def _unreadable(line: int, problems: dict[str, Phrase]) -> Row:
    return Row(line=line, external_id=None, problems=problems)


_READER: import_files.Reader[Row] = import_files.Reader(
    columns=(),
    required=(),
    row=lambda line, given, csv_columns: validated(line, given),
    unreadable=_unreadable,
    counted=lambda line: Row(line=line, external_id=None),
)


def file_format(content_type: str | None) -> str:
    """JSON Lines only: a CSV file, or anything else, is a 415 that says why."""
    if (content_type or "").split(";")[0].strip().lower() not in import_files.JSON_LINES:
        raise UnsupportedMediaType(Phrase("error.unsupported_media_type_jsonl"))
    return "jsonl"


def read_rows(content: bytes, *, validate: bool = True) -> list[Row]:
    return _READER.read(content, "jsonl", validate=validate)


def validated(line: int, given: dict[str, Any]) -> Row:
    """A line as the PUT would take it (schemas.ImportedInvoice, then the PUT's own checks)."""
    from guichet_contracts.validation import problems
    from pydantic import ValidationError

    from . import schemas

    external_id = given.get("external_id")
    external_id = external_id if isinstance(external_id, str) else None
    try:
        imported = schemas.ImportedInvoice.model_validate(given)
    except ValidationError as error:
        return Row(line=line, external_id=external_id, problems=problems(error))  # type: ignore[arg-type]
    body = schemas.ProviderInvoice.model_validate(
        imported.model_dump(mode="json", exclude={"customer_id", "external_id"})
    )
    row = Row(line=line, external_id=imported.external_id, customer_id=imported.customer_id, body=body)
    try:
        row.checked = provider_invoices.checked(body)
        provider_invoices.check_number(body)
    except ApiError as error:
        row.problems = dict(error.fields)  # type: ignore[arg-type]
    return row


# --- applying rows --------------------------------------------------------------------------


def apply(rows: list[Row], *, operator: str, now: datetime) -> list[Outcome]:
    """Apply validated rows (see the module); one outcome per row, in the rows' order."""
    outcomes: dict[int, Outcome] = {}
    valid: list[Row] = []
    external_line: dict[str, int] = {}
    number_line: dict[str, int] = {}
    for row in rows:
        if row.problems:
            outcomes[row.line] = Outcome(row.line, row.external_id, "rejected", fields=row.problems)
        elif row.external_id in external_line:
            outcomes[row.line] = _rejected(
                row, "external_id", "field.duplicate_line", line=external_line[row.external_id]
            )
        elif row.body.number.upper() in number_line:
            outcomes[row.line] = _rejected(
                row, "number", "field.duplicate_line", line=number_line[row.body.number.upper()]
            )
        else:
            external_line[row.external_id] = row.line  # type: ignore[index]
            number_line[row.body.number.upper()] = row.line
            valid.append(row)
    fresh = _known(valid, outcomes)
    invoices = _new_invoices(fresh, outcomes, operator=operator, now=now)
    for start in range(0, len(invoices), TRANSACTION_INVOICES):
        _write(invoices[start : start + TRANSACTION_INVOICES], outcomes)
    logger.info("operator imported invoices", extra={"operator": operator, "invoices_new": len(invoices)})
    return [outcomes[row.line] for row in rows]


def _rejected(row: Row, name: str, message_id: str, **values: Any) -> Outcome:
    return Outcome(
        row.line,
        row.external_id,
        "rejected",
        customer_id=row.customer_id,
        fields={name: Phrase(message_id, **values)},
    )


def _issue_key(external_id: str) -> tuple[str, str]:
    return f"ISSUED#{provider_invoices.source_of(external_id)}", "ISSUED"


def _known(valid: list[Row], outcomes: dict[int, Outcome]) -> list[Row]:
    """The rows whose external_id was imported before are unchanged (the same data for the same
    customer) or rejected; the others, returned, are new."""
    keys = {
        key.pk: key
        for key in import_files.batch_get(IssueKey, [_issue_key(r.external_id or "") for r in valid])
    }
    earlier = {
        invoice.invoice_id: invoice
        for invoice in import_files.batch_get(
            Invoice, [(customer_pk(key.customer_id), f"INVOICE#{key.invoice_id}") for key in keys.values()]
        )
    }
    fresh: list[Row] = []
    for row in valid:
        key = keys.get(_issue_key(row.external_id or "")[0])
        if key is None:
            fresh.append(row)
        elif key.customer_id != row.customer_id:
            outcomes[row.line] = _rejected(row, "external_id", "field.other_customer_invoice")
        else:
            outcomes[row.line] = _same_or_rejected(row, earlier.get(key.invoice_id))
    return fresh


def _same_or_rejected(row: Row, invoice: Invoice | None) -> Outcome:
    if invoice is None or invoice.import_digest != provider_invoices.digest(row.body):
        return _rejected(row, "external_id", "field.imported_differs")
    return _outcome(row, "unchanged", invoice)


def _outcome(row: Row, status: str, invoice: Invoice) -> Outcome:
    return Outcome(
        row.line,
        row.external_id,
        status,
        customer_id=row.customer_id,
        invoice_id=invoice.invoice_id,
        number=invoice.number,
    )


def _new_invoices(
    fresh: list[Row], outcomes: dict[int, Outcome], *, operator: str, now: datetime
) -> list[tuple[Row, Invoice]]:
    """The invoices of the new rows whose customer Guichet knows and whose number is free."""
    customers = list(dict.fromkeys(row.customer_id for row in fresh))
    parties = {
        p.customer_id: p
        for p in import_files.batch_get(BillingParty, [(customer_pk(c), "PROFILE") for c in customers])
    }
    preferred = {
        item.pk.removeprefix("CUSTOMER#"): item.payment_method
        for item in import_files.batch_get(Preferences, [(customer_pk(c), "PREFERENCES") for c in parties])
    }
    mandates = {
        item.pk.removeprefix("CUSTOMER#")
        for item in import_files.batch_get(BankAccount, [(customer_pk(c), "BANK_ACCOUNT") for c in parties])
    }
    known = [row for row in fresh if row.customer_id in parties]
    for row in fresh:
        if row.customer_id not in parties:
            outcomes[row.line] = _rejected(row, "customer_id", "field.unknown_customer")
    claims = {
        claim.pk
        for claim in import_files.batch_get(
            NumberClaim, [(invoicing.number_claim_pk(r.body.number), "NUMBER") for r in known]
        )
    }
    made: list[tuple[Row, Invoice]] = []
    for row in known:
        if invoicing.number_claim_pk(row.body.number) in claims:
            outcomes[row.line] = _rejected(row, "number", "field.number_taken")
            continue
        invoice = provider_invoices.new_invoice(
            row.customer_id,  # type: ignore[arg-type]
            row.external_id,  # type: ignore[arg-type]
            row.body,
            checked=row.checked,  # type: ignore[arg-type]
            party=parties[row.customer_id],  # type: ignore[index]
            payment_mode=invoicing.payment_mode_for(
                preferred.get(row.customer_id), mandate=row.customer_id in mandates
            ),  # type: ignore[arg-type]
            operator=operator,
            now=now,
        )
        made.append((row, invoice))
    return made


def _write(chunk: list[tuple[Row, Invoice]], outcomes: dict[int, Outcome]) -> None:
    """One transaction for the chunk's invoices; refused as a whole, invoice by invoice."""
    try:
        with transaction() as write:
            for _row, invoice in chunk:
                write.save(
                    IssueKey(
                        *_issue_key(invoice.external_id),
                        invoice_id=invoice.invoice_id,
                        customer_id=invoice.customer_id,
                    ),
                    condition=IssueKey.pk.does_not_exist(),
                )
                write.save(invoice, condition=Invoice.pk.does_not_exist())
                write.save(
                    NumberClaim(
                        invoicing.number_claim_pk(invoice.number),
                        "NUMBER",
                        invoice_id=invoice.invoice_id,
                        customer_id=invoice.customer_id,
                    ),
                    condition=NumberClaim.pk.does_not_exist(),
                )
    except TransactWriteError as error:
        if error.cause_response_code not in ("TransactionCanceledException", "ValidationException"):
            raise  # AWS failing for a moment: the job's next run applies the file again
        for row, invoice in chunk:  # a line at fault (a PUT raced the file): find it, write the others
            outcomes[row.line] = _write_alone(row, invoice)
        return
    for row, invoice in chunk:
        outcomes[row.line] = _outcome(row, "created", invoice)


def _write_alone(row: Row, invoice: Invoice) -> Outcome:
    number = invoice.number
    try:
        saved = invoicing._number_and_save(
            invoice,
            provider_invoices.source_of(invoice.external_id),
            int(invoice.issued_on[:4]),
            provider_number=number,
        )
    except NumberTaken:
        return _rejected(row, "number", "field.number_taken")
    if not saved:  # imported meanwhile under this external_id: `invoice` is that one now
        if invoice.customer_id != row.customer_id:
            return _rejected(row, "external_id", "field.other_customer_invoice")
        return _same_or_rejected(row, invoice)
    return _outcome(row, "created", invoice)


# --- files ----------------------------------------------------------------------------------


def submit(content: bytes, *, operator: str, now: datetime) -> InvoiceImport:
    """Keep a file for the job (after checking it can be read: a bad file is a 422 now) and queue it."""
    rows = read_rows(content, validate=False)
    return JOB.submit(content, "jsonl", rows=len(rows), operator=operator, now=now)  # type: ignore[no-any-return]


def run_queued(*, now: datetime, stop: Any) -> int:
    """Apply the queued files, oldest first (import_files.FileJob), until `stop` says the
    Lambda's time is running out; a run stopped midway applies its file again, the lines written
    already then unchanged."""
    return JOB.run_queued(
        now=now,
        stop=stop,
        apply=lambda item, content: apply(read_rows(content), operator=item.operator, now=now),
    )


def with_pdfs(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A report's lines, each invoice's saying whether it still waits for its PDF (not announced
    yet: its PUT .../pdf stores it and announces it), one BatchGetItem for the page."""
    ids = [line["invoice_id"] for line in lines if line.get("invoice_id")]
    announced = {
        stamp.pk.removeprefix("STAMP#announced#")
        for stamp in import_files.batch_get(Stamp, [(f"STAMP#announced#{i}", "ANNOUNCED") for i in ids])
    }
    return [
        {**line, "awaiting_pdf": line["invoice_id"] not in announced} if line.get("invoice_id") else line
        for line in lines
    ]
