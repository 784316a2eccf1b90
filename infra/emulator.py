"""A packaged template as moto's CloudFormation can deploy it, and a copy of a whole stage so made.

moto ignores a RestApi's OpenAPI `Body`, so the API has no methods and creating its
`AWS::ApiGateway::Deployment` fails ("The REST API doesn't contain any methods"); the
`AWS::ApiGateway::Stage` hangs on that deployment. Both are left out, and so are the types its
CloudFormation does not know but other resources refer to (an API's custom domain, the
portal's CloudFront distribution and its parts), with every resource and output referring to
what was left out (the domain's alias record and base path mappings, the portal bucket's
policy); everything else deploys as is (moto skips, with a warning, the types it does not know,
such as the shared stack's `AWS::CloudWatch::Alarm` and `AWS::S3::BucketPolicy` and the services'
`AWS::Lambda::EventInvokeConfig` and `AWS::SQS::QueuePolicy`).
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import warnings
from pathlib import Path
from typing import Any

UNDEPLOYABLE = (
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::DomainName",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::Function",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::ResponseHeadersPolicy",
)

_SKIPPED = re.compile(r"parse (AWS::\S+) but it's not supported")


def skipped_types(caught: list[warnings.WarningMessage]) -> set[str]:
    """The resource types moto's CloudFormation skipped, from the warnings it gave."""
    found = (_SKIPPED.search(str(w.message)) for w in caught)
    return {match.group(1) for match in found if match}


def _refers_to(value: Any, names: set[str]) -> bool:
    if isinstance(value, dict):
        if value.get("Ref") in names:
            return True
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute and attribute[0] in names:
            return True
        substitution = value.get("Fn::Sub")
        text = substitution[0] if isinstance(substitution, list) else substitution
        if isinstance(text, str) and any(
            "${" + name + "}" in text or "${" + name + "." in text for name in names
        ):
            return True
        return any(_refers_to(item, names) for item in value.values())
    if isinstance(value, list):
        return any(_refers_to(item, names) for item in value)
    return False


def for_emulator(template: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The template without what moto cannot deploy, nor what refers to it (an API's custom
    domain takes its alias record and base path mappings with it), and the logical ids left
    out."""
    template = copy.deepcopy(template)
    resources = template["Resources"]
    removed = {name for name, body in resources.items() if body["Type"] in UNDEPLOYABLE}
    while dependents := {
        name
        for name, body in resources.items()
        if name not in removed and _refers_to({**body, "DependsOn": None}, removed)
    }:
        removed |= dependents
    for name in removed:
        del resources[name]
    for body in resources.values():
        depends = body.get("DependsOn")
        if isinstance(depends, str) and depends in removed:
            del body["DependsOn"]
        elif isinstance(depends, list):
            body["DependsOn"] = [name for name in depends if name not in removed]
    template["Outputs"] = {
        name: output
        for name, output in template.get("Outputs", {}).items()
        if not _refers_to(output, removed)
    }
    return template, sorted(removed)


def emulator_copy(packaged: Path, target: Path) -> dict[str, list[str]]:
    """A copy under `target` of the stage `infra.package` wrote to `packaged`, every stack's
    template made deployable by moto (`for_emulator`); the code and the portal's files are
    linked, not copied. Returns, for each stack's folder, the logical ids left out."""
    manifest = json.loads((packaged / "manifest.json").read_text())
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(packaged / "manifest.json", target)
    folders = [entry["name"] for entry in manifest["services"]] + ["shared"]
    if manifest.get("portal"):
        folders.append("portal")
    removed: dict[str, list[str]] = {}
    for folder in folders:
        (target / folder).mkdir()
        for item in (packaged / folder).iterdir():
            if item.name == "template.json":
                template, removed[folder] = for_emulator(json.loads(item.read_text()))
                (target / folder / item.name).write_text(json.dumps(template))
            else:
                (target / folder / item.name).symlink_to(item.resolve())
    return removed
