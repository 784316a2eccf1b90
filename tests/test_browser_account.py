"""The account page in a real browser: numbers as people write them, sessions by their device in
words, and nothing removed, closed or cancelled without the customer saying yes."""

from __future__ import annotations

from typing import Any

from customers import PASSWORD, open_session, verified_customer

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
    page.get_by_role("heading", name="Mes coordonnées").wait_for()

    # Then numbers read as in France and the other session by its device, never a raw User-Agent
    assert page.locator("dd[data-field=phone]").inner_text() == "03 20 12 34 56"
    contacts = page.get_by_role("row", name="Service compta")
    assert "06 12 34 56 01" in contacts.inner_text()
    windows = page.get_by_role("row", name="Firefox, Windows — ordinateur")
    assert windows.count() == 1
    assert "Mozilla/5.0" not in page.inner_text("main")

    # When the customer removes the contact but says no in the dialog, nothing goes
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    contacts.get_by_role("button", name="Supprimer").click()
    page.wait_for_timeout(300)
    assert asked == [
        "Supprimer le contact « Service compta » ? Il ne recevra plus aucun message de notre part."
    ]
    assert len(runtime.get("/auth/me/contacts", headers=customer.auth).json()["items"]) == 1

    # And saying yes removes it
    page.once("dialog", lambda dialog: dialog.accept())
    contacts.get_by_role("button", name="Supprimer").click()
    contacts.wait_for(state="detached")
    assert runtime.get("/auth/me/contacts", headers=customer.auth).json()["items"] == []

    # And closing the other session asks too, then closes it
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    windows.get_by_role("button", name="Fermer").click()
    windows.wait_for(state="detached")
    assert (
        asked[-1]
        == "Fermer la session ouverte sur « Firefox, Windows — ordinateur » ? Il faudra s'y reconnecter."
    )
    sessions = runtime.get("/auth/me/sessions", headers=customer.auth).json()["items"]
    assert other.json()["session_id"] not in {session["session_id"] for session in sessions}
