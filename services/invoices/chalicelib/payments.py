"""Payments: card (through the payment provider), direct debit (SEPA mandate), cheque and TIP.

One payment settles one or several open invoices of the customer. Before anything is charged,
the invoices are locked for that payment in one conditional transaction, so two payments of
one invoice, even concurrent, charge once: the second finds the lock (409) or nothing due. A
payment never exceeds what is due.

Cheques and TIPs are recorded as pending with what to do, and hold their invoices (in the same
kind of conditional transaction): paying them again by any method answers 409
`payment_pending` until an operator records the cheque or TIP received (the payment succeeds,
the invoices are paid, the order settled) or expired (the invoices are payable again; mailed).
Only an invoice issued to be paid by TIP carries a TIP slip on its PDF: paying another by TIP
answers 409 `no_tip_slip`.

A card or direct debit that the provider answers pending (Stripe: a card awaiting 3-D Secure,
with the `action` the customer's page must take; a SEPA debit processing) holds its invoices the
same way, until the provider's webhook says how it ended (`provider_succeeded`,
`provider_failed`): succeeded as a cheque received, failed as one expired, but mailed as a
declined payment.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import events, observability
from guichet_contracts.idempotency import IdempotencyKeyReused
from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.update import Action

from . import billing_parties, invoicing, mailing
from .errors import (
    AmountExceedsDue,
    Conflict,
    InvoiceVoid,
    NoBankAccount,
    NotFound,
    NothingDue,
    NoTipSlip,
    PaymentNotPending,
    PaymentPending,
    ValidationFailed,
)
from .models import AppliedPayment, BankAccount, Invoice, Payment, customer_pk, transaction
from .settings import settings

logger = Logger(child=True)

LOCK_SECONDS = 120
PAYABLE_KINDS = ("invoice", "regularization")


class PaymentInProgress(Conflict):
    code = "payment_in_progress"


def as_dict(payment: Payment) -> dict[str, Any]:
    return {
        "payment_id": payment.payment_id,
        "status": payment.status,
        "amount_cents": int(payment.amount_cents),
        "currency": payment.currency,
        "method": payment.method,
        "invoice_ids": list(payment.invoice_ids),
        "failure_code": payment.failure_code,
        "instructions": payment.instructions,
        "action": payment.action,
        "created_at": payment.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def pay(
    customer_id: str,
    invoice_ids: list[str],
    *,
    method: str,
    now: datetime,
    card_token: str | None = None,
    amount_cents: int | None = None,
    request_key: str | None = None,
) -> Payment:
    """Pay invoices. `request_key` (the customer's Idempotency-Key) names the payment and the
    provider's charge, whatever the day: a request that failed after the charge (AWS failing for
    a moment), sent again, takes its own lock again and gets the provider's same charge back,
    never a second; one run again after its payment was recorded (its answer lost with the key's
    record) is that payment, and the key with another payment is refused."""
    if not invoice_ids or len(set(invoice_ids)) != len(invoice_ids):
        raise ValidationFailed(fields={"invoice_ids": Phrase("field.distinct_invoices")})
    named = hashlib.sha256(f"{customer_id}\n{request_key}".encode()).hexdigest()[:12] if request_key else None
    if named and (earlier := _recorded(customer_id, f"pay_{named}")) is not None:
        same = (earlier.method, sorted(earlier.invoice_ids)) == (method, sorted(invoice_ids)) and (
            amount_cents is None or int(earlier.amount_cents) == amount_cents
        )
        if not same:
            raise IdempotencyKeyReused()
        return earlier
    today = invoicing.local_day(now)
    invoices = [invoicing.get(customer_id, invoice_id, today=today) for invoice_id in invoice_ids]
    for invoice in invoices:
        if invoice.status == "void":
            raise InvoiceVoid(fields={"invoice_ids": Phrase("field.invoice_void", number=invoice.number)})
        if (
            invoice.kind not in PAYABLE_KINDS
            or invoice.status not in ("open", "overdue")
            or invoice.amount_due_cents <= 0
        ):
            raise NothingDue(
                fields={"invoice_ids": Phrase("field.invoice_nothing_due", number=invoice.number)}
            )
        if invoice.pending_payment_id and not _abandoned(customer_id, invoice):
            raise PaymentPending(
                fields={"invoice_ids": Phrase("field.invoice_payment_pending", number=invoice.number)}
            )
        if method == "tip" and invoice.payment_mode != "tip":
            raise NoTipSlip(fields={"invoice_ids": Phrase("field.invoice_no_tip", number=invoice.number)})
    currencies = {invoice.currency for invoice in invoices}
    if len(currencies) != 1:
        raise ValidationFailed(fields={"invoice_ids": Phrase("field.one_currency")})
    due = sum(int(invoice.amount_due_cents) for invoice in invoices)
    amount = due if amount_cents is None else amount_cents
    if amount <= 0:
        raise ValidationFailed(fields={"amount_cents": Phrase("field.positive")})
    if amount > due:
        raise AmountExceedsDue(fields={"amount_cents": Phrase("field.at_most_cents", cents=due)})
    if amount != due and len(invoices) > 1:
        raise ValidationFailed(fields={"amount_cents": Phrase("field.pays_in_full")})
    if method == "card" and not card_token:
        raise ValidationFailed(fields={"card_token": Phrase("field.card_token_required")})
    payment = Payment(
        customer_pk(customer_id),
        f"PAYMENT#pay_{named}" if named else f"PAYMENT#pay_{now:%Y%m%d}_{secrets.token_hex(6)}",
        payment_id="",
        customer_id=customer_id,
        method=method,
        status="pending",
        amount_cents=amount,
        currency=currencies.pop(),
        invoice_ids=list(invoice_ids),
        created_at=now,
    )
    payment.payment_id = payment.sk.removeprefix("PAYMENT#")
    party = billing_parties.get(customer_id)
    if method in ("check", "tip"):
        return _pending(payment, invoices, party, now)
    account = None
    if method == "direct_debit":
        try:
            account = BankAccount.get(customer_pk(customer_id), "BANK_ACCOUNT")
        except DoesNotExist:
            raise NoBankAccount() from None
    _lock(invoices, payment.payment_id, now)
    try:
        charge = _charge(payment, account, card_token, invoices, named, party)
    except Exception:
        _unlock(invoices, payment.payment_id)
        raise
    if charge.status == "pending":
        return _awaiting_provider(payment, invoices, charge)
    if charge.status != "succeeded":
        _unlock(invoices, payment.payment_id)
        payment.status = "failed"
        payment.failure_code = charge.decline_code
        payment.provider_reference = charge.reference
        payment.save()
        _announce("PaymentFailed", payment, invoices)
        _failed_mail(payment, invoices, party)
        logger.info("payment failed", extra={"payment_id": payment.payment_id, "code": charge.decline_code})
        return payment
    payment.status = "succeeded"
    payment.provider_reference = charge.reference
    _apply(payment, invoices, now)
    _announce("PaymentSucceeded", payment, invoices)
    _cleared(invoices, now)
    _received_mail(payment, invoices, party, now)
    logger.info("payment succeeded", extra={"payment_id": payment.payment_id, "amount_cents": amount})
    return payment


def _mail(template: str, payment: Payment, invoices: list[Invoice], party: Any, **more: Any) -> None:
    """Mail the customer about a payment: its invoices, amount and method, and `more`."""
    language = party.language if party else "fr"
    mailing.notify(
        template,
        party,
        customer_id=payment.customer_id,
        number_list=", ".join(invoice.number for invoice in invoices),
        amount=mailing.money(int(payment.amount_cents), payment.currency, language),
        method_label=mailing.label(mailing.METHOD_LABELS, language, payment.method),
        **more,
    )


def _failed_mail(payment: Payment, invoices: list[Invoice], party: Any) -> None:
    language = party.language if party else "fr"
    _mail(
        "payment_failed",
        payment,
        invoices,
        party,
        reason=mailing.decline_reason(payment.failure_code, language),
        pay_url=mailing.portal_link("my-invoices"),
    )


def _awaiting_provider(payment: Payment, invoices: list[Invoice], charge: Any) -> Payment:
    """The provider answered pending: the payment is recorded pending and its invoices, locked for
    it, are held by it (in one transaction) until the provider's webhook tells the end."""
    payment.status = "pending"
    payment.provider_reference = charge.reference
    payment.action = charge.action
    with transaction() as write:
        write.save(payment, condition=Payment.pk.does_not_exist())
        for invoice in invoices:
            write.update(
                invoice,
                actions=[
                    Invoice.pending_payment_id.set(payment.payment_id),
                    Invoice.payment_lock.remove(),
                    Invoice.payment_lock_until.remove(),
                ],
                condition=Invoice.payment_lock == payment.payment_id,
            )
    logger.info(
        "payment pending at the provider",
        extra={
            "payment_id": payment.payment_id,
            "reference": charge.reference,
            "action": bool(charge.action),
        },
    )
    return payment


