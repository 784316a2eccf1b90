"""Deploy the packaged stacks with the current AWS credentials.

    python -m infra.deploy --stage prod --templates build/infra [--region eu-west-3]
        [--artifact-bucket NAME] [--service auth]
        [--domain-name api.example.com --certificate-arn ARN --hosted-zone-id ZONE] [--alarm-email ops@...]
        [--portal-domain-name espace-client.example.com --portal-certificate-arn ARN]

Reads <templates>/manifest.json (written by `infra.package`), uploads each service's
deployment.zip and template under a key derived from their content to the artifact bucket
(`guichet-artifacts-<account>-<region>` unless given, created private if missing), creates or
updates each service's stack, then the shared stack with the RestApi ids of the services, waits
for each and prints their outputs. Services first: the shared stack maps their APIs.
Shared-stack options left out keep their previous values on update.

Then the web portal, once the API has its custom domain (the portal calls it there): its stack
(`infra.portal`, with the API's origin allowed by its Content-Security-Policy), its files
uploaded to its bucket with their types and caching (assets first, named by their content;
pages last, told where the API is), and the pages invalidated in CloudFront's caches.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from . import DEFAULT_REGION

CAPABILITIES = ["CAPABILITY_IAM"]
_WAIT = {"Delay": 10, "MaxAttempts": 360}  # up to an hour: a custom domain takes a while
# Shared-stack parameter -> command line option.
SHARED_OPTIONS = {
    "DomainName": "domain_name",
    "CertificateArn": "certificate_arn",
    "HostedZoneId": "hosted_zone_id",
    "AlarmEmail": "alarm_email",
}
# Portal-stack parameter -> command line option (its HostedZoneId is the shared stack's).
PORTAL_OPTIONS = {
    "PortalDomainName": "portal_domain_name",
    "PortalCertificateArn": "portal_certificate_arn",
}
API_META = '<meta name="guichet-api" content="">'  # in the portal's pages: where the API is


class DeployError(RuntimeError):
    pass


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:32]


def artifact_bucket(session: boto3.Session, name: str | None) -> str:
    """The bucket the code and templates go to; the derived one is created if missing."""
    region = session.region_name
    if name is None:
        account = session.client("sts").get_caller_identity()["Account"]
        name = f"guichet-artifacts-{account}-{region}"
    s3 = session.client("s3")
    try:
        s3.head_bucket(Bucket=name)
        return name
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
            raise
    print(f"creating artifact bucket {name}")
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **location)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    return name


def upload(session: boto3.Session, bucket: str, key: str, path: Path) -> None:
    s3 = session.client("s3")
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return  # keys are content hashes: already there means the same bytes
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchKey"):
            raise
    s3.upload_file(str(path), bucket, key)


def template_url(session: boto3.Session, bucket: str, key: str) -> str:
    return f"https://{bucket}.s3.{session.region_name}.amazonaws.com/{key}"


def _stack(cfn: Any, name: str) -> dict[str, Any] | None:
    try:
        return dict(cfn.describe_stacks(StackName=name)["Stacks"][0])
    except ClientError as error:
        # CloudFormation says "Stack with id X does not exist" as a plain ValidationError.
        if "does not exist" in error.response["Error"]["Message"]:
            return None
        raise


def _failure_reasons(cfn: Any, name: str) -> str:
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    failed = [
        f"  {event['LogicalResourceId']} ({event['ResourceType']}): {event.get('ResourceStatusReason', '')}"
        for event in events
        if event["ResourceStatus"].endswith("_FAILED")
    ]
    return "\n".join(failed[:10])


def deploy_stack(
    session: boto3.Session,
    name: str,
    url: str,
    parameters: dict[str, str | None],
) -> dict[str, str]:
    """Creates or updates one stack and waits for it. A parameter given as None keeps its
    previous value (or its default, on creation). Returns the stack's outputs."""
    cfn = session.client("cloudformation")
    stack = _stack(cfn, name)
    if stack is not None and stack["StackStatus"] == "ROLLBACK_COMPLETE":
        # A stack whose creation failed can only be deleted.
        print(f"{name}: deleting the stack left by a failed creation")
        cfn.delete_stack(StackName=name)
        cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=_WAIT)
        stack = None
    if stack is not None and stack["StackStatus"].endswith("_IN_PROGRESS"):
        raise DeployError(f"{name} is {stack['StackStatus']}: wait for it to finish")

    if stack is None:
        given = [
            {"ParameterKey": key, "ParameterValue": value}
            for key, value in parameters.items()
            if value is not None
        ]
        print(f"{name}: creating")
        cfn.create_stack(
            StackName=name,
            TemplateURL=url,
            Parameters=given,
            Capabilities=CAPABILITIES,
            Tags=[{"Key": "guichet:stack", "Value": name}],
        )
        waiter = "stack_create_complete"
    else:
        previous = {parameter["ParameterKey"] for parameter in stack.get("Parameters", [])}
        kept: list[dict[str, Any]] = [
            {"ParameterKey": key, "UsePreviousValue": True}
            for key, value in parameters.items()
            if value is None and key in previous
        ]
        given = [
            *(
                {"ParameterKey": key, "ParameterValue": value}
                for key, value in parameters.items()
                if value is not None
            ),
            *kept,
        ]
        print(f"{name}: updating")
        try:
            cfn.update_stack(StackName=name, TemplateURL=url, Parameters=given, Capabilities=CAPABILITIES)
        except ClientError as error:
            if "No updates are to be performed" not in error.response["Error"]["Message"]:
                raise
            print(f"{name}: no changes")
            waiter = ""
        else:
            waiter = "stack_update_complete"
    if waiter:
        try:
            cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=_WAIT)
        except WaiterError as error:
            raise DeployError(f"{name} failed: {error}\n{_failure_reasons(cfn, name)}") from error
    stack = _stack(cfn, name) or {}
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def _deploy_service(
    session: boto3.Session, folder: Path, stage: str, name: str, stack: str, bucket: str
) -> dict[str, str]:
    code, template = folder / "deployment.zip", folder / "template.json"
    code_key = f"{stage}/{name}/{_digest(code)}.zip"
    template_key = f"{stage}/{name}/{_digest(template)}.template.json"
    upload(session, bucket, code_key, code)
    upload(session, bucket, template_key, template)
    return deploy_stack(
        session,
        stack,
        template_url(session, bucket, template_key),
        {"ArtifactBucket": bucket, "ArtifactKey": code_key},
    )


