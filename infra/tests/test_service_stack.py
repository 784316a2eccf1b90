"""The merge template and the grants, on a made-up service: no packaging, no AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra import grants
from infra.service_stack import (
    DEAD_LETTER_QUEUE_ID,
    PLACEHOLDER_ROLE_ARN,
    ROLE_ID,
    Service,
    ServiceError,
    chalice_config_for_infra,
    discover_services,
    environment_name,
    merge_template,
)

TABLE = {
    "Type": "AWS::DynamoDB::Table",
    "Properties": {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    },
}


def _function(variables: dict[str, str], event_type: str | None = None) -> dict[str, Any]:
    """A function as Chalice generates it; with an event of `event_type` (as SAM names it)."""
    properties: dict[str, Any] = {
        "Handler": "app.app",
        "Role": PLACEHOLDER_ROLE_ARN,
        "Environment": {"Variables": variables},
    }
    if event_type:
        properties["Events"] = {"TheEvent": {"Type": event_type, "Properties": {}}}
    return {"Type": "AWS::Serverless::Function", "Properties": properties}


def _chalice_template(**variables: str) -> dict[str, Any]:
    """An app with routes, a schedule, an EventBridge event handler and an SQS consumer."""
    environment = {"GUICHET_MAIL_SENDER": "Guichet <no-reply@shop.example>", **variables}
    return {
        "Resources": {
            "APIHandler": _function(environment),
            "NightlyJob": _function(environment, "Schedule"),
            "InvoicePaid": _function(environment, "CloudWatchEvent"),
            "QueueConsumer": _function(environment, "SQS"),
            "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "api"}},
        },
        "Outputs": {},
    }


def _api_only_template() -> dict[str, Any]:
    template = _chalice_template()
    for function in ("NightlyJob", "InvoicePaid", "QueueConsumer"):
        del template["Resources"][function]
    return template


def _service(tmp_path: Path, name: str, resources: dict[str, Any]) -> Service:
    directory = tmp_path / name
    (directory / ".chalice").mkdir(parents=True)
    (directory / "app.py").write_text("")
    (directory / ".chalice" / "config.json").write_text("{}")
    (directory / "resources.json").write_text(json.dumps(resources))
    return Service(name, directory)


@pytest.fixture
def with_grants(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[grants.Grant, ...]]:
    table: dict[str, tuple[grants.Grant, ...]] = {}
    monkeypatch.setattr(grants, "GRANTS", table)
    return table


def test_output_names_become_upper_snake_case_variables() -> None:
    assert environment_name("AuthTableName") == "AUTH_TABLE_NAME"
    assert environment_name("DocumentsBucketARN") == "DOCUMENTS_BUCKET_ARN"
    assert environment_name("APIUrl") == "API_URL"
    assert environment_name("Table2Name") == "TABLE2_NAME"


def test_every_function_gets_the_role_and_every_output(tmp_path: Path, with_grants: dict) -> None:
    service = _service(
        tmp_path,
        "billing",
        {
            "Resources": {"BillingTable": TABLE},
            "Outputs": {
                "BillingTableName": {"Value": {"Ref": "BillingTable"}},
                "BillingTableArn": {"Value": {"Fn::GetAtt": ["BillingTable", "Arn"]}},
            },
        },
    )
    with_grants["billing"] = (grants.OwnTable("BillingTable"),)

    merged = merge_template(service, "prod", _chalice_template())

    resources = merged["Resources"]
    assert resources["BillingTable"] == TABLE
    assert resources[ROLE_ID]["Type"] == "AWS::IAM::Role"
    for function in ("APIHandler", "NightlyJob"):
        properties = resources[function]["Properties"]
        assert properties["Role"] == {"Fn::GetAtt": [ROLE_ID, "Arn"]}
        assert properties["FunctionName"] == f"guichet-billing-prod-{function}"
        assert properties["Environment"]["Variables"] == {
            "BILLING_TABLE_NAME": {"Ref": "BillingTable"},
            "BILLING_TABLE_ARN": {"Fn::GetAtt": ["BillingTable", "Arn"]},
            # the shared exports bucket, named from the stage (customers' data exports)
            "GUICHET_EXPORTS_BUCKET": {"Fn::Sub": "guichet-prod-exports-${AWS::AccountId}-${AWS::Region}"},
        }
        assert resources[f"{function}LogGroup"]["Properties"]["LogGroupName"] == (
            f"/aws/lambda/guichet-billing-prod-{function}"
        )
    assert resources["RestAPI"]["Properties"]["Name"] == "guichet-billing-prod"
    # Chalice's merge replaces lists: nothing the merge template sets on a function is a list
    # that Chalice also sets.
    for function in ("APIHandler", "NightlyJob"):
        assert not any(isinstance(value, list) for value in resources[function]["Properties"].values())


def test_a_table_grant_names_the_table_and_its_indexes_only(tmp_path: Path, with_grants: dict) -> None:
    service = _service(tmp_path, "billing", {"Resources": {"BillingTable": TABLE}})
    with_grants["billing"] = (grants.OwnTable("BillingTable"),)

    policy = merge_template(service, "prod", _chalice_template())["Resources"][ROLE_ID]["Properties"][
        "Policies"
    ]

    statements = policy[0]["PolicyDocument"]["Statement"]
    dynamodb = [statement for statement in statements if statement["Action"][0].startswith("dynamodb:")]
    assert dynamodb[0]["Resource"] == [
        {"Fn::GetAtt": ["BillingTable", "Arn"]},
        {"Fn::Sub": "${BillingTable.Arn}/index/*"},
    ]
    assert "dynamodb:Scan" not in dynamodb[0]["Action"]


def test_a_service_without_grants_cannot_be_packaged(tmp_path: Path, with_grants: dict) -> None:
    service = _service(tmp_path, "billing", {"Resources": {"BillingTable": TABLE}})

    with pytest.raises(grants.GrantError, match=r"declare them in infra/grants\.py"):
        merge_template(service, "prod", _chalice_template())


def test_a_grant_on_a_table_the_service_does_not_own_is_refused(tmp_path: Path, with_grants: dict) -> None:
    service = _service(tmp_path, "billing", {"Resources": {"BillingTable": TABLE}})
    with_grants["billing"] = (grants.OwnTable("AuthTable"),)

    with pytest.raises(grants.GrantError, match="AuthTable is not a table"):
        merge_template(service, "prod", _chalice_template())


@pytest.mark.parametrize("action", ["dynamodb:*", "*", "iam:PassRole"])
def test_wildcards_and_iam_actions_are_refused(tmp_path: Path, with_grants: dict, action: str) -> None:
    service = _service(tmp_path, "billing", {"Resources": {"BillingTable": TABLE}})
    grant = (
        grants.OwnTable("BillingTable", actions=(action,)) if action.startswith("dynamodb:") else _Raw(action)
    )
    with_grants["billing"] = (grant,)

    with pytest.raises(grants.GrantError):
        merge_template(service, "prod", _chalice_template())


class _Raw:
    def __init__(self, action: str) -> None:
        self.action = action

    def statements(self, scope: grants.Scope) -> list[dict[str, Any]]:
        return [{"Sid": "Raw", "Effect": "Allow", "Action": [self.action], "Resource": "*"}]


def test_email_grant_is_the_configured_sender_identity(tmp_path: Path, with_grants: dict) -> None:
    service = _service(tmp_path, "billing", {})
    with_grants["billing"] = (grants.SendEmailFrom("GUICHET_MAIL_SENDER"),)

    policy = merge_template(service, "prod", _chalice_template())["Resources"][ROLE_ID]["Properties"][
        "Policies"
    ]

    statement = next(s for s in policy[0]["PolicyDocument"]["Statement"] if s["Sid"] == "SendEmail")
    identities = [resource["Fn::Sub"].rpartition(":identity/")[2] for resource in statement["Resource"]]
    assert identities == ["shop.example", "no-reply@shop.example"]


def test_events_are_published_on_the_configured_bus_with_the_service_source(
    tmp_path: Path, with_grants: dict
) -> None:
    service = _service(tmp_path, "billing", {})
    with_grants["billing"] = (grants.PublishEvents("GUICHET_EVENT_BUS"),)

    default = merge_template(service, "prod", _chalice_template())
    custom = merge_template(service, "prod", _chalice_template(GUICHET_EVENT_BUS="guichet-prod"))

    for merged, bus in ((default, "default"), (custom, "guichet-prod")):
        statements = merged["Resources"][ROLE_ID]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        statement = next(s for s in statements if s["Sid"] == "PublishEvents")
        assert statement["Resource"]["Fn::Sub"].endswith(f":event-bus/{bus}")
        assert statement["Condition"] == {"StringEquals": {"events:source": "guichet.billing"}}


def test_documents_are_reached_under_the_service_prefix_of_the_shared_bucket(
    tmp_path: Path, with_grants: dict
) -> None:
    service = _service(tmp_path, "billing", {})
    with_grants["billing"] = (grants.DocumentObjects(),)

    merged = merge_template(service, "prod", _chalice_template())

    statements = merged["Resources"][ROLE_ID]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    statement = next(s for s in statements if s["Sid"] == "DocumentObjects")
    bucket = "guichet-prod-documents-${AWS::AccountId}-${AWS::Region}"
    assert statement["Resource"] == {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{bucket}/billing/*"}
    with_grants["billing"] = (grants.DocumentObjects(("s3:DeleteBucket",)),)
    with pytest.raises(grants.GrantError):
        merge_template(service, "prod", _chalice_template())


def test_a_drop_zone_bucket_is_reached_only_under_the_prefixes_granted(
    tmp_path: Path, with_grants: dict
) -> None:
    bucket = {"Type": "AWS::S3::Bucket", "Properties": {}}
    service = _service(tmp_path, "billing", {"Resources": {"DropBucket": bucket}})
    with_grants["billing"] = (
        grants.OwnBucketPrefix("DropBucket", "incoming/", ("s3:GetObject",)),
        grants.OwnBucketPrefix("DropBucket", "reports/", ("s3:PutObject",)),
    )

    merged = merge_template(service, "prod", _chalice_template())

    statements = merged["Resources"][ROLE_ID]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    on_bucket = {
        statement["Sid"]: (statement["Action"], statement["Resource"])
        for statement in statements
        if "DropBucket" in json.dumps(statement["Resource"])
    }
    assert on_bucket == {
        "OwnBucketObjectsDropBucketIncoming": (["s3:GetObject"], {"Fn::Sub": "${DropBucket.Arn}/incoming/*"}),
        "OwnBucketObjectsDropBucketReports": (["s3:PutObject"], {"Fn::Sub": "${DropBucket.Arn}/reports/*"}),
    }
    for refused in (
        grants.OwnBucketPrefix("DropBucket", "incoming/", ("s3:DeleteBucket",)),
        grants.OwnBucketPrefix("DropBucket", "", ("s3:GetObject",)),
        grants.OwnBucketPrefix("DropBucket", "../", ("s3:GetObject",)),
        grants.OwnBucketPrefix("OtherBucket", "incoming/", ("s3:GetObject",)),
    ):
        with_grants["billing"] = (refused,)
        with pytest.raises(grants.GrantError):
            merge_template(service, "prod", _chalice_template())


def test_an_output_also_set_in_the_chalice_config_is_refused(tmp_path: Path, with_grants: dict) -> None:
    service = _service(
        tmp_path,
        "billing",
        {
            "Resources": {"BillingTable": TABLE},
            "Outputs": {"BillingTableName": {"Value": {"Ref": "BillingTable"}}},
        },
    )
    with_grants["billing"] = (grants.OwnTable("BillingTable"),)

    with pytest.raises(ServiceError, match="BILLING_TABLE_NAME"):
        merge_template(service, "prod", _chalice_template(BILLING_TABLE_NAME="hard-coded"))


def test_a_resource_named_like_a_chalice_one_is_refused(tmp_path: Path, with_grants: dict) -> None:
    service = _service(tmp_path, "billing", {"Resources": {"APIHandler": TABLE}})
    with_grants["billing"] = ()

    with pytest.raises(ServiceError, match="APIHandler"):
        merge_template(service, "prod", _chalice_template())


def test_infra_takes_over_the_role_at_every_level_of_the_chalice_config() -> None:
    config: dict[str, Any] = {
        "app_name": "guichet-billing",
        "autogen_policy": True,
        "stages": {
            "prod": {
                "manage_iam_role": True,
                "api_gateway_endpoint_type": "EDGE",
                "lambda_functions": {"nightly_job": {"iam_role_arn": "arn:aws:iam::1:role/admin"}},
            }
        },
    }

    patched = chalice_config_for_infra(config, "prod")

    assert patched["manage_iam_role"] is False
    assert patched["iam_role_arn"] == PLACEHOLDER_ROLE_ARN
    assert patched["api_gateway_endpoint_type"] == "REGIONAL"
    assert "manage_iam_role" not in patched["stages"]["prod"]
    assert "iam_role_arn" not in patched["stages"]["prod"]["lambda_functions"]["nightly_job"]
    assert config["stages"]["prod"]["manage_iam_role"] is True  # the service's own config is untouched
    with pytest.raises(ServiceError, match="no stage 'staging'"):
        chalice_config_for_infra(config, "staging")


def test_event_handlers_and_schedules_retry_then_go_to_the_service_dead_letter_queue(
    tmp_path: Path, with_grants: dict
) -> None:
    service = _service(tmp_path, "billing", {})
    with_grants["billing"] = ()

    resources = merge_template(service, "prod", _chalice_template())["Resources"]

    for function in ("NightlyJob", "InvoicePaid"):
        assert resources[function]["Properties"]["EventInvokeConfig"] == {
            "MaximumRetryAttempts": 2,
            "MaximumEventAgeInSeconds": 3600,
            "DestinationConfig": {
                "OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": [DEAD_LETTER_QUEUE_ID, "Arn"]}}
            },
        }
    # Lambda invokes neither an API handler nor an SQS consumer asynchronously.
    for function in ("APIHandler", "QueueConsumer"):
        assert "EventInvokeConfig" not in resources[function]["Properties"]
    assert resources[DEAD_LETTER_QUEUE_ID] == {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": "guichet-billing-prod-dead-letters",
            "SqsManagedSseEnabled": True,
            "MessageRetentionPeriod": 14 * 24 * 3600,
        },
    }
    statements = resources[ROLE_ID]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert [s for s in statements if "DeadLetter" in json.dumps(s) or "sqs:" in json.dumps(s)] == [
        {
            "Sid": "SendToOwnDeadLetters",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": {"Fn::GetAtt": [DEAD_LETTER_QUEUE_ID, "Arn"]},
        }
    ]


def test_a_service_without_event_handlers_or_schedules_has_no_dead_letter_queue(
    tmp_path: Path, with_grants: dict
) -> None:
    service = _service(tmp_path, "billing", {})
    with_grants["billing"] = ()

    resources = merge_template(service, "prod", _api_only_template())["Resources"]

    assert DEAD_LETTER_QUEUE_ID not in resources
    assert "EventInvokeConfig" not in resources["APIHandler"]["Properties"]
    assert "sqs:" not in json.dumps(resources[ROLE_ID])


def test_a_resource_named_like_the_dead_letter_queue_is_refused(tmp_path: Path, with_grants: dict) -> None:
    service = _service(tmp_path, "billing", {"Resources": {DEAD_LETTER_QUEUE_ID: TABLE}})
    with_grants["billing"] = ()

    with pytest.raises(ServiceError, match=DEAD_LETTER_QUEUE_ID):
        merge_template(service, "prod", _chalice_template())
    # Without event handlers or schedules the service has no queue, and the name is free.
    assert merge_template(service, "prod", _api_only_template())["Resources"][DEAD_LETTER_QUEUE_ID] == TABLE


def test_services_are_the_chalice_apps_under_services(tmp_path: Path) -> None:
    _service(tmp_path, "billing", {})
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.md").write_text("not a service")

    assert [service.name for service in discover_services(tmp_path)] == ["billing"]


def test_only_the_invoices_service_reads_the_stages_stripe_keys() -> None:
    # Given each service's grants rendered for the prod stage
    def secrets_read(service: str) -> list[Any]:
        scope = grants.Scope(service=service, stage="prod", resources={}, environment={}, log_groups=())
        statements = [
            statement
            for grant in (*grants.EVERY_SERVICE, *grants.GRANTS[service])
            if isinstance(grant, grants.StageSecrets)
            for statement in grant.statements(scope)
        ]
        return [resource["Fn::Sub"] for statement in statements for resource in statement["Resource"]]

    # Then the invoices service reads guichet/prod/stripe (its Stripe keys), read-only, and no other
    # service can
    assert any(name.endswith(":secret:guichet/prod/stripe*") for name in secrets_read("invoices"))
    for service in ("auth", "subscriptions", "consumption"):
        assert not any("stripe" in name for name in secrets_read(service)), service
