"""The local gateway: one address for every service, the mailbox, the jobs and the portal.

`/<base_path>/...` goes to the worker of the service with the longest matching base path,
with its method, headers, body and query string, as API Gateway's base-path mappings do.
`/_local/...` are local-only helpers (API.md, "Local run"); `/` serves `web/index.html`.
`POST /_local/ingest?name=<file name>` (the body is a meter CSV file) is what `make ingest` calls.
`GET /_local/clock` says what time the runtime is at; under a controlled clock (`--clock`),
`POST /_local/clock` `{"now": ISO}` moves it forward, firing the jobs due on the way.
`GET /_local/aws.json` (the embedded AWS emulator's endpoint) is what `make operator-token` reads.
`GET /brand.json`: the public part of the provider's brand (brand/, guichet_contracts.brand), which
the portal reads (web/core/brand.js), as the deployed site holds it.
`GET /_local/usage.json`: the AWS requests and Lambda invocations counted since the start
(`usage.py`), what `make load` reads for its cost model.
`POST /_local/webhooks/<name>`: a webhook receiver recording what it gets (204), shown newest
first at `GET /_local/webhooks.json` (webhook_inbox.py).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from guichet_contracts.brand import PUBLIC_PATH, load_brand
from guichet_contracts.web import PORTAL_PAGES, PORTAL_SECURITY_HEADERS, SECURITY_HEADERS

from .service_process import INTERNAL_HEADERS, SOURCE_IP_HEADER, ServiceProcess
from .usage import USAGE
from .webhook_inbox import NAME, WebhookInbox

logger = logging.getLogger("guichet_local.gateway")

# The local mailbox page: its own inline style, and each mail's HTML in a sandboxed srcdoc frame,
# which inherits this policy (mails carry inline styles, as mail clients need): still no script.
MAILBOX_SECURITY_HEADERS = {
    **PORTAL_SECURITY_HEADERS,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
}

_HOP_BY_HOP = {
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


class Local:
    """What the `/_local` endpoints need from the runtime."""

    def __init__(
        self,
        *,
        mail: Callable[[], list[dict[str, Any]]],
        mail_page: Callable[[list[dict[str, Any]]], str],
        jobs: Callable[[], list[dict[str, Any]]],
        run_job: Callable[[str, str | None], tuple[int, dict[str, Any]]],
        ingest: Callable[[str, bytes], tuple[int, dict[str, Any]]],
        portal: Path,
        dead_letters: Callable[[], list[dict[str, Any]]] = list,
        clock: Callable[[], dict[str, Any]] | None = None,
        move_clock: Callable[[str], tuple[int, dict[str, Any]]] | None = None,
        aws: Callable[[], dict[str, Any]] = dict,
        events_pending: Callable[[], int] = int,
    ) -> None:
        self.mail = mail
        self.events_pending = events_pending
        self.aws = aws
        self.dead_letters = dead_letters
        self.clock = clock
        self.move_clock = move_clock
        self.mail_page = mail_page
        self.jobs = jobs
        self.run_job = run_job
        self.ingest = ingest
        self.portal = portal.resolve()
        self.webhooks = WebhookInbox()

    def portal_file(self, path: str) -> Path | None:
        """The portal's file for a GET: an asset by name, else index.html for the pages it routes."""
        relative = path.lstrip("/")
        if relative:
            candidate = (self.portal / relative).resolve()
            if candidate.is_file() and candidate.is_relative_to(self.portal):
                return candidate
        if relative in PORTAL_PAGES:
            return self.portal / "index.html"
        return None

    def portal_content(self, path: str) -> tuple[str, bytes] | None:
        """What the portal serves at `path` (its suffix, its bytes): a file of web/ (index.html with
        the brand's name), or the brand's colours (`/brand.css`) and logo (`/brand/logo.svg`), as
        infra/portal.py build_site writes them into the deployed site."""
        brand = load_brand()  # GUICHET_BRAND_DIR: another brand for the whole runtime
        if path == "/brand.css":
            return ".css", brand.css_variables().encode()
        if path == "/brand/logo.svg":
            return ".svg", brand.logo_path("svg").read_bytes()
        page = self.portal_file(path)
        if page is None:
            return None
        if page.suffix == ".html":
            return ".html", brand.portal_page(page.read_text(encoding="utf-8")).encode()
        return page.suffix, page.read_bytes()


