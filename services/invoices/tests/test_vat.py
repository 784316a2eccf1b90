"""VAT and totals: integer cents everywhere; a price agreed tax included keeps its total; VAT per
rate; kWh lines with decimal quantities and rates; resale (surplus buy-back) at 0 %.

Each case goes through the event that bills it and is read back through GET /invoices/{id}.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from conftest import consumption_closed, invoice_of_order, invoices_in_table, order_placed, surplus_payout
from guichet_local.testing import answer, deliver


def cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def read(customer: Any, invoice_id: str) -> dict[str, Any]:
    response = customer.call("GET", f"/{invoice_id}")
    assert response.status_code == 200, response.body
    return dict(answer(response))


def assert_integer_cents(invoice: dict[str, Any]) -> None:
    """Every *_cents field of the answer is a JSON integer, and base + tax = total."""
    for name in ("total_excl_tax_cents", "tax_cents", "total_cents", "amount_due_cents"):
        assert type(invoice[name]) is int, (name, invoice[name])
    for line in invoice["lines"]:
        assert type(line["unit_price_cents"]) is int and type(line["total_excl_tax_cents"]) is int, line
    for group in invoice["tax_breakdown"]:
        assert type(group["base_cents"]) is int and type(group["tax_cents"]) is int, group
    assert invoice["total_excl_tax_cents"] + invoice["tax_cents"] == invoice["total_cents"]
    assert sum(line["total_excl_tax_cents"] for line in invoice["lines"]) == invoice["total_excl_tax_cents"]
    assert sum(group["base_cents"] for group in invoice["tax_breakdown"]) == invoice["total_excl_tax_cents"]
    assert sum(group["tax_cents"] for group in invoice["tax_breakdown"]) == invoice["tax_cents"]


def ordered(customer: Any, lines: list[dict[str, Any]]) -> dict[str, Any]:
    order_id = order_placed(customer.client, customer.customer_id, lines)
    return read(customer, invoice_of_order(order_id).invoice_id)


def test_a_price_of_9_99_tax_included_at_20_percent_is_billed_9_99(customer_factory: Any) -> None:
    # Given an order of one line at 9.99 € tax included, 20 % VAT
    customer = customer_factory()

    # When it is invoiced
    invoice = ordered(customer, [{"description": "Hébergement", "unit_price_cents": 999, "tax_rate": "20.0"}])

    # Then the total is 999, split into 833 + 166, in integer cents
    assert (invoice["total_cents"], invoice["total_excl_tax_cents"], invoice["tax_cents"]) == (999, 833, 166)
    assert invoice["amount_due_cents"] == 999
    assert invoice["tax_breakdown"] == [{"rate": "20", "base_cents": 833, "tax_cents": 166}]
    assert invoice["lines"][0]["tax_rate"] == "20"
    assert_integer_cents(invoice)


def test_many_small_tax_included_lines_keep_their_total(customer_factory: Any) -> None:
    # Given an order of lines whose tax-free parts each round up (0.01 € and 9.99 € three times)
    customer = customer_factory()
    lines = [{"description": f"Option {n}", "unit_price_cents": 999, "quantity": 3} for n in range(3)]
    lines.append({"description": "Centime", "unit_price_cents": 1})

    # When it is invoiced
    invoice = ordered(customer, lines)

    # Then what the customer agreed to (9 × 9.99 € + 0.01 €) is what is billed, to the cent
    assert invoice["total_cents"] == 9 * 999 + 1
    assert [line["total_excl_tax_cents"] for line in invoice["lines"]] == [2498, 2498, 2498, 1]
    assert invoice["tax_cents"] == 8992 - 7495
    assert_integer_cents(invoice)


def test_several_rates_each_keep_their_tax_included_total(customer_factory: Any) -> None:
    # Given an order with lines at 20 %, 10 % and 5.5 % VAT, prices tax included
    customer = customer_factory()
    lines = [
        {"description": "Box internet", "unit_price_cents": 2999, "tax_rate": "20.0"},
        {"description": "Bouquet TV", "unit_price_cents": 1099, "tax_rate": "10.0"},
        {"description": "Presse numérique", "unit_price_cents": 799, "tax_rate": "5.5", "quantity": 2},
    ]

    # When it is invoiced
    invoice = ordered(customer, lines)

    # Then VAT is given per rate, highest first, each rate's base + tax being its agreed total
    expected = []
    for rate, total in ((Decimal("20"), 2999), (Decimal("10"), 1099), (Decimal("5.5"), 1598)):
        base = cents(Decimal(total) * 100 / (100 + rate))
        expected.append(
            {"rate": format(rate.normalize(), "f"), "base_cents": base, "tax_cents": total - base}
        )
    assert invoice["tax_breakdown"] == expected
    assert [group["base_cents"] + group["tax_cents"] for group in invoice["tax_breakdown"]] == [
        2999,
        1099,
        1598,
    ]
    assert invoice["total_cents"] == 2999 + 1099 + 1598
    assert [line["tax_rate"] for line in invoice["lines"]] == ["20", "10", "5.5"]
    assert_integer_cents(invoice)


def consumption(customer: Any, **data: Any) -> dict[str, Any]:
    deliver(
        customer.client,
        "consumption_period_closed",
        consumption_closed(customer.customer_id, meter_id=f"PDL{customer.customer_id}", **data),
    )
    (invoice,) = invoices_in_table(customer.customer_id)
    return read(customer, invoice.invoice_id)


def test_peak_and_off_peak_kwh_with_decimal_quantities_and_rates(customer_factory: Any) -> None:
    # Given a month of electricity on the peak/off-peak option: 342.5 kWh at 25.16 c, 187.25 kWh at
    # 19.52 c (rates without tax), and a subscription of 15.47 € tax included
    customer = customer_factory()

    # When the consumption period is closed
    invoice = consumption(
        customer,
        tariff_option="off_peak",
        peak_kwh="342.5",
        off_peak_kwh="187.25",
        rates_cents_per_kwh={"peak": "25.16", "off_peak": "19.52"},
        subscription_price_cents=1547,
    )

    # Then each kWh line is quantity × rate rounded once, and VAT is 20 % of the month's base
    subscription = cents(Decimal(1547) * 100 / 120)
    peak, off_peak = cents(Decimal("342.5") * Decimal("25.16")), cents(Decimal("187.25") * Decimal("19.52"))
    assert [(line["quantity"], line["unit"], line["total_excl_tax_cents"]) for line in invoice["lines"]] == [
        ("1", "month", subscription),
        ("342.5", "kWh", peak),
        ("187.25", "kWh", off_peak),
    ]
    assert [line["unit_price"] for line in invoice["lines"][1:]] == ["0.2516", "0.1952"]
    base = subscription + peak + off_peak
    assert invoice["total_excl_tax_cents"] == base == 1289 + 8617 + 3655
    assert invoice["tax_cents"] == cents(Decimal(base) * Decimal("0.2"))
    assert (invoice["period_start"], invoice["period_end"]) == ("2026-10-01", "2026-10-31")
    assert invoice["status"] == "open" and invoice["amount_due_cents"] == invoice["total_cents"]
    assert_integer_cents(invoice)


def test_kwh_restored_from_the_virtual_battery_are_billed_at_its_withdrawal_rate(
    customer_factory: Any,
) -> None:
    # Given a virtual-battery month: 120.5 kWh from the grid at 19.52 c, 80.25 kWh taken back
    # from the battery at 9.6 c (rates without tax)
    customer = customer_factory()

    # When the period is closed
    invoice = consumption(
        customer,
        tariff_option="base",
        consumed_kwh="120.5",
        rates_cents_per_kwh={"base": "19.52"},
        subscription_price_cents=0,
        battery={
            "restored_kwh": "80.25",
            "stored_kwh": "80.25",
            "level_kwh": "0",
            "withdrawal_cents_per_kwh": "9.6",
        },
    )

    # Then the battery's kWh are a line of their own at the withdrawal rate
    assert [(line["quantity"], line["unit"], line["total_excl_tax_cents"]) for line in invoice["lines"]] == [
        ("1", "month", 0),
        ("120.5", "kWh", cents(Decimal("120.5") * Decimal("19.52"))),
        ("80.25", "kWh", cents(Decimal("80.25") * Decimal("9.6"))),
    ]
    assert "batterie" in invoice["lines"][2]["description"]
    assert_integer_cents(invoice)


def test_a_base_option_month_bills_the_kwh_consumed(customer_factory: Any) -> None:
    # Given a month on the base option: 0.5 kWh at 25.1634 c, no subscription price
    customer = customer_factory()

    # When the period is closed
    invoice = consumption(
        customer,
        tariff_option="base",
        consumed_kwh="0.5",
        rates_cents_per_kwh={"base": "25.1634"},
        subscription_price_cents=0,
    )

    # Then 0.5 × 25.1634 = 12.58 c is 13 c, and VAT 3 c (20 % of 13 rounded half up)
    assert [line["total_excl_tax_cents"] for line in invoice["lines"]] == [0, 13]
    assert (invoice["total_excl_tax_cents"], invoice["tax_cents"], invoice["total_cents"]) == (13, 3, 16)
    assert_integer_cents(invoice)


def test_a_contract_that_ran_part_of_the_month_is_billed_its_days_of_subscription_once(
    customer_factory: Any,
) -> None:
    # Given a contract that started on 16 October 2026: its first month closed with 12 kWh
    customer = customer_factory()

    # When that month is closed (delivered twice)
    event = consumption_closed(
        customer.customer_id,
        period_start="2026-10-16",
        consumed_kwh="12",
        peak_kwh="12",
        subscription_price_cents=3100,
    )
    for _ in range(2):
        deliver(customer.client, "consumption_period_closed", event)

    # Then one invoice bills 16 of the month's 31 days of subscription (31 € a month → 16 €) and the kWh
    (stored,) = invoices_in_table(customer.customer_id)
    invoice = read(customer, stored.invoice_id)
    subscription, kwh = invoice["lines"]
    assert (subscription["quantity"], subscription["unit"]) == ("16", "day")
    assert "16 j / 31" in subscription["description"]
    assert subscription["total_excl_tax_cents"] == cents(Decimal(1600) / Decimal("1.2"))
    assert (kwh["quantity"], kwh["unit"]) == ("12", "kWh")
    assert (invoice["period_start"], invoice["period_end"]) == ("2026-10-16", "2026-10-31")
    assert_integer_cents(invoice)


def pay_out_surplus(customer: Any) -> None:
    deliver(
        customer.client,
        "surplus_payout",
        surplus_payout(
            customer.customer_id,
            payout_id=f"payout-{customer.customer_id}",
            injected_kwh="123.4",
            amount_cents=1652,
        ),
    )


def test_a_surplus_payout_is_a_resale_invoice_at_0_percent(customer_factory: Any) -> None:
    # Given a producer's month of surplus: 123.4 kWh bought at 13.39 c
    customer = customer_factory()

    # When the payout is made
    pay_out_surplus(customer)

    # Then a resale invoice without VAT: 123.4 × 13.39 = 1652.326 → 1652 c, nothing due by the
    # customer, owed to them until it is paid out on its due date (test_surplus_payouts.py)
    (stored,) = invoices_in_table(customer.customer_id)
    invoice = read(customer, stored.invoice_id)
    assert invoice["kind"] == "resale"
    assert (invoice["total_excl_tax_cents"], invoice["tax_cents"], invoice["total_cents"]) == (1652, 0, 1652)
    assert invoice["tax_breakdown"] == [{"rate": "0", "base_cents": 1652, "tax_cents": 0}]
    assert [(line["quantity"], line["unit"], line["tax_rate"]) for line in invoice["lines"]] == [
        ("123.4", "kWh", "0")
    ]
    assert (
        invoice["status"],
        invoice["amount_due_cents"],
        invoice["owed_cents"],
        invoice["payment_mode"],
    ) == (
        "open",
        0,
        1652,
        "transfer",
    )
    assert_integer_cents(invoice)


def test_a_surplus_payout_covers_its_whole_month(customer_factory: Any) -> None:
    # Given a producer's surplus of October 2026
    customer = customer_factory()

    # When the payout is made
    pay_out_surplus(customer)

    # Then the resale invoice's period is the month, 1 to 31 October
    (stored,) = invoices_in_table(customer.customer_id)
    invoice = read(customer, stored.invoice_id)
    assert (invoice["period_start"], invoice["period_end"]) == ("2026-10-01", "2026-10-31")
