"""The OpenAPI 3.1 document every service serves at GET /<service>/openapi.json, built from a table.

A service lists its routes as `Route`s; request bodies are the pydantic models the routes
validate with (their JSON schema cannot drift from the code), responses name a schema of the
service's components, or `ERROR` for the error body of API.md. Each service's tests check the
table against the app's routes and validate answers against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

ERROR = {"$ref": "#/components/schemas/Error"}
STRING_OR_NULL = {"type": ["string", "null"]}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "pattern": "^[a-z_]+$"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as routed by the app, without the service's base path
    summary: str
    protected: bool = True
    body: str | None = None  # name of the request model in the service's schemas module
    responses: dict[int, Any] = field(default_factory=dict)  # status -> schema name, schema, or None
    # query parameters: a name (any text) or (name, schema); an empty one (`?status=`) counts as absent
    query: tuple[str | tuple[str, dict[str, Any]], ...] = ()
    idempotent: bool = False  # needs an Idempotency-Key header
    operator_scope: str | None = None  # an operator route: an operator token with this scope
    # parameters besides the path's, the query's and Idempotency-Key (a header, a cookie)
    parameters: tuple[dict[str, Any], ...] = ()
    # the headers of an answer, by status: {name: OpenAPI header object}
    response_headers: dict[int, dict[str, Any]] = field(default_factory=dict)


def response_schemas(*models: type[BaseModel]) -> dict[str, Any]:
    """Components for the answers of a service, generated from its response models (and the
    models they use, each beside them), as the request bodies are from the request models."""
    components: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    return components


def list_of(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}},
            "next_cursor": STRING_OR_NULL,
        },
    }


# query parameters the routes of several services read (guichet_contracts.web)
DAY = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
MONTH = {"type": "string", "pattern": "^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])$"}
PAGE_LIMIT = ("limit", {"type": "integer", "minimum": 1, "maximum": 100})


def one_of(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _query_parameter(parameter: str | tuple[str, dict[str, Any]]) -> dict[str, Any]:
    name, schema = (parameter, {"type": "string"}) if isinstance(parameter, str) else parameter
    if schema != {"type": "string"}:  # an empty value is taken as no value (web.query)
        schema = {"anyOf": [schema, {"type": "string", "maxLength": 0}]}
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _response(status: int, schema: Any) -> dict[str, Any]:
    if schema is None:
        return {"description": "No content" if status == 204 else "See description"}
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    return {"description": str(status), "content": {"application/json": {"schema": schema}}}


def document(
    *, service: str, routes: list[Route], components: dict[str, Any], schemas: ModuleType | None
) -> dict[str, Any]:
    all_components = {"Error": ERROR_SCHEMA, **components}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "responses": {
                str(status): _response(status, schema) for status, schema in route.responses.items()
            },
        }
        for status, headers in route.response_headers.items():
            operation["responses"][str(status)]["headers"] = headers
        if route.operator_scope:
            operation["security"] = [{"operator": [route.operator_scope]}]
            operation["responses"].setdefault("401", _response(401, ERROR))
            operation["responses"].setdefault("403", _response(403, ERROR))
        elif route.protected:
            operation["security"] = [{"bearer": []}]
            operation["responses"].setdefault("401", _response(401, ERROR))
        if route.body and schemas is not None:
            schema = getattr(schemas, route.body).model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            all_components.update(schema.pop("$defs", {}))
            all_components[route.body] = schema
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{route.body}"}}},
            }
        parameters: list[dict[str, Any]] = [
            {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
            for part in route.path.split("/")
            if part.startswith("{")
        ]
        parameters += [_query_parameter(parameter) for parameter in route.query]
        if route.idempotent:
            parameters.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": True,
                    # visible ASCII (guichet_contracts.idempotency)
                    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
                }
            )
        parameters += list(route.parameters)
        if parameters:
            operation["parameters"] = parameters
        path = f"/{service}{route.path}".rstrip("/") or "/"
        paths.setdefault(path, {})[route.method.lower()] = operation
    security: dict[str, Any] = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    if any(route.operator_scope for route in routes):
        security["operator"] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An operator token (audience GUICHET_OPERATOR_AUDIENCE, scope claim); "
            "never a customer's access token",
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": f"Guichet {service}", "version": "1.0.0"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": all_components, "securitySchemes": security},
    }


def route_of(
    built: dict[str, Any], service: str, path: str, *, method: str | None = None, status: int | None = None
) -> str | None:
    """The route (as the app routes it, without the base path: /{invoice_id}/pdf) that a call of
    `path` (relative to the base path, query and all) reaches: the documented path it matches with
    the fewest parameters, as the router prefers literal parts. None for a path no route has, or,
    given `method` (and `status`), when the document has no such operation (or no such answer)."""
    called = path.split("?")[0].rstrip("/").split("/")
    found: list[tuple[int, str]] = []
    for documented in built["paths"]:
        route = documented.removeprefix(f"/{service}") or "/"
        parts = route.rstrip("/").split("/")
        if len(parts) == len(called) and all(
            part.startswith("{") or part == given for part, given in zip(parts, called, strict=True)
        ):
            found.append((sum(part.startswith("{") for part in parts), route))
    if not found:
        return None
    route = min(found)[1]
    operation = built["paths"][f"/{service}{route}".rstrip("/")].get((method or "get").lower())
    if method is not None and (
        operation is None or (status is not None and str(status) not in operation["responses"])
    ):
        return None
    return route


def file_request_body(description: str, *, jsonl: str, csv: str | None = None) -> dict[str, Any]:
    """The body of an import's POST: a file, as JSON Lines (`jsonl` says its lines) and, if `csv`
    says its columns, as CSV. The JSON Lines file has no JSON type: it is any bytes, and a value of
    any type goes on the wire as a text (`{}` is a file of one line)."""
    content: dict[str, Any] = {}
    if csv is not None:
        content["text/csv"] = {"schema": {"type": "string", "description": f"CSV (UTF-8): {csv}"}}
    content["application/jsonl"] = {"schema": {"description": f"JSON Lines (UTF-8): {jsonl}"}}
    return {"required": True, "description": description, "content": content}
