"""How the services' AWS calls are retried when AWS throttles them or fails for a moment.

DynamoDB and SES throttle under load (ProvisionedThroughputExceededException, ThrottlingException,
SES's "Maximum sending rate exceeded") and fail at times (500): the SDK retries such a call
before the service sees it fail. Two of the defaults give up too soon under sustained faults:

- PynamoDB retries a DynamoDB call 3 times, in botocore's "standard" mode, whose retry quota
  (500 tokens per client, 5 a retry) runs out after a hundred-odd retries in a busy process: from
  then on every throttled call fails at once, and a job or a meter file that makes hundreds of
  calls never gets through. `DYNAMODB` is botocore's own policy for DynamoDB: 10 attempts, 50 ms
  doubling, no quota (`legacy` mode);
- an SES send is tried 5 times; `SES` tries it 10 times (a mail the service cannot send is a
  mail the customer never gets).

Measured by the fault-injection tier (tests/faults): at half the calls failing, the services
only answer 503 now and then instead of failing most requests, jobs and mails.
"""

from __future__ import annotations

from typing import Any

DYNAMODB: dict[str, Any] = {"mode": "legacy", "total_max_attempts": 10}
SES: dict[str, Any] = {"mode": "legacy", "total_max_attempts": 10}


def use_for_dynamodb() -> None:
    """Every PynamoDB connection made from now on retries as `DYNAMODB` says (its models'
    included): call it where the models are declared."""
    from pynamodb import settings

    # PynamoDB takes a botocore `retries` dict for this setting, though its defaults are typed narrower
    settings.default_settings_dict["retry_configuration"] = DYNAMODB  # type: ignore[assignment]


def dynamodb_config() -> Any:
    """`DYNAMODB` for a boto3 client of DynamoDB the services make themselves (Powertools'
    idempotency store: with its own defaults, a worker whose quota ran out answered 503 at every
    try of a request with an Idempotency-Key)."""
    from botocore.config import Config

    return Config(retries=dict(DYNAMODB))


def ses_config() -> Any:
    from botocore.config import Config

    return Config(retries=dict(SES))
