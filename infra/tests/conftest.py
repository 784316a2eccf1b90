"""Packages every service once per session; the tests read what it wrote."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from infra.package import ROOT, SERVICES_DIR, package
from infra.service_stack import Service, discover_services

REGION = "eu-west-3"


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("infra")
    started = time.perf_counter()
    # A work directory of its own, kept between sessions for Chalice's dependency cache.
    package(out, stage="prod", region=REGION, work=ROOT / "build" / ".infra-work-tests")
    print(f"\npackaged in {time.perf_counter() - started:.1f}s")
    return out


@pytest.fixture(scope="session")
def services() -> list[Service]:
    found = discover_services(SERVICES_DIR)
    assert found, "no service found under services/"
    return found


@pytest.fixture(scope="session")
def manifest(packaged: Path) -> dict[str, Any]:
    return dict(json.loads((packaged / "manifest.json").read_text()))


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    assert os.environ["AWS_DEFAULT_REGION"] == REGION
