"""The whole local runtime: the gateway's port, moto, each service's resources and worker,
events, schedules and demo data, started in that order and stopped in the reverse one.

Under a controlled clock (`Options.clock`, see `clock.py`) every process is frozen at that
instant, nothing fires or is delivered by itself, and the harness drives time: `advance_to`
moves every clock, firing each job due on the way at its declared time and in order, and
`settle` delivers the pending events at once.

The demo data is a history played through the services (`demo_history.py`): the runtime starts
under a controlled clock months before the instant it is to carry on from (`Options.clock`, or
the wall clock), plays it, and then stands at that instant, or hands every clock back to the
wall clock (`release_clock`).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

from . import artifacts, demo_history, drops, emulator
from .clock import ControlledClock, iso, parse_instant
from .events import ACCOUNT_ID, MAX_ATTEMPTS, DrainReport, EventRouter
from .gateway import GatewayServer, Local
from .mailbox import Mailbox, page
from .resources import create_exports_bucket, deploy_service_resources, verify_mail_sender
from .schedules import Schedule, ScheduleExpressionError, Scheduler, rate_interval, scheduled_event
from .service_process import RETRY_WAIT_SCALE_VARIABLE, ServiceProcess, WorkerError
from .services import REPO, STAGE, Service, chalice_config, stage_environment, with_public_url

logger = logging.getLogger("guichet_local")

REGION = "eu-west-3"
AWS_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}
# Settings that would point a process at real AWS instead of moto.
_AWS_LEFTOVERS = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE")
DEMO_EVENTS_TIMEOUT = 60.0


class StartupError(RuntimeError):
    pass


@dataclass
class Options:
    port: int = 8000
    services: list[Service] = field(default_factory=list)
    demo: bool = True
    state_dir: Path = REPO / ".local-state"
    portal: Path = REPO / "web"
    scheduler_max_sleep: float = 1.0
    clock: datetime | None = None  # a controlled clock, frozen at this instant (see clock.py)
    log_level: str | None = None  # the services' POWERTOOLS_LOG_LEVEL, when not their stage's
    # the client's address is the first of X-Forwarded-For (a proxy in front, or tests standing
    # for many clients), not the connection's
    trust_forwarded_for: bool = False
    # the services' SDK waits between retries of a failed AWS call, times this (worker.py)
    sdk_retry_wait_scale: float = 1.0
    # a failed job is run again up to this many times in all (Lambda retries an asynchronous
    # invocation twice), and a worker that died meanwhile started again, as Lambda would
    job_attempts: int = 1
    event_attempts: int = MAX_ATTEMPTS  # deliveries of a failing event before its dead letter
    # run each worker from its built deployment package under this directory (build/infra), not
    # from the source tree (artifacts.py)
    artifacts: Path | None = None


@dataclass
class Delivery:
    """How `Runtime.settle` delivers events under a controlled clock (`EventRouter.drain`)."""

    duplicate_share: float = 0.0
    hold_share: float = 0.0
    shuffle: bool = False
    seed: int = 0


@dataclass(frozen=True)
class Fired:
    """A job the controlled clock fired on its way, as of its declared time."""

    job: str
    at: datetime
    ok: bool
    result: Any


class Runtime:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.moto: Any = None
        self.moto_url = ""
        self.gateway: GatewayServer | None = None
        self.workers: dict[str, ServiceProcess] = {}
        self.events: EventRouter | None = None
        self.scheduler: Scheduler | None = None
        self.meter_drop: drops.MeterDrop | None = None
        self.mailbox = Mailbox(REGION)
        self.demo_logins: list[dict[str, Any]] = []
        self._gateway_thread: threading.Thread | None = None
        self.clock = ControlledClock()
        self.delivery = Delivery()
        self.delivered = DrainReport()  # every event settle() delivered so far
        self._delivery_rng: Any = None
        self.on_job_start: Callable[[str, int], None] | None = None  # told (job, attempt) before each run
        self.on_job_end: Callable[[str, bool], None] | None = None  # told (job, ok) after its last run
        self._clock_lock = threading.Lock()
        self._history = False  # whether the demo is a history played through the services
        self._wall = (datetime.now(UTC), time.monotonic())  # the wall clock, read before any freeze

    @property
    def controlled(self) -> bool:
        """Whether a harness (or the demo history) drives the clock: nothing fires or is delivered
        by itself."""
        return self.clock.now is not None

    @property
    def url(self) -> str:
        assert self.gateway is not None
        return self.gateway.url

    @property
    def log_dir(self) -> Path:
        return self.options.state_dir / "logs"

    def start(self) -> None:
        started = time.monotonic()
        self._wall = (datetime.now(UTC), started)
        self._history = self.options.demo and demo_history.plays_with([s.name for s in self.options.services])
        # first: moto and everything this process creates live in simulated time too
        if self._history:
            self.clock.move_to(demo_history.first_instant(self._history_end()))
        elif self.options.clock is not None:
            self.clock.move_to(self.options.clock)
        try:
            self.gateway = GatewayServer(
                self.options.port,
                self._local_endpoints(),
                trust_forwarded_for=self.options.trust_forwarded_for,
            )
        except OSError as error:
            raise StartupError(f"cannot listen on 127.0.0.1:{self.options.port}: {error.strerror}") from None
        try:
            packaged = (
                artifacts.launches(self.options.artifacts, self.options.services)
                if self.options.artifacts
                else {}
            )
        except artifacts.ArtifactError as error:
            raise StartupError(str(error)) from None
        self._start_moto()
        shared_environment = create_exports_bucket()  # the shared stack's, on AWS
        resource_environment = {
            service.name: {**shared_environment, **self._deploy_resources(service)}
            for service in self.options.services
        }
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for service in self.options.services:
            environment = self._environment(service, resource_environment[service.name])
            worker = ServiceProcess(
                service,
                environment,
                self.log_dir / f"{service.name}.log",
                clock=self.clock.now,
                artifact=packaged.get(service.name),
            )
            self.workers[service.name] = worker
            worker.launch()
        for worker in self.workers.values():
            try:
                worker.wait_ready()
            except WorkerError as error:
                raise StartupError(str(error)) from None
        self.gateway.route(list(self.workers.values()))
        self._route_events()
        self.meter_drop = self._meter_drop(resource_environment.get(drops.SERVICE, {}))
        self._gateway_thread = _serve_in_thread(self.gateway)
        self.scheduler = self._schedule()
        if not self.controlled:
            self.events.start()  # type: ignore[union-attr]
            self.scheduler.start()
        if self.options.demo:
            self._load_demo()
        logger.info("up in %.1f s", time.monotonic() - started)

    def _start_moto(self) -> None:
        emulator.speed_up()  # answers that do not slow down as the tables grow (emulator.py)
        # werkzeug logs every request to moto at INFO: keep the terminal for what matters.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.moto = emulator.EmulatorServer("127.0.0.1", 0)  # moto's server, connections kept open
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        # The emulator keeps its state in this process: a runtime started after another one in
        # the same process (a test harness) starts from nothing too.
        reset = urllib.request.Request(f"{self.moto_url}/moto-api/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(reset, timeout=30).close()  # noqa: S310 - our own emulator, on 127.0.0.1
        for name in _AWS_LEFTOVERS:
            os.environ.pop(name, None)
        os.environ.update(AWS_ENVIRONMENT, AWS_ENDPOINT_URL=self.moto_url)

    def _deploy_resources(self, service: Service) -> dict[str, str]:
        try:
            outputs = deploy_service_resources(service.path, f"guichet-{service.name}")
        except Exception as error:
            raise StartupError(f"the resources of {service.name} were not created: {error}") from None
        sender = stage_environment(chalice_config(service)).get("GUICHET_MAIL_SENDER")
        if sender:
            verify_mail_sender(sender)
        return outputs

    def _environment(self, service: Service, resources: dict[str, str]) -> dict[str, str]:
        environment = {key: value for key, value in os.environ.items() if key not in _AWS_LEFTOVERS}
        environment.update(with_public_url(stage_environment(chalice_config(service)), self.url))
        environment.update(resources)
        environment.update(AWS_ENVIRONMENT, AWS_ENDPOINT_URL=self.moto_url)
        environment["PYTHONUNBUFFERED"] = "1"
        # the SDK names the service in its User-Agent: the emulator's faults fail its calls only
        environment["AWS_SDK_UA_APP_ID"] = emulator.WORKER_APP_ID.format(service=service.name)
        if self.options.sdk_retry_wait_scale != 1.0:
            environment[RETRY_WAIT_SCALE_VARIABLE] = str(self.options.sdk_retry_wait_scale)
        if self.options.log_level:
            environment["POWERTOOLS_LOG_LEVEL"] = self.options.log_level
        return environment

    def _route_events(self) -> None:
        self.events = EventRouter(
            lambda service, handler, event: self.workers[service].invoke(handler, event),
            queues=InProcessQueues(),
            max_attempts=self.options.event_attempts,
        )
        for name, worker in self.workers.items():
            for entry in worker.manifest["events"]:
                self.events.subscribe(name, entry["name"], entry["pattern"])
            for entry in worker.manifest["unsupported"]:
                logger.warning("%s.%s (%s) is not run locally", name, entry["name"], entry["type"])

    def _meter_drop(self, resources: dict[str, str]) -> drops.MeterDrop | None:
        if drops.SERVICE not in self.workers or self.events is None:
            return None
        bucket = resources.get(drops.BUCKET_VARIABLE)
        if not bucket:
            raise StartupError(f"the {drops.SERVICE} resources have no output for {drops.BUCKET_VARIABLE}")
        return drops.MeterDrop(
            bucket, self.events, self.log_dir / f"{drops.SERVICE}.log", settle=self._settled_within
        )

    def ingest(self, name: str, content: bytes) -> tuple[int, dict[str, Any]]:
        """Drop a meter file as `readings/<name>` and answer the service's report on it."""
        if self.meter_drop is None:
            return HTTPStatus.NOT_FOUND, {
                "error": {
                    "code": "not_found",
                    "message": f"The {drops.SERVICE} service is not running here: no meter files.",
                }
            }
        return self.meter_drop.ingest(name, content)

    def _schedule(self) -> Scheduler:
        schedules = [
            Schedule(name, entry["name"], entry["expression"])
            for name, worker in self.workers.items()
            for entry in worker.manifest["schedules"]
        ]
        try:
            return Scheduler(schedules, self._fire, max_sleep=self.options.scheduler_max_sleep)
        except ScheduleExpressionError as error:
            raise StartupError(f"a schedule cannot be fired: {error}") from None

    def _fire(self, schedule: Schedule, at: datetime) -> tuple[bool, Any]:
        event = scheduled_event(f"guichet-{schedule.service}-{STAGE}-{schedule.name}", at, REGION)
        worker = self.workers[schedule.service]
        for attempt in range(1, max(1, self.options.job_attempts) + 1):
            if self.on_job_start is not None:
                self.on_job_start(schedule.job, attempt)
            try:
                ok, result = worker.invoke(schedule.name, event)
            except OSError as error:
                ok, result = False, f"the {schedule.service} worker did not answer: {error}"
                worker.wait_exit(5.0)  # a worker that died in the job: its exit comes with its silence
            if ok:
                break
            logger.error("job %s at %s failed (attempt %d): %s", schedule.job, event["time"], attempt, result)
            if attempt < self.options.job_attempts and worker.exit_status() is not None:
                worker.restart()  # the worker died in the job: a new one runs it again
        if self.on_job_end is not None:
            self.on_job_end(schedule.job, ok)
        return ok, result

    def run_job(self, name: str, at: str | None) -> tuple[int, dict[str, Any]]:
        """Run a declared schedule now, as of `at` (ISO 8601; now when None)."""
        schedule = (
            next((s for s in self.scheduler.schedules if s.job == name), None) if self.scheduler else None
        )
        if schedule is None:
            known = ", ".join(s.job for s in self.scheduler.schedules) if self.scheduler else ""
            return HTTPStatus.NOT_FOUND, {
                "ok": False,
                "error": {"code": "not_found", "message": f"No job named {name!r}. Jobs: {known or 'none'}."},
            }
        try:
            moment = _parse_time(at) if at else datetime.now(UTC)
        except ValueError:
            return HTTPStatus.UNPROCESSABLE_ENTITY, {
                "ok": False,
                "error": {"code": "validation_failed", "message": f"{at!r} is not an ISO 8601 time."},
            }
        ok, result = self._fire(schedule, moment)
        if self.controlled:
            self.settle()
        if ok:
            return HTTPStatus.OK, {"ok": True, "job": name, "at": _iso(moment), "result": result}
        return HTTPStatus.INTERNAL_SERVER_ERROR, {
            "ok": False,
            "job": name,
            "at": _iso(moment),
            "error": result,
        }

    # --- the controlled clock -----------------------------------------------------------------

    def set_clock(self, moment: datetime) -> None:
        """Move the clock of this process and of every worker to `moment` (fires nothing). A
        worker's moves before it next serves a request, a job or an event: the same for what it
        sees, and free for the workers idle meanwhile."""
        if not self.controlled:
            raise RuntimeError("the runtime runs on the wall clock (started without Options.clock)")
        with self._clock_lock:
            self.clock.move_to(moment)
            for worker in self.workers.values():
                worker.set_clock_before_next_request(moment)

    def advance_to(
        self,
        moment: datetime,
        *,
        after_job: Callable[[Fired], None] | None = None,
        fire_rates: bool = True,
    ) -> list[Fired]:
        """Move every clock forward to `moment`, firing on the way each cron job due, at its declared
        time and in time order, with the events it leads to delivered before the next one.

        A rate schedule (every N minutes) is not fired at each of its times: once the clock is at
        `moment` it fires once, for its latest time due, as the scheduler does after a sleep (or
        not yet, with `fire_rates=False`: at a later stop). `after_job` is called after each job,
        once the events it led to are handled.
        """
        now = self.clock.now
        if now is None or self.scheduler is None:
            raise RuntimeError("the runtime runs on the wall clock (started without Options.clock)")
        if moment < now:
            raise ValueError(f"the clock only moves forward: it is {iso(now)}, not {iso(moment)} yet")
        fired: list[Fired] = []
        fire = self._fire_and_record(fired, after_job)
        crons = [s for s in self.scheduler.schedules if rate_interval(s.expression) is None]
        while (stop := min((s.next_run for s in crons), default=moment)) <= moment:
            self.set_clock(stop)
            self.scheduler.run_pending(stop, fire=fire, only=crons)
        self.set_clock(moment)
        if fire_rates:
            self.scheduler.run_pending(moment, fire=fire)  # the rate schedules, once
        self.settle()
        return fired

    def _fire_and_record(self, fired: list[Fired], after_job: Callable[[Fired], None] | None) -> Any:
        def fire(schedule: Schedule, at: datetime) -> tuple[bool, Any]:
            ok, result = self._fire(schedule, at)
            fired.append(Fired(schedule.job, at, ok, result))
            self.settle()  # what the job published is handled before the next job runs
            if after_job is not None:
                after_job(fired[-1])
            return ok, result

        return fire

    def settle(self, *, final: bool = False) -> DrainReport:
        """Deliver every pending event now (controlled clock): duplicates, order and events kept
        back for later as `self.delivery` says; `final` delivers those kept back too."""
        import random

        if self.events is None:
            return DrainReport()
        if self._delivery_rng is None:
            self._delivery_rng = random.Random(self.delivery.seed)  # noqa: S311 (delivery order)
        report = self.events.drain(
            duplicate_share=self.delivery.duplicate_share,
            hold_share=0.0 if final else self.delivery.hold_share,
            shuffle=self.delivery.shuffle,
            rng=self._delivery_rng,
        )
        self.delivered.add(report)
        return report

    def _settled_within(self, timeout: float) -> bool:
        """Every routed event handled: delivered now under a controlled clock, else awaited."""
        if self.events is None:
            return True
        if self.controlled:
            self.settle(final=True)
            return True
        return self.events.wait_until_idle(timeout)

    def clock_state(self) -> dict[str, Any]:
        now = self.clock.now
        return {"controlled": now is not None, "now": iso(now) if now else _iso(datetime.now(UTC))}

    def move_clock(self, at: str) -> tuple[int, dict[str, Any]]:
        """`POST /_local/clock`: advance the controlled clock to `at`, firing what is due meanwhile."""
        if not self.controlled:
            return HTTPStatus.CONFLICT, {
                "error": {
                    "code": "wall_clock",
                    "message": "This runtime runs on the wall clock: start it with --clock to drive it.",
                }
            }
        try:
            moment = parse_instant(at)
        except ValueError:
            return HTTPStatus.UNPROCESSABLE_ENTITY, {
                "error": {"code": "validation_failed", "message": f"{at!r} is not an ISO 8601 time."}
            }
        try:
            fired = self.advance_to(moment)
        except ValueError as error:
            return HTTPStatus.CONFLICT, {"error": {"code": "clock_backwards", "message": str(error)}}
        return HTTPStatus.OK, {
            **self.clock_state(),
            "fired": [{"job": f.job, "at": iso(f.at), "ok": f.ok, "result": f.result} for f in fired],
        }

    def jobs(self) -> list[dict[str, Any]]:
        if self.scheduler is None:
            return []
        return [
            {"name": s.job, "schedule": s.expression, "next_run": _iso(s.next_run)}
            for s in self.scheduler.schedules
        ]

    def _local_endpoints(self) -> Local:
        return Local(
            mail=self.mailbox.items,
            mail_page=page,
            jobs=self.jobs,
            run_job=self.run_job,
            ingest=self.ingest,
            portal=self.options.portal,
            dead_letters=lambda: list(self.events.dead_letters) if self.events else [],
            clock=self.clock_state,
            move_clock=self.move_clock,
            aws=lambda: {"endpoint_url": self.moto_url, "region": REGION},
            events_pending=lambda: self.events.pending() if self.events else 0,
        )

    def _load_demo(self) -> None:
        now = self.clock.now or datetime.now(UTC).replace(microsecond=0)
        for worker in self.workers.values():
            try:
                self.demo_logins.extend(worker.load_demo(now))
            except WorkerError as error:
                raise StartupError(str(error)) from None
            # The next service's demo may rely on what this one's events did.
            if not self._settled_within(DEMO_EVENTS_TIMEOUT):
                logger.warning("events of the %s demo data still pending", worker.service.name)
        if not self._history:
            return
        try:
            demo_history.play(self, self.demo_logins, end=self._history_end)
        except (demo_history.HistoryError, WorkerError) as error:
            raise StartupError(f"the demo customers' history stopped: {error}") from None
        # the schedules are due from the end of the history on: it fired what was due before
        self.scheduler = self._schedule()
        if self.options.clock is None:
            self.release_clock()

    def _history_end(self) -> datetime:
        """Where the demo history ends: the instant asked for, or the wall clock's now."""
        if self.options.clock is not None:
            return self.options.clock
        wall, monotonic = self._wall
        return (wall + timedelta(seconds=time.monotonic() - monotonic)).replace(microsecond=0)

    def release_clock(self) -> None:
        """Hand every clock back to the wall clock, for good: this process's and each worker's;
        events are then delivered in the background and the schedules fired when due."""
        self.settle(final=True)
        with self._clock_lock:
            for worker in self.workers.values():
                worker.release_clock()
            self.clock.release()
        self.scheduler = self._schedule()  # due from now on
        if self.events is not None:
            self.events.start()
        self.scheduler.start()

    @property
    def faults(self) -> emulator.Faults:
        """The emulator's fault switch: which of the services' AWS calls fail (emulator.py)."""
        assert self.moto is not None, "start() first"
        return self.moto.faults  # type: ignore[no-any-return]

    def dead_worker(self) -> ServiceProcess | None:
        return next((w for w in self.workers.values() if w.exit_status() is not None), None)

    def describe(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "mail": f"{self.url}/_local/mail",
            "moto": self.moto_url,
            "region": REGION,
            "pid": os.getpid(),
            "services": {name: w.service.base_path for name, w in self.workers.items()},
            "workers": {name: w.pid for name, w in self.workers.items()},
            "logs": str(self.log_dir),
            "clock": iso(self.clock.now) if self.clock.now else None,
        }

    def stop(self) -> None:
        """Stop what was started, in reverse order; safe after a partial start."""
        if self.scheduler:
            self.scheduler.stop()
        if self.events:
            self.events.stop()
        if self.gateway:
            if self._gateway_thread:
                self.gateway.shutdown()
                self._gateway_thread.join(timeout=5)
            self.gateway.server_close()
        workers = list(reversed(list(self.workers.values())))
        for worker in workers:  # all at once: the wait is the slowest worker's, not their sum
            worker.ask_to_stop()
        for worker in workers:
            worker.stop()
        if self.moto:
            self.moto.stop()
            self.moto = None
        self.clock.release()


