"""The invoices area of the web portal in a real browser (Debian's Chromium driven by Playwright).

A customer registered, verified and logged in over HTTP orders three mobile lines over the API;
the invoices service issues one invoice per order (OrderPlaced). In the browser: "Mes factures"
lists them with their numbers, the PDF link answers a PDF, a duplicate can be asked (and the
daily limit's 429 is said), a period older than 24 months shows the API's message; the first
invoice paid with a declined card says so and stays to pay, then with the good card it is paid
once although the first answer is lost (the retry reuses the Idempotency-Key);
the two others are paid together by cheque (the instructions are shown; TIP is not offered: their
PDF has no TIP slip), then a card is refused while the cheque is awaited, until an operator records
it received;
/schedule says that a customer paying per invoice has no payment schedule; /billing reports a
bad IBAN next to its field, then saves one and shows it masked, and the next invoices are chosen
to be paid by TIP; in English the list speaks English and shows "€9.99".
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import requests
from conftest import REPO, eventually
from customers import PASSWORD, open_session, set_session_cookie, verified_customer
from playwright.sync_api import expect
from portal_axe import assert_accessible
from portal_locate import cell, definitions
from portal_texts import text

PAGES = ("/my-invoices", "/invoice", "/schedule", "/billing")
LINA = {  # with a postal address, which invoices print
    "first_name": "Lina",
    "last_name": "Moreau",
    "address": {
        "line1": "8 rue Sainte-Catherine",
        "postal_code": "33000",
        "city": "Bordeaux",
        "country": "FR",
    },
}


def invoices_of_orders(runtime: Any, auth: dict[str, str], count: int) -> list[dict[str, Any]]:
    """Order `count` mobile lines over the API; the invoices issued for them (OrderPlaced), oldest first."""
    order_ids = []
    for n in range(count):
        order = runtime.post(
            "/subscriptions/orders",
            json={"items": [{"product_id": "mobile-50go", "label": f"Ligne {n + 1}"}]},
            headers={**auth, "Idempotency-Key": f"order-{uuid.uuid4()}"},
        )
        assert order.status_code == 201, order.text
        order_ids.append(order.json()["order_id"])

    def issued() -> list[dict[str, Any]] | None:
        items = runtime.get("/invoices", headers=auth).json()["items"]
        by_order = {item["order_id"]: item for item in items}
        if all(order_id in by_order for order_id in order_ids):
            return [by_order[order_id] for order_id in order_ids]
        return None

    invoices = eventually(issued, timeout=30)
    assert invoices, "the invoices of the orders were not issued in time"
    return invoices


def operator_token(runtime: Any) -> str:
    """`make operator-token SCOPES=invoices:write` against this runtime."""
    import subprocess
    import sys

    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "guichet_local.operator_token",
            "--port",
            str(runtime.port),
            "--scopes",
            "invoices:write",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


def status_of(runtime: Any, auth: dict[str, str], invoice: dict[str, Any]) -> str:
    return runtime.get(f"/invoices/{invoice['invoice_id']}", headers=auth).json()["status"]


def invoice_row(page: Any, number: str) -> Any:
    """The row of the invoices' table that shows this invoice number."""
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=number, exact=True))


def invoices_table(page: Any) -> Any:
    return page.get_by_role("main").get_by_role("table")


def shown_status(page: Any, status: str) -> Any:
    """The status a page shows beside its title, e.g. "à payer"."""
    return page.get_by_role("main").get_by_text(text(f"invoice_status_{status}"), exact=True).first


def test_the_pages_of_the_area_load_directly(runtime: Any) -> None:
    """A reload or a link in an email gets the portal; /invoices itself is the API's."""
    portal = runtime.get("/").text
    for path in PAGES:
        assert runtime.get(path).text == portal, path
    assert runtime.get("/invoices").status_code == 401


