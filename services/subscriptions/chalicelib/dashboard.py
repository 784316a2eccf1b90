"""The dashboard: what needs the customer's attention, read from one Query of their partition
(a read model over subscriptions and orders, so that neither module imports the other for it)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .models import Item, Order, Subscription, customer_pk
from .orders import as_dict as order_dict
from .subscriptions import as_dict, billed_in_arrears, iso_day


def rolling(subscription: Subscription) -> bool:
    """A monthly plan without commitment that renews itself."""
    return (
        subscription.billing_period == "month"
        and not int(subscription.commitment_months or 0)
        and bool(subscription.auto_renew)
    )


def dashboard(customer_id: str, *, today: date) -> dict[str, Any]:
    """Expiring soon (≤ 30 days), to configure, orders in progress: one Query of the partition."""
    soon = iso_day(today + timedelta(days=30))
    expiring, to_configure, orders = [], [], []
    for item in Item.query(customer_pk(customer_id)):
        if isinstance(item, Subscription):
            # an energy contract renews each month until it is cancelled, and a monthly plan without
            # commitment renews itself each month: neither ever expires
            ends = (
                item.renews_on <= soon
                and not item.cancel_at
                and not billed_in_arrears(item)
                and not rolling(item)
            )
            if item.status in ("active", "suspended") and ends:
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
