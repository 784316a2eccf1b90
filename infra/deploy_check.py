"""Deploy a packaged stage into the emulator as `make deploy` would, then run what was deployed.

    python -m infra.deploy_check --stage prod --templates build/infra

1. moto's server starts on 127.0.0.1 (a free port) and boto3 is pointed at it; the stage is
   copied with each template made deployable by moto (`infra.emulator.emulator_copy`: what its
   CloudFormation cannot take is left out, and said).
2. `infra.deploy.deploy` deploys it, the same function and manifest as `make deploy`, with an
   API domain (its certificate and hosted zone made in the emulator) so that the shared stack
   has its `ApiUrl` and the portal's stack is deployed and its files uploaded. moto's
   CloudFormation has no CloudFront: the portal's distribution is left out, so its pages are
   not invalidated (said in the report).
3. The stage is prepared as docs/DEPLOYMENT.md tells ops: the mail sender verified in SES, the
   Stripe keys' secret (test values), and a signing key of this check added to the public keys
   secret, so that its tokens are accepted.
4. moto's API Gateway cannot run Lambda code here, so each deployed function is run as Lambda
   would: its configuration read back from the emulator (handler, the environment the stack set),
   its code downloaded from where the deployment put it (the artifact bucket; its SHA-256 must be
   the function's), unpacked and driven by `infra/lambda_driver.py` in Lambda's Python holding
   boto3 alone (infra/artifact.py): every route of the API function once, every other function
   once with its event. Nor can moto's EventBridge invoke a function: an event a route publishes
   reaches the rules' other targets, the Lambda ones being left to this step.

It prints each stack's status and outputs, what was left out and what moto skipped, and per
service the routes answered by status class and the functions' outcomes; it exits 1 on a stack
not deployed, an import error, a 5xx, an exception, or a schedule not run.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import urllib.request
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError
from guichet_contracts.operator_tokens import SCOPES

from . import DEFAULT_REGION, LAMBDA_RUNTIME, deploy
from .artifact import drive, functions, isolated_environment, unpack
from .emulator import emulator_copy, skipped_types
from .runtime import lambda_runtime_python

API_DOMAIN = "api.espace-client.example.com"
PORTAL_DOMAIN = "espace-client.example.com"
HOSTED_ZONE = "example.com"
ALARM_EMAIL = "ops@example.com"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# the instant the scheduled events stand for
SCHEDULED_AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
CUSTOMER_ID = "C-DEPLOY-CHECK"
STRIPE_TEST_KEYS = {
    "secret_key": "sk_test_deploy_check",
    "webhook_secret": "whsec_deploy_check",
    "publishable_key": "pk_test_deploy_check",
}


@dataclass
class StackReport:
    name: str
    status: str
    outputs: dict[str, str]
    left_out: list[str]
    skipped: list[str]


@dataclass
class ServiceReport:
    name: str
    functions: list[str]
    api_routes: int = 0
    routes: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


@dataclass
class Report:
    stacks: list[StackReport] = field(default_factory=list)
    services: list[ServiceReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and all(not service.failures for service in self.services)


@contextlib.contextmanager
def environ(values: dict[str, str], remove: tuple[str, ...] = ()) -> Iterator[None]:
    """This process's environment with `values` set and `remove` taken out, restored after."""
    saved = {name: os.environ.get(name) for name in [*values, *remove]}
    for name in remove:
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _rules_leave_lambda_targets_to_the_check() -> Iterator[None]:
    """moto's EventBridge cannot invoke a Lambda function (no code runs in it: it raises on a rule
    targeting one, failing the PutEvents of the event it matched): the deployed rules keep their
    Lambda targets, which the emulator leaves out when it delivers; the check runs each function
    with its event itself (lambda_driver.drive_functions)."""
    from unittest import mock

    from moto.events.models import Rule
    from moto.utilities.arns import parse_arn

    deliver = Rule.send_to_targets

    def send_to_targets(self: Any, *args: Any, **kwargs: Any) -> None:
        targets = self.targets
        self.targets = [target for target in targets if parse_arn(target["Arn"]).service != "lambda"]
        try:
            deliver(self, *args, **kwargs)
        finally:
            self.targets = targets

    with mock.patch.object(Rule, "send_to_targets", send_to_targets):
        yield


