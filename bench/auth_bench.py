"""Auth service benchmarks (issue 2).

1. Cold import of the auth app ÷ `python -c 'import boto3'` (goal ≤ 1.3): fresh interpreters,
   alternated, bytecode already compiled (as in the package, see FACTS.md).
2. Password verification in login ÷ argon2id at m=19 MiB, t=2, p=1 (goal ≤ 1.2).
3. DynamoDB requests per request for login (customer id, email), refresh and GET /auth/me
   (goal: 1 read for GET /auth/me), counted at PynamoDB's connection on moto.
4. POST /auth/password/forgot for a known and an unknown login: median times and their ratio
   (the answer must not tell them apart).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICE = ROOT / "services" / "auth"
ROUNDS = 15
PASSWORD = "correct horse battery staple 42"


def service_environment() -> dict[str, str]:
    config = json.loads((SERVICE / ".chalice" / "config.json").read_text())
    env = dict(os.environ)
    env.update(config["environment_variables"])
    env.update(config["stages"]["local"]["environment_variables"])
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-west-3",
            "AUTH_TABLE_NAME": "bench-auth",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    env.pop("AWS_ENDPOINT_URL", None)
    return env


def wall(command: list[str], env: dict[str, str], cwd: Path = SERVICE) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True)
    return time.perf_counter() - started


def cold_import_ratio(service: Path, env: dict[str, str], label: str) -> None:
    app = [sys.executable, "-c", "import app"]
    boto3 = [sys.executable, "-c", "import boto3"]
    wall(app, env, service), wall(boto3, env, service)  # compile bytecode, warm the page cache
    app_times, boto3_times = [], []
    for _ in range(ROUNDS):
        boto3_times.append(wall(boto3, env, service))
        app_times.append(wall(app, env, service))
    ratio = statistics.median(app_times) / statistics.median(boto3_times)
    print(
        f"cold import: {label} {statistics.median(app_times) * 1000:.0f} ms, "
        f"import boto3 {statistics.median(boto3_times) * 1000:.0f} ms, ratio {ratio:.2f} (goal <= 1.3)"
    )


def in_process() -> None:
    import logging

    logging.disable(logging.WARNING)
    os.environ.update(service_environment())
    sys.path.insert(0, str(SERVICE))
    sys.path.insert(0, str(ROOT / "local"))
    import boto3
    from guichet_local.resources import deploy_service_resources
    from moto import mock_aws

    with mock_aws():
        outputs = deploy_service_resources(SERVICE, "bench")
        os.environ.update(outputs)
        boto3.client("ses").verify_email_identity(EmailAddress="no-reply@guichet.test")
        verify_ratio()
        requests_per_route()
        forgot_timing()


def verify_ratio() -> None:
    from argon2 import PasswordHasher, Type
    from chalicelib import passwords

    password = "correct horse battery staple 42"
    ours = passwords.hash_password(password)
    floor = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
    floor_hash = floor.hash(password)
    ours_times, floor_times = [], []
    for _ in range(ROUNDS * 2):
        started = time.perf_counter()
        floor.verify(floor_hash, password)
        floor_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert passwords.verify(ours, password)
        ours_times.append(time.perf_counter() - started)
    ratio = statistics.median(ours_times) / statistics.median(floor_times)
    print(
        f"login password verify: {statistics.median(ours_times) * 1000:.1f} ms, argon2id m=19MiB t=2 p=1 "
        f"{statistics.median(floor_times) * 1000:.1f} ms, ratio {ratio:.2f} (goal <= 1.2)"
    )


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


def requests_per_route() -> None:
    from app import app
    from chalice.test import Client

    calls = DynamoCalls()
    client = Client(app, stage_name="local", project_dir=str(SERVICE))
    headers = {"content-type": "application/json"}
    email = f"bench-{time.time_ns()}@example.org"
    password = "correct horse battery staple 42"
    registered = client.http.post(
        "/register",
        headers=headers,
        body=json.dumps({"email": email, "password": password, "first_name": "Bench", "last_name": "Mark"}),
    ).json_body
    from chalicelib import accounts
    from chalicelib.models import Account

    account = accounts.get(registered["customer_id"])
    account.update(actions=[Account.status.set("active")])
    # warm the signing key and clients: a warm container is what is measured
    client.http.post("/login", headers=headers, body=json.dumps({"login": email, "password": password}))

    def login(login_name: str):  # type: ignore[no-untyped-def]
        return lambda: (
            client.http.post(
                "/login", headers=headers, body=json.dumps({"login": login_name, "password": password})
            ).json_body
        )

    pair, by_id = calls.during(login(registered["customer_id"]))
    _, by_email = calls.during(login(email))
    refreshed, on_refresh = calls.during(
        lambda: (
            client.http.post(
                "/refresh", headers=headers, body=json.dumps({"refresh_token": pair["refresh_token"]})
            ).json_body
        )
    )
    me, on_me = calls.during(
        lambda: client.http.get("/me", headers={"authorization": f"Bearer {refreshed['access_token']}"})
    )
    assert me.status_code == 200
    for name, counted in [
        ("login by customer id", by_id),
        ("login by email", by_email),
        ("refresh", on_refresh),
        ("GET /auth/me", on_me),
    ]:
        total = sum(counted.values())
        detail = ", ".join(f"{op} {n}" for op, n in sorted(counted.items()))
        print(f"DynamoDB requests, {name}: {total} ({detail})")
    reads = sum(n for op, n in on_me.items() if op in {"GetItem", "Query", "BatchGetItem", "Scan"})
    print(f"GET /auth/me reads: {reads} (goal: 1)")


def forgot_timing() -> None:
    from app import app
    from chalice.test import Client

    client = Client(app, stage_name="local", project_dir=str(SERVICE))
    headers = {"content-type": "application/json"}
    email = f"forgot-{time.time_ns()}@ex.org"
    client.http.post(
        "/register",
        headers=headers,
        body=json.dumps({"email": email, "password": PASSWORD, "first_name": "F", "last_name": "Gh"}),
    )
    known, unknown = [], []
    for i in range(7):
        for login, times in ((email, known), (f"nobody-{i}@example.org", unknown)):
            started = time.perf_counter()
            answer = client.http.post("/password/forgot", headers=headers, body=json.dumps({"login": login}))
            times.append(time.perf_counter() - started)
            assert answer.status_code == 202
    ratio = statistics.median(known) / statistics.median(unknown)
    print(
        f"forgot password: known login {statistics.median(known) * 1000:.0f} ms, unknown "
        f"{statistics.median(unknown) * 1000:.0f} ms, ratio {ratio:.2f} (goal ~1.0)"
    )


if __name__ == "__main__":
    cold_import_ratio(SERVICE, service_environment(), "auth app")
    in_process()
