"""docs/API.md and the services agree: every route of the four OpenAPI documents the running
services serve has its row in docs/API.md, and every route docs/API.md lists is in one of them.
A route added without its line in the contract, or a line left behind by a removed route, fails."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import REPO

SERVICES = ("auth", "subscriptions", "invoices", "consumption")
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
Route = tuple[str, str]


def documented_routes(text: str) -> set[Route]:
    """(method, path) of every table row of the contract whose first cell names HTTP methods
    ("GET", "GET, POST", "POST ⟳") and whose second holds paths in backticks (query and body
    left out: `/invoices?from=…` is `/invoices`)."""
    routes: set[Route] = set()
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3:
            continue
        methods = {word for word in re.split(r"[,\s⟳]+", cells[0]) if word}
        if not methods or not methods <= METHODS:
            continue
        paths = [token.split("?")[0] for token in re.findall(r"`([^`]+)`", cells[1]) if token.startswith("/")]
        assert paths, f"a row of methods without a path: {line}"
        routes |= {(method, path) for method in methods for path in paths}
    return routes


def served_routes(document: dict[str, Any]) -> set[Route]:
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method.upper() in METHODS
    }


@pytest.fixture(scope="module")
def documented() -> set[Route]:
    return documented_routes((REPO / "docs" / "API.md").read_text())


def test_the_reader_finds_routes_in_every_kind_of_row() -> None:
    rows = "\n".join(
        [
            "| GET, PATCH | `/auth/me` | 🔒 | profile |",
            "| POST ⟳ | `/invoices/payments` `{invoice_ids}` | 201 |",
            "| GET | `/invoices?from=YYYY-MM` | list |",
            "| GET | `/auth/health`, `/auth/openapi.json` | | ok |",
            "| `abonne@demo.guichet.test` | ISP subscriber |",
            "|---|---|---|",
        ]
    )
    assert documented_routes(rows) == {
        ("GET", "/auth/me"),
        ("PATCH", "/auth/me"),
        ("POST", "/invoices/payments"),
        ("GET", "/invoices"),
        ("GET", "/auth/health"),
        ("GET", "/auth/openapi.json"),
    }


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_a_service_serves_is_in_the_contract(
    runtime: Any, documented: set[Route], service: str
) -> None:
    answer = runtime.get(f"/{service}/openapi.json")
    assert answer.status_code == 200
    missing = served_routes(answer.json()) - documented
    assert not missing, f"routes of {service} missing from docs/API.md: {sorted(missing)}"


def test_every_route_of_the_contract_is_served(runtime: Any, documented: set[Route]) -> None:
    served: set[Route] = set()
    for service in SERVICES:
        served |= served_routes(runtime.get(f"/{service}/openapi.json").json())
    assert documented - served == set(), "docs/API.md lists routes no service serves"
