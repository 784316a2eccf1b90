"""AWS failing for a moment (DynamoDB throttled or answering 500 once the SDK's retries are spent)
is a 503 with Retry-After and the error body, never a 500; a real defect stays a 500 that says
nothing about the code. Nothing half-done is left: the login transaction wrote nothing."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import assert_error, login
from pynamodb.exceptions import TransactWriteError


def dynamodb_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "TransactWriteItems",
    )


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("InternalServerError", 500),
        ("ThrottlingException", 400),
        ("ProvisionedThroughputExceededException", 400),
    ],
)
def test_a_dynamodb_failure_inside_the_login_transaction_is_a_503(
    client: Any, customer: Any, monkeypatch: pytest.MonkeyPatch, code: str, status: int
) -> None:
    from chalicelib import sessions

    # Given DynamoDB failing the login's transaction
    def failing_transaction() -> Any:
        raise TransactWriteError("Failed to write transaction items", cause=dynamodb_error(code, status))

    monkeypatch.setattr(sessions, "transaction", failing_transaction)
    before = session_ids(customer.customer_id)

    # When the customer logs in
    response = login(client, customer.email, customer.password)

    # Then 503, retry in a second, and no session was opened
    assert_error(response, 503, "service_unavailable")
    assert response.headers["Retry-After"] == "1"
    assert b"Traceback" not in response.body and b"injected" not in response.body
    monkeypatch.undo()
    assert session_ids(customer.customer_id) == before


def test_a_defect_is_still_a_500_that_says_nothing(
    client: Any, customer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import sessions

    def broken_transaction() -> Any:
        raise KeyError("a bug")

    monkeypatch.setattr(sessions, "transaction", broken_transaction)
    response = login(client, customer.email, customer.password)
    assert_error(response, 500, "internal_error")
    assert "Retry-After" not in response.headers


def session_ids(customer_id: str) -> set[str]:
    from chalicelib.models import Session

    return {
        item.session_id
        for item in Session.query(f"CUSTOMER#{customer_id}", Session.sk.startswith("SESSION#"))
    }
