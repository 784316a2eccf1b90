"""Subscriptions and their contracts: lifecycle, listing, dashboard, changes and cancellation.

The lifecycle is an explicit table of allowed transitions; every status change is a
conditional write on the status it leaves, so two requests cannot both move a subscription
from the same state. A forbidden transition is a 409 `forbidden_transition`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from . import catalog
from .errors import ForbiddenTransition, NotFound, ValidationFailed
from .models import Contract, Counter, Subscription, customer_pk

STATUSES = ("pending_confirmation", "to_configure", "active", "suspended", "expired", "cancelled")
FAMILIES = ("domain", "website", "hosting", "internet", "mobile", "electricity")
# action -> {from status: to status}
TRANSITIONS: dict[str, dict[str, str]] = {
    "confirm": {"pending_confirmation": "to_configure"},
    "configure": {"to_configure": "active"},
    "suspend": {"active": "suspended"},
    "resume": {"suspended": "active"},
    "expire": {"active": "expired", "suspended": "expired"},
    "renew": {"active": "active", "suspended": "active", "expired": "active", "to_configure": "to_configure"},
    "cancel": {
        "pending_confirmation": "cancelled",
        "to_configure": "cancelled",
        "active": "cancelled",
        "suspended": "cancelled",
    },
}
# Statuses whose renewal date still matters (reminders, expiry, auto-renewal).
RENEWABLE = {"pending_confirmation", "to_configure", "active", "suspended"}
_DOSSIER_PREFIX = {
    "domain": "D",
    "website": "H",
    "hosting": "H",
    "internet": "I",
    "mobile": "M",
    "electricity": "E",
}


def iso_day(day: date) -> str:
    return day.isoformat()


def add_periods(day: date, billing_period: str, periods: int) -> date:
    return day + (relativedelta(years=periods) if billing_period == "year" else relativedelta(months=periods))


def next_status(action: str, current: str) -> str:
    allowed = TRANSITIONS[action]
    if current not in allowed:
        raise ForbiddenTransition(
            fields={"status": f"{action} is not possible from {current}; possible from {', '.join(allowed)}"}
        )
    return allowed[current]


def renewal_keys(
    subscription_id: str, customer_id: str, renews_on: str, status: str
) -> tuple[str | None, str | None]:
    if status not in RENEWABLE:
        return None, None
    return f"RENEWS#{renews_on}", f"{customer_id}#{subscription_id}"


def get(customer_id: str, subscription_id: str) -> Subscription:
    try:
        return Subscription.get(customer_pk(customer_id), f"SUB#{subscription_id}")
    except DoesNotExist:
        raise NotFound() from None


def as_dict(subscription: Subscription, *, detail: bool = False) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "subscription_id": subscription.subscription_id,
        "dossier_number": subscription.dossier_number,
        "product_id": subscription.product_id,
        "family": subscription.family,
        "name": subscription.name,
        "label": subscription.label,
        "status": subscription.status,
        "remarks": subscription.remarks,
        "started_on": subscription.started_on,
        "renews_on": subscription.renews_on,
        "auto_renew": subscription.auto_renew,
        "price_cents": int(subscription.price_cents),
        "currency": subscription.currency,
        "billing_period": subscription.billing_period,
        "commitment_months": int(subscription.commitment_months or 0),
        "cancel_at": subscription.cancel_at,
    }
    if detail:
        answer["contract"] = contract_dict(subscription)
        answer["settings"] = subscription.settings or {}
        answer["options"] = subscription.options or {}
    return answer


def contract_dict(subscription: Subscription) -> dict[str, Any]:
    contract = subscription.contract
    energy = subscription.family == "electricity"
    return {
        "contract_number": contract.contract_number,
        "offer": contract.offer,
        "payment_mode": contract.payment_mode,
        "pdl": contract.pdl if energy else None,
        "off_peak_hours": [dict(hours) for hours in (contract.off_peak_hours or [])] if energy else None,
        "subscribed_power_kva": int(contract.subscribed_power_kva)
        if energy and contract.subscribed_power_kva
        else None,
        "tariff_option": contract.tariff_option if energy else None,
    }


def next_number(name: str) -> int:
    counter = Counter(f"COUNTER#{name}", "COUNTER")
    counter.update(actions=[Counter.value.add(1)])
    return int(counter.value)


def new_subscription(
    *,
    customer_id: str,
    product: dict[str, Any],
    label: str,
    options: dict[str, Any],
    periods: int,
    today: date,
    now: datetime,
    status: str | None = None,
    remarks: str | None = None,
) -> Subscription:
    """A subscription for a provisioned order line (not saved: the caller writes it in its transaction)."""
    from .technical_settings import settings_required

    family = product["family"]
    if status is None:
        if product.get("requires_confirmation"):
            status = "pending_confirmation"
        elif settings_required(family):
            status = "to_configure"
        else:
            status = "active"
    subscription_id = uuid.uuid4().hex[:16]
    renews_on = iso_day(add_periods(today, product["billing_period"], periods))
    dossier = f"{_DOSSIER_PREFIX[family]}{next_number('dossier'):08d}"
    energy = family == "electricity"
    contract = Contract(
        contract_number=f"C{today.year}{next_number('contract'):07d}",
        offer=product.get("offer"),
        payment_mode=options.get("payment_mode") or ("monthly" if energy else "per_invoice"),
    )
    if energy:
        contract = _energy_contract(contract, options)
    renews_pk, renews_sk = renewal_keys(subscription_id, customer_id, renews_on, status)
    return Subscription(
        customer_pk(customer_id),
        f"SUB#{subscription_id}",
        subscription_id=subscription_id,
        customer_id=customer_id,
        dossier_number=dossier,
        product_id=product["product_id"],
        family=family,
        name=product["name"],
        label=label,
        status=status,
        remarks=remarks,
        started_on=iso_day(today),
        renews_on=renews_on,
        auto_renew=False,
        price_cents=product["price_cents"],
        currency=product["currency"],
        billing_period=product["billing_period"],
        commitment_months=product.get("commitment_months", 0),
        contract=contract,
        settings={},
        options={key: value for key, value in options.items() if key != "payment_mode"},
        search_text=search_text(product["name"], label, dossier),
        created_at=now,
        updated_at=now,
        renews_pk=renews_pk,
        renews_sk=renews_sk,
    )


def _energy_contract(contract: Contract, options: dict[str, Any]) -> Contract:
    """The contract with the supply of these (validated) electricity options."""
    return Contract(
        contract_number=contract.contract_number,
        offer=contract.offer,
        payment_mode=options.get("payment_mode") or contract.payment_mode,
        pdl=options.get("pdl"),
        off_peak_hours=options.get("off_peak_hours"),
        subscribed_power_kva=options.get("subscribed_power_kva"),
        tariff_option=options.get("tariff_option"),
    )


def search_text(name: str, label: str, dossier_number: str) -> str:
    return " ".join((name, label, dossier_number)).lower()


def listing(
    customer_id: str,
    *,
    family: str | None,
    status: str | None,
    q: str | None,
    expiring_within_days: int | None,
    today: date,
    limit: int,
    cursor: dict[str, Any] | None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One customer's subscriptions: a Query of their partition, filtered by DynamoDB."""
    condition: Condition | None = None
    filters: list[Condition] = []
    if family:
        filters.append(Subscription.family == family)
    if status:
        filters.append(Subscription.status == status)
    if q:
        filters.append(Subscription.search_text.contains(q.strip().lower()))
    if expiring_within_days is not None:
        filters.append(Subscription.renews_on <= iso_day(today + timedelta(days=expiring_within_days)))
        filters.append(Subscription.status.is_in(*RENEWABLE))
    for expression in filters:
        condition = expression if condition is None else condition & expression
    items: list[dict[str, Any]] = []
    last_key = cursor
    while len(items) < limit:
        page = Subscription.query(
            customer_pk(customer_id),
            Subscription.sk.startswith("SUB#"),
            filter_condition=condition,
            limit=limit - len(items),
            last_evaluated_key=last_key,
        )
        items.extend(as_dict(subscription) for subscription in page)
        last_key = page.last_evaluated_key
        if not last_key:
            break
    return items, last_key


