"""The subscriptions area of the web portal in a real browser (Debian's Chromium driven by Playwright).

A customer registered, verified and logged in over HTTP orders a hosting pack from the
catalog, the payment arrives as the invoices service will send it (a PaymentSucceeded event),
the order's timeline reaches "completed", the pack shows under the hosting family with its
dossier number and "à configurer", the settings form reports a wrong field next to it and then
makes the pack active, the contract's download link answers a PDF, and a phone appointment is
booked and listed.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "a long and personal passphrase 2026"
LABEL = "rossi-<shop>"  # shown as typed, never read as HTML


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Chromium is missing: `make test` installs Debian's chromium package"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900}
    )
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def logged_in_customer(runtime: Any) -> tuple[str, dict[str, Any]]:
    """Register (with a postal address, which documents print), verify and log in over HTTP."""
    email = f"browser-sub-{uuid.uuid4().hex[:8]}@example.org"
    registered = runtime.post(
        "/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "first_name": "Ugo",
            "last_name": "Rossi",
            "address": {
                "line1": "12 rue des Lilas",
                "postal_code": "59000",
                "city": "Lille",
                "country": "FR",
            },
        },
    )
    assert registered.status_code == 201, registered.text
    mail = next(mail for mail in runtime.mail() if email in mail["to"])
    token = re.search(r"verify-email\?token=(\S+)", mail["text"]).group(1)  # type: ignore[union-attr]
    assert runtime.post("/auth/verify-email", json={"token": token}).status_code == 200
    tokens = runtime.post("/auth/login", json={"login": email, "password": PASSWORD}).json()
    return registered.json()["customer_id"], tokens


def pay(runtime: Any, customer_id: str, order_id: str, amount_cents: int) -> None:
    """What the invoices service sends once the order's invoice is paid."""
    detail = {
        "event_id": str(uuid.uuid4()),
        "version": 1,
        "occurred_at": "2026-11-23T10:00:00Z",
        "data": {"customer_id": customer_id, "order_id": order_id, "amount_cents": amount_cents},
    }
    entry = {"Source": "guichet.invoices", "DetailType": "PaymentSucceeded", "Detail": json.dumps(detail)}
    answer = runtime.aws("events").put_events(Entries=[entry])
    assert answer["FailedEntryCount"] == 0


def test_the_pages_of_the_area_load_directly(runtime: Any) -> None:
    """A reload or a link in an email gets the portal; /subscriptions itself is the API's."""
    portal = runtime.get("/").text
    for path in ("/my-subscriptions", "/subscription", "/order", "/orders", "/order-status", "/appointments"):
        assert runtime.get(path).text == portal, path
    assert runtime.get("/subscriptions").status_code == 401


def test_order_pay_configure_download_and_book(runtime: Any, page: Any) -> None:
    customer_id, tokens = logged_in_customer(runtime)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    page.goto(f"{runtime.url}/login")
    page.evaluate(
        "([access, refresh]) => { sessionStorage.setItem('guichet.access', access);"
        " sessionStorage.setItem('guichet.refresh', refresh); }",
        [tokens["access_token"], tokens["refresh_token"]],
    )

    # the catalog: a hosting pack, its label, an order with an Idempotency-Key
    page.goto(f"{runtime.url}/order")
    page.wait_for_selector("#nav .customer-id")
    assert page.inner_text("#nav .customer-id") == customer_id
    page.click("nav.tabs >> text=Hébergements")
    product = page.locator("[data-product=hosting-linux-100]")
    assert "4,99\u00a0€/mois" in product.inner_text()
    product.locator("text=Choisir").click()
    page.fill("#order-form input[name=label]", LABEL)
    page.click("#order-form button[type=submit]")
    page.wait_for_url(re.compile(r"/order-status\?id="))
    order_id = page.url.rsplit("id=", 1)[1]
    page.wait_for_selector("ol.timeline li[data-status=received].current")
    assert page.locator("ol.timeline li.todo").count() == 3

    # paid: the page follows the order to completed by itself
    pay(runtime, customer_id, order_id, 499)
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
    assert "lowercase letter" in error.inner_text()
    assert settings.locator("input[name=database_name]").get_attribute("aria-invalid") == "true"
    settings.locator("input[name=database_name]").fill("rossi_shop")
    settings.locator("button[type=submit]").click()
    page.wait_for_selector("main > .notice.ok")
    assert page.inner_text(".page-title .status") == "opérationnel"
    assert page.input_value("#settings input[name=database_name]") == "rossi_shop"
    assert page.input_value("#settings select[name=php_version]") == "8.3"

    # the contract: a short link opened in a new tab and left on the page; it answers a PDF
    popups: list[Any] = []
    page.context.on("page", lambda opened: popups.append(opened))
    page.click("[data-document=contract] button")
    link = page.locator("[data-document=contract] .document-link a")
    link.wait_for()
    pdf = requests.get(link.get_attribute("href"), timeout=10)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert popups, "the document did not open in a new tab"

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
