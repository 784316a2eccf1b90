"""The API's words (guichet_contracts.words): one catalog per language, each with every message id,
every id the code says in the catalogs and every catalog id said by the code."""

from __future__ import annotations

import ast
import json
import re
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest
from guichet_contracts.catalogs import read
from guichet_contracts.validation import ValidationFailed, parse
from guichet_contracts.words import FOLDER, LANGUAGES, Invalid, Phrase, catalog, say
from pydantic import BaseModel, ConfigDict, Field, field_validator

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    *sorted((ROOT / "services").glob("*/chalicelib/*.py")),
    *sorted((ROOT / "packages/guichet_contracts/guichet_contracts").glob("*.py")),
]
# ids the code builds rather than spells (technical_settings._name)
BUILT = {"field.domain_name", "field.hostname", "field.host_name"}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _spelled_ids() -> set[str]:
    """Every "error.…" or "field.…" string literal of the services and guichet_contracts."""
    found = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(r"(error|field)\.[a-z_]+(\.[a-z_]+)?", node.value)
            ):
                found.add(node.value)
    return found


def _error_codes() -> set[str]:
    """The `code` of every error class (an ApiError's message is its code's, error.<code>)."""
    codes = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if (
                        isinstance(statement, ast.Assign)
                        and [getattr(target, "id", None) for target in statement.targets] == ["code"]
                        and isinstance(statement.value, ast.Constant)
                    ):
                        codes.add(statement.value.value)
    return codes


def test_every_catalog_has_every_message_id_and_the_same_values():
    english = catalog("en")
    for language in LANGUAGES:
        texts = catalog(language)
        assert set(texts) == set(english), language
        for message_id, text in texts.items():
            assert text.strip() and text == text.strip(), (language, message_id)
            assert _placeholders(text) == _placeholders(english[message_id]), (language, message_id)
    for message_id in english:  # the three say it in their own words
        assert len({catalog(language)[message_id] for language in LANGUAGES}) > 1 or not re.search(
            r"[a-z]{4}", english[message_id]
        ), message_id


def test_every_id_the_code_says_is_in_the_catalogs_and_every_catalog_id_is_said():
    spelled = _spelled_ids()
    from guichet_contracts.web import _FRAMEWORK_ERRORS

    said = _error_codes() | set(_FRAMEWORK_ERRORS.values()) | {"internal_error"}
    codes = {f"error.{code}" for code in said}
    catalogued = set(catalog("en"))

    assert spelled - catalogued == set()
    assert codes - catalogued == set()
    assert catalogued - spelled - codes - BUILT == set()
    assert catalogued >= BUILT


def test_the_catalogs_are_sorted_po_files_of_plain_messages():
    for language in LANGUAGES:
        messages = [message for message in read(FOLDER, language) if message.id]
        ids = [message.id for message in messages]
        assert ids == sorted(ids) and len(ids) == len(set(ids)), language
        for message in messages:
            assert isinstance(message.id, str) and isinstance(message.string, str), message.id
            assert message.context is None and not message.fuzzy, message.id


def test_no_catalog_is_read_when_the_shared_code_is_imported():
    """The .po files are parsed on the first message said, not in a Lambda's cold start."""
    code = (
        "import sys; from guichet_contracts import catalogs, errors, mail, validation, web, words; "
        "assert words.catalog.cache_info().currsize == 0; "
        "assert not [name for name in sys.modules if name.startswith('babel')], sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_no_service_says_a_phrase_when_imported():
    """A Phrase reads the catalogs: one built at a module's top level would read them at import."""
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [
            node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        inside = {id(node) for function in functions for node in ast.walk(function)}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "Phrase"
                and id(node) not in inside
            ):
                raise AssertionError(f"{path.name}:{node.lineno} says a Phrase at import")


def test_a_phrase_is_said_in_each_language_with_its_values():
    phrase = Phrase("field.string_too_long", max_length=16)

    assert phrase == "can have at most 16 characters"
    assert phrase.render("fr") == "peut compter au plus 16 caractères"
    assert phrase.render("it") == "può contenere al massimo 16 caratteri"
    assert phrase.render("de") == phrase.render("fr")  # French by default
    with pytest.raises(KeyError):
        Phrase("field.no_such_message")


class _Order(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=5)
    kind: str = Field(pattern="^[a-z]+$")
    count: int = Field(ge=1, le=9)
    colour: str = "red"
    code: str = ""

    @field_validator("colour")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in ("red", "blue"):
            raise Invalid("field.one_of", allowed=["red", "blue"])
        return value

    @field_validator("code")
    @classmethod
    def _checked(cls, value: str) -> str:
        if value:
            raise ValueError("an English message of a validator")
        return value


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"name": "x", "kind": "A", "count": 0},
            {
                "name": "doit compter au moins 2 caractères",
                "kind": "n'a pas la forme attendue",
                "count": "doit être supérieur ou égal à 1",
            },
        ),
        (
            {"name": "abcdef", "kind": "a", "count": "many"},
            {"name": "peut compter au plus 5 caractères", "count": "doit être un nombre entier"},
        ),
        (
            {"kind": "a", "count": 10, "extra": 1},
            {
                "name": "est obligatoire",
                "count": "doit être inférieur ou égal à 9",
                "extra": "n'est pas un champ connu",
            },
        ),
        (
            {"name": "ab", "kind": "a", "count": 1, "colour": "green", "code": "x"},
            {"colour": "doit être l'une de ces valeurs : red, blue", "code": "n'est pas valide"},
        ),
    ],
)
def test_pydantic_errors_are_phrases_in_the_readers_language(body, expected):
    with pytest.raises(ValidationFailed) as refused:
        parse(_Order, body)

    assert refused.value.body("fr")["error"]["fields"] == expected
    italian = refused.value.body("it")["error"]["fields"]
    assert set(italian) == set(expected) and not set(italian.values()) & set(expected.values())


def test_the_brand_rewords_a_message(tmp_path, monkeypatch):
    folder = tmp_path / "brand"
    shutil.copytree(ROOT / "brand", folder)
    data = json.loads((folder / "brand.json").read_text())
    data["texts"] = {"fr": {"field.missing": "à remplir"}}
    (folder / "brand.json").write_text(json.dumps(data))
    monkeypatch.setenv("GUICHET_BRAND_DIR", str(folder))

    assert say("fr", "field.missing") == "à remplir"
    assert say("it", "field.missing") == catalog("it")["field.missing"]
