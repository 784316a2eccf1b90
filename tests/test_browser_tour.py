"""Every page of the portal, for every demo customer, as a 360 px phone and a 1366 px desktop see
it (tests/portal_tour.py): no sideways scrolling, no serious or critical axe-core violation, no
raw catalog key, no console error or CSP violation; a screenshot of each state in
build/report/screenshots/<customer>/. The demo customers cover every family of contract
(services/auth/demo.py), so every page shows what each profile has.
"""

from __future__ import annotations

from typing import Any

import pytest
from portal_axe import AXE
from portal_tour import NOT_VISITED, logged_out_tour, tour

PASSWORD = "Guichet-demo-2026!"  # services/auth/demo.py
CUSTOMERS = ["abonne", "stockage", "surplus", "verte", "mobile", "hebergement"]


def _log_in(page: Any, base_url: str, login: str) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("Identifiant client, e-mail ou téléphone").fill(login)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.mark.timeout(900)  # some 20 pages at two widths, each checked: 40 s alone, minutes on a busy machine
@pytest.mark.parametrize("customer", CUSTOMERS)
def test_every_page_reads_well_on_a_phone_and_a_desktop(demo_runtime: Any, page: Any, customer: str) -> None:
    assert AXE.is_file(), "axe-core is missing: make installs it (npm ci)"
    page.clock.set_fixed_time(demo_runtime.now())  # the demo's day, as the data says
    _log_in(page, demo_runtime.url, f"{customer}@demo.guichet.test")

    findings = tour(page, demo_runtime.url, customer)

    assert len(findings.visited) >= 8, findings.visited
    assert not findings.problems, f"{len(findings.problems)} problems:\n" + "\n".join(findings.problems)


@pytest.mark.timeout(600)
def test_the_pages_of_a_visitor_not_logged_in_read_well_on_a_phone_and_a_desktop(
    demo_runtime: Any, page: Any
) -> None:
    findings = logged_out_tour(page, demo_runtime.url)

    assert len(findings.visited) == len(NOT_VISITED), findings.visited
    assert not findings.problems, f"{len(findings.problems)} problems:\n" + "\n".join(findings.problems)