def _received_mail(payment: Payment, invoices: list[Invoice], party: Any, now: datetime) -> None:
    language = party.language if party else "fr"
    _mail(
        "payment_received", payment, invoices, party, paid_at=mailing.day(invoicing.local_day(now), language)
    )


def _pending(payment: Payment, invoices: list[Invoice], party: Any, now: datetime) -> Payment:
    seller = settings.seller
    address = seller["address"]
    payment.instructions = {
        "payee": seller["name"],
        "reference": f"{payment.customer_id} {' '.join(invoice.number for invoice in invoices)}",
        "address": [
            address["line1"],
            *([address["line2"]] if address.get("line2") else []),
            f"{address['postal_code']} {address['city']}",
        ],
        "due_on": min(invoice.due_on for invoice in invoices),
    }
    _hold(payment, invoices, now)
    language = party.language if party else "fr"
    mailing.notify(
        "payment_instructions",
        party,
        customer_id=payment.customer_id,
        invoice_url=mailing.portal_link("invoice", id=invoices[0].invoice_id),
        number_list=", ".join(invoice.number for invoice in invoices),
        amount=mailing.money(int(payment.amount_cents), payment.currency, language),
        method=payment.method,
        payee=payment.instructions["payee"],
        reference=payment.instructions["reference"],
        address="\n".join(payment.instructions["address"]),
        due_on=mailing.day(payment.instructions["due_on"], language),
    )
    return payment


