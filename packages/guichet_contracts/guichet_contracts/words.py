"""The API's words: every message a client reads in an error body, in French, English and Italian.

The texts live in gettext message catalogs, one .po file per language in `locale/` beside this
module (`fr.po`, `en.po`, `it.po`; the layout the emails' catalogs have, `<folder>/locale/<language>.po`,
read by the same `catalogs.read`): a msgid is a message id, its msgstr the text, where `{name}`
stands for a value given with the message (python-brace-format); `en.po` has the English text.
Every catalog has every id (tests/test_words.py checks it). A catalog is read on its first use
(the first Phrase or message said), not when a service is imported.

Message ids:
- `error.<code>`: the message of an error code of API.md (`error.invalid_credentials`); an
  ApiError without a message of its own says its code's.
- `error.<code>.<case>`: a more precise message of that code (`error.malformed_request.empty`).
- `field.<problem>`: what is wrong with one field of a request, in the `fields` of the error body:
  pydantic's error types (`field.missing`, `field.string_too_long`... see validation.py) and the
  services' own checks (`field.phone_taken`, `field.month`...).

A service never writes the text: it raises with a `Phrase` (an id and its values), which the
middleware renders in the request's language (Accept-Language, French by default: web.language).
The provider may reword any message by its id in its brand (brand.json's `texts`, per language).
A `Phrase` is also a `str`, its English text, for the logs and the tests that read it as such.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

LANGUAGES = ("fr", "en", "it")
DEFAULT_LANGUAGE = "fr"
FOLDER = Path(__file__).parent  # the catalogs: FOLDER/locale/<language>.po


@functools.cache
def catalog(language: str) -> dict[str, str]:
    """The catalog of `language` (one of LANGUAGES): message id → text."""
    from .catalogs import read

    if language not in LANGUAGES:
        raise ValueError(f"{language!r} is not one of {', '.join(LANGUAGES)}")
    return {str(message.id): str(message.string) for message in read(FOLDER, language) if message.id}


def say(language: str, message_id: str, values: dict[str, Any] | None = None) -> str:
    """The text of `message_id` in `language` (French if not one of LANGUAGES), values filled in,
    as the provider's brand words it where it does."""
    from .brand import load_brand

    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    text = load_brand().text(language, message_id, catalog(language)[message_id])
    return _fill(text, values or {}, language)


def _fill(text: str, values: dict[str, Any], language: str) -> str:
    if not values:
        return text
    shown = {}
    for name, value in values.items():
        if isinstance(value, Phrase):
            value = value.render(language)
        elif isinstance(value, list | tuple):
            value = ", ".join(str(item) for item in value)
        shown[name] = value
    return text.format_map(shown)


class Phrase(str):
    """A message id and its values, rendered in a language by `render`; as a `str`, its English text."""

    message_id: str
    values: dict[str, Any]

    def __new__(cls, message_id: str, **values: Any) -> Phrase:
        english = catalog("en")
        if message_id not in english:
            raise KeyError(f"no message {message_id!r} in the catalogs")
        phrase = super().__new__(cls, _fill(english[message_id], values, "en"))
        phrase.message_id = message_id
        phrase.values = values
        return phrase

    def render(self, language: str) -> str:
        return say(language, self.message_id, self.values)

    def __reduce__(self) -> Any:
        return (_phrase, (self.message_id, self.values))


def _phrase(message_id: str, values: dict[str, Any]) -> Phrase:
    return Phrase(message_id, **values)


def render(text: str, language: str) -> str:
    """`text` in `language` if it is a Phrase; any other text as it is."""
    return text.render(language) if isinstance(text, Phrase) else text


class Invalid(ValueError):
    """What a pydantic validator raises for a value it refuses: a Phrase the 422 renders in the
    request's language (validation.problems)."""

    def __init__(self, message_id: str, **values: Any) -> None:
        self.phrase = Phrase(message_id, **values)
        super().__init__(str(self.phrase))
