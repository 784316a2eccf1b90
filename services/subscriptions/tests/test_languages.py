"""A refused request says what is wrong in the reader's language (Accept-Language, French by
default): the error's message and each field's problem, never pydantic's English."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import electricity_options, new_client, order_and_pay, register_customer
from guichet_local.testing import assert_error, assert_said_in


@pytest.fixture(scope="module")
def customer(app: Any, signer: Any) -> Any:
    return register_customer(new_client(app), signer)


@pytest.mark.parametrize(
    ("language", "message", "fields"),
    [
        (
            "fr",
            "Certains champs ne sont pas valides.",
            {
                "start": "doit préciser son fuseau horaire, par exemple 2026-11-24T10:30:00+01:00 ou ...Z",
                "topic": "ne doit pas être vide",
                "phone": "n'est pas un numéro de téléphone valide",
            },
        ),
        (
            "en",
            "Some fields are not valid.",
            {
                "start": "needs a time zone, e.g. 2026-11-24T10:30:00+01:00 or ...Z",
                "topic": "must not be empty",
                "phone": "is not a valid phone number",
            },
        ),
        (
            "it",
            "Alcuni campi non sono validi.",
            {
                "start": "deve indicare il fuso orario, ad esempio 2026-11-24T10:30:00+01:00 o ...Z",
                "topic": "non deve essere vuoto",
                "phone": "non è un numero di telefono valido",
            },
        ),
    ],
)
def test_a_refused_appointment_says_why_in_the_readers_language(customer, language, message, fields):
    body = {"start": "2026-11-24T10:30:00", "topic": " ", "phone": "12"}

    response = customer.call("POST", "/appointments", body, headers={"accept-language": language})

    error = assert_error(response, 422, "validation_failed")
    assert response.headers["Content-Language"] == language
    assert error["message"] == message
    assert error["fields"] == fields


@pytest.mark.parametrize(
    ("language", "message", "pdl", "power"),
    [
        (
            "fr",
            "Ce produit n'est pas au catalogue.",
            "doit être les 14 chiffres du point de livraison (PDL/PRM)",
            "doit être l'une de ces valeurs",
        ),
        (
            "en",
            "This product is not in the catalog.",
            "must be the 14 digits of the delivery point (PDL/PRM)",
            "must be one of",
        ),
        (
            "it",
            "Questo prodotto non è in catalogo.",
            "deve essere le 14 cifre del punto di fornitura (PDL/PRM)",
            "deve essere uno di questi valori",
        ),
    ],
)
def test_a_refused_order_says_why_in_the_readers_language(customer, language, message, pdl, power):
    headers = {"accept-language": language, "idempotency-key": f"languages-{language}"}
    unknown = customer.call("POST", "/orders", {"items": [{"product_id": "nope"}]}, headers=headers)
    options = electricity_options(pdl="123", subscribed_power_kva=7)
    headers["idempotency-key"] += "-options"
    wrong = customer.call(
        "POST",
        "/orders",
        {"items": [{"product_id": "electricity-essentielle", "options": options}]},
        headers=headers,
    )

    assert assert_error(unknown, 422, "unknown_product")["message"] == message
    fields = assert_error(wrong, 422, "validation_failed")["fields"]
    assert fields["items.0.options.pdl"] == pdl
    assert fields["items.0.options.subscribed_power_kva"].startswith(power)


ROUTES = [
    ("POST", "/orders", {"idempotency-key": "it-words"}),
    ("PATCH", "/{sid}", {}),
    ("PUT", "/{sid}/settings", {}),
    ("POST", "/{sid}/renew", {"idempotency-key": "it-words"}),
    ("POST", "/{sid}/cancel", {}),
    ("POST", "/appointments", {}),
]
BODIES = [
    {"items": [], "start": "x", "topic": "", "phone": "", "periods": 0, "product_id": "", "auto_renew": 3},
    {"items": [{"product_id": 3, "options": {"pdl": "x"}}], "periods": "two", "label": "x" * 500},
    {
        "items": [{"product_id": "electricity-essentielle", "options": {"pdl": "1", "tariff_option": "x"}}],
        "extra": 1,
    },
    {"apn": 5, "domain": "-", "ssh_keys": ["x"], "database_name": "A", "php_version": "7"},
]


@pytest.mark.parametrize(("method", "path", "headers"), ROUTES)
def test_no_english_reaches_an_italian_reader(app, signer, method, path, headers):
    customer = register_customer(new_client(app), signer)
    subscription = order_and_pay(customer, "mobile-50go", "Ligne")
    for position, body in enumerate(BODIES):
        sent = {"accept-language": "it", **headers}
        if "idempotency-key" in sent:
            sent["idempotency-key"] += f"-{position}"
        response = customer.call(method, path.format(sid=subscription["subscription_id"]), body, headers=sent)
        assert response.status_code in (400, 404, 409, 422), (path, body, response.body)
        assert_said_in(response, "it")


@pytest.mark.parametrize(
    ("language", "problem"),
    [
        ("fr", "doit être au plus dans 366 jours"),
        ("en", "must be at most 366 days from today"),
        ("it", "deve essere al massimo tra 366 giorni"),
    ],
)
def test_slots_too_far_ahead_are_said_in_the_readers_language(customer, language, problem):
    response = customer.call(
        "GET", "/appointments/slots?from=2999-01-01", headers={"accept-language": language}
    )

    assert assert_error(response, 422, "validation_failed")["fields"] == {"from": problem}
