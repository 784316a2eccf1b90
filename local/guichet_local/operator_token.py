"""`python -m guichet_local.operator_token --scopes "invoices:write ..."` (`make operator-token`):
print an operator token (guichet_contracts.operator_tokens) for the operator routes.

Locally (the default) it signs with the running local runtime's key: the auth service's signing
secret, read from the Secrets Manager of its embedded AWS emulator (`GET /_local/aws.json` says
where), with the issuer and operator audience of the `local` stage as the runtime rewrote them
for its port. The auth service makes its key on first use: the command asks the runtime's JWKS
first, which makes it if need be.

With `--stage prod` (any deployed stage) it reads that stage's signing secret from AWS with the
credentials of the environment: only who may read the secret can mint operator tokens.

Prints the token alone on stdout; exits 1 if the runtime is not running or the key cannot be
read, 2 on bad use.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from .services import REPO, STAGE, Service, chalice_config, stage_environment, with_public_url


def _local(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as response:
        return json.loads(response.read())


def _settings(stage: str, port: int) -> dict[str, str]:
    """The issuer and operator audience the services verify with, and the auth signing secret."""
    invoices = stage_environment(chalice_config(Service(name="invoices", base_path="/invoices")), stage)
    auth = stage_environment(chalice_config(Service(name="auth", base_path="/auth")), stage)
    if stage == STAGE:
        invoices = with_public_url(invoices, f"http://127.0.0.1:{port}")
    return {
        "issuer": invoices["GUICHET_JWT_ISSUER"],
        "audience": invoices["GUICHET_OPERATOR_AUDIENCE"],
        "secret": auth["AUTH_JWT_SIGNING_SECRET"],
    }


def _signing_key(secret_id: str, *, stage: str, port: int) -> tuple[str, Any]:
    """(kid, private key) of the auth service's signing secret."""
    import boto3
    from cryptography.hazmat.primitives import serialization

    if stage == STAGE:
        _local(port, "/auth/.well-known/jwks.json")  # the auth service makes its key on first use
        aws = _local(port, "/_local/aws.json")
        client = boto3.client(
            "secretsmanager",
            endpoint_url=aws["endpoint_url"],
            region_name=aws["region"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
    else:
        client = boto3.client("secretsmanager")
    document = json.loads(client.get_secret_value(SecretId=secret_id)["SecretString"])
    key = serialization.load_pem_private_key(document["private_key_pem"].encode(), password=None)
    return document["kid"], key


def local_token(
    port: int, scopes: list[str], *, operator: str = "ops:local", lifetime: timedelta = timedelta(hours=1)
) -> str:
    """An operator token of the local runtime running on `port` (what `main` prints), for a
    harness driving it from Python; dated by this process's clock."""
    from guichet_contracts.operator_tokens import sign

    settings = _settings(STAGE, port)
    kid, key = _signing_key(settings["secret"], stage=STAGE, port=port)
    return str(
        sign(
            key,
            kid=kid,
            issuer=settings["issuer"],
            audience=settings["audience"],
            operator_id=operator,
            scopes=scopes,
            now=datetime.now(UTC),
            lifetime=lifetime,
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guichet_local.operator_token", description=__doc__)
    parser.add_argument(
        "--scopes", required=True, help='space separated, e.g. "invoices:write subscriptions:write"'
    )
    parser.add_argument("--operator", default="ops:local", help="who acts (the token's sub, in audit logs)")
    parser.add_argument("--hours", type=float, default=1.0, help="lifetime, at most 12 hours")
    parser.add_argument("--port", type=int, default=8000, help="port of the running local runtime")
    parser.add_argument("--stage", default=STAGE, help="a deployed stage (its secret read from AWS)")
    args = parser.parse_args(argv)
    scopes = args.scopes.split()
    if not scopes:
        parser.error("--scopes names at least one scope, e.g. invoices:write")
    if not (REPO / "services" / "invoices" / ".chalice" / "config.json").is_file():
        parser.error("run it from a Guichet checkout")
    try:
        settings = _settings(args.stage, args.port)
    except KeyError as missing:
        parser.error(f"the {args.stage} stage sets no {missing}")
    try:
        kid, key = _signing_key(settings["secret"], stage=args.stage, port=args.port)
    except (urllib.error.URLError, ConnectionError) as error:
        print(
            f"The local runtime is not running on port {args.port} ({error}). Start it with `make run`.",
            file=sys.stderr,
        )
        return 1
    except Exception as error:  # a missing secret, no credentials, no permission
        print(f"Cannot read the signing key {settings['secret']}: {error}", file=sys.stderr)
        return 1
    from guichet_contracts.operator_tokens import sign

    try:
        token = sign(
            key,
            kid=kid,
            issuer=settings["issuer"],
            audience=settings["audience"],
            operator_id=args.operator,
            scopes=scopes,
            now=datetime.now(UTC),
            lifetime=timedelta(hours=args.hours),
        )
    except ValueError as error:
        parser.error(str(error))
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
