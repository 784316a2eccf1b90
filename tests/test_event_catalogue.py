"""The event catalogue matches the code: every event a service publishes or handles is a model
of guichet_contracts.domain_events naming that service as its producer or among its consumers;
every live (not planned) event is published by its producer and handled by each declared
consumer; docs/EVENTS.md is the page the models give, and docs/LIFECYCLE.md names every event."""

from __future__ import annotations

import ast

import pytest
from conftest import REPO
from guichet_contracts.domain_events import DomainEvent, catalogue
from guichet_contracts.domain_events.document import markdown

SERVICES = sorted(path.name for path in (REPO / "services").iterdir() if (path / "app.py").is_file())
MODELS = {model.name: model for model in catalogue()}


def handled(service: str) -> set[tuple[str, str]]:
    """(source, detail-type) of every guichet event the service's `@on_cw_event` handlers take."""
    handlers = REPO / "services" / service / "chalicelib" / "events.py"
    if not handlers.is_file():
        return set()
    tree = ast.parse(handlers.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "on_cw_event":
            pattern = ast.literal_eval(node.args[0])
            for source in pattern.get("source", []):
                if source.startswith("guichet."):
                    found |= {(source, name) for name in pattern.get("detail-type", [])}
    return found


def constructed(service: str) -> set[str]:
    """The event models the service's code builds (an event is published only as its model)."""
    names = set()
    for module in (REPO / "services" / service / "chalicelib").glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in MODELS:
                    names.add(name)
    return names


def test_the_catalogue_names_each_event_once_with_a_known_producer() -> None:
    models = catalogue()
    assert len({model.name for model in models}) == len(models)
    for model in models:
        assert model.producer in SERVICES, model
        # a producer consumes its own event only to send it out as a webhook (the auth service
        # relays every public event, its own included, from the bus: docs/WEBHOOKS.md)
        assert set(model.consumers) <= set(SERVICES) - ({model.producer} - {"auth"}), model
        assert model.when.strip() and model.version >= 1, model


@pytest.mark.parametrize("service", SERVICES)
def test_every_event_a_service_handles_is_catalogued_with_it_as_consumer(service: str) -> None:
    for source, name in handled(service):
        model = MODELS.get(name)
        assert model is not None, f"{service} handles {name}, which is not in the catalogue"
        assert model.source() == source, (service, name, source)
        assert service in model.consumers, f"{name} does not name {service} among its consumers"


LIVE = [model for model in catalogue() if not model.planned]


@pytest.mark.parametrize("model", LIVE, ids=lambda model: model.name)
def test_every_declared_consumer_handles_the_event(model: type[DomainEvent]) -> None:
    for consumer in model.consumers:
        assert (model.source(), model.name) in handled(consumer), (
            f"{consumer} has no handler for {model.name}"
        )


@pytest.mark.parametrize("service", SERVICES)
def test_every_event_a_service_publishes_is_its_own_and_catalogued(service: str) -> None:
    code = "\n".join(
        module.read_text() for module in (REPO / "services" / service / "chalicelib").glob("*.py")
    )
    assert "Envelope(" not in code, "an event is published only as its model"
    for name in constructed(service):
        assert MODELS[name].producer == service, (
            f"{service} builds {name}, an event of {MODELS[name].producer}"
        )


@pytest.mark.parametrize("model", LIVE, ids=lambda model: model.name)
def test_every_catalogued_event_is_published_by_its_producer(model: type[DomainEvent]) -> None:
    assert model.name in constructed(model.producer), f"{model.producer} never publishes {model.name}"


def test_the_events_page_is_the_one_the_models_give() -> None:
    page = REPO / "docs" / "EVENTS.md"
    assert page.is_file() and page.read_text() == markdown(), "docs/EVENTS.md is stale: run `make docs`"


def test_the_lifecycle_document_names_every_event() -> None:
    lifecycle = (REPO / "docs" / "LIFECYCLE.md").read_text()
    missing = [name for name in MODELS if name not in lifecycle]
    assert not missing, f"docs/LIFECYCLE.md does not say what {', '.join(missing)} does"


def architecture_table() -> dict[str, tuple[set[str], set[str]]]:
    """docs/ARCHITECTURE.md's services table: service → (events it emits, events it consumes)."""
    rows: dict[str, tuple[set[str], set[str]]] = {}
    for line in (REPO / "docs" / "ARCHITECTURE.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`services/"):

            def names(cell: str) -> set[str]:
                return {name.strip() for name in cell.split(",") if name.strip() not in ("", "—")}

            rows[cells[0].strip("`").removeprefix("services/")] = (names(cells[2]), names(cells[3]))
    return rows


def test_the_architecture_table_says_who_emits_and_consumes_what() -> None:
    table = architecture_table()
    assert set(table) == set(SERVICES), "docs/ARCHITECTURE.md has a row per service"
    for service, (emits, consumes) in table.items():
        assert emits == {model.name for model in MODELS.values() if model.producer == service}, service
        assert consumes == {model.name for model in MODELS.values() if service in model.consumers}, service
