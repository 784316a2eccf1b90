"""The domain events that cross services: one versioned pydantic model per event.

An event is published only as an instance of its model and read back only through its model
(`guichet_contracts.events.publish` / `received`): a field missing, of the wrong type or
unknown is refused loudly, never read with a default. Each producer's events live in the
module named after it (`auth`, `subscriptions`, `invoices`, `consumption`); `catalogue()` lists
them all, and `docs/EVENTS.md` is generated from it (`python -m guichet_contracts.domain_events`).

Models are strict: JSON types as they are (an integer is not a string, a date is
`YYYY-MM-DD`), money in integer cents, energy in kWh as decimal numbers written as text.
"""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PRODUCERS = ("auth", "subscriptions", "invoices", "consumption")

Cents = int
PositiveCents = Annotated[int, Field(ge=0)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Id = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Kwh = Annotated[Decimal, Field(allow_inf_nan=False)]
Rate = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]  # cents per kWh, a VAT rate in %
Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
Family = Literal["domain", "website", "hosting", "internet", "mobile", "electricity"]
BillingPeriod = Literal["month", "year"]
PaymentMode = Literal["monthly", "per_invoice"]
Language = Literal["fr", "en", "it"]
Day = date


class Part(BaseModel):
    """A part of an event's data (an address, a line): strict like the events themselves."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class DomainEvent(Part):
    """One event crossing services: its `name` (EventBridge detail-type), `version`, `producer`
    (the service whose source `guichet.<producer>` it comes from) and `consumers` (the services
    with a handler for it), with a sentence saying when it happens; `planned` while it is designed
    but not yet published and handled."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    producer: ClassVar[str]
    consumers: ClassVar[tuple[str, ...]] = ()
    when: ClassVar[str]
    # designed, not yet published or handled everywhere: its producer and consumers are being
    # written (docs/LIFECYCLE.md, "Not there yet"); the catalogue tests check live events only
    planned: ClassVar[bool] = False

    @classmethod
    def source(cls) -> str:
        return f"guichet.{cls.producer}"

    @classmethod
    def upgraded(cls, version: int, data: dict[str, Any]) -> dict[str, Any] | None:
        """The data of this event as an older `version` of it carried, in the current version's
        terms, for an event its producer published before it was deployed with the new version
        (services deploy one stack at a time); None for a version it cannot read. A model that
        raised its version says exactly what the older one meant, field by field: never a guess."""
        return None

    def data(self) -> dict[str, Any]:
        """The event's data as it travels (JSON types)."""
        return self.model_dump(mode="json")


class DataExportPart(DomainEvent):
    """What a service wrote of a customer's data export (DataExportRequested): the keys of its
    files in the exports bucket, all under `exports/<export_id>/<producer>/`. One event per
    producer (an event has one source), each named after it."""

    export_id: Id
    customer_id: Id
    keys: list[Annotated[str, StringConstraints(min_length=1, max_length=1024)]]


def catalogue() -> list[type[DomainEvent]]:
    """Every event model, by producer then name."""
    for producer in PRODUCERS:
        importlib.import_module(f"{__name__}.{producer}")
    found: list[type[DomainEvent]] = []
    pending: list[type[DomainEvent]] = list(DomainEvent.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if "name" in model.__dict__:
            found.append(model)
    return sorted(found, key=lambda model: (PRODUCERS.index(model.producer), model.name, model.version))
