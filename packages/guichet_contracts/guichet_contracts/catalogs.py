"""Message catalogs: gettext .po files, one per language, `<folder>/locale/<language>.po`, where
`<folder>` is what the messages belong to: an email templates folder (the service's, or the
shared layout's `templates/` beside this module) or this package itself for the API's words
(`guichet_contracts/locale/`, words.py). `read` is what reads one at run time, for
`guichet_contracts.mail` and `guichet_contracts.words` alike; Babel is imported on the first read,
not with this module.

The rest is a development tool keeping the emails' catalogs in step with their templates:

    python -m guichet_contracts.catalogs services/auth/chalicelib/templates

extracts every message of the templates in that folder (`{% trans %}`, `_()`, English source)
and of the Python modules beside it (`mail.pgettext_noop(context, message)`: words a service
computes for its emails, such as a payment method's name) and updates
`<folder>/locale/<language>.po` for fr, en and it: new messages are added untranslated,
translations of unchanged messages kept, messages no template uses any more dropped.
`missing(folder)` says what is left to translate (the tests fail on it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .formatting import locale_of
from .words import LANGUAGES

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

CATALOGS = "locale"  # <folder>/locale/<language>.po
SOURCE_LANGUAGE = "en"
_METHODS = [("**.j2", "jinja2.ext:babel_extract")]
_OPTIONS = {"**.j2": {"trimmed": "true", "newstyle_gettext": "true"}}
_PYTHON_KEYWORDS = {"pgettext_noop": ((1, "c"), 2)}


def read(folder: Path, language: str) -> Catalog:
    """The catalog of `language` in `folder` (`<folder>/locale/<language>.po`); an empty one if
    there is none."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    path = folder / CATALOGS / f"{language}.po"
    if not path.is_file():
        return Catalog(locale=locale_of(language))
    with path.open("rb") as source:
        return read_po(source, locale=locale_of(language))


def extract(folder: Path) -> Catalog:
    """Every message the templates of `folder` ask for, and the Python modules beside it mark."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir, extract_from_file

    template = Catalog()
    found = [
        *extract_from_dir(str(folder), _METHODS, _OPTIONS, strip_comment_tags=True),
        *(
            (path.name, *message)
            for path in sorted(folder.parent.glob("*.py"))
            for message in extract_from_file("python", str(path), keywords=_PYTHON_KEYWORDS)
        ),
    ]
    for filename, line, message, comments, context in found:
        template.add(message, None, [(filename, line)], auto_comments=comments, context=context)
    return template


def update(folder: Path) -> list[Path]:
    from babel.messages.pofile import write_po

    template = extract(folder)
    written = []
    for language in LANGUAGES:
        path = folder / CATALOGS / f"{language}.po"
        catalog = read(folder, language)
        catalog.update(template, no_fuzzy_matching=True)
        path.parent.mkdir(exist_ok=True)
        with path.open("wb") as target:
            write_po(target, catalog, width=100, omit_header=True, ignore_obsolete=True, include_lineno=False)
        written.append(path)
    return written


def missing(folder: Path) -> dict[str, list[str]]:
    """Per language, the messages of the templates its catalog does not translate (English, the
    source language, needs none) or that it has without any template asking for them."""
    wanted = {(message.context, message.id) for message in extract(folder) if message.id}
    gaps = {}
    for language in LANGUAGES:
        catalog = read(folder, language)
        known = {(message.context, message.id) for message in catalog if message.id}
        translated = {
            (message.context, message.id) for message in catalog if message.string and not message.fuzzy
        }
        needed = wanted - (known if language == SOURCE_LANGUAGE else translated)
        gaps[language] = sorted(
            f"{context}|{message}" if context else str(message)
            for context, message in needed | (known - wanted)
        )
    return gaps


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        for written in update(Path(argument)):
            sys.stdout.write(f"{written}\n")
