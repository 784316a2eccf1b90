"""The web portal in a real browser (Debian's Chromium driven by Playwright): what a person does.

Register, open the verification link from the local mailbox, log in with the customer id,
land on the home, see the customer id at the top, open the account page and edit the profile.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, PageWatch
from playwright.sync_api import expect
from portal_axe import assert_accessible
from portal_texts import text

PASSWORD = "a long and personal passphrase 2026"


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    """Playwright's default size and waits (1280×720, 30 s), not conftest's page: only the language
    is set; CSP violations and uncaught errors fail the test as there."""
    context = browser.new_context(locale="fr-FR")
    watch = PageWatch(context)
    opened = context.new_page()
    yield opened
    context.close()
    watch.check()


def test_a_person_registers_verifies_logs_in_and_edits_the_profile(runtime: Any, page: Any) -> None:
    email = f"browser-{uuid.uuid4().hex[:8]}@example.org"

    page.goto(f"{runtime.url}/register")
    page.get_by_label(text("email"), exact=True).fill(email)
    page.get_by_label(text("password"), exact=True).fill(PASSWORD)
    page.get_by_label(text("first_name"), exact=True).fill("Ségolène")
    page.get_by_label(text("last_name"), exact=True).fill("Lambert")
    page.get_by_role("button", name=text("submit_register")).click()
    page.get_by_role("status").filter(has_text=text("registered")).wait_for()
    assert_accessible(page, "the account registered")

    mail = next(mail for mail in runtime.mail() if email in mail["to"])
    customer_id = re.search(r"\b(sl[0-9]{6}-[A-Z0-9]+)\b", mail["text"]).group(1)  # type: ignore[union-attr]
    link = re.search(r"https?://\S+/verify-email\?token=\S+", mail["text"]).group(0)  # type: ignore[union-attr]
    assert link.startswith(runtime.url)

    page.goto(link)
    page.get_by_role("status").filter(has_text=text("verified")).wait_for()
    assert_accessible(page, "the address verified")
    page.get_by_role("main").get_by_role("link", name=text("login"), exact=True).click()
    page.get_by_label(text("login_name")).fill(customer_id.lower())
    page.get_by_label(text("password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=text("submit_login"), exact=True).click()
    # a login lands on the home, the customer id at the top; the profile is the account page's
    page.get_by_role("heading", name=text("nav_home"), level=1).wait_for()
    expect(page.get_by_role("navigation").get_by_text(customer_id, exact=True)).to_be_visible()
    assert_accessible(page, "the home of a new customer")
    page.get_by_role("navigation").get_by_role("link", name=text("account")).click()
    profile = page.get_by_role("region", name=text("profile"))
    expect(profile.get_by_role("definition").filter(has_text=email)).to_have_count(1)
    assert_accessible(page, "the account page of a new customer")

    profile.get_by_text(text("edit"), exact=True).click()
    profile.get_by_label(text("company"), exact=True).fill("<b>Lambert & fils</b>")
    assert_accessible(page, "the profile's form open")
    profile.get_by_role("button", name=text("save")).click()
    # shown as typed, never interpreted as HTML
    expect(profile.get_by_role("definition").filter(has_text="<b>Lambert & fils</b>")).to_have_count(1)
    page.screenshot(path=str(Path(runtime.log).parent / "portal-account.png"), full_page=True)

    profile = runtime.post("/auth/login", json={"login": email, "password": PASSWORD}).json()
    me = runtime.get("/auth/me", headers={"Authorization": f"Bearer {profile['access_token']}"}).json()
    assert me["company"] == "<b>Lambert & fils</b>"


def test_the_portal_runs_under_its_policy_and_what_it_blocks_is_seen(runtime: Any, browser: Any) -> None:
    context = browser.new_context(locale="fr-FR")
    watch = PageWatch(context)
    opened = context.new_page()
    opened.goto(f"{runtime.url}/login")
    opened.get_by_label(text("password"), exact=True).wait_for()
    assert watch.problems == [], "the portal itself breaks its policy"

    # a script injected into the page (as an XSS would) does not run, and is reported
    opened.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        " document.body.append(s); }"
    )
    for _ in range(50):
        if watch.problems:
            break
        opened.wait_for_timeout(100)
    assert opened.evaluate("() => window.injected") is None
    assert any("script-src" in problem for problem in watch.problems), watch.problems
    context.close()


def test_personal_fields_tell_the_browser_what_it_may_fill_them_with(runtime: Any, page: Any) -> None:
    page.goto(f"{runtime.url}/register")
    tokens = {
        name: page.get_by_label(text(name), exact=True).get_attribute("autocomplete")
        for name in ("email", "password", "first_name", "last_name", "phone")
    }
    assert tokens == {
        "email": "email",
        "password": "new-password",
        "first_name": "given-name",
        "last_name": "family-name",
        "phone": "tel",
    }
    page.goto(f"{runtime.url}/login")
    # the login name, and a passkey offered among the field's suggestions
    login_name = page.get_by_label(text("login_name"))
    assert login_name.get_attribute("autocomplete") == "username webauthn"


def test_the_texts_follow_the_language_chosen_and_a_problem_stands_by_its_field(
    runtime: Any, page: Any
) -> None:
    """The catalogs (web/i18n) are fetched as JSON; an API 422 is said next to the field it is about."""
    texts = {
        language: {
            key: text
            for part in (REPO / "web" / "i18n" / language).glob("*.json")
            for key, text in json.loads(part.read_text()).items()
        }
        for language in ("fr", "en", "it")
    }
    catalogs: list[tuple[str, str]] = []
    page.on(
        "response",
        lambda answer: (
            catalogs.append((answer.url, answer.headers.get("content-type", "")))
            if "/i18n/" in answer.url
            else None
        ),
    )
    page.goto(f"{runtime.url}/login")
    expect(page.get_by_role("heading", name=texts["fr"]["login_title"])).to_be_visible()

    page.get_by_label("Langue / Language / Lingua").select_option("en")
    expect(page.get_by_role("heading", name=texts["en"]["login_title"])).to_be_visible()
    assert page.evaluate("() => document.documentElement.lang") == "en"
    page.get_by_label(texts["en"]["password"]).fill("not the right one")
    page.get_by_role("button", name=texts["en"]["submit_login"], exact=True).click()
    login = page.get_by_label(texts["en"]["login_name"])
    expect(login).to_have_attribute("aria-invalid", "true")
    expect(login).to_have_accessible_description(re.compile(r"\S"))  # the problem, said by its field
    expect(login).to_be_focused()
    assert_accessible(page, "the login refused, its problem by its field, in English")

    page.reload()  # the language chosen is kept
    expect(page.get_by_role("heading", name=texts["en"]["login_title"])).to_be_visible()
    page.get_by_label("Langue / Language / Lingua").select_option("it")
    expect(page.get_by_role("button", name=texts["it"]["submit_login"], exact=True)).to_be_visible()
    assert {"/".join(url.rsplit("/", 2)[-2:]) for url, _ in catalogs} >= {
        f"{language}/{part}.json"
        for language in ("fr", "en", "it")
        for part in ("common", "subscriptions", "invoices", "consumption")
    }
    assert all(kind.startswith("application/json") for _, kind in catalogs), catalogs
