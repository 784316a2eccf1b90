"""The auth service's session cookie in a real browser (Debian's Chromium driven by Playwright) on
the local runtime, over plain http on 127.0.0.1: Chromium takes http://127.0.0.1 as a secure
context, so it keeps the Secure cookie, sends it to /auth, hides it from scripts, and drops it
at logout. (A client library need not: `requests` keeps it but never sends a Secure cookie over
http, tests/security/test_session_cookie.py.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import PageWatch
from customers import PASSWORD, verified_customer
from portal_axe import assert_accessible
from portal_texts import text

# what the portal will do: log in asking for the cookie, then refresh and log out by it
JOURNEY = """async ([name, password]) => {
    const json = {"Content-Type": "application/json"};
    const session = {...json, "X-Guichet-Session": "cookie"};
    const post = (path, headers, body) => fetch(path, {method: "POST", headers, body});
    const asked = JSON.stringify({login: name, password, cookie: true, remember: true});
    const login = await post("/auth/login", json, asked);
    const logged = await login.json();
    const cookieSeen = document.cookie;
    const refresh = await post("/auth/refresh", session, "{}");
    const refreshed = await refresh.json();
    const forged = await post("/auth/refresh", json, "{}");
    const logout = await post("/auth/logout", session, "{}");
    const after = await post("/auth/refresh", session, "{}");
    return {
        secureContext: window.isSecureContext, cookieSeen,
        login: [login.status, Object.keys(logged).sort()],
        refresh: [refresh.status, Object.keys(refreshed).sort(), refreshed.session_id === logged.session_id],
        forged: forged.status, logout: logout.status, after: after.status,
    };
}"""


def test_chromium_keeps_the_secure_cookie_on_http_127_0_0_1_and_drops_it_at_logout(
    runtime: Any, browser: Any
) -> None:
    customer = verified_customer(runtime, "cookie", first_name="Ada", last_name="Lovelace")
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{runtime.url}/login")

        result = page.evaluate(JOURNEY, [customer.email, PASSWORD])
        left = [cookie["name"] for cookie in context.cookies()]
    finally:
        context.close()

    keys = ["access_token", "expires_in", "session_id", "token_type"]
    assert result == {
        "secureContext": True,
        "cookieSeen": "",  # HttpOnly: no script reads it
        "login": [200, keys],
        "refresh": [200, keys, True],  # the cookie went with the request
        "forged": 403,  # without X-Guichet-Session
        "logout": 204,
        "after": 422,  # no cookie any more: no refresh token at all
    }
    assert left == ["guichet_device"]  # the session's gone; the device stays known (login notices)


def session_cookies(context: Any) -> list[dict[str, Any]]:
    """The browser's session cookies (beside the device cookie of login notices, which outlives them)."""
    return [cookie for cookie in context.cookies() if cookie["name"] == "guichet_refresh"]


def _log_in(page: Any, url: str, email: str, *, remember: bool) -> None:
    page.goto(f"{url}/my-invoices")  # a page asked for before the login, as a link in an email
    page.get_by_label(text("login_name")).fill(email)
    page.get_by_label(text("password"), exact=True).fill(PASSWORD)
    if remember:
        page.get_by_label(text("stay_signed_in")).check()
    page.get_by_role("button", name=text("submit_login")).click()
    page.get_by_role("heading", name=text("nav_invoices"), level=1).wait_for()
    assert_accessible(page, "the invoices of a new customer, none yet")


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A browser of its own, in French at Paris time; CSP violations and uncaught errors fail the test."""
    opened = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    watch = PageWatch(opened)
    opened.set_default_timeout(15_000)
    yield opened
    opened.close()
    watch.check()


def test_the_portal_session_survives_a_new_tab_and_a_logout_ends_it_in_every_tab(
    runtime: Any, context: Any
) -> None:
    customer = verified_customer(runtime, "tabs", first_name="Grace", last_name="Hopper")
    first = context.new_page()

    # When the customer logs in asking to stay signed in
    _log_in(first, runtime.url, customer.email, remember=True)

    # Then the refresh token is in the auth service's cookie, for 30 days, and nowhere a script reads
    (cookie,) = session_cookies(context)
    assert (cookie["name"], cookie["path"], cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (
        "guichet_refresh",
        "/auth",
        True,
        True,
        "Strict",
    )
    assert cookie["expires"] - time.time() > 29 * 86400
    stored = first.evaluate("() => [...Object.entries(sessionStorage), ...Object.entries(localStorage)]")
    assert cookie["value"] not in str(stored)
    assert not [name for name, value in stored if "token" in name or value.count(".") == 2], stored  # no JWT

    # And a second tab (a link from an email) opens the page without a login
    second = context.new_page()
    second.goto(f"{runtime.url}/account")
    second.get_by_role("heading", name=text("profile")).wait_for()
    assert "/login" not in second.url

    # When the customer logs out in the first tab
    first.get_by_role("button", name=text("logout")).click()
    first.wait_for_url("**/login")

    # Then the cookie is gone and the other tab is back to the login
    assert session_cookies(context) == []
    second.wait_for_url("**/login**")


def test_without_stay_signed_in_the_session_ends_with_the_browser(runtime: Any, context: Any) -> None:
    customer = verified_customer(runtime, "no-remember", first_name="Alan", last_name="Turing")

    _log_in(context.new_page(), runtime.url, customer.email, remember=False)

    (cookie,) = session_cookies(context)
    assert cookie["expires"] == -1  # a session cookie: gone when the browser closes
