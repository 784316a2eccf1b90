"""Fixtures of the security suite: `world` (session), three customers with one of every kind of
object on the shared `runtime`, the services' OpenAPI documents and a signer (see world.py)."""

from __future__ import annotations

from typing import Any

import pytest

from .world import World, build_world


@pytest.fixture(scope="session")
def world(runtime: Any) -> World:
    return build_world(runtime)