_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class GatewayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: GatewayServer

    def setup(self) -> None:
        super().setup()
        # a kept-alive connection: the body written after the headers goes at once, not after the
        # client's delayed acknowledgement of them (Nagle's algorithm, 40 ms a request)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _handle(self) -> None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._json(HTTPStatus.LENGTH_REQUIRED, error_body("length_required", "Send a Content-Length."))
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        worker = self.server.worker_for(path)
        try:
            if worker is not None:
                self._proxy(worker, body)
            elif path.startswith("/_local/"):
                self._local(path, body)
            elif self.command in ("GET", "HEAD") and path == f"/{PUBLIC_PATH}":
                self._send(
                    HTTPStatus.OK,
                    _CONTENT_TYPES[".json"],
                    load_brand().public_json(),
                    PORTAL_SECURITY_HEADERS,
                )
            elif self.command in ("GET", "HEAD") and (content := self.server.local.portal_content(path)):
                suffix, data = content
                content_type = _CONTENT_TYPES.get(suffix, "application/octet-stream")
                self._send(HTTPStatus.OK, content_type, data, PORTAL_SECURITY_HEADERS)
            elif self.command in ("GET", "HEAD") and "text/html" in (self.headers.get("Accept") or ""):
                # a browser's address that is no page: the portal says so itself, with a 404 (as the
                # deployed distribution answers, infra/portal.py)
                index = self.server.local.portal_content("/")
                assert index is not None
                self._send(HTTPStatus.NOT_FOUND, _CONTENT_TYPES[".html"], index[1], PORTAL_SECURITY_HEADERS)
            else:
                self._json(HTTPStatus.NOT_FOUND, error_body("not_found", f"Nothing at {path}."))
        except Exception:
            logger.exception("%s %s failed", self.command, self.path)
            self._json(
                HTTPStatus.INTERNAL_SERVER_ERROR, error_body("internal_error", "The local gateway failed.")
            )

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def _source_ip(self) -> str:
        """The client's address: the connection's, or, behind a proxy the runtime was told to
        trust (`--trust-forwarded-for`), the first of X-Forwarded-For when it is an address."""
        peer = str(self.client_address[0])
        if not self.server.trust_forwarded_for:
            return peer
        forwarded = (self.headers.get("X-Forwarded-For") or "").split(",")[0].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            return peer

    def __getattr__(self, name: str) -> Any:
        # any other method (TRACE, QUERY...) goes to the app too, which answers 405 in the error
        # body of API.md for those it does not route (http.server's own answer: a 501 HTML page)
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _proxy(self, worker: ServiceProcess, body: bytes) -> None:
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() not in _HOP_BY_HOP and name.lower() not in INTERNAL_HEADERS
        }
        headers[SOURCE_IP_HEADER] = self._source_ip()
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        try:
            status, answer_headers, content = worker.request(self.command, self.path, body or None, headers)
        except OSError as error:
            logger.warning(
                "%s %s: the %s worker did not answer: %s", self.command, self.path, worker.service.name, error
            )
            self._json(
                HTTPStatus.BAD_GATEWAY,
                error_body("bad_gateway", f"The {worker.service.name} service is not answering."),
            )
            return
        self.send_response(status)
        for name, value in answer_headers:
            if name.lower() not in _HOP_BY_HOP and name.lower() not in ("server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    def _local(self, path: str, body: bytes) -> None:
        local = self.server.local
        method = "GET" if self.command == "HEAD" else self.command
        if path == "/_local/mail.json" and method == "GET":
            self._json(HTTPStatus.OK, {"items": local.mail()})
        elif path == "/_local/mail" and method == "GET":
            page = local.mail_page(local.mail()).encode()
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", page, MAILBOX_SECURITY_HEADERS)
        elif path == "/_local/jobs" and method == "GET":
            self._json(HTTPStatus.OK, {"items": local.jobs()})
        elif path == "/_local/services" and method == "GET":
            self._json(HTTPStatus.OK, {"items": self.server.services()})
        elif path == "/_local/dead-letters.json" and method == "GET":
            self._json(HTTPStatus.OK, {"items": local.dead_letters()})
        elif path == "/_local/aws.json" and method == "GET":
            self._json(HTTPStatus.OK, local.aws())
        elif path == "/_local/events.json" and method == "GET":
            self._json(HTTPStatus.OK, {"pending": local.events_pending()})
        elif path == "/_local/usage.json" and method == "GET":
            self._json(HTTPStatus.OK, USAGE.snapshot())
        elif path == "/_local/webhooks.json" and method == "GET":
            self._json(HTTPStatus.OK, {"items": local.webhooks.items()})
        elif path.startswith("/_local/webhooks/") and NAME.fullmatch(path.removeprefix("/_local/webhooks/")):
            if method == "POST":
                local.webhooks.record(path.removeprefix("/_local/webhooks/"), self.headers, body)
                self._send(HTTPStatus.NO_CONTENT, "text/plain", b"")
            else:
                self._json(
                    HTTPStatus.METHOD_NOT_ALLOWED, error_body("method_not_allowed", f"{method} {path}")
                )
        elif path.startswith("/_local/jobs/") and method == "POST":
            self._job(unquote(path[len("/_local/jobs/") :]), body)
        elif path == "/_local/ingest" and method == "POST":
            self._ingest(body)
        elif path == "/_local/clock" and method == "GET" and local.clock is not None:
            self._json(HTTPStatus.OK, local.clock())
        elif path == "/_local/clock" and method == "POST" and local.move_clock is not None:
            self._move_clock(body)
        elif path in (
            "/_local/mail.json",
            "/_local/mail",
            "/_local/jobs",
            "/_local/services",
            "/_local/ingest",
            "/_local/dead-letters.json",
            "/_local/clock",
            "/_local/aws.json",
            "/_local/events.json",
            "/_local/usage.json",
            "/_local/webhooks.json",
        ) or path.startswith("/_local/jobs/"):
            self._json(HTTPStatus.METHOD_NOT_ALLOWED, error_body("method_not_allowed", f"{method} {path}"))
        else:
            self._json(HTTPStatus.NOT_FOUND, error_body("not_found", f"Nothing at {path}."))

    def _job(self, name: str, body: bytes) -> None:
        try:
            payload = json.loads(body) if body.strip() else {}
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("at", ""), str | None):
            self._json(
                HTTPStatus.BAD_REQUEST,
                error_body("malformed_request", 'The body must be {"at": "<ISO 8601 time>"} or empty.'),
            )
            return
        status, answer = self.server.local.run_job(name, payload.get("at"))
        self._json(status, answer)

    def _move_clock(self, body: bytes) -> None:
        try:
            payload = json.loads(body) if body.strip() else None
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("now"), str):
            self._json(
                HTTPStatus.BAD_REQUEST,
                error_body("malformed_request", 'The body must be {"now": "<ISO 8601 time>"}.'),
            )
            return
        assert self.server.local.move_clock is not None
        status, answer = self.server.local.move_clock(payload["now"])
        self._json(status, answer)

    def _ingest(self, body: bytes) -> None:
        names = parse_qs(urlsplit(self.path).query).get("name", [])
        if len(names) != 1:
            self._json(
                HTTPStatus.BAD_REQUEST,
                error_body("malformed_request", "Say the file's name once: /_local/ingest?name=<file name>."),
            )
            return
        status, answer = self.server.local.ingest(names[0], body)
        self._json(status, answer)

    def _json(self, status: int, value: Any) -> None:
        self._send(status, "application/json", json.dumps(value, default=str).encode())

    def _send(
        self, status: int, content_type: str, content: bytes, headers: dict[str, str] = SECURITY_HEADERS
    ) -> None:
        """One of the gateway's own answers, with the security headers of a service's answers
        (or the portal's, for its pages)."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


class GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, local: Local, *, trust_forwarded_for: bool = False) -> None:
        self.local = local
        self.trust_forwarded_for = trust_forwarded_for
        self.workers: list[ServiceProcess] = []
        super().__init__(("127.0.0.1", port), GatewayHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def route(self, workers: list[ServiceProcess]) -> None:
        self.workers = sorted(workers, key=lambda worker: len(worker.service.base_path), reverse=True)

    def worker_for(self, path: str) -> ServiceProcess | None:
        for worker in self.workers:
            base = worker.service.base_path
            if path == base or path.startswith(base + "/"):
                return worker
        return None

    def services(self) -> list[dict[str, str]]:
        return [
            {"name": worker.service.name, "base_path": worker.service.base_path}
            for worker in sorted(self.workers, key=lambda worker: worker.service.base_path)
        ]
