"""Money owed to the customer: credit documents refunded by the method that paid, small
overpayments carried to the next invoice.

A credit document is a credit note, or a regularization whose total is negative; it owes the
customer `owed_cents` and stays open until that went back:
- refunded (`refund`): the amount is split over the succeeded payments of the invoice that paid
  the period (`paid_by`), newest first, never more than is left of each: a card payment is
  refunded through the payment provider (that charge), a direct debit, cheque or TIP by a SEPA
  transfer to the account of the mandate on file; what no payment covers (a regularization of
  installments, or no paying invoice) goes by transfer to the mandate's account. Without an
  account on file the refund waits, `manual`, for an operator to record it made. The document
  shows `refunded` only once every refund succeeded, each announced by PaymentRefunded and the
  whole mailed once. A refund the provider declines stays failed for an operator to record.
- carried (`carry`, a regularization under the threshold while the contract runs, French energy
  rule): a CarriedCredit that the customer's next payable invoices take as a payment of method
  `credit` when they are issued, before their PDF is drawn (it prints "Avoir déduit" and the net
  to pay); the document becomes paid once all of it was deducted.

Every step is idempotent: refunds have ids derived from the document, are planned in one
transaction that also counts what each payment has had refunded, reach the provider with their
id as idempotency key, and move from pending with a conditional write.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import events, observability
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError

from . import billing_parties, invoicing, mailing
from .errors import NotFound, RefundNotPending
from .models import (
    AppliedPayment,
    BankAccount,
    CarriedCredit,
    Invoice,
    Payment,
    Refund,
    customer_pk,
    transaction,
)
from .settings import settings

logger = Logger(child=True)

REFUNDABLE_BY_PROVIDER = ("card",)
BY_TRANSFER = ("direct_debit", "check", "tip", "transfer")


def as_dict(refund: Refund) -> dict[str, Any]:
    return {
        "refund_id": refund.refund_id,
        "invoice_id": refund.invoice_id,
        "payment_id": refund.payment_id,
        "method": refund.method,
        "status": refund.status,
        "amount_cents": int(refund.amount_cents),
        "currency": refund.currency,
        "failure_code": refund.failure_code,
        "refunded_on": refund.refunded_on,
    }


def of_document(document: Invoice) -> list[Refund]:
    return list(
        Refund.query(
            customer_pk(document.customer_id),
            Refund.sk.startswith(f"REFUND#rf_{document.invoice_id}_"),
            consistent_read=True,
        )
    )


def refund(document: Invoice, *, paid_by: Invoice | None, now: datetime) -> list[Refund]:
    """Pay back what `document` owes, by the methods that paid `paid_by` (see the module)."""
    planned = of_document(document) or _plan(document, paid_by, now)
    for item in planned:
        _make(item, now)
    close(document, now)
    return of_document(document)


def _plan(document: Invoice, paid_by: Invoice | None, now: datetime) -> list[Refund]:
    owed = int(document.owed_cents or 0)
    if owed <= 0:
        return []
    account = _account(document.customer_id)
    payments = []
    if paid_by is not None:
        applied = [item for item in paid_by.payments or [] if item.status == "succeeded"]
        for item in sorted(applied, key=lambda applied: applied.at, reverse=True):
            if item.method == "credit":
                continue
            try:
                payments.append(Payment.get(customer_pk(document.customer_id), f"PAYMENT#{item.payment_id}"))
            except DoesNotExist:
                continue
    refunds: list[Refund] = []
    counted: list[tuple[Payment, int]] = []
    left = owed
    for payment in payments:
        room = int(payment.amount_cents) - int(payment.refunded_cents or 0)
        share = min(left, room)
        if share <= 0:
            continue
        if payment.method in REFUNDABLE_BY_PROVIDER:
            method = "card"
        elif payment.method in BY_TRANSFER and account is not None:
            method = "transfer"
        else:
            method = "manual"
        refunds.append(_new(document, len(refunds), method, share, payment.payment_id, now))
        counted.append((payment, share))
        left -= share
        if left == 0:
            break
    if left > 0:
        refunds.append(_new(document, len(refunds), "transfer" if account else "manual", left, None, now))
    try:
        with transaction() as write:
            for planned in refunds:
                write.save(planned, condition=Refund.pk.does_not_exist())
            for payment, share in counted:
                refunded = int(payment.refunded_cents or 0)
                unchanged = Payment.refunded_cents == refunded
                if refunded == 0:
                    unchanged = unchanged | Payment.refunded_cents.does_not_exist()
                write.update(
                    payment, actions=[Payment.refunded_cents.set(refunded + share)], condition=unchanged
                )
    except TransactWriteError:
        existing = of_document(document)
        if existing:
            return existing  # planned by a concurrent delivery
        raise
    observability.count("RefundsDue", sum(1 for item in refunds if item.method == "manual"))
    logger.info(
        "refunds planned",
        extra={
            "customer_id": document.customer_id,
            "invoice_id": document.invoice_id,
            "refunds": [(item.method, int(item.amount_cents)) for item in refunds],
        },
    )
    return refunds


def _new(
    document: Invoice, index: int, method: str, amount: int, payment_id: str | None, now: datetime
) -> Refund:
    refund_id = f"rf_{document.invoice_id}_{index:02d}"
    return Refund(
        customer_pk(document.customer_id),
        f"REFUND#{refund_id}",
        refund_id=refund_id,
        customer_id=document.customer_id,
        invoice_id=document.invoice_id,
        payment_id=payment_id,
        method=method,
        status="pending",
        amount_cents=amount,
        currency=document.currency,
        created_at=now,
    )


def _account(customer_id: str) -> BankAccount | None:
    try:
        return BankAccount.get(customer_pk(customer_id), "BANK_ACCOUNT", consistent_read=True)
    except DoesNotExist:
        return None


def _make(item: Refund, now: datetime) -> None:
    """Send one pending refund to the provider (a manual one waits for an operator); one the
    provider answers pending stays so until its webhook (`provider_refund_ended`)."""
    from . import payment_provider

    if item.status != "pending" or item.method == "manual":
        return
    gateway = payment_provider.current()
    description = f"Guichet remboursement {item.invoice_id}"
    key = f"{item.customer_id}:{item.refund_id}"
    if item.method == "card":
        payment = Payment.get(customer_pk(item.customer_id), f"PAYMENT#{item.payment_id}")
        outcome = gateway.refund_card(
            charge_reference=payment.provider_reference or "",
            amount_cents=int(item.amount_cents),
            currency=item.currency,
            idempotency_key=key,
            description=description,
            metadata={"customer_id": item.customer_id, "refund_id": item.refund_id},
        )
    else:
        account = _account(item.customer_id)
        if account is None:
            item.update(actions=[Refund.method.set("manual")], condition=Refund.status == "pending")
            observability.count("RefundsDue")
            return
        outcome = gateway.transfer(
            iban=account.iban,
            holder=account.holder,
            amount_cents=int(item.amount_cents),
            currency=item.currency,
            idempotency_key=key,
            description=description,
        )
    if outcome.succeeded:
        _succeeded(item, outcome.reference, item.method, now, recorded_by=None)
        return
    if outcome.status == "pending":
        item.update(
            actions=[Refund.provider_reference.set(outcome.reference)], condition=Refund.status == "pending"
        )
        return
    _failed(item, outcome)


def _failed(item: Refund, outcome: Any) -> None:
    try:
        item.update(
            actions=[
                Refund.status.set("failed"),
                Refund.failure_code.set(outcome.decline_code or "declined"),
                Refund.provider_reference.set(outcome.reference),
            ],
            condition=Refund.status == "pending",
        )
    except UpdateError:
        return
    observability.count("RefundsDue")
    logger.warning(
        "refund declined: an operator must make it",
        extra={"refund_id": item.refund_id, "customer_id": item.customer_id, "code": outcome.decline_code},
    )


def provider_refund_ended(customer_id: str, refund_id: str, outcome: Any, now: datetime) -> bool:
    """The provider's webhook tells how a card refund it answered pending ended (`outcome`, a
    payment_provider.Charge whose reference is the provider's refund id); True if this recorded it."""
    if not refund_id.startswith("rf_in_") or len(refund_id) > 80 or outcome.status == "pending":
        return False
    try:
        item = Refund.get(customer_pk(customer_id), f"REFUND#{refund_id}", consistent_read=True)
    except DoesNotExist:
        return False
    if item.status != "pending" or item.method != "card" or item.provider_reference != outcome.reference:
        return False
    if not outcome.succeeded:
        _failed(item, outcome)
        return True
    if not _succeeded(item, outcome.reference, item.method, now, recorded_by=None):
        return False
    close(invoicing.get(customer_id, item.invoice_id, any_age=True), now)
    return True


