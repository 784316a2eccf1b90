"""`make load`: customers' journeys against the local runtime, with locust, and what each costs.

1. Starts `python -m guichet_local` with its demo customers on a free port of 127.0.0.1 (a state
   directory of its own) and stops it at the end, whatever happens.
2. Counts each journey alone (`journeys.py`, plus a meter file of one home's day and the monthly
   close of the electricity meters): the AWS requests, DynamoDB request units and Lambda
   invocations and seconds the runtime counted (`GET /_local/usage.json`) from before the journey
   until its events are all handled, `--repeats` times each, averaged. The cost model
   (`cost_model.py`) multiplies them by AWS's prices.
3. Runs locust headless for `--seconds` with `--users` customers spawned at `--spawn-rate` a second,
   each logged in as a demo customer and doing the usual journeys with a think time between.
4. Writes build/report/load.json (every figure; `make report` renders it) and prints the table:
   requests, error rate and p50/p95/p99 per route, and each route's p50 ÷ the fastest service
   route's (the S3 link of a PDF is the emulator's, not a service's: it is not the reference).

These are the emulator's figures, on this machine: one worker process per service, moto for
AWS, with other work sharing the cores. They compare the routes with each other; they say nothing
of the time on AWS.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import gevent
import locust  # noqa: F401 - patches the standard library for gevent on import: before requests
import requests
from journeys import (
    CARD_PAYERS,
    CUSTOMERS,
    ELECTRICITY,
    JOURNEYS,
    MEASURED_AS,
    Client,
    JourneyFailed,
    Visit,
    consumption_year,
    home,
    invoice_pdf,
    invoices,
    login,
    payment,
)
from locust import HttpUser, between, task
from locust.env import Environment
from report import load_table

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "report" / "load.json"
STARTUP_SECONDS = 600
SETTLE_QUIET_SECONDS = 1.5
PERCENTILES = (0.5, 0.95, 0.99)
_logins = itertools.cycle(CUSTOMERS)


class Customer(HttpUser):
    """A demo customer in the portal: logs in, then reads and pays, with a think time between."""

    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.visit = Visit(self.client, next(_logins))
        login(self.visit)

    @task(4)
    def dashboard(self) -> None:
        home(self.visit)

    @task(3)
    def history(self) -> None:
        invoices(self.visit)

    @task(2)
    def pdf(self) -> None:
        invoice_pdf(self.visit, required=False)

    @task(2)
    def year(self) -> None:
        if self.visit.login in ELECTRICITY:
            consumption_year(self.visit)
        else:
            home(self.visit)

    @task(1)
    def pay(self) -> None:
        if self.visit.login in CARD_PAYERS:
            payment(self.visit, sleep=gevent.sleep)
        else:
            invoices(self.visit)

    @task(1)
    def log_in_again(self) -> None:
        login(self.visit)


# --- the runtime -----------------------------------------------------------------------------------


class Runtime:
    """`python -m guichet_local` with its demo data, on a free port; `stop()` ends it (Ctrl-C)."""

    def __init__(self, state: Path) -> None:
        ready = state / "ready.json"
        self.log = (state / "runtime.log").open("wb")
        command = [sys.executable, "-m", "guichet_local", "--port", "0", "--ready-file", str(ready)]
        self.process = subprocess.Popen(
            [*command, "--state-dir", str(state)],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while not ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the runtime did not start; see {state / 'runtime.log'}")
            time.sleep(0.5)
        self.url = json.loads(ready.read_text())["url"]

    def usage(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_local/usage.json", timeout=30).json()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# --- counting a journey ----------------------------------------------------------------------------


def difference(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """What `after` counts more than `before` (two /_local/usage.json snapshots); the emulator's
    SQS requests are the local event router's polling, not the services': left out."""
    aws: dict[str, dict[str, int]] = {}
    for service, operations in after["aws"].items():
        if service == "sqs":
            continue
        for name, count in operations.items():
            more = count - before["aws"].get(service, {}).get(name, 0)
            if more:
                aws.setdefault(service, {})[name] = more
    functions: dict[str, dict[str, dict[str, float]]] = {}
    for service, handlers in after["lambda"].items():
        for handler, figures in handlers.items():
            earlier = before["lambda"].get(service, {}).get(handler, {"invocations": 0, "seconds": 0.0})
            calls = figures["invocations"] - earlier["invocations"]
            if calls:
                functions.setdefault(service, {})[handler] = {
                    "invocations": calls,
                    "seconds": round(figures["seconds"] - earlier["seconds"], 6),
                }
    units = {
        name: after["dynamodb_units"][name] - before["dynamodb_units"][name]
        for name in after["dynamodb_units"]
    }
    return {"aws": aws, "dynamodb_units": units, "lambda": functions}


def settled(runtime: Runtime) -> dict[str, Any]:
    """The usage once nothing but the event router's polling has moved for a while: every event
    the journey caused handled."""
    last, quiet_since = runtime.usage(), time.monotonic()
    while time.monotonic() - quiet_since < SETTLE_QUIET_SECONDS:
        time.sleep(0.3)
        now = runtime.usage()
        if difference(now, last)["aws"] or difference(now, last)["lambda"]:
            last, quiet_since = now, time.monotonic()
    return last


def averaged(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The mean of several journeys' counts."""
    n = len(runs)
    aws: dict[str, dict[str, float]] = {}
    functions: dict[str, dict[str, dict[str, float]]] = {}
    units: dict[str, float] = {}
    for run in runs:
        for service, operations in run["aws"].items():
            for name, count in operations.items():
                aws.setdefault(service, {}).setdefault(name, 0.0)
                aws[service][name] += count / n
        for service, handlers in run["lambda"].items():
            for handler, figures in handlers.items():
                entry = functions.setdefault(service, {}).setdefault(
                    handler, {"invocations": 0.0, "seconds": 0.0}
                )
                entry["invocations"] += figures["invocations"] / n
                entry["seconds"] += figures["seconds"] / n
        for name, value in run["dynamodb_units"].items():
            units[name] = units.get(name, 0.0) + value / n
    return {"aws": aws, "dynamodb_units": units, "lambda": functions, "runs": n}


