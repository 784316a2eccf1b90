"""A built deployment package run as Lambda runs it: what ships is what is tested.

`unpack` lays a service's deployment.zip out as Lambda's /var/task; `lambda_runtime_python`
(infra/runtime.py) is the runtime's Python holding boto3 and nothing else; `drive` runs
`infra/lambda_driver.py` there, isolated (`-I`, an environment made from nothing), to import the
package and call every function of its template once (`functions`) and the API handler once per
route. `cold_import` times a fresh process importing the app, for `make bench`.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import uuid
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

DRIVER = Path(__file__).resolve().with_name("lambda_driver.py")
ACCOUNT = "123456789012"


def unpack(deployment_zip: Path, target: Path, *, bytecode: bool = True) -> Path:
    """The zip's files under `target` (without its `__pycache__` entries unless `bytecode`)."""
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(deployment_zip) as archive:
        members = [name for name in archive.namelist() if bytecode or "__pycache__" not in name.split("/")]
        archive.extractall(target, members)
    return target


def isolated_environment(task_root: Path, variables: dict[str, str]) -> dict[str, str]:
    """A process environment made from nothing, as Lambda's: the function's variables and the
    runtime's own (nothing of the environment the tests run in)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        **variables,
    }


def functions(sam_template: dict[str, Any], at: datetime, region: str) -> tuple[str, list[dict[str, Any]]]:
    """The API handler's name (`app.app`), and each other function of the template with the event
    Lambda would hand it: a scheduled event of its rule at `at`, or an EventBridge event of its
    pattern whose detail is off every contract (the handler must refuse it as such, or ignore it)."""
    api_handler = ""
    others = []
    for name, body in sorted(sam_template["Resources"].items()):
        if body["Type"] != "AWS::Serverless::Function":
            continue
        properties = body["Properties"]
        events = list((properties.get("Events") or {}).values())
        if not events:
            api_handler = properties["Handler"]
            continue
        assert len(events) == 1, f"{name}: one event source per function"
        others.append(
            {"name": name, "handler": properties["Handler"], "event": _event(name, events[0], at, region)}
        )
    return api_handler, others


def _event(name: str, source: dict[str, Any], at: datetime, region: str) -> dict[str, Any]:
    envelope = {
        "version": "0",
        "id": str(uuid.UUID(int=len(name))),
        "account": ACCOUNT,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
    }
    if source["Type"] == "Schedule":
        return {
            **envelope,
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "resources": [f"arn:aws:events:{region}:{ACCOUNT}:rule/{name}"],
            "detail": {},
        }
    if source["Type"] == "CloudWatchEvent":
        pattern = source["Properties"]["Pattern"]
        return {
            **envelope,
            "detail-type": pattern["detail-type"][0],
            "source": pattern["source"][0],
            "resources": [],
            "detail": {"artifact-check": "off every contract"},
        }
    raise ValueError(f"{name}: no event made for a {source['Type']} source")


def isolated(
    python: str, arguments: list[str], task_root: Path, environment: dict[str, str], timeout: float
) -> str:
    """The standard output of the runtime's Python run isolated (`-I`: no PYTHONPATH, no user
    site, not even the script's directory on the path; `-B`: no bytecode written, as on Lambda's
    read-only /var/task) in `task_root`, with `environment` only."""
    answer = subprocess.run(
        [python, "-I", "-B", *arguments],
        cwd=task_root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if answer.returncode != 0:
        raise RuntimeError(
            f"{arguments[0]} in {task_root} failed ({answer.returncode}):\n{answer.stderr[-4000:]}"
        )
    return answer.stdout


def drive(
    python: str, spec: dict[str, Any], environment: dict[str, str], timeout: float = 300.0
) -> dict[str, Any]:
    """Runs the driver on `spec` (see lambda_driver.py) with the runtime's Python; its results."""
    with tempfile.TemporaryDirectory(prefix="guichet-drive-") as scratch:
        spec_file, results_file = Path(scratch, "spec.json"), Path(scratch, "results.json")
        spec_file.write_text(json.dumps(spec))
        isolated(
            python,
            [str(DRIVER), str(spec_file), str(results_file)],
            Path(spec["task_root"]),
            environment,
            timeout,
        )
        return dict(json.loads(results_file.read_text()))


_IMPORT = (
    "import sys, time; sys.path.insert(0, {root!r}); started = time.perf_counter(); import {module}; "
    "print(time.perf_counter() - started)"
)


def cold_import(python: str, task_root: Path, environment: dict[str, str], module: str = "app") -> float:
    """Seconds a fresh, isolated process of the runtime's Python takes to import `module` from
    `task_root`, as the process times it."""
    code = _IMPORT.format(root=str(task_root), module=module)
    return float(isolated(python, ["-c", code], task_root, environment, 120.0).strip().splitlines()[-1])
