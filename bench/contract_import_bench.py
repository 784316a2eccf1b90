"""Contract import benchmark (issue 12): 10,000 running contracts from one CSV file, on moto.

Half hosting plans, half electricity contracts each on a point of delivery of its own, for
customers the subscriptions service already knows (their copies, from auth's events, are written
beforehand and not counted), half of the rows naming them by the provider's id. The file goes in
through POST /subscriptions/operator/subscriptions/imports and the `apply_contract_imports` job
applies it, as deployed; DynamoDB requests are counted at PynamoDB's connection, by phase: the
rows' own requests (lookups, numbers, writes in transactions of up to 100 items; goal: batch
writes, ≤ 1 request per row), the whole job (file and report included), and the same file a
second time (nothing to write). Events are put on moto's EventBridge, ten a request, and
not counted here. Times are moto's, in process: compare them with each other, never with
DynamoDB's. moto's transactions are given the same cheap backups as in customer_import_bench.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from customer_import_bench import shallow_backups
from harness import ROOT, file_imports, on_moto, requests_made

SERVICE = ROOT / "services" / "subscriptions"
RESOURCES = {
    "SUBSCRIPTIONS_TABLE_NAME": "bench-subscriptions",
    "SUBSCRIPTIONS_DOCUMENTS_BUCKET": "bench-docs",
}
CONTRACTS = int(os.environ.get("BENCH_IMPORT_CONTRACTS", "10000"))
CUSTOMERS = max(1, CONTRACTS // 2)  # two contracts a customer
AT = datetime(2026, 12, 1, 9, tzinfo=UTC)
HEADER = (
    "external_id,customer_id,customer_external_id,product_id,status,started_on,renews_on,billed_until,"
    "pdl,subscribed_power_kva,tariff_option\n"
)


def customer_id(n: int) -> str:
    return f"bc{n:06d}-GU"


def contracts_file(count: int) -> str:
    rows = [HEADER]
    for n in range(count):
        who = n // 2
        customer = f"{customer_id(who)}," if who % 2 else f",crm-{who:06d}"
        if n % 2:
            rows.append(f"H-{n:06d},{customer},hosting-linux-100,active,2025-03-20,2026-12-20,,,,\n")
        else:
            rows.append(
                f"E-{n:06d},{customer},electricity-essentielle,active,2024-02-01,2027-02-01,2026-11-30,"
                f"{90_000_000_000_000 + n:014d},9,base\n"
            )
    return "".join(rows)


def main() -> None:
    on_moto(SERVICE, RESOURCES, shallow_backups, known_customers, measure)


def known_customers() -> None:
    """The customers' copies the subscriptions service keeps from CustomerRegistered."""
    from chalicelib.customers import external_customer_key
    from chalicelib.models import Customer, CustomerExternalId, customer_pk

    with Customer.batch_write() as batch:
        for n in range(CUSTOMERS):
            batch.save(
                Customer(
                    customer_pk(customer_id(n)),
                    "PROFILE",
                    customer_id=customer_id(n),
                    email=f"customer{n:06d}@example.org",
                    first_name="Jeanne",
                    last_name="Martin",
                    language="fr",
                    version="2026-11-01T00:00:00Z",
                    external_id=f"crm-{n:06d}",
                )
            )
            batch.save(CustomerExternalId(*external_customer_key(f"crm-{n:06d}"), customer_id=customer_id(n)))


def measure() -> None:
    from app import app
    from chalice.test import Client
    from chalicelib import contract_import
    from guichet_local.testing import Signer

    signer = Signer()
    signer.publish()
    token = signer.operator_token("subscriptions:write", operator_id="bench")
    client = Client(app, stage_name="local", project_dir=str(SERVICE))
    content = contracts_file(CONTRACTS).encode()
    imported = file_imports(
        contract_import, client, token, "/operator/subscriptions/imports", "apply_contract_imports", content
    )
    first = imported(AT)
    assert (first.answer["created"], first.answer["rejected"]) == (CONTRACTS, 0), first.answer
    second = imported(AT + timedelta(hours=1))
    assert second.answer["unchanged"] == CONTRACTS, second.answer

    writes = first.applied.get("TransactWriteItems", 0)
    others = sum(first.applied.values()) - writes
    print(
        f"contract import, {CONTRACTS} new contracts, the rows' requests: "
        f"{sum(first.applied.values()) / CONTRACTS:.3f} DynamoDB requests per row "
        f"({writes / CONTRACTS:.3f} TransactWriteItems, {others / CONTRACTS:.3f} else), "
        f"{requests_made(first.applied)}"
    )
    print(
        f"contract import, {CONTRACTS} new contracts, whole job (file, report): "
        f"{first.per_row(CONTRACTS)}; {first.seconds:.1f} s on moto"
    )
    print(
        f"contract import, the same file again ({CONTRACTS} unchanged): "
        f"{second.per_row(CONTRACTS)}; {second.seconds:.1f} s on moto"
    )


if __name__ == "__main__":
    main()