def _succeeded(
    item: Refund, reference: str | None, method: str, now: datetime, *, recorded_by: str | None
) -> bool:
    previous = item.status
    actions: list[Any] = [
        Refund.status.set("succeeded"),
        Refund.method.set(method),
        Refund.refunded_on.set(invoicing.local_day(now).isoformat()),
    ]
    if reference:
        actions.append(Refund.provider_reference.set(reference))
    if recorded_by:
        actions.append(Refund.recorded_by.set(recorded_by))
    try:
        item.update(actions=actions, condition=Refund.status == previous)
    except UpdateError:
        return False  # made by a concurrent run, which announced it
    try:
        _announce(item)
    except Exception:
        item.update(actions=[Refund.status.set(previous)])  # untold: made again (same key) next time
        raise
    return True


def _announce(item: Refund) -> None:
    from guichet_contracts.domain_events.invoices import PaymentRefunded

    events.publish(
        PaymentRefunded(
            refund_id=item.refund_id,
            customer_id=item.customer_id,
            invoice_id=item.invoice_id,
            payment_id=item.payment_id,
            method=item.method,  # type: ignore[arg-type]
            amount_cents=int(item.amount_cents),
            currency=item.currency,
            on=date.fromisoformat(item.refunded_on or ""),
        ),
        bus_name=settings.event_bus_name,
    )


