"""The auth service's session cookie in a real browser (Debian's Chromium driven by Playwright) on
the local runtime, over plain http on 127.0.0.1: Chromium takes http://127.0.0.1 as a secure
context, so it keeps the Secure cookie, sends it to /auth, hides it from scripts, and drops it
at logout. (A client library need not: `requests` keeps it but never sends a Secure cookie over
http, tests/security/test_session_cookie.py.)"""

from __future__ import annotations

from typing import Any

from customers import PASSWORD, verified_customer

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
        left = context.cookies()
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
    assert left == []
