"""The packaged templates, offline: cfn-lint, least privilege, environment, the shared stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from guichet_contracts.web import SECURITY_HEADERS

from infra import LAMBDA_RUNTIME, exports_bucket_name
from infra.service_stack import GATEWAY_RESPONSES, PLACEHOLDER_ROLE_ARN, Service, environment_name

from .conftest import REGION, load


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: body for name, body in template["Resources"].items() if body["Type"] == "AWS::Lambda::Function"
    }


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    statements = []
    for body in template["Resources"].values():
        if body["Type"] in ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            policies = body["Properties"].get("Policies", []) or [body["Properties"]]
            for policy in policies:
                document = policy["PolicyDocument"]
                found = document["Statement"]
                statements += found if isinstance(found, list) else [found]
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _templates(packaged: Path) -> list[Path]:
    return sorted(packaged.glob("*/sam.json")) + sorted(packaged.glob("*/template.json"))


def test_cfn_lint_finds_no_error_in_any_template(packaged: Path, services: list[Service]) -> None:
    paths = _templates(packaged)
    # sam.json and template.json per service, the shared stack, the portal's
    assert len(paths) == 2 * len(services) + 2

    problems = {
        path.relative_to(packaged).as_posix(): [
            f"{match.rule.id} {match.message}"
            for match in lint_file(path, config=ManualArgs(regions=[REGION]))
        ]
        for path in paths
    }

    errors = {name: [p for p in found if p.startswith("E")] for name, found in problems.items()}
    assert errors == {name: [] for name in problems}


def test_each_service_has_one_role_used_by_every_function(packaged: Path, services: list[Service]) -> None:
    for service in services:
        template = load(packaged / service.name / "template.json")
        roles = [name for name, body in template["Resources"].items() if body["Type"] == "AWS::IAM::Role"]
        functions = _functions(template)

        assert len(roles) == 1, service.name
        assert functions, service.name
        for name, function in functions.items():
            assert function["Properties"]["Role"] == {"Fn::GetAtt": [roles[0], "Arn"]}, (service.name, name)
            assert function["Properties"]["Runtime"] == LAMBDA_RUNTIME
        assert PLACEHOLDER_ROLE_ARN not in (packaged / service.name / "template.json").read_text()
        assert "ManagedPolicyArns" not in template["Resources"][roles[0]]["Properties"]


def test_roles_reach_their_own_table_and_nothing_else(packaged: Path, services: list[Service]) -> None:
    all_tables = {
        (service.name, name)
        for service in services
        for name, body in service.resources.get("Resources", {}).items()
        if body["Type"] == "AWS::DynamoDB::Table"
    }
    for service in services:
        template = load(packaged / service.name / "template.json")
        own_tables = {name for owner, name in all_tables if owner == service.name}
        allowed = [
            resource
            for table in own_tables
            for resource in ({"Fn::GetAtt": [table, "Arn"]}, {"Fn::Sub": f"${{{table}.Arn}}/index/*"})
        ]
        statements = _statements(template)
        assert statements, service.name

        for statement in statements:
            actions = _as_list(statement["Action"])
            resources = _as_list(statement.get("Resource", []))
            assert statement["Effect"] == "Allow"
            assert "NotAction" not in statement and "NotResource" not in statement
            for action in actions:
                assert action != "*" and not action.endswith(":*"), (service.name, action)
                assert not action.startswith("iam:"), (service.name, action)
            assert "*" not in resources, (service.name, statement)
            if any(action.startswith("dynamodb:") for action in actions):
                assert all(action.startswith("dynamodb:") for action in actions)
                assert resources and all(resource in allowed for resource in resources), (
                    service.name,
                    resources,
                )


def test_every_output_of_resources_json_is_in_every_function_environment(
    packaged: Path, services: list[Service]
) -> None:
    checked = 0
    for service in services:
        outputs = service.resources.get("Outputs", {})
        template = load(packaged / service.name / "template.json")
        for name, function in _functions(template).items():
            variables = function["Properties"]["Environment"]["Variables"]
            for output, body in outputs.items():
                assert variables.get(environment_name(output)) == body["Value"], (service.name, name, output)
                checked += 1
    assert checked > 0


def test_every_function_logs_to_its_own_log_group(packaged: Path, services: list[Service]) -> None:
    for service in services:
        template = load(packaged / service.name / "template.json")
        groups = {
            body["Properties"]["LogGroupName"]
            for body in template["Resources"].values()
            if body["Type"] == "AWS::Logs::LogGroup"
        }
        for function in _functions(template).values():
            assert f"/aws/lambda/{function['Properties']['FunctionName']}" in groups


def test_the_shared_stack_maps_every_api_and_watches_every_function(
    packaged: Path, manifest: dict[str, Any]
) -> None:
    shared = load(packaged / "shared" / "template.json")
    resources = shared["Resources"]
    mappings = {
        body["Properties"]["BasePath"]: body["Properties"]["RestApiId"]
        for body in resources.values()
        if body["Type"] == "AWS::ApiGateway::BasePathMapping"
    }
    alarmed = {
        dimension["Value"]
        for body in resources.values()
        if body["Type"] == "AWS::CloudWatch::Alarm"
        for dimension in body["Properties"]["Dimensions"]
        if dimension["Name"] in ("FunctionName", "ApiName")
    }

    with_api = [entry for entry in manifest["services"] if entry["rest_api_parameter"]]
    assert with_api
    assert mappings == {entry["name"]: {"Ref": entry["rest_api_parameter"]} for entry in with_api}
    for entry in manifest["services"]:
        template = load(packaged / entry["name"] / "template.json")
        for function in _functions(template).values():
            assert function["Properties"]["FunctionName"] in alarmed
        for body in template["Resources"].values():
            if body["Type"] == "AWS::ApiGateway::RestApi":
                assert body["Properties"]["Name"] in alarmed


def test_the_documents_bucket_is_private_versioned_encrypted_and_tls_only(packaged: Path) -> None:
    resources = load(packaged / "shared" / "template.json")["Resources"]
    bucket = resources["DocumentsBucket"]["Properties"]
    policy = resources["DocumentsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]

    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert {
        "Effect": "Deny",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }.items() <= policy[0].items()


def test_the_exports_bucket_is_private_tls_only_and_forgets_exports_within_two_days(packaged: Path) -> None:
    resources = load(packaged / "shared" / "template.json")["Resources"]
    bucket = resources["ExportsBucket"]["Properties"]
    policy = resources["ExportsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]

    assert bucket["BucketName"] == {"Fn::Sub": exports_bucket_name("prod")}
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    expiring = [rule for rule in bucket["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in rule]
    assert [(rule["Prefix"], rule["Status"]) for rule in expiring] == [("exports/", "Enabled")]
    assert 1 <= expiring[0]["ExpirationInDays"] <= 2
    assert {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}.items() <= policy[
        0
    ].items()
    assert not any(statement["Effect"] == "Allow" for statement in policy)  # no one from outside


def test_each_service_writes_only_its_own_part_of_an_export_and_auth_alone_reads_them(
    packaged: Path, services: list[Service]
) -> None:
    bucket = f"arn:${{AWS::Partition}}:s3:::{exports_bucket_name('prod')}"
    for service in services:
        template = load(packaged / service.name / "template.json")
        for function in _functions(template).values():
            variables = function["Properties"]["Environment"]["Variables"]
            assert variables["GUICHET_EXPORTS_BUCKET"] == {"Fn::Sub": exports_bucket_name("prod")}
        on_exports = [
            statement
            for statement in _statements(template)
            if "-exports-" in json.dumps(statement.get("Resource", ""))
        ]
        granted = {
            (action, json.dumps(resource))
            for statement in on_exports
            for action in _as_list(statement["Action"])
            for resource in _as_list(statement["Resource"])
        }
        if service.name == "auth":
            assert ("s3:GetObject", json.dumps({"Fn::Sub": f"{bucket}/exports/*"})) in granted
            assert ("s3:ListBucket", json.dumps({"Fn::Sub": bucket})) in granted
        else:
            assert granted == {
                ("s3:PutObject", json.dumps({"Fn::Sub": f"{bucket}/exports/*/{service.name}/*"}))
            }


@pytest.mark.parametrize("name", ["sam.json", "template.json"])
def test_templates_stay_under_the_cloudformation_size_limit(
    packaged: Path, services: list[Service], name: str
) -> None:
    for service in services:
        # TemplateURL accepts up to 1 MB; deploy always uploads the template to S3.
        assert (packaged / service.name / name).stat().st_size < 1_000_000


def _of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in template["Resources"].items() if body["Type"] == resource_type}


def _invoked_by_rules(template: dict[str, Any]) -> set[str]:
    """The functions an EventBridge rule invokes: event handlers and schedules, asynchronously."""
    return {
        target["Arn"]["Fn::GetAtt"][0]
        for rule in _of_type(template, "AWS::Events::Rule").values()
        for target in rule["Properties"]["Targets"]
    }


def _dead_letter_queues(packaged: Path, services: list[Service]) -> dict[str, tuple[dict[str, Any], str]]:
    """Each service that has event handlers or schedules: its template and its queue's logical id."""
    found = {}
    for service in services:
        template = load(packaged / service.name / "template.json")
        queues = _of_type(template, "AWS::SQS::Queue")
        if not _invoked_by_rules(template):
            assert not queues, service.name
            continue
        assert len(queues) == 1, (service.name, sorted(queues))
        [(logical_id, queue)] = queues.items()
        assert queue["Properties"]["QueueName"] == f"guichet-{service.name}-prod-dead-letters"
        found[service.name] = (template, logical_id)
    assert found, "no service has event handlers or schedules: nothing checked"
    return found


