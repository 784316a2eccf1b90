"""Messages to the provider's support (POST/GET /support-messages): kept per customer, mailed to
the brand's support address with the customer id in the subject and Reply-To the customer, an
acknowledgement to the customer; at most 5 a day (429 with Retry-After until the provider's
midnight); idempotent on Idempotency-Key; a subscription named must be the customer's own.

The routes' clock is set (`route_clock`); each test's customer is its own.
"""

from __future__ import annotations

import email
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from conftest import Customer, mails_to, order_and_pay
from guichet_contracts.brand import load_brand
from guichet_local.testing import answer, assert_error

PARIS = ZoneInfo("Europe/Paris")
MESSAGE = {
    "topic": "billing",
    "subject": "Ma facture de juin",
    "message": "Bonjour,\nle montant me surprend.",
}


def send(customer: Customer, body: dict[str, Any], key: str | None = None) -> Any:
    return customer.call(
        "POST", "/support-messages", body, headers={"idempotency-key": key or uuid.uuid4().hex}
    )


def listed(customer: Customer) -> list[dict[str, Any]]:
    return list(answer(customer.call("GET", "/support-messages"))["items"])


def raw_mail_to(address: str) -> email.message.Message:
    """The last raw message SES sent to `address`, headers and all."""
    from moto.ses.models import ses_backends

    for backend in ses_backends.values():
        for region in backend.values():
            for message in reversed(region.sent_messages):
                if address in (getattr(message, "destinations", None) or []):
                    return email.message_from_string(message.raw_data)
    raise AssertionError(f"nothing sent to {address}")


def test_a_message_is_kept_mailed_to_support_with_reply_to_and_acknowledged(
    customer_factory: Any, mailbox: Any, route_clock: Any
) -> None:
    # Given a customer, on 10 July 2026
    route_clock(datetime(2026, 7, 10, 9, 30, tzinfo=PARIS))
    customer = customer_factory(first_name="Léa", last_name="Martin")

    # When a message is sent
    sent = send(customer, MESSAGE)

    # Then it is answered 201, and listed
    assert sent.status_code == 201, sent.body
    message = answer(sent)
    assert message["topic"] == "billing" and message["subject"] == MESSAGE["subject"]
    assert message["message"] == MESSAGE["message"] and message["subscription_id"] is None
    assert message["sent_at"] == "2026-07-10T07:30:00Z"
    assert listed(customer) == [message]
    # the support address got it, with the customer id in the subject, Reply-To the customer
    support = load_brand().support.email
    raw = raw_mail_to(support)
    assert customer.customer_id in raw["Subject"] and "Ma facture de juin" in raw["Subject"]
    assert raw["Reply-To"] == customer.email
    [to_support] = mails_to(mailbox, support, customer.customer_id)
    assert "le montant me surprend." in to_support["text"] and customer.email in to_support["text"]
    assert "Facturation" in to_support["subject"]
    # and the customer an acknowledgement, in their language
    [receipt] = mails_to(mailbox, customer.email, "Ma facture de juin")
    assert "Nous avons bien reçu votre message" in receipt["subject"]
    assert "/assistance" in receipt["text"]


def test_bad_messages_are_refused_field_by_field(customer_factory: Any) -> None:
    customer = customer_factory()
    for body, field in (
        ({**MESSAGE, "topic": "complaint"}, "topic"),
        ({**MESSAGE, "subject": "  "}, "subject"),
        ({**MESSAGE, "message": "x" * 5001}, "message"),
        ({**MESSAGE, "message": ""}, "message"),
        ({k: v for k, v in MESSAGE.items() if k != "subject"}, "subject"),
        ({**MESSAGE, "subscription_id": 12}, "subscription_id"),
    ):
        assert_error(send(customer, body), 422, "validation_failed", field)
    assert listed(customer) == []
    # the longest message allowed goes through
    assert send(customer, {**MESSAGE, "message": "x" * 5000}).status_code == 201


def test_a_repeated_request_sends_once_and_a_reused_key_is_refused(
    customer_factory: Any, mailbox: Any
) -> None:
    customer = customer_factory()
    key = uuid.uuid4().hex
    first = send(customer, MESSAGE, key)
    again = send(customer, MESSAGE, key)

    assert first.status_code == again.status_code == 201
    assert answer(first) == answer(again)
    assert len(listed(customer)) == 1
    assert len(mails_to(mailbox, customer.email, "Ma facture de juin")) == 1
    assert_error(send(customer, {**MESSAGE, "subject": "Autre"}, key), 422, "idempotency_key_reused")
    # a request without a key is refused, and sends nothing
    missing = customer.call("POST", "/support-messages", MESSAGE)
    assert (
        missing.status_code in (400, 422) and answer(missing)["error"]["code"] == "idempotency_key_required"
    )
    assert len(listed(customer)) == 1


def test_at_most_five_a_day_then_429_until_midnight(customer_factory: Any, route_clock: Any) -> None:
    # Given five messages sent on 10 July 2026 (Paris)
    route_clock(datetime(2026, 7, 10, 22, 0, tzinfo=PARIS))
    customer = customer_factory()
    for n in range(5):
        assert send(customer, {**MESSAGE, "subject": f"Question {n}"}).status_code == 201

    # When a sixth is sent that evening: refused until midnight, nothing kept
    refused = send(customer, {**MESSAGE, "subject": "Question 6"})
    assert_error(refused, 429, "too_many_messages")
    assert refused.headers["Retry-After"] == str(2 * 3600)
    assert len(listed(customer)) == 5

    # Then, the next day, it goes through (its key may be the same: the refusal was not kept)
    route_clock(datetime(2026, 7, 11, 0, 5, tzinfo=PARIS))
    assert send(customer, {**MESSAGE, "subject": "Question 6"}).status_code == 201
    assert listed(customer)[0]["subject"] == "Question 6"


def test_a_subscription_named_must_be_the_customers_own(customer_factory: Any) -> None:
    owner = customer_factory()
    other = customer_factory()
    subscription = order_and_pay(owner, "mobile-50go", "Ligne")

    assert_error(
        send(other, {**MESSAGE, "subscription_id": subscription["subscription_id"]}), 404, "not_found"
    )
    assert_error(send(owner, {**MESSAGE, "subscription_id": "no-such-subscription"}), 404, "not_found")
    assert listed(other) == []

    sent = send(owner, {**MESSAGE, "topic": "technical", "subscription_id": subscription["subscription_id"]})
    assert sent.status_code == 201 and answer(sent)["subscription_id"] == subscription["subscription_id"]
    # each lists only their own
    assert len(listed(owner)) == 1 and listed(other) == []
