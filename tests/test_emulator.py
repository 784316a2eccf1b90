"""The embedded emulator's speed-ups (guichet_local/emulator.py) change nothing it answers, and
its server keeps a client's connection open between requests."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from conftest import REPO, port_is_free
from guichet_local import emulator

ANSWERS = REPO / "tests" / "fixtures" / "emulator_answers.py"


def answers(*arguments: str) -> Any:
    done = subprocess.run(
        [sys.executable, str(ANSWERS), *arguments], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_the_speed_ups_answer_what_moto_answers() -> None:
    # Given the same requests: queries of every kind, items of every type, transactions that
    # pass and fail (read back with the stream's records), events routed to a queue
    as_moto_answers = answers()

    # When the emulator answers them with its speed-ups
    sped_up = answers("--speed-up")

    # Then every answer is the same
    assert len(sped_up) == len(as_moto_answers)
    for number, (expected, got) in enumerate(zip(as_moto_answers, sped_up, strict=True)):
        assert got == expected, f"answer {number} differs"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[emulator.EmulatorServer]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    emulator.speed_up()
    started = emulator.EmulatorServer("127.0.0.1", 0)
    started.start()
    yield started
    started.stop()


def test_one_connection_carries_many_requests_and_the_server_stops(
    server: emulator.EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = emulator._handler_class()
    connections: list[Any] = []
    setup = handler.setup
    monkeypatch.setattr(handler, "setup", lambda self: (connections.append(self.client_address), setup(self)))
    host, port = server.get_host_and_port()
    s3 = boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name="eu-west-3")

    # A file put (its body after "100 Continue"), its head and the file read back, many times
    s3.create_bucket(Bucket="drop", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    content = b"meter_id,start,value\n" * 1000
    for _ in range(5):
        s3.put_object(Bucket="drop", Key="readings/a.csv", Body=content)
        assert s3.head_object(Bucket="drop", Key="readings/a.csv")["ContentLength"] == len(content)
        assert s3.get_object(Bucket="drop", Key="readings/a.csv")["Body"].read() == content

    # went over one connection
    assert len(connections) == 1, connections

    server.stop()  # the connection kept open does not hold it up
    assert port_is_free(port)
