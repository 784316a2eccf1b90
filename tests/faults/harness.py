"""Customers of every profile through a few weeks of Guichet while AWS fails under them.

It is the year simulation (`simulation/`), shorter, in a world whose emulator fails a share of
the services' AWS calls (`guichet_local.emulator.Faults`): DynamoDB throttled and failing, SES
and S3 failing, at one rate for the whole run; the events are delivered twice, late and out of
order as in the year. The simulation's invariants are checked after every day (invoice numbers
without gap, one invoice per issuing event, each reminder and lifecycle mail once, every kWh
read billed once, money balancing), and the clients' side is checked on every answer:

- a failed request is answered 503 with Retry-After or a clear 4xx (the error body of API.md),
  never a 500 or another 5xx;
- a client retries what it is told to retry (503, and 409 `request_in_progress`, both with
  Retry-After) as a real client does: the same request, its Idempotency-Key included, after the
  wait it was told (scaled down with the SDK's own waits: the emulator's faults do not wait out),
  a bounded number of times;
- a failed job is run again, as Lambda runs a failed asynchronous invocation again, until it
  succeeds (bounded): a job that failed midway, re-run; a failing event handler gets its event
  again, as an SQS-backed handler does, before it is dead-lettered;
- the first run of each job of `KILLED_JOBS` that writes has its worker killed (SIGKILL) at its
  `KILL_AT_WRITE`-th DynamoDB write; the runtime starts the worker again and runs the job again;
- a meter file the consumption service could not handle is sent again (the same file), as a
  grid operator sends it again when no acknowledgement came;
- no acknowledged write lost: at the end of the run, the faults off, every write a client was
  answered 2xx for and every meter file reported handled is read back through the API as its
  customer (acknowledged.py), one failure a write not found; and one payment stored per
  Idempotency-Key, each the one its request was answered with.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jwt
import requests
from guichet_local.emulator import FaultRule
from guichet_local.runtime import Delivery
from simulation.invariants import HARNESS, Failure
from simulation.population import Customer
from simulation.world import World
from simulation.year import Report, Settings, Simulation

from .acknowledged import Ledger

# the SDK's waits between retries and the clients' Retry-After, times this: the same retries, sooner
WAIT_SCALE = 0.01
CLIENT_ATTEMPTS = 12  # a client gives up after this many answers telling it to retry
JOB_ATTEMPTS = 30  # a job failing under faults is run again up to this many times in all
EVENT_ATTEMPTS = 30  # an event whose handler fails is delivered again up to this many times
INGEST_ATTEMPTS = 10  # a meter file is sent again up to this many times in all
KILLED_JOBS = (
    "consumption.close_month",
    "invoices.collect_direct_debits",
    "invoices.mark_overdue",
    "subscriptions.send_renewal_reminders",
    "subscriptions.expire_and_renew",
    "consumption.close_allowance_periods",
)
KILL_AT_WRITE = 2
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
RETRYABLE = {503: None, 409: "request_in_progress"}  # status -> the error code that says "retry"
CLIENT = "0. every failed request answered 503 with Retry-After or a clear 4xx"
ACKNOWLEDGED = "8. no acknowledged write lost"


def rules(rate: float, *, dynamodb: bool = True, ses: bool = True, s3: bool = True) -> dict[str, FaultRule]:
    """The faults of a run: `rate` of the services' calls to each AWS service named fail."""
    chosen = {"dynamodb": dynamodb, "ses": ses, "s3": s3}
    return {service: FaultRule(rate) for service, wanted in chosen.items() if wanted}


@dataclass
class Answers:
    """What the clients were answered, by status, and the answers no client should get."""

    statuses: Counter[int] = field(default_factory=Counter)
    retried: Counter[int] = field(default_factory=Counter)
    gave_up: int = 0
    wrong: list[str] = field(default_factory=list)  # a 5xx not 503, a 503 without Retry-After...