@contextlib.contextmanager
def emulator(region: str) -> Iterator[dict[str, str]]:
    """moto's server on 127.0.0.1, empty, and boto3 pointed at it: the AWS variables given."""
    from guichet_local.emulator import EmulatorServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request to the emulator
    # one line per resource of a type it skips: the report lists those types once per stack
    logging.getLogger("moto.cloudformation.parsing").setLevel(logging.ERROR)
    server = EmulatorServer("127.0.0.1", 0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        # the emulator runs in this process: whatever moto held before is dropped
        reset = urllib.request.Request(f"{url}/moto-api/reset", method="POST")  # noqa: S310 (our own http)
        urllib.request.urlopen(reset, timeout=30).close()  # noqa: S310
        aws = {**CREDENTIALS, "AWS_DEFAULT_REGION": region, "AWS_REGION": region, "AWS_ENDPOINT_URL": url}
        with (
            environ(aws, remove=("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")),
            _rules_leave_lambda_targets_to_the_check(),
        ):
            yield aws
    finally:
        server.stop()


def _domains(session: boto3.Session) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """The shared and portal stacks' parameters as ops give them, their certificates and zone
    made in the emulator."""
    certificate = session.client("acm").request_certificate(DomainName=API_DOMAIN)["CertificateArn"]
    portal_certificate = boto3.client("acm", region_name="us-east-1").request_certificate(
        DomainName=PORTAL_DOMAIN
    )["CertificateArn"]
    zone = session.client("route53").create_hosted_zone(Name=HOSTED_ZONE, CallerReference="deploy-check")
    shared = {
        "DomainName": API_DOMAIN,
        "CertificateArn": certificate,
        "HostedZoneId": zone["HostedZone"]["Id"].rpartition("/")[2],
        "AlarmEmail": ALARM_EMAIL,
    }
    return shared, {"PortalDomainName": PORTAL_DOMAIN, "PortalCertificateArn": portal_certificate}


def _deploy(
    copy: Path, stage: str, session: boto3.Session, left_out: dict[str, list[str]], report: Report
) -> set[str]:
    """`infra.deploy.deploy` on the emulator copy; the types moto skipped."""
    shared, portal = _domains(session)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            deploy.deploy(copy, stage, session, None, None, shared, portal)
        except KeyError as error:
            # The portal's stack is deployed and its files uploaded, then deploy_portal asks
            # CloudFront to forget the pages: the distribution moto could not create.
            if error.args != ("PortalDistributionId",) or "PortalDistribution" not in left_out.get(
                "portal", []
            ):
                raise
            report.notes.append(
                "portal: stack and files deployed; its CloudFront distribution is left out "
                "(moto's CloudFormation has none), so its pages were not invalidated"
            )
        except (deploy.DeployError, ClientError) as error:
            report.failures.append(f"the deployment failed: {error}")
    return skipped_types(caught)


def _stacks(
    copy: Path, session: boto3.Session, left_out: dict[str, list[str]], skipped: set[str]
) -> list[StackReport]:
    manifest = json.loads((copy / "manifest.json").read_text())
    folders = {entry["stack"]: entry["name"] for entry in manifest["services"]}
    folders[manifest["shared"]["stack"]] = "shared"
    if manifest.get("portal"):
        folders[manifest["portal"]["stack"]] = "portal"
    cfn = session.client("cloudformation")
    reports = []
    for stack, folder in folders.items():
        found = deploy._stack(cfn, stack) or {"StackStatus": "NOT DEPLOYED"}
        template = json.loads((copy / folder / "template.json").read_text())
        types = {body["Type"] for body in template["Resources"].values()}
        reports.append(
            StackReport(
                name=stack,
                status=found["StackStatus"],
                outputs={o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])},
                left_out=left_out.get(folder, []),
                skipped=sorted(skipped & types),
            )
        )
    return reports


