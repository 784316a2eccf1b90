"""Infrastructure as code of Guichet: one CloudFormation stack per service plus one shared stack.

`python -m infra.package` turns every Chalice app under `services/` into a stack (its functions,
its API, the resources of its `resources.json` and one least-privilege role built from
`infra/grants.py`); `python -m infra.deploy` deploys them with boto3.
"""

from __future__ import annotations

LAMBDA_RUNTIME = "python3.12"
DEFAULT_REGION = "eu-west-3"


def stack_name(stage: str, service: str) -> str:
    """The CloudFormation stack of a service (or of `shared`) in a stage."""
    return f"guichet-{service}-{stage}"


def documents_bucket_name(stage: str) -> str:
    """The shared documents bucket, as an `Fn::Sub` string: derived, not imported, so that a
    service's grants can name it although the shared stack is deployed after the services."""
    return f"guichet-{stage}-documents-${{AWS::AccountId}}-${{AWS::Region}}"


def exports_bucket_name(stage: str) -> str:
    """The shared exports bucket (customers' data exports, GDPR), as an `Fn::Sub` string: derived,
    like the documents bucket, so that every service's grant and environment can name it."""
    return f"guichet-{stage}-exports-${{AWS::AccountId}}-${{AWS::Region}}"