def test_list_download_pay_and_bank_details(runtime: Any, page: Any) -> None:
    customer = verified_customer(runtime, "browser-inv", **LINA)
    customer_id, auth = customer.customer_id, customer.auth
    first, second, third = invoices_of_orders(runtime, auth, 3)
    open_session(page, runtime, customer)

    # "Mes factures": listed with their numbers, kind and status in words, money in French
    page.goto(f"{runtime.url}/account")
    navigation = page.get_by_role("navigation", name=text("main_navigation"))
    navigation.get_by_role("link", name=text("nav_invoices")).click()
    table = invoices_table(page)
    row = invoice_row(page, first["number"])
    row.wait_for()
    expect(navigation.get_by_text(customer_id, exact=True)).to_be_visible()
    assert cell(table, row, text("col_kind")).inner_text() == text("invoice_kind_invoice")
    assert cell(table, row, text("col_status")).inner_text() == text("invoice_status_open")
    euros, cents = divmod(first["total_cents"], 100)
    assert cell(table, row, text("col_total")).inner_text() == f"{euros},{cents:02d}\u00a0€"
    numbers = [invoice["number"] for invoice in (first, second, third)]
    for number in numbers:
        expect(invoice_row(page, number)).to_have_count(1)
        expect(page.get_by_role("link", name=text("pay_label", number))).to_have_count(1)
    page.screenshot(path=str(Path(runtime.log).parent / "portal-invoices.png"), full_page=True)
    assert_accessible(page, "the invoices, three to pay")

    # the PDF through its short link
    row.get_by_role("button", name=text("pdf_label", first["number"])).click()
    link = row.get_by_role("link", name=text("open_document"))
    link.wait_for()
    pdf = requests.get(link.get_attribute("href"), timeout=10)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # a duplicate; at the daily limit the 429's message is shown
    duplicate = row.get_by_role("button", name=text("duplicate_label", first["number"]))
    duplicate.click()
    expect(row.get_by_role("link", name=text("open_document"))).to_have_count(2)
    copy = requests.get(
        row.get_by_role("link", name=text("open_document")).last.get_attribute("href"), timeout=10
    )
    assert copy.status_code == 200 and copy.content.startswith(b"%PDF")
    for _ in range(2):
        assert runtime.post(f"/invoices/{first['invoice_id']}/duplicate", headers=auth).status_code == 201
    duplicate.click()
    refused = row.get_by_role("alert")
    refused.wait_for()
    assert "Trop de tentatives" in refused.inner_text() and "demain" in refused.inner_text()
    assert_accessible(page, "a duplicate refused at the daily limit")

    # more than 24 months back: the API's message
    page.goto(f"{runtime.url}/my-invoices?from=2020-01")
    problem = page.get_by_role("main").get_by_role("alert")
    problem.wait_for()
    assert "24 mois" in problem.inner_text()
    since = page.get_by_label(text("period_from"))
    expect(since).to_have_attribute("aria-invalid", "true")
    expect(since).to_have_value("2020-01")
    assert_accessible(page, "the invoices refused more than 24 months back")

    # the first one paid by card: declined (said, still to pay), then accepted (paid)
    page.goto(f"{runtime.url}/my-invoices")
    page.get_by_role("link", name=text("pay_label", first["number"])).click()
    page.wait_for_url(re.compile(r"/invoice\?id="))
    pay = page.get_by_role("region", name=text("pay_title"))
    assert "4242 4242 4242 4242" in pay.inner_text() and "4000 0000 0000 0002" in pay.inner_text()
    summary = page.get_by_role("region", name=text("invoice_summary"))
    expect(summary.get_by_text(customer_id, exact=True)).to_be_visible()
    lines = page.get_by_role("region", name=text("lines_title"))
    expect(
        lines.get_by_role("table").first.get_by_role("row").filter(has=page.get_by_role("cell"))
    ).to_have_count(1)
    assert definitions(lines)[text("total_incl_tax")] == f"{euros},{cents:02d}\u00a0€"
    assert_accessible(page, "an invoice to pay")
    keys: list[str] = []

    def lose_the_second_answer(route: Any) -> None:
        """The second payment reaches the API, but its answer is lost on the way back."""
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 2:
            route.fetch()
            route.abort()
        else:
            route.continue_()

    page.route(re.compile(r"/invoices/[^/]+/payments$"), lose_the_second_answer)
    card = pay.get_by_label(text("card_number"))
    submit = pay.get_by_role("button", name=re.compile(f"^{text('pay')}"))
    card.fill("4000 0000 0000 0002")
    submit.click()
    declined = pay.get_by_role("alert")
    declined.wait_for()
    assert "refusée" in declined.inner_text() and "reste à payer" in declined.inner_text()
    expect(shown_status(page, "open")).to_be_visible()
    assert status_of(runtime, auth, first) == "open"
    page.screenshot(path=str(Path(runtime.log).parent / "portal-invoice-declined.png"), full_page=True)
    assert_accessible(page, "a card declined")
    card.fill("4242 4242 4242 4242")
    submit.click()
    pay.get_by_role("alert").filter(has_text="pas compté deux fois").wait_for()
    assert_accessible(page, "a payment's answer lost")
    submit.click()  # the retry: same key, the API replays its answer
    page.get_by_role("status").filter(has_text="Merci").wait_for()
    page.unroute(re.compile(r"/invoices/[^/]+/payments$"))
    assert len(keys) == 3 and keys[1] == keys[2] and keys[0] != keys[1]
    expect(shown_status(page, "paid")).to_be_visible()
    payments = page.get_by_role("region", name=text("payments_title"))
    expect(payments.get_by_role("row").filter(has=page.get_by_role("cell"))).to_have_count(1)
    assert status_of(runtime, auth, first) == "paid"
    assert_accessible(page, "an invoice paid")

    # the two others in one payment: no TIP (their PDF carries no TIP slip); by cheque (the
    # instructions), after which they are held for it: a card is refused until it is recorded
    page.get_by_role("main").get_by_role("link", name=text("nav_invoices")).click()
    selection = page.get_by_role("region", name=text("pay_selection_title"))
    selection.wait_for()
    expect(page.get_by_role("checkbox", name=text("select_invoice", first["number"]))).to_have_count(0)
    for invoice in (second, third):
        page.get_by_role("checkbox", name=text("select_invoice", invoice["number"])).check()
    assert "2 factures sélectionnées" in selection.inner_text()
    expect(selection.get_by_role("radio", name=text("method_tip"))).to_be_disabled()
    expect(selection.get_by_text(text("tip_needs_slip"))).to_be_visible()
    assert_accessible(page, "two invoices selected to be paid together")
    selection.get_by_role("radio", name=text("method_check")).check()
    selection.get_by_role("button", name=re.compile(f"^{text('pay')}")).click()
    instructions = selection.get_by_role("status").filter(has_text=text("instructions_title_check"))
    instructions.wait_for()
    assert second["number"] in instructions.inner_text() and third["number"] in instructions.inner_text()
    cheque = instructions.get_attribute("data-payment")
    assert_accessible(page, "the cheque's instructions")
    selection.get_by_role("radio", name=text("method_card")).check()
    selection.get_by_label(text("card_number")).fill("4242 4242 4242 4242")
    selection.get_by_role("button", name=re.compile(f"^{text('pay')}")).click()
    held = selection.get_by_role("alert")
    held.wait_for()
    assert "chèque ou un TIP" in held.inner_text()
    assert {status_of(runtime, auth, invoice) for invoice in (second, third)} == {"open"}
    page.goto(f"{runtime.url}/my-invoices")
    row = invoice_row(page, second["number"])
    row.wait_for()
    assert text("pending_badge") in cell(table, row, text("col_status")).inner_text()
    expect(row.get_by_role("checkbox")).to_have_count(0)
    row.get_by_role("link", name=second["number"], exact=True).click()
    page.get_by_role("region", name=text("pay_title")).get_by_text(text("pending_notice")).wait_for()
    assert_accessible(page, "an invoice held for a cheque")

    # the back office receives the cheque (an operator token): both are paid
    token = operator_token(runtime)
    received = runtime.post(
        f"/invoices/operator/customers/{customer_id}/payments/{cheque}/received",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert received.status_code == 200, received.text
    page.goto(f"{runtime.url}/my-invoices")
    invoice_row(page, first["number"]).wait_for()
    statuses = [cell(table, invoice_row(page, number), text("col_status")).inner_text() for number in numbers]
    assert statuses == [text("invoice_status_paid")] * 3
    assert {status_of(runtime, auth, invoice) for invoice in (second, third)} == {"paid"}

    # no payment schedule for a customer paying per invoice
    tabs = page.get_by_role("navigation", name=text("invoices_title"))
    tabs.get_by_role("link", name=text("tab_schedule")).click()
    expect(page.get_by_role("region", name=text("no_schedule_title"))).to_contain_text("à chaque facture")
    assert_accessible(page, "no payment schedule")

    # bank details: a bad IBAN next to its field, then saved and shown masked
    tabs.get_by_role("link", name=text("tab_billing")).click()
    bank = page.get_by_role("region", name=text("bank_title"))
    iban = bank.get_by_label(text("iban"))
    iban.fill("FR76 3000 6000 0112 3456 7890 188")
    bank.get_by_role("button", name=text("save")).click()
    expect(iban).to_have_attribute("aria-invalid", "true")
    expect(iban).to_have_accessible_description(re.compile(r"\S"))
    assert_accessible(page, "a bad IBAN refused by its field")
    iban.fill("FR7630006000011234567890189")
    bank.get_by_role("button", name=text("save")).click()
    page.get_by_role("status").filter(has_text=text("bank_saved")).wait_for()
    bank = page.get_by_role("region", name=text("bank_title"))
    shown = definitions(bank)
    masked = shown[text("iban_masked")]
    assert masked.startswith("FR76") and masked.endswith("189") and "*" in masked
    assert shown[text("mandate_reference")]
    assert_accessible(page, "the bank details saved")

    # the next invoices paid by TIP (direct debit is offered now that a mandate is signed)
    preferences = page.get_by_role("region", name=text("preferences_title"))
    method = preferences.get_by_label(text("preferred_method"))
    expect(method).to_have_value("direct_debit")
    method.select_option("tip")
    preferences.get_by_role("status").filter(has_text=text("preferences_saved")).wait_for()
    assert runtime.get("/invoices/preferences", headers=auth).json()["payment_method"] == "tip"

    # the list, loaded directly (a reload): all paid, newest number first
    page.goto(f"{runtime.url}/my-invoices")
    invoice_row(page, first["number"]).wait_for()
    body = table.get_by_role("row").filter(has=page.get_by_role("cell"))
    listed = [cell(table, body.nth(index), text("col_number")).inner_text() for index in range(body.count())]
    assert listed == sorted(numbers, reverse=True)
    assert_accessible(page, "the invoices, all paid")

    # in English: words and money per language
    page.get_by_label("Langue / Language / Lingua").select_option("en")
    page.get_by_role("heading", name=text("invoices_title", lang="en"), level=1).wait_for()
    row = invoice_row(page, first["number"])
    assert cell(table, row, text("col_status", lang="en")).inner_text() == text(
        "invoice_status_paid", lang="en"
    )
    assert cell(table, row, text("col_total", lang="en")).inner_text() == f"€{euros}.{cents:02d}"
    assert_accessible(page, "the invoices in English")


def test_a_credit_note_shows_what_went_back_and_how(runtime: Any, page: Any) -> None:
    # Given an invoice paid by card, and a credit note of 5 € an operator issued against it
    customer = verified_customer(runtime, "browser-credit", **LINA)
    auth = customer.auth
    (invoice,) = invoices_of_orders(runtime, auth, 1)
    paid = runtime.post(
        f"/invoices/{invoice['invoice_id']}/payments",
        json={"method": "card", "card_token": "tok_visa"},
        headers={**auth, "Idempotency-Key": f"pay-{uuid.uuid4()}"},
    )
    assert paid.status_code == 201, paid.text
    note = runtime.post(
        f"/invoices/operator/customers/{customer.customer_id}/invoices/{invoice['invoice_id']}/credit-notes",
        json={"amount_cents": 500, "reason": "Geste commercial"},
        headers={
            "Authorization": f"Bearer {operator_token(runtime)}",
            "Idempotency-Key": f"credit-{uuid.uuid4()}",
        },
    )
    assert note.status_code == 201, note.text

    # When the customer opens it from the list
    open_session(page, runtime, customer)
    page.goto(f"{runtime.url}/my-invoices")
    number = note.json()["number"]
    row = invoice_row(page, number)
    row.wait_for()
    table = invoices_table(page)
    assert cell(table, row, text("col_kind")).inner_text() == text("invoice_kind_credit_note")
    assert cell(table, row, text("col_status")).inner_text() == text("invoice_status_refunded")
    row.get_by_role("link", name=number, exact=True).click()

    # Then it says what was owed and that it went back to the card
    pay = page.get_by_role("region", name=text("refund_title"))
    refund = pay.get_by_role("row").filter(has=page.get_by_role("cell"))
    refund.wait_for()
    assert "5,00\u00a0€ vous sont dus" in pay.inner_text()
    assert "sur votre carte" in refund.inner_text() and "effectué" in refund.inner_text()
    assert_accessible(page, "a credit note refunded")


def test_a_link_to_an_invoice_leads_through_the_login_to_that_invoice(runtime: Any, page: Any) -> None:
    # Given a customer's invoice, and the link to it an email carries
    customer = verified_customer(runtime, "browser-next", **LINA)
    [invoice] = invoices_of_orders(runtime, customer.auth, 1)
    page.goto(f"{runtime.url}/invoice?id={invoice['invoice_id']}")

    # When the customer, not logged in on this browser, follows it and logs in
    page.get_by_label(text("login_name")).wait_for()
    assert "/login?next=" in page.url
    expect(page.get_by_text(text("login_to_continue"))).to_have_count(1)
    assert_accessible(page, "the login asked for on the way to an invoice")
    log_in(page, customer.email)

    # Then the portal shows that invoice, not the account page
    page.wait_for_url(f"**/invoice?id={invoice['invoice_id']}")
    page.get_by_role("heading", name=re.compile(re.escape(invoice["number"])), level=1).wait_for()

    # a `next` elsewhere than one of the portal's pages is never followed
    page.goto(f"{runtime.url}/login?next=//attacker.example/invoice")
    log_in(page, customer.email)
    page.wait_for_url(f"{runtime.url}/")  # the home

    # an address that is no page: the portal's own page says so, answered 404
    answer = page.goto(f"{runtime.url}/no-such-page")
    assert answer is not None and answer.status == 404
    page.get_by_role("heading", name=text("not_found_title")).wait_for()
    expect(page.get_by_role("link", name=text("back_home"))).to_have_count(1)
    assert_accessible(page, "the 404 page")


def test_an_expired_session_and_a_lost_connection_are_said_in_words(runtime: Any, page: Any) -> None:
    # Given a session whose tokens no longer work (expired, or revoked elsewhere)
    customer = verified_customer(runtime, "browser-expired", **LINA)
    set_session_cookie(page, runtime, "revoked-refresh-token")

    # When a page needing it opens: the login page says why, and leads back there
    page.goto(f"{runtime.url}/my-invoices")
    page.get_by_text(text("session_expired")).wait_for()
    page.wait_for_url("**/login?next=%2Fmy-invoices")
    assert_accessible(page, "the login after a session expired")

    # And without a network, the form says so in words, not "Failed to fetch"
    page.context.set_offline(True)
    log_in(page, customer.email)
    page.get_by_text(text("offline")).wait_for()
    expect(page.get_by_text("Failed to fetch")).to_have_count(0)
    assert_accessible(page, "the login offline")
    page.context.set_offline(False)


def log_in(page: Any, email: str) -> None:
    page.get_by_label(text("login_name")).fill(email)
    page.get_by_label(text("password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=text("submit_login")).click()
