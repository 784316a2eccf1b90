"""Customers imported by the provider: one over the API, or a file of them (CSV or JSON Lines),
idempotent by the provider's own id; invited by mail to choose their password; then customers
like the others.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import (
    PASSWORD,
    assert_documented,
    assert_error,
    call,
    link_token,
    login,
    new_customer,
    operator_token,
    run_schedule,
    unique_email,
    unique_phone,
    utc,
)

SUBMITTED = utc(2026, 12, 1, 9, 0)
HEADER = (
    "external_id,email,first_name,last_name,phone,language,"
    "address_line1,address_postal_code,address_city,address_country\n"
)


class Operator:
    """The provider's systems, calling the operator routes with a customers:write token."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.token = token

    def put(self, external_id: str, body: dict[str, Any]) -> Any:
        path = f"/operator/customers/{external_id}"
        response = call(self.client, "PUT", path, body, token=self.token)
        assert_documented("PUT", "/operator/customers/{external_id}", response)
        return response

    def submit(self, content: str, content_type: str = "text/csv") -> Any:
        response = call(
            self.client,
            "POST",
            "/operator/customers/imports",
            content.encode(),
            token=self.token,
            headers={"content-type": content_type},
        )
        assert_documented("POST", "/operator/customers/imports", response)
        return response

    def report(self, import_id: str, query: str = "") -> Any:
        path = f"/operator/customers/imports/{import_id}{query}"
        response = call(self.client, "GET", path, token=self.token, headers={"accept-language": "en"})
        assert_documented("GET", "/operator/customers/imports/{import_id}", response)
        return response

    def imported(
        self, content: str, content_type: str = "text/csv", *, at: datetime = SUBMITTED
    ) -> dict[str, Any]:
        """Submit a file, run the job as of `at`, and read the whole report."""
        submitted = self.submit(content, content_type)
        assert submitted.status_code == 202, submitted.body
        run_job(self.client, at)
        report = self.report(submitted.json_body["import_id"])
        assert report.status_code == 200, report.body
        return dict(report.json_body)


def run_job(client: Any, at: datetime) -> Any:
    return run_schedule(client, "apply_customer_imports", at)


@pytest.fixture
def operator(client: Any) -> Operator:
    return Operator(client, operator_token("customers:write"))


def csv_row(
    external_id: str,
    email: str,
    first: str = "Jeanne",
    last: str = "Martin",
    phone: str = "",
    city: str = "Lille",
) -> str:
    return f"{external_id},{email},{first},{last},{phone},en,12 rue des Arts,59000,{city},FR\n"


