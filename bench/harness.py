"""What every service benchmark measures with: the service's environment, cold import, DynamoDB requests.

- `service_environment(service_dir, **overrides)`: the service's `local` stage variables from its
  .chalice/config.json, fake AWS credentials in eu-west-3 and quiet logs, for moto in process
  or for a fresh interpreter; `overrides` name the service's own table and bucket;
- `interleaved_medians(baseline, subject, rounds)`: both timed in turn, their median seconds;
- `cold_import_ratio(service_dir, env, label)`: prints the cold import of the app ÷ `import boto3`;
- `deployed_on_moto(service_dir, stack)`: the service's resources in an in-process moto, with a
  token signer the service trusts;
- `DynamoCalls` and `requests_made`: DynamoDB requests counted at PynamoDB's connection, and
  how they are printed;
- `imported_file(client, token, path, job, content, at)`: an operator import's file submitted,
  its job run as of `at`, its report's counts;
- `file_imports(module, ...)`: the same, timed, its requests counted, the rows' own (`module.apply`)
  apart;
- `on_moto(service_dir, resources, *steps)`: the service's app importable, its resources deployed
  on an in-process moto, then each step run there.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REGION = "eu-west-3"
COLD_IMPORT_ROUNDS = 15


def service_environment(service_dir: Path, **overrides: str) -> dict[str, str]:
    config = json.loads((service_dir / ".chalice" / "config.json").read_text())
    env = dict(os.environ)
    env.update(config["environment_variables"])
    env.update(config["stages"]["local"]["environment_variables"])
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": REGION,
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            **overrides,
        }
    )
    env.pop("AWS_ENDPOINT_URL", None)
    return env


def interleaved_medians(
    baseline: Callable[[], object], subject: Callable[[], object], rounds: int
) -> tuple[float, float]:
    """Median seconds of baseline() and of subject(), timed in turn (baseline, subject, baseline, ...)
    so that the machine's noise falls on both alike."""
    baseline_times: list[float] = []
    subject_times: list[float] = []
    for _ in range(rounds):
        for action, times in ((baseline, baseline_times), (subject, subject_times)):
            started = time.perf_counter()
            action()
            times.append(time.perf_counter() - started)
    return statistics.median(baseline_times), statistics.median(subject_times)


def cold_import_ratio(service: Path, env: dict[str, str], label: str) -> None:
    """`import app` ÷ `import boto3`, wall-clock of fresh interpreters, bytecode already compiled."""

    def fresh_interpreter(code: str) -> Callable[[], object]:
        return partial(subprocess.run, [sys.executable, "-c", code], cwd=service, env=env, check=True)

    import_app, import_boto3 = fresh_interpreter("import app"), fresh_interpreter("import boto3")
    import_app(), import_boto3()  # compile bytecode, warm the page cache
    boto3_median, app_median = interleaved_medians(import_boto3, import_app, COLD_IMPORT_ROUNDS)
    print(
        f"cold import: {label} {app_median * 1000:.0f} ms, "
        f"import boto3 {boto3_median * 1000:.0f} ms, ratio {app_median / boto3_median:.2f} (goal <= 1.3)"
    )


@contextmanager
def deployed_on_moto(service_dir: Path, stack: str) -> Iterator[Any]:
    """The service's resources deployed as `stack` in an in-process moto, its mail sender verified;
    yields a token signer whose public key is where the service reads it."""
    from guichet_local.resources import deploy_service_resources, verify_mail_sender
    from guichet_local.testing import Signer
    from moto import mock_aws

    with mock_aws():
        deploy_service_resources(service_dir, stack)
        verify_mail_sender(os.environ["GUICHET_MAIL_SENDER"])
        signer = Signer()
        signer.publish()
        yield signer


