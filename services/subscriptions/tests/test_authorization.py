"""Who may do what: every route but health and the document needs a valid access token, and a
customer using another customer's ids gets the 404 of a missing resource, changing nothing."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import Signer, new_client, order_and_pay_many, place_order, register_customer, utc
from guichet_local.testing import answer, assert_error


def snapshot(customer: Any) -> dict[str, Any]:
    """Everything the customer area shows of a customer, and the documents stored for them."""
    import boto3

    subscriptions = answer(customer.call("GET", "/"))["items"]
    listing = boto3.client("s3").list_objects_v2(
        Bucket=os.environ["SUBSCRIPTIONS_DOCUMENTS_BUCKET"], Prefix=f"documents/{customer.customer_id}/"
    )
    return {
        "subscriptions": [
            answer(customer.call("GET", f"/{item['subscription_id']}")) for item in subscriptions
        ],
        "orders": answer(customer.call("GET", "/orders"))["items"],
        "appointments": answer(customer.call("GET", "/appointments"))["items"],
        "documents": [item["Key"] for item in listing.get("Contents", [])],
    }


@pytest.fixture(scope="module")
def world(app: Any, signer: Signer) -> SimpleNamespace:
    """Customer B with a subscription in each state a route acts on, an order and an appointment;
    customer A with nothing."""
    from chalicelib import api

    client = new_client(app)
    owner = register_customer(client, signer)
    intruder = register_customer(client, signer)
    mobile, hosting, website = order_and_pay_many(
        owner,
        [
            ("mobile-50go", "Ligne", None),
            ("hosting-linux-100", "Site", None),
            ("website-site-basic", "Vitrine", None),
        ],
    )
    order = answer(place_order(owner, [{"product_id": "mobile-2h", "label": "Secours"}]))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(api, "_now", lambda: utc(2027, 3, 1, 8, 0))
        booked = owner.call(
            "POST",
            "/appointments",
            {"start": "2027-03-03T15:00:00+01:00", "topic": "Contrat", "phone": "0612345678"},
        )
    assert booked.status_code == 201, booked.body
    return SimpleNamespace(
        owner=owner,
        intruder=intruder,
        owner_before=snapshot(owner),
        ids={
            "active": mobile["subscription_id"],
            "to_configure": hosting["subscription_id"],
            "pending": website["subscription_id"],
            "order": order["order_id"],
            "appointment": answer(booked)["appointment_id"],
        },
    )


# (method, path with {the id it uses}, body, headers)
ROUTES_WITH_AN_ID = [
    pytest.param("GET", "/{active}", None, {}, id="get"),
    pytest.param("PATCH", "/{active}", {"auto_renew": True}, {}, id="patch"),
    pytest.param("POST", "/{pending}/confirm", None, {}, id="confirm"),
    pytest.param("PUT", "/{to_configure}/settings", {"database_name": "intrus_db"}, {}, id="settings"),
    pytest.param("POST", "/{active}/renew", {"periods": 1}, {"idempotency-key": "intrusion-1"}, id="renew"),
    pytest.param(
        "POST", "/{active}/cancel", {"reason": "intrusion", "at": "immediately"}, {}, id="cancel-now"
    ),
    pytest.param(
        "POST", "/{active}/cancel", {"reason": "intrusion", "at": "end_of_period"}, {}, id="cancel-later"
    ),
    pytest.param("GET", "/{active}/documents", None, {}, id="documents"),
    pytest.param("GET", "/{active}/documents/contract", None, {}, id="contract"),
    pytest.param("GET", "/{active}/documents/terms", None, {}, id="terms"),
    pytest.param("GET", "/{active}/documents/proof_of_address", None, {}, id="proof-of-address"),
    pytest.param("GET", "/orders/{order}", None, {}, id="order"),
    pytest.param("DELETE", "/appointments/{appointment}", None, {}, id="appointment"),
]


@pytest.mark.parametrize(("method", "path", "body", "headers"), ROUTES_WITH_AN_ID)
def test_another_customers_id_is_not_found_and_nothing_changes(
    world: SimpleNamespace, method: str, path: str, body: Any, headers: dict[str, str]
) -> None:
    # Given customer B's resources (world.owner_before), and customer A with nothing
    # When customer A uses B's id on the route
    response = world.intruder.call(method, path.format(**world.ids), body, headers)

    # Then A gets the 404 of a missing resource, word for word
    error = assert_error(response, 404, "not_found")
    missing = world.intruder.call(
        method, path.format(**{name: "0123456789abcdef" for name in world.ids}), body, headers
    )
    assert answer(missing) == {"error": error} and missing.status_code == 404
    # And nothing of B changed (status, auto-renewal, settings, appointment, no document made)
    # and A got nothing (no order, no subscription)
    assert snapshot(world.owner) == world.owner_before
    assert snapshot(world.intruder) == {
        "subscriptions": [],
        "orders": [],
        "appointments": [],
        "documents": [],
    }


def test_lists_show_only_the_customers_own_resources(world: SimpleNamespace) -> None:
    # When customer A lists everything a customer can list
    lists = {
        path: answer(world.intruder.call("GET", path))
        for path in (
            "/",
            "/orders",
            "/appointments",
            "/dashboard",
            "/?q=ligne",
            "/?expiring_within_days=3660",
        )
    }

    # Then none of B's resources is there
    assert lists["/"]["items"] == lists["/orders"]["items"] == lists["/appointments"]["items"] == []
    assert lists["/?q=ligne"]["items"] == lists["/?expiring_within_days=3660"]["items"] == []
    assert lists["/dashboard"] == {"expiring_soon": [], "to_configure": [], "orders_in_progress": []}
    # While B sees them
    assert len(answer(world.owner.call("GET", "/"))["items"]) == 3


def every_protected_route() -> list[Any]:
    """Every route of the app but health and the OpenAPI document, from the app's own route table."""
    from app import app as chalice_app

    return [
        pytest.param(method, path, id=f"{method} {path}")
        for path, methods in sorted(chalice_app.routes.items())
        for method in sorted(methods)
        if path not in ("/health", "/openapi.json")
    ]


