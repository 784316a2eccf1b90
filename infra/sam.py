"""From the SAM template Chalice writes to plain CloudFormation, offline.

The translated template takes the code from S3 through two parameters, `ArtifactBucket` and
`ArtifactKey`, which `infra.deploy` fills in after uploading `deployment.zip`: the same
template deploys to any account, and to the local emulator.
"""

from __future__ import annotations

import copy
import os
import threading
from typing import Any

from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

ARTIFACT_PARAMETERS = ("ArtifactBucket", "ArtifactKey")
_environment = threading.Lock()


class _NoManagedPolicies(ManagedPolicyLoader):
    """The translator asks IAM for AWS managed policies only when a function names one by
    name; roles here are explicit, so there is nothing to look up and no network to use."""

    def __init__(self) -> None:
        super().__init__(iam_client=None)  # type: ignore[arg-type]

    def load(self) -> dict[str, str]:
        return {}


def translate(sam_template: dict[str, Any], region: str) -> dict[str, Any]:
    template = copy.deepcopy(sam_template)
    code = {"Bucket": {"Ref": "ArtifactBucket"}, "Key": {"Ref": "ArtifactKey"}}
    for body in template["Resources"].values():
        if body["Type"] == "AWS::Serverless::Function":
            body["Properties"]["CodeUri"] = copy.deepcopy(code)
        elif body["Type"] == "AWS::Serverless::LayerVersion":
            raise ValueError("Chalice layers are not supported: set automatic_layer to false")
    template.setdefault("Parameters", {}).update(
        ArtifactBucket={"Type": "String", "Description": "S3 bucket holding deployment.zip"},
        ArtifactKey={"Type": "String", "Description": "S3 key of deployment.zip (changes with its content)"},
    )
    # The translator reads the region from the environment to fill in pseudo parameters.
    with _environment:
        previous = os.environ.get("AWS_DEFAULT_REGION")
        os.environ["AWS_DEFAULT_REGION"] = region
        try:
            return transform(template, {}, _NoManagedPolicies())
        finally:
            if previous is None:
                del os.environ["AWS_DEFAULT_REGION"]
            else:
                os.environ["AWS_DEFAULT_REGION"] = previous
