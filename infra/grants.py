"""Every IAM permission of every service, in one place.

Each service gets one role, shared by all its functions, whose policy is the statements of
`EVERY_SERVICE` plus those of `GRANTS[service]`. A grant names the service's own resources
(the logical ids of its `resources.json`) or stage-scoped names, never `*` on a data store.
A service that is not listed in `GRANTS` cannot be packaged: adding a service starts here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, Protocol

from . import documents_bucket_name, exports_bucket_name

TABLE_ITEM_ACTIONS = (
    # TransactWriteItems and TransactGetItems are authorised by the item actions they contain.
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
    "dynamodb:BatchGetItem",
)
SECRET_READ = ("secretsmanager:GetSecretValue",)
SECRET_OWNER = (
    "secretsmanager:GetSecretValue",
    "secretsmanager:CreateSecret",
    "secretsmanager:PutSecretValue",
    "secretsmanager:DescribeSecret",
)
_ACCOUNT_ARN = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:%s"


class GrantError(ValueError):
    pass


@dataclass(frozen=True)
class Scope:
    """What grants are rendered against: one service in one stage."""

    service: str
    stage: str
    resources: Mapping[str, Any]  # the Resources of the service's resources.json
    environment: Mapping[str, str]  # the environment variables Chalice gives the functions
    log_groups: Sequence[str]  # logical ids of the functions' log groups
    dead_letter_queue: str | None = None  # logical id of its dead-letter queue, if it has one


class Grant(Protocol):
    def statements(self, scope: Scope) -> list[dict[str, Any]]: ...


def _sid(*parts: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", " ".join(parts))
    return "".join(word[:1].upper() + word[1:] for word in words)


@dataclass(frozen=True)
class OwnTable:
    """Item access to one DynamoDB table of the service's resources.json and its indexes."""

    logical_id: str
    actions: tuple[str, ...] = TABLE_ITEM_ACTIONS

    def statements(self, scope: Scope) -> list[dict[str, Any]]:
        table = scope.resources.get(self.logical_id)
        if not isinstance(table, Mapping) or table.get("Type") != "AWS::DynamoDB::Table":
            raise GrantError(f"{scope.service}: {self.logical_id} is not a table of its resources.json")
        if any(not action.startswith("dynamodb:") for action in self.actions):
            raise GrantError(f"{scope.service}: OwnTable grants DynamoDB actions only")
        return [
            {
                "Sid": _sid("OwnTable", self.logical_id),
                "Effect": "Allow",
                "Action": list(self.actions),
                "Resource": [
                    {"Fn::GetAtt": [self.logical_id, "Arn"]},
                    {"Fn::Sub": f"${{{self.logical_id}.Arn}}/index/*"},
                ],
            }
        ]


@dataclass(frozen=True)
class StageSecrets:
    """Secrets Manager actions on the secrets named `guichet/<stage>/<name>` (and their suffix)."""

    names: tuple[str, ...]
    actions: tuple[str, ...] = SECRET_READ

    def statements(self, scope: Scope) -> list[dict[str, Any]]:
        if any(not action.startswith("secretsmanager:") for action in self.actions):
            raise GrantError(f"{scope.service}: StageSecrets grants Secrets Manager actions only")
        return [
            {
                "Sid": _sid("ReadSecrets" if self.actions == SECRET_READ else "UseSecrets", *self.names),
                "Effect": "Allow",
                "Action": list(self.actions),
                "Resource": [
                    {"Fn::Sub": _ACCOUNT_ARN % ("secretsmanager", f"secret:guichet/{scope.stage}/{name}*")}
                    for name in self.names
                ],
            }
        ]


@dataclass(frozen=True)
class SendEmailFrom:
    """ses:SendRawEmail as the sender configured in the stage's environment, and no other.

    The resource is the SES identity of the sender: its domain or its address, whichever ops
    verified. (An account still in the SES sandbox is also checked on recipient identities.)
    """

    sender_variable: str = "GUICHET_MAIL_SENDER"

    def statements(self, scope: Scope) -> list[dict[str, Any]]:
        _, address = parseaddr(scope.environment.get(self.sender_variable, ""))
        if "@" not in address:
            raise GrantError(f"{scope.service}: {self.sender_variable} holds no email address")
        domain = address.rpartition("@")[2]
        return [
            {
                "Sid": "SendEmail",
                "Effect": "Allow",
                "Action": ["ses:SendRawEmail"],
                "Resource": [
                    {"Fn::Sub": _ACCOUNT_ARN % ("ses", f"identity/{identity}")}
                    for identity in (domain, address)
                ],
            }
        ]


