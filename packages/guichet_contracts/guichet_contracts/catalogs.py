"""The emails' message catalogs, kept in step with their templates (a development tool, not used
at run time: `guichet_contracts.mail` reads the .po files).

    python -m guichet_contracts.catalogs services/auth/chalicelib/templates

extracts every message of the templates in that folder (`{% trans %}`, `_()`, English source)
and updates `<folder>/locale/<language>.po` for fr, en and it: new messages are added
untranslated, translations of unchanged messages kept, messages no template uses any more
dropped. `missing(folder)` says what is left to translate (the tests fail on it).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from .formatting import locale_of
from .mail import CATALOGS
from .web import LANGUAGES

SOURCE_LANGUAGE = "en"
_METHODS = [("**.j2", "jinja2.ext:babel_extract")]
_OPTIONS = {"**.j2": {"trimmed": "true", "newstyle_gettext": "true"}}


def extract(folder: Path) -> Catalog:
    """Every message the templates of `folder` ask for."""
    template = Catalog()
    for filename, line, message, comments, context in extract_from_dir(
        str(folder), _METHODS, _OPTIONS, strip_comment_tags=True
    ):
        template.add(message, None, [(filename, line)], auto_comments=comments, context=context)
    return template


def update(folder: Path) -> list[Path]:
    template = extract(folder)
    written = []
    for language in LANGUAGES:
        path = folder / CATALOGS / f"{language}.po"
        if path.is_file():
            with path.open("rb") as source:
                catalog = read_po(source, locale=locale_of(language))
        else:
            catalog = Catalog(locale=locale_of(language))
        catalog.update(template, no_fuzzy_matching=True)
        path.parent.mkdir(exist_ok=True)
        with path.open("wb") as target:
            write_po(target, catalog, width=100, omit_header=True, ignore_obsolete=True, include_lineno=False)
        written.append(path)
    return written


def missing(folder: Path) -> dict[str, list[str]]:
    """Per language, the messages of the templates its catalog does not translate (English, the
    source language, needs none) or that it has without any template asking for them."""
    wanted = {message.id for message in extract(folder) if message.id}
    gaps = {}
    for language in LANGUAGES:
        path = folder / CATALOGS / f"{language}.po"
        with path.open("rb") as source:
            catalog = read_po(source, locale=locale_of(language))
        known = {message.id for message in catalog if message.id}
        translated = {message.id for message in catalog if message.string and not message.fuzzy}
        needed = wanted - (known if language == SOURCE_LANGUAGE else translated)
        gaps[language] = sorted(str(message) for message in needed | (known - wanted))
    return gaps


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        for written in update(Path(argument)):
            sys.stdout.write(f"{written}\n")
