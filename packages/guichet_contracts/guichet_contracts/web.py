"""What every service's HTTP layer shares: the error body, the correlation id, request parsing.

`install(app, logger)` wires a Chalice middleware: every request's log lines carry a
correlation id (the caller's `X-Correlation-Id`, else API Gateway's request id) and the Lambda
context, the events it publishes carry the id too (observability.py), every answer
carries it and the security headers (`SECURITY_HEADERS`), and any error
leaves as the error body of API.md: an `ApiError` with its status, AWS failing for a moment
(throttled, a 5xx, once the SDK's retries are spent) as a 503 with Retry-After, anything else as
a 500 that says nothing about the code. Chalice itself catches unexpected exceptions (and logs them
through `app.log`, which gets the Powertools format here); the middleware rewrites its body.

CORS: the web portal is the only other origin allowed (`GUICHET_PUBLIC_URL`'s, where the portal
is served when the API has a domain of its own): every route is declared to Chalice with that
origin, so that the deployed API answers its preflight requests, and every answer to a request
from it, errors included, says so. No other origin is ever allowed. A service installed with
`credentials=True` (auth: its session cookie) also lets that origin's requests carry cookies
(Access-Control-Allow-Credentials), never with a wildcard origin.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chalice import CORSConfig, Response

from . import observability
from .errors import ApiError, MalformedRequest, ServiceUnavailable, ValidationFailed, error_body
from .words import DEFAULT_LANGUAGE, LANGUAGES, Phrase, say

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger
    from chalice import Chalice
    from chalice.app import Request

# On every answer of every service (an answer setting its own Cache-Control, such as the public
# keys, keeps it): nothing personal or a token is cached, sniffed into another type, framed, or
# leaked to another site through a Referer; browsers reach the API over HTTPS only.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
# On the web portal's pages: the same, but its own scripts, styles and images load (from its
# own origin only: no inline script or style, no eval, no plugin, no other site), it talks to
# its own origin only, and its files may be cached. Stripe.js is the one exception, as Stripe
# requires it (docs.stripe.com/security/guide, Content Security Policy): on a stage whose payment
# provider is Stripe the card form loads it from js.stripe.com, its hosted card field and 3-D
# Secure run in frames of js.stripe.com and hooks.stripe.com, and it talks to api.stripe.com.
PORTAL_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self' https://js.stripe.com",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self' https://api.stripe.com",
        "frame-src https://js.stripe.com https://hooks.stripe.com",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PORTAL_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": PORTAL_CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": SECURITY_HEADERS["Strict-Transport-Security"],
    "Cross-Origin-Opener-Policy": "same-origin",
}
# The web portal's pages (web/portal.js routes them in the browser; links in emails point here):
# the local gateway and the deployed distribution (infra/portal.py) answer them with index.html.
PORTAL_PAGES = {
    "",
    "login",
    "register",
    "verify-email",
    "forgot-password",
    "reset-password",
    "activate",  # the invitation of a customer the provider imported (auth invitations.py)
    "email-change/refuse",
    "close-session",  # the link of a login notice, ending a session from an unknown device
    "recover",  # the request of a customer whose email is out of reach (auth recovery.py)
    "account",
    "security",  # the account's second factors: authenticator app, recovery codes, passkeys
    # the subscriptions area; its home is not "subscriptions", the API's base path, which the
    # gateway sends to the service before it looks for a page
    "my-subscriptions",
    "subscription",
    "order",
    "orders",
    "order-status",
    "appointments",
    "assistance",  # the support lines, the booking and a message to support
    # the invoices area; "invoices" is the API's base path
    "my-invoices",
    "invoice",
    "schedule",
    "billing",
    # the consumption area; "consumption" is the API's base path
    "my-consumption",
    "my-surplus",
}


# What the portal may send to the API from its own origin, and read of the answers.
CORS_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept-Language",
    "Idempotency-Key",
    "X-Correlation-Id",
    # a request signed in by the auth service's session cookie (services/auth/chalicelib/session_cookie.py)
    "X-Guichet-Session",
)
CORS_EXPOSED_HEADERS = ("Retry-After", "X-Correlation-Id", "Content-Disposition")
CORS_MAX_AGE = 600


def portal_origin(public_url: str | None) -> str | None:
    """The origin (scheme, host, port) of the portal's public URL; None without one."""
    if not public_url:
        return None
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"GUICHET_PUBLIC_URL is not an http(s) URL: {public_url!r}")
    return f"{parts.scheme}://{parts.netloc}".lower()


