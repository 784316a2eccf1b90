"""Request bodies validated with pydantic, and their problems as the `fields` of the error body.

Imported by the routes that take a body, so pydantic is paid for only there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from .errors import ValidationFailed

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
    fields: dict[str, str] = {}
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        name = ".".join(location) or "body"
        if problem["type"] == "extra_forbidden":
            message = "cannot be changed here" if location[0] in protected else "is not a known field"
        elif problem["type"] == "missing":
            message = "is required"
        else:
            message = str(problem["msg"]).removeprefix("Value error, ")
        fields.setdefault(name, message)
    return fields
