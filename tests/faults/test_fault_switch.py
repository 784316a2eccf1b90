"""The emulator's fault switch (guichet_local.emulator.Faults) on its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from guichet_local.emulator import EmulatorServer, FaultRule


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    server = EmulatorServer("127.0.0.1", 0)
    server.start()
    yield server
    server.stop()


def _client(emulator: EmulatorServer, service: str, app_id: str | None) -> Any:
    host, port = emulator.get_host_and_port()
    return boto3.client(
        service,
        endpoint_url=f"http://{host}:{port}",
        region_name="eu-west-3",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, user_agent_appid=app_id),
    )


def test_a_service_s_calls_fail_as_aws_fails_them_and_no_one_else_s(emulator: EmulatorServer) -> None:
    worker, harness = _client(emulator, "dynamodb", "guichet-invoices"), _client(emulator, "dynamodb", None)
    emulator.faults.set({"dynamodb": FaultRule(1.0)}, seed=3)
    codes = set()
    for _ in range(20):
        with pytest.raises(ClientError) as failed:
            worker.list_tables()
        codes.add(
            (
                failed.value.response["Error"]["Code"],
                failed.value.response["ResponseMetadata"]["HTTPStatusCode"],
            )
        )
    assert codes == {
        ("ProvisionedThroughputExceededException", 400),
        ("ThrottlingException", 400),
        ("InternalServerError", 500),
    }
    harness.list_tables()  # the runtime's own calls go through
    _client(emulator, "s3", "guichet-invoices").list_buckets()  # S3 has no rule
    emulator.faults.set({"s3": FaultRule(1.0, kinds=("throttling",), callers=frozenset({"consumption"}))})
    worker.list_tables()
    _client(emulator, "s3", "guichet-invoices").list_buckets()  # another service's calls only
    with pytest.raises(ClientError, match="SlowDown"):
        _client(emulator, "s3", "guichet-consumption").list_buckets()
    emulator.faults.clear()
    injected = emulator.faults.describe()["injected"]
    assert sum(entry["count"] for entry in injected) == 21
    assert {entry["operation"] for entry in injected} == {"ListTables", "GET bucket"}


def test_a_rate_fails_that_share_of_the_calls_the_same_with_the_same_seed(emulator: EmulatorServer) -> None:
    worker = _client(emulator, "dynamodb", "guichet-auth")

    def outcomes() -> list[bool]:
        emulator.faults.set({"dynamodb": FaultRule(0.3)}, seed=11)
        seen = []
        for _ in range(200):
            try:
                worker.list_tables()
                seen.append(True)
            except ClientError:
                seen.append(False)
        emulator.faults.clear()
        return seen

    first = outcomes()
    assert 40 <= first.count(False) <= 80
    assert outcomes() == first


def test_a_rule_is_a_share_and_known_kinds() -> None:
    with pytest.raises(ValueError):
        FaultRule(1.5)
    with pytest.raises(ValueError):
        FaultRule(0.1, kinds=("slow",))
