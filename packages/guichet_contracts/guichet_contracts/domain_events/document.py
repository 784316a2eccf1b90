"""docs/EVENTS.md, written from the event models: every event with its producer, consumers and fields.

`python -m guichet_contracts.domain_events > docs/EVENTS.md` (`make docs`) writes it again; a
test checks that the page in the repository is the one the models give.
"""

from __future__ import annotations

from typing import Any

from . import DomainEvent, catalogue

HEADER = """# Events between services

Generated from the event models of `packages/guichet_contracts/guichet_contracts/domain_events`
by `make docs`: do not edit by hand. How events travel (envelope, validation, refusal) is in
`guichet_contracts/events.py`; which event moves which state is in `docs/LIFECYCLE.md`.

Every event goes to EventBridge with source `guichet.<producer>`, detail-type its name, and the
detail `{"event_id", "version", "occurred_at", "correlation_id", "data"}`, `data` holding the
fields below. `correlation_id` is the id of the request, schedule or file drop whose work
published the event; its handler works under the same id and hands it on to the events it
publishes, so one id follows a request through every service (README, "Operating Guichet").
An event without `correlation_id` is accepted on purpose: it comes from a publisher deployed
before the field (services deploy one stack at a time), and its handler starts a new id; a
`correlation_id` present must be 1 to 128 of `A-Za-z0-9._:-`, or the event is refused. Models
are strict: a field missing, of another JSON type or not listed here is refused (the handler
raises `InvalidEvent`; the event is dead-lettered), never read with a default. An event of an
older version than its model's is read only where the model says what that version meant
(`upgraded`: CustomerRegistered and CustomerUpdated 1, no provider's id; SubscriptionActivated 1,
an order's, billed from its first day), so that services deploy one stack at a time. Money is in
integer cents, energy in kWh as decimal text, days as `YYYY-MM-DD`.
"""


def markdown() -> str:
    models = catalogue()
    lines = [HEADER, "| event | version | producer | consumers | when |", "|---|---|---|---|---|"]
    for model in models:
        consumers = ", ".join(model.consumers) or "—"
        planned = " (planned)" if model.planned else ""
        lines.append(
            f"| [{model.name}](#{model.name.lower()}){planned} | {model.version} | {model.producer} "
            f"| {consumers} | {model.when} |"
        )
    parts: dict[str, dict[str, Any]] = {}
    for model in models:
        schema = model.model_json_schema(mode="serialization", ref_template="#/$defs/{model}")
        parts.update(schema.get("$defs", {}))
        lines += ["", f"## {model.name}", "", _summary(model), "", *_fields(schema)]
    if parts:
        lines += ["", "## Parts", "", "The objects the events above are made of."]
        for name in sorted(parts):
            lines += ["", f"### {name}", "", *_fields(parts[name])]
    return "\n".join(lines) + "\n"


def _summary(model: type[DomainEvent]) -> str:
    consumers = ", ".join(f"`{consumer}`" for consumer in model.consumers) or "no service yet"
    return f"Version {model.version}, from `guichet.{model.producer}`, consumed by {consumers}. {model.when}"


def _fields(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    rows = ["| field | type | |", "|---|---|---|"]
    for name, field in schema.get("properties", {}).items():
        rows.append(f"| `{name}` | {_type(field)} | {'' if name in required else 'optional'} |")
    return rows


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema:
        options = [option for option in schema["anyOf"] if option.get("type") != "null"]
        kinds = {option.get("type") for option in options}
        text = (
            "decimal" if kinds == {"number", "string"} else " or ".join(_type(option) for option in options)
        )
        return f"{text} or null" if len(options) < len(schema["anyOf"]) else text
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if kind == "object":
        values = schema.get("additionalProperties")
        return f"map of {_type(values)}" if isinstance(values, dict) else "object"
    if kind == "string":
        if schema.get("format") in ("date", "date-time"):
            return str(schema["format"])
        if "pattern" in schema:
            return f"string `{schema['pattern']}`"
        return "string"
    if kind == "integer":
        return "integer ≥ 0" if schema.get("minimum") == 0 else "integer"
    return str(kind)
