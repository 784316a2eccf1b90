"""Subscriptions and their contracts: the lifecycle's transitions, listing, renewal, and the events
that say what happened to one (the module that owns the subscription publishes them).

The lifecycle is an explicit table of allowed transitions; every status change is a
conditional write on the status it leaves, so two requests cannot both move a subscription
from the same state. A forbidden transition is a 409 `forbidden_transition`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from . import catalog
from .errors import ForbiddenTransition, NotFound, ValidationFailed
from .models import Contract, Counter, Subscription, customer_pk
from .settings import settings

if TYPE_CHECKING:
    from guichet_contracts.domain_events import DomainEvent
    from guichet_contracts.domain_events import subscriptions as contract

STATUSES = ("pending_confirmation", "to_configure", "active", "suspended", "expired", "cancelled")
FAMILIES = ("domain", "website", "hosting", "internet", "mobile", "electricity")
# action -> {from status: to status}
TRANSITIONS: dict[str, dict[str, str]] = {
    "confirm": {"pending_confirmation": "to_configure"},
    "configure": {"to_configure": "active"},
    "suspend": {"active": "suspended"},
    "resume": {"suspended": "active"},
    "expire": {"active": "expired", "suspended": "expired"},
    "renew": {
        "active": "active",
        "suspended": "suspended",  # resumed when what it waits for is paid (suspensions.py)
        "expired": "active",
        "to_configure": "to_configure",
    },
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
            fields={
                "status": Phrase(
                    "field.status_transition", action=action, current=current, allowed=list(allowed)
                )
            }
        )
    return allowed[current]


def renewal_keys(
    subscription_id: str, customer_id: str, renews_on: str, status: str, *, cancel_at: str | None = None
) -> tuple[str | None, str | None]:
    """The `renewals` index keys: the day the daily job must act on the subscription (the end of
    its period, or a cancellation planned before it, such as a move-out)."""
    if status not in RENEWABLE:
        return None, None
    day = min(renews_on, cancel_at) if cancel_at else renews_on
    return f"RENEWS#{day}", f"{customer_id}#{subscription_id}"


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
        answer["imported"] = (
            {
                "imported_on": subscription.imported_on,
                "billed_from": subscription.billed_from,
                "commitment_ends_on": subscription.commitment_ends_on,
            }
            if subscription.external_id
            else None
        )
        answer["accepted"] = dict(subscription.accepted) if subscription.accepted else None
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


# Typical yearly consumption by subscribed power (kVA), for a monthly payer's first estimate.
TYPICAL_ANNUAL_KWH = {
    3: 1500,
    6: 3500,
    9: 6000,
    12: 8500,
    15: 11000,
    18: 13500,
    24: 18000,
    30: 22000,
    36: 26000,
}


def state(subscription: Subscription) -> contract.Subscription:
    """The subscription as the events that cross services carry it (with its product's tariff)."""
    from guichet_contracts.domain_events import subscriptions as contract

    from .price_changes import kept

    tariff = kept(subscription).tariff  # the terms it runs on, never the catalog's newer ones
    energy = subscription.family == "electricity"
    power = subscription.contract.subscribed_power_kva
    estimated = TYPICAL_ANNUAL_KWH.get(int(power or 0), 3500) if energy else None
    return contract.Subscription(
        subscription_id=subscription.subscription_id,
        customer_id=subscription.customer_id,
        dossier_number=subscription.dossier_number,
        product_id=subscription.product_id,
        family=subscription.family,  # type: ignore[arg-type]
        name=subscription.name,
        label=subscription.label,
        status=subscription.status,  # type: ignore[arg-type]
        started_on=date.fromisoformat(subscription.started_on or subscription.created_at.date().isoformat()),
        renews_on=date.fromisoformat(subscription.renews_on),
        auto_renew=bool(subscription.auto_renew),
        price_cents=int(subscription.price_cents),
        currency=subscription.currency,
        billing_period=subscription.billing_period,  # type: ignore[arg-type]
        commitment_months=int(subscription.commitment_months or 0),
        contract=contract.Contract.model_validate(contract_dict(subscription), strict=False),
        tariff=contract.Tariff.model_validate({**tariff, "estimated_annual_kwh": estimated}, strict=False),
    )


def announce_activated(subscription: Subscription, order_id: str | None) -> None:
    publish(activated_event(subscription, order_id))


def activated_event(subscription: Subscription, order_id: str | None) -> DomainEvent:
    """SubscriptionActivated: an order's subscription is billed by Guichet from its start, an
    imported contract from the first day the provider did not bill (`billed_from`)."""
    from guichet_contracts.domain_events import subscriptions as contract

    now_state = state(subscription)
    imported = subscription.external_id is not None
    return contract.SubscriptionActivated(
        subscription=now_state,
        order_id=order_id,
        origin="import" if imported else "order",
        billed_from=date.fromisoformat(subscription.billed_from)
        if imported and subscription.billed_from
        else now_state.started_on,
    )


def announce_renewed(subscription: Subscription, order_id: str | None, *, period_start: date) -> None:
    from guichet_contracts.domain_events import subscriptions as contract

    publish(
        contract.SubscriptionRenewed(
            subscription=state(subscription),
            order_id=order_id,
            period_start=period_start,
            period_end=date.fromisoformat(subscription.renews_on),
        )
    )


def announce_cancelled(
    subscription: Subscription, *, ended_on: date, immediate: bool, refund: contract.Proration | None = None
) -> None:
    from guichet_contracts.domain_events import subscriptions as contract

    publish(
        contract.SubscriptionCancelled(
            subscription=state(subscription),
            ended_on=ended_on,
            immediate=immediate,
            reason=subscription.cancel_reason,
            refund=refund,
        )
    )


def announce_suspended(subscription: Subscription, *, reason: str, invoice_ids: list[str], on: date) -> None:
    publish(suspended_event(subscription, reason=reason, invoice_ids=invoice_ids, on=on))


def suspended_event(
    subscription: Subscription, *, reason: str, invoice_ids: list[str], on: date
) -> DomainEvent:
    from guichet_contracts.domain_events import subscriptions as contract

    return contract.SubscriptionSuspended(
        subscription=state(subscription),
        reason=reason,  # type: ignore[arg-type]
        invoice_ids=invoice_ids,
        on=on,
    )


def announce_resumed(subscription: Subscription, *, reason: str, on: date) -> None:
    from guichet_contracts.domain_events import subscriptions as contract

    publish(
        contract.SubscriptionResumed(subscription=state(subscription), reason=reason, on=on)  # type: ignore[arg-type]
    )


def announce_expired(subscription: Subscription, *, ended_on: date) -> None:
    from guichet_contracts.domain_events import subscriptions as contract

    publish(contract.SubscriptionExpired(subscription=state(subscription), ended_on=ended_on))


def publish(event: DomainEvent) -> None:
    """Put one of this service's events on the bus."""
    from guichet_contracts import events

    events.publish(event, bus_name=settings.event_bus_name)


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
    numbers: tuple[int, int] | None = None,
    catalog_version: int | None = None,
    accepted: dict[str, Any] | None = None,
) -> Subscription:
    """A subscription for a provisioned order line (not saved: the caller writes it in its
    transaction); `numbers`: its dossier and contract numbers, when reserved beforehand;
    `accepted`: the record of the order that made it (`acceptance_of`), which its contract shows."""
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
    # an electricity contract for a home changing hands starts the day its customer moves in
    starts = date.fromisoformat(options["move_in_on"]) if options.get("move_in_on") else today
    renews_on = iso_day(add_periods(starts, product["billing_period"], periods))
    dossier_number, contract_number = numbers or (next_number("dossier"), next_number("contract"))
    dossier = f"{_DOSSIER_PREFIX[family]}{dossier_number:08d}"
    energy = family == "electricity"
    contract = Contract(
        contract_number=f"C{today.year}{contract_number:07d}",
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
        started_on=iso_day(starts),
        renews_on=renews_on,
        auto_renew=catalog.auto_renews(product),
        price_cents=catalog.price_cents(product, options),
        catalog_version=catalog.version() if catalog_version is None else catalog_version,
        tariff=catalog.product_tariff(product),
        currency=product["currency"],
        billing_period=product["billing_period"],
        commitment_months=product.get("commitment_months", 0),
        contract=contract,
        settings={},
        options={key: value for key, value in options.items() if key not in ("payment_mode", "move_in_on")},
        search_text=search_text(product["name"], label, dossier),
        created_at=now,
        updated_at=now,
        renews_pk=renews_pk,
        renews_sk=renews_sk,
        accepted=accepted,
    )