def test_event_handlers_and_schedules_retry_twice_then_go_to_their_own_dead_letter_queue(
    packaged: Path, services: list[Service]
) -> None:
    with_queue = _dead_letter_queues(packaged, services)
    for service in services:
        template = load(packaged / service.name / "template.json")
        configs = {
            body["Properties"]["FunctionName"]["Ref"]: body["Properties"]
            for body in _of_type(template, "AWS::Lambda::EventInvokeConfig").values()
        }

        # Only the functions rules invoke: never the API's, which API Gateway calls synchronously.
        assert set(configs) == _invoked_by_rules(template), service.name
        assert "APIHandler" not in configs
        for function, config in configs.items():
            assert config["Qualifier"] == "$LATEST", (service.name, function)
            assert config["MaximumRetryAttempts"] == 2, (service.name, function)
            assert 60 <= config["MaximumEventAgeInSeconds"] <= 3600, (service.name, function)
            assert config["DestinationConfig"] == {
                "OnFailure": {"Destination": {"Fn::GetAtt": [with_queue[service.name][1], "Arn"]}}
            }, (service.name, function)


def test_the_dead_letter_queues_are_encrypted_and_keep_messages_fourteen_days(
    packaged: Path, services: list[Service]
) -> None:
    for service, (template, queue_id) in _dead_letter_queues(packaged, services).items():
        queue = template["Resources"][queue_id]["Properties"]

        assert queue["SqsManagedSseEnabled"] is True or queue.get("KmsMasterKeyId"), service
        assert queue["MessageRetentionPeriod"] == 14 * 24 * 60 * 60, service
        assert "FifoQueue" not in queue  # Lambda's destinations are standard queues only


