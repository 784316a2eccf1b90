"""Fixtures of the simulation tests: a local runtime in this process under a controlled clock.

`controlled_runtime(at)` starts `guichet_local.Runtime` with `Options.clock` (every service in its
worker process, as `make run` does), once per test module (the emulator lives in this process: one
runtime at a time; later calls answer the same runtime, whose clock only moves forward), and stops
it at the end of the module: its workers gone, its port free, the process clock back to the wall
clock and the environment as it was (the runtime points `AWS_ENDPOINT_URL` at its emulator).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from guichet_local.runtime import Options, Runtime
from guichet_local.services import SERVICES


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def controlled_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[datetime], Runtime]]:
    started: list[Runtime] = []
    environment = dict(os.environ)

    def start(at: datetime) -> Runtime:
        if started:
            return started[0]
        runtime = Runtime(
            Options(
                port=0,
                services=list(SERVICES),
                demo=False,
                state_dir=Path(tmp_path_factory.mktemp("controlled")),
                clock=at,
            )
        )
        started.append(runtime)
        runtime.start()
        return runtime

    yield start
    for runtime in started:
        port = runtime.gateway.server_address[1] if runtime.gateway else None
        pids = [worker.pid for worker in runtime.workers.values()]
        runtime.stop()
        assert not [pid for pid in pids if _alive(pid)], "workers still running after the runtime stopped"
        assert port is None or _port_free(port), f"port {port} still bound after the runtime stopped"
        assert runtime.clock.now is None, "the process clock was not given back"
    os.environ.clear()
    os.environ.update(environment)