def _hold(payment: Payment, invoices: list[Invoice], now: datetime) -> None:
    """Record a cheque or TIP as pending and hold its invoices, in one transaction: none is being
    charged or held by another payment, and what each owes is what the customer was shown."""
    moment = int(now.timestamp())
    try:
        with transaction() as write:
            write.save(payment, condition=Payment.pk.does_not_exist())
            for invoice in invoices:
                write.update(
                    invoice,
                    actions=[Invoice.pending_payment_id.set(payment.payment_id)],
                    condition=_free(invoice, moment),
                )
    except TransactWriteError:
        _refused(invoices)


def _free(invoice: Invoice, moment: int, holder: str | None = None) -> Any:
    """Neither being charged (but by `holder`, a retry of the same payment) nor held, and owing
    what the customer was shown."""
    unlocked = Invoice.payment_lock.does_not_exist() | (Invoice.payment_lock_until < moment)
    return (
        (unlocked | (Invoice.payment_lock == holder) if holder else unlocked)
        & Invoice.pending_payment_id.does_not_exist()
        & Invoice.status.is_in("open", "overdue")
        & (Invoice.amount_due_cents == invoice.amount_due_cents)
    )


def _refused(invoices: list[Invoice]) -> None:
    """Why invoices could not be locked or held: paid, void, held by a cheque, or being charged."""
    for invoice in invoices:
        invoice.refresh(consistent_read=True)
        if invoice.status == "void":
            raise InvoiceVoid(
                fields={"invoice_ids": Phrase("field.invoice_void", number=invoice.number)}
            ) from None
        if invoice.amount_due_cents <= 0:
            raise NothingDue(
                fields={"invoice_ids": Phrase("field.invoice_nothing_due", number=invoice.number)}
            ) from None
        if invoice.pending_payment_id:
            raise PaymentPending(
                fields={"invoice_ids": Phrase("field.invoice_payment_pending", number=invoice.number)}
            ) from None
    raise PaymentInProgress() from None


