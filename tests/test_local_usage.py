"""What the local runtime counts of the AWS requests and Lambda invocations it serves
(`GET /_local/usage.json`, guichet_local/usage.py): the figures `make load`'s cost model rests on."""

from __future__ import annotations

import json
import time
from typing import Any

from guichet_local.events import POLL_SECONDS
from guichet_local.usage import Usage, dynamodb_units


def test_dynamodb_request_units_follow_size_consistency_and_transactions() -> None:
    item = json.dumps({"TableName": "t", "Item": {"pk": {"S": "x" * 1500}}}).encode()
    assert dynamodb_units("PutItem", item, 0) == (0.0, 2.0)  # 1.5 KB: two write units
    get = json.dumps({"TableName": "t", "Key": {}}).encode()
    assert dynamodb_units("GetItem", get, 5000) == (1.0, 0.0)  # 5 KB eventually consistent: 2 × ½
    strong = json.dumps({"TableName": "t", "Key": {}, "ConsistentRead": True}).encode()
    assert dynamodb_units("GetItem", strong, 100) == (1.0, 0.0)
    transaction = json.dumps(
        {"TransactItems": [{"Put": {"Item": {"pk": {"S": "a"}}}}, {"Update": {"Key": {"pk": {"S": "b"}}}}]}
    ).encode()
    assert dynamodb_units("TransactWriteItems", transaction, 0) == (0.0, 4.0)
    assert dynamodb_units("DescribeTable", b"{}", 900) == (0.0, 0.0)


def test_usage_counts_requests_by_service_and_invocations_by_handler() -> None:
    usage = Usage()
    signed = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261204/eu-west-3/ses/aws4_request, ..."}
    usage.aws_request(signed, "POST", "", b"Action=SendRawEmail&Version=2010-12-01", 200)
    usage.aws_request({"X-Amz-Target": "DynamoDB_20120810.Query"}, "POST", "", b"{}", 9000)
    usage.aws_request(
        {},
        "GET",
        "X-Amz-Credential=AKID%2F20261204%2Feu-west-3%2Fs3%2Faws4_request&X-Amz-Expires=300",
        b"",
        10,
    )
    usage.invocation("invoices", "api", 0.25)
    usage.invocation("invoices", "api", 0.5)

    snapshot: dict[str, Any] = usage.snapshot()
    assert snapshot["aws"] == {"dynamodb": {"Query": 1}, "s3": {"GET": 1}, "ses": {"SendRawEmail": 1}}
    assert snapshot["dynamodb_units"] == {"read_request_units": 1.5, "write_request_units": 0.0}
    assert snapshot["lambda"] == {"invoices": {"api": {"invocations": 2, "seconds": 0.75}}}


def test_the_runtime_counts_what_a_request_asked_of_aws(runtime: Any) -> None:
    before = runtime.get("/_local/usage.json").json()
    answer = runtime.post(
        "/auth/login", json={"login": "nobody@example.org", "password": "wrong password 123"}
    )
    assert answer.status_code == 401
    after = runtime.get("/_local/usage.json").json()

    assert (
        after["lambda"]["auth"]["api"]["invocations"]
        == before["lambda"].get("auth", {}).get("api", {}).get("invocations", 0) + 1
    )
    reads = sum(after["aws"]["dynamodb"].values()) - sum(before["aws"].get("dynamodb", {}).values())
    assert reads >= 1
    assert after["dynamodb_units"]["read_request_units"] > before["dynamodb_units"]["read_request_units"]


def test_an_idle_runtime_asks_the_emulator_nothing(runtime: Any) -> None:
    # Given a runtime whose events are all handled
    runtime.settle()
    before = runtime.get("/_local/usage.json").json()

    # When nothing happens for longer than a poller waits for a message
    time.sleep(POLL_SECONDS * 1.5)

    # Then no poller asked the emulator for messages: they watch the queues in the emulator's
    # process, and ask only once a message is there (each of the twenty-odd queues was
    # long-polled over HTTP every second, keeping an idle runtime busy). Only a scheduled job
    # firing meanwhile (at its hour of the wall clock) would have given them something to ask for.
    after = runtime.get("/_local/usage.json").json()
    if _background_runs(after) == _background_runs(before):
        assert _receives(after) == _receives(before)


def _receives(usage: dict[str, Any]) -> int:
    return int(usage["aws"].get("sqs", {}).get("ReceiveMessage", 0))


def _background_runs(usage: dict[str, Any]) -> int:
    """Invocations of the services' event and job handlers (their routes' aside)."""
    return sum(
        counted["invocations"]
        for handlers in usage["lambda"].values()
        for handler, counted in handlers.items()
        if handler != "api"
    )
