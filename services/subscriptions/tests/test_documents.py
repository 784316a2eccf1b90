"""Documents of a subscription: the owner gets a presigned link of at most 300 s to a PDF stored in
the service's bucket, made from the subscription and the customer's copy."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pypdf
import pytest
from conftest import Customer, electricity_options, new_customer_id, order_and_pay, update_customer, utc
from guichet_local.testing import answer, assert_error

BUCKET = os.environ["SUBSCRIPTIONS_DOCUMENTS_BUCKET"]


def s3() -> Any:
    import boto3

    return boto3.client("s3")


def key_of(url: str) -> str:
    """The object key a presigned URL points at (virtual-hosted or path style)."""
    parts = urlsplit(url)
    path = unquote(parts.path).lstrip("/")
    if parts.hostname and parts.hostname.startswith(f"{BUCKET}."):
        return path
    bucket, _, key = path.partition("/")
    assert bucket == BUCKET, url
    return key


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def stored_under(prefix: str) -> list[str]:
    return [item["Key"] for item in s3().list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


@pytest.mark.parametrize("kind", ["contract", "terms", "proof_of_address"])
def test_the_owner_gets_a_short_lived_link_to_a_pdf_in_the_bucket(customer_factory: Any, kind: str) -> None:
    # Given an active electricity contract
    customer = customer_factory()
    subscription = order_and_pay(customer, "electricity-essentielle", "Maison", electricity_options())
    subscription_id = subscription["subscription_id"]

    # When its owner asks for the document
    before = datetime.now(UTC).replace(microsecond=0)
    response = customer.call("GET", f"/{subscription_id}/documents/{kind}")
    after = datetime.now(UTC)

    # Then the link points at the PDF in the bucket, under the customer's and subscription's prefix
    assert response.status_code == 200
    link = answer(response)
    assert set(link) == {"url", "expires_at"}
    key = key_of(link["url"])
    assert key.startswith(f"documents/{customer.customer_id}/{subscription_id}/{kind}")
    assert key.endswith("-fr.pdf")
    # And it is signed for at most 300 s, and says when it ends
    query = parse_qs(urlsplit(link["url"]).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert 0 < int(query["X-Amz-Expires"][0]) <= 300
    expires_at = datetime.strptime(link["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before < expires_at <= after + timedelta(seconds=300)
    assert f"{kind}-{subscription['dossier_number']}.pdf" in query["response-content-disposition"][0]
    # And the object is a PDF naming the customer, stored encrypted
    stored = s3().get_object(Bucket=BUCKET, Key=key)
    content = stored["Body"].read()
    assert content.startswith(b"%PDF")
    assert stored["ContentType"] == "application/pdf"
    assert stored["ServerSideEncryption"] == "AES256"
    assert customer.customer_id in pdf_text(content)


def test_a_document_is_made_once_and_linked_again(customer_factory: Any) -> None:
    # Given a contract asked for once
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    first = answer(customer.call("GET", f"/{subscription_id}/documents/contract"))

    # When it is asked for again
    second = answer(customer.call("GET", f"/{subscription_id}/documents/contract"))

    # Then the link points at the same object, which was written once
    assert key_of(second["url"]) == key_of(first["url"])
    versions = s3().list_object_versions(Bucket=BUCKET, Prefix=key_of(first["url"])).get("Versions", [])
    assert len(versions) == 1


def test_documents_follow_the_language_asked_for(customer_factory: Any) -> None:
    # Given a subscription
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "electricity-essentielle", "Maison", electricity_options())[
        "subscription_id"
    ]
    english = {"accept-language": "en-GB,en;q=0.9,fr;q=0.5"}

    # When its documents are listed and the terms linked in English
    listed = customer.call("GET", f"/{subscription_id}/documents", headers=english)
    link = customer.call("GET", f"/{subscription_id}/documents/terms", headers=english)

    # Then the titles and the PDF are the English ones
    assert listed.status_code == 200
    assert [item["title"] for item in answer(listed)["items"]] == [
        "Subscription contract",
        "General terms of sale",
        "Proof of address (certificate)",
    ]
    assert key_of(answer(link)["url"]).endswith("/terms-en.pdf")
    content = s3().get_object(Bucket=BUCKET, Key=key_of(answer(link)["url"]))["Body"].read()
    assert "General terms" in pdf_text(content)


def test_a_proof_of_address_needs_an_address(customer_factory: Any) -> None:
    # Given a customer without a postal address, with an active subscription
    customer = customer_factory(address=None)
    subscription_id = order_and_pay(customer, "electricity-essentielle", "Maison", electricity_options())[
        "subscription_id"
    ]

    # When they ask for a proof of address
    response = customer.call("GET", f"/{subscription_id}/documents/proof_of_address")

    # Then 409 address_missing, and no document was stored
    assert_error(response, 409, "address_missing")
    assert stored_under(f"documents/{customer.customer_id}/{subscription_id}/proof_of_address") == []
    # While the contract, which needs no address, is there
    assert customer.call("GET", f"/{subscription_id}/documents/contract").status_code == 200


@pytest.mark.parametrize("kind", ["invoice", "CONTRACT", "contract.pdf", "..%2Fcontract"])
def test_an_unknown_kind_is_not_found(customer_factory: Any, kind: str) -> None:
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "mobile-2h", "Ligne")["subscription_id"]
    response = customer.call("GET", f"/{subscription_id}/documents/{kind}")
    assert_error(response, 404, "not_found")
    assert stored_under(f"documents/{customer.customer_id}/") == []


def test_documents_wait_for_the_customers_details(client: Any, signer: Any) -> None:
    # Given a customer whose details have not reached the service yet, with a subscription
    customer_id = new_customer_id("zz")
    customer = Customer(customer_id, f"{customer_id.lower()}@example.org", signer.token(customer_id), client)
    subscription_id = order_and_pay(customer, "mobile-2h", "Ligne")["subscription_id"]

    # When they ask for their contract
    response = customer.call("GET", f"/{subscription_id}/documents/contract")

    # Then they are asked to come back later, and nothing was stored
    assert_error(response, 409, "profile_unavailable")
    assert stored_under(f"documents/{customer_id}/") == []

    # When the details arrive (auth's CustomerUpdated)
    update_customer(customer)

    # Then the contract is there
    assert customer.call("GET", f"/{subscription_id}/documents/contract").status_code == 200
    assert len(stored_under(f"documents/{customer_id}/")) == 1


def test_a_proof_of_address_is_only_for_a_running_subscription(customer_factory: Any) -> None:
    # Given a hosting pack not configured yet
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "hosting-linux-100", "Site")["subscription_id"]

    # When a proof of address is asked for
    response = customer.call("GET", f"/{subscription_id}/documents/proof_of_address")

    # Then it is refused while the subscription does not run, and nothing is stored
    assert_error(response, 409, "forbidden_transition")
    assert stored_under(f"documents/{customer.customer_id}/") == []


def test_a_proof_of_address_asked_after_a_move_shows_the_new_address(customer_factory: Any) -> None:
    # Given a proof of address made this morning
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "electricity-essentielle", "Maison", electricity_options())[
        "subscription_id"
    ]
    customer.call("GET", f"/{subscription_id}/documents/proof_of_address")

    # When the customer moves (auth's CustomerUpdated) and asks for a proof again
    update_customer(
        customer,
        address={
            "line1": "12 avenue des Tilleuls",
            "line2": None,
            "postal_code": "69003",
            "city": "Lyon",
            "country": "FR",
        },
    )
    link = answer(customer.call("GET", f"/{subscription_id}/documents/proof_of_address"))

    # Then it shows the new address
    text = pdf_text(s3().get_object(Bucket=BUCKET, Key=key_of(link["url"]))["Body"].read())
    assert "Tilleuls" in text and "Lyon" in text
    assert "rue de la Paix" not in text


@pytest.mark.time_machine(utc(2027, 10, 14, 10, 0), tick=False)
def test_a_proof_of_address_asked_again_the_same_day_is_made_once(customer_factory: Any) -> None:
    # Given a proof of address asked for on 14 October 2027 (a day set: both asks fall on it)
    customer = customer_factory()
    subscription_id = order_and_pay(customer, "electricity-essentielle", "Maison", electricity_options())[
        "subscription_id"
    ]
    first = answer(customer.call("GET", f"/{subscription_id}/documents/proof_of_address"))

    # When it is asked for again, the customer's details unchanged (auth's CustomerUpdated repeated)
    update_customer(customer)
    second = answer(customer.call("GET", f"/{subscription_id}/documents/proof_of_address"))

    # Then the link points at the same object, which was written once
    assert key_of(second["url"]) == key_of(first["url"])
    assert stored_under(f"documents/{customer.customer_id}/{subscription_id}/proof_of_address") == [
        key_of(first["url"])
    ]
    versions = s3().list_object_versions(Bucket=BUCKET, Prefix=key_of(first["url"])).get("Versions", [])
    assert len(versions) == 1


def test_a_mobile_line_has_no_proof_of_address(customer_factory: Any) -> None:
    # Given an active mobile line and an active electricity contract
    customer = customer_factory()
    line = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    home = order_and_pay(customer, "electricity-essentielle", "Maison", electricity_options())[
        "subscription_id"
    ]

    # When their documents are listed
    kinds = {
        subscription_id: [
            item["kind"] for item in answer(customer.call("GET", f"/{subscription_id}/documents"))["items"]
        ]
        for subscription_id in (line, home)
    }

    # Then the line has its contract and terms but no proof of address, which is not found either
    assert kinds[line] == ["contract", "terms"]
    assert kinds[home] == ["contract", "terms", "proof_of_address"]
    assert_error(customer.call("GET", f"/{line}/documents/proof_of_address"), 404, "not_found")
    assert stored_under(f"documents/{customer.customer_id}/{line}/") == []


@pytest.mark.parametrize("language", ["fr", "en", "it"])
def test_the_terms_of_sale_in_force_are_linked_before_any_subscription(
    customer_factory: Any, language: str
) -> None:
    from guichet_contracts.brand import load_brand

    # Given a customer with no subscription
    customer = customer_factory()

    # When they ask for the terms of sale in a language
    response = customer.call("GET", f"/catalog/terms?language={language}")

    # Then a short link to the brand's terms PDF in that language comes with the version in force
    link = answer(response)
    brand = load_brand()
    assert set(link) == {"url", "expires_at", "version"}
    assert link["version"] == brand.terms_of_sale.version
    key = key_of(link["url"])
    assert key.startswith("documents/terms-of-sale/") and key.endswith(f"-{language}.pdf")
    assert 0 < int(parse_qs(urlsplit(link["url"]).query)["X-Amz-Expires"][0]) <= 300
    text = pdf_text(s3().get_object(Bucket=BUCKET, Key=key)["Body"].read())
    first_heading = brand.terms(language)[0][0]
    assert " ".join(first_heading.split()[:3]) in " ".join(text.split())
    assert brand.terms_of_sale.version in text


def test_the_terms_of_sale_take_a_known_language_only(customer_factory: Any) -> None:
    customer = customer_factory()
    assert_error(customer.call("GET", "/catalog/terms?language=de"), 422, "validation_failed")


def test_a_business_s_contract_names_the_company_its_siret_and_its_vat_number(customer_factory: Any) -> None:
    # Given a business customer (auth's CustomerRegistered v3: company, SIREN, SIRET, VAT number)
    customer = customer_factory(
        company="Atelier Lumière SAS", siren="732829320", siret="73282932000074", vat_number="FR44732829320"
    )
    subscription_id = order_and_pay(customer, "electricity-essentielle", "Atelier", electricity_options())[
        "subscription_id"
    ]

    # When it asks for its contract
    link = answer(customer.call("GET", f"/{subscription_id}/documents/contract"))

    # Then the holder is the company, with the establishment's SIRET and the VAT number
    text = pdf_text(s3().get_object(Bucket=BUCKET, Key=key_of(link["url"]))["Body"].read())
    assert "Atelier Lumière SAS" in text
    assert "SIRET : 73282932000074" in text and "N° de TVA intracommunautaire : FR44732829320" in text

    # And a person's contract has none of them
    person = customer_factory()
    subscription_id = order_and_pay(person, "electricity-essentielle", "Maison", electricity_options())[
        "subscription_id"
    ]
    link = answer(person.call("GET", f"/{subscription_id}/documents/contract"))
    text = pdf_text(s3().get_object(Bucket=BUCKET, Key=key_of(link["url"]))["Body"].read())
    assert "SIRET" not in text and "SIREN" not in text.replace("SIREN 123456789", "")