def measure_journeys(runtime: Runtime, repeats: int) -> dict[str, Any]:
    measured: dict[str, Any] = {}
    for name, journey in JOURNEYS.items():
        visit = Visit(Client(runtime.url), MEASURED_AS[name])
        if name != "login":
            login(visit)
        runs = []
        for _ in range(repeats):
            before = settled(runtime)
            journey(visit)
            runs.append(difference(settled(runtime), before))
        measured[name] = {"as": MEASURED_AS[name], **averaged(runs)}
        print(f"  counted {name} ({repeats}×)", flush=True)
    measured["meter_day"] = {"as": ELECTRICITY[0], **averaged(meter_days(runtime, repeats))}
    print("  counted meter_day", flush=True)
    measured["monthly_close"] = monthly_close(runtime)
    print("  counted monthly_close", flush=True)
    return measured


def meter_days(runtime: Runtime, repeats: int) -> list[dict[str, Any]]:
    """One home's day of half-hours (consumed and injected) in a file of its own, as the grid
    operator drops it in the ingest bucket, through `POST /_local/ingest`."""
    visit = Visit(Client(runtime.url), ELECTRICITY[0])
    login(visit)
    meter = visit.call("GET", "/consumption/meters", "meters").json()["items"][0]
    rng = random.Random()
    day = date.today() - timedelta(days=1)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=1)
    runs = []
    for _ in range(repeats):
        rows = ["meter_id,start,value,direction"]
        for direction in ("consumption", "injection"):
            for half_hour in range(48):
                at = start + timedelta(minutes=30 * half_hour)
                rows.append(
                    f"{meter['pdl']},{at:%Y-%m-%dT%H:%M:%SZ},{rng.uniform(0.05, 0.9):.3f},{direction}"
                )
        before = settled(runtime)
        answer = requests.post(
            f"{runtime.url}/_local/ingest",
            params={"name": f"load-{uuid.uuid4().hex}.csv"},
            data=("\n".join(rows) + "\n").encode(),
            timeout=120,
        )
        if answer.status_code != 200:
            raise JourneyFailed(f"the meter file was not ingested: {answer.status_code} {answer.text[:300]}")
        runs.append(difference(settled(runtime), before))
    return runs


