"""GET /invoices: the last 12 months by default, from/to by month, 24 months at most (older
invoices are not found at all), status and kind filters, and paging that walks each invoice once.

One customer's history is issued once for the module through the domain, on dates of its own
(2032-2034), and the routes are asked "today" = 15 June 2034 (`route_clock`).
"""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

import pytest
from conftest import (
    Customer,
    forget_job_marks,
    issue_invoice,
    job_ran_until,
    new_client,
    paris_noon,
    pay_key,
    priced,
)
from guichet_local.testing import a_customer, answer, assert_error, deliver

TODAY = date(2034, 6, 15)
# name -> (issued on, how it is issued)
HISTORY = {
    "too_old": date(2032, 5, 20),  # 24 months and 26 days: no longer consultable
    "oldest": date(2032, 7, 10),  # 23 months: consultable, outside the default 12 months
    "jan_2033": date(2033, 1, 1),
    "mar_2033": date(2033, 3, 31),
    "jun_2033": date(2033, 6, 30),  # the day before the default window
    "jul_2033": date(2033, 7, 1),  # the window's first day
    "resale": date(2033, 12, 15),  # a resale invoice (paid on issue)
    "paid": date(2034, 2, 10),
    "overdue": date(2034, 5, 5),
    "latest": date(2034, 6, 14),
}


@pytest.fixture(scope="module")
def history(app: Any, signer: Any) -> tuple[Customer, dict[str, str]]:
    """A customer and their invoices of HISTORY: {name: invoice_id}."""
    from chalicelib import dunning, payments

    client = new_client(app)
    customer_id = "tl000001-GU"
    deliver(client, "customer_changed", a_customer(customer_id, first_name="Liste", last_name="Tests"))
    ids = {}
    for name, day in HISTORY.items():
        resale = name == "resale"
        invoice = issue_invoice(
            customer_id,
            day,
            kind="resale" if resale else "invoice",
            payment_mode="transfer" if resale else "card",
            already_paid=resale,
            lines=[priced(1000 + day.toordinal() % 1000, rate="0" if resale else "20.0")],
        )
        ids[name] = invoice.invoice_id
    payments.pay(
        customer_id, [ids["paid"]], method="card", card_token="tok_visa", now=paris_noon(date(2034, 2, 11))
    )
    job_ran_until("mark_overdue", date(2034, 5, 20))
    dunning.mark_overdue(now=paris_noon(date(2034, 5, 21)))
    forget_job_marks()
    return Customer(customer_id, "tl000001-gu@example.org", signer.token(customer_id), client), ids


@pytest.fixture
def customer(history: Any, route_clock: Any) -> Customer:
    route_clock(paris_noon(TODAY))
    return history[0]


@pytest.fixture
def ids(history: Any) -> dict[str, str]:
    return history[1]


def listed(customer: Customer, query: str = "") -> list[str]:
    response = customer.call("GET", f"/{query}")
    assert response.status_code == 200, response.body
    body = answer(response)
    assert body["next_cursor"] is None, "a single page was expected"
    return [item["invoice_id"] for item in body["items"]]


def named(ids: dict[str, str], *names: str) -> list[str]:
    return [ids[name] for name in names]


def test_the_default_is_the_last_12_months_newest_first(customer: Customer, ids: dict[str, str]) -> None:
    # Given invoices from 2032 to June 2034, today being 15 June 2034
    # When the list is asked without a period
    # Then it holds July 2033 to June 2034, newest first
    assert listed(customer) == named(ids, "latest", "overdue", "paid", "resale", "jul_2033")


def test_from_and_to_filter_by_month_both_included(customer: Customer, ids: dict[str, str]) -> None:
    # Given invoices on 1 January and 31 March 2033, and around them
    # When the list is asked from January to March 2033, or for March alone
    # Then the months' invoices come, the first and last days included
    assert listed(customer, "?from=2033-01&to=2033-03") == named(ids, "mar_2033", "jan_2033")
    assert listed(customer, "?from=2033-03&to=2033-03") == named(ids, "mar_2033")
    assert listed(customer, "?from=2033-02&to=2033-02") == []
    assert listed(customer, "?from=2034-06") == named(ids, "latest")


