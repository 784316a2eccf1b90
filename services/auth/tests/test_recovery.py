"""Recovering an account whose email is out of reach (chalicelib/recovery.py): the customer's
request opens a case, which the provider decides through the operator API: a new login email and a
link to choose a password, or a refusal with its reason; mails at each step, the same answer
whatever the customer id names."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import (
    PASSWORD,
    assert_documented,
    assert_error,
    call,
    link_token,
    new_customer,
    operator_token,
    unique_email,
    unique_phone,
)

NEW_PASSWORD = "a fresh start for my account 31"


def ask(client: Any, customer_id: str, **fields: Any) -> Any:
    body = {
        "customer_id": customer_id,
        "message": "I lost access to my old mailbox.",
        "language": "en",
        **fields,
    }
    response = call(client, "POST", "/recovery-requests", body)
    assert_documented("POST", "/recovery-requests", response)
    return response


class Support:
    """The provider's customer support, over the operator routes (customers:write)."""

    def __init__(self, client: Any, token: str) -> None:
        self.client, self.token = client, token

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = call(self.client, method, f"/operator/recovery-cases{path}", body, token=self.token)
        documented = re.sub(r"^/[^/]+", "/{case_id}", path) if path else ""
        documented = f"/operator/recovery-cases{documented}"
        assert_documented(method, documented, response)
        return response

    def case_of(self, customer_id: str) -> dict[str, Any] | None:
        listed = self.call("GET", "")
        assert listed.status_code == 200, listed.body
        return next((case for case in listed.json_body["items"] if case["customer_id"] == customer_id), None)


@pytest.fixture
def support(client: Any) -> Support:
    return Support(client, operator_token("customers:write", operator_id="support:jade"))


def test_a_request_opens_one_case_and_answers_as_for_an_unknown_id(client, mailbox, support):
    # Given a customer with a backup address, and someone who can no longer read its email
    backup = unique_email("backup")
    customer = new_customer(client, mailbox, language="en", backup_email=backup)
    contact = unique_email("reach-me")

    # When they ask, twice, and someone asks for an id that names nobody
    first = ask(client, customer.customer_id, contact_email=contact)
    again = ask(client, customer.customer_id, contact_email=contact, message="Still waiting.")
    unknown = ask(client, "zz999999-GU", contact_email=unique_email("nobody"))

    # Then the three answers are the same, and one case is open, with the account to check against
    assert first.status_code == again.status_code == unknown.status_code == 202
    assert first.json_body == again.json_body == unknown.json_body
    case = support.case_of(customer.customer_id)
    assert case is not None
    assert (case["status"], case["contact_email"], case["message"]) == (
        "open",
        contact,
        "I lost access to my old mailbox.",
    )
    assert (case["account"]["email"], case["account"]["backup_email"]) == (customer.email, backup)
    assert [listed["case_id"] for listed in support.call("GET", "").json_body["items"]].count(
        case["case_id"]
    ) == 1
    # and the contact got an acknowledgement naming the id, the account's addresses a warning
    assert [mail["subject"] for mail in mailbox.messages(contact)] == [
        "Your request to recover your Guichet account"
    ] * 2
    for address in (customer.email, backup):
        warned = [mail for mail in mailbox.messages(address) if "A request to recover" in mail["subject"]]
        assert len(warned) == 1 and customer.customer_id in warned[0]["text"]


