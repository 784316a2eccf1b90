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
    page.click("#nav >> text=Mes factures")
    row = page.locator(f"tr[data-invoice={first['invoice_id']}]")
    row.wait_for()
    assert page.inner_text("#nav .customer-id") == customer_id
    assert row.locator("[data-column=number]").inner_text() == first["number"]
    assert row.locator("[data-column=kind]").inner_text() == "Facture"
    assert row.locator("[data-column=status]").inner_text() == "à payer"
    euros, cents = divmod(first["total_cents"], 100)
    assert row.locator("[data-column=total]").inner_text() == f"{euros},{cents:02d}\u00a0€"
    assert page.locator("table.invoices tbody tr").count() == 3
    assert page.locator("table.invoices a.button.pay").count() == 3
    page.screenshot(path=str(Path(runtime.log).parent / "portal-invoices.png"), full_page=True)

    # the PDF through its short link
    row.locator("button", has_text="PDF").click()
    link = row.locator(".document-link a")
    link.wait_for()
    pdf = requests.get(link.get_attribute("href"), timeout=10)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # a duplicate; at the daily limit the 429's message is shown
    row.locator("button", has_text="Duplicata").click()
    row.locator(".document-link a").wait_for()
    copy = requests.get(row.locator(".document-link a").get_attribute("href"), timeout=10)
    assert copy.status_code == 200 and copy.content.startswith(b"%PDF")
    for _ in range(2):
        assert runtime.post(f"/invoices/{first['invoice_id']}/duplicate", headers=auth).status_code == 201
    row.locator("button", has_text="Duplicata").click()
    refused = row.locator(".inline-status .notice.error")
    refused.wait_for()
    assert "Trop de tentatives" in refused.inner_text() and "demain" in refused.inner_text()

    # more than 24 months back: the API's message
    page.goto(f"{runtime.url}/my-invoices?from=2020-01")
    page.wait_for_selector("main .notice.error")
    assert "24 mois" in page.inner_text("main .notice.error")
    assert page.get_attribute("select[name=from]", "aria-invalid") == "true"
    assert page.input_value("select[name=from]") == "2020-01"

    # the first one paid by card: declined (said, still to pay), then accepted (paid)
    page.goto(f"{runtime.url}/my-invoices")
    page.click(f"tr[data-invoice={first['invoice_id']}] a.button.pay")
    page.wait_for_url(re.compile(r"/invoice\?id="))
    pay = page.locator("#pay")
    assert "4242 4242 4242 4242" in pay.inner_text() and "4000 0000 0000 0002" in pay.inner_text()
    assert page.locator(".card-head .customer-id").inner_text() == customer_id
    assert page.locator("table.lines tbody tr").count() == 1
    assert page.locator("[data-total=total_incl_tax]").inner_text() == f"{euros},{cents:02d}\u00a0€"
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
    pay.locator("input[name=card_token]").fill("4000 0000 0000 0002")
    pay.locator("button[type=submit]").click()
    declined = pay.locator(".payment-declined")
    declined.wait_for()
    assert "refusée" in declined.inner_text() and "reste à payer" in declined.inner_text()
    assert page.inner_text(".page-title .status") == "à payer"
    assert status_of(runtime, auth, first) == "open"
    page.screenshot(path=str(Path(runtime.log).parent / "portal-invoice-declined.png"), full_page=True)
    pay.locator("input[name=card_token]").fill("4242 4242 4242 4242")
    pay.locator("button[type=submit]").click()
    pay.locator(".notice.error", has_text="pas compté deux fois").wait_for()
    pay.locator("button[type=submit]").click()  # the retry: same key, the API replays its answer
    page.wait_for_selector("main > .notice.ok")
    page.unroute(re.compile(r"/invoices/[^/]+/payments$"))
    assert len(keys) == 3 and keys[1] == keys[2] and keys[0] != keys[1]
    assert page.inner_text(".page-title .status") == "payée"
    assert page.locator("#payments tr[data-payment]").count() == 1
    assert status_of(runtime, auth, first) == "paid"

    # the two others in one payment: no TIP (their PDF carries no TIP slip); by cheque (the
    # instructions), after which they are held for it: a card is refused until it is recorded
    page.click("p.breadcrumb a")
    selection = page.locator("#pay-selection")
    selection.wait_for()
    assert page.locator(f"tr[data-invoice={first['invoice_id']}] input[type=checkbox]").count() == 0
    for invoice in (second, third):
        page.check(f"tr[data-invoice={invoice['invoice_id']}] input[type=checkbox]")
    assert "2 factures sélectionnées" in selection.inner_text()
    assert selection.locator("[data-method=tip] input").is_disabled()
    assert "préférences" in selection.locator("[data-method=tip] .tip-hint").inner_text()
    selection.locator("[data-method=check] input").check()
    selection.locator("button[type=submit]").click()
    instructions = selection.locator(".instructions")
    instructions.wait_for()
    assert second["number"] in instructions.inner_text() and third["number"] in instructions.inner_text()
    cheque = instructions.get_attribute("data-payment")
    selection.locator("[data-method=card] input").check()
    selection.locator("input[name=card_token]").fill("4242 4242 4242 4242")
    selection.locator("button[type=submit]").click()
    held = selection.locator(".form-status .notice.error")
    held.wait_for()
    assert "chèque ou un TIP" in held.inner_text()
    assert {status_of(runtime, auth, invoice) for invoice in (second, third)} == {"open"}
    page.goto(f"{runtime.url}/my-invoices")
    row = page.locator(f"tr[data-invoice={second['invoice_id']}]")
    row.wait_for()
    assert "règlement en attente" in row.locator("[data-column=status]").inner_text()
    assert row.locator("input[type=checkbox]").count() == 0
    page.click(f"tr[data-invoice={second['invoice_id']}] [data-column=number] a")
    page.locator("#pay .pending-payment").wait_for()

    # the back office receives the cheque (an operator token): both are paid
    token = operator_token(runtime)
    received = runtime.post(
        f"/invoices/operator/customers/{customer_id}/payments/{cheque}/received",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert received.status_code == 200, received.text
    page.goto(f"{runtime.url}/my-invoices")
    page.locator(f"tr[data-invoice={first['invoice_id']}]").wait_for()
    assert page.locator("table.invoices [data-column=status]").all_inner_texts() == ["payée"] * 3
    assert {status_of(runtime, auth, invoice) for invoice in (second, third)} == {"paid"}

    # no payment schedule for a customer paying per invoice
    page.click("nav.tabs >> text=Échéancier")
    assert "à chaque facture" in page.locator("#no-schedule").inner_text()

    # bank details: a bad IBAN next to its field, then saved and shown masked
    page.click("nav.tabs >> text=Coordonnées bancaires")
    bank = page.locator("#bank-account")
    bank.locator("input[name=iban]").fill("FR76 3000 6000 0112 3456 7890 188")
    bank.locator("button[type=submit]").click()
    error = bank.locator("[data-field=iban] .field-error")
    error.wait_for()
    assert error.inner_text()
    assert bank.locator("input[name=iban]").get_attribute("aria-invalid") == "true"
    bank.locator("input[name=iban]").fill("FR7630006000011234567890189")
    bank.locator("button[type=submit]").click()
    page.wait_for_selector("main > .notice.ok")
    masked = page.inner_text("#bank-account [data-field=iban_masked]")
    assert masked.startswith("FR76") and masked.endswith("189") and "*" in masked
    assert page.inner_text("#bank-account [data-field=mandate_reference]")

    # the next invoices paid by TIP (direct debit is offered now that a mandate is signed)
    method = page.locator("#preferences select[name=payment_method]")
    assert method.input_value() == "direct_debit"
    method.select_option("tip")
    page.locator("#preferences [data-field=payment_method] .notice.ok").wait_for()
    assert runtime.get("/invoices/preferences", headers=auth).json()["payment_method"] == "tip"

    # the list, loaded directly (a reload): all paid, newest number first
    page.goto(f"{runtime.url}/my-invoices")
    page.locator(f"tr[data-invoice={first['invoice_id']}]").wait_for()
    numbers = page.locator("table.invoices [data-column=number]").all_inner_texts()
    assert numbers == sorted((first["number"], second["number"], third["number"]), reverse=True)

    # in English: words and money per language
    page.select_option("#language", "en")
    page.wait_for_selector("main h1 >> text=My invoices")
    row = page.locator(f"tr[data-invoice={first['invoice_id']}]")
    assert row.locator("[data-column=status]").inner_text() == "paid"
    assert row.locator("[data-column=total]").inner_text() == f"€{euros}.{cents:02d}"


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
    row = page.locator(f"tr[data-invoice={note.json()['invoice_id']}]")
    row.wait_for()
    assert row.locator("[data-column=kind]").inner_text() == "Avoir"
    assert row.locator("[data-column=status]").inner_text() == "remboursé"
    row.locator("[data-column=number] a").click()

    # Then it says what was owed and that it went back to the card
    refund = page.locator("#pay table.refunds tbody tr")
    refund.wait_for()
    assert page.inner_text("#pay h2") == "Remboursement"
    assert "5,00\u00a0€ vous sont dus" in page.inner_text("#pay")
    assert "sur votre carte" in refund.inner_text() and "effectué" in refund.inner_text()


def test_a_link_to_an_invoice_leads_through_the_login_to_that_invoice(runtime: Any, page: Any) -> None:
    # Given a customer's invoice, and the link to it an email carries
    customer = verified_customer(runtime, "browser-next", **LINA)
    [invoice] = invoices_of_orders(runtime, customer.auth, 1)
    page.goto(f"{runtime.url}/invoice?id={invoice['invoice_id']}")

    # When the customer, not logged in on this browser, follows it and logs in
    page.wait_for_selector("input[name=login_name]")
    assert "/login?next=" in page.url
    assert page.locator("text=Connectez-vous pour continuer").count() == 1
    page.fill("input[name=login_name]", customer.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")

    # Then the portal shows that invoice, not the account page
    page.wait_for_url(f"**/invoice?id={invoice['invoice_id']}")
    page.wait_for_selector(f"text={invoice['number']}")

    # a `next` elsewhere than one of the portal's pages is never followed
    page.goto(f"{runtime.url}/login?next=//attacker.example/invoice")
    page.fill("input[name=login_name]", customer.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{runtime.url}/")  # the home

    # an address that is no page: the portal's own page says so, answered 404
    answer = page.goto(f"{runtime.url}/no-such-page")
    assert answer is not None and answer.status == 404
    page.wait_for_selector("text=Page introuvable")
    assert page.locator("a", has_text="Retour à l'accueil").count() == 1


def test_an_expired_session_and_a_lost_connection_are_said_in_words(runtime: Any, page: Any) -> None:
    # Given a session whose tokens no longer work (expired, or revoked elsewhere)
    customer = verified_customer(runtime, "browser-expired", **LINA)
    set_session_cookie(page, runtime, "revoked-refresh-token")

    # When a page needing it opens: the login page says why, and leads back there
    page.goto(f"{runtime.url}/my-invoices")
    page.wait_for_selector("text=Votre session a expiré")
    page.wait_for_url("**/login?next=%2Fmy-invoices")

    # And without a network, the form says so in words, not "Failed to fetch"
    page.context.set_offline(True)
    page.fill("input[name=login_name]", customer.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Vous semblez hors ligne")
    assert page.locator("text=Failed to fetch").count() == 0
    page.context.set_offline(False)