def test_the_only_queue_permission_is_sending_to_the_own_dead_letter_queue(
    packaged: Path, services: list[Service]
) -> None:
    with_queue = _dead_letter_queues(packaged, services)
    for service in services:
        template = load(packaged / service.name / "template.json")
        queue = with_queue[service.name][1] if service.name in with_queue else None

        on_queues = [
            statement
            for statement in _statements(template)
            if any(action.startswith("sqs:") for action in _as_list(statement["Action"]))
            or (queue and queue in json.dumps(statement))
        ]

        if queue is None:
            assert on_queues == [], service.name
            continue
        assert len(on_queues) == 1, (service.name, on_queues)
        assert _as_list(on_queues[0]["Action"]) == ["sqs:SendMessage"]
        assert _as_list(on_queues[0]["Resource"]) == [{"Fn::GetAtt": [queue, "Arn"]}]
        assert "Condition" not in on_queues[0]


def test_the_shared_stack_alarms_on_each_dead_letter_queue(packaged: Path, services: list[Service]) -> None:
    resources = load(packaged / "shared" / "template.json")["Resources"]
    alarms = {
        dimension["Value"]: body["Properties"]
        for body in resources.values()
        if body["Type"] == "AWS::CloudWatch::Alarm"
        for dimension in body["Properties"]["Dimensions"]
        if dimension["Name"] == "QueueName"
    }
    names = [
        body["Properties"]["AlarmName"] for body in resources.values() if "AlarmName" in body["Properties"]
    ]

    queues = {
        template["Resources"][queue_id]["Properties"]["QueueName"]
        for template, queue_id in _dead_letter_queues(packaged, services).values()
    }
    assert set(alarms) == queues
    assert len(names) == len(set(names))
    for queue, alarm in alarms.items():
        assert alarm["AlarmName"] == f"{queue}-visible"
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
        assert alarm["Statistic"] == "Maximum"
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_every_api_stage_is_throttled_and_the_sensitive_routes_more(
    packaged: Path, manifest: dict[str, Any]
) -> None:
    from infra.service_stack import DEFAULT_THROTTLE

    for entry in manifest["services"]:
        template = load(packaged / entry["name"] / "template.json")
        for body in template["Resources"].values():
            if body["Type"] != "AWS::Serverless::Api":
                continue
            settings = {
                (item["ResourcePath"], item["HttpMethod"]): (
                    item["ThrottlingRateLimit"],
                    item["ThrottlingBurstLimit"],
                )
                for item in body["Properties"]["MethodSettings"]
            }
            assert settings[("/*", "*")] == (DEFAULT_THROTTLE["rate"], DEFAULT_THROTTLE["burst"]), entry[
                "name"
            ]
            # the API's own paths, in the encoding MethodSettings wants (/~1a~1b for /a/b)
            paths = body["Properties"]["DefinitionBody"]["paths"]
            for path, method in settings:
                if path != "/*":
                    assert method.lower() in paths[path[1:].replace("~1", "/")], (path, method)
            if entry["name"] == "auth":
                for route in (
                    "/~1login",
                    "/~1register",
                    "/~1password~1forgot",
                    "/~1me~1email-change",
                    "/~1oauth~1token",
                ):
                    rate, burst = settings[(route, "POST")]
                    assert rate < DEFAULT_THROTTLE["rate"] and burst <= DEFAULT_THROTTLE["burst"]


