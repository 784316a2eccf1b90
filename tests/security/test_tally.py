"""The security suite's line of the scorecard: what `world.tally` counted, in the format
bench/report.py reads, written only where the make target says (no runtime needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import REPO
from scorecard import write_tier

from .world import Tally

sys.path.insert(0, str(REPO / "bench"))

import report


def test_the_tally_counts_each_probe_by_kind_and_what_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tally = Tally()
    for held in (True, True, False):
        tally.record("cross-customer requests by id", held=held)
    tally.record("forged or misused tokens on /auth", held=True)
    monkeypatch.setenv("GUICHET_REPORT_DIR", str(tmp_path))

    path = write_tier("security", **tally.tier())

    assert path == tmp_path / "tiers" / "security.json"
    tier = report.read_tier(path)  # the report accepts it as it is
    assert (tier["name"], tier["count"], tier["held"], tier["command"]) == (
        "Security suite",
        4,
        3,
        "make test-security",
    )
    assert tier["details"] == [
        "cross-customer requests by id: 3 tried, 2 held",
        "forged or misused tokens on /auth: 1 tried, 1 held",
    ]
    assert json.loads(path.read_text())["measured_on"]


def test_without_a_report_directory_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GUICHET_REPORT_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    tally = Tally()
    tally.record("mass-assignment attempts", held=True)

    assert write_tier("security", **tally.tier()) is None
    assert list(tmp_path.iterdir()) == []
