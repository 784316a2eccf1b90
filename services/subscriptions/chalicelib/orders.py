"""Orders: purchases and renewals, from received to completed.

received (OrderPlaced carries the priced lines the invoices service bills) → paid (on
PaymentSucceeded) → provisioning → completed, each step recorded in `history`. Completion
creates the subscriptions of a purchase, or extends the one a renewal is for, in the same
transaction that marks the order completed, so a redelivered payment event provisions once.
A paid renewal of a subscription that can no longer be renewed (cancelled meanwhile) ends
paid → cancelled instead: there is nothing to provision, and the payment is left to a person.

An order id starts with the UTC time it was placed, so the customer's orders (sort key
ORDER#<order_id>) come newest first from one Query, page after page.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from guichet_contracts import events, observability
from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from . import catalog, customers, mailing, subscriptions
from .errors import ForbiddenTransition, NotFound, ValidationFailed
from .models import Order, OrderLine, RenewalPlaced, Step, Subscription, customer_pk, transaction
from .settings import settings

if TYPE_CHECKING:
    from guichet_contracts.domain_events.invoices import InvoiceIssued, InvoiceVoided, MandateSigned

logger = Logger(child=True)

SOURCE = "guichet.subscriptions"
IN_PROGRESS = ("received", "paid", "provisioning")
STATUSES = ("received", "paid", "provisioning", "completed", "failed", "cancelled")
SORT_PREFIX = "ORDER#"
TAX_RATE = "20.0"  # French standard VAT; catalog prices include it


def as_dict(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "kind": order.kind,
        "status": order.status,
        "items": [
            {
                "product_id": line.product_id,
                "family": line.family,
                "name": line.name,
                "label": line.label,
                "options": line.options or {},
                "periods": int(line.periods),
                "billing_period": line.billing_period,
                "unit_price_cents": int(line.unit_price_cents),
                "total_cents": int(line.total_cents),
                "subscription_id": line.subscription_id,
            }
            for line in order.items
        ],
        "total_cents": int(order.total_cents),
        "currency": order.currency,
        "created_at": _iso(order.created_at),
        "history": [{"status": step.status, "at": _iso(step.at)} for step in order.history],
        "awaiting": order.awaiting if order.status == "received" else None,
        "invoice_id": order.invoice_id,
        "terms_version": order.terms_version,
    }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_order_id(now: datetime) -> str:
    """The UTC time to the millisecond, then random: ids sort as the orders were placed."""
    placed = now.astimezone(UTC)
    return f"{placed:%Y%m%d%H%M%S}{placed.microsecond // 1000:03d}{uuid.uuid4().hex[:5]}"


def get(customer_id: str, order_id: str) -> Order:
    try:
        return Order.get(customer_pk(customer_id), f"{SORT_PREFIX}{order_id}")
    except DoesNotExist:
        raise NotFound() from None


def listing(
    customer_id: str, *, status: str | None, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of the customer's orders, newest first (the key order); `status` filters in DynamoDB."""
    condition = Order.status == status if status else None
    items: list[dict[str, Any]] = []
    last_key = cursor
    while len(items) < limit:
        page = Order.query(
            customer_pk(customer_id),
            Order.sk.startswith(SORT_PREFIX),
            filter_condition=condition,
            scan_index_forward=False,
            limit=limit - len(items),
            last_evaluated_key=last_key,
        )
        items.extend(as_dict(order) for order in page)
        last_key = page.last_evaluated_key
        if not last_key:
            break
    return items, last_key


def _line(
    product: dict[str, Any],
    *,
    label: str,
    options: dict[str, Any],
    periods: int,
    subscription_id: str | None,
    payment_mode: str,
    catalog_version: int,
) -> OrderLine:
    return OrderLine(
        product_id=product["product_id"],
        family=product["family"],
        name=product["name"],
        label=label,
        options=options,
        periods=periods,
        unit_price_cents=product["price_cents"],
        total_cents=product["price_cents"] * periods,
        billing_period=product["billing_period"],
        subscription_id=subscription_id,
        payment_mode=payment_mode,
        catalog_version=catalog_version,
    )


