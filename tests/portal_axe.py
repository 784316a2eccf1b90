"""axe-core in a page of the browser tests: `assert_accessible(page, "the state reached")`.

The npm package's axe.min.js (package.json; `make node_modules/.installed` installs it) is run in
the page through the DevTools protocol, so the portal's Content-Security-Policy stays enforced;
it is injected once per document. A serious or critical violation fails the test, each named
with its rule, its help and the elements it found (at most three per rule). A browser test calls
it at every state it reaches: a page loaded, a form showing its errors, a step of a checkout, the
menu open on a phone, an empty list... (tests/portal_tour.py runs the same check on every page).
A native dialog (window.confirm) is the browser's own and blocks the page: nothing to check then.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
_SETTLED = "() => document.querySelector('main')?.getAttribute('aria-busy') !== 'true'"
_AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((violation) => ({
    id: violation.id, impact: violation.impact, help: violation.help,
    nodes: violation.nodes.slice(0, 3).map((node) => node.target.join(" ")),
  }));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical violations axe-core finds in the page once it has settled: while
    a page of the portal loads, its `main` is aria-busy and dimmed (portal.css), a state no
    reader is meant to read."""
    page.wait_for_function(_SETTLED)
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        assert AXE.is_file(), "axe-core is missing: `make node_modules/.installed` installs it (npm ci)"
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return [violation for violation in page.evaluate(_AXE_RUN) if violation["impact"] in SERIOUS]


def describe(violation: dict[str, Any]) -> str:
    return f"{violation['impact']} {violation['id']} ({violation['help']}) at {violation['nodes']}"


def assert_accessible(page: Any, state: str) -> None:
    """Fails on any serious or critical axe-core violation of the page in this `state`."""
    found = axe_violations(page)
    assert not found, f"{state} ({page.url}): axe-core finds\n" + "\n".join(map(describe, found))
