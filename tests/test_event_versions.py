"""Events of an older version than their model's (guichet_contracts.events.received): read where the
model says what that version meant, refused otherwise. Services deploy one stack at a time, so an
event its producer published before the new version was deployed still reaches the new handlers."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.app import CloudWatchEvent
from guichet_contracts import events
from guichet_contracts.domain_events.auth import CustomerRegistered, CustomerUpdated
from guichet_contracts.domain_events.subscriptions import SubscriptionActivated
from guichet_contracts.events import InvalidEvent

CUSTOMER_V1 = {
    "customer_id": "ab123456-GU",
    "email": "ada@example.org",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "company": None,
    "phone": None,
    "language": "en",
    "address": None,
}


def arrived(name: str, source: str, version: Any, data: dict[str, Any]) -> Any:
    detail = {"event_id": "e1", "version": version, "occurred_at": "2026-11-03T09:00:00Z", "data": data}
    envelope = {
        "version": "0",
        "id": "e-1",
        "account": "123456789012",
        "region": "eu-west-3",
        "resources": [],
    }
    return CloudWatchEvent(
        {**envelope, "detail-type": name, "source": source, "time": "2026-11-03T09:00:00Z", "detail": detail},
        None,
    )


def test_a_customer_of_version_1_is_read_as_one_without_a_providers_id() -> None:
    got = events.received(arrived("CustomerRegistered", "guichet.auth", 1, CUSTOMER_V1), CustomerRegistered)

    assert (got.version, got.data.external_id, got.data.email) == (3, None, "ada@example.org")
    assert (got.data.siren, got.data.siret, got.data.vat_number) == (None, None, None)


def test_a_customer_of_version_2_is_read_as_one_without_a_business_s_identifiers() -> None:
    data = {**CUSTOMER_V1, "external_id": "crm-1", "company": "Ada & Co"}

    got = events.received(
        arrived("CustomerUpdated", "guichet.auth", 2, {**data, "changed": ["company"]}), CustomerUpdated
    )

    assert (got.version, got.data.external_id, got.data.company) == (3, "crm-1", "Ada & Co")
    assert (got.data.siren, got.data.siret, got.data.vat_number) == (None, None, None)
    assert got.data.backup_email is None  # versions 1 and 2 did not carry it


def test_a_version_3_must_say_its_backup_email() -> None:
    data = {key: value for key, value in BUSINESS_V3.items() if key != "backup_email"}

    with pytest.raises(InvalidEvent):
        events.received(
            arrived("CustomerRegistered", "guichet.auth", 3, {**data, "vat_number": None}), CustomerRegistered
        )


BUSINESS_V3 = {
    **CUSTOMER_V1,
    "external_id": None,
    "backup_email": "compta@atelier.example",
    "company": "Atelier",
    "siren": "732829320",
    "siret": None,
}


def test_a_business_of_version_3_is_read_with_its_identifiers() -> None:
    data = {**BUSINESS_V3, "vat_number": "FR44732829320"}

    got = events.received(arrived("CustomerRegistered", "guichet.auth", 3, data), CustomerRegistered)

    assert (got.data.siren, got.data.vat_number) == ("732829320", "FR44732829320")
    assert got.data.backup_email == "compta@atelier.example"


@pytest.mark.parametrize(
    "changes",
    [
        {"siren": "732829321", "vat_number": None},  # Luhn check fails
        {"vat_number": "FR45732829320"},  # wrong key
        {"vat_number": "FR83404833048"},  # another company's
        {"siret": "40483304800022", "vat_number": None},  # an establishment of another SIREN
        {"vat_number": "IT00743110158"},  # wrong check digits
    ],
)
def test_a_version_3_with_wrong_identifiers_is_refused(changes: dict[str, Any]) -> None:
    data = {**BUSINESS_V3, "vat_number": None, **changes}

    with pytest.raises(InvalidEvent):
        events.received(arrived("CustomerRegistered", "guichet.auth", 3, data), CustomerRegistered)


def test_an_activation_of_version_1_is_an_orders_billed_from_its_first_day() -> None:
    from guichet_local.testing import a_subscription

    subscription = a_subscription("ab123456-GU", "mobile", started_on="2026-11-03").model_dump(mode="json")
    data = {"subscription": subscription, "order_id": "o1"}  # what version 1 carried

    got = events.received(
        arrived("SubscriptionActivated", "guichet.subscriptions", 1, data), SubscriptionActivated
    )

    assert (got.data.origin, str(got.data.billed_from)) == ("order", "2026-11-03")


@pytest.mark.parametrize(
    ("version", "data"),
    [
        (0, CUSTOMER_V1),  # a version the model never had
        (4, {**CUSTOMER_V1, "external_id": None}),  # a newer one than this service knows
        (2, {**CUSTOMER_V1, "external_id": None, "siren": None}),  # version 2 never had it
        (True, CUSTOMER_V1),
        ("1", CUSTOMER_V1),
        (1, {**CUSTOMER_V1, "external_id": "crm-1"}),  # version 1 never had the field
        (1, {**CUSTOMER_V1, "nickname": "Ada"}),  # and what it did not have stays refused
    ],
)
def test_other_versions_are_refused(version: Any, data: dict[str, Any]) -> None:
    with pytest.raises(InvalidEvent):
        events.received(arrived("CustomerRegistered", "guichet.auth", version, data), CustomerRegistered)


def test_a_cancellation_of_version_1_with_an_empty_reason_is_one_without() -> None:
    from guichet_contracts.domain_events.subscriptions import SubscriptionCancelled
    from guichet_local.testing import a_subscription

    subscription = a_subscription("ab123456-GU", "mobile", started_on="2026-11-03").model_dump(mode="json")
    data = {"subscription": subscription, "ended_on": "2026-12-02", "immediate": False, "refund": None}

    untold = events.received(
        arrived("SubscriptionCancelled", "guichet.subscriptions", 1, {**data, "reason": ""}),
        SubscriptionCancelled,
    )
    told = events.received(
        arrived("SubscriptionCancelled", "guichet.subscriptions", 1, {**data, "reason": "Je déménage"}),
        SubscriptionCancelled,
    )

    assert (untold.data.reason, told.data.reason) == (None, "Je déménage")


def test_a_closed_month_of_version_1_states_no_taxes() -> None:
    from guichet_contracts.domain_events.consumption import ConsumptionPeriodClosed
    from guichet_local.testing import a_closed_month

    data = a_closed_month("ab123456-GU")
    del data["taxes"]  # what version 1 carried

    got = events.received(
        arrived("ConsumptionPeriodClosed", "guichet.consumption", 1, data), ConsumptionPeriodClosed
    )

    assert (got.version, got.data.taxes, str(got.data.consumed_kwh)) == (2, None, "210.5")
    with pytest.raises(InvalidEvent):  # version 2 must say it
        events.received(
            arrived("ConsumptionPeriodClosed", "guichet.consumption", 2, data), ConsumptionPeriodClosed
        )