def _version(line: OrderLine) -> int | None:
    """The catalog version a line was priced with (None: an order from before versions)."""
    return None if line.catalog_version is None else int(line.catalog_version)


def default_payment_mode(family: str) -> str:
    """Energy is paid by monthly debits unless the customer asks for an invoice a month."""
    return "monthly" if family == "electricity" else "per_invoice"


def place(customer_id: str, body: Any, *, now: datetime) -> Order:
    """A purchase (schemas.OrderRequest): every line priced from the catalog, options validated."""
    from . import delivery_points
    from .technical_settings import validate_order_options

    lines = []
    currencies = set()
    points: set[str] = set()
    today = now.astimezone(settings.timezone).date()
    version = catalog.version()  # every line priced with one version, the one in force
    for position, item in enumerate(body.items):
        product = catalog.orderable(item.product_id, version=version)
        try:
            options = validate_order_options(product["family"], item.options or {})
        except ValidationFailed as error:
            raise ValidationFailed(
                fields={f"items.{position}.options.{name}": problem for name, problem in error.fields.items()}
            ) from None
        if product["family"] == "electricity":
            if options["pdl"] in points:
                raise ValidationFailed(
                    fields={f"items.{position}.options.pdl": Phrase("field.ordered_twice")}
                )
            points.add(options["pdl"])
            delivery_points.check_order(customer_id, options, today=today, field=f"items.{position}.options")
        currencies.add(product["currency"])
        lines.append(
            _line(
                {**product, "price_cents": catalog.price_cents(product, options)},
                label=item.label or product["name"],
                options=options,
                periods=1,
                subscription_id=None,
                payment_mode=options.get("payment_mode") or default_payment_mode(product["family"]),
                catalog_version=version,
            )
        )
    if len(currencies) > 1:
        raise ValidationFailed(fields={"items": Phrase("field.order_one_currency")})
    accepted = body.terms_version
    if accepted is not None and accepted != current_terms_version():
        raise ValidationFailed(fields={"terms_version": Phrase("field.terms_version_outdated")})
    return _record(customer_id, "purchase", lines, currency=currencies.pop(), now=now, terms_version=accepted)


def current_terms_version() -> str:
    from guichet_contracts.brand import load_brand

    return load_brand().terms_of_sale.version


def renew(
    customer_id: str,
    subscription_id: str,
    periods: int,
    *,
    now: datetime,
    period_ending: str | None = None,
) -> Order:
    """A renewal order. With `period_ending` (the auto-renewal job), the one order of the period
    ending that day: a second call, even an overlapping one, answers the order the first placed,
    and a period renewed meanwhile is a ForbiddenTransition."""
    subscription = subscriptions.get(customer_id, subscription_id)
    subscriptions.next_status("renew", subscription.status)
    if subscriptions.billed_in_arrears(subscription):
        raise ForbiddenTransition(fields={"periods": Phrase("field.energy_renews_itself")})
    if period_ending is not None and subscription.renews_on != period_ending:
        raise ForbiddenTransition(fields={"renews_on": Phrase("field.renewed_meanwhile")})
    if subscription.cancel_at:
        raise ForbiddenTransition(fields={"status": Phrase("field.cancelled_at_period_end")})
    from .price_changes import terms_for_renewal

    product = catalog.product(subscription.product_id)
    today = now.astimezone(settings.timezone).date()
    # the new period's terms: the catalog's if no dearer, or announced a month before it starts
    terms = terms_for_renewal(subscription, subscriptions.renewal_start(subscription, today))
    line = _line(
        {
            **product,
            "price_cents": terms.price_cents,
            "billing_period": subscription.billing_period,
        },
        label=subscription.label,
        options=subscription.options or {},
        periods=periods,
        subscription_id=subscription_id,
        payment_mode=subscription.contract.payment_mode,  # a renewal keeps the contract's payment mode
        catalog_version=terms.version,
    )
    once = (
        RenewalPlaced(
            f"RENEWAL#{subscription_id}",
            period_ending,
            order_id="",
            expires_at_epoch=int((now + timedelta(days=400)).timestamp()),
        )
        if period_ending is not None
        else None
    )
    return _record(customer_id, "renewal", [line], currency=subscription.currency, now=now, once=once)


