"""The shared stack: what no single service owns.

- the API's custom domain, with one base path per service that has an API (`/auth`, ...),
  mapped to the RestApi of the service's stack (a parameter, filled in by `infra.deploy`);
  the domain is optional: left empty, the stack has no domain, DNS record or mappings;
- the documents bucket (invoice PDFs, contract documents), private, versioned, encrypted,
  TLS only; its name is derived from the stage and the account (`documents_bucket_name`) so
  that a service's grant (`grants.DocumentObjects`) names it without importing from this
  stack, which is deployed after the services;
- the exports bucket (customers' data exports, GDPR: guichet_contracts.personal_data), private,
  encrypted, TLS only, every object expiring `EXPORT_DAYS` after it was written (the mailed link
  works 24 h); its name derived from the stage and the account (`exports_bucket_name`), given to
  every service as GUICHET_EXPORTS_BUCKET (service_stack.py), each service writing only its own
  part (`grants.ExportParts`);
- alarms on every API's 5xx, every function's errors, every service's dead-letter queue
  holding a message (an event or a schedule a function failed or refused, or one EventBridge
  could not deliver), and the business signals that need an operator (payments failing, refunds
  to make by hand, mails not sent, meter rows rejected, events refused: the `Guichet` metrics of
  `guichet_contracts.observability`, by service and stage), sent to one SNS topic; README,
  "Operating Guichet", says what each means and what to do;
- a web ACL (WAF) on every API stage, limiting each client address: `REQUESTS_PER_ADDRESS`
  requests in any five minutes on the whole API, `SENSITIVE_REQUESTS_PER_ADDRESS` on the routes
  that check a password or a token or send mail (login, token refresh, registration, password
  reset, email change); a client over it is answered 429, with Retry-After and the API's error
  body, until its rate falls back. The services keep their own limits per address and per login
  on top (auth `login_throttle`).

It is generated from the services found, never edited by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guichet_contracts.observability import NAMESPACE, SIGNALS

from . import documents_bucket_name, exports_bucket_name
from .buckets import private_bucket_properties, tls_only
from .service_stack import pascal_case

_HOSTNAME = r"^$|^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$"
EXPORT_DAYS = 2  # a data export's parts and ZIP are deleted after this (the bucket's lifecycle rule)
RATE_WINDOW_SECONDS = 300
REQUESTS_PER_ADDRESS = 3000  # in any RATE_WINDOW_SECONDS, on the whole API
SENSITIVE_REQUESTS_PER_ADDRESS = 100  # ... on the routes that check a password or a token or send mail
# the paths, as the custom domain (/auth/...) or the stage's own URL (/api/...) shows them, of the
# routes that check a password or a token or send mail
SENSITIVE_PATHS = r"^/[a-z]+/(login|register|refresh|password/(forgot|reset)|me/email-change)/?$"
_TOO_MANY = (
    '{"error": {"code": "too_many_requests", "message": '
    '"Too many requests from your address. Try again in a few minutes."}}'
)


@dataclass(frozen=True)
class ServiceFacts:
    """What the shared stack needs to know of a service's stack."""

    name: str
    api_name: str | None  # the RestApi's Name, None for a service without routes
    api_stage: str | None
    functions: tuple[tuple[str, str], ...]  # (logical id, function name)
    dead_letter_queue: str | None  # the queue's name, None for a service without event handlers

    @property
    def rest_api_parameter(self) -> str | None:
        return f"{pascal_case(self.name)}RestApiId" if self.api_name else None


def _alarm(
    name: str,
    description: str,
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    statistic: str = "Sum",
    threshold: int = 1,
    period_seconds: int = 300,
) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": name,
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions.items()],
            "Statistic": statistic,
            "Period": period_seconds,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlarmTopic"}],
            "OKActions": [{"Ref": "AlarmTopic"}],
        },
    }


def _rate_rule(name: str, priority: int, limit: int, scope: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Limit": limit,
        "AggregateKeyType": "IP",
        "EvaluationWindowSec": RATE_WINDOW_SECONDS,
    }
    if scope is not None:
        statement["ScopeDownStatement"] = scope
    return {
        "Name": name,
        "Priority": priority,
        "Statement": {"RateBasedStatement": statement},
        "Action": {
            "Block": {
                "CustomResponse": {
                    "ResponseCode": 429,
                    "CustomResponseBodyKey": "too_many_requests",
                    "ResponseHeaders": [{"Name": "Retry-After", "Value": str(RATE_WINDOW_SECONDS)}],
                }
            }
        },
        "VisibilityConfig": {
            "SampledRequestsEnabled": True,
            "CloudWatchMetricsEnabled": True,
            "MetricName": name,
        },
    }


