"""The portal's pages, as the browser's router knows them, are the pages the local gateway and the
deployed distribution answer with the portal (guichet_contracts.web.PORTAL_PAGES): a page the
router has and that list lacks is served with a 404 status (the portal's own "not found" answer,
which still runs the router), so that a link in an email opens a page answering 404. And every
page a service's email links to (`portal_link("…")`) is one of them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from guichet_contracts.web import PORTAL_PAGES

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
_PATH_KEY = re.compile(r'"(/[a-z0-9/-]*)"\s*:')


def _object_after(source: str, start: int) -> str:
    """The text of the `{…}` object literal opening at or after `start` (braces balanced)."""
    opening = source.index("{", start)
    depth = 0
    for index in range(opening, len(source)):
        depth += {"{": 1, "}": -1}.get(source[index], 0)
        if depth == 0:
            return source[opening : index + 1]
    raise AssertionError("unbalanced object literal")


def router_pages() -> set[str]:
    """The paths web/portal.js registers, with those of the page maps it spreads in
    (`export const …Pages = {…}` in web/pages)."""
    portal = (WEB / "portal.js").read_text(encoding="utf-8")
    registered = _object_after(portal, portal.index("register("))
    paths = set(_PATH_KEY.findall(registered))
    for spread in re.findall(r"\.\.\.(\w+Pages)", registered):
        (module,) = [
            path for path in (WEB / "pages").glob("*.js") if f"export const {spread} =" in path.read_text()
        ]
        source = module.read_text(encoding="utf-8")
        paths |= set(_PATH_KEY.findall(_object_after(source, source.index(f"export const {spread} ="))))
    return {path.strip("/") for path in paths}


def linked_pages() -> set[str]:
    """The pages the services' emails link to: the first argument of every `portal_link(…)`."""
    pages = set()
    for path in sorted((ROOT / "services").glob("*/chalicelib/**/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", None)) == "portal_link"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                pages.add(str(node.args[0].value).strip("/"))
    return pages


def test_the_pages_served_as_the_portal_are_the_routers_pages() -> None:
    pages = router_pages()

    assert len(pages) >= 20  # the parse found the router's table
    assert pages == PORTAL_PAGES, {"router only": pages - PORTAL_PAGES, "served only": PORTAL_PAGES - pages}


def test_every_page_an_email_links_to_is_served_as_the_portal() -> None:
    linked = linked_pages()

    assert {"invoice", "close-session", "activate"} <= linked  # the parse found the calls
    assert linked <= PORTAL_PAGES, linked - PORTAL_PAGES
