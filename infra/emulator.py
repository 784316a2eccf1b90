"""A translated service template as moto's CloudFormation can deploy it.

moto ignores a RestApi's OpenAPI `Body`, so the API has no methods and creating its
`AWS::ApiGateway::Deployment` fails ("The REST API doesn't contain any methods"); the
`AWS::ApiGateway::Stage` hangs on that deployment. Both are left out, with every reference to
them; everything else deploys as is (moto skips, with a warning, the types it does not know,
such as the shared stack's `AWS::CloudWatch::Alarm` and `AWS::S3::BucketPolicy` and the services'
`AWS::Lambda::EventInvokeConfig` and `AWS::SQS::QueuePolicy`).
"""

from __future__ import annotations

import copy
from typing import Any

UNDEPLOYABLE = ("AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage")


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
    """The template without what moto cannot deploy, and the logical ids left out."""
    template = copy.deepcopy(template)
    resources = template["Resources"]
    removed = {name for name, body in resources.items() if body["Type"] in UNDEPLOYABLE}
    for name in removed:
        del resources[name]
    for body in resources.values():
        depends = body.get("DependsOn")
        if isinstance(depends, str) and depends in removed:
            del body["DependsOn"]
        elif isinstance(depends, list):
            body["DependsOn"] = [name for name in depends if name not in removed]
        if _refers_to(body, removed):
            raise ValueError(f"a resource refers to {sorted(removed)}, which moto cannot deploy")
    template["Outputs"] = {
        name: output
        for name, output in template.get("Outputs", {}).items()
        if not _refers_to(output, removed)
    }
    return template, sorted(removed)
