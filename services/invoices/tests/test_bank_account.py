"""The bank account (SEPA mandate) routes: GET before any is 404; a wrong IBAN is a 422 naming it;
a good one answers masked (never whole: not in the answer, the logs or the mail), with a mandate
reference and its signature day; each change signs a new mandate and mails the customer.

IBAN validation itself (countries, BICs, holders) is test_bank_details.py's; here, the routes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import mails_to, paris_noon, subject
from guichet_local.testing import answer, assert_error

IBAN = "FR76 3000 6000 0112 3456 7890 189"
IBAN_COMPACT = IBAN.replace(" ", "")
OTHER_IBAN = "FR1420041010050500013M02606"
CHANGED = subject("bank_account_changed")


@pytest.fixture
def every_log_line(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Every log record of the service at every level (the test stage logs WARNING and up), and the
    libraries' at INFO (as deployed: the libraries' DEBUG lines, such as PynamoDB's raw requests,
    are never on), with their extras."""
    names = [
        name
        for name in logging.root.manager.loggerDict
        if name.split(".")[0] in ("invoices", "guichet-invoices", "chalicelib", "guichet_contracts")
    ]
    caplog.set_level(logging.INFO)
    for name in names:
        caplog.set_level(logging.DEBUG, logger=name)
    app_log = logging.getLogger("guichet-invoices")  # does not propagate
    app_log.addHandler(caplog.handler)
    try:
        yield lambda: "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    finally:
        app_log.removeHandler(caplog.handler)


def test_there_is_no_bank_account_before_one_is_given(customer_factory: Any) -> None:
    customer = customer_factory()
    assert_error(customer.call("GET", "/bank-account"), 404, "not_found")


@pytest.mark.parametrize(
    "iban",
    ["FR76 3000 6000 0112 3456 7890 188", "FR77 3000 6000 0112 3456 7890 189", "GB82 WEST 1234 5698 7654 33"],
    ids=["last-digit", "check-digits", "gb-typo"],
)
def test_an_iban_with_a_wrong_checksum_is_refused(customer_factory: Any, mailbox: Any, iban: str) -> None:
    # Given a customer without bank details
    customer = customer_factory()

    # When they give an IBAN whose check digits are wrong
    response = customer.call("PUT", "/bank-account", {"iban": iban, "holder": "Test Client"})

    # Then 422 naming the iban (without repeating it), nothing is stored, nothing mailed
    error = assert_error(response, 422, "validation_failed", "iban")
    assert set(error["fields"]) == {"iban"}
    assert iban.replace(" ", "") not in response.body.decode() and iban not in response.body.decode()
    assert_error(customer.call("GET", "/bank-account"), 404, "not_found")
    assert mails_to(mailbox, customer.email, CHANGED) == []


