"""GDPR self-service in the auth service: a copy of the customer's data (the part this service
writes, the ZIP it assembles from the four parts, the link it mails) and closing the account
(refused while a contract runs or an amount is due, then no login, and the data erased)."""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from conftest import (
    PASSWORD,
    Customer,
    Mailbox,
    assert_error,
    call,
    login,
    new_customer,
    unique_phone,
)
from guichet_contracts import events
from guichet_contracts.domain_events.auth import CustomerClosed, DataExportRequested
from guichet_contracts.domain_events.consumption import ConsumptionDataExported
from guichet_contracts.domain_events.invoices import InvoiceIssued, InvoicePaid, InvoicesDataExported
from guichet_contracts.domain_events.subscriptions import (
    SubscriptionActivated,
    SubscriptionCancelled,
    SubscriptionsDataExported,
)
from guichet_local.testing import a_subscription, deliver, table_models

BUCKET = os.environ["GUICHET_EXPORTS_BUCKET"]
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def s3() -> Any:
    return boto3.client("s3")


def request_export(client: Any, customer: Customer) -> dict[str, Any]:
    response = call(client, "POST", "/me/data-exports", token=customer.access_token)
    assert response.status_code == 202, response.body
    return dict(response.json_body)


def write_part(client: Any, export_id: str, customer_id: str, service: str, model: Any) -> None:
    """A service's part, as that service writes it: a data.json under its prefix, announced."""
    key = f"exports/{export_id}/{service}/data.json"
    s3().put_object(Bucket=BUCKET, Key=key, Body=json.dumps({"service": service, "items": {"Thing": [{}]}}))
    deliver(
        client,
        f"{service}_data_exported",
        model(export_id=export_id, customer_id=customer_id, keys=[key]),
    )


def prepare_all(client: Any, export_id: str, customer_id: str) -> None:
    deliver(client, "privacy_requested", DataExportRequested(export_id=export_id, customer_id=customer_id))
    write_part(client, export_id, customer_id, "subscriptions", SubscriptionsDataExported)
    write_part(client, export_id, customer_id, "invoices", InvoicesDataExported)
    write_part(client, export_id, customer_id, "consumption", ConsumptionDataExported)


def zip_of(url: str) -> zipfile.ZipFile:
    path = urlparse(url).path
    key = path.removeprefix(f"/{BUCKET}").removeprefix("/")
    body = s3().get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return zipfile.ZipFile(io.BytesIO(body))


# --- the export -------------------------------------------------------------------------------


def test_an_export_is_ready_once_the_four_parts_are_there_and_its_link_is_mailed(
    client: Any, mailbox: Mailbox, customer: Customer
) -> None:
    started = request_export(client, customer)
    assert started["status"] == "preparing" and started["download_url"] is None
    export_id = started["export_id"]

    deliver(
        client,
        "privacy_requested",
        DataExportRequested(export_id=export_id, customer_id=customer.customer_id),
    )
    write_part(client, export_id, customer.customer_id, "subscriptions", SubscriptionsDataExported)
    write_part(client, export_id, customer.customer_id, "invoices", InvoicesDataExported)
    middle = call(client, "GET", f"/me/data-exports/{export_id}", token=customer.access_token).json_body
    assert middle["status"] == "preparing"  # three of four parts: not yet
    write_part(client, export_id, customer.customer_id, "consumption", ConsumptionDataExported)

    shown = call(client, "GET", f"/me/data-exports/{export_id}", token=customer.access_token).json_body
    assert shown["status"] == "ready" and shown["download_url"]
    expires = int(parse_qs(urlparse(shown["download_url"]).query)["X-Amz-Expires"][0])
    assert 0 < expires <= 24 * 3600
    mail = mailbox.last(customer.email)
    assert customer.customer_id in mail["text"] and "/exports/" in mail["text"]
    mailed = next(
        word for word in mail["text"].split() if word.startswith("http") and "X-Amz-Expires" in word
    )
    assert int(parse_qs(urlparse(mailed).query)["X-Amz-Expires"][0]) == 24 * 3600

    archive = zip_of(shown["download_url"])
    names = set(archive.namelist())
    assert {"README.txt", "auth/data.json", "subscriptions/data.json", "invoices/data.json"} <= names
    assert "consumption/data.json" in names
    mine = json.loads(archive.read("auth/data.json"))
    assert mine["customer_id"] == customer.customer_id
    account = mine["items"]["Account"][0]
    assert account["email"] == customer.email and "password_hash" not in account
    assert {"Account", "LoginName", "Session"} <= set(mine["items"])
    assert "sessions.csv" in {name.rpartition("/")[2] for name in names}


