"""Prices never change silently for a running contract.

A subscription keeps the terms (price, and the tariff: energy rates, battery, resale rate,
allowances) of the catalog version it was ordered or last renewed under. A new version applies to
new orders at once and to running subscriptions at their renewal:

- terms as good or better for the customer (cheaper, or the same) apply at the next renewal;
- dearer terms apply at the first renewal at least one month after the customer was told, by a
  mail naming the old and the new price, the day they apply and the customer id. French law asks
  one month for energy (Code de la consommation L224-10) and electronic communications (L224-33),
  with the right to end the contract without fees; for the other services the notice goes with
  the renewal, as the renewal reminder (L215-1) does. One rule for every family keeps it simple
  and meets the strictest.

The notices are sent by the daily reminders job (`send_price_notices`) for each version stored
since it last looked: it reads the live subscriptions of the products whose terms went up (a Scan
of the sparse `renewals` index, once per version) and writes a PriceNotice per subscription and
version (a conditional put: one mail, however often the job runs). At a renewal
(`terms_for_renewal`) the newest notice tells whether the dearer terms may apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger
from dateutil.relativedelta import relativedelta
from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, PutError

from . import catalog, customers, mailing
from .models import Item, JobRun, Subscription
from .settings import settings

logger = Logger(child=True)

NOTICE = relativedelta(months=1)
JOB = "JOB#price_notices"


class PriceNotice(Item, discriminator="price_notice"):
    """Dearer terms announced to the customer of a subscription (sk: the catalog version)."""

    version = NumberAttribute()
    notified_on = UnicodeAttribute()  # YYYY-MM-DD
    applies_on = UnicodeAttribute()  # the first renewal day they may apply from
    price_cents = NumberAttribute()
    tariff = JSONAttribute()
    sent_at = UTCDateTimeAttribute()


@dataclass(frozen=True)
class Terms:
    version: int
    price_cents: int
    tariff: dict[str, Any]


def kept(subscription: Subscription) -> Terms:
    """The terms the subscription runs on (one from before versions: catalog.json's tariff)."""
    version = int(subscription.catalog_version or 0)
    tariff = subscription.tariff
    if tariff is None:
        tariff = catalog.tariff(subscription.product_id, version=0)
    return Terms(version, int(subscription.price_cents), dict(tariff))


def in_force(subscription: Subscription) -> Terms:
    """The terms the catalog in force gives the subscription's product and options."""
    product = catalog.product(subscription.product_id)
    return Terms(
        catalog.version(),
        catalog.price_cents(product, subscription.options or {}),
        catalog.product_tariff(product),
    )


def dearer(new: Terms, old: Terms) -> bool:
    """Whether any term is worse for the customer: a higher price or rate, a smaller battery,
    allowance or resale rate."""
    if new.price_cents > old.price_cents:
        return True
    a, b = new.tariff, old.tariff
    for name, rate in (a.get("energy_rates_cents_per_kwh") or {}).items():
        if rate > (b.get("energy_rates_cents_per_kwh") or {}).get(name, rate):
            return True
    for unit, cents in (a.get("out_of_plan_cents") or {}).items():
        if cents > (b.get("out_of_plan_cents") or {}).get(unit, cents):
            return True
    if (a.get("storage_withdrawal_cents_per_kwh") or 0) > (b.get("storage_withdrawal_cents_per_kwh") or 0):
        return True
    for name in ("resale_rate_cents_per_kwh", "battery_capacity_kwh"):
        if (a.get(name) or 0) < (b.get(name) or 0):
            return True
    included = {item["unit"]: item["included"] for item in b.get("allowances") or []}
    for item in a.get("allowances") or []:
        before = included.get(item["unit"], item["included"])
        if before is None and item["included"] is not None:
            return True  # unlimited no more
        if before is not None and item["included"] is not None and item["included"] < before:
            return True
    return False


def terms_for_renewal(subscription: Subscription, period_start: date) -> Terms:
    """The terms of the period starting `period_start`: the catalog's when they are no worse,
    or when their notice reached the customer a month before; the kept ones otherwise."""
    old, new = kept(subscription), in_force(subscription)
    if (new.price_cents, new.tariff) == (old.price_cents, old.tariff):
        return old
    if not dearer(new, old):
        return new
    notice = latest_notice(subscription.subscription_id)
    if (
        notice is not None
        and int(notice.price_cents) == new.price_cents
        and notice.tariff == new.tariff
        and date.fromisoformat(notice.applies_on) <= period_start
    ):
        return new
    return old


def latest_notice(subscription_id: str) -> PriceNotice | None:
    for notice in PriceNotice.query(f"PRICE_NOTICE#{subscription_id}", scan_index_forward=False, limit=1):
        return notice
    return None


def first_renewal_after_notice(subscription: Subscription, notified_on: date) -> date:
    """The first renewal day at least a month after the notice."""
    day = date.fromisoformat(subscription.renews_on)
    step = relativedelta(years=1) if subscription.billing_period == "year" else relativedelta(months=1)
    while day < notified_on + NOTICE:
        day += step
    return day


def send_price_notices(now: datetime) -> int:
    """Tell the customers of running subscriptions whose terms a new version makes dearer."""
    from .catalog_versions import current_version, load

    head = current_version()
    try:
        covered = int(JobRun.get(JOB, "JOB").covered_until)
    except DoesNotExist:
        covered = 0
    if head <= covered:
        return 0
    before, after = load(covered).products, load(head).products
    touched = [pid for pid, item in after.items() if before.get(pid) != item]
    sent = 0
    today = now.astimezone(settings.timezone).date()
    for start in range(0, len(touched), 50):  # is_in takes at most 100 values; keep it short
        condition = Subscription.product_id.is_in(*touched[start : start + 50])
        for subscription in Subscription.renewals.scan(filter_condition=condition):
            if subscription.status not in ("active", "suspended") or subscription.cancel_at:
                continue
            if _notify(subscription, today, now):
                sent += 1
    try:
        JobRun(JOB, "JOB", covered_until=str(head)).save(
            condition=JobRun.pk.does_not_exist() | (JobRun.covered_until != str(head))
        )
    except PutError:
        pass
    return sent


def _notify(subscription: Subscription, today: date, now: datetime) -> bool:
    old, new = kept(subscription), in_force(subscription)
    if not dearer(new, old):
        return False
    latest = latest_notice(subscription.subscription_id)
    if latest is not None and int(latest.price_cents) == new.price_cents and latest.tariff == new.tariff:
        return False  # these terms were announced already (by an earlier version)
    customer = customers.get(subscription.customer_id)
    if customer is None:
        logger.warning(
            "no customer copy: price notice not sent", extra={"subscription_id": subscription.subscription_id}
        )
        return False
    applies_on = first_renewal_after_notice(subscription, today)
    notice = PriceNotice(
        f"PRICE_NOTICE#{subscription.subscription_id}",
        f"{new.version:09d}",
        version=new.version,
        notified_on=today.isoformat(),
        applies_on=applies_on.isoformat(),
        price_cents=new.price_cents,
        tariff=new.tariff,
        sent_at=now,
    )
    try:
        notice.save(condition=PriceNotice.pk.does_not_exist())
    except PutError:
        return False
    language = customer.language
    try:
        mailing.send(
            "price_change",
            customer,
            subscription_name=subscription.name,
            label=subscription.label,
            dossier_number=subscription.dossier_number,
            applies_on=mailing.day(applies_on, language),
            old_price=mailing.money(old.price_cents, subscription.currency, language),
            new_price=mailing.money(new.price_cents, subscription.currency, language),
            billing_period=subscription.billing_period,
            rates=_rates(old, new, subscription.currency, language),
            cancel_url=mailing.portal_link("subscription", id=subscription.subscription_id, action="cancel"),
        )
    except Exception:
        notice.delete()  # not sent: the next run tries again
        raise
    logger.info(
        "price change notice sent",
        extra={
            "subscription_id": subscription.subscription_id,
            "customer_id": subscription.customer_id,
            "version": new.version,
            "applies_on": applies_on.isoformat(),
        },
    )
    return True


def _rates(old: Terms, new: Terms, currency: str, language: str) -> list[dict[str, Any]]:
    """The energy rates that change, per kWh without tax, for the mail."""
    from guichet_contracts.formatting import amount

    before = old.tariff.get("energy_rates_cents_per_kwh") or {}
    after = new.tariff.get("energy_rates_cents_per_kwh") or {}

    def per_kwh(cents: Any) -> str:
        return amount(Decimal(str(cents)) / 100, currency, language, digits=4)

    return [
        {"option": name, "old": per_kwh(before[name]), "new": per_kwh(rate)}
        for name, rate in sorted(after.items())
        if name in before and before[name] != rate
    ]
