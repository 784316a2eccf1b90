"""The home page of the web portal in a real browser (Debian's Chromium driven by Playwright).

The demo customers of the local run, logged in, the browser's clock at the runtime's (conftest
`DEMO_NOW`). Logging in lands on the home, "Accueil" in the navigation. Each profile sees the
parts it has and only those, each figure as the API says it (written as a French reader reads
it), each a link to its page: stockage@ (electricity paid by monthly debits) its next debit and
this month's kWh and euros against the same month last year; mobile@ the data its line used;
hebergement@ neither kWh nor data; every one of them what it has to pay, with a Pay action
leading to that invoice (or to the invoices' selection when there are several). A part whose
request fails says so in its place, and the others are shown.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from customers import Customer, open_session
from portal_axe import assert_accessible
from portal_texts import text
from test_browser_consumption import api, demo_customer, euros, french, today_of

PAYABLE_KINDS = ("invoice", "regularization")


def months_back(today: date, count: int) -> str:
    year, month = divmod(today.year * 12 + today.month - 1 - count, 12)
    return f"{year}-{month + 1:02d}"


def payable_invoices(runtime: Any, customer: Customer) -> list[dict[str, Any]]:
    """The invoices the customer can pay now, over the API (the last 24 months)."""
    since = months_back(today_of(runtime), 23)
    found = []
    for status in ("open", "overdue"):
        found += api(runtime, customer, "/invoices", status=status, limit="100", **{"from": since})["items"]
    return [
        invoice
        for invoice in found
        if invoice["kind"] in PAYABLE_KINDS
        and invoice["amount_due_cents"] > 0
        and not invoice.get("pending_payment_id")
    ]


def open_home(page: Any, runtime: Any, customer: Customer) -> None:
    page.clock.set_fixed_time(runtime.now())
    open_session(page, runtime, customer)
    page.goto(f"{runtime.url}/")
    page.get_by_role("heading", name=text("home_title"), level=1).wait_for()
    part(page, text("home_due_title")).wait_for()
    assert_accessible(page, f"the home of {customer.email}")


def part(page: Any, name: str | re.Pattern[str]) -> Any:
    return page.get_by_role("region", name=name)


ENERGY = re.compile("^" + re.escape(text("home_energy_title", "")))


def attention(page: Any) -> dict[str, str]:
    """The items of "À suivre": each link's address, and the text of the item it is in."""
    items = part(page, text("home_attention_title")).get_by_role("listitem")
    return {
        link.get_attribute("href"): item.inner_text()
        for item in items.all()
        for link in item.get_by_role("link").all()
    }


def linked(items: dict[str, str], path: str) -> list[str]:
    """The texts of the items whose link leads to `path` (its query, any #part after it)."""
    return [words for href, words in items.items() if href == path or href.startswith(path + "#")]


def check_due(page: Any, runtime: Any, customer: Customer) -> None:
    due = payable_invoices(runtime, customer)
    region = part(page, text("home_due_title"))
    amount = region.get_by_role("link", name=euros(sum(invoice["amount_due_cents"] for invoice in due)))
    assert amount.count() == 1, region.inner_text()
    pay = region.get_by_role("link", name=text("home_pay"), exact=True)
    if not due:
        assert pay.count() == 0 and text("home_due_none") in region.inner_text()
    elif len(due) == 1:
        assert pay.get_attribute("href") == f"/invoice?id={due[0]['invoice_id']}#pay"
    else:
        assert pay.get_attribute("href") == "/my-invoices#pay-selection"