def transition(
    subscription: Subscription,
    action: str,
    now: datetime,
    extra: list[Action] | None = None,
    *,
    condition: Condition | None = None,
) -> None:
    """Move the subscription by `action`, if its status is still the one read (and `condition` holds)."""
    current = subscription.status
    target = next_status(action, current)
    renews_pk, renews_sk = renewal_keys(
        subscription.subscription_id, subscription.customer_id, subscription.renews_on, target
    )
    actions: list[Action] = [
        Subscription.status.set(target),
        Subscription.updated_at.set(now),
        *(extra or []),
    ]
    actions.append(Subscription.renews_pk.set(renews_pk) if renews_pk else Subscription.renews_pk.remove())
    actions.append(Subscription.renews_sk.set(renews_sk) if renews_sk else Subscription.renews_sk.remove())
    unchanged = Subscription.status == current
    try:
        subscription.update(
            actions=actions, condition=unchanged if condition is None else unchanged & condition
        )
    except UpdateError:
        raise ForbiddenTransition(fields={"status": "changed meanwhile; read it again"}) from None


def confirm(customer_id: str, subscription_id: str, *, now: datetime) -> Subscription:
    subscription = get(customer_id, subscription_id)
    from .technical_settings import settings_required

    transition(subscription, "confirm", now)
    if not settings_required(subscription.family):
        transition(subscription, "configure", now)
    return subscription


