"""A service's own AWS resources, created from the same `resources.json` that is deployed.

`deploy_service_resources` creates the template as a CloudFormation stack wherever boto3
points (the runtime's moto server, or `moto.mock_aws()` in a service's tests) and returns the
stack Outputs as environment variables: `AuthTableName` becomes `AUTH_TABLE_NAME`.
"""

from __future__ import annotations

import json
import re
import time
from email.utils import parseaddr
from pathlib import Path
from typing import Any

_FAILED = re.compile(r"(FAILED|ROLLBACK)")
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


class ResourcesError(RuntimeError):
    pass


def environment_name(output_key: str) -> str:
    """`AuthTableName` -> `AUTH_TABLE_NAME`, `JWTSigningKeyArn` -> `JWT_SIGNING_KEY_ARN`."""
    return _WORD_BOUNDARY.sub("_", output_key).upper()


def deploy_service_resources(
    service_dir: str | Path, stack_name: str, *, client: Any = None, timeout: float = 60.0
) -> dict[str, str]:
    """Create the stack of `<service_dir>/resources.json`; its Outputs as environment variables.

    A service without resources.json has no resources: the answer is then empty.
    """
    template = Path(service_dir) / "resources.json"
    if not template.is_file():
        return {}
    if client is None:
        import boto3

        client = boto3.client("cloudformation")
    client.create_stack(
        StackName=stack_name,
        TemplateBody=template.read_text(),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    )
    deadline = time.monotonic() + timeout
    while True:
        stack = client.describe_stacks(StackName=stack_name)["Stacks"][0]
        status = stack["StackStatus"]
        if status == "CREATE_COMPLETE":
            break
        if _FAILED.search(status):
            raise ResourcesError(
                f"stack {stack_name} of {template}: {status} {stack.get('StackStatusReason', '')}"
            )
        if time.monotonic() > deadline:
            raise ResourcesError(f"stack {stack_name} of {template} still {status} after {timeout:.0f} s")
        time.sleep(0.1)
    _apply_bucket_versioning(json.loads(template.read_text()), stack_name, client)
    return {
        environment_name(output["OutputKey"]): output["OutputValue"] for output in stack.get("Outputs", [])
    }


def _apply_bucket_versioning(template: dict[str, Any], stack_name: str, client: Any) -> None:
    """moto's CloudFormation creates buckets without their VersioningConfiguration: set it, so
    that locally, as on AWS, every write of an object is kept as a version."""
    versioned = {
        name
        for name, resource in template.get("Resources", {}).items()
        if resource.get("Type") == "AWS::S3::Bucket"
        and resource.get("Properties", {}).get("VersioningConfiguration", {}).get("Status") == "Enabled"
    }
    if not versioned:
        return
    import boto3

    s3 = boto3.client("s3", region_name=client.meta.region_name)
    for resource in client.describe_stack_resources(StackName=stack_name)["StackResources"]:
        if resource["LogicalResourceId"] in versioned:
            s3.put_bucket_versioning(
                Bucket=resource["PhysicalResourceId"], VersioningConfiguration={"Status": "Enabled"}
            )


def verify_mail_sender(sender: str, *, client: Any = None) -> None:
    """Let SES send from `sender` (`Name <address>`): verify the bare address and its domain."""
    address = parseaddr(sender)[1]
    if "@" not in address:
        raise ResourcesError(f"mail sender {sender!r} has no address")
    if client is None:
        import boto3

        client = boto3.client("ses")
    client.verify_email_identity(EmailAddress=address)
    client.verify_domain_identity(Domain=address.rpartition("@")[2])


EXPORTS_BUCKET = "guichet-local-exports"


def create_exports_bucket(name: str = EXPORTS_BUCKET, *, client: Any = None) -> dict[str, str]:
    """The shared exports bucket of customers' data exports (infra's shared stack makes it on
    AWS), with its lifecycle rule; the environment variable every service reads it from."""
    if client is None:
        import boto3

        client = boto3.client("s3")
    region = client.meta.region_name
    client.create_bucket(
        Bucket=name,
        **({} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}),
    )
    client.put_bucket_lifecycle_configuration(
        Bucket=name,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-exports",
                    "Status": "Enabled",
                    "Filter": {"Prefix": "exports/"},
                    "Expiration": {"Days": 2},
                }
            ]
        },
    )
    return {"GUICHET_EXPORTS_BUCKET": name}