def acceptance_of(order_id: str, placed_at: datetime, terms_version: str | None) -> dict[str, Any]:
    """What a contract keeps of the order the customer placed: its id, when it was placed (the
    click committing to pay) and the version of the terms of sale accepted with it (None when the
    order came without: an API client that did not show them)."""
    return {
        "order_id": order_id,
        "at": placed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "terms_version": terms_version,
    }


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
        subscription.subscription_id,
        subscription.customer_id,
        subscription.renews_on,
        target,
        cancel_at=subscription.cancel_at,
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
        raise ForbiddenTransition(fields={"status": Phrase("field.status_changed")}) from None


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
        raise ForbiddenTransition(
            fields={"status": Phrase("field.status_settings_frozen", status=subscription.status)}
        )
    valid = validate_settings(subscription.family, data)
    network_apn = (
        catalog.product(subscription.product_id).get("apn") if subscription.family == "mobile" else None
    )
    if network_apn and valid["apn"] != network_apn:
        # a plan runs on its own network: another operator's access point would never connect
        raise ValidationFailed(fields={"apn": Phrase("field.apn_of_network", apn=network_apn)})
    if subscription.status == "to_configure":
        transition(subscription, "configure", now, [Subscription.settings.set(valid)])
    else:
        subscription.update(
            actions=[Subscription.settings.set(valid), Subscription.updated_at.set(now)],
            condition=Subscription.status == subscription.status,
        )
    return subscription