def _check_site(copy: Path, session: boto3.Session, stacks: list[StackReport]) -> list[str]:
    """The portal's files in its bucket, each page told where the API is."""
    portal = next((stack for stack in stacks if "PortalBucketName" in stack.outputs), None)
    shared = next((stack for stack in stacks if "ApiUrl" in stack.outputs), None)
    if portal is None or shared is None:
        return ["the portal's bucket or the API's URL is not among the stacks' outputs"]
    s3 = session.client("s3")
    failures = []
    for entry in json.loads((copy / "portal" / "site" / "site.json").read_text()):
        try:
            body = s3.get_object(Bucket=portal.outputs["PortalBucketName"], Key=entry["key"])["Body"].read()
        except s3.exceptions.NoSuchKey:
            failures.append(f"portal: {entry['key']} not uploaded")
            continue
        wanted = f'<meta name="guichet-api" content="{shared.outputs["ApiUrl"]}">'.encode()
        if entry["key"].endswith(".html") and wanted not in body:
            failures.append(f"portal: {entry['key']} is not told where the API is")
    return failures


def prepare_stage(session: boto3.Session, variables: list[dict[str, str]]) -> Any:
    """What ops do for a stage (docs/DEPLOYMENT.md), for the secrets and sender the deployed
    functions name: the sender verified in SES, Stripe's keys stored, and a signing key of this
    check added to the public keys' secret. Returns the signer."""
    from guichet_local.resources import verify_mail_sender
    from guichet_local.testing import Signer

    secrets = session.client("secretsmanager")
    signer = Signer()
    for name in sorted(
        {v["GUICHET_JWT_PUBLIC_KEYS_SECRET"] for v in variables if "GUICHET_JWT_PUBLIC_KEYS_SECRET" in v}
    ):
        secrets.create_secret(Name=name, SecretString=json.dumps(signer.jwks))
    for name in sorted({v["INVOICES_STRIPE_SECRET"] for v in variables if "INVOICES_STRIPE_SECRET" in v}):
        secrets.create_secret(Name=name, SecretString=json.dumps(STRIPE_TEST_KEYS))
    for sender in sorted({v["GUICHET_MAIL_SENDER"] for v in variables if v.get("GUICHET_MAIL_SENDER")}):
        verify_mail_sender(sender, client=session.client("ses"))
    return signer


def _tokens(signer: Any, variables: dict[str, str]) -> dict[str, str]:
    """A customer's and an operator's tokens for a function of these variables."""
    claims = {
        "GUICHET_JWT_ISSUER": variables["GUICHET_JWT_ISSUER"],
        "GUICHET_JWT_AUDIENCE": variables["GUICHET_JWT_AUDIENCE"],
        "GUICHET_OPERATOR_AUDIENCE": variables.get("GUICHET_OPERATOR_AUDIENCE", "guichet-operator"),
    }
    with environ(claims):
        return {
            "customer": signer.token(CUSTOMER_ID),
            "customer_id": CUSTOMER_ID,
            "operator": signer.operator_token(*SCOPES),  # every operator route reached, whichever its scope
        }


def _resolve(value: Any, parameters: dict[str, str]) -> Any:
    return parameters[value["Ref"]] if isinstance(value, dict) and "Ref" in value else value


def deployed_functions(session: boto3.Session, stack: str, template: dict[str, Any]) -> list[dict[str, Any]]:
    """Each function of the stack as the emulator has it: logical id, name, handler,
    environment, and where its code is (the template's Code, the stack's parameters given)."""
    cfn, lambda_ = session.client("cloudformation"), session.client("lambda")
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described.get("Parameters", [])}
    found = []
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack):
        for resource in page["StackResourceSummaries"]:
            if resource["ResourceType"] != "AWS::Lambda::Function":
                continue
            configuration = lambda_.get_function(FunctionName=resource["PhysicalResourceId"])["Configuration"]
            code = template["Resources"][resource["LogicalResourceId"]]["Properties"]["Code"]
            found.append(
                {
                    "logical_id": resource["LogicalResourceId"],
                    "name": configuration["FunctionName"],
                    "handler": configuration["Handler"],
                    "variables": configuration.get("Environment", {}).get("Variables", {}),
                    "sha256": configuration["CodeSha256"],
                    "bucket": _resolve(code["S3Bucket"], parameters),
                    "key": _resolve(code["S3Key"], parameters),
                }
            )
    return sorted(found, key=lambda function: function["logical_id"])


