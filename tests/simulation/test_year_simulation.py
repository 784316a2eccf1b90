"""The year simulation at the size of `make test`: every service together, customers of every demo
profile through a simulated year, the invariants checked after every day (see `simulation/`).

Collected only with GUICHET_SIMULATION=1 (`make test-simulation`, a tier of `make test` of its
own); `make simulate` runs a larger one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from .__main__ import summary
from .year import Report, Settings, Simulation

CUSTOMERS = 24  # three of each profile
DAYS = 365


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Report]:
    import os

    environment = dict(os.environ)
    settings = Settings(
        customers=CUSTOMERS,
        days=DAYS,
        seed=1,
        start=date(2027, 1, 1),
        state_dir=Path(tmp_path_factory.mktemp("year")),
    )
    yield Simulation(settings).run()
    os.environ.clear()
    os.environ.update(environment)


@pytest.mark.timeout(3600)
def test_a_year_of_every_profile_keeps_every_invariant(year: Report) -> None:
    assert year.days == DAYS
    assert not year.failures, summary(year)
