"""The consumption area of the web portal in a real browser (Debian's Chromium driven by Playwright).

The demo customers of the local run (API.md, "Local run"), logged in over HTTP; the demo's history
is played up to the instant its clock stands at (conftest `DEMO_NOW`), which the browser's clock
is set to as well. stockage@ (virtual battery, off-peak option, solar injection) finds "Ma conso"
in the navigation: the chart of its last 12 months has a bar per month, peak and off-peak stacked,
injection below; the year's table lists its months with the "estimé" mark and the previous
year's total; the day view leads to a day by half-hours and by hours; "Télécharger (CSV)" saves
the API's export; the battery shows its level against its capacity. surplus@ finds "Mon surplus"
instead, with its kitty and its months. mobile@ sees its allowances in its current period (from
its billing day), "illimité" where its plan has no limit. Every figure shown is compared with the
API's answer, written as a French reader reads it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from customers import Customer, open_session
from playwright.sync_api import expect
from portal_axe import assert_accessible
from portal_locate import cell, definitions
from portal_texts import text

PASSWORD = "Guichet-demo-2026!"
PARIS = ZoneInfo("Europe/Paris")


def demo_customer(runtime: Any, name: str) -> Customer:
    email = f"{name}@demo.guichet.test"
    tokens = runtime.post("/auth/login", json={"login": email, "password": PASSWORD}).json()
    me = runtime.get("/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    return Customer(me["customer_id"], email, tokens)


def api(runtime: Any, customer: Customer, path: str, **params: str) -> Any:
    answer = runtime.get(path, headers=customer.auth, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def french(value: float | None, unit: str = "kWh") -> str:
    """A quantity as the portal prints it in French: "1 234,5 kWh" (at most 3 decimals), "—" for none."""
    if value is None:
        return "—"
    text = f"{value:,.3f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u202f").replace(".", ",") + f"\u00a0{unit}"


def french_text(text: str | None, unit: str = "kWh") -> str:
    """A quantity the API gives as text ("2771.0"), as the portal prints it in French: its
    decimals kept ("2 771,0 kWh"), "—" for none."""
    if text is None:
        return "—"
    whole, _, decimals = text.partition(".")
    sign, digits = ("-", whole[1:]) if whole.startswith("-") else ("", whole)
    grouped = f"{int(digits):,}".replace(",", "\u202f")
    return f"{sign}{grouped}" + (f",{decimals}" if decimals else "") + f"\u00a0{unit}"


def french_at(value: float, unit: str = "kWh") -> str:
    """A number the API gives without text, as the portal prints it: rounded half up to 0.1."""
    return french_text(str(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)), unit)


def half_hours_in(day: date) -> int:
    """48, or 46 and 50 on the days the clocks change in Paris."""
    start, end = (datetime.combine(each, time(), tzinfo=PARIS) for each in (day, day + timedelta(days=1)))
    return int((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()) // 1800


def euros_per_kwh(cents: float) -> str:
    """A rate per kWh as the portal prints it in French: "0,10 €" (at least 2 decimals)."""
    text = f"{cents / 100:.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole},{decimals.ljust(2, '0')}\u00a0€"


def euros(cents: int) -> str:
    """An amount as the portal prints it in French: "1 234,56 €"."""
    return f"{cents // 100:,}".replace(",", "\u202f") + f",{cents % 100:02d}\u00a0€"


def today_of(runtime: Any) -> date:
    """The day the demo runtime's clock stands at, in Paris."""
    return runtime.now().astimezone(PARIS).date()


def last_30_days(runtime: Any, customer: Customer, base: str, today: date, **extra: str) -> Any:
    """The meter's series by day over the 30 days to `today`, as the chart shows them by default."""
    span = {"from": f"{today - timedelta(days=29)}", "to": f"{today}"}
    return api(runtime, customer, f"{base}/series", step="day", **span, **extra)


def open_area(page: Any, runtime: Any, customer: Customer, link: str) -> list[str]:
    """Open the portal logged in (the browser's clock at the runtime's), follow `link` of the
    navigation; the navigation's links."""
    page.clock.set_fixed_time(runtime.now())
    open_session(page, runtime, customer)
    page.goto(f"{runtime.url}/account")
    navigation = page.get_by_role("navigation", name=text("main_navigation"))
    navigation.get_by_text(customer.customer_id, exact=True).wait_for()
    links = navigation.get_by_role("link").all_inner_texts()
    navigation.get_by_role("link", name=link, exact=True).click()
    page.get_by_role("heading", name=link, level=1).wait_for()
    return links