def test_a_route_throttled_that_the_app_does_not_have_is_refused(tmp_path: Path) -> None:
    from infra.service_stack import Service, ServiceError, method_settings

    (tmp_path / "resources.json").write_text(
        json.dumps({"Metadata": {"GuichetThrottling": {"POST /logn": {"rate": 5, "burst": 10}}}})
    )
    with pytest.raises(ServiceError, match="not a route of the API"):
        method_settings(Service("auth", tmp_path), {"/login": ["POST"]})
    (tmp_path / "resources.json").write_text(
        json.dumps({"Metadata": {"GuichetThrottling": {"POST /login": {"rate": 50, "burst": 10}}}})
    )
    with pytest.raises(ServiceError, match="rate <= burst"):
        method_settings(Service("auth", tmp_path), {"/login": ["POST"]})


def test_a_web_acl_limits_each_client_address_on_every_api(packaged: Path, manifest: dict[str, Any]) -> None:
    import re

    from infra.shared_stack import SENSITIVE_PATHS

    shared = load(packaged / "shared" / "template.json")
    (acl,) = _of_type(shared, "AWS::WAFv2::WebACL").values()
    properties = acl["Properties"]
    assert properties["Scope"] == "REGIONAL" and properties["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in properties["Rules"]}
    assert set(rules) == {"sensitive-requests-per-address", "requests-per-address"}
    for rule in rules.values():
        rate = rule["Statement"]["RateBasedStatement"]
        assert rate["AggregateKeyType"] == "IP" and rate["EvaluationWindowSec"] == 300
        response = rule["Action"]["Block"]["CustomResponse"]
        assert response["ResponseCode"] == 429
        assert {"Name": "Retry-After", "Value": "300"} in response["ResponseHeaders"]
        body = json.loads(properties["CustomResponseBodies"][response["CustomResponseBodyKey"]]["Content"])
        assert set(body["error"]) == {"code", "message"}  # the API's error body
    limits = {name: rule["Statement"]["RateBasedStatement"]["Limit"] for name, rule in rules.items()}
    assert limits["sensitive-requests-per-address"] < limits["requests-per-address"]
    # the sensitive rule sees the routes that check a password or mail, through the custom domain
    # and through the stage's own URL, and nothing else
    sensitive = re.compile(SENSITIVE_PATHS)
    for path in (
        "/auth/login",
        "/auth/refresh",
        "/auth/register",
        "/api/password/forgot",
        "/auth/me/email-change",
    ):
        assert sensitive.match(path), path
    for path in ("/auth/me", "/invoices/in_1/pdf", "/subscriptions/orders", "/auth/login/extra"):
        assert not sensitive.match(path), path
    # and the web ACL is on every API's stage
    associated = {
        body["Properties"]["ResourceArn"]["Fn::Sub"]
        for body in _of_type(shared, "AWS::WAFv2::WebACLAssociation").values()
    }
    with_api = [entry for entry in manifest["services"] if entry["rest_api_parameter"]]
    assert len(associated) == len(with_api)
    for entry in with_api:
        assert any(f"${{{entry['rest_api_parameter']}}}/stages/" in arn for arn in associated), entry["name"]


def test_every_rule_target_sends_what_it_cannot_deliver_to_the_own_dead_letter_queue(
    packaged: Path, services: list[Service]
) -> None:
    for service, (template, queue_id) in _dead_letter_queues(packaged, services).items():
        rules = _of_type(template, "AWS::Events::Rule")
        assert rules, service
        for rule in rules.values():
            for target in rule["Properties"]["Targets"]:
                assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}, service
                assert 60 <= target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 3600, service

        # and the queue lets exactly those rules send to it, nobody else
        (policy,) = _of_type(template, "AWS::SQS::QueuePolicy").values()
        assert policy["Properties"]["Queues"] == [{"Ref": queue_id}]
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert (statement["Effect"], statement["Principal"]) == ("Allow", {"Service": "events.amazonaws.com"})
        assert (statement["Action"], statement["Resource"]) == (
            "sqs:SendMessage",
            {"Fn::GetAtt": [queue_id, "Arn"]},
        )
        senders = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
        assert sorted(sender["Fn::GetAtt"][0] for sender in senders) == sorted(rules), service


