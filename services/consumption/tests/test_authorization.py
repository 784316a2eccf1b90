"""Who may read what (API.md "Conventions"): every route but health and the OpenAPI document needs a
valid access token (401 otherwise, before anything else is looked at), and another customer's
meter answers exactly like a meter that does not exist."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import MOBILE_TARIFF, csv_file, drop, electricity_meter, meter_of, new_pdl, ok, rows
from guichet_local.testing import answer, assert_error

METER_ROUTES = [
    "/series?from=2026-03-01&to=2026-03-31",
    "/summary?year=2026",
    "/export.csv?from=2026-03-02&to=2026-03-02",
]
PROTECTED = [
    "/meters",
    "/meters/{meter_id}/series",
    "/meters/{meter_id}/summary",
    "/meters/{meter_id}/export.csv",
    "/battery",
    "/surplus",
    "/usage",
]


@pytest.fixture
def alice_and_bob(customer_factory: Any) -> tuple[Any, Any, str]:
    """Alice, and Bob with a meter read on 2 March 2026."""
    alice, bob = customer_factory(), customer_factory()
    bobs, pdl = electricity_meter(bob)
    drop(bob.client, csv_file(rows(pdl, {"2026-03-02T12:00:00+01:00": "4.321"})))
    return alice, bob, bobs


@pytest.mark.parametrize("route", METER_ROUTES, ids=["series", "summary", "export"])
def test_another_customers_meter_answers_like_a_missing_one(
    alice_and_bob: tuple[Any, Any, str], route: str
) -> None:
    # Given Bob's meter with readings
    alice, bob, bobs = alice_and_bob

    # When Alice asks for it, and for a meter that does not exist
    foreign = alice.call("GET", f"/meters/{bobs}{route}")
    missing = alice.call("GET", f"/meters/{new_pdl()}{route}")

    # Then both are the same 404, and nothing of Bob's meter is in it
    assert_error(foreign, 404, "not_found")
    assert (foreign.status_code, foreign.body) == (missing.status_code, missing.body)
    assert b"4.321" not in foreign.body and bobs.encode() not in foreign.body
    # while Bob reads his own
    assert bob.call("GET", f"/meters/{bobs}{route}").status_code == 200


def test_another_customers_mobile_meter_answers_like_a_missing_one(customer_factory: Any) -> None:
    # Given Bob's mobile line
    alice, bob = customer_factory(), customer_factory()
    meter_id = meter_of(bob, bob.subscribe("mobile", offer=None, tariff=MOBILE_TARIFF), "GB")

    # When Alice asks for its series
    response = alice.call("GET", f"/meters/{meter_id}/series")

    # Then 404
    assert_error(response, 404, "not_found")


def test_a_meter_id_too_long_to_be_one_is_not_found(customer_factory: Any) -> None:
    # Given a customer
    customer = customer_factory()

    # When they ask for a meter whose id is 10,000 characters long
    response = customer.call("GET", f"/meters/{'9' * 10_000}/series")

    # Then 404, like any meter that does not exist
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("route", PROTECTED)
def test_every_protected_route_needs_a_token(client: Any, route: str) -> None:
    # Given no access token
    # When a protected route is called
    response = client.http.get(route.replace("{meter_id}", new_pdl()), headers={})

    # Then 401 with the error body
    assert_error(response, 401, "unauthenticated")


def bad_tokens(signer: Any) -> dict[str, str]:
    """Authorization headers that do not prove who is calling."""
    from guichet_local.testing import Signer

    customer_id = "tc000001-GU"
    return {
        "garbage": "Bearer not-a-token",
        "empty": "Bearer ",
        "basic": "Basic dXNlcjpwYXNz",
        "no-scheme": signer.token(customer_id),
        "expired": "Bearer " + signer.token(customer_id, exp=1_600_000_000, iat=1_599_999_000),
        "another-audience": "Bearer " + signer.token(customer_id, aud="someone-else"),
        "another-key": "Bearer " + Signer().token(customer_id),
    }


@pytest.mark.parametrize(
    "kind", ["garbage", "empty", "basic", "no-scheme", "expired", "another-audience", "another-key"]
)
def test_a_token_that_proves_nothing_is_a_401(client: Any, signer: Any, kind: str) -> None:
    # Given an Authorization header that does not prove who is calling
    header = bad_tokens(signer)[kind]

    # When the meters are listed with it
    response = client.http.get("/meters", headers={"authorization": header})

    # Then 401
    assert_error(response, 401, "unauthenticated")


def test_a_token_is_checked_before_the_query(client: Any) -> None:
    # Given no access token and a bad query
    # When a series is asked
    response = client.http.get(f"/meters/{new_pdl()}/series?step=weekly&from=²", headers={})

    # Then 401, not 422: nothing is said to an unknown caller
    assert_error(response, 401, "unauthenticated")


@pytest.mark.parametrize("route", ["/health", "/openapi.json"])
def test_health_and_the_document_need_no_token(client: Any, route: str) -> None:
    # Given no access token
    # When health or the OpenAPI document is asked
    response = client.http.get(route, headers={})

    # Then it is served
    assert response.status_code == 200
    assert answer(response)


def test_the_health_route_says_ok(client: Any) -> None:
    # When health is asked
    # Then it is API.md's answer
    assert ok(client.http.get("/health")) == {"status": "ok"}
