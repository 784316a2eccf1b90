"""An account whose email is out of reach, recovered (services/auth/chalicelib/recovery.py): the
customer asks from the portal's login page, the provider's support approves the case over the
operator API with the address the customer now reads, and the customer chooses a password from the
link mailed there and logs in with it (conftest's `page`: French; a CSP violation or an uncaught
error fails the test)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from customers import verified_customer
from playwright.sync_api import expect
from portal_axe import assert_accessible
from portal_texts import text

NEW_PASSWORD = "a fresh start for my account 31"


def test_a_recovery_goes_from_the_portal_request_to_a_new_email_through_the_operator(
    runtime: Any, page: Any
) -> None:
    from guichet_local.operator_token import local_token

    # Given a customer whose mailbox is lost
    customer = verified_customer(runtime, "recovery", first_name="Léa", last_name="Marchand", language="fr")

    # When they ask from the login page, a first time without anywhere to be answered
    page.goto(f"{runtime.url}/login")
    page.get_by_role("link", name=text("cannot_read_email")).click()
    page.get_by_label(text("customer_id")).fill(customer.customer_id)
    page.get_by_label(text("recover_message")).fill(
        "Léa Marchand, 3 rue des Lilas à Lyon ; facture de novembre."
    )
    page.get_by_role("button", name=text("recover_submit")).click()
    expect(page.get_by_label(text("recover_contact_email"))).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "the recovery request without a contact")
    page.get_by_label(text("phone")).fill("06 12 34 56 78")
    page.get_by_role("button", name=text("recover_submit")).click()

    # Then the portal says it is sent
    expect(page.get_by_role("status")).to_have_text(text("recover_sent"))
    assert_accessible(page, "the recovery request sent")

    # When the provider's support finds the case and approves it with the new address
    support = {
        "Authorization": f"Bearer {local_token(runtime.port, ['customers:write'], operator='support:jade')}"
    }
    cases = runtime.get("/auth/operator/recovery-cases", headers=support).json()["items"]
    (case,) = [case for case in cases if case["customer_id"] == customer.customer_id]
    assert (case["contact_phone"], case["account"]["email"]) == ("+33612345678", customer.email)
    new_email = f"recovered-{uuid.uuid4().hex[:8]}@example.org"
    approved = runtime.post(
        f"/auth/operator/recovery-cases/{case['case_id']}/approve",
        json={"new_email": new_email},
        headers=support,
    )
    assert approved.status_code == 200, approved.text

    # Then the new address gets a link to choose a password, and the customer logs in with it
    mail = next(mail for mail in runtime.mail() if new_email in mail["to"])
    assert customer.customer_id in mail["text"]
    link = re.search(r"https?://\S+/reset-password\?token=\S+", mail["text"]).group(0)  # type: ignore[union-attr]
    page.goto(link)
    page.get_by_role("textbox", name=text("new_password")).fill(NEW_PASSWORD)
    page.get_by_role("button", name=text("save")).click()
    expect(page.get_by_role("status")).to_have_text(text("password_changed"))
    logged_in = runtime.post("/auth/login", json={"login": new_email, "password": NEW_PASSWORD})
    assert logged_in.status_code == 200, logged_in.text
