"""The year simulation at the size of `make test`: every service together, customers of every demo
profile through a simulated year, the invariants checked after every day (see `simulation/`).

`make test-simulation` runs it (a step of `make test`, after `make test-local`, which leaves it
out); `make simulate` runs a larger one and prints its figures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from . import worlds
from .__main__ import summary, write_scorecard
from .year import Report, Settings

CUSTOMERS = 16  # two of each profile, in two worlds side by side (worlds.py), one per core:
DAYS = 365  # the year in about two minutes (README, "The year simulation")
WORLDS = 2


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Report]:
    environment = dict(os.environ)
    settings = Settings(
        customers=CUSTOMERS,
        days=DAYS,
        seed=1,
        start=date(2027, 1, 1),
        state_dir=Path(tmp_path_factory.mktemp("year")),
    )
    yield worlds.run(settings, WORLDS)
    os.environ.clear()
    os.environ.update(environment)


@pytest.mark.timeout(1800)
def test_a_year_of_every_profile_keeps_every_invariant(
    year: Report, capsys: pytest.CaptureFixture[str]
) -> None:
    with capsys.disabled():  # who lived the year, and how long it took
        print("\n" + "\n".join(summary(year).splitlines()[:5]))
    report_dir = os.environ.get("GUICHET_REPORT_DIR")  # make test-simulation: the scorecard's tier
    if report_dir:
        write_scorecard(year, Path(report_dir) / "tiers" / "simulation.json", "make test-simulation")
    assert year.days == DAYS
    assert not year.failures, summary(year)
