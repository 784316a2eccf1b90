"""Request bodies validated with pydantic, and their problems as the `fields` of the error body.

Imported by the routes that take a body, so pydantic is paid for only there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from .errors import ValidationFailed
from .words import Invalid, Phrase

Body = TypeVar("Body", bound=BaseModel)


class ResponseModel(BaseModel):
    """An answer of a route, for the OpenAPI document (openapi.response_schemas): the fields
    documented here and no other (additionalProperties: false)."""

    model_config = ConfigDict(extra="forbid")


def _integral(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A whole number as JSON has it: 4 or 4.0 (the same number), never "4", true or 4.5. Its
# constraints go before INTEGRAL, so that the JSON schema shows them (minimum, maximum):
#     Annotated[int, Strict(), Field(ge=1, le=10), INTEGRAL]
INTEGRAL = BeforeValidator(_integral)


# What the documents say of texts the validators check further than a JSON schema's type can
# (json_schema_extra: the validation stays the validators'), so that a request the document
# allows is one the service takes.
PRINTABLE = {"pattern": r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"}
NOT_BLANK = {"pattern": r"\S"}
EMAIL = {
    # email_validator's special-use domains (arpa, local...) are not addresses
    "pattern": r"^[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?\.)+"
    r"(?!(arpa|invalid|local|localhost|onion|test)$)[A-Za-z]{2,6}$",
}
MAYBE_EMPTY_PRINTABLE = {"pattern": r"^[^\x00-\x1f\x7f]*$"}


def french_phone(schema: dict[str, Any]) -> None:
    """`json_schema_extra` of a phone number: a French fixed or mobile one, national or E.164."""
    import phonenumbers

    metadata = phonenumbers.PhoneMetadata.metadata_for_region("FR")
    assert metadata is not None and metadata.fixed_line and metadata.mobile
    numbers = f"{metadata.fixed_line.national_number_pattern}|{metadata.mobile.national_number_pattern}"
    schema["pattern"] = f"^(\\+33|0)({numbers})$".replace("\\d", "[0-9]")
    schema["description"] = "A French number (E.164 or national); others are taken if valid"


def not_null(*names: str) -> Callable[[dict[str, Any]], None]:
    """`json_schema_extra` of a model whose optional fields `names` (all if none is named) may be
    left out but not sent as null (the route refuses null for them)."""

    def document(schema: dict[str, Any]) -> None:
        for name, field in schema.get("properties", {}).items():
            if (names and name not in names) or "anyOf" not in field:
                continue
            kept = [choice for choice in field.pop("anyOf") if choice != {"type": "null"}]
            if len(kept) == 1:
                field.update(kept[0])
            else:
                field["anyOf"] = kept
            if "default" in field and field["default"] is None:
                del field["default"]

    return document


def parse(model: type[Body], data: Any, *, protected: frozenset[str] = frozenset()) -> Body:
    """`data` as `model`, or a 422 naming every wrong field (`protected` ones "cannot be changed here")."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed(fields=problems(error, protected)) from None


def problems(error: ValidationError, protected: frozenset[str] = frozenset()) -> dict[str, str]:
    """Each wrong field's first problem, as a Phrase (words.py) the error body says in the
    request's language: never pydantic's own English."""
    fields: dict[str, str] = {}
    for problem in error.errors(include_url=False):
        location = [str(part) for part in problem["loc"]]
        name = ".".join(location) or "body"
        if problem["type"] == "extra_forbidden" and location[0] in protected:
            fields.setdefault(name, Phrase("field.protected"))
        else:
            fields.setdefault(name, phrase(problem["type"], problem.get("ctx") or {}))
    return fields


