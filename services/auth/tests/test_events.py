"""CustomerRegistered and CustomerUpdated on EventBridge, read back through a rule and a queue (point 12)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import PASSWORD, call, register, unique_email, unique_phone

ENVELOPE_KEYS = {"event_id", "version", "occurred_at", "data"}
PROFILE_KEYS = {
    "customer_id",
    "email",
    "first_name",
    "last_name",
    "address",
    "company",
    "phone",
    "language",
    "siren",
    "siret",
    "vat_number",
}


class EventQueue:
    """An SQS queue behind an EventBridge rule on source guichet.auth, as a consumer would have."""

    def __init__(self) -> None:
        import boto3
        from chalicelib.settings import settings

        self.sqs = boto3.client("sqs")
        events = boto3.client("events")
        bus = settings.event_bus_name
        if bus != "default":
            try:
                events.create_event_bus(Name=bus)
            except events.exceptions.ResourceAlreadyExistsException:
                pass
        name = f"auth-events-{uuid.uuid4().hex[:8]}"
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps({"source": ["guichet.auth"]}))
        events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
        self.received: list[dict[str, Any]] = []

    def of(self, customer_id: str, detail_type: str) -> list[dict[str, Any]]:
        """Every event of this type about this customer received so far, oldest first."""
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            for message in batch:
                self.received.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return [
            event
            for event in self.received
            if event["detail-type"] == detail_type and event["detail"]["data"]["customer_id"] == customer_id
        ]


@pytest.fixture(scope="module")
def event_queue() -> EventQueue:
    return EventQueue()


def _assert_envelope(event: dict[str, Any]) -> dict[str, Any]:
    assert event["source"] == "guichet.auth"
    detail = event["detail"]
    assert set(detail) >= ENVELOPE_KEYS
    assert detail["version"] == 3  # version 3 carries a business customer's identifiers
    uuid.UUID(detail["event_id"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", detail["occurred_at"])
    occurred = datetime.strptime(detail["occurred_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - occurred) < timedelta(minutes=5)
    assert set(detail["data"]) >= PROFILE_KEYS
    return dict(detail["data"])


def test_registration_publishes_customer_registered(client, mailbox, event_queue):
    national, e164 = unique_phone()
    address = {"line1": "3 place Bellecour", "postal_code": "69002", "city": "Lyon", "country": "fr"}

    # When a customer registers
    customer_id, email, _ = register(
        client, mailbox, phone=national, company="Les Canuts", address=address, first_name="Élodie"
    )

    # Then exactly one CustomerRegistered carries their billing profile
    events = event_queue.of(customer_id, "CustomerRegistered")
    assert len(events) == 1
    data = _assert_envelope(events[0])
    assert data["customer_id"] == customer_id
    assert data["external_id"] is None  # registered, not imported: no provider's id
    assert data["email"] == email
    assert (data["first_name"], data["last_name"]) == ("Élodie", "Œuvray")
    assert data["phone"] == e164
    assert data["company"] == "Les Canuts"
    assert data["language"] == "en"
    assert data["address"]["city"] == "Lyon"
    assert data["address"]["country"] == "FR"
    assert "password" not in json.dumps(events[0]) and PASSWORD not in json.dumps(events[0])


def test_a_registration_of_a_known_address_publishes_nothing_new(client, mailbox, event_queue):
    customer_id, email, _ = register(client, mailbox)

    decoy = call(
        client,
        "POST",
        "/register",
        {"email": email, "password": PASSWORD, "first_name": "X", "last_name": "Y"},
    )

    assert decoy.status_code == 201
    assert len(event_queue.of(customer_id, "CustomerRegistered")) == 1
    assert event_queue.of(decoy.json_body["customer_id"], "CustomerRegistered") == []


def test_a_profile_change_publishes_customer_updated(client, customer, event_queue):
    # When the customer changes their billing address
    address = {"line1": "10 via Roma", "postal_code": "00184", "city": "Roma", "country": "IT"}
    response = call(
        client, "PATCH", "/me", {"address": address, "last_name": "Rossi"}, token=customer.access_token
    )
    assert response.status_code == 200, response.body

    # Then one CustomerUpdated carries the new profile and what changed
    events = event_queue.of(customer.customer_id, "CustomerUpdated")
    assert len(events) == 1
    data = _assert_envelope(events[0])
    assert data["customer_id"] == customer.customer_id
    assert data["email"] == customer.email
    assert data["last_name"] == "Rossi"
    assert data["address"]["city"] == "Roma"
    assert data["address"]["country"] == "IT"
    assert sorted(data["changed"]) == ["address", "last_name"]
    assert (
        events[0]["detail"]["event_id"]
        != event_queue.of(customer.customer_id, "CustomerRegistered")[0]["detail"]["event_id"]
    )


def test_a_new_backup_email_publishes_customer_updated(client, customer, event_queue):
    # When the customer gives a backup email (the invoices service mails its security notices there too)
    response = call(
        client, "PATCH", "/me", {"backup_email": "secours@example.net"}, token=customer.access_token
    )
    assert response.status_code == 200, response.body

    # Then one CustomerUpdated carries it
    (event,) = event_queue.of(customer.customer_id, "CustomerUpdated")
    data = _assert_envelope(event)
    assert (data["backup_email"], data["changed"]) == ("secours@example.net", ["backup_email"])


def test_an_applied_email_change_publishes_customer_updated(client, mailbox, customer, event_queue):
    from chalicelib import email_changes

    new_email = unique_email("new")
    email_changes.request(customer.customer_id, new_email, PASSWORD, now=datetime.now(UTC))
    code = re.search(r"^\s*(\d{6})\s*$", mailbox.last(customer.email)["text"], re.MULTILINE).group(1)

    assert (
        call(
            client, "POST", "/me/email-change/confirm", {"code": code}, token=customer.access_token
        ).status_code
        == 200
    )

    events = event_queue.of(customer.customer_id, "CustomerUpdated")
    assert len(events) == 1
    data = _assert_envelope(events[0])
    assert data["email"] == new_email
    assert data["changed"] == ["email"]