def chart_of(page: Any, meter: dict[str, Any]) -> Any:
    """The meter's chart: its region, named after the meter."""
    return page.get_by_role("region", name=text("meter_title", meter["pdl"]))


def bars(chart: Any) -> Any:
    """The bars of the chart's drawing (an SVG image: its shapes have no role); their parts are
    their shapes, bars(chart).locator("rect.peak")."""
    return chart.get_by_role("img").locator("g.bar")


def body_rows(region: Any) -> Any:
    """The rows of the body of the region's table (its second row group, after the heads)."""
    return region.get_by_role("table").first.get_by_role("rowgroup").nth(1).get_by_role("row")


def foot(region: Any) -> Any:
    return region.get_by_role("table").first.get_by_role("rowgroup").nth(2)


def step_link(chart: Any, step: str) -> Any:
    return chart.get_by_role("navigation", name=text("steps_label")).get_by_role(
        "link", name=text(f"step_{step}")
    )


def show_step(chart: Any, step: str) -> None:
    """The chart by another step of time, once drawn."""
    step_link(chart, step).click()
    expect(step_link(chart, step)).to_have_attribute("aria-current", "page")
    chart.get_by_role("img").wait_for()


def battery_of(page: Any) -> Any:
    # the card, and the table in it that scrolls on a phone, have the same name: the card first
    return page.get_by_role("region", name=text("battery_title"), exact=True).first


def test_the_pages_of_the_area_are_routed_by_the_portal(demo_runtime: Any) -> None:
    """The API answers under /consumption; the portal's pages have names of their own."""
    script = demo_runtime.get("/portal.js").text
    assert '"/my-consumption": customerOnly(consumptionPage)' in script
    assert '"/my-surplus": customerOnly(surplusPage)' in script
    assert demo_runtime.get("/consumption/meters").status_code == 401


def test_the_pages_of_the_area_load_directly(demo_runtime: Any) -> None:
    portal = demo_runtime.get("/").text
    for path in ("/my-consumption", "/my-surplus"):
        assert demo_runtime.get(path).text == portal, path


