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
    page.get_by_label("Identifiant client, e-mail ou téléphone").fill(customer.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    # Then the portal shows that invoice, to pay
    page.wait_for_url(f"**/invoice?id={invoice['invoice_id']}")
    page.get_by_role("heading", name=re.compile(invoice["number"])).first.wait_for()

    # When it is paid by card (the sandbox's test card)
    pay = page.locator("#pay")
    pay.get_by_label("Numéro de carte").fill("4242 4242 4242 4242")
    pay.get_by_role("button", name=re.compile("^Payer")).click()
    page.get_by_role("status").filter(has_text="accepté").wait_for()
    assert status_of(runtime, customer.auth, invoice) == "paid"

    # Then the home says there is nothing due
    page.get_by_role("navigation").get_by_role("link", name="Accueil").click()
    due = page.get_by_role("region", name="À payer")
    due.wait_for()
    assert due.get_by_role("link", name="0,00\u00a0€").count() == 1
    assert "Rien à payer" in due.inner_text()
    assert due.get_by_role("link", name="Payer", exact=True).count() == 0
