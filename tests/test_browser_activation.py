"""The portal's `activate` page, in Chromium: a customer the provider imported opens the link of
the invitation mail, chooses a password, and logs in with the customer id it shows (conftest's
`page`: French; a CSP violation or an uncaught error fails the test)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect
from portal_axe import assert_accessible
from portal_texts import text

PASSWORD = "a long and personal passphrase 2026"


def test_an_invited_customer_activates_the_account_in_the_portal_and_logs_in(runtime: Any, page: Any) -> None:
    from guichet_local.operator_token import local_token

    # Given a customer the provider put, in French
    email = f"invited-{uuid.uuid4().hex[:8]}@example.org"
    put = runtime.request(
        "PUT",
        f"/auth/operator/customers/crm-{uuid.uuid4().hex[:8]}",
        json={"email": email, "first_name": "Noé", "last_name": "Garnier", "language": "fr"},
        headers={"Authorization": f"Bearer {local_token(runtime.port, ['customers:write'])}"},
    )
    assert put.status_code == 201, put.text
    customer_id = put.json()["customer_id"]
    mail = next(mail for mail in runtime.mail() if email in mail["to"])
    assert customer_id in mail["text"]
    link = re.search(r"https?://\S+/activate\?token=\S+", mail["text"]).group(0)  # type: ignore[union-attr]

    # When they open the link and choose a password
    page.goto(link)
    assert_accessible(page, "the activation page")
    page.get_by_label(text("activate_password")).fill(PASSWORD)
    page.get_by_role("button", name=text("activate_submit")).click()

    # Then the page says the account is active, with the customer id to log in with
    done = page.get_by_role("status").filter(has_text=customer_id)
    expect(done).to_have_text(text("activate_done", customer_id))
    assert_accessible(page, "the account activated")
    page.get_by_role("main").get_by_role("link", name=text("login")).click()
    page.get_by_label(text("login_name")).fill(customer_id)
    page.get_by_label(text("password")).fill(PASSWORD)
    page.get_by_role("button", name=text("submit_login")).click()
    expect(page.get_by_role("banner").get_by_text(customer_id, exact=True)).to_be_visible()
