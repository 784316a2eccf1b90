"""A service's stack: what is merged into the template Chalice generates for it.

A service is a directory of `services/` holding a Chalice app (`app.py`, `.chalice/config.json`)
and, optionally, `resources.json`: its own resources (its table) and Outputs. The merge template
adds those resources, one role for all the service's functions (its policy from `grants.py`),
one log group per function, and wires every Output of resources.json into every function's
environment under its name in UPPER_SNAKE_CASE (`AuthTableName` -> `AUTH_TABLE_NAME`), and the
shared exports bucket's name as GUICHET_EXPORTS_BUCKET.

A function Lambda invokes asynchronously (an event handler, a schedule) gets a bounded number
of retries and a maximum event age, then its failed or refused event goes, with its payload,
to the service's dead-letter queue (`guichet-<service>-<stage>-dead-letters`), never dropped.
An event its EventBridge rule (or schedule) could not even hand to Lambda (throttled, the
function gone) goes there too, within the same hour: each rule target names the queue
(`DeadLetterConfig`), and the queue's policy lets the service's own rules, and nothing else, send.
Chalice's merge replaces lists, so the merge template only ever sets maps and scalars (the API's
`MethodSettings`, a list Chalice never writes, excepted).

The API is throttled per stage (API Gateway's token bucket, for all clients together: what one
deployment lets through, whatever the addresses; the limits per client address are the WAF's, in
the shared stack, and the services' own): `DEFAULT_THROTTLE` on every route, and tighter on the
routes a service names in its resources.json, under `Metadata.GuichetThrottling`:

    "Metadata": {"GuichetThrottling": {"POST /login": {"rate": 20, "burst": 40}, ...}}
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guichet_contracts.web import SECURITY_HEADERS, cors_headers, portal_origin

from . import exports_bucket_name, grants

ROLE_ID = "FunctionRole"
EXPORTS_BUCKET_VARIABLE = "GUICHET_EXPORTS_BUCKET"
LOG_RETENTION_DAYS = 30
DEAD_LETTER_QUEUE_ID = "DeadLetterQueue"
DEAD_LETTER_POLICY_ID = "DeadLetterQueuePolicy"
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60  # SQS's longest: two weeks to inspect and redrive
ASYNCHRONOUS_RETRIES = 2
# An event still waiting after an hour (the function throttled, say) goes to the queue, where
# the alarm shows it, rather than waiting unseen for Lambda's default six hours.
MAXIMUM_EVENT_AGE_SECONDS = 60 * 60
# The SAM event sources Lambda invokes asynchronously: EventBridge rules (Chalice's
# `on_cw_event`), schedules, SNS and S3 notifications. Not SQS, Kinesis or DynamoDB streams,
# which Lambda polls.
ASYNCHRONOUS_EVENT_TYPES = frozenset({"CloudWatchEvent", "EventBridgeRule", "Schedule", "SNS", "S3"})
# The SAM event sources that are EventBridge rules (SAM names each rule <function><event name>)
RULE_EVENT_TYPES = frozenset({"CloudWatchEvent", "EventBridgeRule", "Schedule"})
# Chalice insists on a role ARN when it does not manage the role; the merge template replaces it.
PLACEHOLDER_ROLE_ARN = "arn:aws:iam::000000000000:role/replaced-by-the-infra-merge-template"
_SERVICE_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
# Settings infra owns: the role, the policy, the log groups and the endpoint type of the API,
# which must be REGIONAL to sit behind the shared regional custom domain.
_INFRA_SETTINGS = (
    "manage_iam_role",
    "iam_role_arn",
    "iam_policy_file",
    "autogen_policy",
    "log_retention_in_days",
    "api_gateway_endpoint_type",
)


# requests per second, and the burst over it, of every route of an API unless its service says less
DEFAULT_THROTTLE = {"rate": 200, "burst": 400}
_ROUTE = re.compile(r"(GET|POST|PUT|PATCH|DELETE) (/[A-Za-z0-9_.{}/-]*)")


class ServiceError(ValueError):
    pass


def method_settings(service: Service, routes_of_the_app: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The API stage's MethodSettings: every route throttled, the routes the service names more.

    `routes_of_the_app` are the app's methods by path: a route named in resources.json that the
    app does not have is an error, not a setting that throttles nothing."""
    settings = [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": DEFAULT_THROTTLE["rate"],
            "ThrottlingBurstLimit": DEFAULT_THROTTLE["burst"],
        }
    ]
    routes = service.resources.get("Metadata", {}).get("GuichetThrottling", {})
    for route, limits in sorted(routes.items()):
        matched = _ROUTE.fullmatch(route)
        if matched is None:
            raise ServiceError(f"{service.name}: throttled route {route!r} is not 'METHOD /path'")
        method, path = matched.groups()
        if method not in routes_of_the_app.get(path, []):
            raise ServiceError(f"{service.name}: throttled route {route!r} is not a route of the API")
        rate, burst = limits.get("rate"), limits.get("burst")
        if not (isinstance(rate, int) and isinstance(burst, int) and 0 < rate <= burst):
            raise ServiceError(f"{service.name}: {route!r} needs whole rate and burst, 0 < rate <= burst")
        settings.append(
            {
                "ResourcePath": "/" + path.replace("/", "~1") if path != "/" else "/",
                "HttpMethod": method,
                "ThrottlingRateLimit": rate,
                "ThrottlingBurstLimit": burst,
            }
        )
    return settings


