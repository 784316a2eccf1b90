"""What other services' events bill: orders, contracts' lives, closed consumption periods, surplus payouts.

Each event issues at most one invoice, keyed by its business id (the order, the meter's month,
the payout), however often EventBridge delivers it.
- OrderPlaced: the upfront lines of an order (prices include VAT) on the order's invoice; energy
  lines are billed in arrears, by the month. The order is then settled (order_settlement).
- SubscriptionActivated: the order's invoice is remembered as what paid the subscription (for
  refunds); an energy contract paid by monthly debits gets its year's payment schedule (twelve
  installments of the year's estimate) from the first day Guichet bills it. An imported contract
  (`origin: import`) has no order: nothing is invoiced for it here, the provider billed its
  period; its next period is billed as any other (a renewal order, or energy by the month).
- SubscriptionSuspended / SubscriptionResumed: its installments pause and resume.
- SubscriptionCancelled / SubscriptionExpired: its installments after its last day are cancelled;
  an immediate cancellation's unused prepaid days are credited and refunded (credit_notes).
- SubscriptionChanged: a plan change's prorations, invoiced or credited (credit_notes).
- ConsumptionPeriodClosed: a month of electricity priced with the contract's rates (peak and
  off-peak, or base) plus the subscription for the days of the month the contract ran, and the
  complements of earlier months read late; for a customer who pays per invoice, an invoice; for
  a monthly payer, it counts toward the year's regularization, issued at once after the
  contract's final month.
- ConsumptionCorrected: an ended contract's late readings, billed by a corrective invoice of
  their complements (credited and paid back by transfer when a correction lowered them).
- SurplusPayout: a resale invoice, the provider buying the customer's surplus (self-billing;
  no VAT for a household producer under the franchise en base), paid out on its due date.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from guichet_contracts import electricity_bill

from . import (
    credit_notes,
    energy_contracts,
    invoicing,
    line_words,
    order_settlement,
    payment_schedules,
    refunds,
    vat,
)
from .models import Invoice

if TYPE_CHECKING:
    from guichet_contracts.domain_events.consumption import (
        ConsumptionCorrected,
        ConsumptionPeriodClosed,
        SurplusPayout,
    )
    from guichet_contracts.domain_events.subscriptions import (
        OrderPlaced,
        SubscriptionActivated,
        SubscriptionCancelled,
        SubscriptionChanged,
        SubscriptionExpired,
        SubscriptionResumed,
        SubscriptionSuspended,
    )

ENERGY_TAX_RATE = electricity_bill.ENERGY_TAX_RATE
RESALE_TAX_RATE = Decimal("0")
# a monthly payer's estimate splits a year's kWh this way on the peak / off-peak option
PEAK_SHARE, OFF_PEAK_SHARE = Decimal("0.62"), Decimal("0.38")


def order_placed(order: OrderPlaced, *, now: datetime) -> Invoice | None:
    """The order's invoice (its upfront lines), if any; then the order is settled if it can be."""
    today = invoicing.local_day(now)
    upfront = [line for line in order.lines if line.billing == "upfront"]
    invoice = None
    if upfront:
        invoice = invoicing.issue(
            order.customer_id,
            kind="invoice",
            source=f"ORDER#{order.order_id}",
            lines=[
                vat.line_excluding_tax(
                    description=line.description,
                    quantity=Decimal(line.quantity),
                    unit=line.unit,
                    unit_price_cents=Decimal(line.unit_price_cents),
                    tax_rate=line.tax_rate,
                    tax_included=order.prices_include_tax,
                )
                for line in upfront
            ],
            issued_on=today,
            now=now,
            order_id=order.order_id,
            subscription_ids=[line.subscription_id for line in upfront if line.subscription_id],
            currency=order.currency,
        )
    order_settlement.order_placed(order, invoice, now=now)
    return invoice


def subscription_activated(activated: SubscriptionActivated, *, now: datetime) -> bool:
    """The order's invoice paid the subscription; an energy contract paid by monthly debits starts
    the year's schedule from the first day Guichet bills it (`billed_from`: a contract imported
    from the provider was billed by the provider before); True when the schedule is made now."""
    subscription = activated.subscription
    credit_notes.remember_order_invoice(
        subscription.customer_id, subscription.subscription_id, activated.order_id
    )
    energy_contracts.remember(subscription, subscription.started_on)
    if subscription.family != "electricity" or subscription.contract.payment_mode != "monthly":
        return False
    return payment_schedules.create(
        subscription.customer_id,
        subscription.subscription_id,
        start=activated.billed_from,
        estimated_annual_cents=estimate(activated),
        currency=subscription.currency,
    )


def subscription_suspended(suspended: SubscriptionSuspended) -> int:
    subscription = suspended.subscription
    return payment_schedules.pause(subscription.customer_id, subscription.subscription_id)


def subscription_resumed(resumed: SubscriptionResumed) -> int:
    subscription = resumed.subscription
    return payment_schedules.resume(subscription.customer_id, subscription.subscription_id, on=resumed.on)