def cors_headers(origin: str, *, credentials: bool = False) -> dict[str, str]:
    headers = {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": ",".join(CORS_EXPOSED_HEADERS),
        "Vary": "Origin",
    }
    if credentials:
        headers["Access-Control-Allow-Credentials"] = "true"
    return headers


def install(app: Chalice, logger: Logger, *, credentials: bool = False) -> None:
    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

    copy_config_to_registered_loggers(source_logger=logger, include={app.log.name})
    origin = portal_origin(os.environ.get("GUICHET_PUBLIC_URL"))
    if origin:
        # the default of every route registered after this (the blueprints): the deployed
        # API's preflight answers (OPTIONS) come from it
        app.api.cors = CORSConfig(
            allow_origin=origin,
            allow_headers=list(CORS_REQUEST_HEADERS),
            expose_headers=list(CORS_EXPOSED_HEADERS),
            max_age=CORS_MAX_AGE,
            allow_credentials=credentials or None,
        )

    @app.middleware("http")
    def correlate_and_translate_errors(event: Request, get_response: Any) -> Response:
        _guard_routes(app)
        correlation_id = _correlation_id(event)
        observability.bind(logger, correlation_id, getattr(event, "lambda_context", None))
        try:
            response = get_response(event)
        except ApiError as error:
            logger.info(
                "request refused",
                extra={"status": error.status, "code": error.code, "path": event.path},
            )
            response = Response(
                body=error.body(language(event)),
                status_code=error.status,
                headers={"Content-Type": "application/json", **error.headers},
            )
        except Exception:
            logger.exception("request failed", extra={"path": event.path})
            response = _internal_error(language(event))
        finally:
            observability.flush()
        if response.status_code >= 400 and not _is_error_body(response.body):
            allow = (response.headers or {}).get("Allow")
            response = _framework_error(response.status_code, language(event))
            if allow:  # a 405 says which methods the path has (RFC 9110)
                response.headers["Allow"] = allow
        if response.status_code >= 400:  # the language its message speaks (RFC 9110, 8.5)
            response.headers["Content-Language"] = language(event)
        response.headers["X-Correlation-Id"] = correlation_id
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if origin and _header(event, "origin") == origin:  # errors included
            response.headers.update(cors_headers(origin, credentials=credentials))
        return response


_FRAMEWORK_ERRORS = {
    400: "malformed_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _framework_error(status: int, language: str) -> Response:
    """Chalice's own error answers (415, 405, …) in the error body of API.md."""
    if status >= 500:
        return _internal_error(language)
    code = _FRAMEWORK_ERRORS.get(status, "bad_request")
    return _error(status, code, language)


def _error(status: int, code: str, language: str) -> Response:
    return Response(
        body=error_body(code, say(language, f"error.{code}")),
        status_code=status,
        headers={"Content-Type": "application/json"},
    )


def _internal_error(language: str) -> Response:
    return _error(500, "internal_error", language)


_TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TransactionInProgressException",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "SlowDown",
    }
)
_TRANSIENT_REASONS = frozenset({"ThrottlingError", "TransactionConflict", "ProvisionedThroughputExceeded"})


def transient(error: BaseException) -> bool:
    """Whether an error is AWS failing for a moment (throttled, a 5xx, a transaction conflict, the
    network), as told by botocore's error or the one a PynamoDB error wraps: worth a retry."""
    seen: set[int] = set()
    pending: list[Any] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        response = getattr(current, "response", None)
        if isinstance(response, dict) and isinstance(response.get("Error"), dict):
            code = response["Error"].get("Code")
            status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0
            if code in _TRANSIENT_CODES or (isinstance(status, int) and status >= 500):
                return True
        reasons = getattr(current, "cancellation_reasons", None) or []
        if any(getattr(reason, "code", None) in _TRANSIENT_REASONS for reason in reasons if reason):
            return True
        if type(current).__name__ in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"):
            return True
        pending += [getattr(current, "cause", None), current.__cause__, current.__context__]
    return False


def _guard_routes(app: Chalice) -> None:
    """Wrap every view function once (on the first request, when every blueprint is registered):
    Chalice turns an exception of a view into its own 500 before the middleware sees it, so a
    transient AWS failure is raised again as ServiceUnavailable, which reaches the middleware."""
    if getattr(app, "_guichet_guarded", False):
        return
    for methods in app.routes.values():
        for entry in methods.values():
            entry.view_function = _guarded(entry.view_function)
    app._guichet_guarded = True  # type: ignore[attr-defined]