class FaultyWorld(World):
    """The simulation's world, its requests retried as a client retries them, every answer checked."""

    def __init__(
        self, *, start: Any, delivery: Delivery, state_dir: Path, faults: dict[str, FaultRule]
    ) -> None:
        super().__init__(
            start=start,
            delivery=delivery,
            state_dir=state_dir,
            log_level="CRITICAL",  # thousands of failed calls are logged for no reader
            sdk_retry_wait_scale=WAIT_SCALE,
            job_attempts=JOB_ATTEMPTS,
            event_attempts=EVENT_ATTEMPTS,
        )
        self.fault_rules = faults
        self.answers = Answers()
        self.fault_report: dict[str, Any] = {}
        self.killed: dict[str, str] = {}  # job -> when its worker was killed in it
        self.files_sent_again = 0
        self._ingested_again: set[str] = set()
        self.customers: list[Customer] = []  # the simulation's, who read their writes back
        self.ledger = Ledger()
        self.lost: list[str] = []  # acknowledged writes not found afterwards
        self.read_back_seconds = 0.0
        self._reading_back = False

    def start(self) -> None:
        super().start()  # the mirrors and the tap are set up before anything fails
        self.runtime.faults.set(self.fault_rules, seed=self.runtime.delivery.seed)
        self.runtime.on_job_start = self._arm
        self.runtime.on_job_end = lambda job, ok: setattr(self.runtime.faults, "trap", None)

    def _arm(self, job: str, attempt: int) -> None:
        """The first run of a job of KILLED_JOBS that writes: its worker is killed at its
        KILL_AT_WRITE-th DynamoDB write (the runtime starts it again and runs the job again)."""
        faults = self.runtime.faults
        faults.trap = None
        if attempt != 1 or job not in KILLED_JOBS or job in self.killed:
            return
        service = job.split(".", 1)[0]
        worker = self.runtime.workers[service]
        writes = [0]

        def trap(caller: str, aws: str, operation: str) -> bool:
            if caller != service or aws != "dynamodb" or operation not in WRITES:
                return False
            writes[0] += 1
            if writes[0] < KILL_AT_WRITE or job in self.killed or worker.pid is None:
                return False
            self.killed[job] = self.now.isoformat()
            os.kill(worker.pid, signal.SIGKILL)
            return True

        faults.trap = trap

    def ingest(self, name: str, content: bytes) -> dict[str, Any]:
        for attempt in range(1, INGEST_ATTEMPTS + 1):
            try:
                report = super().ingest(name, content)
            except RuntimeError:
                if attempt == INGEST_ATTEMPTS:
                    raise
                self.files_sent_again += 1
                continue
            if attempt > 1:
                self._ingested_again.add(name)
            self.ledger.file(name, content, report)
            return report
        raise AssertionError("unreachable")

    def dead_letters(self) -> list[dict[str, Any]]:
        """Those of the meter files sent again and then handled are no longer dead."""
        return [
            letter
            for letter in super().dead_letters()
            if not (
                letter.get("source") == "aws.s3"
                and str(((letter.get("detail") or {}).get("object") or {}).get("key", "")).removeprefix(
                    "readings/"
                )
                in self._ingested_again
            )
        ]

    def stop(self) -> None:
        self.fault_report = self.runtime.faults.describe() if self.runtime.moto else {}
        if self.runtime.moto:
            self.runtime.faults.clear()  # what is read back is read without faults
            self.runtime.faults.trap = None
            self._reading_back = True
            started = time.monotonic()
            try:
                for mirror in self.mirrors.values():
                    mirror.sync()
                self.lost = self.ledger.check(self._read, self._items)
            except Exception as error:  # a read-back that cannot finish is a failure too
                self.lost = [f"the read-back stopped: {error!r}"]
            self.read_back_seconds = time.monotonic() - started
        super().stop()

    def _read(self, customer_id: str, path: str) -> requests.Response:
        """A GET as the customer (their session, or a login, as the portal would)."""
        customer = next((c for c in self.customers if c.customer_id == customer_id), None)
        if customer is None:
            raise LookupError(f"no customer {customer_id} in the simulation")
        return super().request("GET", path, token=customer.token(self))

    def _items(self, service: str, pk: str, prefix: str) -> list[dict[str, Any]]:
        return list(self.mirrors[service].partition(pk, prefix))

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if self._reading_back:
            return super().request(method, path, **kwargs)
        for attempt in range(1, CLIENT_ATTEMPTS + 1):
            answer = super().request(method, path, **kwargs)
            self.answers.statuses[answer.status_code] += 1
            self._check(method, path, answer)
            if not _told_to_retry(answer):
                self._acknowledged(method, path, kwargs, answer)
                return answer
            if attempt == CLIENT_ATTEMPTS:
                self.answers.gave_up += 1
                return answer
            self.answers.retried[answer.status_code] += 1
            time.sleep(_retry_after(answer) * WAIT_SCALE)
        raise AssertionError("unreachable")

    def _acknowledged(
        self, method: str, path: str, kwargs: dict[str, Any], answer: requests.Response
    ) -> None:
        token = kwargs.get("token")
        customer_id = jwt.decode(token, options={"verify_signature": False}).get("sub") if token else None
        key = (kwargs.get("headers") or {}).get("Idempotency-Key")
        self.ledger.request(method, path, kwargs.get("body"), answer, customer_id, self.now, key)

    def _check(self, method: str, path: str, answer: requests.Response) -> None:
        status = answer.status_code
        what = f"{method} {path.split('?', 1)[0]} answered {status}"
        if status < 400:
            return
        if status >= 500 and status != 503:
            self.answers.wrong.append(f"{what}: {answer.text[:300]}")
            return
        if status in RETRYABLE and _told_to_retry(answer) and _retry_after(answer) < 0:
            self.answers.wrong.append(f"{what} without a Retry-After of whole seconds")
        if status == 503 and not _told_to_retry(answer):
            self.answers.wrong.append(f"{what} not as service_unavailable: {answer.text[:300]}")
        if not _error_body(answer):
            self.answers.wrong.append(f"{what} without the error body of API.md: {answer.text[:300]}")


