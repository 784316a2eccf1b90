"""What each service ships: its deployment.zip's size, and the cold import of the app from it.

Packages every service as `make package` does (into build/infra; Chalice's cache makes a second
run quicker), then for each deployment.zip prints its size zipped and unzipped (and the share of
Lambda's 250 MB limit, with its three largest top-level entries), and the cold import of `app`
from the unpacked zip by a fresh, isolated process of the Lambda runtime's Python holding only
boto3 (infra/artifact.py), as the process itself times it: with the zip's bytecode, and from a
copy without it, interleaved with `import boto3` in the same Python (the baseline of the other
cold imports of `make bench`); the ratios are of medians.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

from harness import ROOT

sys.path.insert(0, str(ROOT))

from guichet_local.services import Service, chalice_config, stage_environment

from infra import LAMBDA_RUNTIME
from infra.artifact import cold_import, isolated_environment, unpack
from infra.package import SERVICES_DIR, package
from infra.runtime import lambda_runtime_python
from infra.service_stack import environment_name

OUT = ROOT / "build" / "infra"
ROUNDS = 7
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
MB = 1024 * 1024


def _import_environment(name: str, task_root: Path) -> dict[str, str]:
    """The service's `local` settings, a placeholder for what its stack fills in, fake credentials:
    importing the app calls no AWS."""
    service = Service(name=name, base_path=f"/{name}", directory=SERVICES_DIR / name)
    resources = json.loads((service.path / "resources.json").read_text())
    placeholders = {environment_name(output): f"bench-{name}" for output in resources.get("Outputs", {})}
    return isolated_environment(
        task_root,
        {
            **stage_environment(chalice_config(service)),
            **placeholders,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-west-3",
            "AWS_REGION": "eu-west-3",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        },
    )


def sizes(deployment_zip: Path) -> str:
    with zipfile.ZipFile(deployment_zip) as archive:
        entries = archive.infolist()
    unzipped = sum(entry.file_size for entry in entries)
    tops: Counter[str] = Counter()
    for entry in entries:
        tops[entry.filename.split("/")[0]] += entry.file_size
    largest = ", ".join(f"{top} {size / MB:.1f}" for top, size in tops.most_common(3))
    return (
        f"{deployment_zip.stat().st_size / MB:.1f} MB zipped, {unzipped / MB:.1f} MB unzipped "
        f"({unzipped / LAMBDA_UNZIPPED_LIMIT:.0%} of Lambda's limit; largest: {largest} MB), "
        f"{len(entries)} files"
    )


def interleaved(*imports: Callable[[], float]) -> list[float]:
    """The median of the seconds each import reports, taken in turn ROUNDS times (after one
    round that warms the page cache): the machine's noise falls on all alike."""
    for action in imports:
        action()
    times: list[list[float]] = [[] for _ in imports]
    for _ in range(ROUNDS):
        for action, taken in zip(imports, times, strict=True):
            taken.append(action())
    return [statistics.median(taken) for taken in times]


def main() -> int:
    started = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):  # packaging's progress: not figures
        manifest = package(OUT, stage="prod")
    print(f"packaged in {time.perf_counter() - started:.0f} s (build/infra)", file=sys.stderr, flush=True)
    python = lambda_runtime_python(LAMBDA_RUNTIME)
    for entry in manifest["services"]:
        name = entry["name"]
        deployment_zip = OUT / name / "deployment.zip"
        print(f"artifact {name}: {sizes(deployment_zip)}", flush=True)
        with tempfile.TemporaryDirectory(prefix=f"guichet-bench-{name}-") as scratch:
            compiled = unpack(deployment_zip, Path(scratch, "compiled"))
            sources = unpack(deployment_zip, Path(scratch, "sources"), bytecode=False)
            empty = Path(scratch, "empty")
            empty.mkdir()
            with_bytecode = partial(cold_import, python, compiled, _import_environment(name, compiled))
            without = partial(cold_import, python, sources, _import_environment(name, sources))
            boto3 = partial(cold_import, python, empty, _import_environment(name, empty), module="boto3")
            with_median, without_median, boto3_median = interleaved(with_bytecode, without, boto3)
        print(
            f"cold import from the artifact: {name} {with_median * 1000:.0f} ms with its bytecode, "
            f"{without_median * 1000:.0f} ms without: ratio {without_median / with_median:.2f}; "
            f"import boto3 {boto3_median * 1000:.0f} ms, ratio {with_median / boto3_median:.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
