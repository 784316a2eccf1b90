"""The portal checks its forms with the APIs' own numbers: each limit of web/core/checks.js (LIMITS)
is the one the services' served OpenAPI documents state for the field it stands for, so that the
portal never refuses what a service takes, nor lets through what it refuses for a length or range
(issue 11, point 4). A limit changed on one side only fails here."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
from conftest import REPO

# LIMITS key -> the places of the documents that say it: (service, schema, property)
PLACES: dict[str, list[tuple[str, str, str]]] = {
    "name": [
        ("auth", "Registration", "first_name"),
        ("auth", "Registration", "last_name"),
        ("auth", "Registration", "company"),
        ("auth", "AddressBody", "line1"),
        ("auth", "AddressBody", "city"),
        ("auth", "ContactBody", "name"),
        ("subscriptions", "InstallationAddress", "line1"),
        ("subscriptions", "InstallationAddress", "city"),
    ],
    "login": [("auth", "Login", "login"), ("auth", "ForgotBody", "login")],
    "email": [
        ("auth", "Registration", "email"),
        ("auth", "EmailChangeRequest", "new_email"),
        ("auth", "RecoveryRequest", "contact_email"),
    ],
    "phone": [
        ("auth", "Registration", "phone"),
        ("auth", "ContactBody", "phone"),
        ("auth", "RecoveryRequest", "contact_phone"),
        ("subscriptions", "AppointmentRequest", "phone"),
    ],
    "postal_code": [("auth", "AddressBody", "postal_code")],
    "company_id": [
        ("auth", "Registration", "siren"),
        ("auth", "Registration", "siret"),
        ("auth", "Registration", "vat_number"),
        ("auth", "ProfileChanges", "vat_number"),
    ],
    "new_password": [
        ("auth", "Registration", "password"),
        ("auth", "ResetBody", "new_password"),
        ("auth", "PasswordChange", "new_password"),
    ],
    "code": [("auth", "CodeBody", "code")],
    "customer_id": [("auth", "RecoveryRequest", "customer_id")],
    "recovery_message": [("auth", "RecoveryRequest", "message")],
    "iban": [("invoices", "BankAccountBody", "iban")],
    "bic": [("invoices", "BankAccountBody", "bic")],
    "card_token": [
        ("invoices", "PaymentRequest", "card_token"),
        ("invoices", "MultiPaymentRequest", "card_token"),
    ],
    "subject": [("subscriptions", "SupportMessageRequest", "subject")],
    "message": [("subscriptions", "SupportMessageRequest", "message")],
    "topic": [("subscriptions", "AppointmentRequest", "topic")],
    "reason": [("subscriptions", "Cancellation", "reason")],
    "label": [("subscriptions", "OrderItem", "label")],
    "periods": [("subscriptions", "RenewRequest", "periods")],
    "consumption_alert_kwh": [("subscriptions", "ElectricitySettings", "consumption_alert_kwh")],
    "dns_servers": [("subscriptions", "DomainSettings", "dns_servers")],
    "ssh_public_keys": [("subscriptions", "HostingSettings", "ssh_public_keys")],
}
# the limits a validator checks beyond the document (technical_settings.py, bank_details.py):
# compared with the validators' own source below
CHECKED_ELSEWHERE = {"holder", "wifi_password", "expiring_within_days"}
KEYS = ("minLength", "maxLength", "pattern", "minimum", "maximum", "minItems", "maxItems")


def portal_limits() -> dict[str, dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to read the portal's modules (make test-portal needs it too)")
    script = 'import { LIMITS } from "./web/core/checks.js"; console.log(JSON.stringify(LIMITS));'
    answer = subprocess.run(
        [node, "--input-type=module", "-e", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(answer.stdout)


def stated(document: dict[str, Any], schema: str, name: str) -> dict[str, Any]:
    """What the document says of one property: its own constraints and those of its non-null choice."""
    return constraints(document["components"]["schemas"][schema]["properties"][name])


def constraints(found: dict[str, Any]) -> dict[str, Any]:
    said: dict[str, Any] = {}
    for part in [found, *found.get("anyOf", [])]:
        said.update({key: part[key] for key in KEYS if key in part})
        if isinstance(part.get("exclusiveMinimum"), int):
            said.setdefault("minimum", part["exclusiveMinimum"] + 1)  # an integer above n is at least n + 1
    return said


@pytest.fixture(scope="module")
def documents(runtime: Any) -> dict[str, dict[str, Any]]:
    served = {}
    for service in ("auth", "subscriptions", "invoices"):
        answer = runtime.get(f"/{service}/openapi.json")
        assert answer.status_code == 200
        served[service] = answer.json()
    return served


def test_every_limit_of_the_portal_is_the_one_its_api_states(documents: dict[str, dict[str, Any]]) -> None:
    limits = portal_limits()
    assert set(limits) == set(PLACES) | CHECKED_ELSEWHERE, "a limit of checks.js without its place here"
    wrong = []
    for key, places in PLACES.items():
        for service, schema, name in places:
            said = stated(documents[service], schema, name)
            for constraint, value in limits[key].items():
                if said.get(constraint) != value:
                    wrong.append(f"{key}.{constraint}={value!r}: {service} {schema}.{name} says {said}")
    assert not wrong, "\n".join(wrong)


def test_the_limits_the_validators_keep_are_the_portal_s(documents: dict[str, dict[str, Any]]) -> None:
    limits = portal_limits()
    # the holder's pattern: a first and a last character around 0 to N more (bank_details.py: 2 to 70)
    holder = stated(documents["invoices"], "BankAccountBody", "holder")["pattern"]
    inner = int(re.search(r"\{0,(\d+)\}", holder).group(1))  # type: ignore[union-attr]
    assert limits["holder"] == {"minLength": 2, "maxLength": inner + 2}
    # the subscriptions list's query parameter
    listing = documents["subscriptions"]["paths"]["/subscriptions"]["get"]["parameters"]
    (days,) = [constraints(each["schema"]) for each in listing if each["name"] == "expiring_within_days"]
    assert limits["expiring_within_days"] == {"minimum": days["minimum"], "maximum": days["maximum"]}
    # the Wi-Fi passphrase: WPA's 8 to 63 characters, as technical_settings.py checks them
    source = (REPO / "services" / "subscriptions" / "chalicelib" / "technical_settings.py").read_text()
    low, high = re.search(
        r"if not (\d+) <= len\(value\) <= (\d+):\n\s+raise Invalid\(\"field.passphrase_length", source
    ).groups()  # type: ignore[union-attr]
    assert limits["wifi_password"] == {"minLength": int(low), "maxLength": int(high)}


def test_a_limit_changed_on_one_side_is_found() -> None:
    document = {
        "components": {
            "schemas": {
                "Body": {
                    "properties": {
                        "phone": {"anyOf": [{"type": "string", "maxLength": 40}, {"type": "null"}]},
                        "alert": {
                            "anyOf": [
                                {"type": "integer", "exclusiveMinimum": 0, "maximum": 10},
                                {"type": "null"},
                            ]
                        },
                    }
                }
            }
        }
    }
    assert stated(document, "Body", "phone") == {"maxLength": 40}
    assert stated(document, "Body", "alert") == {"minimum": 1, "maximum": 10}
