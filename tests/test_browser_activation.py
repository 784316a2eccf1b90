"""The portal's `activate` page, in Chromium: a customer the provider imported opens the link of
the invitation mail, chooses a password, and logs in with the customer id it shows (conftest's
`page`: French; a CSP violation or an uncaught error fails the test)."""

from __future__ import annotations

import re
import uuid
from typing import Any

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
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")

    # Then the page says the account is active, with the customer id to log in with
    page.wait_for_selector(".notice.ok")
    assert customer_id in page.inner_text(".notice.ok")
    page.click("text=Connexion")
    page.fill("input[name=login_name]", customer_id)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(".customer-id")
    assert page.inner_text(".customer-id") == customer_id