def _record(
    customer_id: str,
    kind: str,
    lines: list[OrderLine],
    *,
    currency: str,
    now: datetime,
    once: RenewalPlaced | None = None,
    terms_version: str | None = None,
) -> Order:
    order_id = new_order_id(now)
    customer = customers.get(customer_id)
    monthly = any((line.payment_mode or default_payment_mode(line.family)) == "monthly" for line in lines)
    awaiting = "mandate" if monthly and (customer is None or not customer.mandate_reference) else "payment"
    order = Order(
        customer_pk(customer_id),
        f"{SORT_PREFIX}{order_id}",
        order_id=order_id,
        customer_id=customer_id,
        kind=kind,
        status="received",
        items=lines,
        total_cents=sum(int(line.total_cents) for line in lines),
        currency=currency,
        created_at=now,
        history=[Step(status="received", at=now)],
        awaiting=awaiting,
        terms_version=terms_version,
    )
    if once is None:
        order.save(condition=Order.pk.does_not_exist())
    else:
        # The ledger item and the order are written together: the run that writes the ledger
        # places the order; any other finds the ledger and answers that order.
        once.order_id = order_id
        try:
            with transaction() as write:
                write.save(once, condition=RenewalPlaced.pk.does_not_exist())
                write.save(order, condition=Order.pk.does_not_exist())
        except TransactWriteError as error:
            try:
                placed = RenewalPlaced.get(once.pk, once.sk, consistent_read=True)
            except DoesNotExist:
                raise error from None  # not placed by another run: a failure of its own
            return Order.get(
                customer_pk(customer_id), f"{SORT_PREFIX}{placed.order_id}", consistent_read=True
            )
    events.publish(placed_event(order), bus_name=settings.event_bus_name)
    observability.count("OrdersPlaced")
    if customer is not None:
        mailing.notify(
            "order_received",
            customer,
            order_id=order.order_id,
            items=mailing.order_lines(order, customer.language),
            total=mailing.money(int(order.total_cents), order.currency, customer.language),
            orders_url=mailing.portal_link("order-status", id=order.order_id),
        )
    logger.info("order placed", extra={"customer_id": customer_id, "order_id": order_id, "kind": kind})
    return order


def placed_event(order: Order) -> Any:
    """OrderPlaced: the priced lines the invoices service bills (energy is billed in arrears, by
    the month, so its lines are not on the order's invoice)."""
    from guichet_contracts.domain_events.subscriptions import OrderLine as Line
    from guichet_contracts.domain_events.subscriptions import OrderPlaced

    lines = [
        Line(
            product_id=line.product_id,
            family=line.family,  # type: ignore[arg-type]
            description=f"{line.name} — {line.label}" if line.label != line.name else line.name,
            quantity=int(line.periods),
            unit=line.billing_period,  # type: ignore[arg-type]
            unit_price_cents=int(line.unit_price_cents),
            total_cents=int(line.total_cents),
            tax_rate=Decimal(TAX_RATE),
            subscription_id=line.subscription_id,
            billing="in_arrears" if line.family == "electricity" else "upfront",
            payment_mode=_payment_mode(line),  # type: ignore[arg-type]
        )
        for line in order.items
    ]
    return OrderPlaced(
        order_id=order.order_id,
        customer_id=order.customer_id,
        kind=order.kind,  # type: ignore[arg-type]
        currency=order.currency,
        total_cents=int(order.total_cents),
        prices_include_tax=True,
        needs_mandate=any(line.payment_mode == "monthly" for line in lines),
        lines=lines,
    )