def filled(path: str) -> str:
    return (
        path.replace("{subscription_id}", "0123456789abcdef")
        .replace("{kind}", "contract")
        .replace("{order_id}", "0123456789abcdef")
        .replace("{appointment_id}", "0123456789abcdef")
    )


def bad_tokens(signer: Signer, customer_id: str) -> dict[str, str]:
    now = int(time.time())
    return {
        "none": "",
        "garbage": "Bearer not-a-jwt",
        "not bearer": f"Basic {signer.token(customer_id)}",
        "expired": f"Bearer {signer.token(customer_id, iat=now - 3600, exp=now - 60)}",
        "other audience": f"Bearer {signer.token(customer_id, aud='someone-else')}",
        "other issuer": f"Bearer {signer.token(customer_id, iss='https://evil.example/auth')}",
        "other key": f"Bearer {Signer().token(customer_id)}",
    }


@pytest.mark.parametrize(("method", "path"), every_protected_route())
def test_every_protected_route_answers_401_without_a_valid_token(
    client: Any, signer: Signer, method: str, path: str
) -> None:
    # Given each kind of missing or invalid token
    for name, authorization in bad_tokens(signer, "ab123456-GU").items():
        headers = {"authorization": authorization} if authorization else {}
        if method in ("POST", "PUT", "PATCH"):
            headers |= {"content-type": "application/json", "idempotency-key": "k1"}

        # When the route is called with it
        response = client.http.request(
            method, filled(path), headers=headers, body=b"{}" if "content-type" in headers else b""
        )

        # Then 401 with the error body
        assert response.status_code == 401, (name, response.status_code, response.body)
        assert_error(response, 401, "unauthenticated")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("GET", "/?limit=0&family=boats", None, id="list-with-bad-query"),
        pytest.param("GET", "/catalog?family=boats", None, id="catalog-with-bad-query"),
        pytest.param("GET", "/appointments/slots?from=yesterday", None, id="slots-with-bad-query"),
        pytest.param("POST", "/orders", b"{not json", id="order-with-bad-body"),
        pytest.param("POST", "/appointments", b"[]", id="appointment-with-bad-body"),
        pytest.param("PUT", "/0123456789abcdef/settings", b"{", id="settings-with-bad-body"),
        pytest.param("GET", "/orders?status=lost", None, id="orders-with-bad-query"),
    ],
)
def test_without_a_token_the_answer_is_401_whatever_else_is_wrong(
    client: Any, method: str, path: str, body: bytes | None
) -> None:
    # Given no token and a request wrong in another way too
    headers = {"content-type": "application/json"} if body is not None else {}

    # When it is sent
    response = client.http.request(method, path, headers=headers, body=body or b"")

    # Then the missing token is what is answered
    assert_error(response, 401, "unauthenticated")