def test_stockage_chart_year_day_views_csv_and_battery(demo_runtime: Any, page: Any) -> None:
    runtime = demo_runtime
    customer = demo_customer(runtime, "stockage")
    (meter,) = [
        m for m in api(runtime, customer, "/consumption/meters")["items"] if m["kind"] == "electricity"
    ]
    base = f"/consumption/meters/{meter['meter_id']}"
    assert meter["tariff_option"] == "off_peak" and meter["has_production"]
    today = today_of(runtime)
    yesterday = today - timedelta(days=1)
    year, month = divmod(today.year * 12 + today.month - 1 - 11, 12)
    months = api(
        runtime,
        customer,
        f"{base}/series",
        step="month",
        **{"from": f"{date(year, month + 1, 1)}", "to": f"{today}"},
    )

    links = open_area(page, runtime, customer, text("nav_consumption"))
    assert text("nav_consumption") in links and text("nav_surplus") not in links
    chart = chart_of(page, meter)
    chart.get_by_role("img").wait_for()
    assert_accessible(page, "the consumption of stockage@ by month")

    # the last 12 months: a bar per month, peak on off-peak, injection below; the totals
    first_hours = meter["off_peak_hours"][0]
    expect(chart).to_contain_text(f"{first_hours['start']} – {first_hours['end']}")
    assert bars(chart).count() == len(months["points"]) == 12
    read = [point for point in months["points"] if point["value"] is not None]
    assert (
        bars(chart).locator("rect.peak").count() == bars(chart).locator("rect.off-peak").count() == len(read)
    )
    assert bars(chart).locator("rect.injected").count() == len([p for p in read if p["injected"]])
    sums = months["totals"]["quantities"]
    totals = definitions(chart)
    assert totals[text("consumed")] == french_text(sums["consumed"])
    assert totals[text("off_peak_hours")] == french_text(sums["off_peak"])
    assert totals[text("injected")] == french_text(sums["injected"])
    label = chart.get_by_role("img").get_attribute("aria-label")
    assert label.startswith("Consommation par mois") and french_text(sums["consumed"]) in label
    chart.get_by_text(text("chart_table")).click()  # the chart's text alternative
    assert body_rows(chart).count() == 12
    assert_accessible(page, "the chart's values as a table")

    # the year month by month, "estimé" where readings are missing, and the previous year: the demo
    # reads until yesterday, so this month is estimated, unless today is the 1st (no reading yet)
    summary = api(runtime, customer, f"{base}/summary")
    assert (summary["months"][-1]["month"], summary["months"][-1]["estimated"]) == (
        f"{today:%Y-%m}",
        today.day > 1,
    )
    year = page.get_by_role("region", name=text("summary_title"))
    rows = body_rows(year)
    assert rows.count() == len(summary["months"]) > 0
    estimated = rows.get_by_text(text("estimated"), exact=True).all_inner_texts()
    assert estimated == [text("estimated")] * sum(m["estimated"] for m in summary["months"])
    first = rows.first.get_by_role("cell").first.inner_text()
    assert first.endswith(french_text(summary["months"][0]["quantities"]["consumed"]))
    footer = foot(year).inner_text()
    assert f"Total {summary['year']}\t{french_text(summary['quantities']['total'])}" in footer
    assert (
        f"Total {summary['year'] - 1}\t{french_text(summary['quantities']['previous_year_total'])}" in footer
    )

    # the battery: its level against its capacity, its months
    battery = api(runtime, customer, "/consumption/battery")
    card = battery_of(page)
    expect(card).to_contain_text(
        f"{french_at(battery['level_kwh'])} sur {french_at(battery['capacity_kwh'])}"
    )
    gauge = card.get_by_role("meter")
    assert float(gauge.get_attribute("max")) == battery["capacity_kwh"]
    assert float(gauge.get_attribute("value")) == battery["level_kwh"]
    assert body_rows(card).count() == len(battery["months"])
    assert page.get_by_role("region", name=text("mobile_title")).count() == 0
    page.screenshot(path=str(Path(runtime.log).parent / "portal-consumption.png"), full_page=True)

    # by day (the last 30), then yesterday by half-hours from the table, then by hours
    show_step(chart, "day")
    days = last_30_days(runtime, customer, base, today)
    assert bars(chart).count() == len(days["points"]) == 30
    chart.get_by_text(text("chart_table")).click()
    [at] = [index for index, point in enumerate(days["points"]) if point["start"].startswith(f"{yesterday}")]
    body_rows(chart).nth(at).get_by_role("link").click()
    expect(step_link(chart, "half_hour")).to_have_attribute("aria-current", "page")
    chart.get_by_role("img").wait_for()
    halves = api(
        runtime,
        customer,
        f"{base}/series",
        step="half_hour",
        **{"from": f"{yesterday}", "to": f"{yesterday}"},
    )
    assert bars(chart).count() == len(halves["points"]) == half_hours_in(yesterday)
    chart.get_by_text(text("chart_table")).click()
    assert body_rows(chart).first.get_by_role("rowheader").inner_text() == "00:00"
    # half-hours to the watt-hour, as the API's resolution says
    assert halves["resolution"] == "0.001"
    assert definitions(chart)[text("consumed")] == french_text(halves["totals"]["quantities"]["consumed"])
    expect(chart.get_by_label(text("day"), exact=True)).to_have_value(f"{yesterday}")
    page.screenshot(path=str(Path(runtime.log).parent / "portal-consumption-half-hours.png"), full_page=True)
    assert_accessible(page, "a day by half-hours, its table open")
    show_step(chart, "hour")
    hours = api(
        runtime, customer, f"{base}/series", step="hour", **{"from": f"{yesterday}", "to": f"{yesterday}"}
    )
    assert bars(chart).count() == len(hours["points"]) == half_hours_in(yesterday) // 2

    # the CSV of the day shown, saved under the API's name, as the API exports it
    with page.expect_download() as saving:
        chart.get_by_role("button", name=text("download_csv")).click()
    download = saving.value
    assert download.suggested_filename == f"consommation-{meter['meter_id']}-{yesterday}-{yesterday}.csv"
    saved = Path(download.path()).read_bytes().decode()
    assert saved.splitlines()[0] == "start,end,consumption_kWh,injection_kWh,period"
    exported = runtime.get(
        f"{base}/export.csv", headers=customer.auth, params={"from": yesterday, "to": yesterday}
    )
    assert saved == exported.text and len(saved.splitlines()) == len(halves["points"]) + 1

    # in English
    page.get_by_label("Langue / Language / Lingua").select_option("en")
    page.get_by_role("heading", name=text("nav_consumption", lang="en"), level=1).wait_for()
    chart = page.get_by_role("region", name=text("meter_title", meter["pdl"], lang="en"))
    expect(chart.get_by_role("button", name=text("download_csv", lang="en"))).to_have_count(1)
    expect(
        page.get_by_role("region", name=text("battery_title", lang="en"), exact=True).first
    ).to_be_visible()
    assert_accessible(page, "the consumption in English")