def test_the_oldest_period_is_24_months_back(customer: Customer, ids: dict[str, str]) -> None:
    # Given today is 15 June 2034
    # When the list is asked from June 2032 (24 months back) and from May 2032 (25)
    allowed = customer.call("GET", "/?from=2032-06&limit=100")
    refused = customer.call("GET", "/?from=2032-05")

    # Then June 2032 is the oldest month that can be asked; May 2032 is out of range
    assert allowed.status_code == 200
    assert [item["invoice_id"] for item in answer(allowed)["items"]][-1] == ids["oldest"]
    assert ids["too_old"] not in allowed.body.decode()
    assert_error(refused, 422, "period_out_of_range", "from")
    assert "2032-06" in answer(refused)["error"]["fields"]["from"]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("GET", "/pdf", None),
        ("POST", "/duplicate", None),
        ("POST", "/payments", {"method": "check"}),
    ],
    ids=["get", "pdf", "duplicate", "pay"],
)
def test_an_invoice_issued_more_than_24_months_ago_is_not_found(
    customer: Customer, ids: dict[str, str], method: str, suffix: str, body: Any
) -> None:
    # Given an invoice of 20 May 2032, today being 15 June 2034, and one of July 2032
    # When it is reached directly
    old = customer.call(method, f"/{ids['too_old']}{suffix}", body, pay_key())
    recent = customer.call("GET", f"/{ids['oldest']}")

    # Then it is not found, as a missing invoice; the 23-month-old one still is
    assert_error(old, 404, "not_found")
    assert recent.status_code == 200 and answer(recent)["invoice_id"] == ids["oldest"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=open&from=2032-06", ("latest", "jul_2033", "jun_2033", "mar_2033", "jan_2033", "oldest")),
        ("?status=paid&from=2032-06", ("paid", "resale")),
        ("?status=overdue", ("overdue",)),
        ("?status=void&from=2032-06", ()),
        ("?kind=resale&from=2032-06", ("resale",)),
        ("?kind=invoice", ("latest", "overdue", "paid", "jul_2033")),
        ("?kind=regularization&from=2032-06", ()),
        ("?kind=invoice&status=paid&from=2032-06", ("paid",)),
        ("?status=open&from=2033-01&to=2033-06", ("jun_2033", "mar_2033", "jan_2033")),
    ],
)
def test_status_and_kind_filter_the_list(
    customer: Customer, ids: dict[str, str], query: str, expected: tuple[str, ...]
) -> None:
    # Given invoices open, paid, overdue and a resale one
    # When the list is filtered
    # Then only the matching invoices come, newest first, each with that status and kind
    response = customer.call("GET", f"/{query}&limit=100")
    items = answer(response)["items"]
    assert [item["invoice_id"] for item in items] == named(ids, *expected)
    for name, value in (part.split("=") for part in query.lstrip("?").split("&")):
        if name in ("status", "kind"):
            assert all(item[name] == value for item in items), items


@pytest.mark.parametrize("query", ["?status=late", "?kind=receipt", "?status=OPEN"])
def test_an_unknown_status_or_kind_is_refused(customer: Customer, query: str) -> None:
    response = customer.call("GET", f"/{query}")
    assert_error(response, 422, "validation_failed", query[1:].split("=")[0])


