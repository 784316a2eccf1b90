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
    included), and reads botocore's data files once per process (`share_botocore_data`): call it
    where the models are declared."""
    from pynamodb import settings

    # PynamoDB takes a botocore `retries` dict for this setting, though its defaults are typed narrower
    settings.default_settings_dict["retry_configuration"] = DYNAMODB  # type: ignore[assignment]
    share_botocore_data()


_shared_loader: Any = None


def _session_sharing_data() -> Any:
    """A new botocore session, as PynamoDB makes one for each connection (each model class) and
    thread, whose data loader is the process's one."""
    global _shared_loader
    from botocore.loaders import create_loader
    from botocore.session import Session

    session = Session()
    if _shared_loader is None:
        _shared_loader = create_loader(session.get_config_variable("data_path"))
    session.register_component("data_loader", _shared_loader)
    return session


def share_botocore_data() -> None:
    """PynamoDB's sessions share one botocore data loader. PynamoDB makes a botocore session for
    each connection, one per model class, and each session read botocore's endpoint rules and the
    DynamoDB API description from their JSON files again: 90 ms of processor per model class a
    process uses (1.3 s for the invoices' at a cold start, 4 s at each start of the local runtime),
    8 ms with the files read once. The sessions stay apart (botocore's client creation is not
    thread-safe, hence PynamoDB's one per thread); what they share is read-only data, as the clients
    of one boto3 session share it."""
    from pynamodb.connection import base

    base.get_session = _session_sharing_data  # type: ignore[attr-defined]


def dynamodb_config() -> Any:
    """`DYNAMODB` for a boto3 client of DynamoDB the services make themselves (Powertools'
    idempotency store: with its own defaults, a worker whose quota ran out answered 503 at every
    try of a request with an Idempotency-Key)."""
    from botocore.config import Config

    return Config(retries=dict(DYNAMODB))


def ses_config() -> Any:
    from botocore.config import Config

    return Config(retries=dict(SES))
