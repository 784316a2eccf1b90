"""The portal's texts as a customer reads them, for the browser tests' locators.

    text("nav_invoices")            "Mes factures" (web/i18n/fr/*.json)
    text("pay_invoice", "F-1")      a message with its positional arguments, "{0}"
    text("login_title", lang="en")  in another of the portal's languages

The browser tests find an element by its role and its accessible name (get_by_role, get_by_label),
which are these texts: read from the catalogs, a test follows a wording change instead of
repeating it. A message with a plural or a choice ("{0, plural, ...}") is not formatted here: a
test states the text it expects.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

CATALOGS = Path(__file__).resolve().parents[1] / "web" / "i18n"
_ARGUMENT = re.compile(r"\{(\d+)\}")


@cache
def texts(lang: str = "fr") -> dict[str, str]:
    """Every text of a language's catalogs (web/i18n/<lang>/*.json), by key."""
    found: dict[str, str] = {}
    for part in sorted((CATALOGS / lang).glob("*.json")):
        found.update(json.loads(part.read_text(encoding="utf-8")))
    if not found:
        raise KeyError(f"no catalog for the language {lang!r}")
    return found


def text(key: str, *args: object, lang: str = "fr") -> str:
    """The text of `key` in `lang`, its "{0}"... replaced by `args`, as t() of web/core/i18n.js."""
    message = texts(lang)[key]
    if re.search(r"\{\d+\s*,", message):
        raise ValueError(f"{key} is a plural or a choice: state the text expected instead")
    return _ARGUMENT.sub(lambda found: str(args[int(found.group(1))]), message)
