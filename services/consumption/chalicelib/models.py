"""PynamoDB models of the consumption table (single-table design; `pk`/`sk`, GSIs `by_customer`, `active`).

| item | pk | sk |
|---|---|---|
| Meter (from SubscriptionActivated) | METER#<meter_id> | METER |
| DayBucket (one local day of half-hour readings) | METER#<meter_id> | DAY#<YYYY-MM-DD> |
| MonthTotal (pre-aggregated from the day buckets) | METER#<meter_id> | MONTH#<YYYY-MM> |
| MonthClosed (what the month's close published: battery, surplus) | METER#<meter_id> | CLOSED#<YYYY-MM> |
| IngestedFile (a CSV counted once) | FILE#<sha256> | FILE |
| JobRun (the last month close_month covered) | JOB#close_month | JOB |
| JobLease (a run of close_month under way) | JOB#close_month | LEASE |

A meter-year is one Query of ≤ 366 day buckets, each holding its half-hours as one compact
string (FACTS.md: ~40× cheaper to decode than an item per reading). `by_customer` lists a
customer's meters in one Query; `active` (sharded) is what the monthly close walks.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from .settings import settings

ACTIVE_SHARDS = 8


class ByCustomer(GlobalSecondaryIndex["Item"]):
    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_pk = UnicodeAttribute(hash_key=True)
    customer_sk = UnicodeAttribute(range_key=True)


class Active(GlobalSecondaryIndex["Item"]):
    class Meta:
        index_name = "active"
        projection = AllProjection()

    active_pk = UnicodeAttribute(hash_key=True)
    active_sk = UnicodeAttribute(range_key=True)


class Item(Model):
    """Any item of the table; its `type` attribute says which model reads it."""

    class Meta:
        table_name = settings.table_name

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")
    customer_pk = UnicodeAttribute(null=True)
    customer_sk = UnicodeAttribute(null=True)
    active_pk = UnicodeAttribute(null=True)
    active_sk = UnicodeAttribute(null=True)
    by_customer = ByCustomer()
    active = Active()


class Meter(Item, discriminator="meter"):
    meter_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    subscription_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # electricity | mobile
    unit = UnicodeAttribute()  # kWh | GB | min | sms
    pdl = UnicodeAttribute(null=True)
    offer = UnicodeAttribute(null=True)  # virtual_storage | surplus_resale | green | base …
    tariff_option = UnicodeAttribute(null=True)  # base | off_peak
    off_peak_hours = JSONAttribute(null=True)  # [{"start": "22:00", "end": "06:00"}]
    has_production = BooleanAttribute(default=False)
    payment_mode = UnicodeAttribute(null=True)  # monthly | per_invoice
    rates_cents_per_kwh = JSONAttribute(null=True)  # {"base": "19.52", "peak": …} as decimal text
    subscription_price_cents = NumberAttribute(null=True)
    battery_capacity_kwh = UnicodeAttribute(null=True)
    withdrawal_cents_per_kwh = UnicodeAttribute(null=True)
    resale_cents_per_kwh = UnicodeAttribute(null=True)
    included = UnicodeAttribute(null=True)  # a telecom allowance; null = unlimited
    out_of_plan_cents = NumberAttribute(null=True)  # per unit beyond the allowance
    status = UnicodeAttribute()  # active | closed
    active_from = UnicodeAttribute()  # YYYY-MM-DD: readings before belong to nobody here
    closed_on = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()


class DayBucket(Item, discriminator="day"):
    day = UnicodeAttribute()
    slots = NumberAttribute()  # 46, 48 or 50 half-hours (daylight-saving days)
    consumption = UnicodeAttribute()  # "0.412,0.398,,…": one value per half-hour, empty = no reading
    injection = UnicodeAttribute(null=True)
    consumed = UnicodeAttribute()  # the day's totals, decimal text
    peak = UnicodeAttribute()
    off_peak = UnicodeAttribute()
    injected = UnicodeAttribute()
    readings = NumberAttribute()  # half-hours with a consumption reading
    version = VersionAttribute()


class MonthTotal(Item, discriminator="month"):
    month = UnicodeAttribute()
    consumed = UnicodeAttribute()
    peak = UnicodeAttribute()
    off_peak = UnicodeAttribute()
    injected = UnicodeAttribute()
    days_with_readings = NumberAttribute()
    days_in_month = NumberAttribute()
    revision = NumberAttribute(default=0)


class MonthClosed(Item, discriminator="closed"):
    month = UnicodeAttribute()
    consumed_kwh = UnicodeAttribute()
    billed_peak_kwh = UnicodeAttribute()
    billed_off_peak_kwh = UnicodeAttribute()
    injected_kwh = UnicodeAttribute()
    stored_kwh = UnicodeAttribute(null=True)  # virtual battery
    restored_kwh = UnicodeAttribute(null=True)
    level_kwh = UnicodeAttribute(null=True)
    resale_cents_per_kwh = UnicodeAttribute(null=True)  # surplus resale
    credited_cents = NumberAttribute(null=True)
    kitty_cents = NumberAttribute(null=True)
    closed_at = UTCDateTimeAttribute()


class IngestedFile(Item, discriminator="file"):
    key = UnicodeAttribute()
    rows = NumberAttribute()
    accepted = NumberAttribute()
    rejected = NumberAttribute()
    at = UTCDateTimeAttribute()


class JobRun(Item, discriminator="job_run"):
    covered_until = UnicodeAttribute()  # YYYY-MM: the last month close_month has closed


class JobLease(Item, discriminator="job_lease"):
    """A run of a job under way; another run finding it before it expires leaves the work to it."""

    holder = UnicodeAttribute()
    # epoch seconds by the wall clock: a lease is about processes running, not about the job's "now"
    expires_at = NumberAttribute()


def meter_pk(meter_id: str) -> str:
    return f"METER#{meter_id}"


def customer_pk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


_connection: Connection | None = None


def transaction() -> TransactWrite:
    global _connection
    if _connection is None:
        _connection = Connection()
    return TransactWrite(connection=_connection)
