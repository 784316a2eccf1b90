"""Request bodies validated with pydantic, and their problems as the `fields` of the error body.

Imported by the routes that take a body, so pydantic is paid for only there.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import ValidationFailed

Body = TypeVar("Body", bound=BaseModel)


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
