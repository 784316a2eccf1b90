"""The acceptance journey of the portal (issue 11), in a real browser, from an email to nothing due.

A customer, registered and verified over HTTP, orders a mobile line; the invoices service issues
its invoice and mails it (invoice_issued). The link of that real email, read from the local
mailbox, is opened in a browser where nobody is logged in: the portal asks to log in, then lands
on that invoice; it is paid by card in the sandbox; "Accueil" then shows nothing due. Every step
is found as a person finds it: by its role and its name.
"""

from __future__ import annotations

import re
from typing import Any

from conftest import eventually
from customers import PASSWORD, verified_customer
from portal_axe import assert_accessible
from portal_texts import text
from test_browser_invoices import LINA, invoices_of_orders, status_of


def invoice_link_mailed(runtime: Any, email: str, number: str) -> str:
    """The link to the invoice in the email that says it was issued."""

    def mailed() -> str | None:
        for mail in runtime.mail():
            if email in mail["to"] and number in mail["subject"]:
                found = re.search(r"https?://\S+/invoice\?id=\S+", mail["text"])
                return found.group(0) if found else None
        return None

    link = eventually(mailed, timeout=30)
    assert link, "no email carries a link to the invoice"
    return link


def test_from_an_email_link_to_nothing_due(runtime: Any, page: Any) -> None:
    # Given a customer's invoice, and the email that announced it
    customer = verified_customer(runtime, "journey", **LINA)
    [invoice] = invoices_of_orders(runtime, customer.auth, 1)
    link = invoice_link_mailed(runtime, customer.email, invoice["number"])
    assert link.startswith(runtime.url)

    # When the customer follows it, logged out on this browser, and logs in
    page.goto(link)
    page.get_by_role("heading", name=text("login_title")).wait_for()
    assert_accessible(page, "the login page asked for by the invoice's link")
    page.get_by_label(text("login_name")).fill(customer.email)
    page.get_by_label(text("password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=text("submit_login")).click()

    # Then the portal shows that invoice, to pay
    page.wait_for_url(f"**/invoice?id={invoice['invoice_id']}")
    page.get_by_role("heading", name=re.compile(invoice["number"])).first.wait_for()
    assert_accessible(page, "the invoice to pay")

    # When it is paid by card (the sandbox's test card)
    pay = page.get_by_role("region", name=text("pay_title"))
    pay.get_by_label(text("card_number")).fill("4242 4242 4242 4242")
    pay.get_by_role("button", name=re.compile(f"^{text('pay')}")).click()
    page.get_by_role("status").filter(has_text=text("payment_status_succeeded")).wait_for()
    assert status_of(runtime, customer.auth, invoice) == "paid"
    assert_accessible(page, "the invoice paid")

    # Then the home says there is nothing due
    page.get_by_role("navigation").get_by_role("link", name=text("nav_home")).click()
    due = page.get_by_role("region", name=text("home_due_title"))
    due.wait_for()
    assert due.get_by_role("link", name="0,00\u00a0€").count() == 1
    assert text("home_due_none") in due.inner_text()
    assert due.get_by_role("link", name=text("pay"), exact=True).count() == 0
    assert_accessible(page, "the home with nothing due")
