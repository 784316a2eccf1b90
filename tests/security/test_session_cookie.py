"""The session cookie of the auth service (services/auth/chalicelib/session_cookie.py) over the
local runtime, as an attacker would try it: the cookie's attributes, a refresh or logout by the
cookie without the forgery header, logout clearing it, a replayed cookie token taken as theft,
and CORS with credentials for the portal's origin alone.

`requests` (http.cookiejar) keeps the cookie it is given but never sends a Secure cookie over
plain http, even to 127.0.0.1 (DefaultCookiePolicy.return_ok_secure): each request here sends
the Cookie header itself, as a browser would."""

from __future__ import annotations

from typing import Any

import requests
from guichet_contracts.web import portal_origin

from .test_headers_and_errors import STRANGER
from .world import PASSWORD, World, said

COOKIE = "the session cookie: its attributes, refresh and logout without the forgery header, logout, replay"
HEADER = {"X-Guichet-Session": "cookie"}


def cookie_login(world: World, *, remember: bool) -> tuple[requests.Response, str]:
    email = world.password_only.email
    body = {"login": email, "password": PASSWORD, "cookie": True, "remember": remember}
    answer = world.runtime.post("/auth/login", json=body)
    assert answer.status_code == 200, said(answer)
    return answer, answer.cookies.get("guichet_refresh") or ""


def by_cookie(world: World, path: str, token: str, **headers: str) -> requests.Response:
    return world.runtime.post(path, json={}, headers={"Cookie": f"guichet_refresh={token}", **headers})


def attributes(answer: requests.Response) -> dict[str, str]:
    """The session cookie's attributes, of the Set-Cookie headers (the device cookie's apart)."""
    headers = answer.raw.headers.getlist("Set-Cookie")
    header = next(
        (one for one in headers if one.startswith("guichet_refresh=")), headers[0] if headers else ""
    )
    parts = [part.strip() for part in header.split(";")]
    found = {"value": parts[0].partition("=")[2]} if parts[0].startswith("guichet_refresh=") else {}
    for part in parts[1:]:
        name, _, value = part.partition("=")
        found[name.lower()] = value
    return found


def test_the_session_cookie_holds_against_forgery_and_replay(world: World) -> None:
    failures: list[str] = []

    def check(case: str, held: bool, answer: Any) -> None:
        world.tally.record(COOKIE, held=held)
        if not held:
            failures.append(f"{case}: {said(answer)} Set-Cookie {answer.headers.get('Set-Cookie')!r}")

    # the cookie: HttpOnly, Secure, SameSite=Strict, Path=/auth; Max-Age only when remembered
    for remember in (True, False):
        login, token = cookie_login(world, remember=remember)
        given = attributes(login)
        expected = {"httponly", "secure", "samesite", "path"} | ({"max-age"} if remember else set())
        check(
            f"login remember={remember}: the cookie's attributes",
            bool(token)
            and "refresh_token" not in login.json()
            and set(given) - {"value"} == expected
            and given["samesite"] == "Strict"
            and given["path"] == "/auth"
            and (not remember or int(given["max-age"]) >= 86400),
            login,
        )
    # refresh and logout by the cookie without the header (or with another value, or from a
    # stranger's page): refused, and the token still works afterwards
    _, token = cookie_login(world, remember=True)
    for path in ("/auth/refresh", "/auth/logout"):
        for headers in ({}, {"X-Guichet-Session": "1"}, {"Origin": STRANGER}):
            answer = by_cookie(world, path, token, **headers)
            check(f"{path} by the cookie with {headers}", answer.status_code == 403, answer)
    alive = by_cookie(world, "/auth/refresh", token, **HEADER)
    check("the cookie's token after the refused requests", alive.status_code == 200, alive)
    # a replayed (rotated) cookie token ends its session, and the 401 clears the cookie
    second = attributes(alive).get("value", "")
    third = attributes(by_cookie(world, "/auth/refresh", second, **HEADER)).get("value", "")
    replay = by_cookie(world, "/auth/refresh", token, **HEADER)
    check(
        "a rotated cookie token replayed",
        replay.status_code == 401 and attributes(replay).get("max-age") == "0",
        replay,
    )
    after = by_cookie(world, "/auth/refresh", third, **HEADER)
    check("the newest token of a family revoked by a replay", after.status_code == 401 and bool(third), after)
    # logout clears the cookie and ends the session
    _, token = cookie_login(world, remember=False)
    logout = by_cookie(world, "/auth/logout", token, **HEADER)
    given = attributes(logout)
    check(
        "logout by the cookie",
        logout.status_code == 204 and given.get("value") == "" and given.get("max-age") == "0",
        logout,
    )
    dead = by_cookie(world, "/auth/refresh", token, **HEADER)
    check("the cookie's token after logout", dead.status_code == 401, dead)
    assert not failures, "\n".join(failures)


def test_credentials_are_allowed_to_the_portals_origin_alone(world: World) -> None:
    portal = portal_origin(world.runtime.url)
    failures = []
    for origin in (portal, STRANGER, "null"):
        preflight = world.runtime.request(
            "OPTIONS",
            "/auth/refresh",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-guichet-session",
            },
        )
        _, token = cookie_login(world, remember=False)
        answer = by_cookie(world, "/auth/refresh", token, Origin=origin, **HEADER)
        for case, response in (("preflight", preflight), ("refresh", answer)):
            allowed = response.headers.get("Access-Control-Allow-Origin")
            credentials = response.headers.get("Access-Control-Allow-Credentials")
            if origin == portal:
                held = allowed == portal and credentials == "true"
                if case == "preflight":
                    held = (
                        held
                        and "x-guichet-session"
                        in (response.headers.get("Access-Control-Allow-Headers") or "").lower()
                    )
            else:
                held = allowed in (None, portal) and allowed != "*"
            world.tally.record(COOKIE, held=held)
            if not held:
                failures.append(f"{case} from {origin}: {said(response)} {dict(response.headers)}")
    assert not failures, "\n".join(failures)


def test_requests_keeps_a_secure_cookie_but_never_sends_it_over_plain_http(world: World) -> None:
    """What a client library does with the cookie on the local runtime (http://127.0.0.1): the
    jar stores it, and leaves it out of requests over http (a browser treats 127.0.0.1 as a
    secure context and sends it)."""
    session = requests.Session()
    email = world.password_only.email
    body = {"login": email, "password": PASSWORD, "cookie": True}
    login = session.post(world.runtime.url + "/auth/login", json=body, timeout=30)
    refresh = session.post(world.runtime.url + "/auth/refresh", json={}, headers=HEADER, timeout=30)

    assert login.status_code == 200 and session.cookies.get("guichet_refresh")
    assert refresh.status_code == 422, said(refresh)  # no cookie sent: the token is missing
