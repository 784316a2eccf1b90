"""A login from a new device, told by mail, and its session closed from the mail's link in the
portal (services/auth/chalicelib/login_notices.py; conftest's `page`: French; a CSP violation or an
uncaught error fails the test)."""

from __future__ import annotations

import re
from typing import Any

from customers import PASSWORD, verified_customer
from playwright.sync_api import expect
from portal_axe import assert_accessible
from portal_texts import text

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def test_a_stranger_s_session_is_closed_from_the_link_of_the_login_notice(runtime: Any, page: Any) -> None:
    # Given a customer, and someone else logging in to the account from another network and browser
    customer = verified_customer(runtime, "login-notice", first_name="Inès", last_name="Morel", language="fr")
    stranger = runtime.post(
        "/auth/login",
        json={"login": customer.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.50", "User-Agent": FIREFOX},
    )
    assert stranger.status_code == 200, stranger.text

    # When the customer opens the link of the notice mailed, and closes that session
    notice = next(
        mail for mail in runtime.mail() if customer.email in mail["to"] and "close-session" in mail["text"]
    )
    assert customer.customer_id in notice["text"] and "Firefox, Windows" in notice["text"]
    link = re.search(r"https?://\S+/close-session\?token=\S+", notice["text"]).group(0)  # type: ignore[union-attr]
    page.goto(link)
    assert_accessible(page, "the page closing a session")
    page.get_by_role("button", name=text("close_session")).click()

    # Then the portal says it is closed and offers a new password; the stranger is signed out
    expect(page.get_by_role("status")).to_have_text(text("session_closed"))
    expect(page.get_by_role("main").get_by_role("link", name=text("choose_new_password"))).to_be_visible()
    assert_accessible(page, "the session closed")
    refused = runtime.post("/auth/refresh", json={"refresh_token": stranger.json()["refresh_token"]})
    assert refused.status_code == 401, refused.text