def close(document: Invoice, now: datetime) -> bool:
    """The document shows refunded once each of its refunds succeeded (a resale invoice: paid,
    SurplusPaidOut told first, so that the kitty never keeps a month paid out): mailed once;
    True if now."""
    items = of_document(document)
    if not items or any(item.status != "succeeded" for item in items):
        return False
    resale = document.kind == "resale"
    if resale:
        _paid_out(document, items)
    try:
        document.update(
            actions=[Invoice.status.set("paid" if resale else "refunded")], condition=Invoice.status == "open"
        )
    except UpdateError:
        return False
    party = billing_parties.get(document.customer_id)
    language = party.language if party else document.language
    methods = sorted({item.method for item in items})
    mailing.notify(
        "surplus_paid_out" if resale else "refund_made",
        party,
        customer_id=document.customer_id,
        number=document.number,
        kind_label=mailing.label(mailing.KIND_LABELS, language, document.kind),
        amount=mailing.money(sum(int(item.amount_cents) for item in items), document.currency, language),
        method_label=", ".join(mailing.label(mailing.REFUND_LABELS, language, method) for method in methods),
        invoice_url=mailing.portal_link("invoice", id=document.invoice_id),
    )
    logger.info(
        "credit refunded", extra={"customer_id": document.customer_id, "invoice_id": document.invoice_id}
    )
    return True


def _paid_out(document: Invoice, items: list[Refund]) -> None:
    from guichet_contracts.domain_events.invoices import SurplusPaidOut

    events.publish(
        SurplusPaidOut(
            payout_id=(document.source or "").removeprefix("SURPLUS#"),
            customer_id=document.customer_id,
            subscription_id=next(iter(document.subscription_ids or ()), ""),
            invoice_id=document.invoice_id,
            amount_cents=sum(int(item.amount_cents) for item in items),
            currency=document.currency,
            on=max(date.fromisoformat(item.refunded_on or "") for item in items),
        ),
        bus_name=settings.event_bus_name,
    )


