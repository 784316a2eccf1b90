"""`python -m simulation` (from tests/; `make simulate`): the year simulation from the command line.

It prints the population, the work done, the invariants checked and every failure (the first day,
the customer, what broke), and exits 1 when an invariant broke, 0 when all held.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from guichet_local.runtime import Delivery
from scorecard import write_result

from . import worlds
from .invariants import HARNESS
from .scenarios import CATALOGUE, WAITING
from .year import Report, Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulation", description=__doc__)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2027, 1, 1))
    parser.add_argument("--duplicates", type=float, default=0.1, help="share of events delivered twice")
    parser.add_argument("--late", type=float, default=0.1, help="share of events kept back, delivered later")
    parser.add_argument(
        "--worlds",
        type=int,
        default=1,
        help="runtimes the customers are shared between, run side by side (one per free core)",
    )
    parser.add_argument(
        "--report", type=Path, help="also write the scorecard's tier here as JSON (bench/report.py)"
    )
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR, format="%(levelname)s %(name)s %(message)s"
    )
    # stopped from outside: stop what was started (the runtime's workers) on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="guichet-simulation-") as state:
        settings = Settings(
            customers=args.customers,
            days=args.days,
            seed=args.seed,
            start=args.start,
            state_dir=Path(state),
            delivery=Delivery(
                duplicate_share=args.duplicates, hold_share=args.late, shuffle=True, seed=args.seed
            ),
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )
        report = worlds.run(settings, args.worlds)
    print(summary(report))
    if args.report:
        command = (
            f"make simulate CUSTOMERS={args.customers} DAYS={args.days} SEED={args.seed} WORLDS={args.worlds}"
        )
        write_scorecard(report, args.report, command)
    return 1 if report.failures else 0


INVARIANTS = (
    "1. billed once per period",
    "2. provisioned only when paid",
    "3. debits only when due",
    "4. money balances",
    "5. kWh billed once",
    "6. gapless numbers, each event billed once",
    "7. lifecycle mails once",
    HARNESS,
)


def scorecard(report: Report, command: str) -> dict[str, Any]:
    """The year's tier of docs/RELIABILITY.md, in the format bench/report.py reads: the
    customer-days whose invariants were checked, and those on which none broke."""
    checks = int(report.counts.get("invariant checks") or 0)
    broken_days = sum(report.repeats.values())
    broken = Counter(failure.invariant for failure in report.failures)
    settings = report.settings
    return {
        "name": "Year simulation",
        "tried": (
            f"customer-days of {len(report.customers)} customers of every profile through {report.days} days "
            f"(seed {settings.seed}), every service together, events duplicated, late and out of order, "
            "the invariants of docs/LIFECYCLE.md checked after each day"
        ),
        "count": checks,
        "held": max(0, checks - broken_days),
        "command": command,
        "measured_on": date.today().isoformat(),
        "details": [
            f"{name}: {value}"
            for name, value in report.counts.items()
            if not name.startswith("seconds") and name != "invariant checks"
        ]
        + [
            f"invariant {name}: " + (f"BROKEN {broken[name]} time(s)" if broken[name] else "held")
            for name in INVARIANTS
        ],
    }


def write_scorecard(report: Report, path: Path, command: str) -> None:
    write_result(path, scorecard(report, command))


def summary(report: Report) -> str:
    settings = report.settings
    lines = [
        f"Year simulation: {len(report.customers)} customers, {report.days} days from {settings.start}, "
        f"seed {settings.seed}" + (f", in {report.worlds} worlds side by side" if report.worlds > 1 else ""),
        "  profiles   "
        + ", ".join(
            f"{name} {count}" for name, count in Counter(c.profile.name for c in report.customers).items()
        ),
        "  paying by  "
        + ", ".join(f"{name} {count}" for name, count in Counter(c.pays for c in report.customers).items()),
        "  scenarios  "
        + ", ".join(
            f"{scenario.name} {sum(scenario.name in c.traits for c in report.customers)}"
            for scenario in CATALOGUE
        ),
        f"  time       {report.seconds:.1f} s ({report.startup_seconds:.1f} s to start), "
        f"{report.seconds / max(report.days, 1) * 1000:.0f} ms per simulated day",
    ]
    per_day = max(report.days, 1)
    for name, value in report.counts.items():
        lines.append(f"  {name:<32} {value:>8}   ({value / per_day:.1f} per day)")
    broken = Counter(failure.invariant for failure in report.failures)
    lines.append(
        f"  invariants checked after each of the {report.days} days: "
        f"{report.counts.get('invariant checks')} customer-days"
    )
    for invariant in sorted(INVARIANTS):
        state = f"BROKEN {broken[invariant]} time(s)" if broken[invariant] else "held"
        lines.append(f"    {invariant:<46} {state}")
    if report.failures:
        lines.append(f"\n{len(report.failures)} failures (each the first time; repeats counted):")
        for failure in report.failures:
            repeats = report.repeats[(failure.invariant, failure.subject)]
            lines.append(f"  {failure}" + (f"  [{repeats} days]" if repeats > 1 else ""))
    if WAITING:
        lines.append("\nScenarios waiting for an API:")
    for waiting in WAITING:
        lines.append(f"  {waiting.name}: {waiting.what} — waits for {waiting.waits_for}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
