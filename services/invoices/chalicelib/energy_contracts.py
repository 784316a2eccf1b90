"""What an electricity invoice states besides its lines (French consumer code and the arrêté of
18 April 2012 on energy bills): the delivery point (PDL), the subscribed power and the tariff
option of the contract, the offer, the billed period with its kWh marked actual or estimated,
the kWh rates, and the taxes other than VAT that its prices include (accise, CTA).

The contract's terms come from this service's own copy (`EnergyContract`, kept from the
subscription events: the activation, then each change from the day it applies), the month's
figures from its ConsumptionPeriodClosed, priced by `guichet_contracts.electricity_bill`. The
statement is written on the invoice when it is issued (`Invoice.energy`) and never read again
from elsewhere: a contract changed later does not change an invoice already issued.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from guichet_contracts import electricity_bill
from guichet_contracts.pricing import decimal_text
from pynamodb.exceptions import DoesNotExist

from .models import EnergyContract, customer_pk

if TYPE_CHECKING:
    from guichet_contracts.domain_events.consumption import ConsumptionPeriodClosed
    from guichet_contracts.domain_events.subscriptions import Subscription


def remember(subscription: Subscription, effective_on: date) -> bool:
    """Keep an electricity contract's terms from `effective_on` (a later event of the same day
    replaces an earlier one's); False for another family, which states none."""
    if subscription.family != "electricity":
        return False
    contract = subscription.contract
    terms = {
        "from": effective_on.isoformat(),
        "offer_name": subscription.name,
        "contract_number": contract.contract_number,
        "pdl": contract.pdl,
        "subscribed_power_kva": contract.subscribed_power_kva,
        "tariff_option": contract.tariff_option or "base",
    }
    key = (customer_pk(subscription.customer_id), f"ENERGY_CONTRACT#{subscription.subscription_id}")
    try:
        kept = EnergyContract.get(*key, consistent_read=True)
    except DoesNotExist:
        kept = EnergyContract(*key, subscription_id=subscription.subscription_id, terms=[])
        kept.customer_id = subscription.customer_id
    history = [item for item in kept.terms or [] if item["from"] != terms["from"]]
    kept.terms = sorted([*history, terms], key=lambda item: str(item["from"]))
    kept.save()
    return True


def in_force(customer_id: str, subscription_id: str, day: date) -> dict[str, Any] | None:
    """The contract's terms on `day` (its first ones for a day before them); None if unknown."""
    try:
        kept = EnergyContract.get(customer_pk(customer_id), f"ENERGY_CONTRACT#{subscription_id}")
    except DoesNotExist:
        return None
    terms = kept.terms or []
    applying = [item for item in terms if item["from"] <= day.isoformat()]
    return dict((applying or terms)[-1]) if terms else None


def statement(closed: ConsumptionPeriodClosed) -> dict[str, Any]:
    """What the month's invoice states of its contract, period, kWh and taxes (JSON types: kWh and
    rates as decimal text, amounts in cents)."""
    terms = in_force(closed.customer_id, closed.subscription_id, closed.period_start) or {}
    taxes = electricity_bill.taxes(closed)
    if closed.tariff_option == "off_peak":
        kwh = {"peak": closed.peak_kwh, "off_peak": closed.off_peak_kwh}
    else:
        kwh = {"base": closed.consumed_kwh}
    restored = closed.battery.restored_kwh if closed.battery is not None else None
    return {
        "pdl": terms.get("pdl"),
        "subscribed_power_kva": terms.get("subscribed_power_kva"),
        "offer_name": terms.get("offer_name"),
        "contract_number": terms.get("contract_number"),
        "tariff_option": closed.tariff_option,
        "period_start": closed.period_start.isoformat(),
        "period_end": closed.period_end.isoformat(),
        "estimated": closed.estimated,
        "kwh": {name: decimal_text(value) for name, value in kwh.items()},
        "rates_cents_per_kwh": {name: decimal_text(closed.rates_cents_per_kwh[name]) for name in kwh},
        "battery_restored_kwh": decimal_text(restored) if restored else None,
        "taxes": None
        if taxes is None
        else {
            "accise_kwh": decimal_text(taxes.accise_kwh),
            "accise_cents_per_kwh": decimal_text(taxes.accise_cents_per_kwh),
            "accise_cents": taxes.accise_cents,
            "cta_base_cents": taxes.cta_base_cents,
            "cta_rate_percent": decimal_text(taxes.cta_rate_percent),
            "cta_cents": taxes.cta_cents,
        },
    }
