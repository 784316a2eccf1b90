"""Business customers: company name, SIREN or SIRET, EU VAT number, checked by form and check digits
(guichet_contracts.companies; VIES is not reachable) at registration, on the profile and in the
provider's imports, and carried to the other services by CustomerRegistered/CustomerUpdated v3.

Runs alone: cd services/auth && ../../.venv/bin/python -m pytest -q tests/test_business_accounts.py
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import assert_error, call, new_customer, operator_token, registration
from test_customer_import import Operator, new_id
from test_events import EventQueue, _assert_envelope

SIREN = "732829320"
SIRET = "73282932000074"  # an establishment of SIREN
FR_VAT = "FR44732829320"  # the French VAT number of SIREN
OTHER_FR_VAT = "FR83404833048"  # another company's
IT_VAT = "IT00743110157"
PARIS = {"line1": "8 rue de la Paix", "postal_code": "75002", "city": "Paris", "country": "FR"}
MILANO = {"line1": "Via Dante 1", "postal_code": "20121", "city": "Milano", "country": "IT"}


@pytest.fixture(scope="module")
def event_queue() -> EventQueue:
    return EventQueue()


def business(**fields: Any) -> dict[str, Any]:
    return registration(account_type="business", company="Atelier Lumière SAS", address=PARIS, **fields)


def test_a_french_business_registers_with_its_siren_and_vat_number_and_other_services_hear_of_it(
    client: Any, event_queue: EventQueue
) -> None:
    # When a business registers with its SIREN and VAT number typed with spaces, in lower case
    response = call(client, "POST", "/register", business(siren="732 829 320", vat_number="fr 44 732829320"))

    # Then the account is created, and CustomerRegistered v3 carries the compact identifiers
    assert response.status_code == 201, response.body
    customer_id = response.json_body["customer_id"]
    (event,) = event_queue.of(customer_id, "CustomerRegistered")
    data = _assert_envelope(event)
    assert (data["company"], data["siren"], data["siret"], data["vat_number"]) == (
        "Atelier Lumière SAS",
        SIREN,
        None,
        FR_VAT,
    )


def test_a_siret_alone_gives_the_siren_and_the_profile_shows_a_business(client: Any, mailbox: Any) -> None:
    customer = new_customer(
        client, mailbox, account_type="business", company="Atelier Lumière SAS", siret=SIRET, address=PARIS
    )

    me = call(client, "GET", "/me", token=customer.access_token).json_body

    assert (me["account_type"], me["siren"], me["siret"], me["vat_number"]) == (
        "business",
        SIREN,
        SIRET,
        None,
    )


def test_an_italian_business_may_give_its_vat_number_alone(client: Any) -> None:
    body = registration(account_type="business", company="Trattoria Srl", vat_number=IT_VAT, address=MILANO)

    assert call(client, "POST", "/register", body).status_code == 201


@pytest.mark.parametrize(
    ("fields", "wrong"),
    [
        ({"siren": "732829321"}, "siren"),  # Luhn check fails
        ({"siren": "73282932"}, "siren"),  # 8 digits
        ({"siret": "73282932000075"}, "siret"),  # Luhn check fails
        ({"siren": SIREN, "vat_number": "FR45732829320"}, "vat_number"),  # wrong key
        ({"siren": SIREN, "vat_number": "44732829320"}, "vat_number"),  # no country prefix
        ({"siren": SIREN, "vat_number": "XX44732829320"}, "vat_number"),  # not a member state
        ({"siren": SIREN, "vat_number": OTHER_FR_VAT}, "vat_number"),  # another company's
        ({"siren": "404833048", "siret": SIRET}, "siret"),  # an establishment of another SIREN
        ({"vat_number": FR_VAT}, "siren"),  # a French business without its SIREN
        ({}, "siren"),  # a business without any identifier
        ({"siren": SIREN, "company": ""}, "company"),
    ],
)
def test_wrong_identifiers_are_named_in_a_422_and_no_account_is_made(
    client: Any, fields: dict[str, Any], wrong: str
) -> None:
    body = business(**{key: value for key, value in fields.items() if key != "company"})
    if "company" in fields:
        body["company"] = fields["company"]

    response = call(client, "POST", "/register", body, headers={"accept-language": "fr"})

    error = assert_error(response, 422, "validation_failed", fields=(wrong,))
    assert set(error["fields"]) == {wrong}


def test_an_italian_vat_number_with_wrong_check_digits_is_refused(client: Any) -> None:
    body = registration(
        account_type="business", company="Trattoria Srl", vat_number="IT00743110158", address=MILANO
    )

    assert_error(call(client, "POST", "/register", body), 422, "validation_failed", fields=("vat_number",))


def test_a_person_has_no_business_identifiers(client: Any) -> None:
    body = registration(account_type="individual", siren=SIREN)

    response = call(client, "POST", "/register", body, headers={"accept-language": "en"})

    error = assert_error(response, 422, "validation_failed", fields=("siren",))
    assert error["fields"]["siren"] == "is for a business account only"


def test_a_person_becomes_a_business_and_back_through_the_profile(
    client: Any, mailbox: Any, event_queue: EventQueue
) -> None:
    customer = new_customer(client, mailbox, address=PARIS)
    token = customer.access_token

    # A wrong VAT number changes nothing
    bad = call(
        client,
        "PATCH",
        "/me",
        {"company": "Atelier", "siren": SIREN, "vat_number": OTHER_FR_VAT},
        token=token,
    )
    assert_error(bad, 422, "validation_failed", fields=("vat_number",))
    assert call(client, "GET", "/me", token=token).json_body["company"] is None

    # A business's identifiers alone need its company name
    no_company = call(client, "PATCH", "/me", {"account_type": "business", "siren": SIREN}, token=token)
    assert_error(no_company, 422, "validation_failed", fields=("company",))

    # The person becomes a business (the portal sends the SIREN it left empty as null: the SIRET gives it)
    became = call(
        client,
        "PATCH",
        "/me",
        {"company": "Atelier", "siren": None, "siret": SIRET, "vat_number": FR_VAT},
        token=token,
    )
    assert became.status_code == 200, became.body
    assert (became.json_body["account_type"], became.json_body["siren"]) == ("business", SIREN)
    updated = event_queue.of(customer.customer_id, "CustomerUpdated")
    assert (updated[-1]["detail"]["data"]["siren"], updated[-1]["detail"]["data"]["vat_number"]) == (
        SIREN,
        FR_VAT,
    )

    # And back: "individual" clears every identifier
    back = call(client, "PATCH", "/me", {"account_type": "individual"}, token=token)
    assert back.status_code == 200, back.body
    assert [back.json_body[name] for name in ("account_type", "siren", "siret", "vat_number")] == [
        "individual",
        None,
        None,
        None,
    ]
    last = event_queue.of(customer.customer_id, "CustomerUpdated")[-1]["detail"]["data"]
    assert (last["siren"], last["siret"], last["vat_number"]) == (None, None, None)


def test_the_provider_imports_businesses_and_a_wrong_siren_is_a_rejected_line(client: Any) -> None:
    operator = Operator(client, operator_token("customers:write"))
    header = (
        "external_id,email,first_name,last_name,language,company,siren,vat_number,"
        "address_line1,address_postal_code,address_city,address_country\n"
    )
    good, bad = new_id(), new_id()
    content = (
        header
        + f"{good},{good}@example.org,Luc,Bernard,fr,Atelier Lumière,{SIREN},{FR_VAT},1 rue,75002,Paris,FR\n"
        + f"{bad},{bad}@example.org,Ana,Costa,fr,Costa SARL,732829321,,1 rue,75002,Paris,FR\n"
    )

    report = operator.imported(content)

    lines = {line["line"]: line for line in report["items"]}
    assert lines[2]["status"] == "created"
    assert lines[3]["status"] == "rejected" and set(lines[3]["fields"]) == {"siren"}
    put = operator.put(good, {"email": f"{good}@example.org", "first_name": "Luc", "last_name": "Bernard"})
    assert (put.json_body["siren"], put.json_body["vat_number"]) == (SIREN, FR_VAT)
