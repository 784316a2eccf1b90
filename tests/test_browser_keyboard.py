"""A customer who uses only the keyboard (Tab, Shift+Tab, Enter, Space, typing) logs in, opens an
invoice and pays it with the sandbox's test card; at each step the focus lands where a keyboard
or screen-reader user expects it (WCAG 2.4.3 focus order, 2.4.1 bypass blocks): the skip link
first, the page's title after each change of page, the payment section when the invoice is
opened to be paid, the message once it is paid. The pointer is never used."""

from __future__ import annotations

import re
from typing import Any

from customers import PASSWORD, order_invoice, verified_customer
from playwright.sync_api import expect
from portal_axe import assert_accessible
from portal_texts import text

MAX_TABS = 60
_FOCUSED = """() => {
  const element = document.activeElement;
  const label = element.labels?.[0]?.textContent || element.getAttribute("aria-label") || "";
  return { tag: element.tagName.toLowerCase(), id: element.id, text: (element.textContent || "").trim(),
    label: label.trim(), name: element.getAttribute("name") || "", href: element.getAttribute("href") || "" };
}"""


def focused(page: Any) -> dict[str, str]:
    return page.evaluate(_FOCUSED)


def tab_to(page: Any, matches: Any, what: str) -> dict[str, str]:
    """Press Tab until the focused element matches; fails when the keyboard never reaches it."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        here = focused(page)
        if matches(here):
            return here
    raise AssertionError(f"{what}: not reached with Tab in {MAX_TABS} presses (last: {here})")


def ready(page: Any) -> None:
    expect(page.get_by_role("main")).to_have_attribute("aria-busy", "false")


def test_a_keyboard_alone_logs_in_opens_an_invoice_and_pays_it(runtime: Any, page: Any) -> None:
    customer = verified_customer(runtime, "keyboard", first_name="Alix", last_name="Martin")
    order = runtime.post(
        "/subscriptions/orders",
        json={"items": [{"product_id": "mobile-50go", "label": "Ligne clavier"}]},
        headers={**customer.auth, "Idempotency-Key": "keyboard-order-1"},
    )
    assert order.status_code == 201, order.text
    invoice = order_invoice(runtime, customer, order.json()["order_id"])

    page.goto(f"{runtime.url}/login")
    ready(page)
    assert_accessible(page, "the login page")
    # the first Tab reaches the skip link, which takes the focus past the header
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name=text("skip_to_content"))).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    here = tab_to(page, lambda f: f["tag"] == "input", "the login field")
    assert here["label"].startswith(text("login_name"))  # the first field after the skip
    page.keyboard.type(customer.email)
    here = tab_to(page, lambda f: f["tag"] == "input", "the password")
    assert here["label"].startswith(text("password"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    ready(page)
    # a new page: the focus is on its title, and the document's title names it
    here = focused(page)
    assert here["tag"] in ("h1", "h2") and page.title() == f"{here['text']} — Guichet", (here, page.title())
    assert_accessible(page, "the home after the login")

    tab_to(page, lambda f: f["tag"] == "a" and f["href"] == "/my-invoices", "the invoices link")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/my-invoices$"))
    ready(page)
    expect(page.get_by_role("heading", name=text("nav_invoices"), level=1)).to_be_focused()
    assert_accessible(page, "the invoices, one to pay")

    here = tab_to(
        page, lambda f: f["tag"] == "a" and f["label"] == text("pay_label", invoice["number"]), "Pay"
    )
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/invoice\?id=.+#pay$"))
    ready(page)
    # opened to be paid: the payment section, its form next
    expect(page.get_by_role("region", name=text("pay_title"))).to_be_focused()
    assert_accessible(page, "the invoice opened to be paid")

    here = tab_to(page, lambda f: f["name"] == "card_token", "the card number")
    assert here["label"] == text("card_number")
    page.keyboard.type("4242 4242 4242 4242")
    here = tab_to(page, lambda f: f["tag"] == "button", "the pay button")
    assert here["text"].startswith(text("pay"))
    page.keyboard.press("Space")
    paid = page.get_by_role("main").get_by_role("status").filter(has_text=text("payment_status_succeeded"))
    paid.wait_for()
    ready(page)
    # the page again, paid: the focus on the message that says so, the title right after it
    expect(paid).to_be_focused()
    expect(
        page.get_by_role("main").get_by_text(text("invoice_status_paid"), exact=True).first
    ).to_be_visible()
    assert_accessible(page, "the invoice paid")
    assert runtime.get(f"/invoices/{invoice['invoice_id']}", headers=customer.auth).json()["status"] == "paid"


def test_on_a_phone_the_menu_button_opens_and_closes_the_navigation_from_the_keyboard(
    runtime: Any, page: Any
) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{runtime.url}/login")
    ready(page)
    menu = page.get_by_role("button", name=text("menu"))
    links = page.get_by_role("navigation", name=text("main_navigation")).get_by_role("link")
    assert menu.get_attribute("aria-expanded") == "false" and not links.first.is_visible()
    assert page.get_by_role("banner").bounding_box()["height"] < 740 / 6  # the header: one line on a phone
    assert_accessible(page, "the login page on a phone, the menu closed")
    here = tab_to(page, lambda f: f["tag"] == "button" and f["text"] == text("menu"), "the menu button")
    page.keyboard.press("Enter")
    assert menu.get_attribute("aria-expanded") == "true"
    here = tab_to(page, lambda f: f["tag"] == "a", "the menu's first link")
    assert here["href"] == "/login" and links.first.is_visible()
    assert_accessible(page, "the menu open on a phone")
    page.keyboard.press("Escape")  # closed, the focus back on its button
    assert menu.get_attribute("aria-expanded") == "false"
    expect(menu).to_be_focused()
    page.keyboard.press("Space")
    tab_to(page, lambda f: f["href"] == "/register", "the register link")
    page.keyboard.press("Enter")  # a page asked for: the menu folds away, the focus on its title
    page.wait_for_url(re.compile(r"/register$"))
    ready(page)
    assert menu.get_attribute("aria-expanded") == "false"
    assert focused(page)["tag"] in ("h1", "h2") and page.title().endswith(" — Guichet")
    assert_accessible(page, "the register page on a phone")
