"""Several worlds side by side: the population shared out between runtimes of their own, each in a
process of its own, run at the same time, and their reports merged into one.

A world is the whole of Guichet (every service, its emulator, its clock) and its own customers of
every profile, living the same year: the worlds share nothing, so each proves all it proves alone,
and together they prove it of all their customers. The simulation is one chain of requests, each
waiting for the one before: one world keeps one core busy, two keep both. Each world runs every
job of every day, so two worlds take more processor time than one (24 customers in two worlds of
12: 1.4 times as much): they pay off on a machine with a core to spare, as `make test` gives
(16 customers took 1 min 58 s in two worlds, 2 min 41 s in one), not on one that other work
shares.

The customers are numbered as in one world (so given the same profiles and ways of paying: 24
customers are three of each profile however many worlds share them); world `n` draws their
names, homes and days from seed `seed + 1000 × n`, its events delivered twice or late likewise.
"""

from __future__ import annotations

import functools
import multiprocessing
import signal
import sys
import time
from collections import Counter
from dataclasses import replace
from typing import Any

from .year import Report, Settings, Simulation

PROFILES = 8  # each world has customers of every profile
SEED_STEP = 1000


def shares(customers: int, worlds: int) -> list[int]:
    """How many customers each world gets: the population shared out as evenly as can be, none
    below one of each profile (fewer worlds when there are not enough customers)."""
    worlds = max(1, min(worlds, customers // PROFILES))
    return [customers // worlds + (1 if n < customers % worlds else 0) for n in range(worlds)]


def world_settings(settings: Settings, customers: int, index: int, first_number: int = 0) -> Settings:
    return replace(
        settings,
        customers=customers,
        first_number=first_number,
        seed=settings.seed + SEED_STEP * index,
        delivery=replace(settings.delivery, seed=settings.delivery.seed + SEED_STEP * index),
        state_dir=settings.state_dir / f"world-{index}",
        progress=functools.partial(_told, index) if settings.progress else None,
    )


def run(settings: Settings, worlds: int) -> Report:
    """The year of `settings.customers` customers, shared between `worlds` worlds run side by side."""
    counts = shares(settings.customers, worlds)
    if len(counts) == 1:
        return Simulation(settings).run()
    started = time.monotonic()
    context = multiprocessing.get_context("spawn")  # a fresh process: its own emulator and clock
    processes, answers = [], []
    try:
        for index, customers in enumerate(counts):
            receiving, sending = context.Pipe(duplex=False)
            process = context.Process(
                target=_world,
                args=(world_settings(settings, customers, index, sum(counts[:index])), sending),
                name=f"simulation-world-{index}",
            )
            process.start()
            sending.close()
            processes.append(process)
            answers.append(receiving)
        reports = []
        for index, (process, receiving) in enumerate(zip(processes, answers, strict=True)):
            try:
                reports.append(receiving.recv())
            except EOFError:
                process.join()
                stopped = f"world {index} stopped (exit status {process.exitcode}): see above"
                raise RuntimeError(stopped) from None
    finally:
        for process in processes:  # stopped from outside, or one world failed: stop the others
            if process.is_alive():
                process.terminate()  # SIGTERM: the world stops its runtime on the way out
            process.join()
    merged = merge(settings, reports)
    merged.seconds = time.monotonic() - started
    return merged


def merge(settings: Settings, reports: list[Report]) -> Report:
    merged = Report(settings, [customer for report in reports for customer in report.customers])
    merged.worlds = len(reports)
    merged.days = min(report.days for report in reports)
    merged.startup_seconds = max(report.startup_seconds for report in reports)
    for report in reports:
        merged.failures += report.failures
        merged.repeats.update(report.repeats)
        merged.checks += report.checks
        merged.steps.update(report.steps)
        merged.dead_letters += report.dead_letters
    merged.failures.sort(key=lambda failure: (failure.day, failure.invariant, failure.customer))
    totals: Counter[str] = Counter()
    for report in reports:
        for name, value in report.counts.items():
            totals[name] += value
    merged.counts = {
        name: round(value, 1) if isinstance(value, float) else value for name, value in totals.items()
    }
    return merged


def _world(settings: Settings, answer: Any) -> None:
    # stopped from outside: stop what was started (the world's runtime) on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    report = Simulation(settings).run()
    report.settings = replace(report.settings, progress=None)
    answer.send(report)
    answer.close()


def _told(index: int, line: str) -> None:
    print(f"world {index}: {line}", file=sys.stderr, flush=True)