def configure(customer_id: str, subscription_id: str, data: dict[str, Any], *, now: datetime) -> Subscription:
    """PUT settings: validated per family; a subscription waiting for them becomes active."""
    from .technical_settings import validate_settings

    subscription = get(customer_id, subscription_id)
    if subscription.status in ("cancelled", "expired", "pending_confirmation"):
        raise ForbiddenTransition(fields={"status": f"settings cannot change while {subscription.status}"})
    valid = validate_settings(subscription.family, data)
    if subscription.status == "to_configure":
        transition(subscription, "configure", now, [Subscription.settings.set(valid)])
    else:
        subscription.update(
            actions=[Subscription.settings.set(valid), Subscription.updated_at.set(now)],
            condition=Subscription.status == subscription.status,
        )
    return subscription


def change(customer_id: str, subscription_id: str, body: Any, *, now: datetime) -> Subscription:
    """PATCH: auto-renewal on/off, another product of the same family, option changes."""
    subscription = get(customer_id, subscription_id)
    if subscription.status in ("cancelled", "expired"):
        raise ForbiddenTransition(fields={"status": f"a {subscription.status} subscription cannot change"})
    given = body.model_dump(exclude_unset=True)
    actions: list[Action] = [Subscription.updated_at.set(now)]
    if given.get("auto_renew") is not None:
        if given["auto_renew"] and subscription.cancel_at:
            raise ForbiddenTransition(
                fields={"auto_renew": "the subscription is cancelled at the end of its period"}
            )
        actions.append(Subscription.auto_renew.set(bool(given["auto_renew"])))
    if given.get("product_id") and given["product_id"] != subscription.product_id:
        product = catalog.product(given["product_id"])
        if product["family"] != subscription.family:
            raise ValidationFailed(fields={"product_id": f"must be a {subscription.family} product"})
        if product["billing_period"] != subscription.billing_period:
            raise ValidationFailed(fields={"product_id": "must have the same billing period"})
        actions += [
            Subscription.product_id.set(product["product_id"]),
            Subscription.name.set(product["name"]),
            Subscription.price_cents.set(product["price_cents"]),
            Subscription.commitment_months.set(product.get("commitment_months", 0)),
            Subscription.search_text.set(
                search_text(product["name"], subscription.label, subscription.dossier_number)
            ),
        ]
    if given.get("options") is not None:
        from .technical_settings import validate_order_options

        merged = {**(subscription.options or {}), **given["options"]}
        options = validate_order_options(subscription.family, merged)
        # As when the subscription was made: the payment mode lives in the contract only.
        actions.append(Subscription.options.set({k: v for k, v in options.items() if k != "payment_mode"}))
        if subscription.family == "electricity":
            # The contract states the supply (power, option, hours, PDL): it follows the options.
            actions.append(Subscription.contract.set(_energy_contract(subscription.contract, options)))
    try:
        subscription.update(actions=actions, condition=Subscription.status == subscription.status)
    except UpdateError:
        raise ForbiddenTransition(fields={"status": "changed meanwhile; read it again"}) from None
    return subscription


