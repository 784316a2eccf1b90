"""The browser tests find what a person finds: an element by its role and accessible name
(get_by_role, get_by_label), a visible text (get_by_text), never by the portal's markup (an id, a
class, an attribute, a tag: CSS that a redesign changes and no user sees). This reads the source of
every tests/test_browser_*.py and fails on a CSS or `text=` selector given to Playwright
(page.locator, query_selector, wait_for_selector, eval_on_selector, page.click("...")...), on a
selector made at run time (which it cannot read), or on a querySelector of an id, a class or an
attribute inside a script the test runs in the page.

EXCEPTIONS lists what no role names, each with its reason. An element a user relies on that has
no role or name is a defect of the portal (web/), fixed there, not listed here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
BROWSER_TESTS = sorted(TESTS.glob("test_browser_*.py"))

# the methods whose first argument is a selector, on a page, a frame or a locator
SELECTING = {
    "locator",
    "query_selector",
    "query_selector_all",
    "wait_for_selector",
    "eval_on_selector",
    "eval_on_selector_all",
    "frame_locator",
}
# a page's shortcuts taking a selector first; the locator's own method of the same name takes no
# argument (click()) or one (fill(value)): a selector is there when the call has one more
SHORTCUTS_NO_ARGUMENT = {
    "click",
    "dblclick",
    "tap",
    "check",
    "uncheck",
    "hover",
    "focus",
    "inner_text",
    "inner_html",
    "text_content",
    "input_value",
    "is_visible",
    "is_hidden",
    "is_enabled",
    "is_disabled",
    "is_checked",
    "is_editable",
}
SHORTCUTS_ONE_ARGUMENT = {
    "fill",
    "type",
    "press",
    "get_attribute",
    "select_option",
    "set_checked",
    "set_input_files",
    "dispatch_event",
}
IN_A_SCRIPT = re.compile(r"""(?:querySelector(?:All)?|matches|closest)\(\s*['"`][^'"`]*[#.\[]""")

# file -> selector -> why no role or name can find it (what the test measures is the markup itself)
EXCEPTIONS: dict[str, dict[str, str]] = {
    "test_browser_consumption.py": {
        "g.bar": "the chart's bars: SVG shapes, counted against the API's points (the chart's text "
        "alternative, its table and its aria-label, is read by role elsewhere in the test)",
        "rect.peak": "a bar's peak part, an SVG shape: its count is the API's months read",
        "rect.off-peak": "a bar's off-peak part, an SVG shape",
        "rect.injected": "a bar's injected part, an SVG shape",
        "rect.previous": "last year's bar, an SVG shape",
    },
}


def _literal(node: ast.AST) -> str | None:
    """The text of a string or f-string argument ({} for what an f-string fills in)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
    return None


def selectors(source: str) -> list[tuple[int, str]]:
    """Each (line, selector) given to Playwright in `source`, and each query of markup in a script."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, count = node.func.attr, len(node.args)
            takes = (
                method in SELECTING
                or (method in SHORTCUTS_NO_ARGUMENT and count >= 1)
                or (method in SHORTCUTS_ONE_ARGUMENT and count >= 2)
            )
            if takes and node.args:
                # a selector made at run time is one the rule cannot read: refused as well
                selector = _literal(node.args[0])
                found.append((node.lineno, selector if selector is not None else ast.unparse(node.args[0])))
        text = _literal(node) if isinstance(node, ast.Constant | ast.JoinedStr) else None
        if text and IN_A_SCRIPT.search(text):
            found.append((node.lineno, IN_A_SCRIPT.search(text).group(0)))  # type: ignore[union-attr]
    return sorted(found)


def breaches(path: Path) -> list[str]:
    allowed = EXCEPTIONS.get(path.name, {})
    return [
        f"{path.name}:{line}: {selector!r}"
        for line, selector in selectors(path.read_text(encoding="utf-8"))
        if selector not in allowed
    ]


@pytest.mark.parametrize("path", BROWSER_TESTS, ids=lambda path: path.name)
def test_a_browser_test_finds_elements_by_role_and_name(path: Path) -> None:
    found = breaches(path)
    assert not found, "CSS selectors where a role and a name should find the element:\n" + "\n".join(found)


def test_the_rule_sees_each_way_of_selecting_by_markup() -> None:
    source = """
page.locator("#pay").click()
page.click("button[type=submit]")
page.fill("input[name=iban]", "FR76")
row.locator(".document-link a")
page.wait_for_selector("text=Connexion")
page.get_attribute(f"tr[data-invoice={number}]", "href")
chart.locator(f"g.{shape}".strip())
page.wait_for_function("() => document.querySelector('.notice.ok')")
page.get_by_role("button", name="Payer").click()
page.get_by_label("IBAN").fill("FR76")
link.get_attribute("href")
"""
    assert [line for line, _ in selectors(source)] == [2, 3, 4, 5, 6, 7, 8, 9]


def test_an_exception_is_one_whole_selector_in_its_file(tmp_path: Path) -> None:
    test = tmp_path / "test_browser_consumption.py"
    test.write_text(
        'chart.locator("g.bar").count()\nchart.locator("g.barrier").count()\npage.locator("#x g.bar")\n'
    )
    assert breaches(test) == [
        "test_browser_consumption.py:2: 'g.barrier'",
        "test_browser_consumption.py:3: '#x g.bar'",
    ]
    elsewhere = tmp_path / "test_browser_home.py"
    elsewhere.write_text('chart.locator("g.bar").count()\n')
    assert breaches(elsewhere) == ["test_browser_home.py:1: 'g.bar'"]
