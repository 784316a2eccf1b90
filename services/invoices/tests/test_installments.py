"""Installments while the contract lives: each energy contract paid monthly has a schedule of its
own (two contracts of one customer both get theirs); a declined debit is mailed with its reason
and retried once, 7 days later, then mailed again if declined again; a suspended contract's
installments pause and resume; when a contract ends its later installments are cancelled and its
regularization is issued as soon as its final month is closed, an overpayment being refunded
whatever its amount.

Time is the jobs' `now`; each test works in a year of its own (2047 to 2050).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from conftest import (
    consumption_closed,
    energy_activated,
    invoices_in_table,
    job_ran_until,
    mails_to,
    paris_noon,
    provider_charges,
    provider_refunds,
    refunds_of,
    with_mandate,
)
from guichet_local.testing import a_subscription, answer, deliver

GOOD_IBAN = "FR1420041010050500013M02606"
POOR_IBAN = "FR7630004000010000000040294"  # sandbox: debits declined, insufficient_funds
RATES = {"base": "25.16"}
ESTIMATED_KWH = 2400
PRICE = 1500


def contract(customer: Any, started_on: date, subscription_id: str) -> Any:
    """A monthly payer's electricity contract (base option) activated from `started_on`."""
    return energy_activated(
        customer,
        started_on=started_on.isoformat(),
        subscription_id=subscription_id,
        price_cents=PRICE,
        tariff={"energy_rates_cents_per_kwh": RATES, "estimated_annual_kwh": ESTIMATED_KWH},
    )


def collect(day: date) -> dict[str, int]:
    from chalicelib import direct_debits

    job_ran_until("collect_direct_debits", day - timedelta(days=1))
    return direct_debits.collect_direct_debits(now=paris_noon(day))


def installments(customer: Any, subscription_id: str) -> list[Any]:
    from chalicelib.models import Installment, customer_pk

    return sorted(
        Installment.query(
            customer_pk(customer.customer_id),
            Installment.sk.startswith(f"INSTALLMENT#{subscription_id}#"),
            consistent_read=True,
        ),
        key=lambda item: item.sk,
    )


def statuses(customer: Any, subscription_id: str) -> list[str]:
    return [item.status for item in installments(customer, subscription_id)]


def test_two_contracts_of_one_customer_each_get_their_schedule_and_debits(
    customer_factory: Any, fresh_jobs: None
) -> None:
    # Given a monthly payer with a mandate, whose home contract starts on 10 January 2047 and
    # whose holiday house's starts on 20 January (the same schedule year)
    customer = customer_factory()
    with_mandate(customer, on="2047-01-02")
    contract(customer, date(2047, 1, 10), "sub-home")
    contract(customer, date(2047, 1, 20), "sub-holidays")

    # When the daily job runs on 5 February
    outcome = collect(date(2047, 2, 5))

    # Then each contract's first installment was debited: two debits
    assert outcome["installments"] == 2
    assert [charge.succeeded for charge in provider_charges(customer.customer_id).values()] == [True, True]
    assert (
        statuses(customer, "sub-home")[:2] == statuses(customer, "sub-holidays")[:2] == ["paid", "scheduled"]
    )
    # and the schedule answers the first contract, with both in `schedules`
    schedule = answer(customer.call("GET", "/schedule"))
    assert schedule["subscription_id"] == "sub-home" and schedule["year"] == 2047
    assert [item["subscription_id"] for item in schedule["schedules"]] == ["sub-home", "sub-holidays"]
    assert all(len(item["installments"]) == 12 for item in schedule["schedules"])

    # When a month of the holiday house is closed
    deliver(
        customer.client,
        "consumption_period_closed",
        consumption_closed(
            customer.customer_id, subscription_id="sub-holidays", month="2047-02", payment_mode="monthly"
        ),
    )

    # Then it counts toward that contract's regularization only
    billed = {
        item["subscription_id"]: item["consumption_billed_cents"]
        for item in answer(customer.call("GET", "/schedule"))["schedules"]
    }
    assert billed["sub-home"] == 0 and billed["sub-holidays"] > 0


