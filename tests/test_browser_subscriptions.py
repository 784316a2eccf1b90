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
from playwright.sync_api import expect
from portal_axe import assert_accessible
from portal_locate import cell
from portal_texts import text, texts

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
    navigation = page.get_by_role("navigation", name=text("main_navigation"))
    expect(navigation.get_by_text(customer_id, exact=True)).to_be_visible()
    page.get_by_role("link", name=text("family_hosting")).click()
    name = "Pack hébergement Linux 100 Mo"
    product = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=name))
    expect(product).to_contain_text("4,99\u00a0€/mois")
    assert_accessible(page, "the catalog's hosting packs")
    product.get_by_role("link", name=f"{text('choose')} — {name}").click()
    page.get_by_label(text("order_label")).fill(LABEL)
    page.get_by_role("checkbox", name=re.compile(re.escape(text("accept_terms")), re.IGNORECASE)).check()
    page.get_by_role("button", name=text("submit_order_obligation")).click()
    page.wait_for_url(re.compile(r"/order-status\?id="))
    order_id = page.url.rsplit("id=", 1)[1]
    steps = page.get_by_role("region", name=text("order_history")).get_by_role("listitem")
    expect(steps.first).to_have_attribute("aria-current", "step")  # received
    expect(steps).to_have_count(4)  # three steps to come
    assert_accessible(page, "the order received")

    # paid: the page follows the order to completed by itself
    assert pay_order(runtime, customer, order_id)["status"] == "succeeded"
    expect(steps.last).to_have_attribute("aria-current", "step", timeout=30_000)
    expect(steps.last).to_contain_text(text("order_status_completed"))
    assert_accessible(page, "the order completed")

    # listed under the hosting family, with its dossier number, "à configurer", and on the dashboard
    navigation.get_by_role("link", name=text("nav_subscriptions")).click()
    family = page.get_by_role("region", name=text("family_title_hosting"))
    table = family.get_by_role("table")
    row = table.get_by_role("row").filter(has_text=LABEL)
    row.wait_for()
    assert re.fullmatch(r"H\d{8}", cell(table, row, text("col_dossier")).inner_text())
    assert cell(table, row, text("col_status")).inner_text() == text("status_to_configure")
    expect(page.get_by_role("region", name=text("dashboard_to_configure"))).to_contain_text(LABEL)
    for key, title in texts().items():  # no other family
        if key.startswith("family_title_") and key != "family_title_hosting":
            expect(page.get_by_role("region", name=title)).to_have_count(0)
    assert_accessible(page, "the subscriptions, one to configure")

    # the settings: a 422 next to its field, then active
    row.get_by_role("link", name=text("technical_settings")).click()
    settings = page.get_by_role("region", name=text("settings_title"))
    database = settings.get_by_label(text("database_name"))
    database.fill("1-bad")
    settings.get_by_label(text("php_version")).select_option("8.3")
    settings.get_by_role("button", name=text("save")).click()
    expect(database).to_have_attribute("aria-invalid", "true")
    # the API says it in the page's language, by its field
    expect(database).to_have_accessible_description(re.compile("lettre minuscule"))
    assert_accessible(page, "the settings refused, the problem by its field")
    database.fill("rossi_shop")
    settings.get_by_role("button", name=text("save")).click()
    page.get_by_role("status").filter(has_text=text("settings_saved")).wait_for()
    title = page.get_by_role("main").get_by_text(text("status_active"), exact=True)
    expect(title.first).to_be_visible()
    settings = page.get_by_role("region", name=text("settings_title"))
    expect(settings.get_by_label(text("database_name"))).to_have_value("rossi_shop")
    expect(settings.get_by_label(text("php_version"))).to_have_value("8.3")
    assert_accessible(page, "the settings saved")

    # the contract: a short link opened in a new tab and left on the page; it answers a PDF
    documents = page.get_by_role("region", name=text("documents"))
    contract = documents.get_by_role("listitem").filter(has_text="Contrat d'abonnement")
    with page.context.expect_page(timeout=15_000) as popup:  # fails unless a new tab opens
        contract.get_by_role("button", name=text("download")).click()
    assert popup.value is not None, "the document did not open in a new tab"
    link = contract.get_by_role("link", name=text("open_document"))
    link.wait_for()
    pdf = requests.get(link.get_attribute("href"), timeout=10)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert_accessible(page, "the contract's link shown")

    # a phone appointment, booked on the first free slot and listed
    navigation.get_by_role("link", name=text("nav_appointments")).click()
    slots = page.get_by_role("group", name=text("time"))
    hour = re.findall(r"\d{1,2}[:h]\d{2}", slots.inner_text())[0]
    slots.get_by_role("radio", name=hour, exact=True).check()
    book = page.get_by_role("region", name=text("book_title"))
    book.get_by_label(text("topic")).fill("Mise en ligne de la boutique")
    book.get_by_label(text("phone")).fill("06 12 34 56 78")
    assert_accessible(page, "the booking form filled")
    book.get_by_role("button", name=text("book")).click()
    booked = page.get_by_role("region", name=text("my_appointments")).get_by_role("row")
    booked = booked.filter(has_text="Mise en ligne de la boutique")
    booked.wait_for()
    assert hour in booked.inner_text()
    listed = runtime.get("/subscriptions/appointments", headers=auth).json()["items"]
    assert [(item["topic"], item["phone"]) for item in listed] == [
        ("Mise en ligne de la boutique", "+33612345678")
    ]
    assert_accessible(page, "the appointment booked")

    # the home of the area, loaded directly (a reload), for a look at the layout
    page.goto(f"{runtime.url}/my-subscriptions")
    table = page.get_by_role("region", name=text("family_title_hosting")).get_by_role("table")
    row = table.get_by_role("row").filter(has_text=LABEL)
    row.wait_for()
    assert cell(table, row, text("col_status")).inner_text() == text("status_active")
    page.screenshot(path=str(Path(runtime.log).parent / "portal-subscriptions.png"), full_page=True)
