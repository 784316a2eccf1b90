"""The payment schedule (échéancier) of a monthly payer: made when the electricity contract is
activated (from its first day), debited installment by installment by the daily job, fed by the
closed consumption months, regularized at the end of the year.

Time is driven through the contract's start and the jobs' `now` (`direct_debits.collect_direct_debits(now=)`);
the job tests use 2035-2036, years of their own.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from conftest import (
    consumption_closed,
    energy_activated,
    invoices_in_table,
    job_ran_until,
    mails_to,
    order_placed,
    ordered_invoice,
    paris_noon,
    provider_charges,
)
from guichet_local.testing import answer, assert_error, deliver

RATES = {"peak": "25.16", "off_peak": "19.52", "base": "23.00"}
ESTIMATED_KWH = 3000
SUBSCRIPTION_CENTS = 1500
GOOD_IBAN = "FR1420041010050500013M02606"


def activated(customer: Any, started_on: date, **subscription: Any) -> Any:
    """A monthly payer's electricity contract (off-peak, 9 kVA) activated from `started_on`."""
    return energy_activated(
        customer,
        started_on=started_on.isoformat(),
        price_cents=SUBSCRIPTION_CENTS,
        tariff_option="off_peak",
        subscribed_power_kva=9,
        tariff={"energy_rates_cents_per_kwh": RATES, "estimated_annual_kwh": ESTIMATED_KWH},
        **subscription,
    )


def estimate() -> int:
    """API.md's estimate: 12 months of subscription + the year's kWh (62 % peak, 38 % off-peak), VAT 20 %."""
    kwh = Decimal(ESTIMATED_KWH)
    energy = kwh * (Decimal("0.62") * Decimal(RATES["peak"]) + Decimal("0.38") * Decimal(RATES["off_peak"]))
    total = Decimal(SUBSCRIPTION_CENTS * 12) + energy * Decimal("1.2")
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def schedule_of(customer: Any) -> dict[str, Any]:
    response = customer.call("GET", "/schedule")
    assert response.status_code == 200, response.body
    return dict(answer(response))