def test_a_valid_iban_is_answered_masked_with_a_new_mandate(
    customer_factory: Any,
    mailbox: Any,
    route_clock: Any,
    every_log_line: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a customer without bank details, on 23 November 2026
    from datetime import date

    customer = customer_factory()
    route_clock(paris_noon(date(2026, 11, 23)))

    # When they give a valid IBAN (with spaces)
    response = customer.call("PUT", "/bank-account", {"iban": IBAN, "holder": "Test Client"})

    # Then the answer shows it masked, with the BIC found, the mandate reference and today's signature
    assert response.status_code == 200, response.body
    account = answer(response)
    assert account["iban_masked"] == "FR76 **** **** **** **** ***0 189"
    assert account["bic"].startswith("AGRIFRPP") and account["holder"] == "Test Client"
    assert account["mandate_reference"] == f"GUICHET-{customer.customer_id.replace('-', '').upper()}-0001"
    assert account["signed_on"] == "2026-11-23"
    assert answer(customer.call("GET", "/bank-account")) == account
    # and the whole IBAN is stored for the debits, but is in no answer, log line or mail
    from chalicelib.models import BankAccount, customer_pk

    assert BankAccount.get(customer_pk(customer.customer_id), "BANK_ACCOUNT").iban == IBAN_COMPACT
    (mail,) = mails_to(mailbox, customer.email, CHANGED)
    assert account["iban_masked"] in mail["text"] and account["mandate_reference"] in mail["text"]
    # when, as the customer reads it: noon in Paris, in words of their language
    assert "23 novembre 2026" in mail["text"] and "23 nov. 2026, 12:00" in mail["text"]
    logs = every_log_line()
    assert "bank account changed" in logs  # the service's own line was captured
    captured = capsys.readouterr()
    for where in (
        response.body.decode(),
        logs,
        captured.out,
        captured.err,
        mail["text"],
        mail["html"],
        mail["subject"],
    ):
        assert IBAN_COMPACT not in where and IBAN not in where
        assert "300060001123456789" not in where  # nor the account part alone


def test_changing_the_account_signs_a_new_mandate_and_mails_the_customer(
    customer_factory: Any, mailbox: Any, route_clock: Any
) -> None:
    # Given a customer whose mandate was signed on 1 October 2026
    from datetime import date

    customer = customer_factory()
    route_clock(paris_noon(date(2026, 10, 1)))
    first = answer(customer.call("PUT", "/bank-account", {"iban": IBAN, "holder": "Test Client"}))

    # When they give another account on 23 November
    route_clock(paris_noon(date(2026, 11, 23)))
    response = customer.call("PUT", "/bank-account", {"iban": OTHER_IBAN, "holder": "Test Client-Martin"})

    # Then a new mandate: another reference, signed that day, the new account masked
    assert response.status_code == 200, response.body
    second = answer(response)
    assert second["mandate_reference"] != first["mandate_reference"]
    assert second["mandate_reference"].endswith("-0002") and first["mandate_reference"].endswith("-0001")
    assert (second["signed_on"], second["holder"]) == ("2026-11-23", "Test Client-Martin")
    assert second["iban_masked"].startswith("FR14") and second["iban_masked"].endswith("2 606")
    assert second["bic"].startswith("PSSTFRPP")
    assert answer(customer.call("GET", "/bank-account")) == second
    # and the customer was mailed each time, the last mail naming the new mandate
    mails = mails_to(mailbox, customer.email, CHANGED)
    assert len(mails) == 2
    assert second["mandate_reference"] in mails[0]["text"] and second["iban_masked"] in mails[0]["text"]
    assert OTHER_IBAN not in mails[0]["text"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"iban": IBAN}, "holder"),
        ({"holder": "Test Client"}, "iban"),
        ({"iban": IBAN, "holder": ""}, "holder"),
        ({"iban": IBAN, "holder": "Test Client", "bic": "NOTABIC!"}, "bic"),
        ({"iban": IBAN, "holder": "Test Client", "bic": "DEUTDEFF"}, "bic"),
        ({"iban": "US12 3456 7890", "holder": "Test Client"}, "iban"),
        ({"iban": IBAN, "holder": "Test Client", "mandate_reference": "MINE"}, "mandate_reference"),
    ],
)
def test_bank_details_that_cannot_be_used_are_refused(
    customer_factory: Any, body: dict[str, Any], field: str
) -> None:
    customer = customer_factory()
    assert_error(customer.call("PUT", "/bank-account", body), 422, "validation_failed", field)
    assert_error(customer.call("GET", "/bank-account"), 404, "not_found")


def test_a_session_signed_in_with_a_second_factor_long_ago_steps_up_before_changing_them(
    customer_factory: Any, signer: Any, route_clock: Any, mailbox: Any
) -> None:
    # Given a customer whose session was signed in with a second factor 10 minutes ago
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    now = route_clock(datetime(2026, 11, 23, 11, 0, tzinfo=UTC))
    customer = customer_factory()
    second_factor = {"amr": ["pwd", "otp", "mfa"]}
    old = replace(
        customer,
        token=signer.token(
            customer.customer_id, auth_time=int((now - timedelta(minutes=10)).timestamp()), **second_factor
        ),
    )

    # When it changes the bank details
    refused = old.call("PUT", "/bank-account", {"iban": IBAN, "holder": "Test Client"})

    # Then it is asked to authenticate again, and nothing changes
    assert_error(refused, 403, "step_up_required")
    assert_error(old.call("GET", "/bank-account"), 404, "not_found")
    assert mails_to(mailbox, customer.email, CHANGED) == []
    # reading needs no step-up; a step-up's fresh token (auth_time a minute ago) changes them
    fresh = replace(
        customer,
        token=signer.token(
            customer.customer_id, auth_time=int((now - timedelta(minutes=1)).timestamp()), **second_factor
        ),
    )
    assert fresh.call("PUT", "/bank-account", {"iban": IBAN, "holder": "Test Client"}).status_code == 200


def test_new_bank_details_are_told_to_the_backup_email_too(customer_factory: Any, mailbox: Any) -> None:
    # Given a customer who gave a backup email (CustomerRegistered v3 carries it)
    backup = f"secours-{uuid.uuid4().hex[:8]}@example.net"
    customer = customer_factory(backup_email=backup)

    # When bank details are given
    assert customer.call("PUT", "/bank-account", {"iban": IBAN, "holder": "Test Client"}).status_code == 200

    # Then the notice reaches both addresses, each naming the customer id and the masked account
    for address in (customer.email, backup):
        (mail,) = mails_to(mailbox, address, CHANGED)
        assert customer.customer_id in mail["text"] and IBAN not in mail["text"]
