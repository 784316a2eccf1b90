"""Event and schedule handlers of the consumption service.

Consumed: subscriptions' SubscriptionActivated (the meters), SubscriptionCancelled and
SubscriptionExpired (their end), SubscriptionChanged (an electricity tariff or a mobile plan
from a day), SubscriptionRenewed (a new period's terms, when a newer catalog version's),
invoices' SurplusPaidOut (a month of the kitty paid out), and the "Object Created"
events S3 sends to EventBridge when a meter CSV file is dropped in the ingest bucket under
`readings/`. Each is idempotent: a meter is set to what the event says, a file is counted once,
a payout recorded once. Scheduled: the monthly close of electricity meters and the daily close
of mobile allowance periods, each taking "now" from the event so it can be run for any date
(`make job NAME=consumption.close_month`, `consumption.close_allowance_periods`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint, Cron
from guichet_contracts import events

from .settings import settings

handlers = Blueprint(__name__)

_s3_client: Any = None


def _s3() -> Any:
    global _s3_client
    if _s3_client is None:
        import boto3

        _s3_client = boto3.client("s3")
    return _s3_client


@handlers.on_cw_event(
    {"source": ["guichet.subscriptions"], "detail-type": ["SubscriptionActivated"]},
    name="subscription_activated",
)
def subscription_activated(event: Any) -> None:
    from guichet_contracts.domain_events.subscriptions import SubscriptionActivated

    from . import meters

    activated = events.received(event, SubscriptionActivated).data
    meters.activated(activated.subscription, now=datetime.now(UTC), billed_from=activated.billed_from)


@handlers.on_cw_event(
    {"source": ["guichet.invoices"], "detail-type": ["SurplusPaidOut"]}, name="surplus_paid_out"
)
def surplus_paid_out(event: Any) -> None:
    """A resale invoice was paid out: its month leaves the kitty (once)."""
    from guichet_contracts.domain_events.invoices import SurplusPaidOut

    from . import ledgers

    ledgers.paid_out(events.received(event, SurplusPaidOut).data, now=datetime.now(UTC))


@handlers.on_cw_event(
    {"source": ["guichet.subscriptions"], "detail-type": ["SubscriptionCancelled"]},
    name="subscription_cancelled",
)
def subscription_cancelled(event: Any) -> None:
    from guichet_contracts.domain_events.subscriptions import SubscriptionCancelled

    from . import meters

    cancelled = events.received(event, SubscriptionCancelled).data
    meters.ended(cancelled.subscription, cancelled.ended_on, now=datetime.now(UTC))


@handlers.on_cw_event(
    {"source": ["guichet.subscriptions"], "detail-type": ["SubscriptionExpired"]},
    name="subscription_expired",
)
def subscription_expired(event: Any) -> None:
    """A period ended without renewal: the meters end on `ended_on`, as on a cancellation."""
    from guichet_contracts.domain_events.subscriptions import SubscriptionExpired

    from . import meters

    expired = events.received(event, SubscriptionExpired).data
    meters.ended(expired.subscription, expired.ended_on, now=datetime.now(UTC))


@handlers.on_cw_event(
    {"source": ["guichet.subscriptions"], "detail-type": ["SubscriptionChanged"]},
    name="subscription_changed",
)
def subscription_changed(event: Any) -> None:
    from guichet_contracts.domain_events.subscriptions import SubscriptionChanged

    from . import meters

    envelope = events.received(event, SubscriptionChanged)
    meters.changed(
        envelope.data.subscription,
        envelope.data.effective_on,
        changed_at=envelope.occurred_at,
        now=datetime.now(UTC),
    )


@handlers.on_cw_event(
    {"source": ["guichet.subscriptions"], "detail-type": ["SubscriptionRenewed"]},
    name="subscription_renewed",
)
def subscription_renewed(event: Any) -> None:
    """A new period: its terms (a newer catalog version's, at a renewal) join the meter's history."""
    from guichet_contracts.domain_events.subscriptions import SubscriptionRenewed

    from . import meters

    envelope = events.received(event, SubscriptionRenewed)
    meters.renewed(
        envelope.data.subscription,
        envelope.data.period_start,
        changed_at=envelope.occurred_at,
        now=datetime.now(UTC),
    )


@handlers.on_cw_event(
    {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"object": {"key": [{"prefix": "readings/"}]}},
    },
    name="meter_readings_dropped",
)
def meter_readings_dropped(event: Any) -> dict[str, Any] | None:
    """Read a dropped CSV file and leave its report next to it (`reports/<name>.json`)."""
    from . import readings

    bucket = (event.detail.get("bucket") or {}).get("name")
    key = (event.detail.get("object") or {}).get("key") or ""
    if bucket != settings.ingest_bucket or not key.startswith("readings/"):
        return None  # another bucket's file
    content = _s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    report = readings.ingest(key, content, now=datetime.now(UTC)).as_dict()
    _s3().put_object(
        Bucket=bucket,
        Key="reports/" + key.removeprefix("readings/") + ".json",
        Body=json.dumps(report, ensure_ascii=False, indent=1).encode(),
        ContentType="application/json",
        ServerSideEncryption="AES256",
    )
    return report


@handlers.schedule(Cron(0, 3, 1, "*", "?", "*"), name="close_month")
def close_month(event: Any) -> dict[str, int]:
    from .closing import close_month as run

    return run(now=events.scheduled_time(event), run_id=event.event_id)


@handlers.schedule(Cron(30, 2, "*", "*", "?", "*"), name="close_allowance_periods")
def close_allowance_periods(event: Any) -> dict[str, int]:
    """Daily: each mobile line's allowance period that ended is closed and its out-of-plan use told."""
    from .lines import close_periods

    return close_periods(now=events.scheduled_time(event), run_id=event.event_id)


@handlers.on_cw_event(
    {"source": ["guichet.auth"], "detail-type": ["DataExportRequested"]}, name="data_export_requested"
)
def data_export_requested(event: Any) -> None:
    """A customer asked for their data: write this service's part, then say so (a repeat
    writes the same keys)."""
    from guichet_contracts import personal_data as shared
    from guichet_contracts.domain_events.consumption import ConsumptionDataExported

    from . import personal_data

    shared.export_on_request(
        event,
        personal_data.export,
        lambda export_id, customer_id, keys: ConsumptionDataExported(
            export_id=export_id, customer_id=customer_id, keys=keys
        ),
        bus_name=settings.event_bus_name,
    )


@handlers.on_cw_event({"source": ["guichet.auth"], "detail-type": ["CustomerClosed"]}, name="customer_closed")
def customer_closed(event: Any) -> None:
    """A customer closed the account: erase their personal data here (personal_data.py; idempotent)."""
    from guichet_contracts import personal_data as shared

    from . import personal_data

    shared.erase_on_closure(event, personal_data.erase)
