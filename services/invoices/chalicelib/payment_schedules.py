"""The payment schedule (échéancier) of a monthly payer's energy contract, its direct debits and
its regularization.

Each contract paid by monthly debits has its own schedule, keyed by its subscription (a customer
may hold two: a home and a holiday house): its year of energy is estimated when the contract
starts, split into monthly installments debited by the daily job on their due dates (each
exactly once: an installment leaves the `due` index in the write that records it). The energy
actually consumed arrives month by month (ConsumptionPeriodClosed); at the end of the year a
regularization invoice bills the actual amount minus the installments paid.

Installments are debited only while the contract is active:
- a debit declined is mailed with its reason and retried once, RETRY_DAYS later (with the mandate
  then on file); declined again, it is mailed as not collected: its amount is left to the
  regularization (actual minus paid);
- SubscriptionSuspended pauses the installments not yet collected; SubscriptionResumed schedules
  again those whose day is still to come (the ones whose day passed meanwhile are skipped:
  the regularization counts what was consumed);
- when the contract ends (SubscriptionCancelled, SubscriptionExpired) its installments due after
  its last day are cancelled, and its regularization is issued as soon as its final month is
  closed (ConsumptionPeriodClosed with `final`) rather than at the year's end.

A running contract's next year of installments starts where the regularized one ended, its
estimate the year's actual energy (annualized). A month closed after its year was regularized
counts toward the next year's.

A regularization owed by the customer is debited on its due date; one owed to the customer is
refunded by transfer to the mandate's account when it reaches CARRY_BELOW_CENTS (50 € for a
business), or when the contract ended, and otherwise carried to the next invoice (refunds.py),
as French energy rules ask.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger
from dateutil.relativedelta import relativedelta
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from . import billing_parties, invoicing, line_words, mailing, vat
from .errors import NotFound
from .models import Installment, Schedule, customer_pk, transaction

logger = Logger(child=True)

INSTALLMENTS = 12
DEBIT_DAY = 5
RETRY_DAYS = 7
CARRY_BELOW_CENTS = 2500
CARRY_BELOW_CENTS_BUSINESS = 5000
NOT_COLLECTED = ("scheduled", "retrying", "paused")


def as_dict(schedule: Schedule, installments: list[Installment]) -> dict[str, Any]:
    return {
        "subscription_id": schedule.subscription_id,
        "year": int(schedule.year),
        "estimated_annual_cents": int(schedule.estimated_annual_cents),
        "currency": schedule.currency,
        "installments": [
            {
                "number": int(item.number),
                "due_on": item.due_on,
                "amount_cents": int(item.amount_cents),
                # a debit the provider is still processing is, for the customer, being collected
                "status": "collecting" if item.status == "processing" else item.status,
                "retry_on": item.retry_on if item.status == "retrying" else None,
            }
            for item in sorted(installments, key=lambda installment: int(installment.number))
        ],
        "regularization_on": schedule.regularization_on,
        "consumption_billed_cents": int(schedule.consumption_cents or 0),
        "ended_on": schedule.ended_on,
    }


def _installments(schedule: Schedule) -> list[Installment]:
    return list(
        Installment.query(
            schedule.pk,
            Installment.sk.startswith(f"INSTALLMENT#{schedule.subscription_id}#{int(schedule.year)}#"),
            consistent_read=True,
        )
    )


def _current_year(schedules: list[Schedule], today: date) -> Schedule:
    """The year of one contract's schedule that is running (the latest, once they are over)."""
    ordered = sorted(schedules, key=lambda schedule: int(schedule.year), reverse=True)
    live = [schedule for schedule in ordered if schedule.regularization_on >= today.isoformat()] or ordered
    return live[-1] if len(live) > 1 and live[-1].year <= today.year else live[0]