def test_an_approved_case_moves_the_login_to_the_new_email_and_mails_it_a_password_link(
    client, mailbox, support
):
    # Given an open case of a signed-in customer
    customer = new_customer(client, mailbox, language="en")
    national, e164 = unique_phone()
    assert ask(client, customer.customer_id, contact_phone=national).status_code == 202
    case = support.case_of(customer.customer_id)
    assert case is not None and case["contact_phone"] == e164

    # When support approves it with the address the customer now reads
    new_email = unique_email("recovered")
    approved = support.call("POST", f"/{case['case_id']}/approve", {"new_email": new_email})

    # Then the case is decided, off the list; the old sessions are over
    assert approved.status_code == 200, approved.body
    assert (
        approved.json_body["status"],
        approved.json_body["new_email"],
        approved.json_body["decided_by"],
    ) == (
        "approved",
        new_email,
        "support:jade",
    )
    assert support.case_of(customer.customer_id) is None
    refreshed = call(client, "POST", "/refresh", {"refresh_token": customer.refresh_token})
    assert_error(refreshed, 401, "invalid_refresh_token")
    # and the new address chooses a password with its link, then logs in with it
    reset_token = link_token(mailbox.last(new_email), "reset-password")
    reset = call(client, "POST", "/password/reset", {"token": reset_token, "new_password": NEW_PASSWORD})
    assert reset.status_code == 204, reset.body
    logged_in = call(client, "POST", "/login", {"login": new_email, "password": NEW_PASSWORD})
    assert logged_in.status_code == 200, logged_in.body
    assert call(client, "POST", "/login", {"login": customer.email, "password": PASSWORD}).status_code == 401
    # and the old address was told
    assert "has been changed" in mailbox.messages(customer.email)[-1]["subject"]
    # and a decided case is never decided again
    twice = support.call("POST", f"/{case['case_id']}/approve", {"new_email": unique_email("again")})
    assert_error(twice, 409, "recovery_decided")


def test_a_refused_case_mails_its_reason_and_changes_nothing(client, mailbox, support):
    customer = new_customer(client, mailbox, language="en")
    contact = unique_email("reach-me")
    ask(client, customer.customer_id, contact_email=contact)
    case = support.case_of(customer.customer_id)
    assert case is not None

    refused = support.call("POST", f"/{case['case_id']}/refuse", {"reason": "The name does not match."})

    assert refused.status_code == 200, refused.body
    assert refused.json_body["status"] == "refused"
    told = mailbox.last(contact)
    assert told["subject"] == "Your request to recover your Guichet account was not accepted"
    assert "The name does not match." in told["text"] and customer.customer_id in told["text"]
    assert call(client, "POST", "/refresh", {"refresh_token": customer.refresh_token}).status_code == 200
    assert_error(
        support.call("POST", f"/{case['case_id']}/refuse", {"reason": "again"}), 409, "recovery_decided"
    )
    # and the customer may ask again
    ask(client, customer.customer_id, contact_email=contact)
    assert support.case_of(customer.customer_id) is not None


def test_an_email_another_account_has_is_refused_and_the_case_stays_open(client, mailbox, support):
    customer = new_customer(client, mailbox, language="en")
    other = new_customer(client, mailbox, language="en")
    ask(client, customer.customer_id, contact_email=unique_email("reach-me"))
    case = support.case_of(customer.customer_id)
    assert case is not None

    taken = support.call("POST", f"/{case['case_id']}/approve", {"new_email": other.email})

    assert_error(taken, 409, "email_unavailable", fields=("new_email",))
    assert support.case_of(customer.customer_id) is not None
    assert call(client, "POST", "/login", {"login": customer.email, "password": PASSWORD}).status_code == 200


def test_a_request_needs_somewhere_to_answer(client):
    assert_error(ask(client, "ab123456-GU"), 422, "validation_failed", fields=("contact_email",))


def test_the_cases_are_the_operators_and_need_the_scope(client, mailbox, support):
    customer = new_customer(client, mailbox)
    as_customer = Support(client, customer.access_token)
    assert_error(as_customer.call("GET", ""), 401, "unauthenticated")
    without_scope = Support(client, operator_token("invoices:write"))
    assert_error(without_scope.call("GET", ""), 403, "insufficient_scope")
    assert_error(support.call("GET", "/" + "0" * 32), 404, "not_found")
    assert_error(support.call("GET", "/not-a-case"), 404, "not_found")
