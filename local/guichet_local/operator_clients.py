"""`python -m guichet_local.operator_clients create|rotate|revoke|list`: the machine clients of the
operator API (OAuth 2.0 client credentials, `POST /auth/oauth/token`), kept in the auth table.

    create --name "Facturation" --scopes "invoices:write subscriptions:write"
                                    make a client; prints its id and secret, the secret ONCE
    rotate <client id> [--grace-hours 24]
                                    a new secret (printed once); the one before still works for
                                    the grace period (0: ends now, for a leaked secret)
    revoke <client id>              every secret ends now (a token already issued lives its 15 min)
    list                            every client, its scopes and its secrets' end, no secret

`make operator-client NAME=… SCOPES=…`, `make operator-client-rotate CLIENT=…`,
`make operator-client-revoke CLIENT=…` and `make operator-clients` run it against the local
runtime running on --port (its embedded AWS emulator, `GET /_local/aws.json`, and its clock when
it runs under --clock). With `--stage prod` (any deployed stage) it works on that stage's auth
table, found by its stack's `AuthTableName` output (`--table` names it instead), with the AWS
credentials of the environment: who may write that table may manage the clients.

It runs the auth service's own code (services/auth/chalicelib/machine_clients.py) on that table.
Prints JSON on stdout; exits 1 if the runtime is not running or AWS refuses, 2 on bad use
(an unknown client, an unknown scope...).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from .services import REPO, STAGE, Service, chalice_config, stage_environment

AUTH = REPO / "services" / "auth"


def _local(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as response:
        return json.loads(response.read())


def _now(stage: str, port: int) -> datetime:
    """The local runtime's clock when it has its own (--clock), else this machine's."""
    if stage == STAGE:
        try:
            return datetime.fromisoformat(_local(port, "/_local/clock")["now"].replace("Z", "+00:00"))
        except urllib.error.HTTPError:
            pass  # on the wall clock
    return datetime.now(UTC)


def _aws_environment(stage: str, port: int, table: str | None) -> dict[str, str]:
    """Where the auth table is: the local runtime's emulator, or the stage's AWS account."""
    import boto3

    environment: dict[str, str] = {}
    if stage == STAGE:
        aws = _local(port, "/_local/aws.json")
        environment = {
            "AWS_ENDPOINT_URL": aws["endpoint_url"],
            "AWS_DEFAULT_REGION": aws["region"],
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        stack = "guichet-auth"  # guichet_local.runtime deploys each service's resources so
    else:
        stack = f"guichet-auth-{stage}"  # infra.stack_name
    if table is None:
        cloudformation = boto3.client(
            "cloudformation",
            endpoint_url=environment.get("AWS_ENDPOINT_URL"),
            region_name=environment.get("AWS_DEFAULT_REGION"),
            aws_access_key_id=environment.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=environment.get("AWS_SECRET_ACCESS_KEY"),
        )
        outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
        table = next(item["OutputValue"] for item in outputs if item["OutputKey"] == "AuthTableName")
    return {**environment, "AUTH_TABLE_NAME": table}


def _machine_clients(stage: str, environment: dict[str, str]) -> Any:
    """The auth service's machine_clients module, its settings those of `stage` on that table."""
    config = stage_environment(chalice_config(Service(name="auth", base_path="/auth")), stage)
    os.environ.update({**config, **environment})
    sys.path.insert(0, str(AUTH))
    from chalicelib import machine_clients  # type: ignore[import-not-found]

    return machine_clients


def _print(document: Any) -> None:
    print(json.dumps(document, indent=2, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m guichet_local.operator_clients",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=8000, help="port of the running local runtime")
    parser.add_argument("--stage", default=STAGE, help="a deployed stage (its auth table, on AWS)")
    parser.add_argument("--table", help="the auth table's name (default: its stack's AuthTableName output)")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="make a client (prints its secret once)")
    create.add_argument("--name", required=True, help="what the client is, e.g. the billing system")
    create.add_argument("--scopes", required=True, help='space separated, e.g. "invoices:write"')
    rotate = commands.add_parser("rotate", help="a new secret; the one before lives the grace period")
    rotate.add_argument("client_id")
    rotate.add_argument("--grace-hours", type=float, default=24.0, help="0 ends the secret before now")
    revoke = commands.add_parser("revoke", help="end every secret of a client")
    revoke.add_argument("client_id")
    commands.add_parser("list", help="every client, without secrets")
    args = parser.parse_args(argv)
    if not (AUTH / "chalicelib" / "machine_clients.py").is_file():
        parser.error("run it from a Guichet checkout")

    try:
        environment = _aws_environment(args.stage, args.port, args.table)
        now = _now(args.stage, args.port)
    except (urllib.error.URLError, ConnectionError) as error:
        print(
            f"The local runtime is not running on port {args.port} ({error}). Start it with `make run`.",
            file=sys.stderr,
        )
        return 1
    except Exception as error:  # no stack, no credentials, no permission
        print(f"Cannot find the auth table of the {args.stage} stage: {error}", file=sys.stderr)
        return 1
    machine_clients = _machine_clients(args.stage, environment)
    try:
        if args.command == "create":
            made = machine_clients.create(args.name, args.scopes.split(), now=now)
            _print_secret(made, machine_clients.get(made.client_id), machine_clients, now)
        elif args.command == "rotate":
            made = machine_clients.rotate(args.client_id, now=now, grace=timedelta(hours=args.grace_hours))
            _print_secret(made, machine_clients.get(made.client_id), machine_clients, now)
        elif args.command == "revoke":
            _print(machine_clients.as_dict(machine_clients.revoke(args.client_id, now=now), now=now))
        else:
            _print({"items": machine_clients.listing(now=now)})
    except machine_clients.ClientProblem as problem:
        print(str(problem), file=sys.stderr)
        return 2
    except Exception as error:  # AWS refused (credentials, permission, throttling)
        print(f"The auth table {environment['AUTH_TABLE_NAME']} refused: {error}", file=sys.stderr)
        return 1
    return 0


def _print_secret(made: Any, client: Any, machine_clients: Any, now: datetime) -> None:
    _print({**machine_clients.as_dict(client, now=now), "client_secret": made.client_secret})
    print(
        "The client_secret is shown this once: keep it in the client's secret store now.",
        file=sys.stderr,
    )


if __name__ == "__main__":
    sys.exit(main())
