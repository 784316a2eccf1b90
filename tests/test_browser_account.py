"""The account page in a real browser: numbers as people write them, sessions by their device in
words, and nothing removed, closed or cancelled without the customer saying yes."""

from __future__ import annotations

from typing import Any

from customers import PASSWORD, open_session, verified_customer
from playwright.sync_api import expect
from portal_axe import assert_accessible
from portal_texts import text

FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def test_the_account_speaks_plainly_and_asks_before_removing_or_closing(runtime: Any, page: Any) -> None:
    # Given a customer with a phone, a contact and a second session on a Windows computer
    customer = verified_customer(
        runtime, "account-words", first_name="Ada", last_name="Lovelace", phone="+33320123456"
    )
    contact = runtime.post(
        "/auth/me/contacts",
        json={"name": "Service compta", "phone": "+33612345601", "roles": ["billing"]},
        headers=customer.auth,
    )
    assert contact.status_code == 201, contact.text
    other = runtime.post(
        "/auth/login",
        json={"login": customer.email, "password": PASSWORD},
        headers={"User-Agent": FIREFOX_ON_WINDOWS},
    )
    assert other.status_code == 200, other.text
    open_session(page, runtime, customer)

    # When the account page opens
    page.goto(f"{runtime.url}/account")
    page.get_by_role("heading", name=text("profile")).wait_for()
    main = page.get_by_role("main")

    # Then numbers read as in France and the other session by its device, never a raw User-Agent
    expect(main.get_by_role("definition").filter(has_text="03 20 12 34 56")).to_have_count(1)
    expect(main).not_to_contain_text("+33320123456")
    contacts = page.get_by_role("region", name=text("contacts")).get_by_role("row", name="Service compta")
    assert "06 12 34 56 01" in contacts.inner_text()
    sessions = page.get_by_role("region", name=text("sessions"))
    windows = sessions.get_by_role("row", name="Firefox, Windows — ordinateur")
    assert windows.count() == 1
    expect(main).not_to_contain_text("Mozilla/5.0")
    assert_accessible(page, "the account page")

    # When the customer removes the contact but says no in the dialog, nothing goes
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    contacts.get_by_role("button", name=text("remove")).click()
    page.wait_for_timeout(300)
    assert asked == [text("confirm_remove_contact", "Service compta")]
    assert len(runtime.get("/auth/me/contacts", headers=customer.auth).json()["items"]) == 1

    # And saying yes removes it
    page.once("dialog", lambda dialog: dialog.accept())
    contacts.get_by_role("button", name=text("remove")).click()
    contacts.wait_for(state="detached")
    assert runtime.get("/auth/me/contacts", headers=customer.auth).json()["items"] == []
    assert_accessible(page, "the account page, its contacts emptied")

    # And closing the other session asks too, then closes it
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    windows.get_by_role("button", name=text("revoke")).click()
    windows.wait_for(state="detached")
    assert_accessible(page, "the account page, the other session closed")
    assert asked[-1] == text("confirm_revoke_session", "Firefox, Windows — ordinateur")
    sessions = runtime.get("/auth/me/sessions", headers=customer.auth).json()["items"]
    assert other.json()["session_id"] not in {session["session_id"] for session in sessions}