def _guarded(view: Any) -> Any:
    import functools

    @functools.wraps(view)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except ApiError:
            raise
        except Exception as error:
            if transient(error):
                raise ServiceUnavailable(headers={"Retry-After": "1"}) from error
            raise

    return call


def _is_error_body(body: Any) -> bool:
    """API.md's error body, or the one RFC 6749 (5.2) fixes for the OAuth token endpoint
    (`{"error": "invalid_client", "error_description": ...}`, services/auth/chalicelib/oauth.py)."""
    if not isinstance(body, dict):
        return False
    error = body.get("error")
    return isinstance(error, dict) or (isinstance(error, str) and _OAUTH_ERROR.fullmatch(error) is not None)


_OAUTH_ERROR = re.compile(r"[a-z_]{1,64}")


def _correlation_id(request: Request) -> str:
    given = _header(request, "x-correlation-id")
    if given and observability.CORRELATION_ID.match(given):
        return given
    return str(request.context.get("requestId") or uuid.uuid4())


def _header(request: Request, name: str) -> str | None:
    value = request.headers.get(name)
    return value if isinstance(value, str) else None


def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 that says why not."""
    raw = request.raw_body
    if not raw:
        raise MalformedRequest(Phrase("error.malformed_request.empty"))
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedRequest() from None
    if not isinstance(body, dict):
        raise MalformedRequest(Phrase("error.malformed_request.not_object"))
    if _depth(body) > MAX_DEPTH:
        raise MalformedRequest(Phrase("error.malformed_request.too_deep", depth=MAX_DEPTH))
    return body


MAX_DEPTH = 32  # far more than any request needs; deeper bodies are refused before anything reads them


def _depth(document: Any) -> int:
    """How deep objects and arrays nest in a parsed JSON document (without recursion)."""
    deepest, pending = 0, [(document, 1)]
    while pending:
        value, level = pending.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                pending.extend(
                    (item, level + 1) for item in (value.values() if isinstance(value, dict) else value)
                )
    return deepest


def language(request: Request) -> str:
    """The first supported language of Accept-Language, French by default."""
    header = _header(request, "accept-language") or ""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            weighted.append((-quality, position, primary))
    return min(weighted)[2] if weighted else DEFAULT_LANGUAGE


def client_ip(request: Request) -> str | None:
    identity = request.context.get("identity") or {}
    ip = identity.get("sourceIp")
    return ip if isinstance(ip, str) else None


def query(request: Request, name: str) -> str | None:
    """A query parameter; an empty one (`?status=`) counts as absent."""
    params: dict[str, str] = dict(request.query_params or {})
    return params.get(name) or None


def choice(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    """A query parameter that must be one of `allowed` (422 naming it otherwise), or None."""
    value = query(request, name)
    if value is not None and value not in allowed:
        raise ValidationFailed(fields={name: Phrase("field.one_of", allowed=allowed)})
    return value


_PAGE_LIMIT = re.compile(r"[0-9]{1,3}")


def page_limit(request: Request, default: int = 20) -> int:
    raw = query(request, "limit")
    if raw is None:
        return default
    # ASCII digits only: str.isdigit() also takes "²", and int() refuses over 4,300 digits
    if not _PAGE_LIMIT.fullmatch(raw) or not 1 <= int(raw) <= 100:
        raise ValidationFailed(fields={"limit": Phrase("field.integer_range", low=1, high=100)})
    return int(raw)


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode()


def decode_cursor(request: Request, *, partition: str, sort_prefix: str) -> dict[str, Any] | None:
    """The `?cursor=` of a list: the last key of a page of this partition's items, nothing else.

    A cursor is the DynamoDB key `{"pk": {"S": partition}, "sk": {"S": "<sort_prefix>..."}}` that
    `encode_cursor` gave; anything else (another customer's partition, another kind of item,
    another shape) is refused, so a cursor can never widen what a Query reads.
    """
    raw = query(request, "cursor")
    if not raw:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (ValueError, binascii.Error):
        decoded = None
    if not (
        isinstance(decoded, dict)
        and decoded.keys() == {"pk", "sk"}
        and decoded["pk"] == {"S": partition}
        and isinstance(decoded["sk"], dict)
        and decoded["sk"].keys() == {"S"}
        and isinstance(decoded["sk"]["S"], str)
        and decoded["sk"]["S"].startswith(sort_prefix)
    ):
        raise ValidationFailed(fields={"cursor": Phrase("field.cursor")})
    return decoded
