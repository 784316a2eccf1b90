"""The subscriptions area of the web portal in a real browser (Debian's Chromium driven by Playwright).

A customer registered, verified and logged in over HTTP orders a hosting pack from the
catalog, the payment arrives as the invoices service will send it (a PaymentSucceeded event),
the order's timeline reaches "completed", the pack shows under the hosting family with its
dossier number and "à configurer", the settings form reports a wrong field next to it and then
makes the pack active, the contract's download link answers a PDF, and a phone appointment is
booked and listed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests
from customers import open_session, pay_order, verified_customer

LABEL = "rossi-<shop>"  # shown as typed, never read as HTML
UGO = {  # with a postal address, which documents print
    "first_name": "Ugo",
    "last_name": "Rossi",
    "address": {"line1": "12 rue des Lilas", "postal_code": "59000", "city": "Lille", "country": "FR"},
}


def test_the_pages_of_the_area_load_directly(runtime: Any) -> None:
    """A reload or a link in an email gets the portal; /subscriptions itself is the API's."""
    portal = runtime.get("/").text
    for path in ("/my-subscriptions", "/subscription", "/order", "/orders", "/order-status", "/appointments"):
        assert runtime.get(path).text == portal, path
    assert runtime.get("/subscriptions").status_code == 401


def test_order_pay_configure_download_and_book(runtime: Any, page: Any) -> None:
    customer = verified_customer(runtime, "browser-sub", **UGO)
    customer_id, auth = customer.customer_id, customer.auth
    open_session(page, runtime, customer)

    # the catalog: a hosting pack, its label, an order with an Idempotency-Key
    page.goto(f"{runtime.url}/order")
    page.wait_for_selector("#nav .customer-id")
    assert page.inner_text("#nav .customer-id") == customer_id
    page.click("nav.tabs >> text=Hébergements")
    product = page.locator("[data-product=hosting-linux-100]")
    assert "4,99\u00a0€/mois" in product.inner_text()
    product.locator("text=Choisir").click()
    page.fill("#order-form input[name=label]", LABEL)
    page.get_by_role("checkbox", name=re.compile("j'accepte les conditions générales de vente")).check()
    page.get_by_role("button", name="Commander avec obligation de paiement").click()
    page.wait_for_url(re.compile(r"/order-status\?id="))
    order_id = page.url.rsplit("id=", 1)[1]
    page.wait_for_selector("ol.timeline li[data-status=received].current")
    assert page.locator("ol.timeline li.todo").count() == 3

    # paid: the page follows the order to completed by itself
    assert pay_order(runtime, customer, order_id)["status"] == "succeeded"
    page.wait_for_selector("ol.timeline li[data-status=completed].current", timeout=30_000)
    assert page.locator("ol.timeline li.done").count() == 3

    # listed under the hosting family, with its dossier number, "à configurer", and on the dashboard
    page.click("#nav >> text=Mes abonnements")
    row = page.locator("section[data-family=hosting] tbody tr[data-subscription]", has_text=LABEL)
    row.wait_for()
    assert re.fullmatch(r"H\d{8}", row.locator("[data-column=dossier]").inner_text())
    assert row.locator("[data-column=status]").inner_text() == "à configurer"
    assert LABEL in page.inner_text("[data-panel=to-configure]")
    assert page.locator("section[data-family]").count() == 1

    # the settings: a 422 next to its field, then active
    row.locator("text=Paramétrage").click()
    settings = page.locator("#settings")
    settings.locator("input[name=database_name]").fill("1-bad")
    settings.locator("select[name=php_version]").select_option("8.3")
    settings.locator("button[type=submit]").click()
    error = settings.locator("[data-field=database_name] .field-error")
    error.wait_for()
    assert "lettre minuscule" in error.inner_text()  # the API says it in the page's language
    assert settings.locator("input[name=database_name]").get_attribute("aria-invalid") == "true"
    settings.locator("input[name=database_name]").fill("rossi_shop")
    settings.locator("button[type=submit]").click()
    page.wait_for_selector("main > .notice.ok")
    assert page.inner_text(".page-title .status") == "opérationnel"
    assert page.input_value("#settings input[name=database_name]") == "rossi_shop"
    assert page.input_value("#settings select[name=php_version]") == "8.3"

    # the contract: a short link opened in a new tab and left on the page; it answers a PDF
    with page.context.expect_page(timeout=15_000) as popup:  # fails unless a new tab opens
        page.click("[data-document=contract] button")
    assert popup.value is not None, "the document did not open in a new tab"
    link = page.locator("[data-document=contract] .document-link a")
    link.wait_for()
    pdf = requests.get(link.get_attribute("href"), timeout=10)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # a phone appointment, booked on the first free slot and listed
    page.click("#nav >> text=Rendez-vous")
    first = page.locator(".chips label.chip").first
    hour = first.inner_text().strip()
    first.click()
    page.fill("#book input[name=topic]", "Mise en ligne de la boutique")
    page.fill("#book input[name=phone]", "06 12 34 56 78")
    page.click("#book button[type=submit]")
    booked = page.locator("#booked tr[data-appointment]")
    booked.wait_for()
    assert "Mise en ligne de la boutique" in booked.inner_text() and hour in booked.inner_text()
    listed = runtime.get("/subscriptions/appointments", headers=auth).json()["items"]
    assert [(item["topic"], item["phone"]) for item in listed] == [
        ("Mise en ligne de la boutique", "+33612345678")
    ]

    # the home of the area, loaded directly (a reload), for a look at the layout
    page.goto(f"{runtime.url}/my-subscriptions")
    row = page.locator("section[data-family=hosting] tbody tr[data-subscription]", has_text=LABEL)
    row.wait_for()
    assert row.locator("[data-column=status]").inner_text() == "opérationnel"
    page.screenshot(path=str(Path(runtime.log).parent / "portal-subscriptions.png"), full_page=True)