def subscription_ended(
    ended: SubscriptionCancelled | SubscriptionExpired, *, now: datetime
) -> Invoice | None:
    """The contract's installments after its last day are cancelled; an immediate cancellation's
    unused prepaid days are credited and refunded (its credit note)."""
    subscription = ended.subscription
    payment_schedules.end(subscription.customer_id, subscription.subscription_id, ended_on=ended.ended_on)
    if ended.name == "SubscriptionCancelled":
        return credit_notes.for_cancellation(ended, now=now)  # type: ignore[arg-type]
    return None


def subscription_changed(changed: SubscriptionChanged, *, now: datetime) -> Invoice | None:
    energy_contracts.remember(changed.subscription, changed.effective_on)
    return credit_notes.for_change(changed, now=now)


def estimate(activated: SubscriptionActivated) -> int:
    """A year of a monthly payer: twelve months of subscription plus the typical consumption
    for the subscribed power at the contract's rates (62 % peak, 38 % off-peak when split)."""
    subscription = activated.subscription
    rates = subscription.tariff.energy_rates_cents_per_kwh or {}
    kwh = Decimal(subscription.tariff.estimated_annual_kwh or 0)
    if subscription.contract.tariff_option == "off_peak":
        energy_cents = kwh * (PEAK_SHARE * rates["peak"] + OFF_PEAK_SHARE * rates["off_peak"])
    else:
        energy_cents = kwh * rates["base"]
    yearly_subscription = Decimal(subscription.price_cents) * (
        12 if subscription.billing_period == "month" else 1
    )
    return vat.cents(yearly_subscription + energy_cents * (100 + ENERGY_TAX_RATE) / 100)


def consumption_period_closed(closed: ConsumptionPeriodClosed, *, now: datetime) -> Invoice | None:
    month = closed.month
    # the month's own lines and those of earlier months read late, priced as the consumption
    # service shows them to the customer (guichet_contracts.electricity_bill)
    say = line_words.of(closed.customer_id)  # the lines in the buyer's language
    lines = electricity_bill.month_lines(closed, say) + electricity_bill.complement_lines(
        closed.complements, say
    )
    if closed.payment_mode == "monthly":
        payment_schedules.add_consumption(
            closed.customer_id,
            closed.subscription_id,
            month=month,
            amount_cents=electricity_bill.cost(lines).incl_tax_cents,
        )
        if closed.final:
            payment_schedules.final_month_closed(
                closed.customer_id, closed.subscription_id, last_day=closed.period_end, now=now
            )
        return None
    return invoicing.issue(
        closed.customer_id,
        kind="invoice",
        source=f"CONSUMPTION#{closed.meter_id}#{month}",
        lines=lines,
        issued_on=invoicing.local_day(now),
        now=now,
        period=(closed.period_start, closed.period_end),
        subscription_ids=[closed.subscription_id],
        energy=energy_contracts.statement(closed),
    )


def consumption_corrected(corrected: ConsumptionCorrected, *, now: datetime) -> Invoice:
    """An ended contract's late readings: a corrective invoice of their complements (whatever the
    payment mode: a monthly payer's year was regularized at the end), or, when readings were
    corrected downward, a credit paid back by transfer (refunds.py)."""
    months = sorted(complement.month for complement in corrected.complements)
    first = date.fromisoformat(f"{months[0]}-01")
    year, number = (int(part) for part in months[-1].split("-"))
    invoice = invoicing.issue(
        corrected.customer_id,
        kind="invoice",
        source=f"CORRECTION#{corrected.correction_id}",
        lines=electricity_bill.complement_lines(corrected.complements, line_words.of(corrected.customer_id)),
        issued_on=invoicing.local_day(now),
        now=now,
        period=(first, date(year, number, calendar.monthrange(year, number)[1])),
        subscription_ids=[corrected.subscription_id],
    )
    if invoice.owed_cents:
        refunds.refund(invoice, paid_by=None, now=now)
    return invoice


def surplus_payout(payout: SurplusPayout, *, now: datetime) -> Invoice:
    month = payout.month
    line = vat.line_excluding_tax(
        description=line_words.of(payout.customer_id)("surplus", month=month),
        quantity=payout.injected_kwh,
        unit="kWh",
        unit_price_cents=payout.rate_cents_per_kwh,
        tax_rate=RESALE_TAX_RATE,
        tax_included=False,
    )
    year, number = (int(part) for part in month.split("-"))
    last_day = calendar.monthrange(year, number)[1]
    return invoicing.issue(
        payout.customer_id,
        kind="resale",
        source=f"SURPLUS#{payout.payout_id}",
        lines=[line],
        issued_on=invoicing.local_day(now),
        now=now,
        period=(date(year, number, 1), date(year, number, last_day)),
        payment_mode="transfer",
        subscription_ids=[payout.subscription_id],
    )