def deploy(
    templates: Path,
    stage: str,
    session: boto3.Session,
    bucket: str | None = None,
    only: list[str] | None = None,
    shared_parameters: dict[str, str | None] | None = None,
    portal_parameters: dict[str, str | None] | None = None,
) -> dict[str, dict[str, str]]:
    """Deploys the services' stacks, then the shared one, then the portal's. Returns every
    stack's outputs."""
    manifest = json.loads((templates / "manifest.json").read_text())
    if manifest["stage"] != stage:
        raise DeployError(f"{templates} was packaged for stage {manifest['stage']!r}, not {stage!r}")
    names = [entry["name"] for entry in manifest["services"]]
    unknown = sorted(set(only or []) - set(names))
    if unknown:
        raise DeployError(f"no such service {unknown} in {templates}/manifest.json; packaged: {names}")
    bucket = artifact_bucket(session, bucket)
    outputs: dict[str, dict[str, str]] = {}
    rest_api_ids: dict[str, str | None] = {}
    cfn = session.client("cloudformation")
    for entry in manifest["services"]:
        name, stack = entry["name"], entry["stack"]
        if (only and name not in only) or not entry["artifacts"]:
            # Not deployed now: the shared stack maps the API the service's stack already has.
            existing = _stack(cfn, stack)
            if existing is None:
                raise DeployError(f"{stack} does not exist yet: package and deploy {name} first")
            outputs[stack] = {
                output["OutputKey"]: output["OutputValue"] for output in existing.get("Outputs", [])
            }
        else:
            outputs[stack] = _deploy_service(session, templates / name, stage, name, stack, bucket)
        if entry["rest_api_parameter"]:
            rest_api_ids[entry["rest_api_parameter"]] = outputs[stack]["RestAPIId"]

    shared = templates / "shared" / "template.json"
    shared_key = f"{stage}/shared/{_digest(shared)}.template.json"
    upload(session, bucket, shared_key, shared)
    stack = manifest["shared"]["stack"]
    outputs[stack] = deploy_stack(
        session,
        stack,
        template_url(session, bucket, shared_key),
        # Left out, a parameter would fall back to its default on update: None keeps it.
        {**dict.fromkeys(SHARED_OPTIONS), **(shared_parameters or {}), **rest_api_ids},
    )
    portal = manifest.get("portal")
    api_url = outputs[stack].get("ApiUrl")
    if portal and not api_url:
        print(
            f"{portal['stack']}: not deployed: the portal calls the API on its custom domain (--domain-name)"
        )
    elif portal:
        given = {**dict.fromkeys(PORTAL_OPTIONS), **(portal_parameters or {})}
        given["HostedZoneId"] = (shared_parameters or {}).get("HostedZoneId")
        outputs[portal["stack"]] = deploy_portal(
            session, templates, stage, bucket, portal["stack"], api_url, given
        )
    return outputs