def monthly_close(runtime: Runtime) -> dict[str, Any]:
    """The month's close (`consumption.close_month`) run as of the next month's first day, divided
    by the electricity meters it closed: each customer's share of the monthly bill's work."""
    meters = 0
    for login_name in ELECTRICITY:
        visit = Visit(Client(runtime.url), login_name)
        login(visit)
        items = visit.call("GET", "/consumption/meters", "meters").json()["items"]
        meters += sum(1 for item in items if item.get("pdl"))
    today = date.today()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    before = settled(runtime)
    answer = requests.post(
        f"{runtime.url}/_local/jobs/consumption.close_month",
        json={"at": f"{first.isoformat()}T03:00:00Z"},
        timeout=300,
    )
    if answer.status_code != 200:
        raise JourneyFailed(f"the monthly close failed: {answer.status_code} {answer.text[:300]}")
    run = difference(settled(runtime), before)
    return {"as": f"the job, divided by {meters} electricity meters", "per": meters, **averaged([run])}


# --- the load --------------------------------------------------------------------------------------


def run_load(url: str, users: int, spawn_rate: float, seconds: int) -> dict[str, Any]:
    Customer.host = url
    environment = Environment(user_classes=[Customer])
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=spawn_rate)
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    routes = []
    for entry in sorted(environment.stats.entries.values(), key=lambda e: e.name):
        routes.append(
            {
                "route": entry.name,
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "error_rate": entry.num_failures / entry.num_requests if entry.num_requests else 0.0,
                **{f"p{int(p * 100)}_ms": entry.get_response_time_percentile(p) for p in PERCENTILES},
            }
        )
    total = environment.stats.total
    return {
        "routes": routes,
        "total": {
            "requests": total.num_requests,
            "failures": total.num_failures,
            "requests_per_second": round(total.num_requests / seconds, 1),
        },
        "errors": [
            {"route": error.name, "error": str(error.error), "occurrences": error.occurrences}
            for error in environment.stats.errors.values()
        ],
        "exceptions": [
            {"error": str(exception["msg"]), "count": exception["count"]}
            for exception in environment.runner.exceptions.values()
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/load.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--spawn-rate", type=float, default=2.0)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3, help="times each journey is counted alone")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="guichet-load-") as state:
        print("starting the local runtime with its demo customers...", flush=True)
        runtime = Runtime(Path(state))
        try:
            startup = time.monotonic() - started
            print(f"up on {runtime.url} in {startup:.0f} s; counting each journey alone", flush=True)
            journeys = measure_journeys(runtime, args.repeats)
            print(f"load: {args.users} customers at {args.spawn_rate}/s for {args.seconds} s", flush=True)
            load = run_load(runtime.url, args.users, args.spawn_rate, args.seconds)
        finally:
            runtime.stop()
    result = {
        "measured_on": date.today().isoformat(),
        "emulator": True,
        "settings": {
            "users": args.users,
            "spawn_rate": args.spawn_rate,
            "seconds": args.seconds,
            "repeats": args.repeats,
            "cpus": os.cpu_count(),
        },
        "command": "make load",
        "load": load,
        "journeys": journeys,
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print()
    print("Emulator figures (local runtime on moto, this machine): compare the routes, not with AWS.")
    print(load_table(result))
    print(
        f"\n{load['total']['requests']} requests, {load['total']['failures']} failed; written to {args.out}"
    )
    return 1 if load["total"]["failures"] or load["exceptions"] else 0


if __name__ == "__main__":
    sys.exit(main())
