"""Every answer carries the security headers, no answer opens CORS to any origin, and no error
body shows a stack trace, an exception's class or a file path.

Each service is asked for successes and provoked into each error it can answer (400 malformed,
401, 404, 405, 409, 415, 422; consumption takes no body, so no 400, 409 or 415 there), with an
`Origin` of a stranger's site; the portal's pages are read too.
"""

from __future__ import annotations

import re
from typing import Any

from guichet_contracts.web import PORTAL_SECURITY_HEADERS, SECURITY_HEADERS, portal_origin

from .world import World, altered, said

STRANGER = "https://attacker.example"
# what a framework or interpreter would put in an answer about its own failure
LEAKS = re.compile(
    r"Traceback|File \"|\.py\b|site-packages|/work/|/usr/|\bline \d+|"
    r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b|\bpydantic\b|\bbotocore\b|\bpynamodb\b|errors\.pydantic\.dev"
)
JWKS_CACHE = "public, max-age=300"
PORTAL_PAGES = ("/", "/login", "/my-invoices", "/portal.js", "/portal.css")


def provocations(world: World) -> list[tuple[int, str, str, dict[str, str], Any]]:
    """(expected status, method, path, headers, raw body) of each error each service can answer."""
    a = world.customers[0]
    token = {"Authorization": f"Bearer {world.signer.access(a.customer.customer_id)}"}
    as_json = {**token, "Content-Type": "application/json"}
    as_text = {**token, "Content-Type": "text/plain"}
    pay = {**as_json, "Idempotency-Key": "sec-errors-payment"}
    invoice, subscription, meter = a.ids["invoice_id"], a.ids["subscription_id"], a.ids["meter_id"]
    return [
        # auth
        (400, "POST", "/auth/login", {"Content-Type": "application/json"}, b'{"login": '),
        (401, "GET", "/auth/me", {}, None),
        (404, "GET", f"/auth/me/contacts/{altered(a.ids['contact_id'])}", token, None),
        (404, "GET", "/auth/no-such-route", token, None),
        (405, "DELETE", "/auth/login", {}, None),
        (409, "PATCH", "/auth/me", as_json, b'{"phone": "06 47 28 45 61"}'),
        (415, "POST", "/auth/me/contacts", as_text, b"name=Eva"),
        (422, "POST", "/auth/me/contacts", as_json, b'{"name": "Eva", "roles": ["boss"]}'),
        # subscriptions
        (400, "PATCH", f"/subscriptions/{subscription}", as_json, b"[1, 2"),
        (401, "GET", "/subscriptions", {"Authorization": "Bearer x.y.z"}, None),
        (404, "GET", f"/subscriptions/{altered(subscription)}", token, None),
        (405, "PUT", f"/subscriptions/{subscription}", token, None),
        (409, "POST", f"/subscriptions/{subscription}/confirm", token, None),
        (415, "POST", "/subscriptions/appointments", as_text, b"start=now"),
        (422, "GET", "/subscriptions?status=everything", token, None),
        # invoices
        (400, "PUT", "/invoices/bank-account", as_json, b"\xff\xfe{"),
        (401, "GET", f"/invoices/{invoice}/pdf", {}, None),
        (404, "GET", f"/invoices/{altered(invoice)}", token, None),
        (405, "DELETE", f"/invoices/{invoice}", token, None),
        (
            409,
            "POST",
            f"/invoices/{a.ids['invoice_id']}/payments",
            pay,
            b'{"method": "card", "card_token": "tok_visa"}',
        ),
        (415, "PATCH", "/invoices/preferences", as_text, b"paperless=1"),
        (422, "GET", "/invoices?from=2001-01", token, None),
        # consumption
        (401, "GET", f"/consumption/meters/{meter}/summary", {}, None),
        (404, "GET", f"/consumption/meters/{altered(meter)}/series", token, None),
        (405, "POST", "/consumption/meters", token, None),
        (422, "GET", f"/consumption/meters/{meter}/series?step=fortnight", token, None),
        # the gateway's own (API Gateway's on AWS): no page, no route
        (404, "GET", "/no-such-page", {}, None),
    ]


def successes(world: World) -> list[tuple[str, str, dict[str, str], Any]]:
    a = world.customers[0]
    token = {"Authorization": f"Bearer {world.signer.access(a.customer.customer_id)}"}
    answers: list[tuple[str, str, dict[str, str], Any]] = []
    for service in ("auth", "subscriptions", "invoices", "consumption"):
        answers += [("GET", f"/{service}/health", {}, None), ("GET", f"/{service}/openapi.json", {}, None)]
    answers += [
        ("POST", "/auth/login", {"Content-Type": "application/json"}, None),
        ("GET", "/auth/.well-known/jwks.json", {}, None),
        ("GET", "/auth/me", token, None),
        ("GET", f"/subscriptions/{a.ids['subscription_id']}", token, None),
        ("GET", f"/invoices/{a.ids['invoice_id']}/pdf", token, None),
        ("GET", f"/consumption/meters/{a.ids['meter_id']}/export.csv", token, None),
    ]
    return answers


