"""Request bodies of the consumption API, validated with pydantic (imported by the routes that take one)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from guichet_contracts import validation
from pydantic import BaseModel, ConfigDict, Field

MAX_READINGS = 1_500  # a month of a meter's half-hours (31 × 48), or a day of 31 meters


class ReadingItem(BaseModel):
    """One reading of a batch, as a meter file's row (`meter_id,start,value[,direction]`): the
    document's schema only, each item being checked on its own (batches.receive)."""

    model_config = ConfigDict(extra="forbid")

    meter_id: str = Field(
        min_length=1,
        max_length=64,
        description="The point of delivery (PDL) for electricity, M<subscription_id>-<unit> for a "
        "mobile line's allowance",
    )
    start: str = Field(
        description="The half-hour's start, ISO 8601 with its offset, on the hour or the half-hour",
        examples=["2026-11-02T14:30:00+01:00"],
    )
    value: float | str = Field(
        description="What was read in that half-hour, in the meter's unit (kWh for electricity), "
        "0 to 100000, kept to 0.001; a number or its decimal text"
    )
    direction: Literal["consumption", "injection"] | None = Field(
        default=None, description="consumption when left out"
    )


class ReadingsBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    readings: Annotated[
        list[Any],
        Field(
            min_length=1,
            max_length=MAX_READINGS,
            # any item is answered: one not of ReadingItem's form is rejected with its fields
            json_schema_extra={
                "items": {
                    "anyOf": [
                        ReadingItem.model_json_schema(),
                        {"description": "Any other item: answered rejected, with its fields' problems"},
                    ]
                }
            },
        ),
    ]


def parse(model: type[ReadingsBatch], data: Any) -> ReadingsBatch:
    return validation.parse(model, data)
