"""The portal wears the brand it is run with (brand/, or GUICHET_BRAND_DIR): a second brand, with
another name, logo and primary colour, changes the header, the page titles and the buttons, and
its text overrides reword the portal's texts in their language, with no change of code (issue 11,
"one brand file")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from guichet_contracts.brand import copy_brand, load_brand
from playwright.sync_api import expect

SECOND_LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" width="10" height="10">'
    '<circle cx="5" cy="5" r="5" fill="#8a1c7c"/></svg>'
)


@pytest.fixture(scope="module")
def second_brand(tmp_path_factory: pytest.TempPathFactory, launch_runtime: Any) -> Any:
    folder = tmp_path_factory.mktemp("brand") / "brand"
    brand = copy_brand(
        folder,
        name="Fibre Nord",
        colours={**load_brand().colours.model_dump(), "primary": "#8a1c7c"},
        texts={
            "fr": {"login_title": "Bienvenue chez Fibre Nord"},
            "en": {},
            "it": {"login_title": "Benvenuti"},
        },
    )
    Path(brand.folder / brand.logo.svg).write_text(SECOND_LOGO)
    runtime = launch_runtime("second-brand", "--no-demo", env={"GUICHET_BRAND_DIR": str(folder)})
    yield runtime
    assert runtime.stop() == 0


def test_a_second_brand_names_colours_and_signs_the_portal(second_brand: Any, page: Any) -> None:
    assert "--colour-primary: #8a1c7c;" in second_brand.get("/brand.css").text
    assert second_brand.get("/brand/logo.svg").text == SECOND_LOGO

    page.goto(second_brand.url + "/login")
    page.wait_for_function("() => document.querySelector('main h1, main h2')")
    brand_link = page.get_by_role("link", name="Fibre Nord")
    assert brand_link.inner_text().strip() == "Fibre Nord"
    logo = brand_link.get_by_role("img", name="Fibre Nord")
    assert logo.get_attribute("src") == "/brand/logo.svg"
    assert logo.evaluate("(image) => image.complete && image.naturalWidth") == 10  # the second logo's
    assert page.title().endswith(" — Fibre Nord") and "Guichet" not in page.title()
    button = page.get_by_role("button", name="Se connecter")
    assert button.evaluate("(element) => getComputedStyle(element).backgroundColor") == "rgb(138, 28, 124)"
    assert "Guichet" not in page.locator("header").inner_text()


def test_the_second_brand_s_texts_reword_the_portal_in_their_language(second_brand: Any, page: Any) -> None:
    assert second_brand.get("/brand.json").json()["texts"]["fr"] == {
        "login_title": "Bienvenue chez Fibre Nord"
    }

    page.goto(second_brand.url + "/login")
    expect(page.get_by_role("heading", name="Bienvenue chez Fibre Nord")).to_be_visible()
    expect(page.get_by_role("heading", name="Accéder à mon espace client")).to_have_count(0)

    # in English, which the brand leaves as it is, the portal's own words; in Italian, the brand's
    chooser = page.get_by_role("combobox", name="Langue / Language / Lingua", exact=True)
    chooser.select_option("en")
    expect(page.get_by_role("heading", name="Access my customer area")).to_be_visible()
    chooser.select_option("it")
    expect(page.get_by_role("heading", name="Benvenuti", exact=True)).to_be_visible()
