"""PynamoDB models of the consumption table (single-table design; `pk`/`sk`, GSIs `by_customer`, `active`).

| item | pk | sk |
|---|---|---|
| Meter (one per subscription, or per allowance unit of a mobile line) | METER#<meter_id> | METER |
| Point (a point of delivery: the meters that ever measured it) | POINT#<point_id> | POINT |
| DayBucket (one local day of a point's half-hour readings) | POINT#<point_id> | DAY#<YYYY-MM-DD> |
| MonthTotal (a point's month, pre-aggregated from its day buckets) | POINT#<point_id> | MONTH#<YYYY-MM> |
| MonthClosed (what a meter's month close billed and published) | METER#<meter_id> | CLOSED#<YYYY-MM> |
| LateReadings (readings of a closed month to bill as a complement) | METER#<meter_id> | LATE#<YYYY-MM> |
| Corrected (an ended meter's late readings, billed later) | METER#<meter_id> | CORRECTED#<YYYY-MM> |
| PaidOut (a month of the surplus kitty paid out) | METER#<meter_id> | PAIDOUT#<payout_id> |
| Line (a mobile line: its plans and its next allowance period) | LINE#<subscription_id> | LINE |
| UsagePeriod (what an allowance period's close published) | LINE#<subscription_id> | PERIOD#<YYYY-MM-DD> |
| IngestedFile (a CSV counted once) | FILE#<sha256> | FILE |
| JobRun (the last month close_month covered) | JOB#close_month | JOB |
| JobLease (a run of a job under way) | JOB#<job> | LEASE |

Readings belong to the point of delivery (an electricity PDL, a mobile line's allowance unit),
not to a meter: every meter of a point (the successive occupants of a home) reads the same day
buckets, each only on its own days. A point-year is one Query of ≤ 366 day buckets, each holding
its half-hours as one compact string (ten to twenty times cheaper to decode than an item per
reading: `make bench`, docs/PERFORMANCE.md). `by_customer` lists a customer's meters in one Query;
`active` (sharded) is what the jobs walk: electricity meters for the monthly close
(`ACTIVE#<n>`), mobile lines by the end of their next allowance period (`LINE#<n>`, sorted by
that day).
"""

from __future__ import annotations

from guichet_contracts import retries
from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from .settings import settings

retries.use_for_dynamodb()  # DynamoDB's own retry policy, not PynamoDB's (guichet_contracts.retries)

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
    """What one subscription measures: its own days [active_from, closed_on] of one point."""

    meter_id = UnicodeAttribute()  # E<subscription_id>, or M<subscription_id>-<unit> for a mobile line
    point_id = UnicodeAttribute()  # where its readings are: the PDL, else the meter id
    customer_id = UnicodeAttribute()
    subscription_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # electricity | mobile
    unit = UnicodeAttribute()  # kWh | GB | min | sms
    pdl = UnicodeAttribute(null=True)
    offer = UnicodeAttribute(null=True)  # virtual_storage | surplus_resale | green | base …
    has_production = BooleanAttribute(default=False)
    payment_mode = UnicodeAttribute(null=True)  # monthly | per_invoice
    # electricity: the tariff history, oldest first (chalicelib/tariffs.py)
    tariffs = JSONAttribute(null=True)
    status = UnicodeAttribute()  # active | closed
    active_from = UnicodeAttribute()  # YYYY-MM-DD: the subscription's first day
    # YYYY-MM-DD: the first day Guichet bills, when later than active_from (a contract imported
    # from the provider, which billed the days before): the days before are shown, never billed
    billed_from = UnicodeAttribute(null=True)
    closed_on = UnicodeAttribute(null=True)  # its last day (inclusive)
    updated_at = UTCDateTimeAttribute()
    revision = NumberAttribute(default=0)  # a write changing a meter is conditional on it


class Point(Item, discriminator="point"):
    """A point of delivery: the meters that measure it, from one occupant to the next."""

    point_id = UnicodeAttribute()
    meter_ids = UnicodeSetAttribute()


class DayBucket(Item, discriminator="day"):
    day = UnicodeAttribute()
    slots = NumberAttribute()  # 46, 48 or 50 half-hours (daylight-saving days)
    consumption = UnicodeAttribute()  # "0.412,0.398,,…": one value per half-hour, empty = no reading
    injection = UnicodeAttribute(null=True)
    consumed = UnicodeAttribute()  # the day's totals, decimal text
    peak = UnicodeAttribute()  # the split with the off-peak hours `hours` (of the day's occupant)
    off_peak = UnicodeAttribute()
    hours = UnicodeAttribute(null=True)  # "22:00-06:00,…"; "" or null: no off-peak hours
    injected = UnicodeAttribute()
    readings = NumberAttribute()  # half-hours with a consumption reading
    version = VersionAttribute()