def _lock(invoices: list[Invoice], payment_id: str, now: datetime) -> None:
    moment = int(now.timestamp())
    try:
        with transaction() as write:
            for invoice in invoices:
                write.update(
                    invoice,
                    actions=[
                        Invoice.payment_lock.set(payment_id),
                        Invoice.payment_lock_until.set(moment + LOCK_SECONDS),
                    ],
                    condition=_free(invoice, moment, payment_id),
                )
    except TransactWriteError:
        _refused(invoices)


def _recorded(customer_id: str, payment_id: str) -> Payment | None:
    try:
        return Payment.get(customer_pk(customer_id), f"PAYMENT#{payment_id}", consistent_read=True)
    except DoesNotExist:
        return None


def _unlock(invoices: list[Invoice], payment_id: str) -> None:
    for invoice in invoices:
        try:
            invoice.update(
                actions=[Invoice.payment_lock.remove(), Invoice.payment_lock_until.remove()],
                condition=Invoice.payment_lock == payment_id,
            )
        except Exception:
            logger.warning("lock already gone", extra={"invoice_id": invoice.invoice_id})


def _charge(
    payment: Payment,
    account: BankAccount | None,
    card_token: str | None,
    invoices: list[Invoice],
    named: str | None = None,
    party: Any = None,
) -> Any:
    """The provider's charge, under the request's key when it has one (whatever the day); its
    metadata name the payment, for the provider's webhooks."""
    from . import payment_provider

    gateway = payment_provider.current()
    description = f"Guichet {', '.join(invoice.number for invoice in invoices)}"
    key = f"{payment.customer_id}:request:{named}" if named else f"{payment.customer_id}:{payment.payment_id}"
    try:
        return _ask(gateway, payment, account, card_token, description, key, party)
    except ValueError as error:  # the provider's key already charged another amount, card or account
        raise IdempotencyKeyReused() from error


def _ask(
    gateway: Any,
    payment: Payment,
    account: BankAccount | None,
    card_token: str | None,
    description: str,
    key: str,
    party: Any,
) -> Any:
    metadata = {"customer_id": payment.customer_id, "payment_id": payment.payment_id}
    if account is not None:
        return gateway.debit_account(
            iban=account.iban,
            mandate_reference=account.mandate_reference,
            amount_cents=int(payment.amount_cents),
            currency=payment.currency,
            idempotency_key=key,
            description=description,
            holder=account.holder,
            email=party.email if party else "",
            metadata=metadata,
        )
    return gateway.charge_card(
        card_token=card_token or "",
        amount_cents=int(payment.amount_cents),
        currency=payment.currency,
        idempotency_key=key,
        description=description,
        metadata=metadata,
    )


def _apply(payment: Payment, invoices: list[Invoice], now: datetime, *, held: bool = False) -> None:
    """Record the payment and lower what each invoice owes, in one transaction that frees the locks
    (or, for a cheque or TIP received, the holds)."""
    remaining = int(payment.amount_cents)
    with transaction() as write:
        if held:
            write.update(
                payment,
                actions=[
                    Payment.status.set("succeeded"),
                    Payment.recorded_by.set(payment.recorded_by or ""),
                ],
                condition=Payment.status == "pending",
            )
        else:
            write.save(payment, condition=Payment.pk.does_not_exist())
        for invoice in invoices:
            share = min(remaining, int(invoice.amount_due_cents))
            remaining -= share
            left = int(invoice.amount_due_cents) - share
            applied = AppliedPayment(
                payment_id=payment.payment_id,
                amount_cents=share,
                method=payment.method,
                status="succeeded",
                at=now,
            )
            actions: list[Action] = [
                Invoice.amount_due_cents.set(left),
                Invoice.payments.set([*(invoice.payments or []), applied]),
            ]
            if held:
                actions.append(Invoice.pending_payment_id.remove())
                condition = Invoice.pending_payment_id == payment.payment_id
            else:
                actions += [Invoice.payment_lock.remove(), Invoice.payment_lock_until.remove()]
                condition = Invoice.payment_lock == payment.payment_id
            if left == 0:
                actions += [Invoice.status.set("paid"), Invoice.due_pk.remove(), Invoice.due_sk.remove()]
            write.update(
                invoice,
                actions=actions,
                condition=condition & (Invoice.amount_due_cents == invoice.amount_due_cents),
            )