# pydantic's error types (docs.pydantic.dev, "Validation Errors") → the message id that says them
# and the values of its context the message shows
_BY_TYPE = {
    "missing": "field.missing",
    "extra_forbidden": "field.extra_forbidden",
    "string_too_long": "field.string_too_long",
    "too_long": "field.too_long",
    "greater_than": "field.greater_than",
    "greater_than_equal": "field.greater_than_equal",
    "less_than": "field.less_than",
    "less_than_equal": "field.less_than_equal",
    "multiple_of": "field.multiple_of",
    "string_pattern_mismatch": "field.pattern",
    "string_type": "field.text",
    "string_unicode": "field.text",
    "string_sub_type": "field.text",
    "int_type": "field.integer",
    "int_parsing": "field.integer",
    "int_from_float": "field.integer",
    "int_parsing_size": "field.integer",
    "float_type": "field.number",
    "float_parsing": "field.number",
    "finite_number": "field.number",
    "decimal_type": "field.decimal",
    "decimal_parsing": "field.decimal",
    "decimal_max_places": "field.decimal_places",
    "decimal_max_digits": "field.decimal_digits",
    "decimal_whole_digits": "field.decimal_digits",
    "bool_type": "field.boolean",
    "bool_parsing": "field.boolean",
    "dict_type": "field.object",
    "model_type": "field.object",
    "model_attributes_type": "field.object",
    "dataclass_type": "field.object",
    "list_type": "field.list",
    "tuple_type": "field.list",
    "set_type": "field.list",
    "frozen_set_type": "field.list",
    "iterable_type": "field.list",
    "date_type": "field.date",
    "date_parsing": "field.date",
    "date_from_datetime_parsing": "field.date",
    "date_from_datetime_inexact": "field.date",
    "datetime_type": "field.datetime",
    "datetime_parsing": "field.datetime",
    "datetime_from_date_parsing": "field.datetime",
    "datetime_object_invalid": "field.datetime",
    "timezone_aware": "field.timezone",
    "time_type": "field.time",
    "time_parsing": "field.time",
    "url_type": "field.url",
    "url_parsing": "field.url",
    "url_syntax_violation": "field.url",
    "url_scheme": "field.url",
    "url_too_long": "field.url",
    "uuid_type": "field.uuid",
    "uuid_parsing": "field.uuid",
    "uuid_version": "field.uuid",
}


def phrase(kind: str, context: dict[str, Any]) -> Phrase:
    """What one pydantic error of type `kind` (with its `ctx`) says, as a Phrase."""
    if kind in ("value_error", "assertion_error"):
        raised = context.get("error")
        return raised.phrase if isinstance(raised, Invalid) else Phrase("field.invalid")
    if kind == "string_too_short":
        minimum = context.get("min_length", 1)
        return Phrase("field.empty") if minimum <= 1 else Phrase("field.string_too_short", min_length=minimum)
    if kind == "too_short":
        minimum = context.get("min_length", 1)
        return (
            Phrase("field.too_short_one") if minimum <= 1 else Phrase("field.too_short", min_length=minimum)
        )
    if kind in ("enum", "literal_error"):
        return Phrase("field.one_of", allowed=_allowed(str(context.get("expected", ""))))
    if kind == "union_tag_invalid":
        return Phrase("field.one_of", allowed=_allowed(str(context.get("expected_tags", ""))))
    if kind == "union_tag_not_found":
        return Phrase("field.missing")
    message_id = _BY_TYPE.get(kind, "field.invalid")
    values = {name: context[name] for name in _VALUES.get(message_id, ()) if name in context}
    if len(values) != len(_VALUES.get(message_id, ())):
        return Phrase("field.invalid")
    return Phrase(message_id, **values)


_VALUES = {
    "field.string_too_long": ("max_length",),
    "field.too_long": ("max_length",),
    "field.greater_than": ("gt",),
    "field.greater_than_equal": ("ge",),
    "field.less_than": ("lt",),
    "field.less_than_equal": ("le",),
    "field.multiple_of": ("multiple_of",),
    "field.decimal_places": ("decimal_places",),
    "field.decimal_digits": ("max_digits",),
}


def _allowed(expected: str) -> list[str]:
    """pydantic's "'a', 'b' or 'c'" as the values a, b, c (the API's own words, never translated)."""
    import re

    return re.findall(r"'([^']*)'", expected) or [expected]