def test_surplus_kitty_and_months(demo_runtime: Any, page: Any) -> None:
    runtime = demo_runtime
    customer = demo_customer(runtime, "surplus")
    surplus = api(runtime, customer, "/consumption/surplus")
    links = open_area(page, runtime, customer, text("nav_surplus"))
    # seed 001: Mon contrat, Mon surplus, Mes factures
    assert text("nav_surplus") in links and text("nav_consumption") not in links
    kitty = page.get_by_role("region", name=text("kitty"))
    kitty.wait_for()
    assert kitty.get_by_role("paragraph").first.inner_text() == euros(surplus["kitty_cents"])
    rate = euros_per_kwh(surplus["rate_cents_per_kwh"])
    assert f"{rate}/kWh" in kitty.inner_text()
    rows = body_rows(page.get_by_role("region", name=text("surplus_months")))
    assert rows.count() == len(surplus["months"]) > 0
    last = surplus["months"][-1]
    assert rows.last.get_by_role("cell").all_inner_texts()[:3] == [
        french_at(last["injected_kwh"]),
        euros_per_kwh(last["rate_cents_per_kwh"]),
        euros(last["credited_cents"]),
    ]
    # the injected surplus on the meter's chart
    (meter,) = [
        m
        for m in api(runtime, customer, "/consumption/meters")["items"]
        if m["meter_id"] == surplus["meter_id"]
    ]
    chart = chart_of(page, meter)
    chart.get_by_role("img").wait_for()
    assert bars(chart).locator("rect.injected").count() > 0
    assert battery_of(page).count() == 0
    page.screenshot(path=str(Path(runtime.log).parent / "portal-surplus.png"), full_page=True)
    assert_accessible(page, "the surplus of surplus@")


def test_mobile_allowances(demo_runtime: Any, page: Any) -> None:
    runtime = demo_runtime
    customer = demo_customer(runtime, "mobile")
    usage = api(runtime, customer, "/consumption/usage")
    links = open_area(page, runtime, customer, text("nav_consumption"))
    assert text("nav_surplus") not in links
    card = page.get_by_role("region", name=text("mobile_title"))
    card.wait_for()
    # no electricity meter: no chart
    expect(page.get_by_role("navigation", name=text("steps_label"))).to_have_count(0)
    words = {"GB": "Go", "min": "min", "sms": "SMS"}
    items = card.get_by_role("listitem")
    assert items.count() == len(usage["allowances"]) > 0
    for allowance, item in zip(usage["allowances"], items.all(), strict=True):
        shown = item.inner_text()
        used = french(allowance["used"], words[allowance["unit"]])
        if allowance["included"] is None:
            assert f"{used} — illimité" in shown
            assert item.get_by_role("meter").count() == 0
        else:
            assert f"{used} sur {french(allowance['included'], words[allowance['unit']])}" in shown
            assert float(item.get_by_role("meter").get_attribute("max")) == allowance["included"]
            assert f"reste {french(allowance['remaining'], words[allowance['unit']])}" in shown
    assert ("illimité" in card.inner_text()) == any(a["included"] is None for a in usage["allowances"])
    # the period is the line's own, from its billing day
    period = card.get_by_text(re.compile("^Période en cours : "))
    assert (period.get_attribute("data-start"), period.get_attribute("data-end")) == (
        usage["period_start"],
        usage["period_end"],
    )
    assert definitions(card)[text("out_of_plan")] == euros(usage["out_of_plan_cents"])
    page.screenshot(path=str(Path(runtime.log).parent / "portal-mobile-usage.png"), full_page=True)
    assert_accessible(page, "the allowances of mobile@")