class InProcessQueues:
    """The router's queues read from the emulator running in this process (events.QueueWatch)."""

    @staticmethod
    def _queue(queue_url: str) -> Any:
        from moto.sqs.models import sqs_backends

        return sqs_backends[ACCOUNT_ID][REGION].get_queue(queue_url.rsplit("/", 1)[1])

    def length(self, queue_url: str) -> int:
        return len(self._queue(queue_url)._messages)  # visible or not, but not deleted

    def wait_for_visible(self, queue_url: str, timeout: float, stopped: Callable[[], bool]) -> bool | None:
        try:
            queue = self._queue(queue_url)
        except Exception:  # e.g. the emulator reset under it: the poller's request will say
            return None
        # moto's queue notifies this condition as a message comes in; one made visible again by
        # its retry delay is seen at the timeout
        with queue._messages_lock:
            queue._messages_lock.wait_for(lambda: queue.messages or stopped(), timeout=timeout)
            return bool(queue.messages) and not stopped()

    def wake(self, queue_url: str) -> None:
        try:
            queue = self._queue(queue_url)
        except Exception:
            return
        with queue._messages_lock:
            queue._messages_lock.notify_all()


def _serve_in_thread(server: GatewayServer) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="gateway", daemon=True
    )
    thread.start()
    return thread


def _parse_time(raw: str) -> datetime:
    moment = datetime.fromisoformat(raw.strip())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_ready_file(path: Path, description: dict[str, Any]) -> None:
    """Write atomically, so a reader never sees half of it."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(description, indent=2))
    partial.replace(path)