def record_made(customer_id: str, refund_id: str, *, method: str, operator: str, now: datetime) -> Refund:
    """An operator made a refund by hand (a waiting or declined one): it succeeded, announced."""
    if not refund_id.startswith("rf_in_") or len(refund_id) > 80:
        raise NotFound()
    try:
        item = Refund.get(customer_pk(customer_id), f"REFUND#{refund_id}", consistent_read=True)
    except DoesNotExist:
        raise NotFound() from None
    if item.status == "succeeded":
        raise RefundNotPending()
    if not _succeeded(item, None, method, now, recorded_by=operator):
        raise RefundNotPending()
    logger.info(
        "operator recorded a refund",
        extra={"operator": operator, "customer_id": customer_id, "refund_id": refund_id, "method": method},
    )
    document = invoicing.get(customer_id, item.invoice_id, any_age=True)
    close(document, now)
    item.refresh()
    return item


# Carried credits.


def carry(document: Invoice) -> None:
    """Keep what the document owes for the customer's next invoices (once)."""
    try:
        CarriedCredit(
            customer_pk(document.customer_id),
            f"CREDIT#{document.invoice_id}",
            customer_id=document.customer_id,
            invoice_id=document.invoice_id,
            number=document.number,
            left_cents=int(document.owed_cents or 0),
            currency=document.currency,
        ).save(condition=CarriedCredit.pk.does_not_exist())
    except PutError:
        return
    try:
        document.update(actions=[Invoice.carried.set(True)])
    except UpdateError:
        pass
    logger.info(
        "credit carried to the next invoice",
        extra={"customer_id": document.customer_id, "invoice_id": document.invoice_id},
    )


def deduct_carried_credits(invoice: Invoice, now: datetime) -> int:
    """A new payable invoice takes what is left of the customer's carried credits, oldest first,
    as payments of method credit; the cents deducted."""
    deducted = 0
    credits = CarriedCredit.query(
        customer_pk(invoice.customer_id), CarriedCredit.sk.startswith("CREDIT#"), consistent_read=True
    )
    for credit in credits:
        due = int(invoice.amount_due_cents)
        if due <= 0 or credit.currency != invoice.currency:
            continue
        left = int(credit.left_cents)
        use = min(left, due)
        applied = AppliedPayment(
            payment_id=f"credit_{credit.invoice_id}",
            amount_cents=use,
            method="credit",
            status="succeeded",
            at=now,
        )
        actions: list[Any] = [
            Invoice.amount_due_cents.set(due - use),
            Invoice.payments.set([*(invoice.payments or []), applied]),
        ]
        if use == due:
            actions += [Invoice.status.set("paid"), Invoice.due_pk.remove(), Invoice.due_sk.remove()]
        try:
            with transaction() as write:
                if use == left:
                    write.delete(credit, condition=CarriedCredit.left_cents == left)
                    write.update(
                        Invoice(customer_pk(invoice.customer_id), f"INVOICE#{credit.invoice_id}"),
                        actions=[Invoice.status.set("paid")],
                        condition=Invoice.status == "open",
                    )
                else:
                    write.update(
                        credit,
                        actions=[CarriedCredit.left_cents.set(left - use)],
                        condition=CarriedCredit.left_cents == left,
                    )
                write.update(invoice, actions=actions, condition=Invoice.amount_due_cents == due)
        except TransactWriteError:
            logger.warning("carried credit taken meanwhile", extra={"invoice_id": invoice.invoice_id})
            invoice.refresh(consistent_read=True)
            continue
        invoice.refresh(consistent_read=True)
        deducted += use
        logger.info(
            "carried credit deducted",
            extra={"invoice_id": invoice.invoice_id, "from": credit.invoice_id, "cents": use},
        )
    if deducted and invoice.status == "paid":
        invoicing.announce_paid(invoice, now)
    return deducted
