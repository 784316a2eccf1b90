"""The runtime's side of a worker process: start it, talk to it, stop it."""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import queue
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from .clock import iso
from .services import Service

if TYPE_CHECKING:
    from .artifacts import Launch
from .usage import USAGE

CLOCK_PATH = "/_worker/clock"
INVOKE_PATH = "/_worker/invoke/"
# Under a controlled clock, the instant a worker moves its clock to before it serves the request
# (the clock's move rides on the request rather than on one of its own); the gateway never lets
# a client's through.
CLOCK_HEADER = "X-Guichet-Local-Clock"
# The client's address, as API Gateway gives it to a Lambda (requestContext.identity.sourceIp):
# the gateway says it to the worker in this header, and never lets a client's through.
SOURCE_IP_HEADER = "X-Guichet-Local-Source-Ip"
INTERNAL_HEADERS = frozenset({CLOCK_HEADER.lower(), SOURCE_IP_HEADER.lower()})


def invoked_handler(path: str) -> str | None:
    """The Lambda invocation a request to a worker stands for: `api` for the app's routes, the
    event handler's or schedule's name for `/_worker/invoke/<name>`, None for the runtime's own
    plumbing (manifest, clock, demo data)."""
    if path.startswith(INVOKE_PATH):
        return unquote(path[len(INVOKE_PATH) :].partition("?")[0])
    return None if path.startswith("/_worker/") else "api"


# A worker's SDK waits between the retries of a failed AWS call, times this (worker.py)
RETRY_WAIT_SCALE_VARIABLE = "GUICHET_LOCAL_SDK_RETRY_WAIT_SCALE"


class WorkerError(RuntimeError):
    pass


class Refused(str):
    """Why a handler refused an event off its contract: never retried, dead-lettered."""


