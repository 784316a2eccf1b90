"""assert_accessible (tests/portal_axe.py), the check every browser test runs at each state it
reaches, fails on a serious or critical axe-core violation and names its rule and its elements;
a page without one passes. No runtime: the pages are written here."""

from __future__ import annotations

from typing import Any

import pytest
from portal_axe import assert_accessible

CLEAN = """<!doctype html><html lang="fr"><head><title>Une page</title></head><body>
<main><h1>Une page</h1><button type="button">Payer</button></main></body></html>"""


def test_a_button_without_a_name_fails_with_its_rule_and_its_element(page: Any) -> None:
    page.set_content(CLEAN.replace('<button type="button">Payer</button>', '<button id="pay"></button>'))
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, "a button without a name")
    said = str(failure.value)
    assert "a button without a name" in said and "button-name" in said and "#pay" in said


def test_a_page_without_a_serious_violation_passes_and_axe_is_injected_once(page: Any) -> None:
    page.set_content(CLEAN)
    assert_accessible(page, "a clean page")
    page.evaluate("() => { window.axe.marked = true; }")
    assert_accessible(page, "the same page again")
    assert page.evaluate("() => window.axe.marked") is True