@dataclass(frozen=True)
class Service:
    name: str
    directory: Path

    @property
    def resources(self) -> dict[str, Any]:
        path = self.directory / "resources.json"
        if not path.exists():
            return {}
        return dict(json.loads(path.read_text()))

    @property
    def pascal_name(self) -> str:
        return pascal_case(self.name)


def pascal_case(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", name))


def discover_services(services_dir: Path) -> list[Service]:
    """Every Chalice app directly under `services_dir`, by name."""
    services = []
    for directory in sorted(services_dir.iterdir()):
        if not (directory / "app.py").is_file() or not (directory / ".chalice" / "config.json").is_file():
            continue
        if not _SERVICE_NAME.fullmatch(directory.name):
            raise ServiceError(f"{directory.name}: a service name is lowercase letters, digits and hyphens")
        services.append(Service(directory.name, directory))
    return services


def environment_name(output_name: str) -> str:
    """`AuthTableName` -> `AUTH_TABLE_NAME`, `DocumentsBucketARN` -> `DOCUMENTS_BUCKET_ARN`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", output_name).upper()


def function_name(service: str, stage: str, logical_id: str) -> str:
    name = f"guichet-{service}-{stage}-{logical_id}"
    if len(name) > 64:
        raise ServiceError(f"{name}: a Lambda function name has at most 64 characters")
    return name


def rest_api_name(service: str, stage: str) -> str:
    return f"guichet-{service}-{stage}"


def dead_letter_queue_name(service: str, stage: str) -> str:
    name = f"guichet-{service}-{stage}-dead-letters"
    if len(name) > 80:
        raise ServiceError(f"{name}: an SQS queue name has at most 80 characters")
    return name


def asynchronous_functions(chalice_template: dict[str, Any]) -> list[str]:
    """The functions of a generated template that Lambda invokes asynchronously."""
    return sorted(
        name
        for name, body in chalice_template["Resources"].items()
        if body["Type"] == "AWS::Serverless::Function"
        and any(
            event.get("Type") in ASYNCHRONOUS_EVENT_TYPES
            for event in body["Properties"].get("Events", {}).values()
        )
    )


def rule_events(function: dict[str, Any]) -> list[str]:
    """The names of a generated function's events that SAM turns into EventBridge rules."""
    return sorted(
        name
        for name, event in function["Properties"].get("Events", {}).items()
        if event.get("Type") in RULE_EVENT_TYPES
    )


def _dead_letter_policy(rules: list[str]) -> dict[str, Any]:
    """The dead-letter queue's policy: the service's own rules may send it what they could not deliver."""
    return {
        "Type": "AWS::SQS::QueuePolicy",
        "Properties": {
            "Queues": [{"Ref": DEAD_LETTER_QUEUE_ID}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "UndeliveredEventsOfOwnRules",
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": {"Fn::GetAtt": [DEAD_LETTER_QUEUE_ID, "Arn"]},
                        "Condition": {
                            "ArnEquals": {"aws:SourceArn": [{"Fn::GetAtt": [rule, "Arn"]} for rule in rules]}
                        },
                    }
                ],
            },
        },
    }