def current(customer_id: str, today: date) -> dict[str, Any]:
    """The schedule of the customer's current contract year (404 for a customer who pays per
    invoice); with several contracts paid monthly, the running one that started first, and every
    contract's in `schedules`."""
    by_contract: dict[str, list[Schedule]] = {}
    for schedule in Schedule.query(customer_pk(customer_id), Schedule.sk.startswith("SCHEDULE#")):
        by_contract.setdefault(schedule.subscription_id, []).append(schedule)
    if not by_contract:
        raise NotFound()
    chosen = [_current_year(schedules, today) for schedules in by_contract.values()]
    chosen.sort(
        key=lambda schedule: (
            schedule.ended_on is not None,
            schedule.regularization_on,
            schedule.started_on or "",
            schedule.subscription_id,
        )
    )
    answers = [as_dict(schedule, _installments(schedule)) for schedule in chosen]
    return {**answers[0], "schedules": answers}


def split(total_cents: int, parts: int) -> list[int]:
    """Equal installments in cents; the first ones carry the remainder, so they sum to the total."""
    base, extra = divmod(total_cents, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def create(
    customer_id: str, subscription_id: str, *, start: date, estimated_annual_cents: int, currency: str = "EUR"
) -> bool:
    """Create a contract's year of installments from the month after `start`; False when it exists."""
    first_due = (start.replace(day=1) + relativedelta(months=1)).replace(day=DEBIT_DAY)
    year = first_due.year
    schedule = Schedule(
        customer_pk(customer_id),
        f"SCHEDULE#{subscription_id}#{year}",
        customer_id=customer_id,
        subscription_id=subscription_id,
        year=year,
        estimated_annual_cents=estimated_annual_cents,
        installments_count=INSTALLMENTS,
        regularization_on=(first_due + relativedelta(months=INSTALLMENTS)).replace(day=1).isoformat(),
        currency=currency,
        started_on=start.isoformat(),
    )
    schedule.due_pk = f"REGULARIZATION_DUE#{schedule.regularization_on}"
    schedule.due_sk = f"{customer_id}#{subscription_id}#{year}"
    try:
        with transaction() as write:
            write.save(schedule, condition=Schedule.pk.does_not_exist())
            for number, amount in enumerate(split(estimated_annual_cents, INSTALLMENTS), start=1):
                due_on = (first_due + relativedelta(months=number - 1)).isoformat()
                write.save(
                    Installment(
                        customer_pk(customer_id),
                        f"INSTALLMENT#{subscription_id}#{year}#{number:02d}",
                        customer_id=customer_id,
                        subscription_id=subscription_id,
                        year=year,
                        number=number,
                        due_on=due_on,
                        amount_cents=amount,
                        status="scheduled",
                        due_pk=f"INSTALLMENT_DUE#{due_on}",
                        due_sk=f"{customer_id}#{subscription_id}#{year}#{number:02d}",
                    )
                )
    except TransactWriteError:
        try:
            Schedule.get(schedule.pk, schedule.sk)
        except DoesNotExist:
            raise
        return False  # already created (the event was delivered twice)
    return True


def _schedules_of(customer_id: str, subscription_id: str) -> list[Schedule]:
    return list(
        Schedule.query(
            customer_pk(customer_id),
            Schedule.sk.startswith(f"SCHEDULE#{subscription_id}#"),
            consistent_read=True,
        )
    )


def add_consumption(customer_id: str, subscription_id: str, *, month: str, amount_cents: int) -> bool:
    """Count a closed month of a contract's energy toward the regularization of the year it falls
    in (once per month); a month closed after its year was regularized counts toward the next."""
    years = sorted(
        _schedules_of(customer_id, subscription_id), key=lambda schedule: schedule.regularization_on
    )
    covering = next((schedule for schedule in years if schedule.regularization_on > f"{month}-01"), None)
    if covering is None or month in (covering.consumption_months or []):
        return False
    if covering.regularized:
        later = [schedule for schedule in years if schedule.regularization_on > covering.regularization_on]
        covering = next((schedule for schedule in later if not schedule.regularized), None)
        if covering is None or month in (covering.consumption_months or []):
            logger.warning("a month closed after its year was regularized", extra={"month": month})
            return False
    try:
        covering.update(
            actions=[
                Schedule.consumption_cents.add(amount_cents),
                Schedule.consumption_months.set(Schedule.consumption_months.append([month])),
            ],
            condition=~Schedule.consumption_months.contains(month),
        )
    except UpdateError:
        return False  # this month was already counted
    return True


def collect(installment: Installment, now: datetime) -> str:
    """Debit one installment through the customer's mandate, exactly once per attempt: "paid",
    "retrying" (declined the first time), "failed" (declined again), "processing" (the provider
    tells the end later: `provider_debit_ended`), "already", "no_mandate"."""
    from . import payment_provider
    from .models import BankAccount

    try:
        account = BankAccount.get(customer_pk(installment.customer_id), "BANK_ACCOUNT")
    except DoesNotExist:
        logger.warning("installment without mandate", extra={"customer_id": installment.customer_id})
        return "no_mandate"
    attempt = installment.status
    if attempt == "collecting":
        # a run that marked it died before writing the outcome (its debit made or not): this run
        # makes the same attempt, under the same key, so the provider answers the same debit
        attempt = installment.collecting_attempt or "scheduled"
    elif attempt not in ("scheduled", "retrying"):
        return "already"
    else:
        try:
            installment.update(
                actions=[Installment.status.set("collecting"), Installment.collecting_attempt.set(attempt)],
                condition=Installment.status == attempt,
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise  # AWS failing for a moment: the job fails and is run again
            return "already"
    key = f"{installment.customer_id}:{installment.sk}" + ("#retry" if attempt == "retrying" else "")
    party = billing_parties.get(installment.customer_id)
    charge = payment_provider.current().debit_account(
        iban=account.iban,
        mandate_reference=account.mandate_reference,
        amount_cents=int(installment.amount_cents),
        currency="EUR",
        idempotency_key=key,
        description=line_words.Wording(party.language if party else "fr")(
            "installment", number=int(installment.number), count=INSTALLMENTS, year=int(installment.year)
        ),
        holder=account.holder,
        email=party.email if party else "",
        metadata={"customer_id": installment.customer_id, "installment": installment.sk},
    )
    if charge.status == "pending":
        # out of the due index (due_pk only: a retry puts it back) until the provider's webhook
        try:
            installment.update(
                actions=[
                    Installment.status.set("processing"),
                    Installment.payment_id.set(charge.reference),
                    Installment.due_pk.remove(),
                ],
                condition=Installment.status == "collecting",
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return "already"
        return "processing"
    return _concluded(installment, attempt, charge, now, was="collecting")


def provider_debit_ended(customer_id: str, installment_sk: str, charge: Any, now: datetime) -> bool:
    """The provider's webhook tells how an installment's debit it was processing ended (`charge`,
    whose reference is the provider's payment id); True if this recorded it."""
    if not installment_sk.startswith("INSTALLMENT#") or charge.status == "pending":
        return False
    try:
        installment = Installment.get(customer_pk(customer_id), installment_sk, consistent_read=True)
    except DoesNotExist:
        return False
    if installment.status != "processing" or installment.payment_id != charge.reference:
        return False
    attempt = installment.collecting_attempt or "scheduled"
    return _concluded(installment, attempt, charge, now, was="processing") != "already"


def _concluded(installment: Installment, attempt: str, charge: Any, now: datetime, *, was: str) -> str:
    """Write how an attempt ended (from status `was`) and mail the customer once."""
    today = invoicing.local_day(now)
    if charge.status == "succeeded":
        status = "paid"
        actions: list[Any] = [Installment.due_pk.remove(), Installment.due_sk.remove()]
    elif attempt == "scheduled":
        status = "retrying"
        retry_on = today + timedelta(days=RETRY_DAYS)
        actions = [
            Installment.retry_on.set(retry_on.isoformat()),
            Installment.due_pk.set(f"INSTALLMENT_DUE#{retry_on}"),
        ]
    else:
        status = "failed"
        actions = [Installment.due_pk.remove(), Installment.due_sk.remove()]
    try:
        installment.update(
            actions=[
                Installment.status.set(status),
                Installment.collecting_attempt.remove(),
                Installment.payment_id.set(charge.reference),
                *([Installment.failure_code.set(charge.decline_code)] if charge.decline_code else []),
                *actions,
            ],
            condition=Installment.status == was,
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return "already"  # another run resuming it wrote the outcome (and mailed it)
    party = billing_parties.get(installment.customer_id)
    language = party.language if party else "fr"
    common = {
        "customer_id": installment.customer_id,
        "year": int(installment.year),
        "installment_number": int(installment.number),
        "installments_count": INSTALLMENTS,
        "amount": mailing.money(int(installment.amount_cents), "EUR", language),
        "schedule_url": mailing.portal_link("schedule"),
    }
    if status == "paid":
        mailing.notify(
            "schedule_installment_debited", party, debited_on=mailing.day(today, language), **common
        )
    else:
        mailing.notify(
            "installment_failed",
            party,
            reason=mailing.decline_reason(charge.decline_code, language),
            retry_on=mailing.day(installment.retry_on, language) if status == "retrying" else None,
            bank_url=mailing.portal_link("billing"),
            **common,
        )
        logger.info(
            "installment declined",
            extra={"customer_id": installment.customer_id, "installment": installment.sk, "status": status},
        )
    return status


def pause(customer_id: str, subscription_id: str) -> int:
    """The contract is suspended: its installments not yet collected wait (out of the due index)."""
    paused = 0
    for installment in _pending_installments(customer_id, subscription_id, ("scheduled", "retrying")):
        try:
            installment.update(
                actions=[
                    Installment.status.set("paused"),
                    Installment.due_pk.remove(),
                    Installment.due_sk.remove(),
                ],
                condition=Installment.status == installment.status,
            )
        except UpdateError:
            continue  # collected meanwhile
        paused += 1
    logger.info("installments paused", extra={"subscription_id": subscription_id, "paused": paused})
    return paused


def resume(customer_id: str, subscription_id: str, *, on: date) -> int:
    """The contract is active again: paused installments whose day is still to come are debited
    on it; those whose day passed meanwhile are skipped (the regularization counts the energy)."""
    resumed = 0
    for installment in _pending_installments(customer_id, subscription_id, ("paused",)):
        if installment.due_on >= on.isoformat():
            actions: list[Any] = [
                Installment.status.set("scheduled"),
                Installment.due_pk.set(f"INSTALLMENT_DUE#{installment.due_on}"),
                Installment.due_sk.set(
                    f"{customer_id}#{subscription_id}#{int(installment.year)}#{int(installment.number):02d}"
                ),
            ]
        else:
            actions = [Installment.status.set("skipped")]
        try:
            installment.update(actions=actions, condition=Installment.status == "paused")
        except UpdateError:
            continue
        resumed += installment.status == "scheduled"
    return resumed


def end(customer_id: str, subscription_id: str, *, ended_on: date) -> int:
    """The contract ended on `ended_on` (its last day): its installments due after it are
    cancelled, its open schedules say so; the number cancelled."""
    cancelled = 0
    for installment in _pending_installments(customer_id, subscription_id, NOT_COLLECTED):
        if installment.due_on <= ended_on.isoformat():
            continue
        try:
            installment.update(
                actions=[
                    Installment.status.set("cancelled"),
                    Installment.due_pk.remove(),
                    Installment.due_sk.remove(),
                ],
                condition=Installment.status == installment.status,
            )
        except UpdateError:
            continue
        cancelled += 1
    for schedule in _schedules_of(customer_id, subscription_id):
        if not schedule.regularized and schedule.ended_on is None:
            try:
                schedule.update(
                    actions=[Schedule.ended_on.set(ended_on.isoformat())],
                    condition=Schedule.ended_on.does_not_exist(),
                )
            except UpdateError:
                pass
    if cancelled:
        logger.info(
            "installments cancelled", extra={"subscription_id": subscription_id, "cancelled": cancelled}
        )
    return cancelled


def _pending_installments(
    customer_id: str, subscription_id: str, statuses: tuple[str, ...]
) -> list[Installment]:
    return [
        installment
        for installment in Installment.query(
            customer_pk(customer_id),
            Installment.sk.startswith(f"INSTALLMENT#{subscription_id}#"),
            consistent_read=True,
        )
        if installment.status in statuses
    ]


def final_month_closed(customer_id: str, subscription_id: str, *, last_day: date, now: datetime) -> list[Any]:
    """The contract's final month was closed: its installments after `last_day` are cancelled and
    each of its years not yet regularized is regularized now; the regularization invoices."""
    end(customer_id, subscription_id, ended_on=last_day)
    return [
        regularize(schedule, now, final=True)
        for schedule in _schedules_of(customer_id, subscription_id)
        if not schedule.regularized
    ]


def regularize(schedule: Schedule, now: datetime, *, final: bool | None = None) -> Any:
    """The year's regularization invoice: energy actually billed minus the installments paid;
    owed to the customer, refunded or carried (see the module)."""
    from . import refunds

    final = bool(schedule.ended_on) if final is None else final
    installments = _installments(schedule)
    paid = sum(int(item.amount_cents) for item in installments if item.status == "paid")
    actual = int(schedule.consumption_cents or 0)
    owed_to_customer = paid - actual
    party = billing_parties.get(schedule.customer_id)
    threshold = CARRY_BELOW_CENTS_BUSINESS if party is not None and party.company else CARRY_BELOW_CENTS
    carried = 0 < owed_to_customer < threshold and not final
    rate = Decimal("20.0")
    say = line_words.Wording(party.language if party else "fr")
    lines = [
        vat.line_excluding_tax(
            description=say("actual_consumption", year=int(schedule.year)),
            quantity=Decimal(1),
            unit="unit",
            unit_price_cents=Decimal(actual),
            tax_rate=rate,
            tax_included=True,
        ),
        vat.line_excluding_tax(
            description=say("installments_debited", year=int(schedule.year)),
            quantity=Decimal(-1),
            unit="unit",
            unit_price_cents=Decimal(paid),
            tax_rate=rate,
            tax_included=True,
        ),
    ]
    invoice = invoicing.issue(
        schedule.customer_id,
        kind="regularization",
        source=f"REGULARIZATION#{schedule.customer_id}#{schedule.subscription_id}#{int(schedule.year)}",
        lines=lines,
        issued_on=invoicing.local_day(now),
        now=now,
        payment_mode="direct_debit" if owed_to_customer <= 0 else "transfer",
        subscription_ids=[] if final else [schedule.subscription_id],
        carried=carried,
    )
    if invoice.total_cents < 0 and invoice.status == "open":
        if invoice.carried:
            refunds.carry(invoice)
        else:
            refunds.refund(invoice, paid_by=None, now=now)
    try:
        schedule.update(
            actions=[Schedule.regularized.set(True), Schedule.due_pk.remove(), Schedule.due_sk.remove()],
            condition=Schedule.regularized == False,  # noqa: E712 (a DynamoDB condition, not a Python test)
        )
    except UpdateError:
        pass
    if not final:
        next_year(schedule)
    return invoice


def next_year(schedule: Schedule) -> bool:
    """A running contract's next year of installments, from where the regularized one ended: the
    year's actual energy, annualized, once six months or more were closed (else the estimate)."""
    months = len(schedule.consumption_months or [])
    estimate = int(schedule.estimated_annual_cents)
    if months >= 6:
        estimate = vat.cents(Decimal(int(schedule.consumption_cents or 0)) * 12 / months)
    if estimate < INSTALLMENTS:
        return False  # nothing to debit
    return create(
        schedule.customer_id,
        schedule.subscription_id,
        start=date.fromisoformat(schedule.regularization_on) - relativedelta(months=1),
        estimated_annual_cents=estimate,
        currency=schedule.currency,
    )