@dataclass(frozen=True)
class PublishEvents:
    """events:PutEvents on the bus named in the stage's environment (the default bus unless
    set), only with the service's own source `guichet.<service>`."""

    bus_variable: str = "GUICHET_EVENT_BUS"

    def statements(self, scope: Scope) -> list[dict[str, Any]]:
        bus = scope.environment.get(self.bus_variable) or "default"
        return [
            {
                "Sid": "PublishEvents",
                "Effect": "Allow",
                "Action": ["events:PutEvents"],
                "Resource": {"Fn::Sub": _ACCOUNT_ARN % ("events", f"event-bus/{bus}")},
                "Condition": {"StringEquals": {"events:source": f"guichet.{scope.service}"}},
            }
        ]


@dataclass(frozen=True)
class DocumentObjects:
    """Object actions under the service's own prefix (`<service>/`) of the shared documents
    bucket (invoice PDFs, contract documents). Reserved for the services that store documents."""

    actions: tuple[str, ...] = ("s3:GetObject", "s3:PutObject")

    def statements(self, scope: Scope) -> list[dict[str, Any]]:
        if any(not action.startswith("s3:") or "Bucket" in action for action in self.actions):
            raise GrantError(f"{scope.service}: DocumentObjects grants S3 object actions only")
        bucket = documents_bucket_name(scope.stage)
        return [
            {
                "Sid": "DocumentObjects",
                "Effect": "Allow",
                "Action": list(self.actions),
                "Resource": {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{bucket}/{scope.service}/*"},
            }
        ]


@dataclass(frozen=True)
class OwnBucket:
    """Object reads and writes in one S3 bucket of the service's resources.json, and listing it
    (without ListBucket, asking for a missing object answers 403 instead of 404); `versions`:
    listing the versions of its objects too (to delete them all: an account's closure)."""

    logical_id: str
    actions: tuple[str, ...] = ("s3:GetObject", "s3:PutObject")
    versions: bool = False

    def statements(self, scope: Scope) -> list[dict[str, Any]]:
        bucket = scope.resources.get(self.logical_id)
        if not isinstance(bucket, Mapping) or bucket.get("Type") != "AWS::S3::Bucket":
            raise GrantError(f"{scope.service}: {self.logical_id} is not a bucket of its resources.json")
        if any(not action.startswith("s3:") or "Bucket" in action for action in self.actions):
            raise GrantError(f"{scope.service}: OwnBucket grants S3 object actions only")
        return [
            {
                "Sid": _sid("OwnBucketObjects", self.logical_id),
                "Effect": "Allow",
                "Action": list(self.actions),
                "Resource": {"Fn::Sub": f"${{{self.logical_id}.Arn}}/*"},
            },
            {
                "Sid": _sid("OwnBucketList", self.logical_id),
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:ListBucketVersions"] if self.versions else ["s3:ListBucket"],
                "Resource": {"Fn::GetAtt": [self.logical_id, "Arn"]},
            },
        ]


@dataclass(frozen=True)
class OwnBucketPrefix:
    """Object actions under one prefix of an S3 bucket of the service's resources.json, for a
    bucket whose prefixes are read and written by different hands (a drop zone): no listing,
    and each prefix gets only what the service does there."""

    logical_id: str
    prefix: str
    actions: tuple[str, ...]

    def statements(self, scope: Scope) -> list[dict[str, Any]]:
        bucket = scope.resources.get(self.logical_id)
        if not isinstance(bucket, Mapping) or bucket.get("Type") != "AWS::S3::Bucket":
            raise GrantError(f"{scope.service}: {self.logical_id} is not a bucket of its resources.json")
        if not self.actions or any(
            not action.startswith("s3:") or "Bucket" in action for action in self.actions
        ):
            raise GrantError(f"{scope.service}: OwnBucketPrefix grants S3 object actions only")
        if not re.fullmatch(r"([A-Za-z0-9_-][A-Za-z0-9_.-]*/)+", self.prefix):
            raise GrantError(f"{scope.service}: {self.prefix!r} is not a prefix like `readings/`")
        return [
            {
                "Sid": _sid("OwnBucketObjects", self.logical_id, self.prefix),
                "Effect": "Allow",
                "Action": list(self.actions),
                "Resource": {"Fn::Sub": f"${{{self.logical_id}.Arn}}/{self.prefix}*"},
            }
        ]


@dataclass(frozen=True)
class ExportParts:
    """The shared exports bucket (customers' data exports: guichet_contracts.personal_data):
    a service writes its own part, `exports/<export_id>/<service>/...`, and nothing else; the
    assembler (auth) also reads every part, lists the bucket, writes the ZIP and deletes an
    export's objects (a closed account's)."""

    assembler: bool = False

    def statements(self, scope: Scope) -> list[dict[str, Any]]:
        arn = f"arn:${{AWS::Partition}}:s3:::{exports_bucket_name(scope.stage)}"
        if not self.assembler:
            return [
                {
                    "Sid": "ExportParts",
                    "Effect": "Allow",
                    "Action": ["s3:PutObject"],
                    "Resource": {"Fn::Sub": f"{arn}/exports/*/{scope.service}/*"},
                }
            ]
        return [
            {
                "Sid": "ExportObjects",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                ],
                "Resource": {"Fn::Sub": f"{arn}/exports/*"},
            },
            {
                "Sid": "ExportList",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": {"Fn::Sub": arn},
            },
        ]


@dataclass(frozen=True)
class WriteOwnLogs:
    """Log streams and events in the log groups of the service's own functions."""

    def statements(self, scope: Scope) -> list[dict[str, Any]]:
        if not scope.log_groups:
            return []
        return [
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [{"Fn::GetAtt": [group, "Arn"]} for group in scope.log_groups],
            }
        ]