class DynamoCalls:
    """Counts DynamoDB API calls made through PynamoDB, by operation."""

    def __init__(self) -> None:
        from pynamodb.connection.base import Connection

        self.counts: Counter[str] = Counter()
        original = Connection._make_api_call
        counts = self.counts

        def counting(connection, operation_name, operation_kwargs, *args, **kwargs):  # type: ignore[no-untyped-def]
            counts[operation_name] += 1
            return original(connection, operation_name, operation_kwargs, *args, **kwargs)

        Connection._make_api_call = counting  # type: ignore[method-assign]

    def during(self, action):  # type: ignore[no-untyped-def]
        self.counts.clear()
        result = action()
        return result, dict(self.counts)


def requests_made(counted: dict[str, int]) -> str:
    """`5 (GetItem 2, PutItem 1, ...)`: the total, then each operation's count."""
    total = sum(counted.values())
    detail = ", ".join(f"{op} {n}" for op, n in sorted(counted.items()))
    return f"{total} ({detail})"


def imported_file(
    client: Any, token: str, path: str, job: str, content: bytes, at: Any, *, content_type: str = "text/csv"
) -> dict[str, Any]:
    """Submit a file to an operator import route (`path`), run its `job` as of `at` (a datetime)
    as its schedule would, and read the import's counts."""
    submitted = client.http.post(
        path, headers={"authorization": f"Bearer {token}", "content-type": content_type}, body=content
    )
    assert submitted.status_code == 202, submitted.body
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    event["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.lambda_.invoke(job, event).payload == {"done": 1}
    report = client.http.get(
        f"{path}/{submitted.json_body['import_id']}?limit=1", headers={"authorization": f"Bearer {token}"}
    )
    return dict(json.loads(report.body))


class ImportRun:
    """One import of a file by its job: the report's counts, seconds, the whole job's DynamoDB
    requests and the rows' own (those of the service's `apply`)."""

    def __init__(
        self, answer: dict[str, Any], seconds: float, calls: dict[str, int], applied: dict[str, int]
    ):
        self.answer, self.seconds, self.calls, self.applied = answer, seconds, calls, applied

    def per_row(self, rows: int, counted: dict[str, int] | None = None) -> str:
        """`0.123 requests per row, 1234 (BatchGetItem 12, ...)`."""
        counted = self.calls if counted is None else counted
        return f"{sum(counted.values()) / rows:.3f} requests per row, {requests_made(counted)}"


def file_imports(
    module: Any,
    client: Any,
    token: str,
    path: str,
    job: str,
    content: bytes,
    *,
    content_type: str = "text/csv",
) -> Callable[[Any], ImportRun]:
    """What imports `content` as of a datetime (imported_file), counting the requests of the whole
    job and, apart, those of `module.apply`, the rows' own."""
    calls = DynamoCalls()
    applied: Counter[str] = Counter()
    apply = module.apply

    def counted_apply(*args: Any, **kwargs: Any) -> Any:
        before = Counter(calls.counts)
        try:
            return apply(*args, **kwargs)
        finally:
            applied.update(Counter(calls.counts) - before)

    module.apply = counted_apply

    def imported(at: Any) -> ImportRun:
        applied.clear()
        started = time.perf_counter()
        answer, job_calls = calls.during(
            lambda: imported_file(client, token, path, job, content, at, content_type=content_type)
        )
        return ImportRun(answer, time.perf_counter() - started, job_calls, dict(applied))

    return imported


def on_moto(service_dir: Path, resources: dict[str, str], *steps: Callable[[], None]) -> None:
    """Run `steps` with the service's app importable and its resources (`resources` naming its
    table and bucket) deployed on an in-process moto, logs below warnings silenced."""
    import logging

    logging.disable(logging.WARNING)
    os.environ.update(service_environment(service_dir, **resources))
    sys.path.insert(0, str(service_dir))
    sys.path.insert(0, str(ROOT / "local"))
    from guichet_local.resources import deploy_service_resources
    from moto import mock_aws

    with mock_aws():
        os.environ.update(deploy_service_resources(service_dir, "bench"))
        for step in steps:
            step()