def by_line(report: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {line["line"]: line for line in report["items"]}


def new_id(tag: str = "crm") -> str:
    import uuid

    return f"{tag}-{uuid.uuid4().hex[:12]}"


# --- files ----------------------------------------------------------------------------------


def test_a_file_imports_its_customers_and_the_same_file_again_changes_nothing(
    operator: Operator, mailbox: Any
) -> None:
    # Given a CSV file of two customers
    first, second = unique_email("first"), unique_email("second")
    content = HEADER + csv_row(new_id(), first) + csv_row(new_id(), second, "Paul", "Durand")

    # When it is imported
    report = operator.imported(content)

    # Then both are created, each invited once, with the customer id in the mail
    assert (report["status"], report["rows"], report["created"], report["rejected"]) == ("done", 2, 2, 0)
    assert report["invitations_sent"] == 2
    lines = by_line(report)
    assert [lines[2]["status"], lines[3]["status"]] == ["created", "created"]
    assert len(mailbox.messages(first)) == 1
    assert lines[2]["customer_id"] in mailbox.last(first)["text"]

    # When the same file is imported again
    again = operator.imported(content, at=SUBMITTED + timedelta(hours=1))

    # Then nothing changes and nobody is mailed again
    assert (again["created"], again["updated"], again["unchanged"], again["invitations_sent"]) == (0, 0, 2, 0)
    assert {line["customer_id"] for line in again["items"]} == {
        lines[2]["customer_id"],
        lines[3]["customer_id"],
    }
    assert len(mailbox.messages(first)) == 1 and len(mailbox.messages(second)) == 1


def test_bad_rows_are_reported_by_line_and_the_good_ones_imported(operator: Operator) -> None:
    # Given a file whose lines 3 and 5 are wrong, and line 6 repeats line 2's email
    good, other = unique_email("good"), unique_email("other")
    content = (
        HEADER
        + csv_row(new_id(), good)
        + csv_row(new_id(), "not-an-email")
        + csv_row(new_id(), other, "Ana", "Costa")
        + f"{new_id()},{unique_email()},,Nom,,en,1 rue,59000,Lille,XX\n"
        + csv_row(new_id(), good.upper(), "Copy", "Cat")
    )

    # When it is imported
    report = operator.imported(content)

    # Then each bad line is named with its fields in the API's words, and the others are created
    lines = by_line(report)
    assert (report["created"], report["rejected"]) == (2, 3)
    assert lines[2]["status"] == lines[4]["status"] == "created"
    assert lines[3]["status"] == "rejected" and set(lines[3]["fields"]) == {"email"}
    assert set(lines[5]["fields"]) == {"first_name", "address_country"}
    assert lines[6]["fields"] == {"email": "is already on line 2"}

    # And the rejected lines alone can be listed
    rejected = operator.report(report["import_id"], "?status=rejected&limit=2")
    assert [line["line"] for line in rejected.json_body["items"]] == [3, 5]
    following = operator.report(
        report["import_id"], f"?status=rejected&cursor={rejected.json_body['next_cursor']}"
    )
    assert [line["line"] for line in following.json_body["items"]] == [6]
    assert following.json_body["next_cursor"] is None


def test_an_email_or_a_phone_of_an_existing_account_is_a_rejected_line_never_a_second_account(
    operator: Operator, client: Any, mailbox: Any
) -> None:
    # Given a customer who registered, with a phone
    national, e164 = unique_phone()
    registered = new_customer(client, mailbox, phone=national)
    mails_before = len(mailbox.messages(registered.email))

    # When a file brings that email, and another row that phone
    report = operator.imported(
        HEADER + csv_row(new_id(), registered.email) + csv_row(new_id(), unique_email(), phone=e164)
    )

    # Then both lines are rejected as taken, and the registered customer gets no mail
    lines = by_line(report)
    assert lines[2]["fields"] == {"email": "is used by another account"}
    assert lines[3]["fields"] == {"phone": "is used by another account"}
    assert report["created"] == 0
    assert len(mailbox.messages(registered.email)) == mails_before


def test_json_lines_update_names_phone_and_address_and_keep_what_the_row_leaves_out(
    operator: Operator, client: Any
) -> None:
    # Given a customer imported with an address
    external_id, email = new_id(), unique_email()
    first = {
        "external_id": external_id,
        "email": email,
        "first_name": "Léa",
        "last_name": "Roux",
        "company": "Roux SARL",
        "address": {"line1": "1 rue A", "postal_code": "59000", "city": "Lille", "country": "FR"},
    }
    created = operator.imported(json.dumps(first) + "\n", "application/jsonl")
    customer_id = created["items"][0]["customer_id"]

    # When the provider's file says another last name, a phone and another address, without the company
    national, e164 = unique_phone()
    changed = {
        "external_id": external_id,
        "email": email,
        "first_name": "Léa",
        "last_name": "Roux-Blanc",
        "phone": national,
        "address": {"line1": "2 rue B", "postal_code": "75001", "city": "Paris", "country": "FR"},
    }
    report = operator.imported(
        json.dumps(changed) + "\n", "application/jsonl", at=SUBMITTED + timedelta(days=1)
    )

    # Then the customer is updated, the company kept, and they can be found by their new phone
    assert report["items"][0] == {
        "line": 1,
        "external_id": external_id,
        "status": "updated",
        "customer_id": customer_id,
    }
    seen = call(client, "GET", f"/operator/customers/{external_id}", token=operator.token).json_body
    assert (seen["last_name"], seen["phone"], seen["company"]) == ("Roux-Blanc", e164, "Roux SARL")
    assert seen["address"]["city"] == "Paris" and seen["status"] == "invited"
    from chalicelib import accounts

    assert accounts.by_login_name("phone", e164).customer_id == customer_id


def test_a_customer_updated_by_an_import_is_announced_to_the_other_services(
    operator: Operator, monkeypatch: Any
) -> None:
    # Given an imported customer
    external_id, email = new_id(), unique_email()
    operator.imported(HEADER + csv_row(external_id, email))
    from chalicelib import customer_events

    published: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(
        customer_events,
        "updated_many",
        lambda changes: published.extend((a.customer_id, c) for a, c in changes),
    )

    # When a file moves them to another city
    report = operator.imported(
        HEADER + csv_row(external_id, email, city="Roubaix"), at=SUBMITTED + timedelta(days=1)
    )

    # Then CustomerUpdated says the address changed
    assert published == [(report["items"][0]["customer_id"], ["address"])]


def test_an_imported_customer_is_announced_with_the_provider_id(operator: Operator, monkeypatch: Any) -> None:
    # Given the events the import publishes
    from chalicelib import customer_events

    published: list[Any] = []
    monkeypatch.setattr(
        customer_events.events, "publish_many", lambda events, bus_name: published.extend(events)
    )

    # When a customer is imported
    external_id = new_id()
    operator.imported(HEADER + csv_row(external_id, unique_email()))

    # Then CustomerRegistered carries the provider's id, which contract imports may name
    assert [(event.name, event.external_id) for event in published] == [("CustomerRegistered", external_id)]


def test_a_file_that_cannot_be_read_is_refused_at_once(operator: Operator) -> None:
    assert_error(
        operator.submit("email,first_name\nx@example.org,A\n"),
        422,
        "validation_failed",
        fields=("columns.external_id",),
    )
    assert_error(operator.submit("\n"), 422, "validation_failed", fields=("file",))
    refused = call(
        operator.client,
        "POST",
        "/operator/customers/imports",
        b"<xml/>",
        token=operator.token,
        headers={"content-type": "application/xml"},
    )
    assert_error(refused, 415, "unsupported_media_type")


def test_a_report_of_an_unknown_import_is_not_found(operator: Operator) -> None:
    assert_error(operator.report("0" * 32), 404, "not_found")


# --- one customer ---------------------------------------------------------------------------


def test_the_same_put_twice_makes_one_customer_and_one_invitation(operator: Operator, mailbox: Any) -> None:
    # Given a customer of the provider's CRM
    external_id, email = new_id(), unique_email()
    body = {"email": email, "first_name": "Marc", "last_name": "Petit", "language": "en"}

    # When it is put twice
    first = operator.put(external_id, body)
    second = operator.put(external_id, body)

    # Then one customer, invited once
    assert (first.status_code, first.json_body["result"], first.json_body["status"]) == (
        201,
        "created",
        "invited",
    )
    assert (second.status_code, second.json_body["result"]) == (200, "unchanged")
    assert first.json_body["customer_id"] == second.json_body["customer_id"]
    assert len(mailbox.messages(email)) == 1


def test_a_put_with_an_email_already_registered_is_a_conflict(operator: Operator, customer: Any) -> None:
    response = operator.put(new_id(), {"email": customer.email, "first_name": "A", "last_name": "B"})
    assert_error(response, 409, "conflict", fields=("email",))


def test_a_put_with_bad_fields_names_them(operator: Operator) -> None:
    response = operator.put(new_id(), {"email": "nope", "first_name": " ", "last_name": "B", "phone": "12"})
    assert_error(response, 422, "validation_failed", fields=("email", "first_name", "phone"))
    assert_error(
        operator.put("bad id!", {"email": unique_email(), "first_name": "A", "last_name": "B"}),
        422,
        "validation_failed",
        fields=("external_id",),
    )


# --- who may ---------------------------------------------------------------------------------


def test_operator_routes_need_the_customers_write_scope(client: Any) -> None:
    other = Operator(client, operator_token("invoices:write"))
    assert_error(
        other.put(new_id(), {"email": unique_email(), "first_name": "A", "last_name": "B"}),
        403,
        "insufficient_scope",
    )
    assert_error(other.submit(HEADER), 403, "insufficient_scope")


def test_a_customer_token_is_refused_on_operator_routes(client: Any, customer: Any) -> None:
    as_customer = Operator(client, customer.access_token)
    assert_error(
        as_customer.put(new_id(), {"email": unique_email(), "first_name": "A", "last_name": "B"}),
        401,
        "unauthenticated",
    )
    assert_error(as_customer.submit(HEADER + csv_row(new_id(), unique_email())), 401, "unauthenticated")
    assert_error(as_customer.report("0" * 32), 401, "unauthenticated")


def test_an_operator_token_is_refused_on_customer_routes(client: Any, operator: Operator) -> None:
    assert_error(call(client, "GET", "/me", token=operator.token), 401, "unauthenticated")


# --- the invitation -------------------------------------------------------------------------


def invited(operator: Operator, mailbox: Any, **fields: Any) -> tuple[str, str, str]:
    """A customer put by the operator: (customer id, email, the token of the invitation mailed)."""
    email = unique_email("invited")
    response = operator.put(
        new_id(), {"email": email, "first_name": "Inès", "last_name": "Vidal", "language": "en", **fields}
    )
    assert response.status_code == 201, response.body
    return response.json_body["customer_id"], email, link_token(mailbox.last(email), "activate")


def test_an_invited_customer_activates_with_the_link_once_and_logs_in_with_the_customer_id(
    operator: Operator, client: Any, mailbox: Any
) -> None:
    # Given an invited customer: no password yet, so no login
    customer_id, _, token = invited(operator, mailbox)
    assert_error(login(client, customer_id, PASSWORD), 401, "invalid_credentials")

    # When they choose a password with the link
    activated = call(client, "POST", "/activate", {"token": token, "password": PASSWORD})

    # Then the account is active and they log in with their customer id
    assert activated.status_code == 200, activated.body
    assert activated.json_body == {"customer_id": customer_id, "status": "active"}
    assert login(client, customer_id.upper(), PASSWORD).status_code == 200
    # and the link is used up
    assert_error(
        call(client, "POST", "/activate", {"token": token, "password": PASSWORD + "x"}), 422, "invalid_token"
    )


def test_a_weak_password_leaves_the_link_usable(operator: Operator, client: Any, mailbox: Any) -> None:
    _, _, token = invited(operator, mailbox)
    assert_error(
        call(client, "POST", "/activate", {"token": token, "password": "short"}), 422, "weak_password"
    )
    assert call(client, "POST", "/activate", {"token": token, "password": PASSWORD}).status_code == 200


def test_an_invitation_expires(operator: Operator, client: Any, mailbox: Any, monkeypatch: Any) -> None:
    # Given an invitation mailed at SUBMITTED
    from chalicelib import accounts, api, invitations, operator_api

    monkeypatch.setattr(operator_api, "_now", lambda: SUBMITTED)
    customer_id, _, token = invited(operator, mailbox)

    # When it is used a minute after its days are over
    monkeypatch.setattr(api, "_now", lambda: SUBMITTED + timedelta(days=invitations.VALID_DAYS, minutes=1))
    late = call(client, "POST", "/activate", {"token": token, "password": PASSWORD})

    # Then it is refused, and the account is still waiting; a minute before, it worked
    assert_error(late, 422, "invalid_token")
    assert accounts.get(customer_id).status == "invited"
    monkeypatch.setattr(api, "_now", lambda: SUBMITTED + timedelta(days=invitations.VALID_DAYS, minutes=-1))
    assert call(client, "POST", "/activate", {"token": token, "password": PASSWORD}).status_code == 200


def test_a_forgotten_password_of_an_invited_customer_mails_a_fresh_invitation(
    operator: Operator, client: Any, mailbox: Any, no_forgot_delay: None
) -> None:
    # Given an invited customer who lost the mail
    customer_id, email, _ = invited(operator, mailbox)

    # When they ask for a password reset with their customer id
    assert call(client, "POST", "/password/forgot", {"login": customer_id}).status_code == 202

    # Then a new invitation comes, which activates the account
    token = link_token(mailbox.last(email), "activate")
    assert call(client, "POST", "/activate", {"token": token, "password": PASSWORD}).status_code == 200
    assert login(client, email, PASSWORD).status_code == 200


def test_a_row_without_a_language_keeps_the_customer_s(operator: Operator, client: Any) -> None:
    # Given a customer imported speaking English
    external_id, email = new_id(), unique_email()
    operator.imported(HEADER + csv_row(external_id, email))

    # When a later file leaves the language out (and moves them)
    header = "external_id,email,first_name,last_name,address_line1,address_postal_code,address_city"
    row = f"{external_id},{email},Jeanne,Martin,12 rue des Arts,59000,Roubaix,FR\n"
    report = operator.imported(f"{header},address_country\n{row}", at=SUBMITTED + timedelta(days=1))

    # Then the city changes and the language stays English (not the default French)
    assert report["items"][0]["status"] == "updated"
    seen = call(client, "GET", f"/operator/customers/{external_id}", token=operator.token).json_body
    assert (seen["language"], seen["address"]["city"]) == ("en", "Roubaix")


def test_each_customer_created_by_a_file_is_announced(operator: Operator, monkeypatch: Any) -> None:
    from chalicelib import customer_events

    published: list[str] = []
    monkeypatch.setattr(
        customer_events, "registered_many", lambda accounts: published.extend(a.customer_id for a in accounts)
    )
    report = operator.imported(HEADER + csv_row(new_id(), unique_email()) + csv_row(new_id(), unique_email()))
    assert sorted(published) == sorted(line["customer_id"] for line in report["items"])