def cents_of(text: str) -> int:
    """An amount the portal printed in French ("1 234,56 €") in cents."""
    figures = text.replace("\u202f", "").replace("\u00a0", "").replace("€", "").replace(",", "")
    return int(figures)


def test_stockage_chart_speaks_euros_against_last_year(demo_runtime: Any, page: Any) -> None:
    """The chart's period in euros (each month billed or estimated), the same months a year
    earlier beside them, the year's months priced; every amount is the API's for that period."""
    runtime = demo_runtime
    customer = demo_customer(runtime, "stockage")
    (meter,) = [
        m for m in api(runtime, customer, "/consumption/meters")["items"] if m["kind"] == "electricity"
    ]
    base = f"/consumption/meters/{meter['meter_id']}"
    today = today_of(runtime)
    year, month = divmod(today.year * 12 + today.month - 1 - 11, 12)
    period = {"from": f"{date(year, month + 1, 1)}", "to": f"{today}"}
    months = api(runtime, customer, f"{base}/series", step="month", compare="previous_year", **period)
    open_area(page, runtime, customer, text("nav_consumption"))
    chart = chart_of(page, meter)
    chart.get_by_role("img").wait_for()

    # the period's total in euros, tax included, said in the chart's text alternative too
    total = months["totals"]["cost"]
    assert definitions(chart)[text("cost_incl_tax")].startswith(euros(total["incl_tax_cents"]))
    assert euros(total["incl_tax_cents"]) in chart.get_by_role("img").get_attribute("aria-label")
    # last year's bars beside this year's, and the legend says which is which
    assert chart.get_by_text("Même période un an plus tôt").is_visible()
    earlier = months["previous"]["points"]
    assert any(point["value"] is not None for point in earlier)
    assert bars(chart).locator("rect.previous").count() == sum(p["value"] is not None for p in earlier)
    assert_accessible(page, "the chart against last year")

    # the table: each month's cost (billed or estimate) and a year earlier, as the API says
    chart.get_by_text("Voir les valeurs en tableau").click()
    table = chart.get_by_role("table")
    headers = table.get_by_role("columnheader").all_inner_texts()
    cost_at, before_at = headers.index("Coût TTC") - 1, headers.index("Un an plus tôt") - 1
    rows = body_rows(chart)
    assert rows.count() == len(months["points"]) == 12
    shown = 0
    for index, (point, before) in enumerate(zip(months["points"], earlier, strict=True)):
        cells = rows.nth(index).get_by_role("cell")
        cost, previous = cells.nth(cost_at).inner_text(), cells.nth(before_at).inner_text()
        if point["cost"] is None:
            assert cost == "—"
        else:
            amount, state = cost.split("\n")
            assert (cents_of(amount), state) == (
                point["cost"]["incl_tax_cents"],
                "facturé" if point["cost"]["billed"] else "estimation",
            )
            shown += cents_of(amount)
        assert previous.split("\n")[0] == french_text(before["quantities"]["value"])
        if before["cost"]:
            assert previous.split("\n")[1].startswith(euros(before["cost"]["incl_tax_cents"]))
    assert shown == total["incl_tax_cents"]  # the period's total is its months added up

    # the year month by month, priced too, its total in euros
    summary = api(runtime, customer, f"{base}/summary")
    year = page.get_by_role("region", name=text("summary_title"))
    year_rows = body_rows(year)
    for index, each in enumerate(summary["months"]):
        cells = year_rows.nth(index).get_by_role("cell").all_inner_texts()
        expected = euros(each["cost"]["incl_tax_cents"]) if each["cost"] else "—"
        assert cells[-2].split("\n")[0] == expected
    assert euros(summary["total_cost"]["incl_tax_cents"]) in foot(year).inner_text()

    # last year hidden on demand, then asked again
    chart.get_by_role("link", name="Masquer l'année précédente").click()
    chart.get_by_role("link", name="Comparer avec l'année précédente").wait_for()
    assert bars(chart).locator("rect.previous").count() == 0
    assert chart.get_by_text("Même période un an plus tôt").count() == 0
    chart.get_by_role("link", name="Comparer avec l'année précédente").click()
    chart.get_by_role("link", name="Masquer l'année précédente").wait_for()
    assert bars(chart).locator("rect.previous").count() == sum(p["value"] is not None for p in earlier)

    # by day, each day's estimate and the same days a year earlier
    show_step(chart, "day")
    days = last_30_days(runtime, customer, base, today, compare="previous_year")
    totals = definitions(chart)
    assert totals[text("cost_incl_tax")].startswith(euros(days["totals"]["cost"]["incl_tax_cents"]))
    assert totals[text("previous_consumed")] == french_text(
        days["previous"]["totals"]["quantities"]["consumed"]
    )
    assert_accessible(page, "the days against last year")

    # the battery explained: its capacity, the price of a kWh it gives back, what it cannot hold
    battery = api(runtime, customer, "/consumption/battery")
    card = battery_of(page)
    assert card.get_by_text(f"Capacité : {french_at(battery['capacity_kwh'])}.").is_visible()
    facts = card.get_by_role("listitem")
    withdrawal = f"{euros_per_kwh(battery['withdrawal_cents_per_kwh'])} HT"
    expect(facts.filter(has_text=withdrawal)).to_have_count(1)
    assert battery["beyond_capacity"] == "not_stored"
    expect(facts.filter(has_text="n'est pas stocké : il part sur le réseau")).to_have_count(1)
    headers = card.get_by_role("columnheader").all_inner_texts()
    overflow_at = headers.index("Non stocké (batterie pleine)") - 1
    battery_rows = body_rows(card)
    for index, each in enumerate(battery["months"]):
        overflow = battery_rows.nth(index).get_by_role("cell").nth(overflow_at).inner_text()
        assert overflow == french_at(each["overflow_kwh"])