def test_energy_paid_by_monthly_debits(demo_runtime: Any, page: Any) -> None:
    # Given stockage@, electricity paid by monthly debits
    customer = demo_customer(demo_runtime, "stockage")
    schedule = api(demo_runtime, customer, "/invoices/schedule")
    meters = [
        meter
        for meter in api(demo_runtime, customer, "/consumption/meters")["items"]
        if meter["kind"] == "electricity"
    ]
    this_month = today_of(demo_runtime).strftime("%Y-%m")
    assert meters and schedule["schedules"]

    # When it opens the portal's home
    open_home(page, demo_runtime, customer)

    # Then: "Accueil" in the navigation, what is due, the next debit...
    assert (
        page.get_by_role("navigation")
        .get_by_role("link", name=text("nav_home"))
        .get_attribute("aria-current")
        == "page"
    )
    check_due(page, demo_runtime, customer)
    coming = sorted(
        (item["retry_on"] or item["due_on"], item["amount_cents"])
        for each in schedule["schedules"]
        for item in each["installments"]
        if item["status"] in ("scheduled", "retrying")
    )
    debit = part(page, text("home_debit_title"))
    assert debit.get_by_role("link", name=euros(coming[0][1])).get_attribute("href") == "/schedule"
    day_shown = date.fromisoformat(coming[0][0])
    assert debit.get_by_role("link", name=re.compile(rf"^{day_shown.day}\s")).count() == 1

    # ... and each meter's month: kWh, euros, the same month last year
    energy = part(page, re.compile(re.escape(text("home_energy_title", "juillet 2026"))))
    for meter in meters:
        summary = api(
            demo_runtime, customer, f"/consumption/meters/{meter['meter_id']}/summary", year=this_month[:4]
        )
        month = next(month for month in summary["months"] if month["month"] == this_month)
        line = energy.get_by_role("listitem").filter(has_text=text("home_meter", meter["pdl"]))
        consumed = line.get_by_role("link", name=french(float(month["quantities"]["consumed"])), exact=True)
        assert consumed.get_attribute("href") == "/my-consumption"
        assert line.get_by_role("link", name=euros(month["cost"]["incl_tax_cents"])).count() == 1
        assert (
            line.get_by_role("link", name=euros(month["previous_year"]["cost"]["incl_tax_cents"])).count()
            == 1
        )
    assert part(page, text("home_usage_title")).count() == 0

    # a figure leads to its page
    debit.get_by_role("link", name=euros(coming[0][1])).click()
    page.wait_for_url("**/schedule")


def test_a_mobile_line_shows_its_data(demo_runtime: Any, page: Any) -> None:
    customer = demo_customer(demo_runtime, "mobile")
    usage = api(demo_runtime, customer, "/consumption/usage")
    data = next(allowance for allowance in usage["allowances"] if allowance["unit"] == "GB")

    open_home(page, demo_runtime, customer)

    check_due(page, demo_runtime, customer)
    region = part(page, text("home_usage_title"))
    used = region.get_by_role("link", name=french(data["used"], "Go"), exact=True)
    assert used.get_attribute("href") == "/my-consumption"
    assert part(page, ENERGY).count() == 0  # no "0 kWh" for a line without a meter


def test_hosting_shows_no_consumption(demo_runtime: Any, page: Any) -> None:
    customer = demo_customer(demo_runtime, "hebergement")
    dashboard = api(demo_runtime, customer, "/subscriptions/dashboard")

    open_home(page, demo_runtime, customer)

    check_due(page, demo_runtime, customer)
    for absent in (ENERGY, text("home_usage_title"), text("home_debit_title"), text("kitty")):
        assert part(page, absent).count() == 0, absent
    items = attention(page)
    expiring = [item for item in dashboard["expiring_soon"] if not item["auto_renew"]]
    for subscription in expiring:
        [line] = linked(items, f"/subscription?id={subscription['subscription_id']}")
        assert "expire le" in line
    assert dashboard["to_configure"], "hebergement@ has a pack to configure"
    for subscription in dashboard["to_configure"]:
        assert len(linked(items, f"/subscription?id={subscription['subscription_id']}")) == 1
    # a plan renewed by itself without commitment never "expires"
    for subscription in dashboard["expiring_soon"]:
        if subscription["auto_renew"] and not subscription.get("commitment_months"):
            assert linked(items, f"/subscription?id={subscription['subscription_id']}") == []
    assert "kWh" not in page.get_by_role("main").inner_text()


def test_a_subscriber_and_a_part_that_fails_alone(demo_runtime: Any, page: Any) -> None:
    customer = demo_customer(demo_runtime, "abonne")
    dashboard = api(demo_runtime, customer, "/subscriptions/dashboard")
    # the invoices service fails for a moment: only its part says so
    page.route(
        re.compile(r"/invoices\?"),
        lambda route: route.fulfill(status=503, json={"error": {"code": "x", "message": "x"}}),
    )

    open_home(page, demo_runtime, customer)

    failed = part(page, text("home_due_title"))
    assert failed.get_by_role("alert").count() == 1
    assert text("home_part_failed") in failed.inner_text()
    items = attention(page)
    for order in dashboard["orders_in_progress"]:
        assert len(linked(items, f"/order-status?id={order['order_id']}")) == 1
    assert dashboard["to_configure"], "abonne@ has a website to confirm"
    for subscription in dashboard["to_configure"]:
        wanted = "#settings" if subscription["status"] == "to_configure" else ""
        path = f"/subscription?id={subscription['subscription_id']}"
        assert path + wanted in items, items

    # then it answers again: the figures are there
    page.unroute(re.compile(r"/invoices\?"))
    page.reload()
    part(page, text("home_due_title")).wait_for()
    check_due(page, demo_runtime, customer)
    assert_accessible(page, "the home, every part answered")