def _web_acl(stage: str) -> dict[str, Any]:
    sensitive = {
        "RegexMatchStatement": {
            "RegexString": SENSITIVE_PATHS,
            "FieldToMatch": {"UriPath": {}},
            "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}],
        }
    }
    return {
        "Type": "AWS::WAFv2::WebACL",
        "Properties": {
            "Name": f"guichet-{stage}-api",
            "Description": "Requests per client address on every API of Guichet",
            "Scope": "REGIONAL",
            "DefaultAction": {"Allow": {}},
            "CustomResponseBodies": {
                "too_many_requests": {"ContentType": "APPLICATION_JSON", "Content": _TOO_MANY}
            },
            "Rules": [
                _rate_rule("sensitive-requests-per-address", 0, SENSITIVE_REQUESTS_PER_ADDRESS, sensitive),
                _rate_rule("requests-per-address", 1, REQUESTS_PER_ADDRESS),
            ],
            "VisibilityConfig": {
                "SampledRequestsEnabled": True,
                "CloudWatchMetricsEnabled": True,
                "MetricName": f"guichet-{stage}-api",
            },
        },
    }


def shared_template(stage: str, services: list[ServiceFacts]) -> dict[str, Any]:
    with_api = [service for service in services if service.api_name]
    parameters: dict[str, Any] = {
        "DomainName": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": _HOSTNAME,
            "Description": "The API's custom domain, e.g. api.espace-client.example.com; empty for none",
        },
        "CertificateArn": {
            "Type": "String",
            "Default": "",
            "Description": "ACM certificate of DomainName, in the stack's region",
        },
        "HostedZoneId": {
            "Type": "String",
            "Default": "",
            "Description": "Route 53 hosted zone that receives the DomainName alias record",
        },
        "AlarmEmail": {
            "Type": "String",
            "Default": "",
            "Description": "Address subscribed to the alarm topic; empty for none",
        },
    }
    for service in with_api:
        parameters[str(service.rest_api_parameter)] = {
            "Type": "String",
            "Description": f"RestAPIId output of the {service.name} stack",
        }

    resources: dict[str, Any] = {
        "ApiDomainName": {
            "Type": "AWS::ApiGateway::DomainName",
            "Condition": "HasCustomDomain",
            "Properties": {
                "DomainName": {"Ref": "DomainName"},
                "RegionalCertificateArn": {"Ref": "CertificateArn"},
                "EndpointConfiguration": {"Types": ["REGIONAL"]},
                "SecurityPolicy": "TLS_1_2",
            },
        },
        "ApiDomainRecord": {
            "Type": "AWS::Route53::RecordSet",
            "Condition": "HasCustomDomain",
            "Properties": {
                "HostedZoneId": {"Ref": "HostedZoneId"},
                "Name": {"Ref": "DomainName"},
                "Type": "A",
                "AliasTarget": {
                    "DNSName": {"Fn::GetAtt": ["ApiDomainName", "RegionalDomainName"]},
                    "HostedZoneId": {"Fn::GetAtt": ["ApiDomainName", "RegionalHostedZoneId"]},
                },
            },
        },
        "DocumentsBucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketName": {"Fn::Sub": documents_bucket_name(stage)},
                "VersioningConfiguration": {"Status": "Enabled"},
                **private_bucket_properties(),
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "abort-incomplete-uploads",
                            "Status": "Enabled",
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                        }
                    ]
                },
            },
        },
        "DocumentsBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "DocumentsBucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [tls_only("DocumentsBucket")],
                },
            },
        },
        "ExportsBucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketName": {"Fn::Sub": exports_bucket_name(stage)},
                **private_bucket_properties(),
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "expire-exports",
                            "Status": "Enabled",
                            "Prefix": "exports/",
                            "ExpirationInDays": EXPORT_DAYS,
                        },
                        {
                            "Id": "abort-incomplete-uploads",
                            "Status": "Enabled",
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                        },
                    ]
                },
            },
        },
        "ExportsBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "ExportsBucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [tls_only("ExportsBucket")],
                },
            },
        },
        "ApiWebAcl": _web_acl(stage),
        "AlarmTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": f"guichet-{stage}-alarms", "DisplayName": f"Guichet {stage} alarms"},
        },
        "AlarmEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlarmEmail",
            "Properties": {
                "TopicArn": {"Ref": "AlarmTopic"},
                "Protocol": "email",
                "Endpoint": {"Ref": "AlarmEmail"},
            },
        },
    }
    for service in with_api:
        pascal = pascal_case(service.name)
        resources[f"{pascal}BasePathMapping"] = {
            "Type": "AWS::ApiGateway::BasePathMapping",
            "Condition": "HasCustomDomain",
            "Properties": {
                "DomainName": {"Ref": "ApiDomainName"},
                "BasePath": service.name,
                "RestApiId": {"Ref": service.rest_api_parameter},
                "Stage": service.api_stage,
            },
        }
        resources[f"{pascal}ApiWebAclAssociation"] = {
            "Type": "AWS::WAFv2::WebACLAssociation",
            "Properties": {
                "WebACLArn": {"Fn::GetAtt": ["ApiWebAcl", "Arn"]},
                "ResourceArn": {
                    "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/"
                    f"${{{service.rest_api_parameter}}}/stages/{service.api_stage}"
                },
            },
        }
        resources[f"{pascal}Api5xxAlarm"] = _alarm(
            f"guichet-{stage}-{service.name}-api-5xx",
            f"The {service.name} API answered 5xx: an unhandled error",
            "AWS/ApiGateway",
            "5XXError",
            {"ApiName": str(service.api_name), "Stage": str(service.api_stage)},
        )
    for service in services:
        pascal = pascal_case(service.name)
        for logical_id, function in service.functions:
            resources[f"{pascal}{logical_id}ErrorsAlarm"] = _alarm(
                f"{function}-errors",
                f"The {service.name} function {logical_id} failed",
                "AWS/Lambda",
                "Errors",
                {"FunctionName": function},
            )
        if service.dead_letter_queue:
            # A gauge, sampled each minute: its maximum, not its sum, is what the queue holds.
            resources[f"{pascal}DeadLettersAlarm"] = _alarm(
                f"{service.dead_letter_queue}-visible",
                f"The {service.name} dead-letter queue holds an event or a schedule a function "
                "failed or refused: inspect it, then redrive or delete it",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                {"QueueName": service.dead_letter_queue},
                statistic="Maximum",
            )
    resources.update(_signal_alarms(stage, [service.name for service in services]))

    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Guichet shared stack ({stage}): custom domain, documents bucket, web ACL, alarms",
        "Parameters": parameters,
        "Conditions": {
            "HasCustomDomain": {"Fn::Not": [{"Fn::Equals": [{"Ref": "DomainName"}, ""]}]},
            "HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]},
        },
        "Resources": resources,
        "Outputs": {
            "DocumentsBucketName": {"Value": {"Ref": "DocumentsBucket"}},
            "ExportsBucketName": {"Value": {"Ref": "ExportsBucket"}},
            "AlarmTopicArn": {"Value": {"Ref": "AlarmTopic"}},
            "ApiUrl": {"Condition": "HasCustomDomain", "Value": {"Fn::Sub": "https://${DomainName}"}},
        },
    }


def _signal_alarms(stage: str, services: list[str]) -> dict[str, Any]:
    """One alarm per business signal that needs an operator and per service that counts it (the
    services emit their EMF metrics with dimensions `service` and `stage`)."""
    alarms = {}
    for signal in SIGNALS:
        if signal.alarm is None:
            continue
        for service in signal.emitted_by:
            if service not in services:
                continue
            alarms[f"{pascal_case(service)}{signal.name}Alarm"] = _alarm(
                f"guichet-{stage}-{service}-{_kebab(signal.name)}",
                f"{signal.meaning} ({service}; README, Operating Guichet)",
                NAMESPACE,
                signal.name,
                {"service": service, "stage": stage},
                threshold=signal.alarm.threshold,
                period_seconds=signal.alarm.period_seconds,
            )
    return alarms


def _kebab(name: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")
