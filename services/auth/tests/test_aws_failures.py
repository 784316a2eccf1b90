"""AWS failing for a moment (DynamoDB throttled or answering 500 once the SDK's retries are spent)
is a 503 with Retry-After and the error body, never a 500; a real defect stays a 500 that says
nothing about the code. Nothing half-done is left: the login transaction wrote nothing."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import assert_error, call, login, register
from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError


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


@pytest.mark.parametrize("failing", ["the account's activation", "the link's use"])
def test_a_verification_that_failed_midway_leaves_the_link_working_for_its_retry(
    client: Any, mailbox: Any, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    # Given a registered customer's verification link, and DynamoDB throttling one write of the
    # verification once (found by the fault-injection tier: the link was used up by a request
    # answered 503, its retry got 422 invalid_token, and the account stayed unverified)
    from chalicelib.models import Account, OneTimeToken

    customer_id, _, token = register(client, mailbox)
    throttled = dynamodb_error("ThrottlingException", 400)
    target, method, error = (
        (Account, "update", UpdateError)
        if failing == "the account's activation"
        else (OneTimeToken, "delete", DeleteError)
    )

    original = getattr(target, method)

    def fails_once(self: Any, *args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(target, method, original)
        raise error("injected", cause=throttled)

    monkeypatch.setattr(target, method, fails_once)

    # When the link is followed: 503; and the client retries
    first = call(client, "POST", "/verify-email", {"token": token})
    assert_error(first, 503, "service_unavailable")
    again = call(client, "POST", "/verify-email", {"token": token})

    # Then the retry activates the account, and the link is used up
    assert again.status_code == 200, again.body
    assert again.json_body == {"customer_id": customer_id, "status": "active"}
    assert_error(call(client, "POST", "/verify-email", {"token": token}), 422, "invalid_token")


# --- the SDK's retries (guichet_contracts.retries), found by the fault-injection tier: at half the
# calls throttled, PynamoDB's 4 attempts (and a retry quota that runs out) failed nearly every job


def throttle(client: Any, operation: str, times: int, status: int, body: bytes) -> list[int]:
    """The next `times` attempts of `operation` by this botocore client are throttled; how many were."""
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse

    throttled = [0]

    def answer(request: Any, **kwargs: Any) -> Any:
        if throttled[0] >= times:
            return None  # on to the emulator
        throttled[0] += 1
        return AWSResponse(request.url, status, {}, MockRawResponse(body))

    client.meta.events.register_first(
        f"before-send.{client.meta.service_model.service_id.hyphenize()}.{operation}", answer
    )
    return throttled


@pytest.fixture
def no_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    import botocore.endpoint

    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=lambda seconds: None))


@pytest.mark.usefixtures("no_retry_waits")
def test_a_dynamodb_call_throttled_six_times_in_a_row_still_succeeds(customer: Any) -> None:
    from chalicelib import accounts
    from chalicelib.models import Account

    body = (
        b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"x"}'
    )
    throttled = throttle(Account._get_connection().connection.client, "GetItem", 6, 400, body)

    assert accounts.get(customer.customer_id).customer_id == customer.customer_id
    assert throttled == [6]


@pytest.mark.usefixtures("no_retry_waits")
def test_a_mail_throttled_six_times_in_a_row_still_leaves(customer: Any) -> None:
    from chalicelib.settings import settings
    from guichet_contracts import mail

    email = mail.Email(to="someone@example.org", subject="Test", text="text\n", html="<p>html</p>")
    mail.send(email, sender=settings.mail_sender)  # the service's SES client, made
    body = (
        b'<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type>'
        b"<Code>Throttling</Code><Message>Maximum sending rate exceeded.</Message></Error>"
        b"<RequestId>x</RequestId></ErrorResponse>"
    )
    throttled = throttle(mail._client, "SendRawEmail", 6, 400, body)

    assert mail.send(email, sender=settings.mail_sender)
    assert throttled == [6]
