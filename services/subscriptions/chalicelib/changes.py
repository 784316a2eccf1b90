"""Changes of a running subscription (PATCH /subscriptions/{id}): auto-renewal, the plan, the options.

- Another plan (a product of the same family and billing period) takes effect today. A period paid
  in advance is prorated by day, as Stripe does: a `credit` of the old plan and a `charge` of the
  new one for the days from today to the end of the period (SubscriptionChanged); the invoices
  service bills the difference, or credits it. The telecom allowances follow the new plan.
- An energy contract's terms (the offer, its tariff option, off-peak hours, subscribed power and
  so its price, its payment mode) take effect on the first day of the next month: each month is
  billed, in arrears, with the terms in force that month. Its point of delivery does not change
  here: a move is a new contract.
Nothing that is billed changes without SubscriptionChanged saying from when.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aws_lambda_powertools import Logger
from dateutil.relativedelta import relativedelta
from guichet_contracts.words import Phrase
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from . import catalog, subscriptions
from .errors import ForbiddenTransition, ValidationFailed
from .models import Contract, Subscription

logger = Logger(child=True)

FIXED_ENERGY_OPTIONS = ("pdl",)


def change(customer_id: str, subscription_id: str, body: Any, *, now: datetime, today: date) -> Subscription:
    subscription = subscriptions.get(customer_id, subscription_id)
    if subscription.status in ("cancelled", "expired"):
        raise ForbiddenTransition(
            fields={"status": Phrase("field.status_cannot_change", status=subscription.status)}
        )
    given = body.model_dump(exclude_unset=True)
    previous = _terms(subscription)
    actions: list[Action] = [Subscription.updated_at.set(now)]
    if given.get("auto_renew") is not None:
        actions += _auto_renewal(subscription, bool(given["auto_renew"]))
    product = None
    if given.get("product_id") and given["product_id"] != subscription.product_id:
        product = catalog.orderable(given["product_id"])
        if product["family"] != subscription.family:
            raise ValidationFailed(
                fields={"product_id": Phrase("field.same_family", family=subscription.family)}
            )
        if product["billing_period"] != subscription.billing_period:
            raise ValidationFailed(fields={"product_id": Phrase("field.same_billing_period")})
    options = dict(subscription.options or {})
    payment_mode = subscription.contract.payment_mode
    options_changed = False
    if given.get("options") is not None:
        from .technical_settings import validate_order_options

        fixed = [name for name in FIXED_ENERGY_OPTIONS if name in given["options"]]
        if subscription.family == "electricity" and any(
            given["options"][name] != (subscription.options or {}).get(name) for name in fixed
        ):
            raise ValidationFailed(
                fields={f"options.{name}": Phrase("field.move_is_new_contract") for name in fixed}
            )
        merged = {**options, **given["options"]}
        if subscription.family == "electricity":
            merged = {"payment_mode": subscription.contract.payment_mode, **merged}
        validated = validate_order_options(subscription.family, merged)
        payment_mode = validated.pop("payment_mode", None)  # it lives in the contract only
        options_changed = validated != options or (
            payment_mode is not None and payment_mode != subscription.contract.payment_mode
        )
        options = validated
        actions.append(Subscription.options.set(options))
    terms_changed = product is not None or options_changed
    if terms_changed:
        chosen = product or catalog.product(subscription.product_id)
        price = catalog.price_cents(chosen, options)
        actions += [
            Subscription.product_id.set(chosen["product_id"]),
            Subscription.name.set(chosen["name"]),
            *subscriptions.renewal_terms(price, catalog.version(), catalog.product_tariff(chosen)),
            Subscription.commitment_months.set(chosen.get("commitment_months", 0)),
            Subscription.search_text.set(
                subscriptions.search_text(chosen["name"], subscription.label, subscription.dossier_number)
            ),
        ]
        if subscription.family == "electricity":
            terms = _energy_contract(subscription.contract, chosen, options, payment_mode or "monthly")
            actions.append(Subscription.contract.set(terms))
    try:
        subscription.update(
            actions=actions,
            condition=(Subscription.status == subscription.status)
            & (Subscription.renews_on == subscription.renews_on),
        )
    except UpdateError:
        raise ForbiddenTransition(fields={"status": Phrase("field.status_changed")}) from None
    if terms_changed and _terms(subscription) != previous:
        _announce(subscription, previous, today=today)
    return subscription


def _auto_renewal(subscription: Subscription, wanted: bool) -> list[Action]:
    if not wanted and subscriptions.billed_in_arrears(subscription):
        raise ForbiddenTransition(fields={"auto_renew": Phrase("field.energy_runs_until_cancelled")})
    if wanted and subscription.cancel_at:
        raise ForbiddenTransition(fields={"auto_renew": Phrase("field.cancelled_at_period_end")})
    return [Subscription.auto_renew.set(wanted)]


def _energy_contract(
    contract: Contract, product: dict[str, Any], options: dict[str, Any], payment_mode: str
) -> Contract:
    return Contract(
        contract_number=contract.contract_number,
        offer=product.get("offer"),
        payment_mode=payment_mode,
        pdl=contract.pdl,
        off_peak_hours=options.get("off_peak_hours"),
        subscribed_power_kva=options.get("subscribed_power_kva"),
        tariff_option=options.get("tariff_option"),
    )


def _terms(subscription: Subscription) -> dict[str, Any]:
    """What is billed or measured: the plan, its price, the options and the contract."""
    return {
        "product_id": subscription.product_id,
        "name": subscription.name,
        "price_cents": int(subscription.price_cents),
        "options": dict(subscription.options or {}),
        "contract": subscriptions.contract_dict(subscription),
    }


def effective_on(subscription: Subscription, today: date) -> date:
    """Today for a plan paid in advance; the first day of next month for energy, billed by the month."""
    if subscriptions.billed_in_arrears(subscription):
        return today.replace(day=1) + relativedelta(months=1)
    return today


def _announce(subscription: Subscription, previous: dict[str, Any], *, today: date) -> None:
    from guichet_contracts.domain_events.subscriptions import Contract as ContractTerms
    from guichet_contracts.domain_events.subscriptions import SubscriptionChanged

    starts = effective_on(subscription, today)
    credit = charge = None
    if not subscriptions.billed_in_arrears(subscription):
        old, new = previous["price_cents"], int(subscription.price_cents)
        charge = subscriptions.prorated(subscription, price_cents=new, from_day=starts)
        if not subscriptions.billed_by_provider(subscription):  # what the provider billed is its to credit
            credit = subscriptions.prorated(subscription, price_cents=old, from_day=starts)
    subscriptions.publish(
        SubscriptionChanged(
            subscription=subscriptions.state(subscription),
            effective_on=starts,
            previous_product_id=previous["product_id"],
            previous_name=previous["name"],
            previous_price_cents=previous["price_cents"],
            previous_contract=ContractTerms.model_validate(previous["contract"], strict=False),
            credit=credit,
            charge=charge,
        )
    )
    logger.info(
        "subscription changed",
        extra={
            "subscription_id": subscription.subscription_id,
            "effective_on": starts.isoformat(),
            "from": previous["product_id"],
            "to": subscription.product_id,
        },
    )
