"""Customer import benchmark (issue 12): 10,000 customers from one CSV file, on moto.

The file goes in through POST /auth/operator/customers/imports and the `apply_customer_imports`
job applies it, as deployed; DynamoDB requests are counted at PynamoDB's connection, by phase:
the rows' writes (goal: batch writes, ≤ 1 request per row), the whole job (report and
invitations included), and the same file imported a second time (nothing to write). Times are
moto's, in process: compare them with each other, never with DynamoDB's.

moto backs the table up before each TransactWriteItems by deep-copying all of it once per item
of the transaction (moto 5.2.5, `transact_write_items`), which makes 10,000 rows take hours; the
bench gives it one backup per transaction that copies the table's index of items, not the items
(`shallow_backups`). No transaction fails here, so nothing is ever restored from it, and no
request count changes.

Each invitation is rendered (template, catalogs, brand) as it is for SES, then counted instead of
handed to moto's SES, whose response serialisation alone costs ~28 ms a mail here (about five
minutes for 10,000): the mails themselves are checked by the service's and the end-to-end tests.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from harness import ROOT, file_imports, on_moto, requests_made

SERVICE = ROOT / "services" / "auth"
RESOURCES = {"AUTH_TABLE_NAME": "bench-auth", "AUTH_INVITATION_MAILS_PER_SECOND": "0"}
CUSTOMERS = int(os.environ.get("BENCH_IMPORT_CUSTOMERS", "10000"))
HEADER = (
    "external_id,email,first_name,last_name,phone,language,"
    "address_line1,address_postal_code,address_city,address_country\n"
)
FIRST = ("Jeanne", "Paul", "Élodie", "Marc", "Inès", "Luca", "Zoé", "Hugo")
LAST = ("Martin", "Durand", "Œuvray", "Petit", "Vidal", "Rossi", "Roux", "Blanc")


def customers_file(count: int) -> str:
    rows = [HEADER]
    for n in range(count):
        phone = f"+3361{n:07d}" if n % 2 else ""  # half of them with a mobile number
        rows.append(
            f"crm-{n:06d},customer{n:06d}@example.org,{FIRST[n % 8]},{LAST[n // 8 % 8]},{phone},"
            f"{('fr', 'en', 'it')[n % 3]},{n} rue de la Gare,59000,Lille,FR\n"
        )
    return "".join(rows)


def main() -> None:
    on_moto(SERVICE, RESOURCES, verified_sender, shallow_backups, measure)


def verified_sender() -> None:
    import boto3

    boto3.client("ses").verify_email_identity(EmailAddress="no-reply@guichet.test")


def shallow_backups() -> None:
    import copy
    from types import SimpleNamespace

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items

    def backed_up_once(backend: Any, transact_items: Any) -> Any:
        backups: dict[int, Table] = {}

        def deepcopy(value: Any, memo: Any = None) -> Any:
            if not isinstance(value, Table):
                return copy.deepcopy(value, memo)
            if id(value) not in backups:
                backup = copy.copy(value)
                backup.items = value.items.copy()
                backups[id(value)] = backup
            return backups[id(value)]

        models.copy = SimpleNamespace(deepcopy=deepcopy)  # type: ignore[attr-defined]
        try:
            return original(backend, transact_items)
        finally:
            models.copy = copy  # type: ignore[attr-defined]

    models.DynamoDBBackend.transact_write_items = backed_up_once  # type: ignore[method-assign]


def measure() -> None:
    from app import app
    from chalice.test import Client
    from chalicelib import customer_import, token_signing
    from chalicelib.settings import settings
    from guichet_contracts import operator_tokens

    client = Client(app, stage_name="local", project_dir=str(SERVICE))
    key = token_signing.signing_key()
    token = operator_tokens.sign(
        key.private_key,
        kid=key.kid,
        issuer=settings.jwt_issuer,
        audience=settings.operator_audience,
        operator_id="bench",
        scopes=["customers:write"],
        now=datetime.now(UTC),
    )
    content = customers_file(CUSTOMERS).encode()
    from guichet_contracts import mail

    mailed: list[str] = []
    mail.send = lambda email, sender: mailed.append(sender)  # type: ignore[assignment]
    imported = file_imports(
        customer_import, client, token, "/operator/customers/imports", "apply_customer_imports", content
    )
    first = imported(datetime(2026, 12, 1, 9, tzinfo=UTC))
    assert (first.answer["created"], first.answer["rejected"], first.answer["invitations_sent"]) == (
        CUSTOMERS,
        0,
        CUSTOMERS,
    ), first.answer
    second = imported(datetime(2026, 12, 1, 9, tzinfo=UTC) + timedelta(hours=1))
    assert (second.answer["unchanged"], second.answer["invitations_sent"]) == (CUSTOMERS, 0), second.answer

    per_row = sum(first.applied.values()) / CUSTOMERS
    print(
        f"customer import, {CUSTOMERS} new customers, the rows' writes: {per_row:.3f} DynamoDB requests "
        f"per row, {requests_made(first.applied)} (goal <= 1)"
    )
    print(
        f"customer import, {CUSTOMERS} new customers, whole job (file, report, invitations): "
        f"{first.per_row(CUSTOMERS)}; {first.seconds:.1f} s on moto"
    )
    print(
        f"customer import, the same file again ({CUSTOMERS} unchanged): "
        f"{second.per_row(CUSTOMERS)}; {second.seconds:.1f} s on moto"
    )


if __name__ == "__main__":
    main()
