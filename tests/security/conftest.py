"""Fixtures of the security suite: `world` (session), three customers with one of every kind of
object on the shared `runtime`, the services' OpenAPI documents and a signer (see world.py).

At the end of the session, what the suite tried (`world.tally`) is its line of the reliability
scorecard: tiers/security.json under $GUICHET_REPORT_DIR when the make target sets it (`make
test-security`, and `make test-local`, which runs the suite too)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from scorecard import write_tier

from .world import World, build_world


@pytest.fixture(scope="session")
def world(runtime: Any) -> Iterator[World]:
    world = build_world(runtime)
    yield world
    if world.tally.tried:
        write_tier("security", **world.tally.tier())
