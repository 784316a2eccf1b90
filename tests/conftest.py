"""Fixtures that run the local runtime (`python -m guichet_local`) as `make run` does.

`runtime` (session): every service, no demo data, on a free port. `demo_runtime` (session,
started only if a test asks for it): the same with demo data, its history played up to
`DEMO_NOW`, where its clock then stands (`--clock`: the demo is the same whatever day the tests
run; `runtime.now()` says that instant). `launch_demo()` starts the demo as `make run` does,
on the wall clock (the caller stops it). All are `LocalRuntime`s:

    runtime.url                     http://127.0.0.1:<port>
    runtime.get(path) / .post(path, json=...) / .request(method, path, ...)  -> requests.Response
    runtime.mail()                  the local mailbox, newest first (GET /_local/mail.json items)
    runtime.job(name, at=None)    `make job NAME=name AT=at`: CompletedProcess (returncode, stdout, stderr)
    runtime.settle()                waits until every event published so far is handled
    runtime.aws(service)            a boto3 client on the runtime's moto (e.g. "events", "ses")
    runtime.now()                   the runtime's clock (GET /_local/clock), an aware datetime
    runtime.output()                what the runtime printed so far (banner, errors)
    runtime.stop()                  Ctrl-C (or stop(SIGTERM)); returns the exit status

`launch_runtime(name, *arguments, env=...)` starts one more, with other options or environment
(the caller stops it).
`eventually(check, timeout)` waits for what the runtime does in the background (events, jobs).
`browser` (one per test module) is Debian's Chromium driven by Playwright; `page`, a fresh page
of it in French, at Paris time.

Teardown sends SIGINT (Ctrl-C) and asserts a clean exit: status 0, the port free again and
every worker process gone.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

REPO = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 60.0
# The demo plays its customers' history through the services first (guichet_local.demo_history).
DEMO_STARTUP_TIMEOUT = 300.0
DEMO_NOW = "2026-07-10T09:30:00Z"  # a summer morning: the battery holds some surplus, the kitty too
STOP_TIMEOUT = 40.0  # a loaded machine (three tiers at a time on two cores) stops slower
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

T = TypeVar("T")


class LocalRuntime:
    def __init__(self, process: subprocess.Popen[bytes], description: dict[str, Any], log: Path) -> None:
        self.process = process
        self.description = description
        self.log = log
        self.url: str = description["url"]
        self.port = int(self.url.rsplit(":", 1)[1])
        self.moto_url: str = description["moto"]
        self.region: str = description["region"]
        self.workers: dict[str, int] = description["workers"]
        self.http = requests.Session()

    @classmethod
    def start(
        cls,
        workdir: Path,
        *arguments: str,
        timeout: float = STARTUP_TIMEOUT,
        env: dict[str, str] | None = None,
    ) -> LocalRuntime:
        workdir.mkdir(parents=True, exist_ok=True)
        ready_file = workdir / "ready.json"
        log = workdir / "runtime.out"
        command = [sys.executable, "-m", "guichet_local", "--port", "0", "--ready-file", str(ready_file)]
        command += ["--state-dir", str(workdir / "state"), *arguments]
        with open(log, "wb") as output:
            process = subprocess.Popen(
                command, cwd=REPO, stdout=output, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
            )
        deadline = time.monotonic() + timeout
        while not ready_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                if process.poll() is None:
                    process.kill()
                    process.wait()
                pytest.fail(
                    f"the local runtime did not start (status {process.returncode}); it printed:\n"
                    + log.read_text(errors="replace"),
                    pytrace=False,
                )
            time.sleep(0.05)
        return cls(process, json.loads(ready_file.read_text()), log)

    def now(self) -> datetime:
        answer = self.get("/_local/clock")
        answer.raise_for_status()
        return datetime.fromisoformat(answer.json()["now"].replace("Z", "+00:00"))

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.http.request(method, self.url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def mail(self) -> list[dict[str, Any]]:
        answer = self.get("/_local/mail.json")
        answer.raise_for_status()
        return answer.json()["items"]

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until every event published so far is handled (GET /_local/events.json), those its
        handlers published included: what a test checks next sees all of it."""

        def quiet() -> bool:
            answer = self.get("/_local/events.json")
            answer.raise_for_status()
            return answer.json()["pending"] == 0

        assert eventually(lambda: quiet() and quiet(), timeout=timeout), "events still pending"

    def job(self, name: str, at: str | None = None) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "guichet_local.job", "--port", str(self.port), name]
        if at:
            command += ["--at", at]
        return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)

    def aws(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.moto_url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def stop(self, signal_number: int = signal.SIGINT) -> int:
        """Ctrl-C (or another signal); the exit status. Asserts that nothing is left behind."""
        self.http.close()
        if self.process.poll() is None:
            self.process.send_signal(signal_number)
        try:
            status = self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"the runtime did not stop within {STOP_TIMEOUT} s:\n{self.output()}", pytrace=False)
        leftovers = [name for name, pid in self.workers.items() if _alive(pid)]
        assert not leftovers, f"workers still running after the runtime stopped: {leftovers}"
        assert port_is_free(self.port), f"port {self.port} is still bound after the runtime stopped"
        return status


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def port_is_free(port: int) -> bool:
    """Whether a new runtime could listen on the port (it sets SO_REUSEADDR, as this does)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def eventually(check: Callable[[], T], timeout: float = 15.0, every: float = 0.1) -> T:
    """The first truthy answer of check() within timeout, else its last answer (for the test to assert)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(every)