def test_an_electricity_contract_of_a_monthly_payer_starts_its_schedule(customer_factory: Any) -> None:
    # Given a customer ordering electricity paid monthly, and a hosting plan
    customer = customer_factory()
    lines = [
        {
            "family": "electricity",
            "product_id": "electricity-hphc-9kva",
            "description": "Électricité Heures creuses 9 kVA",
            "unit_price_cents": SUBSCRIPTION_CENTS,
            "payment_mode": "monthly",
        },
        {"description": "Hébergement Linux 100", "unit_price_cents": 990},
    ]
    order_placed(customer.client, customer.customer_id, lines)

    # When the electricity contract is activated on 23 November 2026 (and the event delivered twice)
    for _ in range(2):
        activated(customer, date(2026, 11, 23), subscription_id=f"sub-{customer.customer_id}")

    # Then the schedule holds 12 installments from next month, summing to the year's estimate
    schedule = schedule_of(customer)
    expected = estimate()
    assert expected == 100860
    assert (schedule["year"], schedule["estimated_annual_cents"]) == (2026, expected)
    installments = schedule["installments"]
    assert len(installments) == 12
    assert sum(item["amount_cents"] for item in installments) == expected
    assert {item["amount_cents"] for item in installments} <= {expected // 12, expected // 12 + 1}
    assert [item["due_on"] for item in installments][:3] == ["2026-12-05", "2027-01-05", "2027-02-05"]
    assert installments[-1]["due_on"] == "2027-11-05"
    assert {item["status"] for item in installments} == {"scheduled"}
    assert schedule["regularization_on"] == "2027-12-01"
    # and only the hosting line was invoiced: energy is billed in arrears, by the month
    (invoice,) = invoices_in_table(customer.customer_id)
    assert [line.description for line in invoice.lines] == ["Hébergement Linux 100"]
    assert invoice.total_cents == 990


def test_an_imported_contract_starts_its_schedule_where_the_provider_billing_stops(
    customer_factory: Any,
) -> None:
    # Given an electricity contract running since 2024, imported with the provider's billing up
    # to 30 November 2026 (no order: nothing was invoiced for it here)
    customer = customer_factory()

    # When its activation arrives
    activated(customer, date(2024, 2, 1), billed_from="2026-12-01")

    # Then its schedule starts the month after Guichet starts billing it, not after 2024
    schedule = schedule_of(customer)
    assert [item["due_on"] for item in schedule["installments"]][:2] == ["2027-01-05", "2027-02-05"]
    assert invoices_in_table(customer.customer_id) == []


def test_a_customer_who_pays_per_invoice_has_no_schedule(customer_factory: Any) -> None:
    # Given a customer with invoices, and electricity paid per invoice
    customer = customer_factory()
    ordered_invoice(customer, 1500)
    activated(customer, date(2026, 11, 23), payment_mode="per_invoice")

    # When they ask for their schedule
    response = customer.call("GET", "/schedule")

    # Then 404
    assert_error(response, 404, "not_found")


def monthly_payer(customer: Any, ordered_on: date, *, with_mandate: bool = True) -> str:
    """A monthly payer whose electricity contract started on `ordered_on` (and their mandate); the
    contract's subscription id."""
    from chalicelib import bank_accounts

    if with_mandate:
        bank_accounts.change(
            customer.customer_id,
            iban=GOOD_IBAN,
            bic=None,
            holder="Test Client",
            now=paris_noon(ordered_on),
            today=ordered_on.isoformat(),
        )
    return str(activated(customer, ordered_on).subscription_id)


def collect(day: date) -> dict[str, int]:
    from chalicelib import direct_debits

    return direct_debits.collect_direct_debits(now=paris_noon(day))


def statuses(customer: Any) -> list[str]:
    return [item["status"] for item in schedule_of(customer)["installments"]]


def test_each_installment_is_debited_once_on_its_day(
    customer_factory: Any, mailbox: Any, fresh_jobs: None
) -> None:
    # Given a monthly payer with a mandate, whose schedule starts on 5 February 2044 (a year of its own)
    customer = customer_factory()
    monthly_payer(customer, date(2044, 1, 10))
    job_ran_until("collect_direct_debits", date(2044, 2, 4))

    # When the daily job runs on 5 February, twice, then on 5 March
    first = collect(date(2044, 2, 5))
    again = collect(date(2044, 2, 5))
    after_first = statuses(customer)
    collect(date(2044, 3, 5))

    # Then the first installment was debited on its day, once; the second on its own
    assert first["installments"] == 1 and again["installments"] == 0
    assert after_first == ["paid"] + ["scheduled"] * 11
    assert statuses(customer) == ["paid", "paid"] + ["scheduled"] * 10
    charges = provider_charges(customer.customer_id)
    installments = schedule_of(customer)["installments"]
    assert sorted(charge.succeeded for charge in charges.values()) == [True, True]
    assert len(mails_to(mailbox, customer.email, "prélevée")) == 2
    assert installments[0]["amount_cents"] + installments[1]["amount_cents"] > 0


def test_a_late_run_after_a_gap_debits_each_missed_installment_once(
    customer_factory: Any, fresh_jobs: None
) -> None:
    # Given a monthly payer whose first installment was debited on 5 February 2043 (a year no
    # other test's installment is due in)
    customer = customer_factory()
    monthly_payer(customer, date(2043, 1, 10))
    job_ran_until("collect_direct_debits", date(2043, 2, 4))
    collect(date(2043, 2, 5))

    # When the job does not run again until 20 April, then runs twice
    late = collect(date(2043, 4, 20))
    again = collect(date(2043, 4, 20))

    # Then the two installments of March and April were each debited once
    assert (late["installments"], again["installments"]) == (2, 0)
    assert statuses(customer) == ["paid"] * 3 + ["scheduled"] * 9
    assert len(provider_charges(customer.customer_id)) == 3


def invoice_to_debit(customer: Any, year: int) -> Any:
    """An invoice of 10 May (due 25 May) of a customer who gave a mandate on 1 May."""
    from chalicelib import bank_accounts
    from conftest import issue_invoice

    bank_accounts.change(
        customer.customer_id,
        iban=GOOD_IBAN,
        bic=None,
        holder="Test Client",
        now=paris_noon(date(year, 5, 1)),
        today=f"{year}-05-01",
    )
    return issue_invoice(customer.customer_id, date(year, 5, 10))


def test_a_direct_debit_invoice_is_debited_once_on_its_due_date(
    customer_factory: Any, mailbox: Any, fresh_jobs: None
) -> None:
    # Given a customer with a mandate, and an invoice of 10 May 2035 (due 25 May) to be debited
    from conftest import stored_invoice

    customer = customer_factory()
    invoice = invoice_to_debit(customer, 2035)
    assert (invoice.payment_mode, invoice.due_on) == ("direct_debit", "2035-05-25")
    job_ran_until("collect_direct_debits", date(2035, 5, 23))

    # When the daily job runs the day before, on the due date, and again
    before = collect(date(2035, 5, 24))
    on_the_day = collect(date(2035, 5, 25))
    collect(date(2035, 5, 25))

    # Then it was debited once, on its due date, and is paid
    assert (before["invoices"], on_the_day["invoices"]) == (0, 1)
    (charge,) = provider_charges(customer.customer_id).values()
    stored = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert charge.succeeded and (stored.status, stored.amount_due_cents) == ("paid", 0)
    assert [applied.method for applied in stored.payments] == ["direct_debit"]


def test_a_direct_debit_that_failed_after_the_debit_is_made_again_by_the_run_once(
    customer_factory: Any, fresh_jobs: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a customer with a mandate and an invoice of 10 May 2063 (due 25 May) to be debited,
    # and DynamoDB throttling once the transaction that records the debit (found by the
    # fault-injection tier: the run swallowed the failure and covered the day, the account
    # debited and the invoice still open; the next attempt would have debited it again)
    from conftest import payment_record_throttled_once, stored_invoice
    from pynamodb.exceptions import TransactWriteError

    customer = customer_factory()
    invoice = invoice_to_debit(customer, 2063)
    job_ran_until("collect_direct_debits", date(2063, 5, 24))
    payment_record_throttled_once(monkeypatch)

    # When the job runs on the due date: it fails; and Lambda runs it again
    with pytest.raises(TransactWriteError):
        collect(date(2063, 5, 25))
    again = collect(date(2063, 5, 25))

    # Then the invoice is paid by the first run's debit: one debit in all
    assert again["invoices"] == 1
    (charge,) = provider_charges(customer.customer_id).values()
    stored = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert charge.succeeded and (stored.status, stored.amount_due_cents) == ("paid", 0)


def test_collecting_an_installment_twice_debits_it_once(customer_factory: Any) -> None:
    # Given a monthly payer's first installment (2035), due on 5 February
    from chalicelib import payment_schedules
    from chalicelib.models import Installment, customer_pk

    customer = customer_factory()
    contract = monthly_payer(customer, date(2035, 1, 10))

    def installment() -> Any:
        return Installment.get(
            customer_pk(customer.customer_id), f"INSTALLMENT#{contract}#2035#01", consistent_read=True
        )

    # When it is collected, and collected again (an overlapping run)
    first = payment_schedules.collect(installment(), paris_noon(date(2035, 2, 5)))
    second = payment_schedules.collect(installment(), paris_noon(date(2035, 2, 5)))

    # Then it was debited once, is paid, and left the due index
    assert (first, second) == ("paid", "already")
    stored = installment()
    assert (stored.status, stored.due_pk) == ("paid", None)
    (charge,) = provider_charges(customer.customer_id).values()
    assert charge.succeeded and stored.payment_id == charge.reference


def test_an_installment_without_a_mandate_is_not_debited(customer_factory: Any) -> None:
    from chalicelib import payment_schedules
    from chalicelib.models import Installment, customer_pk

    customer = customer_factory()
    contract = monthly_payer(customer, date(2035, 1, 10), with_mandate=False)
    item = Installment.get(customer_pk(customer.customer_id), f"INSTALLMENT#{contract}#2035#01")
    assert payment_schedules.collect(item, paris_noon(date(2035, 2, 5))) == "no_mandate"
    assert provider_charges(customer.customer_id) == {}
    assert Installment.get(item.pk, item.sk).status == "scheduled"


def close_month(customer: Any, month: str, peak: str, off_peak: str, **changes: Any) -> None:
    deliver(
        customer.client,
        "consumption_period_closed",
        consumption_closed(
            customer.customer_id,
            meter_id=f"PDL-{customer.customer_id}",
            subscription_id=changes.pop("subscription_id", f"sub-{customer.customer_id}"),
            month=month,
            payment_mode="monthly",
            tariff_option="off_peak",
            consumed_kwh=str(Decimal(peak) + Decimal(off_peak)),
            peak_kwh=peak,
            off_peak_kwh=off_peak,
            rates_cents_per_kwh={"peak": "25.16", "off_peak": "19.52"},
            subscription_price_cents=SUBSCRIPTION_CENTS,
            **changes,
        ),
    )


def month_cents(peak: str, off_peak: str) -> int:
    """What a closed month adds: (subscription without tax + kWh lines) × 1.2, in cents."""

    def cents(value: Decimal) -> int:
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    base = cents(Decimal(SUBSCRIPTION_CENTS) / Decimal("1.2"))
    base += cents(Decimal(peak) * Decimal("25.16")) + cents(Decimal(off_peak) * Decimal("19.52"))
    return cents(Decimal(base) * Decimal("1.2"))


def test_closed_months_of_a_monthly_payer_count_once_and_issue_no_invoice(customer_factory: Any) -> None:
    # Given a monthly payer whose schedule started in November 2026
    customer = customer_factory()
    activated(customer, date(2026, 11, 23), subscription_id=f"sub-{customer.customer_id}")
    assert schedule_of(customer)["consumption_billed_cents"] == 0

    # When December is closed (delivered three times), then January
    for _ in range(3):
        close_month(customer, "2026-12", "250.5", "120.25")
    after_december = schedule_of(customer)["consumption_billed_cents"]
    close_month(customer, "2027-01", "300", "150.75")

    # Then each month counted once toward the regularization, and no invoice was issued
    assert after_december == month_cents("250.5", "120.25")
    assert schedule_of(customer)["consumption_billed_cents"] == after_december + month_cents("300", "150.75")
    assert invoices_in_table(customer.customer_id) == []


def paid_year(
    customer: Any, consumption: list[tuple[str, int]], paid_installments: int, year: int = 2035
) -> Any:
    """A monthly payer of `year` (ordered on 10 January) with these closed months (month, cents)
    and the first installments paid."""
    from chalicelib import payment_schedules
    from chalicelib.models import Installment, Schedule, customer_pk

    contract = monthly_payer(customer, date(year, 1, 10))
    for month, cents in consumption:
        assert payment_schedules.add_consumption(
            customer.customer_id, contract, month=month, amount_cents=cents
        )
    for number in range(1, paid_installments + 1):
        item = Installment.get(
            customer_pk(customer.customer_id), f"INSTALLMENT#{contract}#{year}#{number:02d}"
        )
        assert payment_schedules.collect(item, paris_noon(date.fromisoformat(item.due_on))) == "paid"
    return Schedule.get(
        customer_pk(customer.customer_id), f"SCHEDULE#{contract}#{year}", consistent_read=True
    )


def test_the_job_issues_the_regularization_on_its_day_once(customer_factory: Any, fresh_jobs: None) -> None:
    # Given a monthly payer of 2041 (regularization on 1 February 2042, a day no other test's
    # schedule is due) whose twelve installments were paid and whose closed months came to 1,234.56 €
    customer = customer_factory()
    schedule = paid_year(customer, [("2041-03", 60000), ("2041-09", 63456)], paid_installments=12, year=2041)
    paid = sum(int(item["amount_cents"]) for item in schedule_of(customer)["installments"])
    assert schedule.regularization_on == "2042-02-01"
    job_ran_until("collect_direct_debits", date(2042, 1, 31))

    # When the daily job runs on that day, and again
    first = collect(date(2042, 2, 1))
    again = collect(date(2042, 2, 1))

    # Then one regularization invoice bills the actual amount minus the installments paid
    assert (first["regularizations"], again["regularizations"]) == (1, 0)
    (invoice,) = [item for item in invoices_in_table(customer.customer_id) if item.kind == "regularization"]
    assert invoice.total_cents == 123456 - paid
    assert invoice.issued_on == "2042-02-01"


def test_the_regularization_bills_actual_minus_paid_once(customer_factory: Any) -> None:
    # Given a monthly payer of 2035 with three installments paid and two closed months
    from chalicelib import payment_schedules

    customer = customer_factory()
    schedule = paid_year(customer, [("2035-02", 9100), ("2035-03", 8850)], paid_installments=3)
    paid = sum(item["amount_cents"] for item in schedule_of(customer)["installments"][:3])

    # When the year is regularized (twice: an overlapping run)
    invoice = payment_schedules.regularize(schedule, paris_noon(date(2036, 2, 1)))
    again = payment_schedules.regularize(schedule, paris_noon(date(2036, 2, 1)))

    # Then one regularization invoice of actual − paid (negative: owed to the customer, nothing due by them)
    assert again.invoice_id == invoice.invoice_id
    (stored,) = invoices_in_table(customer.customer_id)
    assert (stored.kind, stored.total_cents) == ("regularization", 17950 - paid)
    assert stored.total_cents < 0 and stored.amount_due_cents == 0
    assert stored.total_excl_tax_cents + stored.tax_cents == stored.total_cents
    from chalicelib.models import Schedule

    assert Schedule.get(schedule.pk, schedule.sk, consistent_read=True).regularized is True


def test_a_regularization_owed_by_the_customer_is_due(customer_factory: Any) -> None:
    # Given a monthly payer of 2035 who consumed more than the one installment paid
    from chalicelib import payment_schedules

    customer = customer_factory()
    schedule = paid_year(customer, [("2035-02", 150000)], paid_installments=1)
    paid = schedule_of(customer)["installments"][0]["amount_cents"]

    # When the year is regularized
    invoice = payment_schedules.regularize(schedule, paris_noon(date(2036, 2, 1)))

    # Then the customer owes the difference, collected by direct debit
    assert (invoice.kind, invoice.status, invoice.payment_mode) == ("regularization", "open", "direct_debit")
    assert invoice.total_cents == invoice.amount_due_cents == 150000 - paid