def header_problems(answer: Any, required: dict[str, str], *, service: bool) -> list[str]:
    problems = []
    for name, value in required.items():
        given = answer.headers.get(name)
        if given != value:
            problems.append(f"{name}: {given!r} (expected {value!r})")
    if service and not answer.headers.get("X-Correlation-Id"):
        problems.append("no X-Correlation-Id")
    origin = answer.headers.get("Access-Control-Allow-Origin")
    credentials = (answer.headers.get("Access-Control-Allow-Credentials") or "").lower() == "true"
    if origin == STRANGER or (origin == "*" and credentials):
        problems.append(f"CORS open to {STRANGER}: Allow-Origin {origin!r}, credentials {credentials}")
    return problems


def test_no_error_body_shows_the_code_behind_it(world: World) -> None:
    b = world.customers[1]
    phone = world.runtime.request(
        "PATCH",
        "/auth/me",
        json={"phone": "06 47 28 45 61"},
        headers={"Authorization": f"Bearer {world.signer.access(b.customer.customer_id)}"},
    )
    assert phone.status_code == 200, f"customer B takes a phone number first: {said(phone)}"
    failures = []
    for status, method, path, headers, data in provocations(world):
        answer = world.runtime.request(method, path, headers={**headers, "Origin": STRANGER}, data=data)
        case = f"{method} {path} (to provoke a {status})"
        if answer.status_code != status:
            failures.append(f"{case}: {said(answer)}")
            continue
        try:
            error = answer.json()["error"]
            assert isinstance(error["code"], str) and isinstance(error["message"], str)
        except (ValueError, KeyError, TypeError, AssertionError):
            failures.append(f"{case}: not the error body of API.md: {said(answer)}")
            continue
        if leak := LEAKS.search(answer.text):
            failures.append(f"{case}: the body shows {leak.group(0)!r}: {said(answer)}")
        # an unknown route or page is answered by the gateway (API Gateway on AWS), not a service
        service = "/no-such-" not in path
        failures += [
            f"{case}: {problem}" for problem in header_problems(answer, SECURITY_HEADERS, service=service)
        ]
    assert not failures, "\n".join(failures)


def test_every_answer_carries_the_security_headers_and_no_open_cors(world: World) -> None:
    a = world.customers[0]
    failures = []
    for method, path, headers, data in successes(world):
        if path == "/auth/login":
            data = f'{{"login": "{a.customer.email}", "password": "a long and personal passphrase 2026"}}'
        answer = world.runtime.request(method, path, headers={**headers, "Origin": STRANGER}, data=data)
        case = f"{method} {path} (a success)"
        if answer.status_code != 200:
            failures.append(f"{case}: {said(answer)}")
        # public keys may be cached; nothing else may (tokens, personal data)
        required = {**SECURITY_HEADERS, "Cache-Control": JWKS_CACHE} if "jwks" in path else SECURITY_HEADERS
        failures += [f"{case}: {problem}" for problem in header_problems(answer, required, service=True)]
    for service in ("auth", "subscriptions", "invoices", "consumption"):
        preflight = world.runtime.request(
            "OPTIONS",
            f"/{service}/health",
            headers={"Origin": STRANGER, "Access-Control-Request-Method": "GET"},
        )
        failures += [
            f"OPTIONS /{service}/health (a CORS preflight): {problem}"
            for problem in header_problems(preflight, SECURITY_HEADERS, service=False)
        ]
    for page in PORTAL_PAGES:
        answer = world.runtime.get(page, headers={"Origin": STRANGER})
        case = f"GET {page} (the portal)"
        if answer.status_code != 200:
            failures.append(f"{case}: {said(answer)}")
        failures += [
            f"{case}: {problem}"
            for problem in header_problems(answer, PORTAL_SECURITY_HEADERS, service=False)
        ]
    assert not failures, "\n".join(failures)


def test_the_portals_origin_alone_reads_the_answers_errors_included(world: World) -> None:
    """Deployed with the API on a domain of its own, the portal calls it cross-origin: every
    answer to the portal's origin (GUICHET_PUBLIC_URL's) allows it, a 401 and a 404 too, and
    says which headers it may read (Retry-After); a stranger's is never allowed."""
    portal = portal_origin(world.runtime.url)  # the local runtime's GUICHET_PUBLIC_URL
    assert portal
    token = {"Authorization": f"Bearer {world.signer.access(world.customers[0].customer.customer_id)}"}
    failures = []
    for service, protected, missing in (
        ("auth", "/auth/me", "/auth/me/contacts/no-such-contact"),
        ("subscriptions", "/subscriptions/dashboard", "/subscriptions/no-such-subscription"),
        ("invoices", "/invoices/schedule", "/invoices/no-such-invoice"),
        ("consumption", "/consumption/meters", "/consumption/meters/no-such-meter/summary"),
    ):
        for path, status, headers in (
            (f"/{service}/health", 200, {}),
            (protected, 401, {}),
            (missing, 404, token),
        ):
            for origin, allowed in ((portal, portal), (STRANGER, None)):
                answer = world.runtime.get(path, headers={**headers, "Origin": origin})
                given = answer.headers.get("Access-Control-Allow-Origin")
                case = f"GET {path} from {origin}"
                if answer.status_code != status:
                    failures.append(f"{case}: {said(answer)}")
                if allowed and given != allowed:
                    failures.append(f"{case}: Allow-Origin {given!r}, expected {allowed!r}")
                if allowed and "Retry-After" not in (
                    answer.headers.get("Access-Control-Expose-Headers") or ""
                ):
                    failures.append(f"{case}: Retry-After not exposed")
                if given in (origin, "*") and not allowed:
                    failures.append(f"{case}: allowed ({given!r})")
    assert not failures, "\n".join(failures)