def _announce(name: str, payment: Payment, invoices: list[Invoice]) -> None:
    from guichet_contracts.domain_events.invoices import PaidInvoice, PaymentFailed, PaymentSucceeded

    outcome = {
        "payment_id": payment.payment_id,
        "customer_id": payment.customer_id,
        "method": payment.method,
        "status": payment.status,
        "amount_cents": int(payment.amount_cents),
        "currency": payment.currency,
        "invoices": [
            PaidInvoice(invoice_id=invoice.invoice_id, number=invoice.number, order_id=invoice.order_id)
            for invoice in invoices
        ],
        "failure_code": payment.failure_code,
        "created_at": payment.created_at,
    }
    event = PaymentSucceeded(**outcome) if name == "PaymentSucceeded" else PaymentFailed(**outcome)
    events.publish(event, bus_name=settings.event_bus_name)
    observability.count("PaymentsSucceeded" if name == "PaymentSucceeded" else "PaymentsFailed")


def _cleared(invoices: list[Invoice], now: datetime) -> None:
    """Invoices this payment left with nothing due: said paid, and the orders they are for settled."""
    from . import order_settlement

    for invoice in invoices:
        invoice.refresh(consistent_read=True)
        if invoice.status == "paid":
            invoicing.announce_paid(invoice, now)
            order_settlement.invoice_paid(invoice)


def get(customer_id: str, payment_id: str) -> Payment:
    # a customer's payment is named by its request's key; one of the jobs by its day
    if not re.fullmatch(r"pay_(?:[0-9]{8}_)?[0-9a-f]{12}", payment_id):
        raise NotFound()
    payment = _recorded(customer_id, payment_id)
    if payment is None:
        raise NotFound()
    return payment


def record_received(customer_id: str, payment_id: str, *, operator: str, now: datetime) -> Payment:
    """An operator received the cheque or TIP: the payment succeeds, its invoices are paid (what
    it covers of them), InvoicePaid and the orders settled; a repeat answers the same."""
    payment = _awaited(customer_id, payment_id, repeat="succeeded")
    if payment.status == "succeeded":
        return payment
    payment.recorded_by = operator
    _received(payment, now)
    _recorded_by_operator("received", payment, operator)
    return payment


def _recorded_by_operator(what: str, payment: Payment, operator: str) -> None:
    logger.info(
        f"operator recorded a payment {what}",
        extra={
            "operator": operator,
            "customer_id": payment.customer_id,
            "payment_id": payment.payment_id,
            "method": payment.method,
        },
    )


def _received(payment: Payment, now: datetime) -> bool:
    """A pending payment succeeded: its held invoices paid, announced, settled, mailed; False if
    it had already been recorded (by a concurrent request or event)."""
    invoices = [
        invoicing.get(payment.customer_id, str(invoice_id), any_age=True)
        for invoice_id in payment.invoice_ids
    ]
    try:
        _apply(payment, invoices, now, held=True)
    except TransactWriteError:
        payment.refresh(consistent_read=True)
        if payment.status == "succeeded":
            return False  # recorded by a concurrent request
        raise
    payment.status = "succeeded"
    _announce("PaymentSucceeded", payment, invoices)
    _cleared(invoices, now)
    _received_mail(payment, invoices, billing_parties.get(payment.customer_id), now)
    payment.refresh(consistent_read=True)
    return True


def record_expired(customer_id: str, payment_id: str, *, operator: str, now: datetime) -> Payment:
    """The cheque or TIP never came: the payment expires, its invoices are payable again, mailed."""
    payment = _awaited(customer_id, payment_id, repeat="expired")
    if payment.status == "expired":
        return payment
    if not _released(payment, "expired", "not_received", operator):
        if payment.status == "expired":
            return payment
        raise PaymentNotPending()
    _recorded_by_operator("expired", payment, operator)
    return payment


def holding(invoice: Invoice) -> dict[str, Any] | None:
    """The pending payment that holds the invoice, as answered when it was made (its `action`
    tells the page a card payment still awaits 3-D Secure), or None."""
    if not invoice.pending_payment_id:
        return None
    try:
        return as_dict(get(invoice.customer_id, invoice.pending_payment_id))
    except NotFound:
        return None


