"""`python -m guichet_local`: the whole customer area on this machine (what `make run` starts)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from . import artifacts
from .clock import iso, parse_instant
from .runtime import Options, Runtime, StartupError, write_ready_file
from .services import DEFAULT_PUBLIC_URL, SERVICES, check_registry, parse_service


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m guichet_local", description=__doc__)
    parser.add_argument(
        "--port", type=int, default=8000, help="gateway port on 127.0.0.1; 0 picks a free one"
    )
    parser.add_argument("--ready-file", type=Path, help="write {url, mail, moto, ...} as JSON here once up")
    parser.add_argument("--no-demo", dest="demo", action="store_false", help="start without demo data")
    parser.add_argument(
        "--extra-service",
        action="append",
        default=[],
        metavar="NAME=/BASE_PATH=DIR",
        help="serve one more service (tests use it); repeatable",
    )
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="serve only these services; repeatable"
    )
    parser.add_argument("--state-dir", type=Path, help="where logs go (default .local-state)")
    parser.add_argument(
        "--clock",
        metavar="ISO",
        help="run under a controlled clock frozen at this time: nothing fires by itself, and "
        'POST /_local/clock {"now": ISO} moves it, firing the jobs due on the way',
    )
    parser.add_argument(
        "--trust-forwarded-for",
        action="store_true",
        help="take the client's address from X-Forwarded-For (behind a proxy you trust, or tests "
        "standing for many clients); the connection's otherwise",
    )
    parser.add_argument(
        "--artifacts",
        type=Path,
        default=os.environ.get(artifacts.VARIABLE) or None,
        metavar="DIR",
        help="run each service from its built deployment.zip under DIR (make package: build/infra), "
        f"not from the source tree (default ${artifacts.VARIABLE})",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log what the runtime does")
    return parser.parse_args(argv)


def banner(runtime: Runtime) -> str:
    url = runtime.url
    port_option = "" if url == DEFAULT_PUBLIC_URL else f" PORT={url.rsplit(':', 1)[1]}"
    lines = [
        "",
        f"Guichet is running on {url}",
        "  services  " + "  ".join(f"{url}{w.service.base_path}" for w in runtime.workers.values()),
        f"  mailbox   {url}/_local/mail",
        f"  logs      {runtime.log_dir}",
    ]
    if runtime.demo_logins:
        rows = [
            (
                str(r.get("login", "")),
                str(r.get("password", "")),
                str(r.get("who", "")),
                str(r.get("customer_id", "")),
            )
            for r in runtime.demo_logins
        ]
        header = ("login", "password", "who", "customer id")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
        lines += ["", "Demo logins:"]
        lines += [
            "  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
            for row in [header, *rows]
        ]
    elif runtime.options.demo:
        lines += ["", "No demo data: no service has a demo.py yet."]
    jobs = runtime.jobs()
    if jobs:
        lines += ["", "Run a job now, as of a given time (from another terminal):"]
        lines.append(f"  make job{port_option} NAME={jobs[0]['name']} AT=2026-11-24T10:00:00Z")
        lines.append("  jobs: " + ", ".join(job["name"] for job in jobs))
    if runtime.clock.now is not None:
        lines += [
            "",
            f"The clock is controlled: it stands at {iso(runtime.clock.now)} and nothing fires by itself.",
            f'  curl -X POST {url}/_local/clock -d \'{{"now": "<ISO time>"}}\'   moves it forward',
        ]
    if runtime.meter_drop is not None:
        lines += ["", "Feed a meter CSV file to the consumption service (from another terminal):"]
        lines.append(f"  make ingest{port_option} FILE=path/to/readings.csv")
    lines += ["", "Ctrl-C to stop.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="[guichet %(levelname)s] %(message)s",
        stream=sys.stderr,
    )
    for chatty in ("botocore", "boto3", "urllib3"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        services = SERVICES + [parse_service(spec) for spec in args.extra_service]
        check_registry(services)
        unknown = set(args.only) - {service.name for service in services}
        if unknown:
            raise ValueError(f"no service named {', '.join(sorted(unknown))}")
        if args.only:
            services = [service for service in services if service.name in args.only]
    except ValueError as error:
        print(f"guichet_local: {error}", file=sys.stderr)
        return 2
    try:
        clock = parse_instant(args.clock) if args.clock else None
    except ValueError:
        print(f"guichet_local: --clock {args.clock!r} is not an ISO 8601 time", file=sys.stderr)
        return 2
    options = Options(
        port=args.port,
        services=services,
        demo=args.demo,
        clock=clock,
        trust_forwarded_for=args.trust_forwarded_for,
        artifacts=Path(args.artifacts) if args.artifacts else None,
    )
    if args.state_dir:
        options.state_dir = args.state_dir.resolve()
    runtime = Runtime(options)

    stop = threading.Event()
    starting = True

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()
        if starting:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        try:
            runtime.start()
        except KeyboardInterrupt:
            print("guichet_local: interrupted while starting", file=sys.stderr)
            return 0
        except StartupError as error:
            print(f"guichet_local: could not start: {error}", file=sys.stderr)
            return 1
        starting = False
        if args.ready_file:
            write_ready_file(args.ready_file, runtime.describe())
        print(banner(runtime), flush=True)
        while not stop.wait(0.5):
            dead = runtime.dead_worker()
            if dead is not None:
                print(f"guichet_local: {dead.death_report()}", file=sys.stderr)
                return 1
        print("Stopping.", flush=True)
        return 0
    finally:
        # A second Ctrl-C while stopping must not leave workers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        runtime.stop()


def exit_at_once(status: int) -> None:
    """Exit once everything is stopped, its exit handlers run, without the interpreter's teardown:
    freeing the emulator's state and every module one by one took 0.7 s of processor at each stop
    (3 s of waiting on a busy machine), for a process that ends anyway."""
    import atexit

    atexit._run_exitfuncs()  # logging's flush, finalizers (temporary directories), as sys.exit would
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    exit_at_once(main())
