"""`make bench`: every benchmark, each measured side by side with its baseline in one run.

Machines here are shared and noisy, so each figure is a ratio of medians taken interleaved
(baseline, subject, baseline, subject, ...), never an absolute time to compare across runs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHES = ["auth_bench.py", "subscriptions_bench.py", "invoices_bench.py", "consumption_bench.py"]


def main() -> int:
    here = Path(__file__).parent
    failed = 0
    for bench in BENCHES:
        print(f"== {bench}", flush=True)
        failed |= subprocess.call([sys.executable, str(here / bench)])
    return failed


if __name__ == "__main__":
    sys.exit(main())