def _payment_mode(line: OrderLine) -> str:
    return str(
        line.payment_mode or (line.options or {}).get("payment_mode") or default_payment_mode(line.family)
    )


def provision(customer_id: str, order_id: str, *, now: datetime, today: date) -> Order | None:
    """The order is paid (the invoices service's OrderPaid): mark it so and provision it, creating
    or extending its subscriptions; a second delivery changes nothing."""
    try:
        order = get(customer_id, order_id)
    except NotFound:
        logger.warning(
            "payment for an unknown order", extra={"customer_id": customer_id, "order_id": order_id}
        )
        return None
    if order.status not in IN_PROGRESS:
        return order
    from . import delivery_points

    created: list[Subscription] = []
    renewed: list[tuple[Subscription, date]] = []
    handovers: list[tuple[Subscription, Subscription]] = []
    lines = list(order.items)
    writes: list[tuple[str, Any, Any]] = []
    for line in lines:
        if order.kind == "renewal":
            try:
                subscription = subscriptions.get(customer_id, str(line.subscription_id))
                extension = subscriptions.extend(subscription, int(line.periods), today=today, now=now)
                if line.catalog_version is not None:  # the terms it was priced with, from now on
                    extension += subscriptions.renewal_terms(
                        int(line.unit_price_cents),
                        int(line.catalog_version),
                        catalog.tariff(subscription.product_id, version=int(line.catalog_version)),
                    )
            except (ForbiddenTransition, NotFound):
                return _cancel_paid(order, now=now)
            writes.append(("update", subscription, extension))
            renewed.append((subscription, subscriptions.renewal_start(subscription, today)))
        else:
            subscription = subscriptions.new_subscription(
                customer_id=customer_id,
                product=catalog.product(line.product_id, version=_version(line)),
                catalog_version=_version(line),
                label=line.label,
                options={**(line.options or {}), "payment_mode": _payment_mode(line)},
                periods=int(line.periods),
                today=today,
                now=now,
                accepted=subscriptions.acceptance_of(order.order_id, order.created_at, order.terms_version),
            )
            line.subscription_id = subscription.subscription_id
            writes.append(("save", subscription, None))
            created.append(subscription)
            if subscription.family == "electricity":
                # the point's contract from now on; the one that held it hands it over on move-in day
                previous = delivery_points.holder(str(subscription.contract.pdl))
                if previous is not None:
                    handovers.append((previous, subscription))
                writes.append(("put", delivery_points.holder_record(subscription), None))
    history = [*order.history] + [
        Step(status=status, at=now) for status in ("paid", "provisioning", "completed")
    ]
    try:
        with transaction() as write:
            write.update(
                order,
                actions=[Order.status.set("completed"), Order.history.set(history), Order.items.set(lines)],
                condition=Order.status == order.status,
            )
            for operation, subscription, actions in writes:
                if operation == "put":
                    write.save(subscription)
                elif operation == "save":
                    write.save(subscription, condition=Subscription.pk.does_not_exist())
                else:
                    # The status too: a subscription cancelled since it was read is not revived.
                    write.update(
                        subscription,
                        actions=actions,
                        condition=(Subscription.renews_on == subscription.renews_on)
                        & (Subscription.status == subscription.status),
                    )
    except TransactWriteError:
        current = get(customer_id, order_id)
        if current.status in IN_PROGRESS:
            # Not another delivery: a subscription changed meanwhile. Fail, so that the
            # redelivery decides again from what is stored now.
            raise
        logger.info("order already provisioned", extra={"order_id": order_id})
        return current
    for previous, newcomer in handovers:
        delivery_points.hand_over(previous, newcomer, now=now)
    for subscription in created:
        subscription.refresh()
        subscriptions.announce_activated(subscription, order_id)
    for subscription, period_start in renewed:
        subscription.refresh()
        subscriptions.announce_renewed(subscription, order_id, period_start=period_start)
    order.refresh()
    subscriptions.publish(completed_event(order))
    customer = customers.get(customer_id)
    if customer is not None:
        mailing.notify(
            "order_completed",
            customer,
            order_id=order.order_id,
            items=mailing.order_lines(order, customer.language),
            subscriptions_url=mailing.portal_link("my-subscriptions"),
        )
    logger.info("order completed", extra={"customer_id": customer_id, "order_id": order_id})
    return order