def _error_code(answer: requests.Response) -> str | None:
    try:
        body = answer.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


def _error_body(answer: requests.Response) -> bool:
    try:
        body = answer.json()
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and isinstance(body.get("error"), dict)
        and isinstance(body["error"].get("code"), str)
        and isinstance(body["error"].get("message"), str)
        and "Traceback" not in answer.text
    )


def _told_to_retry(answer: requests.Response) -> bool:
    if answer.status_code not in RETRYABLE:
        return False
    wanted = RETRYABLE[answer.status_code]
    code = _error_code(answer)
    return code == wanted if wanted else code == "service_unavailable"


def _retry_after(answer: requests.Response) -> int:
    """The Retry-After of an answer in whole seconds, -1 when it has none (or another form)."""
    value = answer.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else -1


@dataclass
class Run:
    """One run under faults: the simulation's report, the clients' answers, the faults injected."""

    rate: float
    report: Report
    answers: Answers
    faults: dict[str, Any]
    killed: dict[str, str]
    files_sent_again: int
    ledger: Ledger
    lost: list[str]
    read_back_seconds: float = 0.0

    @property
    def failures(self) -> list[Failure]:
        day = self.report.settings.start
        wrong = [Failure(CLIENT, day, "-", "answer", what) for what in self.answers.wrong]
        lost = [Failure(ACKNOWLEDGED, day, "-", "read back", what) for what in self.lost]
        return wrong + lost + self.report.failures

    def summary(self) -> str:
        injected: Counter[str] = Counter()
        for entry in self.faults["injected"]:
            injected[f"{entry['service']} {entry['kind']}"] += entry["count"]
        calls = self.faults["calls"]
        lines = [
            f"faults at {self.rate:.0%}: {len(self.report.customers)} customers, {self.report.days} days "
            f"in {self.report.seconds:.1f} s; AWS calls of the services {dict(calls)}, failed "
            + ", ".join(f"{name} {count}" for name, count in sorted(injected.items())),
            f"  answers {dict(sorted(self.answers.statuses.items()))}, retried "
            f"{dict(self.answers.retried)}, given up {self.answers.gave_up}; "
            f"{self.report.counts.get('jobs')} jobs, {self.report.counts.get('events delivered')} events "
            f"({self.report.counts.get('of which duplicates')} twice), "
            f"{self.report.counts.get('invariant checks')} invariant checks",
            f"  workers killed in a job, then the job run again: {self.killed}; "
            f"meter files sent again {self.files_sent_again}",
            f"  acknowledged writes read back in {self.read_back_seconds:.1f} s: {len(self.ledger.writes)} "
            f"requests, {self.ledger.files} meter files ({len(self.ledger.readings)} readings), "
            f"{len(self.lost)} lost",
        ]
        for failure in self.failures[:20]:
            lines.append(f"  {failure}")
        return "\n".join(lines)


def run(rate: float, *, customers: int, days: int, start: date, seed: int, state_dir: Path) -> Run:
    """The simulation of `customers` over `days` from `start`, every AWS service failing at `rate`."""
    settings = Settings(
        customers=customers,
        days=days,
        seed=seed,
        start=start,
        state_dir=state_dir,
        delivery=Delivery(duplicate_share=0.2, hold_share=0.2, shuffle=True, seed=seed),
    )
    simulation = Simulation(settings)
    world = simulation.world
    faulty = FaultyWorld(
        start=world.runtime.options.clock, delivery=settings.delivery, state_dir=state_dir, faults=rules(rate)
    )
    faulty.customers = simulation.customers
    simulation.world = faulty
    report = simulation.run()
    return Run(
        rate,
        report,
        faulty.answers,
        faulty.fault_report,
        dict(faulty.killed),
        faulty.files_sent_again,
        faulty.ledger,
        faulty.lost,
        faulty.read_back_seconds,
    )


__all__ = ["HARNESS", "Run", "rules", "run"]