def walk(customer: Customer, query: str, limit: int) -> list[list[str]]:
    """Every page of the list, following next_cursor."""
    pages, cursor = [], None
    for _ in range(20):
        suffix = f"&cursor={cursor}" if cursor else ""
        response = customer.call("GET", f"/{query}&limit={limit}{suffix}")
        assert response.status_code == 200, response.body
        body = answer(response)
        assert len(body["items"]) <= limit
        pages.append([item["invoice_id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("the cursor never ended")


@pytest.mark.parametrize("limit", [1, 2, 4, 9, 100])
def test_paging_walks_each_invoice_once(customer: Customer, ids: dict[str, str], limit: int) -> None:
    # Given the nine consultable invoices of the last 24 months
    everything = listed(customer, "?from=2032-06&limit=100")
    assert len(everything) == 9

    # When they are read page by page
    pages = walk(customer, "?from=2032-06", limit)

    # Then each comes once, in the order of the whole list, pages full but the last
    assert [invoice_id for page in pages for invoice_id in page] == everything
    assert all(len(page) == limit for page in pages[:-1] if limit < 9)


def test_paging_a_filtered_list_walks_each_match_once(customer: Customer, ids: dict[str, str]) -> None:
    # Given six open invoices among nine
    # When the open ones are read two by two
    pages = walk(customer, "?status=open&from=2032-06", 2)

    # Then each open invoice comes once, in order
    assert [invoice_id for page in pages for invoice_id in page] == named(
        ids, "latest", "jul_2033", "jun_2033", "mar_2033", "jan_2033", "oldest"
    )
    assert all(len(page) == 2 for page in pages[:3])


def encoded(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!!",
        encoded([1, 2]),
        encoded("text"),
        base64.urlsafe_b64encode(b"\xff\xfe not json").decode(),
        encoded({"pk": {"S": "CUSTOMER#tl000001-GU"}, "sk": {"S": "PAYMENT#pay_1"}}),
        encoded({"pk": {"S": "CUSTOMER#someone-else"}, "sk": {"S": "INVOICE#in_20340101_aa"}}),
        encoded({"pk": {"S": "CUSTOMER#tl000001-GU"}, "sk": {"S": "INVOICE#in_1"}, "extra": {"S": "x"}}),
        encoded({"pk": {"S": "CUSTOMER#tl000001-GU"}, "sk": {"N": "1"}}),
        pytest.param(
            encoded({"pk": "CUSTOMER#tl000001-GU", "sk": "INVOICE#in_20340101_aa"}),
            id="pk-not-an-object",
        ),
        pytest.param(
            encoded({"pk": {"S": "CUSTOMER#tl000001-GU"}, "sk": ["INVOICE#"]}),
            id="sk-not-an-object",
        ),
    ],
)
def test_a_cursor_this_api_did_not_give_is_refused(customer: Customer, cursor: str) -> None:
    # Given a cursor that is not one of this customer's list
    # When it is sent
    response = customer.call("GET", f"/?cursor={cursor}")

    # Then 422 naming the cursor
    assert_error(response, 422, "validation_failed", "cursor")


@pytest.mark.parametrize(
    "query",
    [
        "?limit=0",
        "?limit=101",
        "?limit=-1",
        "?limit=ten",
        "?limit=1.5",
        pytest.param(
            "?limit=%C2%B2",
            id="limit-superscript-two",
        ),
    ],
)
def test_a_limit_out_of_1_to_100_is_refused(customer: Customer, query: str) -> None:
    assert_error(customer.call("GET", f"/{query}"), 422, "validation_failed", "limit")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?from=2034-13", "from"),
        ("?from=June", "from"),
        ("?from=2034-06-01", "from"),
        ("?to=2034-00", "to"),
        ("?from=2034-06&to=2034-01", "to"),
        ("?from=99999-01", "from"),
        # year 0 is in no calendar (a 500); other digits and an unpadded month are not YYYY-MM
        ("?from=0000-01", "from"),
        ("?to=0000-12", "to"),
        ("?to=٢٠٣٤-06", "to"),
        ("?from=2034-6", "from"),
    ],
)
def test_a_month_that_is_not_one_is_refused(customer: Customer, query: str, field: str) -> None:
    assert_error(customer.call("GET", f"/{query}"), 422, "validation_failed", field)