def test_surplus_kitty_is_the_sum_of_its_months(demo_runtime: Any, page: Any) -> None:
    runtime = demo_runtime
    customer = demo_customer(runtime, "surplus")
    surplus = api(runtime, customer, "/consumption/surplus")
    open_area(page, runtime, customer, text("nav_surplus"))
    kitty = page.get_by_role("region", name=text("kitty"))
    kitty.wait_for()
    assert surplus["payout_rule"] == "resale_invoice_due_date"
    assert "versé par virement à la date d'échéance de cette facture" in kitty.inner_text()
    months = page.get_by_role("region", name=text("surplus_months"))
    headers = months.get_by_role("columnheader").all_inner_texts()
    held_at = headers.index("Reste en cagnotte") - 1
    rows = body_rows(months)
    assert rows.count() == len(surplus["months"]) > 0
    held = [cents_of(rows.nth(i).get_by_role("cell").nth(held_at).inner_text()) for i in range(rows.count())]
    assert held == [month["in_kitty_cents"] for month in surplus["months"]]
    # the kitty shown, and its total line, are its months as shown added up
    assert cents_of(kitty.get_by_role("paragraph").first.inner_text()) == sum(held)
    table = months.get_by_role("table")
    total = foot(months).get_by_role("row")
    assert cents_of(cell(table, total, text("in_kitty")).inner_text()) == sum(held)
    assert_accessible(page, "the kitty and its months")
    # a month paid out links its resale invoice
    paid = [m for m in surplus["months"] if m["resale_invoice_id"]]
    for index, month in enumerate(surplus["months"]):
        if month["resale_invoice_id"]:
            link = rows.nth(index).get_by_role("link", name=text("resale_invoice"))
            assert link.get_attribute("href") == f"/invoice?id={month['resale_invoice_id']}"
    if paid:
        months.get_by_role("link", name=text("resale_invoice")).first.click()
        page.wait_for_url(f"**/invoice?id={paid[0]['resale_invoice_id']}")
        page.get_by_role("heading", level=1).wait_for()
        assert_accessible(page, "a resale invoice")