def _download(session: boto3.Session, function: dict[str, Any], scratch: Path) -> Path:
    target = scratch / "code" / hashlib.sha256(function["key"].encode()).hexdigest()[:16]
    archive = target.with_suffix(".zip")
    if not archive.exists():
        archive.parent.mkdir(parents=True, exist_ok=True)
        session.client("s3").download_file(function["bucket"], function["key"], str(archive))
        unpack(archive, target)
    return archive


def run_service(
    session: boto3.Session,
    name: str,
    stack: str,
    copy: Path,
    python: str,
    signer: Any,
    aws: dict[str, str],
    scratch: Path,
) -> ServiceReport:
    """Every deployed function of the service run from its downloaded code, with its environment."""
    template = json.loads((copy / name / "template.json").read_text())
    deployed = deployed_functions(session, stack, template)
    _, events = functions(json.loads((copy / name / "sam.json").read_text()), SCHEDULED_AT, aws["AWS_REGION"])
    event_of = {event["name"]: event["event"] for event in events}
    report = ServiceReport(name=name, functions=[function["name"] for function in deployed])
    api_ids, api_routes = api_gateway_routes(template)
    api = [function for function in deployed if function["logical_id"] in api_ids]
    if len(api) != 1 or api[0]["logical_id"] in event_of:
        report.failures.append(f"{name}: the API calls {sorted(api_ids)}, not one deployed API function")
        return report
    report.api_routes = len(api_routes)
    rest_api = stack_outputs(session, stack).get("RestAPIId", "")
    try:
        session.client("apigateway").get_rest_api(restApiId=rest_api)
    except ClientError as error:
        report.failures.append(f"{name}: the stack's RestApi {rest_api!r} is not in API Gateway: {error}")
    # Functions of the same code and environment run in one process, the API function's first.
    groups: dict[str, list[dict[str, Any]]] = {}
    for function in deployed:
        key = json.dumps([function["bucket"], function["key"], function["variables"]], sort_keys=True)
        groups.setdefault(key, []).append(function)
    for group in groups.values():
        first = group[0]
        archive = _download(session, first, scratch)
        digest = base64.b64encode(hashlib.sha256(archive.read_bytes()).digest()).decode()
        for function in group:
            if function["sha256"] != digest:
                report.failures.append(f"{function['name']}: its code is not the artifact the stack names")
        task_root = archive.with_suffix("")
        runs_api = api[0] in group
        spec = {
            "task_root": str(task_root),
            "api_handler": api[0]["handler"],
            "functions": [
                {"name": f["logical_id"], "handler": f["handler"], "event": event_of[f["logical_id"]]}
                for f in group
                if f["logical_id"] in event_of
            ],
            "tokens": _tokens(signer, first["variables"]),
        }
        variables = {**first["variables"], **aws, "AWS_LAMBDA_FUNCTION_NAME": first["name"]}
        try:
            results = drive(python, spec, isolated_environment(task_root, variables))
        except (RuntimeError, OSError) as error:
            report.failures.append(f"{name}: the driver failed: {error}")
            continue
        _record(
            report,
            api_routes,
            results,
            runs_api,
            {
                f["logical_id"]
                for f in group
                if event_of.get(f["logical_id"], {}).get("source") == "aws.events"
            },
        )
    return report


def api_gateway_routes(template: dict[str, Any]) -> tuple[set[str], set[tuple[str, str]]]:
    """The functions the template's RestApi integrations call (logical ids), and its routes
    (method, path) that call one: what API Gateway would hand to a function."""
    called: set[str] = set()
    routes: set[tuple[str, str]] = set()
    for body in template["Resources"].values():
        if body["Type"] != "AWS::ApiGateway::RestApi":
            continue
        for path, methods in body["Properties"]["Body"]["paths"].items():
            for method, operation in methods.items():
                integration = operation.get("x-amazon-apigateway-integration", {})
                if integration.get("type") != "aws_proxy":
                    continue
                called |= set(re.findall(r"\$\{(\w+)\.Arn\}", json.dumps(integration["uri"])))
                routes.add((method.upper(), path))
    return called, routes


def stack_outputs(session: boto3.Session, stack: str) -> dict[str, str]:
    described = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}


