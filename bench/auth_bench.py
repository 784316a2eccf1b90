"""Auth service benchmarks (issue 2).

1. Cold import of the auth app ÷ `python -c 'import boto3'` (goal ≤ 1.3): fresh interpreters,
   alternated, bytecode already compiled (as in the package, infra/runtime.py).
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
import sys
import time

from harness import (
    ROOT,
    DynamoCalls,
    cold_import_ratio,
    interleaved_medians,
    requests_made,
    service_environment,
)

SERVICE = ROOT / "services" / "auth"
RESOURCES = {"AUTH_TABLE_NAME": "bench-auth"}
ROUNDS = 15
PASSWORD = "correct horse battery staple 42"


def in_process() -> None:
    import logging

    logging.disable(logging.WARNING)
    os.environ.update(service_environment(SERVICE, **RESOURCES))
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

    def verify_ours() -> None:
        assert passwords.verify(ours, password)

    floor_median, ours_median = interleaved_medians(
        lambda: floor.verify(floor_hash, password), verify_ours, ROUNDS * 2
    )
    print(
        f"login password verify: {ours_median * 1000:.1f} ms, argon2id m=19MiB t=2 p=1 "
        f"{floor_median * 1000:.1f} ms, ratio {ours_median / floor_median:.2f} (goal <= 1.2)"
    )


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
        print(f"DynamoDB requests, {name}: {requests_made(counted)}")
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
    cold_import_ratio(SERVICE, service_environment(SERVICE, **RESOURCES), "auth app")
    in_process()