def prorated(subscription: Subscription, *, price_cents: int, from_day: date) -> contract.Proration | None:
    """The share of the current period [renews_on − one period, renews_on) from `from_day` to its
    end, at `price_cents` for the whole period, by the day, rounded half up; None when no day is left."""
    from guichet_contracts.domain_events.subscriptions import Proration

    end = date.fromisoformat(subscription.renews_on)
    start = add_periods(end, subscription.billing_period, -1)
    days_in_period = (end - start).days
    days = min(days_in_period, max(0, (end - max(from_day, start)).days))
    if days == 0:
        return None
    amount = (Decimal(price_cents) * days / days_in_period).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Proration(
        period_start=start,
        period_end=end,
        days_in_period=days_in_period,
        days=days,
        price_cents=price_cents,
        amount_cents=int(amount),
        currency=subscription.currency,
    )


def billed_by_provider(subscription: Subscription) -> bool:
    """Whether the current period of a contract imported from the provider was billed by the
    provider (Guichet bills from `billed_from`): Guichet never credits what it was not paid."""
    return bool(subscription.billed_from) and str(subscription.billed_from) >= subscription.renews_on


def billed_in_arrears(subscription: Subscription) -> bool:
    """Energy is billed by the month once consumed: its contract renews in place, without an order."""
    return subscription.family == "electricity"


def renew_in_place(subscription: Subscription, period_end: str, *, now: datetime) -> None:
    """A contract billed in arrears starts its next period (SubscriptionRenewed, no order to pay),
    on the terms that period is due (price_changes.terms_for_renewal)."""
    from .price_changes import terms_for_renewal

    terms = terms_for_renewal(subscription, date.fromisoformat(period_end))
    renews_on = iso_day(add_periods(date.fromisoformat(period_end), subscription.billing_period, 1))
    renews_pk, renews_sk = renewal_keys(
        subscription.subscription_id, subscription.customer_id, renews_on, subscription.status
    )
    assert renews_pk and renews_sk  # a running contract is renewable
    try:
        subscription.update(
            actions=[
                Subscription.renews_on.set(renews_on),
                Subscription.renews_pk.set(renews_pk),
                Subscription.renews_sk.set(renews_sk),
                Subscription.updated_at.set(now),
                *renewal_terms(terms.price_cents, terms.version, terms.tariff),
            ],
            condition=(Subscription.renews_on == period_end)
            & (Subscription.status == subscription.status)
            & Subscription.cancel_at.does_not_exist(),
        )
    except UpdateError:
        raise ForbiddenTransition(fields={"status": Phrase("field.status_changed")}) from None
    announce_renewed(subscription, None, period_start=date.fromisoformat(period_end))


def renewal_terms(price_cents: int, version: int, tariff: dict[str, Any]) -> list[Action]:
    """The updates giving a subscription the terms of a new period."""
    return [
        Subscription.price_cents.set(price_cents),
        Subscription.catalog_version.set(version),
        Subscription.tariff.set(tariff),
    ]


def renewal_start(subscription: Subscription, today: date) -> date:
    """Where a paid renewal's new period starts: the end of the current one (today, a Paris day,
    for an expired one)."""
    start = date.fromisoformat(subscription.renews_on)
    return max(start, today) if subscription.status == "expired" else start


def extend(subscription: Subscription, periods: int, *, today: date, now: datetime) -> list[Action]:
    """The update adding `periods` to a subscription (a paid renewal), from `renewal_start`."""
    start = renewal_start(subscription, today)
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
