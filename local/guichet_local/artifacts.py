"""Workers that run the built deployment packages instead of the source tree.

`python -m guichet_local --artifacts build/infra` (`make run ARTIFACTS=1`, or the variable
GUICHET_LOCAL_ARTIFACTS for a runtime started by the tests) runs each service's worker from its
`build/infra/<service>/deployment.zip` (`make package`), unpacked once per zip beside it
(`build/infra/<service>/task/`), with the Lambda runtime's Python (infra/runtime.py,
`local_worker_python`): the app, its chalicelib, its vendored guichet_contracts and every
dependency come from the zip. The worker's own tools come from that interpreter's environment
and are importable too: boto3 (which Lambda provides), Chalice's local gateway (whose `chalice`
package stands in for the zip's copy of the same version) and time-machine. So this run shows
the packaged code working end to end; that the zip holds everything it needs, and nothing is
missing from a requirements.txt, is what infra/tests/test_packaged_handlers.py checks, in an
environment holding boto3 alone.

The settings stay those of the source tree's `.chalice/config.json` (its `local` stage), and a
service's `demo.py`, never packaged, is copied beside the unpacked code for the demo data.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .services import REPO, Service

VARIABLE = "GUICHET_LOCAL_ARTIFACTS"
_MARK = ".unpacked-from"


class ArtifactError(RuntimeError):
    pass


@dataclass(frozen=True)
class Launch:
    """How a worker is started: which Python, from which directory, with which import path."""

    python: str
    code: Path
    cwd: Path
    pythonpath: str


def worker_python() -> str:
    sys.path.insert(0, str(REPO))
    try:
        from infra import LAMBDA_RUNTIME
        from infra.runtime import LambdaPythonError, local_worker_python

        try:
            return local_worker_python(LAMBDA_RUNTIME)
        except LambdaPythonError as error:
            raise ArtifactError(str(error)) from None
    finally:
        sys.path.remove(str(REPO))


def unpacked(artifacts: Path, service: Service) -> Path:
    """The service's deployment.zip unpacked beside it (again only when the zip changed)."""
    deployment_zip = artifacts / service.name / "deployment.zip"
    if not deployment_zip.is_file():
        raise ArtifactError(f"no {deployment_zip}: run make package first")
    stat = deployment_zip.stat()
    stamp = f"{stat.st_size} {stat.st_mtime_ns}\n"
    target = artifacts / service.name / "task"
    if not (target / _MARK).is_file() or (target / _MARK).read_text() != stamp:
        shutil.rmtree(target, ignore_errors=True)
        with zipfile.ZipFile(deployment_zip) as archive:
            archive.extractall(target)
        (target / _MARK).write_text(stamp)
    demo = service.path / "demo.py"
    if demo.is_file():
        shutil.copyfile(demo, target / demo.name)
    return target


def launches(artifacts: Path, services: list[Service]) -> dict[str, Launch]:
    """How each service's worker runs from the packages under `artifacts` (build/infra)."""
    python = worker_python()
    # the worker starts away from the unpacked code, whose `chalice` is the runtime's part only
    return {
        service.name: Launch(
            python=python,
            code=unpacked(artifacts.resolve(), service),
            cwd=REPO / "local",
            pythonpath=str(REPO / "local"),
        )
        for service in services
    }
