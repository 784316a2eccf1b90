"""An electricity meter's tariff history: what it is billed with, from which day.

A meter keeps every tariff its contract had, each in force from its first day (`from`) until the
next one: the tariff option (base or peak / off-peak), the off-peak hours, the kWh rates, the
monthly subscription price, and the virtual battery or the surplus resale of its offer. The
activation gives the first one (from the subscription's start); each contract change
(SubscriptionChanged) adds one from its `effective_on` — always the first day of a month for an
energy contract, so that a month is closed, and its complements billed later, with the one
tariff in force that month. Two changes of the same day: the later event wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from guichet_contracts.domain_events.subscriptions import Subscription

    from .models import Meter


@dataclass(frozen=True)
class Tariff:
    effective_on: date
    option: str  # base | off_peak
    off_peak_hours: tuple[tuple[str, str], ...]
    rates: dict[str, Decimal]  # cents per kWh, without tax
    subscription_price_cents: int  # a whole month's, tax included
    battery_capacity_kwh: Decimal | None
    withdrawal_cents_per_kwh: Decimal | None
    resale_cents_per_kwh: Decimal | None
    # the taxes the prices include (accise per kWh, CTA rate and base); None while the offer
    # stated none (a history entry from before they were carried)
    taxes: dict[str, Decimal] | None = None

    @property
    def hours(self) -> str:
        """The off-peak hours the kWh are split with ("22:00-06:00,…"; "" on the base option)."""
        return hours_key(self.option, self.off_peak_hours)

    def hours_as_dicts(self) -> list[dict[str, str]]:
        return [{"start": start, "end": end} for start, end in self.off_peak_hours]


def hours_key(option: str, off_peak_hours: tuple[tuple[str, str], ...]) -> str:
    if option != "off_peak":
        return ""
    return ",".join(f"{start}-{end}" for start, end in off_peak_hours)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def entry(subscription: Subscription, effective_on: date, *, changed_at: str) -> dict[str, Any]:
    """The history entry of a subscription's tariff as an event carries it, from `effective_on`;
    `changed_at` the time of the event that changed it ("" for the activation's)."""
    contract, tariff = subscription.contract, subscription.tariff
    return {
        "from": effective_on.isoformat(),
        "tariff_option": contract.tariff_option or "base",
        "off_peak_hours": [hours.model_dump() for hours in contract.off_peak_hours or []],
        "rates_cents_per_kwh": {
            name: str(rate) for name, rate in (tariff.energy_rates_cents_per_kwh or {}).items()
        },
        "subscription_price_cents": subscription.price_cents,
        "battery_capacity_kwh": _text(tariff.battery_capacity_kwh),
        "withdrawal_cents_per_kwh": _text(tariff.storage_withdrawal_cents_per_kwh),
        "resale_cents_per_kwh": _text(tariff.resale_rate_cents_per_kwh),
        "taxes": _taxes(tariff.accise_cents_per_kwh, tariff.cta_rate_percent, tariff.cta_base_percent),
        "changed_at": changed_at,
    }


def _taxes(
    accise: Decimal | None, cta_rate: Decimal | None, cta_base: Decimal | None
) -> dict[str, str] | None:
    if accise is None or cta_rate is None or cta_base is None:
        return None
    return {
        "accise_cents_per_kwh": str(accise),
        "cta_rate_percent": str(cta_rate),
        "cta_base_percent": str(cta_base),
    }


def as_entry(tariff: Tariff) -> dict[str, Any]:
    """A tariff as its history entry holds it (`changed_at` unknown: "")."""
    return {
        "from": tariff.effective_on.isoformat(),
        "tariff_option": tariff.option,
        "off_peak_hours": tariff.hours_as_dicts(),
        "rates_cents_per_kwh": {name: str(rate) for name, rate in tariff.rates.items()},
        "subscription_price_cents": tariff.subscription_price_cents,
        "battery_capacity_kwh": _text(tariff.battery_capacity_kwh),
        "withdrawal_cents_per_kwh": _text(tariff.withdrawal_cents_per_kwh),
        "resale_cents_per_kwh": _text(tariff.resale_cents_per_kwh),
        "taxes": None if tariff.taxes is None else {name: str(rate) for name, rate in tariff.taxes.items()},
        "changed_at": "",
    }


def with_entry(history: list[dict[str, Any]], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The history with `new` in its place (replacing an older event's entry of the same day)."""
    same_day = [old for old in history if old["from"] == new["from"]]
    if same_day and same_day[0]["changed_at"] > new["changed_at"]:
        return history  # a later change of that day is already there
    kept = [old for old in history if old["from"] != new["from"]]
    return sorted([*kept, new], key=lambda item: str(item["from"]))


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _tariff(item: dict[str, Any]) -> Tariff:
    return Tariff(
        effective_on=date.fromisoformat(item["from"]),
        option=item["tariff_option"],
        off_peak_hours=tuple((hours["start"], hours["end"]) for hours in item["off_peak_hours"]),
        rates={name: Decimal(rate) for name, rate in item["rates_cents_per_kwh"].items()},
        subscription_price_cents=int(item["subscription_price_cents"]),
        battery_capacity_kwh=_decimal(item["battery_capacity_kwh"]),
        withdrawal_cents_per_kwh=_decimal(item["withdrawal_cents_per_kwh"]),
        resale_cents_per_kwh=_decimal(item["resale_cents_per_kwh"]),
        taxes=None
        if item.get("taxes") is None  # an entry kept before offers stated their taxes
        else {name: Decimal(rate) for name, rate in item["taxes"].items()},
    )


def history(meter: Meter) -> list[Tariff]:
    return [_tariff(item) for item in meter.tariffs or []]


def in_force(meter: Meter, day: date) -> Tariff | None:
    """The tariff of `day` (the first one for a day before it); None for a meter without (mobile)."""
    tariffs = history(meter)
    if not tariffs:
        return None
    found = [tariff for tariff in tariffs if tariff.effective_on <= day]
    return found[-1] if found else tariffs[0]


def hours_on(meter: Meter, day: date) -> str:
    tariff = in_force(meter, day)
    return tariff.hours if tariff else ""


def latest(meter: Meter) -> Tariff | None:
    tariffs = history(meter)
    return tariffs[-1] if tariffs else None