def completed_event(order: Order) -> Any:
    """OrderCompleted: every line of the order is provisioned, each naming its subscription."""
    from guichet_contracts.domain_events.subscriptions import OrderCompleted

    return OrderCompleted(
        order_id=order.order_id,
        customer_id=order.customer_id,
        kind=order.kind,  # type: ignore[arg-type]
        subscription_ids=[str(line.subscription_id) for line in order.items],
    )


def invoice_issued(issued: InvoiceIssued) -> None:
    """The order's invoice exists: the order names it (what the customer pays it with)."""
    if issued.order_id is None:
        return
    try:
        Order(customer_pk(issued.customer_id), f"{SORT_PREFIX}{issued.order_id}").update(
            actions=[Order.invoice_id.set(issued.invoice_id)], condition=Order.pk.exists()
        )
    except UpdateError:
        logger.warning("invoice of an unknown order", extra={"order_id": issued.order_id})


def mandate_signed(signed: MandateSigned) -> int:
    """A mandate is on file: the customer's orders waiting for one now wait for payment (or for
    nothing: OrderPaid follows); how many changed."""
    customers.mandate_signed(signed.customer_id, signed.mandate_reference)
    changed = 0
    waiting = Order.query(
        customer_pk(signed.customer_id),
        Order.sk.startswith(SORT_PREFIX),
        filter_condition=(Order.status == "received") & (Order.awaiting == "mandate"),
    )
    for order in waiting:
        try:
            order.update(actions=[Order.awaiting.set("payment")], condition=Order.awaiting == "mandate")
            changed += 1
        except UpdateError:
            pass  # changed meanwhile (paid, or another delivery)
    return changed


def invoice_voided(voided: InvoiceVoided, *, now: datetime) -> Order | None:
    """The order's invoice was voided unpaid: a waiting order is cancelled, once (the invoices
    service mails the customer about both)."""
    if voided.order_id is None:
        return None
    try:
        order = get(voided.customer_id, voided.order_id)
    except NotFound:
        logger.warning("voided invoice of an unknown order", extra={"order_id": voided.order_id})
        return None
    if order.status != "received":
        return order  # provisioned (it was paid after all) or already cancelled
    history = [*order.history, Step(status="cancelled", at=now)]
    try:
        order.update(
            actions=[Order.status.set("cancelled"), Order.history.set(history)],
            condition=Order.status == "received",
        )
    except UpdateError:
        return get(voided.customer_id, voided.order_id)
    # the customer is told once, by the invoices service's mail about the voided invoice
    logger.info("unpaid order cancelled", extra={"order_id": order.order_id, "invoice_id": voided.invoice_id})
    return order


def _cancel_paid(order: Order, *, now: datetime) -> Order:
    """A paid renewal with nothing left to renew (the subscription was cancelled meanwhile): the
    order ends paid → cancelled, once, and the payment is flagged for a person to refund (no
    refund API exists)."""
    history = [*order.history, Step(status="paid", at=now), Step(status="cancelled", at=now)]
    try:
        order.update(
            actions=[Order.status.set("cancelled"), Order.history.set(history)],
            condition=Order.status == order.status,
        )
    except UpdateError:
        logger.info("order already ended", extra={"order_id": order.order_id})
        return get(order.customer_id, order.order_id)
    logger.warning(
        "paid renewal cancelled: its subscription can no longer be renewed; the payment needs a refund",
        extra={
            "customer_id": order.customer_id,
            "order_id": order.order_id,
            "subscription_ids": [line.subscription_id for line in order.items],
            "total_cents": int(order.total_cents),
            "currency": order.currency,
        },
    )
    return order