class ServiceProcess:
    """One running worker: `python -m guichet_local.worker` for one service."""

    def __init__(
        self,
        service: Service,
        environment: dict[str, str],
        log_file: Path,
        *,
        clock: datetime | None = None,
        artifact: Launch | None = None,
    ) -> None:
        self.service = service
        self.artifact = artifact  # run from the built package (artifacts.py), not the source tree
        self.environment = environment
        self.log_file = log_file
        self.clock = clock  # under a controlled clock, the instant the worker is frozen at
        self._clock_due: datetime | None = None  # where it must be before it serves anything again
        self._clock_lock = threading.Lock()
        self.port: int | None = None
        self.manifest: dict[str, Any] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        self._first_line: queue.Queue[bytes] = queue.Queue()
        self._stderr_thread: threading.Thread | None = None
        self._stopping = False
        self._terminated = False  # SIGTERM sent (ask_to_stop)
        # each thread's connection to the worker, kept open between its requests
        self._connections = threading.local()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def launch(self) -> None:
        """Start the process; `wait_ready` then waits for its port (workers boot side by side)."""
        artifact = self.artifact
        command = [
            artifact.python if artifact else sys.executable,
            "-m",
            "guichet_local.worker",
            "--service",
            self.service.name,
            "--base-path",
            self.service.base_path,
            "--dir",
            str(artifact.code if artifact else self.service.path),
            "--log-file",
            str(self.log_file),
        ]
        if self.clock is not None:
            command += ["--clock", iso(self.clock)]
        environment = (
            {**self.environment, "PYTHONPATH": artifact.pythonpath} if artifact else self.environment
        )
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            cwd=artifact.cwd if artifact else self.service.path,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._stderr_thread = threading.Thread(
            target=self._forward_stderr, name=f"{self.service.name}-stderr", daemon=True
        )
        self._stderr_thread.start()
        threading.Thread(target=self._read_port, name=f"{self.service.name}-port", daemon=True).start()

    def _read_port(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        self._first_line.put(self._process.stdout.readline())

    def wait_ready(self, timeout: float = 30.0) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline:
            try:
                line = self._first_line.get(timeout=0.1)
                break
            except queue.Empty:
                if self._process.poll() is not None:
                    break
        try:
            self.port = int(json.loads(line)["port"])
        except (ValueError, KeyError, TypeError):
            if line == b"":  # its stdout closed: it is exiting
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._process.wait(timeout=5)
            report = self._failure(f"did not start within {timeout:.0f} s")
            self.stop()
            raise WorkerError(report) from None
        self.manifest = self.get("/_worker/manifest")

    def _forward_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        for raw in self._process.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self._stderr_tail.append(line)
            sys.stderr.write(f"[{self.service.name}] {line}\n")
            sys.stderr.flush()

    def _failure(self, what: str) -> str:
        code = self._process.poll() if self._process else None
        status = f"exited with status {code}" if code is not None else what
        if code is not None and self._stderr_thread:
            self._stderr_thread.join(timeout=2)  # its last lines, until the pipe closes
        tail = "\n".join(f"    {line}" for line in self._stderr_tail) or "    (nothing on stderr)"
        return (
            f"the {self.service.name} worker {status}; its stderr ended with:\n{tail}\n  log: {self.log_file}"
        )

    def exit_status(self) -> int | None:
        """The worker's exit status if it has died on its own, else None."""
        if self._process is None or self._stopping:
            return None
        return self._process.poll()

    def death_report(self) -> str:
        return self._failure("died")

    def ask_to_stop(self) -> None:
        """SIGTERM, without waiting: workers asked together exit side by side (`stop` waits)."""
        self._stopping = True
        if self._process is not None and self._process.poll() is None and not self._terminated:
            self._process.terminate()
            self._terminated = True

    def stop(self, timeout: float = 5.0) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            self._stopping = True
            if process is not None:
                process.wait()
            return
        self.ask_to_stop()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream:
                stream.close()

    def wait_exit(self, timeout: float) -> int | None:
        """The worker's exit status once it has exited, waiting up to `timeout` (None: running)."""
        if self._process is None:
            return None
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def restart(self, timeout: float = 30.0) -> None:
        """Start the worker again after it died (as Lambda starts a new container), at the clock
        it was at; its port changes, every caller reads the new one."""
        if self._process is not None and self._process.poll() is None:
            raise WorkerError(f"the {self.service.name} worker is still running")
        if self._process is not None:
            for stream in (self._process.stdin, self._process.stdout):
                if stream:
                    stream.close()
        with self._clock_lock:
            if self._clock_due is not None:
                self.clock, self._clock_due = self._clock_due, None
        self.port, self._stopping = None, False
        self._connections = threading.local()
        self._first_line = queue.Queue()
        self.launch()
        self.wait_ready(timeout)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 330.0,
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if self.port is None:
            raise WorkerError(f"the {self.service.name} worker is not running")
        due = self._clock_due if path != CLOCK_PATH else None
        if due is not None:
            headers = {**(headers or {}), CLOCK_HEADER: iso(due)}
        started = time.perf_counter()
        kept = getattr(self._connections, "open", None)
        connection = kept or http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        self._connections.open = None
        try:
            connection.timeout = timeout
            if connection.sock is not None:
                connection.sock.settimeout(timeout)
            try:
                connection.request(method, path, body=body, headers=headers or {})
                response = connection.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                if kept is None:
                    raise
                # the worker closed the connection kept open (it never read this request): a new one
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
                connection.request(method, path, body=body, headers=headers or {})
                response = connection.getresponse()
            answer = response.status, response.getheaders(), response.read()
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            self._connections.open = connection  # this thread's next request to the worker reuses it
        if due is not None:  # the worker moved its clock before it served this
            with self._clock_lock:
                self.clock = due
                if self._clock_due == due:
                    self._clock_due = None
        handler = invoked_handler(path)
        if handler is not None:
            USAGE.invocation(self.service.name, handler, time.perf_counter() - started)
        return answer

    def get(self, path: str) -> Any:
        status, _, body = self.request("GET", path)
        if status != 200:
            raise WorkerError(f"{self.service.name} {path}: {status} {body[:500]!r}")
        return json.loads(body)

    def call(self, path: str, payload: Any) -> tuple[bool, Any]:
        """POST a worker endpoint that answers {"ok", "result"|"error"}: (ok, result or error)."""
        _, _, body = self.request(
            "POST", path, json.dumps(payload).encode(), {"Content-Type": "application/json"}
        )
        answer = json.loads(body)
        if answer.get("ok"):
            return True, answer.get("result")
        error = answer.get("error")
        return False, Refused(str(error)) if answer.get("refused") else error

    def invoke(self, name: str, event: dict[str, Any]) -> tuple[bool, Any]:
        return self.call(f"{INVOKE_PATH}{quote(name)}", event)

    def set_clock(self, moment: datetime) -> None:
        """Move the worker's controlled clock to `moment` (it was started with one), now."""
        ok, result = self.call(CLOCK_PATH, {"now": iso(moment)})
        if not ok:
            raise WorkerError(f"the clock of {self.service.name} did not move: {result}")
        self.clock = moment

    def release_clock(self) -> None:
        """Hand the worker back to the wall clock, for good."""
        with self._clock_lock:
            self._clock_due = None
            ok, result = self.call(CLOCK_PATH, {"now": None})
            if not ok:
                raise WorkerError(f"the clock of {self.service.name} was not released: {result}")
            self.clock = None

    def set_clock_before_next_request(self, moment: datetime) -> None:
        """The worker's clock moves to `moment` before it serves its next request (the request
        says so, CLOCK_HEADER): a worker that serves nothing meanwhile costs nothing, one that
        does sees `moment` as now."""
        with self._clock_lock:
            self._clock_due = None if moment == self.clock else moment

    def load_demo(self, now: datetime) -> list[dict[str, Any]]:
        ok, result = self.call("/_worker/demo", {"now": now.isoformat()})
        if not ok:
            raise WorkerError(f"demo data of {self.service.name} failed: {result}")
        return list(result or [])
