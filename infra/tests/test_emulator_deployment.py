"""Real deployments into moto's CloudFormation: each service's translated template, then the
whole stage through `infra.deploy`.

moto cannot deploy a RestApi's Deployment and Stage (it ignores the OpenAPI body), so they are
left out (`infra.emulator`); it skips the alarms and the bucket policy of the shared stack, and
the services' `AWS::Lambda::EventInvokeConfig` (retries and on-failure destination),
`AWS::SQS::QueuePolicy` and `AWS::ApiGateway::GatewayResponse` (checked in the templates instead): the tests
check that what those name (the function, the dead-letter queue) is what moto created.
"""

from __future__ import annotations

import ast
import json
import warnings
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import deploy, stack_name
from infra.emulator import emulator_copy, skipped_types
from infra.service_stack import Service, environment_name

from .conftest import REGION, load

BUCKET = "guichet-test-artifacts"
# What moto's CloudFormation skips with a warning: only these, and only in the shared stack.
# (The web ACL is checked in the template: test_templates.)
SKIPPED_IN_SHARED = {
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
    "AWS::CloudWatch::Alarm",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
}
# ... and in a service stack, only the asynchronous-invocation settings of its functions, its
# dead-letter queue's policy and API Gateway's own answers (checked in the template: test_templates).
SKIPPED_IN_SERVICES = {
    "AWS::Lambda::EventInvokeConfig",
    "AWS::SQS::QueuePolicy",
    "AWS::ApiGateway::GatewayResponse",
}


def _resolve(value: Any, physical: dict[str, str]) -> Any:
    return physical[value["Ref"]] if isinstance(value, dict) and "Ref" in value else value


