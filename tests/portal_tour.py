"""A visit of every portal page a customer reaches, as a phone and as a desktop see it.

`tour(page, base_url)` follows the links of the logged-in portal from its home, breadth first,
visiting each of the portal's pages once (a page with an id in its address, such as one
invoice, once with the first id found) and, at every viewport, checks what a customer would
hit and no assertion of a journey looks at:
- the page scrolls sideways (an element wider than the screen: named, with its width);
- axe-core (the npm package, run in the page through the DevTools protocol, so the portal's
  Content-Security-Policy stays enforced) finds a serious or critical accessibility violation;
- a text of the portal's catalogs shows as its raw key (an untranslated text).
On a phone, the home is also checked with the header's menu open (its button). Each state is
saved as a screenshot under build/report/screenshots/, the evidence a reviewer opens. Console
errors and CSP violations fail the test through the `page` fixture's watch.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from guichet_contracts.web import PORTAL_PAGES
from playwright.sync_api import expect
from portal_axe import axe_violations, describe
from portal_texts import text

REPO = Path(__file__).resolve().parents[1]
CATALOGS = REPO / "web" / "i18n"
SCREENSHOTS = REPO / "build" / "report" / "screenshots"
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1366, "height": 900}}
# pages a visit must not open: they act (log out) or belong to a logged-out visitor
NOT_VISITED = {
    "login",
    "register",
    "verify-email",
    "forgot-password",
    "reset-password",
    "activate",
    "email-change/refuse",
    "close-session",
    "recover",
}

_OVERFLOW = r"""() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  const beyond = (element) => element.getBoundingClientRect().right > width + 1;
  const name = (element) => element.tagName.toLowerCase()
    + (element.className ? "." + String(element.className).trim().split(/\s+/).join(".") : "");
  return [...document.querySelectorAll("body *")]
    .filter((element) => beyond(element) && element.getClientRects().length)
    .filter((element) => ![...element.children].some(beyond))  // the innermost ones
    .slice(0, 5)
    .map((element) => `${name(element)} (right edge ${Math.round(element.getBoundingClientRect().right)}): `
      + element.textContent.trim().slice(0, 40));
}"""


@dataclass
class Findings:
    visited: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, where: str, kind: str, details: Iterable[str]) -> None:
        self.problems.extend(f"{where}: {kind}: {detail}" for detail in details)


def catalog_keys() -> set[str]:
    """Every key of the portal's message catalogs (web/i18n/<language>/<part>.json)."""
    keys: set[str] = set()
    for catalog in CATALOGS.glob("*/*.json"):
        keys |= set(json.loads(catalog.read_text(encoding="utf-8")))
    return keys


def _page_name(url: str) -> str | None:
    path = urlsplit(url).path.strip("/")
    return path if path in PORTAL_PAGES and path not in NOT_VISITED else None


def _ready(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    main = page.get_by_role("main")
    expect(main).to_have_attribute("aria-busy", "false")
    main.get_by_role("heading").first.wait_for()


def _links(page: Any, origin: str) -> list[str]:
    """The portal's addresses the page links to: every link of the document, those a folded menu
    or a closed panel hides too (a crawl, not a person's look: the only CSS of the tour)."""
    hrefs = page.eval_on_selector_all(
        "a[href^='/']", "(links) => links.map((link) => link.getAttribute('href'))"
    )
    return [origin + href for href in hrefs]


def check_state(page: Any, where: str, findings: Findings, keys: set[str], shot: Path) -> None:
    """The checks of one page at one viewport, and its screenshot."""
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    findings.add(where, "scrolls sideways", page.evaluate(_OVERFLOW))
    findings.add(where, "accessibility", map(describe, axe_violations(page)))
    words = set(re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", page.inner_text("body")))
    findings.add(where, "untranslated text", sorted(words & keys))


def check_menu(page: Any, where: str, findings: Findings, keys: set[str], shot: Path) -> None:
    """The header's menu, opened on a phone (its button), checked as a page is; closed again."""
    button = page.get_by_role("button", name=text("menu"))
    if not button.is_visible():
        findings.add(where, "menu", ["no menu button on a phone"])
        return
    button.click()
    links = page.get_by_role("navigation", name=text("main_navigation")).get_by_role("link")
    if button.get_attribute("aria-expanded") != "true" or not links.first.is_visible():
        findings.add(where, "menu", ["the menu button does not open the navigation"])
    check_state(page, where, findings, keys, shot)
    button.click()


def logged_out_tour(page: Any, base_url: str) -> Findings:
    """The pages of a visitor not logged in (login, registration, recovery, the links of emails
    opened without their token), at each viewport, checked as the customer's pages are."""
    findings = Findings()
    keys = catalog_keys()
    for name in sorted(NOT_VISITED):
        for viewport_name, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            page.goto(f"{base_url}/{name}")
            _ready(page)
            shot = SCREENSHOTS / "visitor" / f"{name.replace('/', '_')}-{viewport_name}.png"
            check_state(page, f"visitor /{name} at {size['width']} px", findings, keys, shot)
        findings.visited.append(f"/{name}")
    return findings


def tour(page: Any, base_url: str, profile: str) -> Findings:
    """Every page reachable from the home of a logged-in customer, at each viewport."""
    findings = Findings()
    keys = catalog_keys()
    queue, seen = [base_url + "/"], set()
    while queue:
        url = queue.pop(0)
        name = "" if urlsplit(url).path == "/" else _page_name(url)
        if name is None or name in seen:
            continue
        seen.add(name)
        for viewport_name, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            page.goto(url)
            _ready(page)
            where = f"{profile} /{name} at {size['width']} px"
            check_state(
                page,
                where,
                findings,
                keys,
                SCREENSHOTS / profile / f"{name.replace('/', '_') or 'home'}-{viewport_name}.png",
            )
            if viewport_name == "phone" and not findings.visited:
                check_menu(
                    page, f"{where}, menu open", findings, keys, SCREENSHOTS / profile / "menu-phone.png"
                )
        findings.visited.append(f"/{name}")
        queue.extend(_links(page, base_url))
    return findings