@dataclass(frozen=True)
class SendToOwnDeadLetters:
    """sqs:SendMessage on the service's own dead-letter queue, and no other action on it: Lambda
    sends there, with the functions' role, the record of an event or a schedule a function
    failed or refused. Nothing for a service without event handlers or schedules (no queue)."""

    def statements(self, scope: Scope) -> list[dict[str, Any]]:
        if scope.dead_letter_queue is None:
            return []
        return [
            {
                "Sid": "SendToOwnDeadLetters",
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": {"Fn::GetAtt": [scope.dead_letter_queue, "Arn"]},
            }
        ]


# Given to every service: its own logs, the dead-letter queue of its event handlers and
# schedules, and the public keys that verify access tokens.
EVERY_SERVICE: tuple[Grant, ...] = (
    WriteOwnLogs(),
    SendToOwnDeadLetters(),
    StageSecrets(("jwt-public-keys",), SECRET_READ),
)

GRANTS: dict[str, tuple[Grant, ...]] = {
    "auth": (
        # customers imported by the provider: a file's parts and its report, and the invitations'
        # tokens, are written 25 to a BatchWriteItem (services/auth/chalicelib/customer_import.py)
        OwnTable("AuthTable", (*TABLE_ITEM_ACTIONS, "dynamodb:BatchWriteItem")),
        # Only auth holds the signing key and publishes the public keys; and the key sealing the
        # authenticator apps' secrets (services/auth/chalicelib/totp_sealing.py).
        StageSecrets(("jwt-signing-key", "jwt-public-keys", "totp-key"), SECRET_OWNER),
        SendEmailFrom("GUICHET_MAIL_SENDER"),
        PublishEvents("GUICHET_EVENT_BUS"),
        # customers' data exports: every part read, the ZIP written, a closed account's deleted
        ExportParts(assembler=True),
    ),
    "subscriptions": (
        # the notices of a dearer catalog version read the live subscriptions of its products: one
        # Scan of the sparse `renewals` index per version (services/subscriptions/chalicelib/price_changes.py)
        OwnTable("SubscriptionsTable", (*TABLE_ITEM_ACTIONS, "dynamodb:Scan")),
        # contract documents; a closed account's are deleted, every version (personal_data.py)
        OwnBucket(
            "DocumentsBucket",
            ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"),
            versions=True,
        ),
        SendEmailFrom("GUICHET_MAIL_SENDER"),
        PublishEvents("GUICHET_EVENT_BUS"),
        ExportParts(),
    ),
    "invoices": (
        OwnTable("InvoicesTable"),
        OwnBucket("InvoicesBucket"),
        # Stripe's keys (secret, webhook signing, publishable), read when the stage takes Stripe
        StageSecrets(("stripe",), SECRET_READ),
        SendEmailFrom("GUICHET_MAIL_SENDER"),
        PublishEvents("GUICHET_EVENT_BUS"),
        ExportParts(),
    ),
    "consumption": (
        OwnTable("ConsumptionTable"),
        # Meter files are dropped under readings/ (by the meter data provider) and the service
        # leaves its report on each under reports/: it reads the one, writes the other.
        OwnBucketPrefix("ConsumptionIngestBucket", "readings/", ("s3:GetObject",)),
        OwnBucketPrefix("ConsumptionIngestBucket", "reports/", ("s3:PutObject",)),
        PublishEvents("GUICHET_EVENT_BUS"),
        ExportParts(),
    ),
}


def policy_document(scope: Scope) -> dict[str, Any]:
    """The one IAM policy of a service's role."""
    if scope.service not in GRANTS:
        raise GrantError(f"service {scope.service!r} has no grants: declare them in infra/grants.py (GRANTS)")
    statements = [
        statement
        for grant in (*EVERY_SERVICE, *GRANTS[scope.service])
        for statement in grant.statements(scope)
    ]
    sids = [statement["Sid"] for statement in statements]
    if len(set(sids)) != len(sids):
        raise GrantError(f"{scope.service}: two grants render the same statement id: {sids}")
    for statement in statements:
        for action in statement["Action"]:
            if "*" in action or action.startswith("iam:"):
                raise GrantError(f"{scope.service}: {action} is not a least-privilege action")
    return {"Version": "2012-10-17", "Statement": statements}