@pytest.fixture(scope="module")
def emulator_templates(packaged: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the packaged stage, each template made deployable by moto."""
    copy = tmp_path_factory.mktemp("emulator") / "stage"
    removed = emulator_copy(packaged, copy)
    for entry in load(packaged / "manifest.json")["services"]:
        assert removed[entry["name"]], "nothing left out: is the moto caveat still needed?"
    return copy


def test_each_service_template_deploys_and_creates_its_tables(
    aws_credentials: None, emulator_templates: Path, services: list[Service]
) -> None:
    for service in services:
        with mock_aws(), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            s3 = boto3.client("s3", region_name=REGION)
            s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
            s3.upload_file(str(emulator_templates / service.name / "deployment.zip"), BUCKET, "code.zip")
            cfn = boto3.client("cloudformation", region_name=REGION)
            stack = stack_name("prod", service.name)

            cfn.create_stack(
                StackName=stack,
                TemplateBody=(emulator_templates / service.name / "template.json").read_text(),
                Parameters=[
                    {"ParameterKey": "ArtifactBucket", "ParameterValue": BUCKET},
                    {"ParameterKey": "ArtifactKey", "ParameterValue": "code.zip"},
                ],
                Capabilities=["CAPABILITY_IAM"],
            )

            status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
            assert status == "CREATE_COMPLETE", service.name
            template = load(emulator_templates / service.name / "template.json")
            types = {body["Type"] for body in template["Resources"].values()}
            assert skipped_types(caught) == SKIPPED_IN_SERVICES & types, (
                f"moto skipped part of {service.name}"
            )
            summaries = cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]
            physical = {summary["LogicalResourceId"]: summary["PhysicalResourceId"] for summary in summaries}
            declared = service.resources.get("Resources", {})
            assert set(declared) <= set(physical)
            dynamodb = boto3.client("dynamodb", region_name=REGION)
            for logical_id, body in declared.items():
                if body["Type"] != "AWS::DynamoDB::Table":
                    continue
                table = dynamodb.describe_table(TableName=physical[logical_id])["Table"]
                assert table["KeySchema"] == body["Properties"]["KeySchema"]
                wanted = {
                    index["IndexName"]: index["KeySchema"]
                    for index in body["Properties"].get("GlobalSecondaryIndexes", [])
                }
                found = {
                    index["IndexName"]: index["KeySchema"]
                    for index in table.get("GlobalSecondaryIndexes", [])
                }
                assert found == wanted, logical_id

            functions = boto3.client("lambda", region_name=REGION).list_functions()["Functions"]
            role = boto3.client("iam").get_role(RoleName=physical["FunctionRole"])["Role"]["Arn"]
            assert functions
            for function in functions:
                assert function["Role"] == role
                variables = function["Environment"]["Variables"]
                for output, body in service.resources.get("Outputs", {}).items():
                    assert variables[environment_name(output)] == _resolve(body["Value"], physical)

            _check_dead_letters(template, physical, role)


def _policy(document: Any) -> dict[str, Any]:
    """A role's inline policy as moto answers it: the document, or the Python repr of the dict
    CloudFormation gave it."""
    if isinstance(document, dict):
        return document
    try:
        return dict(json.loads(document))
    except ValueError:
        return dict(ast.literal_eval(document))


def _check_dead_letters(template: dict[str, Any], physical: dict[str, str], role_arn: str) -> None:
    """The dead-letter queue moto created, the role's permission on it, and the function and
    queue each skipped EventInvokeConfig names."""
    configs = [
        body["Properties"]
        for body in template["Resources"].values()
        if body["Type"] == "AWS::Lambda::EventInvokeConfig"
    ]
    queues = [name for name, body in template["Resources"].items() if body["Type"] == "AWS::SQS::Queue"]
    if not configs:
        assert not queues
        return
    sqs = boto3.client("sqs", region_name=REGION)
    [queue_id] = queues
    attributes = sqs.get_queue_attributes(QueueUrl=physical[queue_id], AttributeNames=["All"])["Attributes"]
    assert attributes["QueueArn"].endswith(":" + template["Resources"][queue_id]["Properties"]["QueueName"])
    assert attributes["MessageRetentionPeriod"] == str(14 * 24 * 60 * 60)  # moto's default is 4 days
    assert attributes["SqsManagedSseEnabled"] == "true"

    iam = boto3.client("iam")
    role = role_arn.rpartition("/")[2]
    documents = [
        iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    ]
    statements = [statement for document in documents for statement in _policy(document)["Statement"]]
    on_queue = [statement for statement in statements if "sqs:" in json.dumps(statement)]
    assert on_queue == [
        {
            "Sid": "SendToOwnDeadLetters",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": attributes["QueueArn"],
        }
    ]

    lambda_ = boto3.client("lambda", region_name=REGION)
    for config in configs:
        function = lambda_.get_function(FunctionName=physical[config["FunctionName"]["Ref"]])
        assert function["Configuration"]["Role"] == role_arn
        assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [queue_id, "Arn"]}
        # Skipped by moto: if it ever creates them, assert on what it created instead.
        assert (
            lambda_.list_function_event_invoke_configs(
                FunctionName=function["Configuration"]["FunctionName"]
            )["FunctionEventInvokeConfigs"]
            == []
        )


def test_deploy_creates_then_updates_every_stack(
    aws_credentials: None,
    emulator_templates: Path,
    manifest: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with mock_aws(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        session = boto3.Session(region_name=REGION)
        cfn = session.client("cloudformation")

        code = deploy.main(
            [
                "--stage",
                "prod",
                "--templates",
                str(emulator_templates),
                "--region",
                REGION,
                "--alarm-email",
                "ops@example.com",
            ]
        )

        assert code == 0
        assert skipped_types(caught) <= SKIPPED_IN_SHARED | SKIPPED_IN_SERVICES
        shared = cfn.describe_stacks(StackName=manifest["shared"]["stack"])["Stacks"][0]
        assert shared["StackStatus"] == "CREATE_COMPLETE"
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in shared["Parameters"]}
        for entry in manifest["services"]:
            stack = cfn.describe_stacks(StackName=entry["stack"])["Stacks"][0]
            assert stack["StackStatus"] == "CREATE_COMPLETE"
            outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
            if entry["rest_api_parameter"]:
                assert parameters[entry["rest_api_parameter"]] == outputs["RestAPIId"]
        assert parameters["AlarmEmail"] == "ops@example.com"
        account = session.client("sts").get_caller_identity()["Account"]
        buckets = {bucket["Name"] for bucket in session.client("s3").list_buckets()["Buckets"]}
        assert f"guichet-artifacts-{account}-{REGION}" in buckets
        assert f"guichet-prod-documents-{account}-{REGION}" in buckets
        printed = capsys.readouterr().out
        assert "RestAPIId = " in printed and "DocumentsBucketName = " in printed

        # Deploying again updates in place, and keeps the shared parameters not given again.
        outputs = deploy.deploy(emulator_templates, "prod", session)

        shared = cfn.describe_stacks(StackName=manifest["shared"]["stack"])["Stacks"][0]
        assert shared["StackStatus"] in ("UPDATE_COMPLETE", "CREATE_COMPLETE")
        assert {p["ParameterKey"]: p["ParameterValue"] for p in shared["Parameters"]}["AlarmEmail"] == (
            "ops@example.com"
        )
        assert set(outputs) == {entry["stack"] for entry in manifest["services"]} | {
            manifest["shared"]["stack"]
        }
        # Each service's dead-letter queue is there, and still there after the update.
        wanted = {
            body["Properties"]["QueueName"]
            for entry in manifest["services"]
            for body in load(emulator_templates / entry["name"] / "template.json")["Resources"].values()
            if body["Type"] == "AWS::SQS::Queue"
        }
        urls = session.client("sqs").list_queues().get("QueueUrls", [])
        assert wanted and wanted <= {url.rpartition("/")[2] for url in urls}


def test_deploy_refuses_templates_of_another_stage(aws_credentials: None, emulator_templates: Path) -> None:
    with mock_aws():
        session = boto3.Session(region_name=REGION)

        with pytest.raises(deploy.DeployError, match="packaged for stage 'prod'"):
            deploy.deploy(emulator_templates, "staging", session)
        with pytest.raises(deploy.DeployError, match="no such service"):
            deploy.deploy(emulator_templates, "prod", session, only=["nope"])


@pytest.mark.filterwarnings("ignore:Tried to parse AWS")
def test_deploying_one_service_maps_the_others_from_their_stacks(
    aws_credentials: None, emulator_templates: Path, manifest: dict[str, Any]
) -> None:
    first = manifest["services"][0]["name"]
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        others = [entry for entry in manifest["services"] if entry["name"] != first]
        if others:
            with pytest.raises(deploy.DeployError, match="does not exist yet"):
                deploy.deploy(emulator_templates, "prod", session, bucket=None, only=[first])
        deploy.deploy(emulator_templates, "prod", session)

        outputs = deploy.deploy(emulator_templates, "prod", session, only=[first])

        assert set(outputs) == {entry["stack"] for entry in manifest["services"]} | {
            manifest["shared"]["stack"]
        }