def cancel(
    customer_id: str, subscription_id: str, *, reason: str, at: str, now: datetime, today: date
) -> Subscription:
    subscription = get(customer_id, subscription_id)
    next_status("cancel", subscription.status)  # raises when not cancellable
    if at == "immediately":
        transition(
            subscription,
            "cancel",
            now,
            [
                Subscription.cancel_reason.set(reason),
                Subscription.cancel_at.set(iso_day(today)),
                Subscription.auto_renew.set(False),
            ],
        )
    else:
        if subscription.cancel_at:
            raise ForbiddenTransition(fields={"status": "a cancellation is already planned"})
        try:
            subscription.update(
                actions=[
                    Subscription.cancel_at.set(subscription.renews_on),
                    Subscription.cancel_reason.set(reason),
                    Subscription.auto_renew.set(False),
                    Subscription.updated_at.set(now),
                ],
                condition=(Subscription.status == subscription.status)
                & Subscription.cancel_at.does_not_exist(),
            )
        except UpdateError:
            raise ForbiddenTransition(fields={"status": "changed meanwhile; read it again"}) from None
    return subscription


def extend(subscription: Subscription, periods: int, *, today: date, now: datetime) -> list[Action]:
    """The update adding `periods` to a subscription (a paid renewal): from its end, or today if expired."""
    start = date.fromisoformat(subscription.renews_on)
    if subscription.status == "expired":
        start = max(start, today)
    renews_on = iso_day(add_periods(start, subscription.billing_period, periods))
    target = next_status("renew", subscription.status)
    renews_pk, renews_sk = renewal_keys(
        subscription.subscription_id, subscription.customer_id, renews_on, target
    )
    assert renews_pk and renews_sk  # every status a renewal leads to is renewable
    return [
        Subscription.renews_on.set(renews_on),
        Subscription.status.set(target),
        Subscription.renews_pk.set(renews_pk),
        Subscription.renews_sk.set(renews_sk),
        Subscription.updated_at.set(now),
    ]


def dashboard(customer_id: str, *, today: date) -> dict[str, Any]:
    """Expiring soon (≤ 30 days), to configure, orders in progress: one Query of the partition."""
    from .models import Item, Order
    from .orders import as_dict as order_dict

    soon = iso_day(today + timedelta(days=30))
    expiring, to_configure, orders = [], [], []
    for item in Item.query(customer_pk(customer_id)):
        if isinstance(item, Subscription):
            if item.status in ("active", "suspended") and item.renews_on <= soon and not item.cancel_at:
                expiring.append(as_dict(item))
            elif item.status in ("to_configure", "pending_confirmation"):
                to_configure.append(as_dict(item))
        elif isinstance(item, Order) and item.status in ("received", "paid", "provisioning"):
            orders.append(order_dict(item))
    return {
        "expiring_soon": sorted(expiring, key=lambda subscription: subscription["renews_on"]),
        "to_configure": to_configure,
        "orders_in_progress": sorted(orders, key=lambda order: order["created_at"], reverse=True),
    }