def _stopped_cleanly(runtime: LocalRuntime) -> None:
    status = runtime.stop()
    assert status == 0, f"the runtime exited with {status} on Ctrl-C:\n{runtime.output()}"


@pytest.fixture(scope="session")
def launch_runtime(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`launch_runtime(name, *arguments, env={...})`: start another runtime, with these environment
    variables added (GUICHET_BRAND_DIR: another brand); the caller stops it."""

    def launch(name: str, *arguments: str, env: dict[str, str] | None = None) -> LocalRuntime:
        return LocalRuntime.start(tmp_path_factory.mktemp(name), *arguments, env=env)

    return launch


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    # the tests stand for many clients: each customer of tests/customers.py comes from an
    # address of its own (X-Forwarded-For), as the per-address limits of the services expect
    started = LocalRuntime.start(tmp_path_factory.mktemp("runtime"), "--no-demo", "--trust-forwarded-for")
    yield started
    _stopped_cleanly(started)


@pytest.fixture(scope="session")
def demo_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    started = LocalRuntime.start(
        tmp_path_factory.mktemp("demo-runtime"), "--clock", DEMO_NOW, timeout=DEMO_STARTUP_TIMEOUT
    )
    yield started
    _stopped_cleanly(started)


@pytest.fixture(scope="session")
def launch_demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`launch_demo()`: start the demo as `make run` does (its history played up to the wall
    clock's now, then the wall clock); the caller stops it."""

    def launch() -> LocalRuntime:
        return LocalRuntime.start(tmp_path_factory.mktemp("demo-wall-clock"), timeout=DEMO_STARTUP_TIMEOUT)

    return launch


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    # expect() waits as long as a locator of the `page` fixture does: on a busy machine a page
    # takes more than Playwright's default 5 s to show what a test expects of it
    expect.set_options(timeout=15_000)

    assert CHROMIUM.exists(), "Chromium is missing: `make test` installs Debian's chromium package"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


# Each page reports what its Content-Security-Policy blocked on the console, where Chromium's own
# "Refused to ..." messages also go: both are collected, as are the page's uncaught errors.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) =>
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`));
"""


class PageWatch:
    """What went wrong in a browser context's pages that no assertion of a test looks at: a CSP
    violation (the portal runs with its policy enforced) or an uncaught script error."""

    def __init__(self, context: Any) -> None:
        self.problems: list[str] = []
        context.add_init_script(_REPORT_VIOLATIONS)
        context.on("page", self.watch)

    def watch(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught error: {error}"))

    def _console(self, message: Any) -> None:
        text = message.text
        if message.type == "error" and ("CSP violation" in text or "Content Security Policy" in text):
            self.problems.append(text)

    def check(self) -> None:
        assert not self.problems, "the pages went wrong:\n" + "\n".join(self.problems)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page of its own (no cookies or storage of another test), 1280×900, waiting 15 s at most;
    the test fails on a CSP violation or an uncaught error in any page of its context."""
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900}
    )
    watch = PageWatch(context)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()
    watch.check()