def upload_site(session: boto3.Session, bucket: str, site: Path, api_url: str) -> int:
    """Uploads the portal's files as `site.json` lists them (pages last, so a page never names an
    asset not there yet), each page told the API's origin. Returns how many were uploaded: an
    asset already there has the same content (its name is its hash)."""
    s3 = session.client("s3")
    uploaded = 0
    for entry in json.loads((site / "site.json").read_text()):
        body = (site / entry["key"]).read_bytes()
        if entry["key"].endswith(".html"):
            page = body.decode()
            if API_META not in page:
                raise DeployError(f"{entry['key']} has no {API_META}: the portal would not find the API")
            body = page.replace(API_META, f'<meta name="guichet-api" content="{api_url}">').encode()
        else:
            try:
                s3.head_object(Bucket=bucket, Key=entry["key"])
                continue
            except ClientError as error:
                if error.response["Error"]["Code"] not in ("404", "NoSuchKey"):
                    raise
        s3.put_object(
            Bucket=bucket,
            Key=entry["key"],
            Body=body,
            ContentType=entry["content_type"],
            CacheControl=entry["cache_control"],
        )
        uploaded += 1
    return uploaded


def invalidate_pages(session: boto3.Session, distribution: str, site: Path) -> str:
    """Asks CloudFront to forget the portal's pages (assets never change under their name)."""
    pages = sorted(
        "/" + entry["key"]
        for entry in json.loads((site / "site.json").read_text())
        if entry["key"].endswith(".html")
    )
    paths = ["/", *pages]
    answer = session.client("cloudfront").create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": _digest(site / "site.json")
            + hashlib.sha256(str(paths).encode()).hexdigest()[:8],
        },
    )
    return str(answer["Invalidation"]["Id"])


def deploy_portal(
    session: boto3.Session,
    templates: Path,
    stage: str,
    bucket: str,
    stack: str,
    api_url: str,
    parameters: dict[str, str | None],
) -> dict[str, str]:
    template = templates / "portal" / "template.json"
    key = f"{stage}/portal/{_digest(template)}.template.json"
    upload(session, bucket, key, template)
    outputs = deploy_stack(
        session, stack, template_url(session, bucket, key), {**parameters, "ApiOrigin": api_url}
    )
    site = templates / "portal" / "site"
    count = upload_site(session, outputs["PortalBucketName"], site, api_url)
    invalidation = invalidate_pages(session, outputs["PortalDistributionId"], site)
    print(f"{stack}: {count} files uploaded, pages invalidated ({invalidation})")
    return outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument(
        "--templates", type=Path, required=True, help="output of infra.package, e.g. build/infra"
    )
    parser.add_argument(
        "--region", help=f"AWS region (default: the credentials' region, else {DEFAULT_REGION})"
    )
    parser.add_argument(
        "--artifact-bucket", help="S3 bucket for code and templates (default: derived, created)"
    )
    parser.add_argument("--service", action="append", help="deploy only this service's stack (repeatable)")
    parser.add_argument("--domain-name", help="the API's custom domain, e.g. api.espace-client.example.com")
    parser.add_argument("--certificate-arn", help="ACM certificate of the domain, in the region")
    parser.add_argument("--hosted-zone-id", help="Route 53 zone that gets the domain's alias record")
    parser.add_argument("--alarm-email", help="address subscribed to the alarms")
    parser.add_argument("--portal-domain-name", help="the portal's domain, e.g. espace-client.example.com")
    parser.add_argument(
        "--portal-certificate-arn", help="ACM certificate of the portal's domain, in us-east-1"
    )
    args = parser.parse_args(argv)

    session = boto3.Session(region_name=args.region)
    if session.region_name is None:
        session = boto3.Session(region_name=DEFAULT_REGION)
    shared_parameters = {parameter: getattr(args, option) for parameter, option in SHARED_OPTIONS.items()}
    portal_parameters = {parameter: getattr(args, option) for parameter, option in PORTAL_OPTIONS.items()}
    try:
        outputs = deploy(
            args.templates,
            args.stage,
            session,
            args.artifact_bucket,
            args.service,
            shared_parameters,
            portal_parameters,
        )
    except (DeployError, ClientError, BotoCoreError, OSError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for stack, values in outputs.items():
        print(f"\n{stack}")
        for key, value in sorted(values.items()):
            print(f"  {key} = {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