def test_a_part_repeated_changes_nothing_and_mails_once(
    client: Any, mailbox: Mailbox, customer: Customer
) -> None:
    export_id = request_export(client, customer)["export_id"]
    prepare_all(client, export_id, customer.customer_id)
    mails = len(mailbox.messages(customer.email))
    write_part(client, export_id, customer.customer_id, "consumption", ConsumptionDataExported)
    assert len(mailbox.messages(customer.email)) == mails
    shown = call(client, "GET", f"/me/data-exports/{export_id}", token=customer.access_token).json_body
    assert shown["status"] == "ready"


def test_one_export_at_a_time_and_three_a_day(client: Any, mailbox: Mailbox, customer: Customer) -> None:
    first = request_export(client, customer)["export_id"]
    assert_error(
        call(client, "POST", "/me/data-exports", token=customer.access_token), 409, "export_in_progress"
    )
    prepare_all(client, first, customer.customer_id)
    second = request_export(client, customer)["export_id"]  # the first is ready: the slot is free
    prepare_all(client, second, customer.customer_id)
    request_export(client, customer)
    response = call(client, "POST", "/me/data-exports", token=customer.access_token)
    error = assert_error(response, 429, "too_many_exports")
    assert int(response.headers["Retry-After"]) > 0, error


def test_an_export_is_its_owner_s_only(client: Any, customer: Customer, other_customer: Customer) -> None:
    export_id = request_export(client, customer)["export_id"]
    assert_error(
        call(client, "GET", f"/me/data-exports/{export_id}", token=other_customer.access_token),
        404,
        "not_found",
    )
    assert_error(
        call(client, "GET", "/me/data-exports/ex_nope", token=customer.access_token), 404, "not_found"
    )
    assert call(client, "GET", f"/me/data-exports/{export_id}").status_code == 401


def test_a_part_outside_its_prefix_is_refused(client: Any, customer: Customer) -> None:
    export_id = request_export(client, customer)["export_id"]
    with pytest.raises(events.InvalidEvent):
        deliver(
            client,
            "invoices_data_exported",
            InvoicesDataExported(
                export_id=export_id,
                customer_id=customer.customer_id,
                keys=[f"exports/{export_id}/auth/data.json"],
            ),
        )


def test_every_model_of_the_table_is_exported_or_said_why_not() -> None:
    from chalicelib import personal_data
    from chalicelib.models import _AuthItem

    models = table_models(_AuthItem)
    assert set(personal_data.EXPORTED) & set(personal_data.NOT_EXPORTED) == set()
    assert models == set(personal_data.EXPORTED) | set(personal_data.NOT_EXPORTED)


