"""The customer's rights on their data from the account page, in a real browser: "Télécharger mes
données" mails a link to the ZIP; "Fermer mon compte" says why it must wait while a contract
runs, and once nothing runs closes the account after the customer said yes (docs/PRIVACY.md)."""

from __future__ import annotations

import uuid
from typing import Any

from customers import (
    PASSWORD,
    cancel_every_subscription_now,
    client_address,
    mailed,
    open_session,
    pay_order,
    place_order,
    verified_customer,
)
from playwright.sync_api import expect
from portal_axe import assert_accessible
from portal_texts import text


def test_a_customer_downloads_their_data_then_closes_the_account_from_the_account_page(
    runtime: Any, page: Any
) -> None:
    # Given a customer with a mobile line running, paid
    customer = verified_customer(runtime, "privacy", first_name="Inès", last_name="Garnier")
    order = place_order(runtime, customer, {"product_id": "mobile-2h", "label": "Ligne d'Inès"})
    pay_order(runtime, customer, order["order_id"])
    open_session(page, runtime, customer)
    page.goto(f"{runtime.url}/account")
    data = page.get_by_role("region", name=text("my_data"))
    data.wait_for()

    # When they ask for their data, the copy is prepared and its link mailed
    data.get_by_role("button", name=text("download_my_data")).click()
    expect(page.get_by_role("status").filter(has_text=text("export_requested"))).to_be_visible()
    assert customer.customer_id in mailed(runtime, customer, "/exports/")["text"]

    # When they try to close the account while the line runs, the page says why it must wait
    runtime.settle()
    data = page.get_by_role("region", name=text("my_data"))
    data.get_by_text(text("close_account"), exact=True).click()
    data.get_by_label(text("password")).fill(PASSWORD)
    page.once("dialog", lambda dialog: dialog.accept())
    data.get_by_role("button", name=text("close_account_for_good")).click()
    expect(data.get_by_role("alert")).to_contain_text("Ligne d'Inès")
    assert_accessible(page, "the account page's data rights, a closure refused")

    # When the line is cancelled at once, closing goes through after they say yes
    cancel_every_subscription_now(runtime, customer)
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    data.get_by_role("button", name=text("close_account_for_good")).click()

    # Then the login page says the account is closed, and the customer can no longer log in
    expect(page.get_by_role("status").filter(has_text=text("account_closed"))).to_be_visible()
    assert asked == [text("confirm_close_account")]
    login = runtime.post(
        "/auth/login",
        json={"login": customer.email, "password": PASSWORD},
        headers={"X-Forwarded-For": client_address(), "X-Request-Id": uuid.uuid4().hex},
    )
    assert login.status_code == 401
