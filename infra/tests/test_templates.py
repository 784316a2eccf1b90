"""The packaged templates, offline: cfn-lint, least privilege, environment, the shared stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file

from infra import LAMBDA_RUNTIME
from infra.service_stack import PLACEHOLDER_ROLE_ARN, Service, environment_name

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
    assert len(paths) == 2 * len(services) + 1  # sam.json and template.json per service, the shared stack

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


@pytest.mark.parametrize("name", ["sam.json", "template.json"])
def test_templates_stay_under_the_cloudformation_size_limit(
    packaged: Path, services: list[Service], name: str
) -> None:
    for service in services:
        # TemplateURL accepts up to 1 MB; deploy always uploads the template to S3.
        assert (packaged / service.name / name).stat().st_size < 1_000_000
