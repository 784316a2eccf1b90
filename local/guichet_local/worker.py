"""One service's Chalice app in its own process, as Lambda gives each function its own.

Every service has an `app` module and a `chalicelib` package, and reads its settings from
process-wide environment variables, so two services cannot share a process. The runtime
starts `python -m guichet_local.worker` once per service with that service's environment; the
worker imports the app and serves, on an ephemeral port of 127.0.0.1:

- `<base_path>/...`: the app's routes, through Chalice's local API Gateway;
- `GET /_worker/manifest`: the app's schedules and event handlers;
- `POST /_worker/invoke/<name>` (a Lambda event as JSON): runs that schedule or event handler
  (an event off its contract, InvalidEvent, answers `{"ok": false, "refused": true}`);
- `POST /_worker/demo` (`{"now": ISO}`): loads the service's demo data through `demo.py`;
- `GET`, `POST /_worker/clock` (`{"now": ISO}`): under a controlled clock (`--clock`, see
  `clock.py`), the instant the process is frozen at, and moving it (`{"now": null}`: back to
  the wall clock); a request carrying `X-Guichet-Local-Clock: ISO` moves it there first (how the
  runtime moves it: no request of its own).

It tells the runtime its port with one JSON line `{"port": N}` on stdout, the only thing it
writes there: everything else written to stdout (Powertools' JSON logs, with the correlation id
and the Lambda context of each invocation, and the EMF metrics) goes to --log-file, which is how
tests and people read them. A log file over LOG_BYTES_KEPT when a worker starts becomes
`<name>.1` (replacing the one before): a long-lived state directory keeps two at most.
It stops on SIGTERM, or when its stdin closes (the runtime is gone), and ignores SIGINT: the
runtime, which gets Ctrl-C, stops it.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import logging
import os
import signal
import socket
import sys
import threading
import traceback
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from chalice.config import Config
from chalice.local import (
    LambdaContext,
    LambdaEventConverter,
    LocalChalice,
    LocalGateway,
    LocalGatewayException,
    RouteMatcher,
)

from .clock import ControlledClock, iso, parse_instant
from .service_process import CLOCK_HEADER, INTERNAL_HEADERS, RETRY_WAIT_SCALE_VARIABLE, SOURCE_IP_HEADER

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}
LOG_BYTES_KEPT = 50 * 1024 * 1024


def schedule_expression(source: Any) -> str:
    expression = source.schedule_expression
    return expression if isinstance(expression, str) else expression.to_string()


class ServiceApp:
    """The imported Chalice app of one service and what the runtime asks of it."""

    def __init__(self, name: str, base_path: str, directory: Path, stage: str) -> None:
        self.name = name
        self.base_path = base_path
        self.directory = directory
        module = importlib.import_module("app")
        self.app = module.app
        # Chalice keeps the current request on the app object; the local subclass keeps it per
        # thread, which a threaded server needs (what `chalice local` does too).
        self.app.__class__ = type("ThreadLocalChalice", (LocalChalice, type(self.app)), {})
        config_file = directory / ".chalice" / "config.json"
        config_from_disk = json.loads(config_file.read_text()) if config_file.is_file() else {}
        self.config = Config(
            chalice_stage=stage,
            user_provided_params={"chalice_app": self.app},
            config_from_disk=config_from_disk,
            default_params={"project_dir": str(directory)},
        )
        self.gateway = LocalGateway(self.app, self.config)
        self.gateway.event_converter.__class__ = _ClientAddressConverter
        self.routes = RouteMatcher(list(self.app.routes))

    def manifest(self) -> dict[str, Any]:
        schedules, events, other = [], [], []
        for source in self.app.event_sources:
            if hasattr(source, "schedule_expression"):
                schedules.append({"name": source.name, "expression": schedule_expression(source)})
            elif hasattr(source, "event_pattern"):
                events.append({"name": source.name, "pattern": source.event_pattern})
            else:
                other.append({"name": source.name, "type": type(source).__name__})
        return {
            "service": self.name,
            "app_name": self.app.app_name,
            "schedules": schedules,
            "events": events,
            "unsupported": other,
        }

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        for source in self.app.event_sources:
            if source.name == name:
                break
        else:
            raise LookupError(f"{self.name} has no schedule or event handler named {name!r}")
        module_name, _, attribute = source.handler_string.rpartition(".")
        handler = getattr(importlib.import_module(module_name), attribute)
        context = LambdaContext(
            function_name=f"{self.app.app_name}-local-{name}",
            memory_size=self.config.lambda_memory_size or 128,
            max_runtime_ms=(self.config.lambda_timeout or 60) * 1000,
        )
        return handler(event, context)

    def load_demo(self, now: datetime) -> list[dict[str, Any]]:
        # demo.py sits next to app.py, outside chalicelib, so that it is never packaged.
        if not (self.directory / "demo.py").is_file():
            return []
        return list(importlib.import_module("demo").load(now))

    def handle_request(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> tuple:
        """(status, headers as (name, value) pairs, body) of one request to the app."""
        route_path = path.split("?", 1)[0]
        # What API Gateway answers itself on AWS (no such route, a CORS preflight, a refusal before
        # the function) carries the security headers of the services' answers too.
        try:
            self.routes.match_route(route_path)
        except ValueError:
            return _json(HTTPStatus.NOT_FOUND, _error("not_found", f"No route {method} {route_path}."))
        try:
            response = self.gateway.handle_request(method=method, path=path, headers=headers, body=body)
        except LocalGatewayException as error:
            return error.CODE, _secured(list((error.headers or {}).items())), error.body or b""
        pairs: list[tuple[str, str]] = []
        for name, value in (response.get("headers") or {}).items():
            pairs.append((name, str(value)))
        for name, values in (response.get("multiValueHeaders") or {}).items():
            pairs.extend((name, str(value)) for value in values)
        if not any(name.lower() == "content-type" for name, _ in pairs):
            pairs.append(("Content-Type", "application/json"))
        if method == "OPTIONS" and not any(name == "X-Correlation-Id" for name, _ in pairs):
            pairs = _secured(pairs)  # Chalice's own answer to a preflight, not the app's
        raw = response.get("body")
        if raw is None:
            content = b""
        elif response.get("isBase64Encoded"):
            content = base64.b64decode(raw)
        else:
            content = raw if isinstance(raw, bytes) else str(raw).encode("utf-8")
        return response["statusCode"], pairs, content


class _ClientAddressConverter(LambdaEventConverter):
    """Chalice's event, with the client's address the gateway said (SOURCE_IP_HEADER) as API
    Gateway gives it, instead of 127.0.0.1 for everyone; the app never sees the header."""

    def create_lambda_event(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> Any:
        event = super().create_lambda_event(method, path, headers, body)
        for name in INTERNAL_HEADERS:
            address = event["headers"].pop(name, None)
            if name == SOURCE_IP_HEADER.lower() and address:
                event["requestContext"]["identity"]["sourceIp"] = address
        return event


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _json(status: int, value: Any) -> tuple:
    return status, _secured([("Content-Type", "application/json")]), json.dumps(value, default=str).encode()


def _secured(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # imported once the service's code is on the path: the guichet_contracts the app imports
    from guichet_contracts.web import SECURITY_HEADERS

    given = {name.lower() for name, _ in pairs}
    return pairs + [(name, value) for name, value in SECURITY_HEADERS.items() if name.lower() not in given]


def _strip_base(path: str, base_path: str) -> str | None:
    route, separator, query = path.partition("?")
    if route == base_path:
        route = "/"
    elif route.startswith(base_path + "/"):
        route = route[len(base_path) :]
    else:
        return None
    return route + separator + query


class WorkerHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: WorkerServer

    def setup(self) -> None:
        super().setup()
        # the runtime keeps its connection open: an answer goes at once (no Nagle delay)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        service = self.server.service
        moment = self.headers.get(CLOCK_HEADER)
        if moment and self.server.clock.now is not None:  # the runtime moved time: move with it first
            self.server.clock.move_to(parse_instant(moment))
        if self.path.startswith("/_worker/"):
            answer = self._internal(service, body)
        else:
            path = _strip_base(self.path, service.base_path)
            if path is None:
                answer = _json(HTTPStatus.NOT_FOUND, _error("not_found", f"No such path {self.path}."))
            else:
                headers: dict[str, str] = {}
                for name, value in self.headers.items():
                    if name.lower() not in _HOP_BY_HOP and name.lower() != CLOCK_HEADER.lower():
                        headers[name] = f"{headers[name]},{value}" if name in headers else value
                answer = service.handle_request(self.command, path, headers, body)
        self._send(*answer)

    def _internal(self, service: ServiceApp, body: bytes | None) -> tuple:
        command, path = self.command, self.path
        try:
            if command == "GET" and path == "/_worker/manifest":
                return _json(HTTPStatus.OK, service.manifest())
            if command == "POST" and path.startswith("/_worker/invoke/"):
                from guichet_contracts.events import InvalidEvent  # the app's (see _secured)

                name = unquote(path[len("/_worker/invoke/") :])
                try:
                    result = service.invoke(name, json.loads(body or b"{}"))
                except InvalidEvent as refused:
                    # off its contract: it will never validate, so it is refused rather than retried
                    return _json(
                        HTTPStatus.UNPROCESSABLE_ENTITY, {"ok": False, "refused": True, "error": str(refused)}
                    )
                return _json(HTTPStatus.OK, {"ok": True, "result": result})
            if command == "POST" and path == "/_worker/demo":
                now = datetime.fromisoformat(json.loads(body or b"{}")["now"])
                return _json(HTTPStatus.OK, {"ok": True, "result": service.load_demo(now)})
            if path == "/_worker/clock" and command in ("GET", "POST"):
                return self._clock(body)
        except Exception as error:
            # The traceback goes to stderr, which the runtime shows; the caller gets the gist.
            traceback.print_exc()
            return _json(
                HTTPStatus.INTERNAL_SERVER_ERROR, {"ok": False, "error": f"{type(error).__name__}: {error}"}
            )
        return _json(HTTPStatus.NOT_FOUND, _error("not_found", f"No worker endpoint {command} {path}."))

    def _clock(self, body: bytes | None) -> tuple:
        clock = self.server.clock
        now = clock.now
        if now is None:
            return _json(
                HTTPStatus.CONFLICT,
                {"ok": False, "error": "this worker runs on the wall clock (started without --clock)"},
            )
        if self.command == "POST":
            moment = json.loads(body or b"{}")["now"]
            if moment is None:  # back to the wall clock, for good
                clock.release()
                return _json(HTTPStatus.OK, {"ok": True, "result": {"now": None}})
            now = clock.move_to(parse_instant(str(moment)))
        return _json(HTTPStatus.OK, {"ok": True, "result": {"now": iso(now)}})

    def _send(self, status: int, headers: list[tuple[str, str]], content: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD" and content:
            self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def __getattr__(self, name: str) -> Any:
        # any other method (TRACE, QUERY...) goes to the app too, which answers 405 in the error
        # body of API.md for those it does not route (http.server's own answer: a 501 HTML page)
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the gateway's callers see the answers; no access log on stderr


class WorkerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, service: ServiceApp, clock: ControlledClock) -> None:
        self.service = service
        self.clock = clock
        super().__init__(("127.0.0.1", 0), WorkerHandler)


def _stop_when_stdin_closes(server: WorkerServer) -> None:
    def watch() -> None:
        # os.read, not sys.stdin: a daemon thread blocked in a buffered read aborts the exit.
        while os.read(sys.stdin.fileno(), 4096):
            pass
        server.shutdown()

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


def scale_sdk_retry_waits(scale: float) -> None:
    """The AWS SDK's waits between the retries of a failed call, times `scale`: the same retries,
    in the same order, sooner (a run under injected faults retries thousands of calls; the
    emulator's faults do not wait out). botocore sleeps in one place, whatever its retry mode."""
    if scale == 1.0:
        return
    import time
    import types

    import botocore.endpoint

    botocore.endpoint.time = types.SimpleNamespace(  # type: ignore[attr-defined]
        sleep=lambda seconds: time.sleep(max(0.0, seconds) * scale)
    )


def rotate_log(path: Path, kept: int = LOG_BYTES_KEPT) -> None:
    """Move a log file over `kept` bytes aside, as `<name>.1`, for a new one to start."""
    if path.is_file() and path.stat().st_size > kept:
        path.replace(path.with_name(path.name + ".1"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guichet_local.worker")
    parser.add_argument("--service", required=True)
    parser.add_argument("--base-path", required=True)
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--stage", default="local")
    parser.add_argument("--log-file", required=True, type=Path)
    parser.add_argument("--clock", help="freeze the clock at this ISO time (a controlled clock)")
    args = parser.parse_args(argv)

    clock = ControlledClock()
    if args.clock:
        # before the app is imported: settings, clients and caches are made in simulated time
        clock.move_to(parse_instant(args.clock))

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    control = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout.flush()
    args.log_file.parent.mkdir(parents=True, exist_ok=True)
    rotate_log(args.log_file)
    with open(args.log_file, "ab") as log:
        os.dup2(log.fileno(), sys.stdout.fileno())
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s")

    scale_sdk_retry_waits(float(os.environ.get(RETRY_WAIT_SCALE_VARIABLE) or 1.0))
    directory = args.dir.resolve()
    os.chdir(directory)
    sys.path.insert(0, str(directory))
    service = ServiceApp(args.service, args.base_path, directory, args.stage)
    server = WorkerServer(service, clock)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    _stop_when_stdin_closes(server)
    control.write(json.dumps({"port": server.server_address[1]}) + "\n")
    control.close()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
