"""A refused request says what is wrong in the reader's language (Accept-Language, French by
default): the error's message and each field's problem, never pydantic's English."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import new_client, ordered_invoice, pay_key, register
from guichet_local.testing import assert_error, assert_said_in


@pytest.fixture(scope="module")
def shopper(app: Any, signer: Any) -> Any:
    customer = register(new_client(app), signer)
    return customer, ordered_invoice(customer, 2000)


@pytest.mark.parametrize(
    ("language", "iban", "holder", "method", "amount"),
    [
        (
            "fr",
            "a une clé de contrôle fausse (une faute de frappe ?)",
            "ne doit pas contenir de caractères de contrôle",
            "doit être l'une de ces valeurs : card, direct_debit, check, tip",
            "au plus 2000 centimes",
        ),
        (
            "en",
            "has wrong check digits (a typo?)",
            "must not contain control characters",
            "must be one of: card, direct_debit, check, tip",
            "at most 2000 cents",
        ),
        (
            "it",
            "ha cifre di controllo errate (un errore di battitura?)",
            "non deve contenere caratteri di controllo",
            "deve essere uno di questi valori: card, direct_debit, check, tip",
            "al massimo 2000 centesimi",
        ),
    ],
)
def test_refusals_say_why_in_the_readers_language(shopper, language, iban, holder, method, amount):
    customer, invoice = shopper
    headers = {"accept-language": language}

    account = customer.call(
        "PUT", "/bank-account", {"iban": "FR7630006000011234567890188", "holder": "J\x01"}, headers
    )
    payment = customer.call(
        "POST", f"/{invoice.invoice_id}/payments", {"method": "cash"}, {**headers, **pay_key()}
    )
    too_much = customer.call(
        "POST",
        f"/{invoice.invoice_id}/payments",
        {"method": "check", "amount_cents": 5000},
        {**headers, **pay_key()},
    )

    assert assert_error(account, 422, "validation_failed")["fields"] == {"iban": iban, "holder": holder}
    assert assert_error(payment, 422, "validation_failed")["fields"] == {"method": method}
    assert assert_error(too_much, 422, "amount_exceeds_due")["fields"] == {"amount_cents": amount}
    assert {account.headers["Content-Language"], too_much.headers["Content-Language"]} == {language}


ROUTES = [
    ("POST", "/{id}/payments"),
    ("POST", "/payments"),
    ("PUT", "/bank-account"),
    ("PATCH", "/preferences"),
]
BODIES = [
    {},
    {"method": 5, "invoice_ids": [], "iban": "", "holder": "", "paperless": "yes", "amount_cents": 0},
    {
        "method": "card",
        "card_token": 4,
        "invoice_ids": ["x"] * 60,
        "iban": "XX12",
        "bic": "?",
        "holder": "\x01",
    },
    {"method": "check", "amount_cents": 1.5, "unknown": 1, "payment_method": None, "iban": "DE00 1234"},
]


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_no_english_reaches_an_italian_reader(shopper, method, route):
    customer, invoice = shopper
    for body in BODIES:
        response = customer.call(
            method, route.replace("{id}", invoice.invoice_id), body, {"accept-language": "it", **pay_key()}
        )
        if body == {} and route == "/preferences":  # changes nothing
            assert response.status_code == 200
            continue
        assert response.status_code in (400, 409, 422), (route, body, response.body)
        assert_said_in(response, "it")
