"""`make bench`: every benchmark, each measured side by side with its baseline in one run.

Machines here are shared and noisy, so each figure is a ratio of medians taken interleaved
(baseline, subject, baseline, subject, ...), never an absolute time to compare across runs.

Each benchmark prints one figure a line (`<what>: <figures>`); the lines are also written to
build/report/bench.json (`{"measured_on", "command", "benches": {"<bench>.py": [line, ...]},
"failed": [...]}`), which `make report` puts in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

BENCHES = [
    "auth_bench.py",
    "customer_import_bench.py",
    "contract_import_bench.py",
    "invoice_import_bench.py",
    "subscriptions_bench.py",
    "invoices_bench.py",
    "consumption_bench.py",
    "artifact_bench.py",
]
OUT = Path(__file__).resolve().parents[1] / "build" / "report" / "bench.json"


def main() -> int:
    here = Path(__file__).parent
    printed: dict[str, list[str]] = {}
    failed = []
    for bench in BENCHES:
        print(f"== {bench}", flush=True)
        lines = printed.setdefault(bench, [])
        with subprocess.Popen(
            [sys.executable, str(here / bench)],
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            # the services' business metrics (EMF lines on stdout) are not what a bench measures
            env={**os.environ, "POWERTOOLS_METRICS_DISABLED": "true"},
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                print(line, end="", flush=True)
                if line.strip():
                    lines.append(line.rstrip("\n"))
        if process.returncode:
            failed.append(bench)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "measured_on": date.today().isoformat(),
                "command": "make bench",
                "benches": printed,
                "failed": failed,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
