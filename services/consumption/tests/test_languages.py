"""A refused request says what is wrong in the reader's language (Accept-Language, French by
default): the error's message and each query parameter's problem."""

from __future__ import annotations

import json

import pytest
from conftest import electricity_meter
from guichet_local.testing import assert_error

WORDS = {
    "fr": {
        "message": "Certains champs ne sont pas valides.",
        "step": "doit être l'une de ces valeurs : half_hour, hour, day, month",
        "from": "doit être une date AAAA-MM-JJ",
        "to": "ne doit pas précéder la date de début",
        "too_long": "Cette période est trop longue pour ce pas de temps.",
        "year": "doit être une année de 2000 à",
    },
    "en": {
        "message": "Some fields are not valid.",
        "step": "must be one of: half_hour, hour, day, month",
        "from": "must be a date YYYY-MM-DD",
        "to": "must not be before from",
        "too_long": "This period is too long for this step.",
        "year": "must be a year from 2000 to",
    },
    "it": {
        "message": "Alcuni campi non sono validi.",
        "step": "deve essere uno di questi valori: half_hour, hour, day, month",
        "from": "deve essere una data AAAA-MM-GG",
        "to": "non deve precedere la data di inizio",
        "too_long": "Questo periodo è troppo lungo per questo passo temporale.",
        "year": "deve essere un anno dal 2000 al",
    },
}


@pytest.mark.parametrize("language", ["fr", "en", "it"])
def test_a_refused_series_says_why_in_the_readers_language(customer_factory, language):
    customer = customer_factory()
    meter_id, _ = electricity_meter(customer)
    words = WORDS[language]
    headers = {"accept-language": language}

    def refused(query: str, status: int = 422, code: str = "validation_failed") -> dict:
        response = customer.call("GET", f"/meters/{meter_id}/{query}", headers=headers)
        assert response.headers["Content-Language"] == language
        return assert_error(response, status, code)

    assert refused("series?step=week") == {
        "code": "validation_failed",
        "message": words["message"],
        "fields": {"step": words["step"]},
    }
    assert refused("series?from=2026-13-01")["fields"] == {"from": words["from"]}
    assert refused("series?from=2026-03-02&to=2026-03-01")["fields"] == {"to": words["to"]}
    assert (
        refused("series?from=2020-01-01&to=2026-01-01&step=half_hour", code="range_too_long")["message"]
        == words["too_long"]
    )
    assert refused("summary?year=1999")["fields"]["year"].startswith(words["year"])


def test_an_unknown_meter_is_said_in_italian(customer_factory):
    response = customer_factory().call("GET", "/meters/nope/series", headers={"accept-language": "it"})

    assert json.loads(response.body)["error"]["message"] == "Questa risorsa non esiste."