def _abandoned(customer_id: str, invoice: Invoice) -> bool:
    """The invoice is held by a card payment still awaiting the customer's 3-D Secure, and the
    customer pays again: that payment is cancelled at the provider (it can no longer succeed) and
    the invoice freed. False if it cannot be: a cheque, a debit at the bank, or an authentication
    that completed meanwhile (the provider refuses to cancel it; its webhook is on its way)."""
    from . import payment_provider

    try:
        held = get(customer_id, invoice.pending_payment_id or "")
    except NotFound:
        return False
    if held.method != "card" or held.status != "pending" or not held.action:
        return False
    cancel = getattr(payment_provider.current(), "cancel", None)
    if cancel is None or not cancel(held.provider_reference or ""):
        return False
    _released(held, "failed", "payment_canceled", None, mail=False)  # the customer is paying again
    invoice.refresh(consistent_read=True)
    logger.info("abandoned payment cancelled", extra={"payment_id": held.payment_id})
    return not invoice.pending_payment_id


def _released(payment: Payment, status: str, code: str, operator: str | None, *, mail: bool = True) -> bool:
    """A pending payment ended without the money (`status` expired or failed): its invoices are
    payable again, PaymentFailed announced, the customer mailed (unless not `mail`); False if it
    was not pending any more (the payment refreshed)."""
    invoices = [
        invoicing.get(payment.customer_id, str(invoice_id), any_age=True)
        for invoice_id in payment.invoice_ids
    ]
    actions: list[Action] = [Payment.status.set(status), Payment.failure_code.set(code)]
    if operator:
        actions.append(Payment.recorded_by.set(operator))
    try:
        with transaction() as write:
            write.update(payment, actions=actions, condition=Payment.status == "pending")
            for invoice in invoices:
                write.update(
                    invoice,
                    actions=[Invoice.pending_payment_id.remove()],
                    condition=Invoice.pending_payment_id == payment.payment_id,
                )
    except TransactWriteError:
        payment.refresh(consistent_read=True)
        return False
    payment.refresh(consistent_read=True)
    _announce("PaymentFailed", payment, invoices)
    party = billing_parties.get(payment.customer_id)
    if status == "failed":
        if mail:
            _failed_mail(payment, invoices, party)
        return True
    _mail(
        "payment_expired",
        payment,
        invoices,
        party,
        method=payment.method,
        pay_url=mailing.portal_link("my-invoices"),
    )
    return True


def _at_provider(customer_id: str, payment_id: str, reference: str) -> Payment | None:
    """The card or direct-debit payment that the provider's `reference` is for, or None (a payment
    of another deployment, or a forged metadata)."""
    try:
        payment = get(customer_id, payment_id)
    except NotFound:
        return None
    if payment.method not in ("card", "direct_debit") or payment.provider_reference != reference:
        return None
    return payment


def recorded(customer_id: str, payment_id: str) -> bool:
    """Whether the payment is in the table (the provider may tell its end before we wrote it)."""
    try:
        get(customer_id, payment_id)
    except NotFound:
        return False
    return True


def provider_succeeded(customer_id: str, payment_id: str, reference: str, now: datetime) -> bool:
    """The provider says the pending payment `reference` succeeded (3-D Secure passed, a SEPA
    debit cleared); True if this recorded it."""
    payment = _at_provider(customer_id, payment_id, reference)
    if payment is None or payment.status != "pending":
        return False
    done = _received(payment, now)
    logger.info("provider payment succeeded", extra={"payment_id": payment_id, "recorded": done})
    return done


def provider_failed(customer_id: str, payment_id: str, reference: str, code: str, now: datetime) -> bool:
    """The provider says the pending payment `reference` failed (authentication failed, a SEPA
    debit returned): the invoices are payable again; True if this recorded it."""
    payment = _at_provider(customer_id, payment_id, reference)
    if payment is None or payment.status != "pending":
        return False
    done = _released(payment, "failed", code, None)
    logger.info("provider payment failed", extra={"payment_id": payment_id, "code": code, "recorded": done})
    return done


def _awaited(customer_id: str, payment_id: str, *, repeat: str) -> Payment:
    payment = get(customer_id, payment_id)
    if payment.method not in ("check", "tip") or payment.status not in ("pending", repeat):
        raise PaymentNotPending()
    return payment
