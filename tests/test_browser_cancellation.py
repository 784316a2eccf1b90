"""Cancelling online in three clicks at most (French consumer code L215-1-1): on the list of
contracts, "Modifier" then "Résilier", with no reason asked; the portal says it is recorded and the
confirmation mail follows with the customer id (conftest's `page`: French)."""

from __future__ import annotations

from typing import Any

from conftest import eventually
from customers import open_session, pay_order, place_order, verified_customer
from playwright.sync_api import expect
from portal_axe import assert_accessible
from portal_texts import text


def test_a_monthly_plan_is_cancelled_in_three_clicks_without_a_reason(runtime: Any, page: Any) -> None:
    # Given a customer with a monthly mobile plan, provisioned
    customer = verified_customer(runtime, "cancel", first_name="Léa", last_name="Faure", language="fr")
    order = place_order(runtime, customer, {"product_id": "mobile-50go", "label": "Ligne de Léa"})
    pay_order(runtime, customer, order["order_id"])

    def provisioned() -> Any:
        items = runtime.get("/subscriptions", headers=customer.auth).json()["items"]
        return items if items and items[0]["status"] == "active" else None

    assert eventually(provisioned, timeout=30), "the plan was not provisioned in time"
    open_session(page, runtime, customer)
    page.goto(f"{runtime.url}/my-subscriptions")

    # When the customer opens the contract's panel (1) and presses "Résilier" (2), writing no reason
    row = page.get_by_role("row").filter(has_text="Ligne de Léa")
    row.get_by_role("button", name=text("modify")).click()
    assert_accessible(page, "the contract's cancellation panel")
    page.get_by_role("button", name=text("submit_cancel")).click()

    # Then it is recorded (the portal says so) and mailed, with the customer id
    expect(page.get_by_role("status").filter(has_text=text("cancelled_notice"))).to_be_visible()
    assert_accessible(page, "the cancellation recorded")
    mail = eventually(
        lambda: next(
            (m for m in runtime.mail() if customer.email in m["to"] and "résiliation" in m["subject"]), None
        ),
        timeout=20,
    )
    assert mail is not None and customer.customer_id in mail["text"]
    (subscription,) = runtime.get("/subscriptions", headers=customer.auth).json()["items"]
    assert subscription["cancel_at"] == subscription["renews_on"]