def test_an_installment_whose_run_died_after_marking_it_is_debited_once_by_the_next_run(
    customer_factory: Any, fresh_jobs: None, mailbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a monthly payer of 2057 whose first installment is due on 5 February, and a run of the
    # job that dies once the installment is marked as being collected, before the debit's outcome
    # is written (found by the fault-injection tier's killed jobs: the installment stayed
    # "collecting", never debited nor retried)
    from chalicelib import payment_provider

    customer = customer_factory()
    with_mandate(customer, on="2057-01-02")
    contract(customer, date(2057, 1, 10), "sub-home")
    debit = payment_provider.SandboxProvider.debit_account

    def dies_after_debiting(self: Any, **kwargs: Any) -> Any:
        debit(self, **kwargs)  # the bank debited the account; the run dies before writing it
        raise SystemExit("the Lambda was stopped")

    monkeypatch.setattr(payment_provider.SandboxProvider, "debit_account", dies_after_debiting)
    with pytest.raises(SystemExit):
        collect(date(2057, 2, 5))
    monkeypatch.setattr(payment_provider.SandboxProvider, "debit_account", debit)
    assert statuses(customer, "sub-home")[0] == "collecting"

    # When the job runs again (Lambda retries it)
    outcome = collect(date(2057, 2, 5))

    # Then the installment is paid by the first run's debit: one debit, one mail
    assert outcome["installments"] == 1
    assert statuses(customer, "sub-home")[:2] == ["paid", "scheduled"]
    assert len(provider_charges(customer.customer_id)) == 1
    assert len(mails_to(mailbox, customer.email, "Échéance 1/12 de votre échéancier 2057 prélevée")) == 1


def test_a_declined_installment_is_mailed_and_retried_once_seven_days_later(
    customer_factory: Any, fresh_jobs: None, mailbox: Any
) -> None:
    # Given two monthly payers of 2048 whose bank declines the debits (insufficient funds)
    mended, stuck = customer_factory(), customer_factory()
    for customer in (mended, stuck):
        with_mandate(customer, iban=POOR_IBAN, on="2048-01-02")
        contract(customer, date(2048, 1, 10), f"sub-{customer.customer_id}")

    # When the first installment is due, on 5 February
    first = collect(date(2048, 2, 5))

    # Then it is declined for both, mailed with the reason and the day it is tried again
    assert first["failed"] == 2 and first["installments"] == 0
    for customer in (mended, stuck):
        assert statuses(customer, f"sub-{customer.customer_id}")[0] == "retrying"
        (mail,) = mails_to(mailbox, customer.email, "nouvel essai le 12 février 2048")
        assert "provision insuffisante" in mail["text"] and customer.customer_id in mail["text"]

    # When one of them gives new bank details on 8 February, and the job runs until the 12th
    with_mandate(mended, iban=GOOD_IBAN, on="2048-02-08")
    assert collect(date(2048, 2, 11))["failed"] == 0
    retried = collect(date(2048, 2, 12))

    # Then the installment is debited from the new account for one, declined again for the other
    assert (retried["installments"], retried["failed"]) == (1, 1)
    assert statuses(mended, f"sub-{mended.customer_id}")[0] == "paid"
    assert len(mails_to(mailbox, mended.email, "Échéance 1/12 de votre échéancier 2048 prélevée")) == 1
    assert statuses(stuck, f"sub-{stuck.customer_id}")[:2] == ["failed", "scheduled"]
    (mail,) = mails_to(mailbox, stuck.email, "n'a pas pu être prélevée")
    assert "régularisation" in mail["text"]
    # and nobody is debited again for it: two tries each
    assert collect(date(2048, 2, 19))["failed"] == 0
    assert len(provider_charges(stuck.customer_id)) == 2 and len(provider_charges(mended.customer_id)) == 2


def subscription_event(name: str, customer: Any, subscription_id: str, **data: Any) -> Any:
    from guichet_contracts.domain_events import subscriptions

    state = a_subscription(
        customer.customer_id, "electricity", subscription_id=subscription_id, started_on="2049-01-10"
    )
    return getattr(subscriptions, name)(subscription=state, **data)


def test_a_suspended_contracts_installments_pause_and_resume(customer_factory: Any, fresh_jobs: None) -> None:
    # Given a monthly payer of 2049 whose first two installments were debited
    customer = customer_factory()
    with_mandate(customer, on="2049-01-02")
    contract(customer, date(2049, 1, 10), "sub-paused")
    collect(date(2049, 2, 5))
    collect(date(2049, 3, 5))

    # When the contract is suspended on 10 March (delivered twice), and April's day comes
    for _ in range(2):
        deliver(
            customer.client,
            "subscription_paused",
            subscription_event(
                "SubscriptionSuspended",
                customer,
                "sub-paused",
                reason="unpaid",
                invoice_ids=[],
                on=date(2049, 3, 10),
            ),
        )
    april = collect(date(2049, 4, 5))

    # Then nothing is debited while it is suspended
    assert april["installments"] == 0
    assert statuses(customer, "sub-paused") == ["paid", "paid"] + ["paused"] * 10

    # When it resumes on 20 May (delivered twice)
    for _ in range(2):
        deliver(
            customer.client,
            "subscription_paused",
            subscription_event(
                "SubscriptionResumed", customer, "sub-paused", reason="paid", on=date(2049, 5, 20)
            ),
        )

    # Then the installments whose day passed are skipped, the others debited again on their day
    assert statuses(customer, "sub-paused") == ["paid", "paid", "skipped", "skipped"] + ["scheduled"] * 8
    assert collect(date(2049, 6, 5))["installments"] == 1
    assert statuses(customer, "sub-paused")[4] == "paid"
    assert len(provider_charges(customer.customer_id)) == 3


@pytest.mark.parametrize("ending", ["SubscriptionCancelled", "SubscriptionExpired"])
def test_an_ended_contract_stops_its_installments_and_is_regularized_after_its_final_month(
    customer_factory: Any, fresh_jobs: None, published: Any, mailbox: Any, ending: str
) -> None:
    # Given a monthly payer of 2050 (contract from 10 January), three installments debited, and
    # February and March closed
    from chalicelib import payment_schedules

    customer = customer_factory()
    with_mandate(customer, on="2050-01-02")
    contract(customer, date(2050, 1, 10), "sub-ending")
    for month in (2, 3, 4):
        collect(date(2050, month, 5))
    paid = sum(int(item.amount_cents) for item in installments(customer, "sub-ending")[:3])
    assert payment_schedules.add_consumption(
        customer.customer_id, "sub-ending", month="2050-02", amount_cents=paid // 2
    )
    assert payment_schedules.add_consumption(
        customer.customer_id, "sub-ending", month="2050-03", amount_cents=paid - paid // 2 - 1000
    )

    # When the contract ends on 15 April (its last day of service)
    extra = (
        {"immediate": True, "reason": "moving out", "refund": None}
        if ending == "SubscriptionCancelled"
        else {}
    )
    deliver(
        customer.client,
        "subscription_ended",
        subscription_event(ending, customer, "sub-ending", ended_on=date(2050, 4, 15), **extra),
    )

    # Then the installments after that day are cancelled; nothing more is debited
    assert statuses(customer, "sub-ending") == ["paid"] * 3 + ["cancelled"] * 9
    assert collect(date(2050, 5, 5))["installments"] == 0

    # When its final month (1-15 April, nothing consumed) is closed, twice
    for _ in range(2):
        deliver(
            customer.client,
            "consumption_period_closed",
            consumption_closed(
                customer.customer_id,
                subscription_id="sub-ending",
                month="2050-04",
                payment_mode="monthly",
                period_start="2050-04-01",
                period_end="2050-04-15",
                subscription_price_cents=0,
                consumed_kwh="0",
                peak_kwh="0",
                final=True,
            ),
        )

    # Then the regularization is issued at once (not at the year's end), once: 10 € overpaid,
    # refunded by transfer to the mandate's account although under 25 € (the contract ended)
    (regularization,) = [
        item for item in invoices_in_table(customer.customer_id) if item.kind == "regularization"
    ]
    assert (regularization.total_cents, regularization.owed_cents, regularization.status) == (
        -1000,
        1000,
        "refunded",
    )
    assert regularization.subscription_ids == []
    (refund,) = refunds_of(customer.customer_id, regularization.invoice_id)
    assert (refund.method, refund.amount_cents, refund.status) == ("transfer", 1000, "succeeded")
    (transfer,) = provider_refunds(customer.customer_id).values()
    assert transfer.reference.startswith("sbx_tr_") and transfer.succeeded
    (event,) = published.of(customer.customer_id, "PaymentRefunded")
    assert (event["detail"]["data"]["method"], event["detail"]["data"]["amount_cents"]) == ("transfer", 1000)
    assert len(mails_to(mailbox, customer.email, "Remboursement de 10,00")) == 1
    from chalicelib.models import Schedule, customer_pk

    schedule = Schedule.get(
        customer_pk(customer.customer_id), "SCHEDULE#sub-ending#2050", consistent_read=True
    )
    assert schedule.regularized and schedule.ended_on == "2050-04-15" and schedule.due_pk is None


def test_a_running_contracts_next_year_starts_where_the_regularized_one_ended(customer_factory: Any) -> None:
    # Given a monthly payer of 2053 (from 10 January) whose twelve installments were debited and
    # whose closed months, eight of them, came to 800 €
    from chalicelib import payment_schedules
    from chalicelib.models import Schedule, customer_pk

    customer = customer_factory()
    with_mandate(customer, on="2053-01-02")
    contract(customer, date(2053, 1, 10), "sub-running")
    for month in range(2, 10):
        payment_schedules.add_consumption(
            customer.customer_id, "sub-running", month=f"2053-{month:02d}", amount_cents=10000
        )
    schedule = Schedule.get(customer_pk(customer.customer_id), "SCHEDULE#sub-running#2053")

    # When its year is regularized on 1 February 2054 (and again)
    payment_schedules.regularize(schedule, paris_noon(date(2054, 2, 1)))
    payment_schedules.regularize(schedule, paris_noon(date(2054, 2, 1)))

    # Then the next year's twelve installments start on 5 February 2054, estimated from the
    # actual energy (800 € over 8 months: 1,200 € a year)
    following = Schedule.get(
        customer_pk(customer.customer_id), "SCHEDULE#sub-running#2054", consistent_read=True
    )
    assert (following.estimated_annual_cents, following.regularization_on) == (120000, "2055-02-01")
    due = [item.due_on for item in installments(customer, "sub-running") if item.year == 2054]
    assert due[0] == "2054-02-05" and len(due) == 12
    # and a month of the regularized year closed late counts toward the new one
    assert payment_schedules.add_consumption(
        customer.customer_id, "sub-running", month="2053-12", amount_cents=9000
    )
    assert Schedule.get(following.pk, following.sk, consistent_read=True).consumption_cents == 9000
    assert not payment_schedules.add_consumption(
        customer.customer_id, "sub-running", month="2053-12", amount_cents=9000
    )


def test_an_ended_contract_gets_no_next_year(customer_factory: Any) -> None:
    from chalicelib import payment_schedules
    from chalicelib.models import Schedule, customer_pk

    customer = customer_factory()
    with_mandate(customer, on="2053-01-02")
    contract(customer, date(2053, 1, 10), "sub-over")
    payment_schedules.end(customer.customer_id, "sub-over", ended_on=date(2053, 11, 30))
    schedule = Schedule.get(customer_pk(customer.customer_id), "SCHEDULE#sub-over#2053", consistent_read=True)
    payment_schedules.regularize(schedule, paris_noon(date(2053, 12, 2)))
    years = Schedule.query(customer_pk(customer.customer_id), Schedule.sk.startswith("SCHEDULE#sub-over#"))
    assert [item.year for item in years] == [2053]