def test_a_customer_with_one_item_of_each_exported_kind_finds_each_in_the_part(
    client: Any, mailbox: Mailbox
) -> None:
    from chalicelib import personal_data
    from chalicelib.models import (
        Contact,
        ContactCount,
        ExternalId,
        Invitation,
        KnownDevice,
        RecoveryCase,
        RecoveryOpen,
    )

    someone = new_customer(client, mailbox, phone=unique_phone()[0])
    pk = f"CUSTOMER#{someone.customer_id}"
    Contact(pk, "CONTACT#c1", contact_id="c1", name="Ada", roles=["billing"], created_at=NOW).save()
    ContactCount(pk, "CONTACTS", contacts=1).save()
    Invitation(pk, "INVITATION", digest="x", expires_at=NOW).save()
    RecoveryOpen(pk, "RECOVERY_OPEN", case_id="k1").save()
    RecoveryCase(
        "RECOVERY#k1",
        "RECOVERY",
        case_id="k1",
        customer_id=someone.customer_id,
        message="lost",
        language="en",
        status="open",
        opened_at=NOW,
        expires_at_epoch=2_000_000_000,
    ).save()
    from chalicelib.models import Account

    Account(pk, "ACCOUNT").update(actions=[Account.external_id.set("EXT-1")])
    ExternalId(
        "EXTERNAL#EXT-1", "EXTERNAL", customer_id=someone.customer_id, fingerprint="f", updated_at=NOW
    ).save()
    call(client, "POST", "/me/data-exports", token=someone.access_token)
    deliver(
        client,
        "contract_standing",
        SubscriptionActivated(
            subscription=a_subscription(someone.customer_id),
            order_id=None,
            origin="order",
            billed_from=date(2026, 1, 1),
        ),
    )
    deliver(client, "invoice_standing", invoice_issued(someone.customer_id, "in_1", 1200))
    KnownDevice(pk, "DEVICE#d1", first_seen_at=NOW, last_seen_at=NOW, expires_at_epoch=2_000_000_000).save()
    from chalicelib.models import Passkey, PasskeyOwner, TotpAuthenticator

    TotpAuthenticator(pk, "TOTP", secret="sealed-secret", created_at=NOW, confirmed_at=NOW).save()
    Passkey(
        pk, "PASSKEY#cred-1", credential_id="cred-1", public_key="cose", name="Phone", created_at=NOW
    ).save()
    PasskeyOwner("PASSKEY#cred-1", "PASSKEY", customer_id=someone.customer_id).save()

    found = {type(item).__name__ for item in personal_data.customer_items(someone.customer_id)}
    assert set(personal_data.EXPORTED) <= found


# --- closing ----------------------------------------------------------------------------------


def invoice_issued(customer_id: str, invoice_id: str, due_cents: int) -> InvoiceIssued:
    return InvoiceIssued(
        invoice_id=invoice_id,
        number=f"FA-2026-{invoice_id}",
        kind="invoice",
        customer_id=customer_id,
        issued_on=date(2026, 11, 1),
        due_on=date(2026, 11, 15),
        period_start=None,
        period_end=None,
        status="open",
        total_excl_tax_cents=due_cents,
        tax_cents=0,
        total_cents=due_cents,
        amount_due_cents=due_cents,
        currency="EUR",
        payment_mode="per_invoice",
        order_id=None,
        subscription_ids=[],
    )


def invoice_paid(customer_id: str, invoice_id: str) -> InvoicePaid:
    return InvoicePaid(
        invoice_id=invoice_id,
        number=f"FA-2026-{invoice_id}",
        customer_id=customer_id,
        order_id=None,
        subscription_ids=[],
        total_cents=1200,
        currency="EUR",
        paid_on=date(2026, 11, 10),
    )


@pytest.fixture(autouse=True)
def closing_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """The routes of this module run on NOW: a contract's end is past or to come by it."""
    from chalicelib import privacy_api

    monkeypatch.setattr(privacy_api, "_now", lambda: NOW)


def close(client: Any, customer: Customer, password: str = PASSWORD) -> Any:
    return call(client, "POST", "/me/closure", {"password": password}, token=customer.access_token)


def test_closing_is_refused_with_the_reasons_while_a_contract_runs_or_an_amount_is_due(
    client: Any, mailbox: Mailbox, customer: Customer
) -> None:
    subscription = a_subscription(customer.customer_id, started_on="2026-01-01").model_copy(
        update={"label": "Fibre 1G"}
    )
    deliver(
        client,
        "contract_standing",
        SubscriptionActivated(
            subscription=subscription, order_id=None, origin="order", billed_from=date(2026, 1, 1)
        ),
    )
    deliver(client, "invoice_standing", invoice_issued(customer.customer_id, "in_a", 4990))

    error = assert_error(close(client, customer), 409, "account_not_closable")
    kinds = {reason["kind"]: reason for reason in error["reasons"]}
    assert kinds["contract_running"]["subscription_id"] == subscription.subscription_id
    assert "Fibre 1G" in kinds["contract_running"]["message"]
    assert kinds["amount_due"]["amount_due_cents"] == 4990 and "49.90 EUR" in kinds["amount_due"]["message"]

    # ended in the future: still running
    later = datetime.now(UTC).date() + timedelta(days=10)
    deliver(
        client,
        "contract_standing",
        SubscriptionCancelled(
            subscription=subscription, ended_on=later, immediate=False, reason=None, refund=None
        ),
    )
    deliver(client, "invoice_standing", invoice_paid(customer.customer_id, "in_a"))
    error = assert_error(close(client, customer), 409, "account_not_closable")
    assert [reason["kind"] for reason in error["reasons"]] == ["contract_running"]
    # ending today at the end of its period: still running today
    deliver(
        client,
        "contract_standing",
        SubscriptionCancelled(
            subscription=subscription, ended_on=NOW.date(), immediate=False, reason=None, refund=None
        ),
    )
    error = assert_error(close(client, customer), 409, "account_not_closable")
    assert [reason["ends_on"] for reason in error["reasons"]] == [NOW.date().isoformat()]
    assert login(client, customer.email).status_code == 200  # nothing changed