def _record(
    report: ServiceReport,
    api_routes: set[tuple[str, str]],
    results: dict[str, Any],
    runs_api: bool,
    schedules: set[str],
) -> None:
    for entry in results["imports"]:
        if entry["error"]:
            report.failures.append(f"{report.name}: import {entry['module']}:\n{entry['error']}")
    if runs_api:
        if not results["routes"]:
            report.failures.append(f"{report.name}: no route answered")
        driven = {(route["method"], route["path"]) for route in results["routes"]}
        for method, path in sorted(api_routes - driven):
            report.failures.append(f"{report.name}: {method} {path} of the API is not a route of the app")
        for route in results["routes"]:
            status = route["status"]
            report.routes["exception" if route["error"] or status is None else f"{status // 100}xx"] += 1
            if route["error"] or status is None or status >= 500:
                detail = route["error"] or route["body"]
                report.failures.append(
                    f"{report.name}: {route['method']} {route['path']} -> {status}\n{detail}"
                )
    for function in results["functions"]:
        report.outcomes[function["outcome"]] += 1
        if function["outcome"] == "error" or (function["name"] in schedules and function["outcome"] != "ok"):
            report.failures.append(
                f"{report.name}: {function['name']} {function['outcome']}\n{function['error']}"
            )


def check(
    templates: Path,
    stage: str,
    region: str = DEFAULT_REGION,
    *,
    services: list[str] | None = None,
    python: str | None = None,
) -> Report:
    """Deploys the packaged stage into a fresh emulator and runs every deployed function (of
    `services` only, when given)."""
    report = Report()
    python = python or lambda_runtime_python(LAMBDA_RUNTIME)
    with tempfile.TemporaryDirectory(prefix="guichet-deploy-check-") as scratch, emulator(region) as aws:
        copy = Path(scratch) / "stage"
        left_out = emulator_copy(templates, copy)
        session = boto3.Session(region_name=region)
        skipped = _deploy(copy, stage, session, left_out, report)
        report.stacks = _stacks(copy, session, left_out, skipped)
        report.failures += [
            f"{stack.name}: {stack.status}" for stack in report.stacks if stack.status != "CREATE_COMPLETE"
        ]
        if report.failures:
            return report
        manifest = json.loads((copy / "manifest.json").read_text())
        if manifest.get("portal"):
            report.failures += _check_site(copy, session, report.stacks)
        deployed = {
            entry["name"]: deployed_functions(
                session, entry["stack"], json.loads((copy / entry["name"] / "template.json").read_text())
            )
            for entry in manifest["services"]
        }
        signer = prepare_stage(session, [f["variables"] for found in deployed.values() for f in found])
        for entry in manifest["services"]:
            if services and entry["name"] not in services:
                continue
            report.services.append(
                run_service(session, entry["name"], entry["stack"], copy, python, signer, aws, Path(scratch))
            )
    return report


def render(report: Report) -> str:
    lines = []
    for stack in report.stacks:
        lines.append(f"{stack.name}: {stack.status}")
        lines += [f"  {key} = {value}" for key, value in sorted(stack.outputs.items())]
        if stack.left_out:
            lines.append(f"  left out (moto cannot deploy them): {', '.join(stack.left_out)}")
        if stack.skipped:
            lines.append(f"  skipped by moto: {', '.join(stack.skipped)}")
    lines += report.notes
    for service in report.services:
        routes = ", ".join(f"{count} {status}" for status, count in sorted(service.routes.items()))
        outcomes = ", ".join(f"{count} {outcome}" for outcome, count in sorted(service.outcomes.items()))
        lines.append(
            f"{service.name}: {len(service.functions)} functions run from their deployed code; "
            f"the {service.api_routes} routes of its API: {routes or 'none'}; handlers: {outcomes or 'none'}"
        )
    failures = report.failures + [failure for service in report.services for failure in service.failures]
    lines += [f"FAILED {failure}" for failure in failures]
    lines.append("deploy check: " + ("ok" if report.ok else f"{len(failures)} failures"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy_check", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument(
        "--templates", type=Path, required=True, help="output of infra.package, e.g. build/infra"
    )
    parser.add_argument("--region", default=DEFAULT_REGION)
    args = parser.parse_args(argv)
    report = check(args.templates, args.stage, args.region)
    print(render(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
