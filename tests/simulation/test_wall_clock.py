"""A runtime started without a controlled clock (`make run`) runs on the wall clock and refuses
to be driven: `POST /_local/clock` is for a runtime started with `--clock`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


def test_a_runtime_on_the_wall_clock_cannot_be_driven(runtime: Any) -> None:
    state = runtime.get("/_local/clock").json()
    assert state["controlled"] is False
    now = datetime.fromisoformat(state["now"].replace("Z", "+00:00"))
    assert abs(now - datetime.now(UTC)) < timedelta(minutes=5)
    refused = runtime.post("/_local/clock", json={"now": "2030-01-01T00:00:00Z"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "wall_clock"