def test_a_settlement_told_before_the_invoice_stays(client: Any, customer: Customer) -> None:
    deliver(client, "invoice_standing", invoice_paid(customer.customer_id, "in_b"))
    deliver(client, "invoice_standing", invoice_issued(customer.customer_id, "in_b", 1200))
    assert close(client, customer).status_code == 204


def test_a_wrong_password_closes_nothing(client: Any, customer: Customer) -> None:
    assert_error(
        close(client, customer, "not the password at all"), 422, "wrong_password", fields=("password",)
    )
    assert_error(
        call(client, "POST", "/me/closure", {}, token=customer.access_token), 422, "validation_failed"
    )
    assert login(client, customer.email).status_code == 200


def test_a_closed_account_cannot_log_in_is_told_what_is_kept_and_loses_its_personal_data(
    client: Any, mailbox: Mailbox
) -> None:
    phone, e164 = unique_phone()
    customer = new_customer(client, mailbox, phone=phone, first_name="Zélie", last_name="Quintard")
    subscription = a_subscription(customer.customer_id, started_on="2025-01-01")
    deliver(
        client,
        "contract_standing",
        SubscriptionCancelled(
            subscription=subscription, ended_on=NOW.date(), immediate=True, reason=None, refund=None
        ),
    )
    call(
        client,
        "POST",
        "/me/contacts",
        {"name": "Quintard Paul", "email": "paul.q@example.org", "roles": ["billing"]},
        token=customer.access_token,
    )

    assert close(client, customer).status_code == 204

    mail = mailbox.last(customer.email)
    assert customer.customer_id in mail["text"] and "10 years" in mail["text"]
    assert_error(login(client, customer.email), 401, "invalid_credentials")
    assert_error(login(client, customer.customer_id), 401, "invalid_credentials")
    refreshed = call(client, "POST", "/refresh", {"refresh_token": customer.refresh_token})
    assert refreshed.status_code == 401

    closed = CustomerClosed(customer_id=customer.customer_id, closed_on=date(2026, 11, 20))
    deliver(client, "privacy_requested", closed)
    deliver(client, "privacy_requested", closed)  # again: the same result

    table = boto3.resource("dynamodb").Table(os.environ["AUTH_TABLE_NAME"])
    dump = json.dumps(table.scan()["Items"], default=str)
    for trace in (customer.email, "Zélie", "Quintard", e164, "paul.q@example.org"):
        assert trace not in dump, trace
    assert customer.customer_id in dump  # the pseudonymized account stays: the id is never given again
    # asking again publishes the event again, and mails nothing more
    mails = len(mailbox.messages(customer.email))
    assert close(client, customer).status_code == 204
    assert len(mailbox.messages(customer.email)) == mails


def test_an_export_finishing_after_the_account_closed_leaves_no_copy(client: Any, mailbox: Mailbox) -> None:
    someone = new_customer(client, mailbox)
    export_id = request_export(client, someone)["export_id"]
    assert close(client, someone).status_code == 204
    deliver(
        client, "privacy_requested", CustomerClosed(customer_id=someone.customer_id, closed_on=NOW.date())
    )
    mails = len(mailbox.messages(someone.email))

    prepare_all(client, export_id, someone.customer_id)  # the parts come after the closure

    assert s3().list_objects_v2(Bucket=BUCKET, Prefix=f"exports/{export_id}/").get("KeyCount") == 0
    assert len(mailbox.messages(someone.email)) == mails