def test_the_shared_stack_alarms_on_the_business_signals_that_need_an_operator(
    packaged: Path, services: list[Service]
) -> None:
    from guichet_contracts.observability import NAMESPACE, SIGNALS

    resources = load(packaged / "shared" / "template.json")["Resources"]
    alarms = {
        (body["Properties"]["MetricName"], dimensions["service"]): body["Properties"]
        for body in resources.values()
        if body["Type"] == "AWS::CloudWatch::Alarm" and body["Properties"]["Namespace"] == NAMESPACE
        for dimensions in [{item["Name"]: item["Value"] for item in body["Properties"]["Dimensions"]}]
    }
    names = {service.name for service in services}
    expected = {
        (signal.name, service): signal
        for signal in SIGNALS
        if signal.alarm
        for service in signal.emitted_by
        if service in names
    }

    assert {
        "PaymentsFailed",
        "RefundsDue",
        "MailsNotSent",
        "MeterRowsRejected",
        "WebhookDeliveriesFailed",
        "EventsRefused",
    } <= {signal for signal, _ in expected}
    assert set(alarms) == set(expected)
    for (signal_name, service), alarm in alarms.items():
        signal = expected[(signal_name, service)]
        assert alarm["Dimensions"] == [
            {"Name": "service", "Value": service},
            {"Name": "stage", "Value": "prod"},
        ]
        assert (alarm["Threshold"], alarm["Period"]) == (signal.alarm.threshold, signal.alarm.period_seconds)  # type: ignore[union-attr]
        assert alarm["Statistic"] == "Sum" and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_api_gateways_own_answers_carry_the_error_body_and_every_header(
    packaged: Path, services: list[Service]
) -> None:
    """An unknown path, a throttled request, any other refusal or failure of API Gateway itself:
    the API's error body, the security headers, the portal's CORS origin, Retry-After where a
    retry helps; an unknown path is a 404 as in the local run."""
    for service in services:
        template = load(packaged / service.name / "template.json")
        responses = {
            body["Properties"]["ResponseType"]: body["Properties"]
            for body in template["Resources"].values()
            if body["Type"] == "AWS::ApiGateway::GatewayResponse"
        }
        assert set(responses) == set(GATEWAY_RESPONSES), service.name
        assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
        for kind, properties in responses.items():
            headers = {
                name.removeprefix("gatewayresponse.header."): value
                for name, value in properties["ResponseParameters"].items()
            }
            for name, value in SECURITY_HEADERS.items():
                assert headers[name] == "'" + value.replace("'", "\\'") + "'", (service.name, kind, name)
            assert headers["Access-Control-Allow-Origin"] == "'https://espace-client.example.com'"
            assert ("Retry-After" in headers) == (properties.get("StatusCode") in ("429", "503")), kind
            error = json.loads(properties["ResponseTemplates"]["application/json"])["error"]
            assert set(error) == {"code", "message"} and error["code"] == GATEWAY_RESPONSES[kind][1]


def test_the_deployed_api_answers_the_portals_preflight_requests(
    packaged: Path, services: list[Service]
) -> None:
    """Chalice declares an OPTIONS method on every path of the API, allowing the portal's
    origin (the stage's GUICHET_PUBLIC_URL) and the headers the portal sends."""
    for service in services:
        sam = load(packaged / service.name / "sam.json")
        body = sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
        for path, methods in body["paths"].items():
            assert "options" in methods, f"{service.name} {path}: no preflight"
            answer = methods["options"]["x-amazon-apigateway-integration"]["responses"]["default"]
            parameters = answer["responseParameters"]
            assert parameters["method.response.header.Access-Control-Allow-Origin"] == (
                "'https://espace-client.example.com'"
            ), (service.name, path)
            allowed = parameters["method.response.header.Access-Control-Allow-Headers"]
            assert "Idempotency-Key" in allowed and "Authorization" in allowed, (service.name, path)
            # the auth service's session cookie: its header, and credentials there alone
            assert "X-Guichet-Session" in allowed, (service.name, path)
            credentials = parameters.get("method.response.header.Access-Control-Allow-Credentials")
            assert credentials == ("'true'" if service.name == "auth" else None), (service.name, path)
