"""The refresh token in a cookie, for the web portal: a browser keeps it where no script reads it.

At login, `"cookie": true` asks for it: the answer sets the refresh token in the cookie `NAME`
(HttpOnly, Secure, SameSite=Strict, Path=/auth: sent to refresh and logout, and to nothing outside
the auth service) and leaves it out of its body, which keeps the access token (for the page's
memory only). `"remember": true` ("stay signed in") gives the cookie a Max-Age, the seconds the
refresh token has left; without it the cookie lasts the browser's session. POST /auth/refresh
and POST /auth/logout take the token from the cookie when their body has none; refresh rotates it
and sets the successor, logout and a refused refresh clear it.

Cross-site request forgery: a request authenticated by the cookie must carry the header
`HEADER: HEADER_VALUE`, else 403. A page of another site cannot send it: a custom header makes
the browser ask first (a CORS preflight), and the API allows only the portal's origin
(guichet_contracts.web); besides, SameSite=Strict keeps the browser from sending the cookie with
any request another site starts. The header, rather than an Origin check, works the same behind
every proxy and on the local runtime, where the portal and the API share one origin.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING

from .errors import SessionHeaderRequired

if TYPE_CHECKING:
    from chalice.app import Request

NAME = "guichet_refresh"
PATH = "/auth"
HEADER = "X-Guichet-Session"
HEADER_VALUE = "cookie"


def setting(refresh_token: str, max_age: int | None) -> str:
    """The Set-Cookie value holding `refresh_token`: for `max_age` seconds, or the browser's session."""
    cookie = f"{NAME}={refresh_token}; Path={PATH}; HttpOnly; Secure; SameSite=Strict"
    return cookie if max_age is None else f"{cookie}; Max-Age={max_age}"


def clearing() -> str:
    """The Set-Cookie value that removes the cookie."""
    return f"{NAME}=; Path={PATH}; HttpOnly; Secure; SameSite=Strict; Max-Age=0"


def presented(request: Request) -> str | None:
    """The refresh token of the request's cookie, or None (no cookie, or an unreadable header)."""
    return cookie_value(request, NAME)


def cookie_value(request: Request, name: str) -> str | None:
    """The value of the request's cookie `name`, or None (no such cookie, or an unreadable header)."""
    header = request.headers.get("cookie")
    if not isinstance(header, str) or name not in header:
        return None
    try:
        jar = SimpleCookie(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None and morsel.value else None


def check_header(request: Request) -> None:
    """A request authenticated by the cookie carries HEADER (see the module's docstring), else 403."""
    if (request.headers.get(HEADER.lower()) or "").strip().lower() != HEADER_VALUE:
        raise SessionHeaderRequired()
