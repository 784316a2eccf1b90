"""The OpenAPI document the service serves: valid OpenAPI 3.1, one operation per route of the app
(prefix /consumption), and the real answers of every route — successes and errors — validate
against the schema it documents for their status."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from conftest import (
    MOBILE_TARIFF,
    PREFIX,
    STOCKAGE_TARIFF,
    SURPLUS_TARIFF,
    assert_documented,
    csv_file,
    drop,
    electricity_meter,
    new_client,
    new_pdl,
    register,
    rows,
)
from guichet_local.testing import (
    answer,
    assert_error,
    assert_generated_from,
    assert_valid_openapi,
    documented_operations,
    query_schema,
    routed_operations,
)


def test_the_document_is_valid_openapi_3_1(openapi_document: dict[str, Any]) -> None:
    # Given the document served at GET /consumption/openapi.json
    # When it is validated as OpenAPI 3.1
    # Then no error is raised, it says it is 3.1, and every $ref resolves to a component
    assert_valid_openapi(openapi_document)


def test_the_document_is_the_one_the_code_builds(client: Any) -> None:
    # Given no access token
    from chalicelib.openapi import document

    # When the document is asked for
    response = client.http.get("/openapi.json")

    # Then it is the document built from the route table
    assert answer(response) == document()


def test_the_documented_operations_are_exactly_the_routes_of_the_app(
    app: Any, openapi_document: dict[str, Any]
) -> None:
    # Given the routes the Chalice app serves, mounted under /consumption
    routed = routed_operations(app, PREFIX)

    # When the operations of the document are listed
    documented = documented_operations(openapi_document)

    # Then they are the same set: API.md's seven routes, health, the document and the operator's
    assert documented == routed
    assert documented == {
        ("get", "/consumption/health"),
        ("get", "/consumption/openapi.json"),
        ("get", "/consumption/meters"),
        ("get", "/consumption/meters/{meter_id}/series"),
        ("get", "/consumption/meters/{meter_id}/summary"),
        ("get", "/consumption/meters/{meter_id}/export.csv"),
        ("get", "/consumption/battery"),
        ("get", "/consumption/surplus"),
        ("get", "/consumption/usage"),
        ("post", "/consumption/operator/readings"),
        ("get", "/consumption/operator/meters/{meter_id}/readings"),
    }


def test_a_method_the_path_does_not_have_answers_405_with_the_methods_it_has(client: Any) -> None:
    # Given a path that only answers GET
    # When it is asked with PUT, then with TRACE
    for method in ("PUT", "TRACE"):
        response = client.http.request(method, "/meters")

        # Then the answer is 405 in the error body, and says which methods the path has (RFC 9110)
        assert_error(response, 405, "method_not_allowed")
        assert response.headers["Allow"] == "GET"


def test_every_route_but_health_and_the_document_declares_the_bearer_token(
    openapi_document: dict[str, Any],
) -> None:
    # Given every operation of the document
    for path, operations in openapi_document["paths"].items():
        for method, operation in operations.items():
            # Then the protected ones say so and document the 401 error body; the two public ones do
            # not; the operator's name the operator token and its scope
            if path in ("/consumption/health", "/consumption/openapi.json"):
                assert "security" not in operation, (method, path)
            elif path.startswith("/consumption/operator/"):
                assert operation["security"] == [{"operator": ["readings:write"]}], (method, path)
                assert {"401", "403"} <= set(operation["responses"]), (method, path)
            else:
                assert operation["security"] == [{"bearer": []}], (method, path)
                schema = operation["responses"]["401"]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/consumption/meters/{meter_id}/series", {"meter_id", "from", "to", "step", "compare"}),
        ("/consumption/meters/{meter_id}/summary", {"meter_id", "year"}),
        ("/consumption/meters/{meter_id}/export.csv", {"meter_id", "from", "to"}),
        ("/consumption/usage", {"subscription_id"}),
        ("/consumption/operator/meters/{meter_id}/readings", {"meter_id", "from", "to"}),
    ],
)
def test_the_parameters_the_routes_read_are_documented(
    openapi_document: dict[str, Any], path: str, names: set[str]
) -> None:
    # Given an operation that reads its path and query
    parameters = openapi_document["paths"][path]["get"]["parameters"]

    # Then each parameter it reads is documented
    assert {parameter["name"] for parameter in parameters} == names


def test_the_export_is_documented_as_csv(openapi_document: dict[str, Any]) -> None:
    # Given the export operation
    documented = openapi_document["paths"]["/consumption/meters/{meter_id}/export.csv"]["get"]["responses"]

    # Then its answer is documented as text/csv, not JSON
    assert list(documented["200"]["content"]) == ["text/csv"]


@pytest.fixture(scope="module")
def every_kind_of_customer(app: Any, signer: Any) -> dict[str, Any]:
    """Customers whose answers cover every schema: an off-peak meter with a battery and readings,
    a surplus seller with a closed month, a mobile line with usage."""
    from datetime import UTC, datetime

    from chalicelib import closing
    from chalicelib.models import Meter, meter_pk

    client = new_client(app)
    storing, selling, phoning = register(client, signer), register(client, signer), register(client, signer)
    battery, battery_pdl = electricity_meter(
        storing,
        offer="virtual_storage",
        tariff=STOCKAGE_TARIFF,
        tariff_option="off_peak",
        off_peak_hours=[{"start": "22:00", "end": "06:00"}],
    )
    resale, resale_pdl = electricity_meter(selling, offer="surplus_resale", tariff=SURPLUS_TARIFF)
    line = phoning.subscribe("mobile", offer=None, tariff=MOBILE_TARIFF, started_on="2026-09-01")
    drop(
        client,
        csv_file(
            rows(battery_pdl, {"2026-03-02T12:00:00+01:00": "1.5", "2026-03-02T23:00:00+01:00": "0.5"}),
            rows(battery_pdl, {"2026-03-02T13:00:00+01:00": "2"}, "injection"),
            rows(resale_pdl, {"2026-03-02T13:00:00+01:00": "3"}, "injection"),
            rows(f"M{line}-GB", {"2026-11-02T18:00:00+01:00": "51"}),
        ),
    )
    # their March closed without telling the invoices service (the job has tests of its own)
    for meter_id in (battery, resale):
        meter = Meter.get(meter_pk(meter_id), "METER")
        closing.close(meter, "2026-03", now=datetime(2026, 4, 1, 1, tzinfo=UTC), announce=False)
    return {"storing": storing, "selling": selling, "phoning": phoning, "battery": battery}


SUCCESSES = [
    ("storing", "/meters", "/meters"),
    (
        "storing",
        "/meters/{meter_id}/series",
        "/meters/{battery}/series?from=2026-03-01&to=2026-03-03&step=half_hour",
    ),
    (
        "storing",
        "/meters/{meter_id}/series",
        "/meters/{battery}/series?from=2026-03-01&to=2026-03-03&step=hour",
    ),
    ("storing", "/meters/{meter_id}/series", "/meters/{battery}/series?from=2026-03-01&to=2026-03-03"),
    (
        "storing",
        "/meters/{meter_id}/series",
        "/meters/{battery}/series?from=2026-01-01&to=2026-12-31&step=month",
    ),
    (
        "storing",
        "/meters/{meter_id}/series",
        "/meters/{battery}/series?from=2026-03-01&to=2026-03-03&step=day&compare=previous_year",
    ),
    (
        "storing",
        "/meters/{meter_id}/series",
        "/meters/{battery}/series?from=2026-01-01&to=2027-03-31&step=month&compare=previous_year",
    ),
    ("storing", "/meters/{meter_id}/summary", "/meters/{battery}/summary"),
    ("storing", "/meters/{meter_id}/summary", "/meters/{battery}/summary?year=2027"),
    ("storing", "/meters/{meter_id}/summary", "/meters/{battery}/summary?year=2025"),
    (
        "storing",
        "/meters/{meter_id}/export.csv",
        "/meters/{battery}/export.csv?from=2026-03-01&to=2026-03-31",
    ),
    ("storing", "/battery", "/battery"),
    ("selling", "/surplus", "/surplus"),
    ("phoning", "/usage", "/usage"),
]


@pytest.mark.parametrize(("who", "route", "path"), SUCCESSES, ids=[path for _, _, path in SUCCESSES])
def test_every_answer_validates_against_its_documented_schema(
    openapi_document: dict[str, Any], every_kind_of_customer: dict[str, Any], route: str, path: str, who: str
) -> None:
    # Given customers with meters of every kind, read and closed
    customer = every_kind_of_customer[who]

    # When a route answers them
    response = customer.call("GET", path.replace("{battery}", every_kind_of_customer["battery"]))

    # Then the answer is a 200 and validates against the schema documented for it
    assert response.status_code == 200, response.body[:300]
    assert_documented(openapi_document, "GET", route, response)


def test_health_validates_against_its_documented_schema(
    openapi_document: dict[str, Any], client: Any
) -> None:
    # When health is asked
    response = client.http.get("/health")

    # Then it validates against its schema
    assert_documented(openapi_document, "GET", "/health", response)


ERRORS = [
    ("/meters/{meter_id}/series", "/meters/{battery}/series?step=weekly", 422, "validation_failed"),
    (
        "/meters/{meter_id}/series",
        "/meters/{battery}/series?step=hour&from=2020-01-01",
        422,
        "range_too_long",
    ),
    ("/meters/{meter_id}/series", "/meters/{missing}/series", 404, "not_found"),
    ("/meters/{meter_id}/summary", "/meters/{battery}/summary?year=1999", 422, "validation_failed"),
    ("/meters/{meter_id}/summary", "/meters/{missing}/summary", 404, "not_found"),
    (
        "/meters/{meter_id}/export.csv",
        "/meters/{battery}/export.csv?from=2026-02-30",
        422,
        "validation_failed",
    ),
    ("/meters/{meter_id}/export.csv", "/meters/{missing}/export.csv", 404, "not_found"),
    ("/surplus", "/surplus", 404, "not_found"),
    ("/usage", "/usage", 404, "not_found"),
]


@pytest.mark.parametrize(
    ("route", "path", "status", "code"), ERRORS, ids=[f"{p}-{s}" for _, p, s, _ in ERRORS]
)
def test_every_error_answer_is_documented_for_its_status(
    openapi_document: dict[str, Any],
    every_kind_of_customer: dict[str, Any],
    route: str,
    path: str,
    status: int,
    code: str,
    route_today: Any,
) -> None:
    # Given the battery customer (who sells no surplus and has no mobile line)
    route_today(date(2026, 11, 23))
    customer = every_kind_of_customer["storing"]

    # When a route refuses what they ask
    response = customer.call(
        "GET", path.replace("{battery}", every_kind_of_customer["battery"]).replace("{missing}", new_pdl())
    )

    # Then the error body is the documented one for that status
    assert_error(response, status, code)
    assert_documented(openapi_document, "GET", route, response)


@pytest.mark.parametrize(
    "route",
    [
        "/meters",
        "/meters/{meter_id}/series",
        "/meters/{meter_id}/summary",
        "/meters/{meter_id}/export.csv",
        "/battery",
        "/surplus",
        "/usage",
    ],
)
def test_the_401_answer_is_documented(client: Any, openapi_document: dict[str, Any], route: str) -> None:
    # Given no token
    # When a protected route is called
    response = client.http.get(route.replace("{meter_id}", new_pdl()), headers={})

    # Then 401 with the error body, as documented
    assert_error(response, 401, "unauthenticated")
    assert_documented(openapi_document, "GET", route, response)


def test_the_query_parameters_are_documented_as_the_routes_read_them(
    openapi_document: dict[str, Any], route_today: Any
) -> None:
    # Given the document, today being 12 March 2044 (routes and document on the same day)
    route_today(date(2044, 3, 12))
    from chalicelib.openapi import document

    built = document()

    # Then from/to are days, the step one of four, the year 2000 to next year (all were any text)
    series = "/consumption/meters/{meter_id}/series"
    assert query_schema(built, "get", series, "from")["format"] == "date"
    assert query_schema(built, "get", series, "step")["enum"] == ["half_hour", "hour", "day", "month"]
    year = query_schema(built, "get", "/consumption/meters/{meter_id}/summary", "year")
    assert (year["type"], year["minimum"], year["maximum"]) == ("integer", 2000, 2045)


def test_the_answers_schemas_are_generated_from_the_response_models(openapi_document: dict[str, Any]) -> None:
    # Given the response models of chalicelib/responses.py (the schemas were written by hand)
    from chalicelib import responses

    # Then each answer's schema is its model's, and allows no field the model does not have
    assert_generated_from(openapi_document, responses.ANSWERS)
    # optional fields that are never null say so
    schemas = openapi_document["components"]["schemas"]
    assert schemas["Meter"]["properties"]["status"] == {
        "enum": ["active", "closed"],
        "title": "Status",
        "type": "string",
    }
