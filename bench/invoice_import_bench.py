"""Invoice import benchmark (issue 12): 10,000 invoices of the provider's billing from one JSON
Lines file, on moto.

Four invoices for each of 2,500 customers the invoices service already knows (their billing
parties, from auth's events, written beforehand and not counted; a third of them with a payment
preference, a quarter with a mandate). The file goes in through POST
/invoices/operator/provider-invoices/imports and the `apply_invoice_imports` job applies it, as
deployed; DynamoDB requests are counted at PynamoDB's connection, by phase: the rows' own
requests (lookups by BatchGetItem, writes in TransactWriteItems of 33 invoices), the whole job
(file and report included), and the same file a second time (nothing to write). Each new invoice
is three conditional items (its provider's id, the invoice, its number's claim: the claim is why
the writes are transactions, BatchWriteItem cannot condition); DynamoDB bills a transactional
write two write units per item per started KB, which the bench adds up from the items' sizes as
sent (attribute names and values: close to DynamoDB's own count). Times are moto's, in process:
compare them with each other, never with DynamoDB's. moto's transactions are given the same
cheap backups as in customer_import_bench.
"""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from customer_import_bench import shallow_backups
from harness import ROOT, file_imports, on_moto, requests_made

SERVICE = ROOT / "services" / "invoices"
RESOURCES = {"INVOICES_TABLE_NAME": "bench-invoices", "INVOICES_PDF_BUCKET": "bench-invoices-pdf"}
INVOICES = int(os.environ.get("BENCH_IMPORT_INVOICES", "10000"))
CUSTOMERS = max(1, INVOICES // 4)  # four invoices a customer
AT = datetime(2026, 12, 1, 9, tzinfo=UTC)


def customer_id(n: int) -> str:
    return f"bi{n:06d}-GU"


def invoices_file(count: int) -> str:
    """One line an invoice: two lines at 20 % and one at 5.5 % (89.26 €), a month apart."""
    lines = []
    for n in range(count):
        month = 1 + n % 4 * 3
        lines.append(
            json.dumps(
                {
                    "customer_id": customer_id(n // 4),
                    "external_id": f"INV-{n:06d}",
                    "number": f"FA-2026-{n:06d}",
                    "issued_on": f"2026-{month:02d}-03",
                    "due_on": f"2026-{month:02d}-28",
                    "currency": "EUR",
                    "lines": [
                        {"label": "Fibre 1 Gb/s", "quantity": "2", "unit_price": "29.99", "vat_rate": "20"},
                        {"label": "Location box", "quantity": "1", "unit_price": "10", "vat_rate": "20"},
                        {
                            "label": "Presse en ligne",
                            "quantity": "3.333",
                            "unit_price": "1.5",
                            "vat_rate": "5.5",
                        },
                    ],
                    "total_excl_tax_cents": 7498,
                    "tax_cents": 1428,
                    "total_cents": 8926,
                    "subscription_id": f"sub-{n // 4:06d}",
                },
                separators=(",", ":"),  # compact, as a program writes it: 5 MB hold 10,000 of them
            )
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    on_moto(SERVICE, RESOURCES, shallow_backups, known_customers, measure)


def known_customers() -> None:
    """The billing parties the invoices service keeps from CustomerRegistered, some preferences
    and mandates."""
    from chalicelib.models import BankAccount, BillingParty, Preferences, customer_pk

    with BillingParty.batch_write() as batch:
        for n in range(CUSTOMERS):
            who = customer_id(n)
            batch.save(
                BillingParty(
                    customer_pk(who),
                    "PROFILE",
                    customer_id=who,
                    email=f"customer{n:06d}@example.org",
                    first_name="Jeanne",
                    last_name="Martin",
                    language="fr",
                    version="2026-11-01T00:00:00Z",
                )
            )
            if n % 3 == 0:
                batch.save(Preferences(customer_pk(who), "PREFERENCES", payment_method="card"))
            if n % 4 == 0:
                batch.save(
                    BankAccount(
                        customer_pk(who),
                        "BANK_ACCOUNT",
                        customer_id=who,
                        iban="FR1420041010050500013M02606",
                        bic="PSSTFRPPLIL",
                        holder="Jeanne Martin",
                        mandate_reference=f"RUM-{n:06d}",
                        mandate_sequence=1,
                        signed_on="2026-01-02",
                        updated_at=AT,
                    )
                )


class WriteUnits:
    """The write units DynamoDB bills the TransactWriteItems sent: two per item per started KB."""

    def __init__(self) -> None:
        from pynamodb.connection.base import Connection

        self.units = 0
        self.items = 0
        original = Connection._make_api_call
        counter = self

        def counting(connection, operation_name, operation_kwargs, *args, **kwargs):  # type: ignore[no-untyped-def]
            if operation_name == "TransactWriteItems":
                for entry in operation_kwargs["TransactItems"]:
                    item = entry.get("Put", {}).get("Item")
                    if item is not None:
                        counter.items += 1
                        counter.units += 2 * math.ceil(_item_bytes(item) / 1024)
            return original(connection, operation_name, operation_kwargs, *args, **kwargs)

        Connection._make_api_call = counting  # type: ignore[method-assign]


def _item_bytes(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it, near enough: names and values in UTF-8."""

    def value_bytes(value: dict[str, Any]) -> int:
        (kind, inner), *_ = value.items()
        if kind == "M":
            return 3 + sum(len(k.encode()) + value_bytes(v) for k, v in inner.items())
        if kind == "L":
            return 3 + sum(1 + value_bytes(v) for v in inner)
        if kind == "N":
            return 1 + len(inner) // 2
        if kind == "BOOL" or kind == "NULL":
            return 1
        return len(str(inner).encode())

    return sum(len(name.encode()) + value_bytes(value) for name, value in item.items())


def measure() -> None:
    from app import app
    from chalice.test import Client
    from chalicelib import invoice_import
    from guichet_local.testing import Signer

    signer = Signer()
    signer.publish()
    token = signer.operator_token("invoices:write", operator_id="bench")
    client = Client(app, stage_name="local", project_dir=str(SERVICE))
    content = invoices_file(INVOICES).encode()
    units = WriteUnits()
    imported = file_imports(
        invoice_import,
        client,
        token,
        "/operator/provider-invoices/imports",
        "apply_invoice_imports",
        content,
        content_type="application/jsonl",
    )
    first = imported(AT)
    first_units, first_items = units.units, units.items
    assert (first.answer["created"], first.answer["rejected"]) == (INVOICES, 0), first.answer
    second = imported(AT + timedelta(hours=1))
    assert second.answer["unchanged"] == INVOICES, second.answer
    assert units.units == first_units, "the same file again wrote something"

    writes = first.applied.get("TransactWriteItems", 0)
    others = sum(first.applied.values()) - writes
    print(
        f"invoice import, {INVOICES} new invoices, the rows' requests: "
        f"{sum(first.applied.values()) / INVOICES:.3f} DynamoDB requests per row "
        f"({writes / INVOICES:.3f} TransactWriteItems, {others / INVOICES:.3f} BatchGetItem), "
        f"{requests_made(first.applied)}"
    )
    print(
        f"invoice import, the number claims' cost: {first_items / INVOICES:.1f} items a new invoice in "
        f"transactions, {first_units / INVOICES:.1f} write units a new invoice (2 per item per KB; "
        f"{first_units} in all)"
    )
    print(
        f"invoice import, {INVOICES} new invoices, whole job (file, report): "
        f"{first.per_row(INVOICES)}; {first.seconds:.1f} s on moto"
    )
    print(
        f"invoice import, the same file again ({INVOICES} unchanged): "
        f"{second.per_row(INVOICES)}; {second.seconds:.1f} s on moto"
    )


if __name__ == "__main__":
    main()