def chalice_config_for_infra(config: dict[str, Any], stage: str) -> dict[str, Any]:
    """The service's Chalice config with the settings infra owns taken over."""
    config = copy.deepcopy(config)
    stages = config.get("stages", {})
    if stage not in stages:
        raise ServiceError(f"{config.get('app_name')}: .chalice/config.json has no stage {stage!r}")
    scopes = [config, *stages.values()]
    for scope in list(scopes):
        scopes.extend(scope.get("lambda_functions", {}).values())
    for scope in scopes:
        for key in _INFRA_SETTINGS:
            scope.pop(key, None)
    config.update(
        manage_iam_role=False,
        iam_role_arn=PLACEHOLDER_ROLE_ARN,
        api_gateway_endpoint_type="REGIONAL",
    )
    return config


# What API Gateway answers itself, before or instead of the function: the error body of the API
# and the headers every answer carries (security, CORS for the portal). (status, code, message)
GATEWAY_RESPONSES = {
    # a path or method the API does not have: 404, as the local gateway answers
    "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found", "No such resource."),
    "THROTTLED": ("429", "too_many_requests", "Too many requests. Try again in a moment."),
    "DEFAULT_4XX": (None, "request_refused", "The request was refused."),
    "DEFAULT_5XX": ("503", "service_unavailable", "The service is unavailable for a moment. Try again."),
}


def _static_value(value: str) -> str:
    """A header value as API Gateway's mappings take a literal: quoted, its own quotes escaped."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def gateway_responses(public_url: str | None) -> dict[str, Any]:
    """AWS::ApiGateway::GatewayResponse resources: API Gateway's own answers in the error body,
    with the security headers, Retry-After where a retry helps, and the portal's CORS headers."""
    headers = dict(SECURITY_HEADERS)
    origin = portal_origin(public_url)
    if origin:
        headers |= {name: value for name, value in cors_headers(origin).items() if name != "Vary"}
    resources = {}
    for kind, (status, code, message) in GATEWAY_RESPONSES.items():
        answer = dict(headers)
        if status in ("429", "503"):
            answer["Retry-After"] = "1"
        properties: dict[str, Any] = {
            "RestApiId": {"Ref": "RestAPI"},
            "ResponseType": kind,
            "ResponseParameters": {
                f"gatewayresponse.header.{name}": _static_value(value) for name, value in answer.items()
            },
            "ResponseTemplates": {
                "application/json": json.dumps({"error": {"code": code, "message": message}}),
            },
        }
        if status:
            properties["StatusCode"] = status
        name = "".join(part.title() for part in kind.split("_"))
        resources[f"GatewayResponse{name}"] = {
            "Type": "AWS::ApiGateway::GatewayResponse",
            "Properties": properties,
        }
    return resources