class MonthTotal(Item, discriminator="month"):
    month = UnicodeAttribute()
    consumed = UnicodeAttribute()
    peak = UnicodeAttribute()
    off_peak = UnicodeAttribute()
    hours = UnicodeAttribute(null=True)  # the hours every day was split with; null: not all the same
    injected = UnicodeAttribute()
    days_with_readings = NumberAttribute()
    days_in_month = NumberAttribute()
    revision = NumberAttribute(default=0)


class MonthClosed(Item, discriminator="closed"):
    month = UnicodeAttribute()
    consumed_kwh = UnicodeAttribute()  # the meter's own days of the month, as read at the close
    billed_peak_kwh = UnicodeAttribute()
    billed_off_peak_kwh = UnicodeAttribute()
    injected_kwh = UnicodeAttribute()
    stored_kwh = UnicodeAttribute(null=True)  # virtual battery
    restored_kwh = UnicodeAttribute(null=True)
    level_kwh = UnicodeAttribute(null=True)
    resale_cents_per_kwh = UnicodeAttribute(null=True)  # surplus resale
    credited_cents = NumberAttribute(null=True)
    kitty_cents = NumberAttribute(null=True)
    # injection settled at this close: the month's own, plus late readings of earlier months, plus
    # what a downward correction left owed (`injection_owed_kwh`, ≤ 0, carried to the next close)
    settled_injection_kwh = UnicodeAttribute(null=True)
    injection_owed_kwh = UnicodeAttribute(null=True)
    # what was billed for each own day (chalicelib/complements.py), updated when a complement is
    billed_days = UnicodeAttribute(null=True)
    revision = NumberAttribute(default=0)
    # the events this close tells, published after it is saved (again by a run finding them untold)
    announcement = JSONAttribute(null=True)
    announced = BooleanAttribute(default=False)
    closed_at = UTCDateTimeAttribute()


class Corrected(Item, discriminator="corrected"):
    """What the close of `month` billed of an ended meter's late readings (ConsumptionCorrected)."""

    month = UnicodeAttribute()
    announcement = JSONAttribute(null=True)  # None: the late readings changed nothing to bill
    announced = BooleanAttribute(default=False)
    closed_at = UTCDateTimeAttribute()


class PaidOut(Item, discriminator="paid_out"):
    """A month of the surplus kitty paid out to the customer (invoices' SurplusPaidOut), once."""

    payout_id = UnicodeAttribute()
    month = UnicodeAttribute()
    invoice_id = UnicodeAttribute()
    amount_cents = NumberAttribute()
    paid_on = UnicodeAttribute()
    recorded_at = UTCDateTimeAttribute()


class LateReadings(Item, discriminator="late"):
    """Readings landed in a month the meter may have closed: its next close bills the difference."""

    month = UnicodeAttribute()
    revision = NumberAttribute()  # every file touching the month adds one


class Line(Item, discriminator="line"):
    """A mobile line: its plans over time and the allowance period the daily job closes next."""

    subscription_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    started_on = UnicodeAttribute()  # its billing day: periods are [started_on + k months, + k+1)
    closed_on = UnicodeAttribute(null=True)  # its last day of service
    units = JSONAttribute()  # ["GB", "min", "sms"]: its meters are M<subscription_id>-<unit>
    plans = JSONAttribute()  # [{"from", "allowances": {unit: included|null}, "out_of_plan_cents"}]
    next_period_start = UnicodeAttribute()  # the first period not closed yet
    updated_at = UTCDateTimeAttribute()
    revision = NumberAttribute(default=0)


class UsagePeriod(Item, discriminator="usage_period"):
    period_start = UnicodeAttribute()
    period_end = UnicodeAttribute()  # exclusive
    announcement = JSONAttribute()  # the UsagePeriodClosed it tells
    announced = BooleanAttribute(default=False)
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


def point_pk(point_id: str) -> str:
    return f"POINT#{point_id}"


def line_pk(subscription_id: str) -> str:
    return f"LINE#{subscription_id}"


def customer_pk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


_connection: Connection | None = None


def transaction() -> TransactWrite:
    global _connection
    if _connection is None:
        _connection = Connection()
    return TransactWrite(connection=_connection)