def merge_template(service: Service, stage: str, chalice_template: dict[str, Any]) -> dict[str, Any]:
    """What `chalice package --merge-template` merges into the template Chalice generated.

    `chalice_template` is the one Chalice generates for the app before any merge
    (`chalice_runner describe`): it tells which functions there are and their environment.
    """
    generated = chalice_template["Resources"]
    own = service.resources
    own_resources: dict[str, Any] = own.get("Resources", {})
    own_outputs: dict[str, Any] = own.get("Outputs", {})
    functions = sorted(
        name for name, body in generated.items() if body["Type"] == "AWS::Serverless::Function"
    )
    log_groups = {function: f"{function}LogGroup" for function in functions}
    asynchronous = asynchronous_functions(chalice_template)
    dead_letter_queue = DEAD_LETTER_QUEUE_ID if asynchronous else None

    added = [*own_resources, ROLE_ID, *log_groups.values()]
    added += [DEAD_LETTER_QUEUE_ID, DEAD_LETTER_POLICY_ID] if dead_letter_queue else []
    clashes = sorted({name for name in added if added.count(name) > 1} | (set(added) & set(generated)))
    if clashes:
        raise ServiceError(f"{service.name}: logical ids used twice: {clashes}")

    environment: dict[str, str] = {}
    for function in functions:
        environment.update(generated[function]["Properties"].get("Environment", {}).get("Variables", {}))
    wired = {environment_name(name): output["Value"] for name, output in own_outputs.items()}
    # the shared exports bucket (shared_stack.py), named from the stage like the grants name it
    wired[EXPORTS_BUCKET_VARIABLE] = {"Fn::Sub": exports_bucket_name(stage)}
    configured_too = sorted(set(wired) & set(environment))
    if configured_too:
        raise ServiceError(
            f"{service.name}: {configured_too} come from resources.json Outputs; "
            "remove them from .chalice/config.json"
        )

    scope = grants.Scope(
        service=service.name,
        stage=stage,
        resources=own_resources,
        environment=environment,
        log_groups=sorted(log_groups.values()),
        dead_letter_queue=dead_letter_queue,
    )
    resources: dict[str, Any] = copy.deepcopy(own_resources)
    resources[ROLE_ID] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": f"Guichet {service.name} ({stage}): every function of the service",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Policies": [{"PolicyName": "least-privilege", "PolicyDocument": grants.policy_document(scope)}],
        },
    }
    rules: list[str] = []  # logical ids of the EventBridge rules SAM makes of the functions' events
    for function, log_group in log_groups.items():
        name = function_name(service.name, stage, function)
        resources[log_group] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": f"/aws/lambda/{name}", "RetentionInDays": LOG_RETENTION_DAYS},
        }
        properties: dict[str, Any] = {"FunctionName": name, "Role": {"Fn::GetAtt": [ROLE_ID, "Arn"]}}
        if wired:
            properties["Environment"] = {"Variables": copy.deepcopy(wired)}
        if function in asynchronous:
            # SAM turns this into an AWS::Lambda::EventInvokeConfig of the function's $LATEST.
            # Lambda sends the destination its invocation record (the event, the error) with
            # the function's role: the grant `SendToOwnDeadLetters`.
            properties["EventInvokeConfig"] = {
                "MaximumRetryAttempts": ASYNCHRONOUS_RETRIES,
                "MaximumEventAgeInSeconds": MAXIMUM_EVENT_AGE_SECONDS,
                "DestinationConfig": {
                    "OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": [DEAD_LETTER_QUEUE_ID, "Arn"]}}
                },
            }
            events = rule_events(generated[function])
            if events:
                properties["Events"] = {
                    event: {
                        "Properties": {
                            "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [DEAD_LETTER_QUEUE_ID, "Arn"]}},
                            "RetryPolicy": {"MaximumEventAgeInSeconds": MAXIMUM_EVENT_AGE_SECONDS},
                        }
                    }
                    for event in events
                }
            rules += [f"{function}{event}" for event in events]
        resources[function] = {"Properties": properties}
    if dead_letter_queue:
        resources[dead_letter_queue] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": dead_letter_queue_name(service.name, stage),
                "SqsManagedSseEnabled": True,
                "MessageRetentionPeriod": DEAD_LETTER_RETENTION_SECONDS,
            },
        }
        if rules:
            resources[DEAD_LETTER_POLICY_ID] = _dead_letter_policy(rules)
    if "RestAPI" in generated:
        # A name for the API Gateway console, the 5xx alarm's ApiName dimension (and moto); the
        # stage's throttling
        routes = chalice_template.get("Metadata", {}).get("GuichetRoutes", {})
        resources["RestAPI"] = {
            "Properties": {
                "Name": rest_api_name(service.name, stage),
                "MethodSettings": method_settings(service, routes),
            }
        }
        resources |= gateway_responses(environment.get("GUICHET_PUBLIC_URL"))

    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Guichet {service.name} service ({stage}): its Chalice app, its resources, its role",
        "Resources": resources,
        "Outputs": copy.deepcopy(own_outputs),
    }
