"""Issuing invoices: numbers without gaps, the PDF rendered once, listing, links and duplicates.

An invoice is issued for one business event (an order, a closed consumption period, a surplus
payout), whatever how often that event is delivered: an IssueKey item for the event's business
key is written in the same transaction as the invoice. Numbers are sequential per year with
no gap and no duplicate: the year's counter moves from n to n+1 in that transaction too, with a
condition on n, so concurrent issues retry instead of sharing or skipping a number. An issued
invoice and its PDF never change; a correction is a credit note.
"""

from __future__ import annotations

import random
import re
import secrets
import time
from datetime import date, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import events, observability
from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError

from . import billing_parties, mailing, vat
from .errors import NotFound, PeriodOutOfRange, TooManyAttempts, ValidationFailed
from .models import (
    BankAccount,
    Counter,
    Invoice,
    IssueKey,
    Line,
    NumberClaim,
    Preferences,
    Stamp,
    customer_pk,
    transaction,
)
from .settings import settings

logger = Logger(child=True)

SOURCE = "guichet.invoices"
LINK_SECONDS = 300
CONSULTABLE_MONTHS = 24
DEFAULT_MONTHS = 12
DUPLICATES_PER_DAY = 3
_NUMBER_RACES = 200
_client: Any = None


def _s3() -> Any:
    global _client
    if _client is None:
        import boto3

        _client = boto3.client("s3")
    return _client


def local_day(now: datetime) -> date:
    return now.astimezone(settings.timezone).date()


def new_invoice_id(issued_on: date) -> str:
    return f"in_{issued_on:%Y%m%d}_{secrets.token_hex(5)}"


def issue(
    customer_id: str,
    *,
    kind: str,
    source: str,
    lines: list[vat.PricedLine],
    issued_on: date,
    now: datetime,
    period: tuple[date, date] | None = None,
    payment_mode: str | None = None,
    order_id: str | None = None,
    subscription_ids: list[str] | None = None,
    credited_invoice_id: str | None = None,
    currency: str = "EUR",
    already_paid: bool = False,
    owed_cents: int | None = None,
    issued_by: str | None = None,
    credit_of: tuple[Invoice, int] | None = None,
    carried: bool = False,
    energy: dict[str, Any] | None = None,
) -> Invoice:
    """Issue one invoice for the business event `source` (a second call returns the first invoice).

    Each delivery of the event finishes what an earlier one may have left undone (a crash after
    the invoice was saved): the PDF is rendered if missing, and the invoice is announced
    (InvoiceIssued, the "new invoice" email) by whichever delivery claims it first, once.

    A credit document (a credit note, or a negative total) is open while what it owes the
    customer (`owed_cents`, by default its total) has not gone back (refunds.py); a payable
    invoice first takes what is left of the customer's carried credits, before its PDF is drawn.
    Without `payment_mode`, the customer's preferred method says it (a mandate on file: direct
    debit; else card). `credit_of` (an invoice, cents) counts a credit note against that invoice,
    in the issuing transaction, never beyond its total (AmountExceedsCreditable otherwise).
    `carried`: a credit document kept for the next invoices rather than refunded (its PDF says so).
    `energy`: an electricity month's statement (energy_contracts.statement), printed on its PDF.
    """
    try:
        existing = IssueKey.get(f"ISSUED#{source}", "ISSUED")
    except DoesNotExist:
        pass
    else:
        issued = get(existing.customer_id, existing.invoice_id, any_age=True)
        _finish(issued, billing_parties.get(issued.customer_id))
        return issued
    party = billing_parties.get(customer_id)
    billing_party = billing_parties.printed(party, customer_id)
    regime = vat.regime(billing_party, kind=kind, lines=lines)
    if kind == "credit_note" and credited_invoice_id:  # as the invoice it credits was billed
        try:
            regime = get(customer_id, credited_invoice_id, any_age=True).vat_regime
        except NotFound:
            pass
    lines = vat.under(regime, lines)
    stored_lines = stored(lines)
    breakdown = vat.breakdown(lines)
    excl = sum(group["base_cents"] for group in breakdown)
    tax = sum(group["tax_cents"] for group in breakdown)
    total = excl + tax
    if payment_mode is None:
        payment_mode = default_payment_mode(customer_id)
    invoice_id = new_invoice_id(issued_on)
    # a credit document, or a resale invoice (the provider buys the surplus): it owes the customer
    credit = kind in ("credit_note", "resale") or total < 0
    settled = already_paid or (total == 0 and not credit)
    invoice = Invoice(
        customer_pk(customer_id),
        f"INVOICE#{invoice_id}",
        invoice_id=invoice_id,
        customer_id=customer_id,
        number="",
        kind=kind,
        issued_on=issued_on.isoformat(),
        due_on=(issued_on + timedelta(days=settings.payment_terms_days)).isoformat(),
        period_start=period[0].isoformat() if period else None,
        period_end=period[1].isoformat() if period else None,
        status="paid" if settled else "open",
        total_excl_tax_cents=excl,
        tax_cents=tax,
        total_cents=total,
        amount_due_cents=0 if settled or credit else total,
        owed_cents=(abs(total) if owed_cents is None else owed_cents) if credit else None,
        carried=True if carried and credit else None,
        issued_by=issued_by,
        currency=currency,
        payment_mode=payment_mode,
        lines=stored_lines,
        payments=[],
        pdf_key=f"invoices/{customer_id}/{invoice_id}.pdf",
        language=party.language if party else "fr",
        source=source,
        order_id=order_id,
        subscription_ids=list(subscription_ids or []),
        credited_invoice_id=credited_invoice_id,
        billing_party=billing_party,
        tax_breakdown=breakdown,
        energy=energy,
        vat_regime=regime,
        created_at=now,
    )
    if not settled and not credit:
        invoice.due_pk, invoice.due_sk = f"INVOICE_DUE#{invoice.due_on}", f"{customer_id}#{invoice_id}"
    elif not settled and kind == "resale":  # paid out on its due date (direct_debits.py)
        invoice.due_pk, invoice.due_sk = f"PAYOUT_DUE#{invoice.due_on}", f"{customer_id}#{invoice_id}"
    if _number_and_save(invoice, source, issued_on.year, credit_of):
        logger.info(
            "invoice issued", extra={"customer_id": customer_id, "number": invoice.number, "source": source}
        )
        if invoice.amount_due_cents > 0 and kind in ("invoice", "regularization"):
            from . import refunds

            refunds.deduct_carried_credits(invoice, now)
    _finish(invoice, party)
    return invoice


def stored(lines: list[vat.PricedLine]) -> list[Line]:
    """Priced lines as an invoice keeps them."""
    return [
        Line(
            description=line.description,
            quantity=vat.decimal_text(line.quantity),
            unit=line.unit,
            unit_price_cents=vat.cents(line.unit_price * 100),
            unit_price=vat.decimal_text(line.unit_price),
            tax_rate=vat.decimal_text(line.tax_rate),
            total_excl_tax_cents=line.total_excl_tax_cents,
        )
        for line in lines
    ]


def default_payment_mode(customer_id: str) -> str:
    """How a new invoice of the customer is paid: their preferred method (direct debit only while a
    mandate is on file), else direct debit with a mandate, else card."""
    try:
        preferred = Preferences.get(customer_pk(customer_id), "PREFERENCES").payment_method
    except DoesNotExist:
        preferred = None
    return payment_mode_for(preferred, mandate=_has_mandate(customer_id))


def payment_mode_for(preferred: str | None, *, mandate: bool) -> str:
    """How a new invoice is paid given the customer's preferred method and whether a mandate is on file."""
    if preferred in ("card", "check", "tip"):
        return str(preferred)
    return "direct_debit" if mandate else "card"


def _finish(invoice: Invoice, party: Any) -> None:
    ensure_pdf(invoice)
    try:
        Stamp(f"STAMP#announced#{invoice.invoice_id}", "ANNOUNCED").save(condition=Stamp.pk.does_not_exist())
    except PutError:
        return  # another delivery of the same event announced it
    events.publish(issued_event(invoice), bus_name=settings.event_bus_name)
    observability.count("InvoicesIssued")
    _announce(invoice, party)


def issued_event(invoice: Invoice) -> Any:
    from guichet_contracts.domain_events.invoices import InvoiceIssued

    return InvoiceIssued(
        invoice_id=invoice.invoice_id,
        number=invoice.number,
        kind=invoice.kind,  # type: ignore[arg-type]
        customer_id=invoice.customer_id,
        issued_on=date.fromisoformat(invoice.issued_on),
        due_on=date.fromisoformat(invoice.due_on),
        period_start=date.fromisoformat(invoice.period_start) if invoice.period_start else None,
        period_end=date.fromisoformat(invoice.period_end) if invoice.period_end else None,
        status=invoice.status,  # type: ignore[arg-type]
        total_excl_tax_cents=int(invoice.total_excl_tax_cents),
        tax_cents=int(invoice.tax_cents),
        total_cents=int(invoice.total_cents),
        amount_due_cents=int(invoice.amount_due_cents),
        currency=invoice.currency,
        payment_mode=invoice.payment_mode,
        order_id=invoice.order_id,
        subscription_ids=list(invoice.subscription_ids or []),
    )


def announce_paid(invoice: Invoice, now: datetime) -> None:
    """InvoicePaid: nothing is due on it any more."""
    from guichet_contracts.domain_events.invoices import InvoicePaid

    events.publish(
        InvoicePaid(
            invoice_id=invoice.invoice_id,
            number=invoice.number,
            customer_id=invoice.customer_id,
            order_id=invoice.order_id,
            subscription_ids=list(invoice.subscription_ids or []),
            total_cents=int(invoice.total_cents),
            currency=invoice.currency,
            paid_on=local_day(now),
        ),
        bus_name=settings.event_bus_name,
    )


def _number_and_save(
    invoice: Invoice,
    source: str,
    year: int,
    credit_of: tuple[Invoice, int] | None = None,
    *,
    provider_number: str | None = None,
) -> bool:
    """Number and save `invoice`; False when a concurrent delivery of `source` saved it first
    (then `invoice` becomes that one).

    `provider_number`: the invoice keeps the number the provider's own billing gave it, claimed
    once (a NumberClaim in the same transaction; NumberTaken if another invoice has it), and
    Guichet's yearly sequence is left as it is."""
    counter_key = (f"COUNTER#{year}", "COUNTER")
    for attempt in range(_NUMBER_RACES):
        current = 0
        if provider_number is not None:
            invoice.number = provider_number
        else:
            try:
                current = int(Counter.get(*counter_key, consistent_read=True).value)
            except DoesNotExist:
                pass
            invoice.number = f"F{year}-{current + 1:06d}"
        if credit_of is not None:
            credited, cents_ = credit_of
            credited.refresh(consistent_read=True)
            already = int(credited.credited_cents or 0)
            if already + cents_ > int(credited.total_cents):
                from .errors import AmountExceedsCreditable

                raise AmountExceedsCreditable(
                    fields={
                        "amount_cents": Phrase(
                            "field.at_most_cents", cents=int(credited.total_cents) - already
                        )
                    }
                )
        try:
            with transaction() as write:
                # sent in this order: puts (issue key 0, invoice 1), then the updates (counter 2,
                # the credited invoice 3)
                write.save(
                    IssueKey(
                        f"ISSUED#{source}",
                        "ISSUED",
                        invoice_id=invoice.invoice_id,
                        customer_id=invoice.customer_id,
                    ),
                    condition=IssueKey.pk.does_not_exist(),
                )
                write.save(invoice, condition=Invoice.pk.does_not_exist())
                if provider_number is not None:
                    write.save(
                        NumberClaim(
                            number_claim_pk(provider_number),
                            "NUMBER",
                            invoice_id=invoice.invoice_id,
                            customer_id=invoice.customer_id,
                        ),
                        condition=NumberClaim.pk.does_not_exist(),
                    )
                else:
                    write.update(
                        Counter(*counter_key),
                        actions=[Counter.value.set(current + 1)],
                        condition=Counter.value.does_not_exist()
                        if current == 0
                        else Counter.value == current,
                    )
                if credit_of is not None:
                    unchanged = Invoice.credited_cents == already
                    if already == 0:
                        unchanged = unchanged | Invoice.credited_cents.does_not_exist()
                    write.update(
                        credited, actions=[Invoice.credited_cents.set(already + cents_)], condition=unchanged
                    )
            return True
        except TransactWriteError as error:
            reasons = getattr(error, "cancellation_reasons", None) or []
            if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                existing = IssueKey.get(f"ISSUED#{source}", "ISSUED")
                issued = get(existing.customer_id, existing.invoice_id, any_age=True)
                invoice.attribute_values.update(issued.attribute_values)
                return False
            claim = reasons[2] if provider_number is not None and len(reasons) > 2 else None
            if claim is not None and claim.code == "ConditionalCheckFailed":
                from .errors import NumberTaken

                raise NumberTaken(
                    "This number is already taken by another invoice.",
                    fields={"number": "already the number of another invoice"},
                ) from None
            time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 25)))  # noqa: S311 (jitter after a lost race)
    raise TooManyAttempts(1, "Invoice numbering is busy; try again.")


def number_claim_pk(number: str) -> str:
    """The key of a provider's number: case apart (FA-1 and fa-1 are one number to a reader)."""
    return f"PROVIDER_NUMBER#{number.upper()}"


def _has_mandate(customer_id: str) -> bool:
    try:
        BankAccount.get(customer_pk(customer_id), "BANK_ACCOUNT")
    except DoesNotExist:
        return False
    return True


def _announce(invoice: Invoice, party: Any) -> None:
    if party is None:
        return
    try:
        preferences = Preferences.get(customer_pk(invoice.customer_id), "PREFERENCES")
        wanted = preferences.notify_new_invoice
    except DoesNotExist:
        wanted = True
    if not wanted:
        return
    language = party.language
    mailing.notify(
        "invoice_issued",
        party,
        customer_id=invoice.customer_id,
        number=invoice.number,
        kind_label=mailing.label(mailing.KIND_LABELS, language, invoice.kind),
        total=mailing.money(
            abs(int(invoice.total_cents)) if invoice.owed_cents is not None else int(invoice.total_cents),
            invoice.currency,
            language,
        ),
        due_on=mailing.day(invoice.due_on, language),
        payment_mode_label=mailing.label(mailing.METHOD_LABELS, language, invoice.payment_mode),
        will_be_debited=invoice.payment_mode == "direct_debit" and invoice.status == "open",
        owed_to_you=invoice.owed_cents is not None,
        resale=invoice.kind == "resale",
        carried=bool(invoice.carried),
        invoice_url=mailing.portal_link("invoice", id=invoice.invoice_id),
    )


def summary(invoice: Invoice) -> dict[str, Any]:
    return {
        "invoice_id": invoice.invoice_id,
        "number": invoice.number,
        "kind": invoice.kind,
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "status": invoice.status,
        "total_excl_tax_cents": int(invoice.total_excl_tax_cents),
        "tax_cents": int(invoice.tax_cents),
        "total_cents": int(invoice.total_cents),
        "amount_due_cents": int(invoice.amount_due_cents),
        "currency": invoice.currency,
        "customer_id": invoice.customer_id,
        "payment_mode": invoice.payment_mode,
        "order_id": invoice.order_id,
        "pending_payment_id": invoice.pending_payment_id,
        "origin": invoice.origin or "guichet",
        "external_id": invoice.external_id,
    }


def detail(invoice: Invoice) -> dict[str, Any]:
    return {
        **summary(invoice),
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit": line.unit,
                "unit_price_cents": int(line.unit_price_cents),
                "unit_price": line.unit_price,
                "tax_rate": line.tax_rate,
                "total_excl_tax_cents": int(line.total_excl_tax_cents),
            }
            for line in invoice.lines
        ],
        "payments": [
            {
                "payment_id": payment.payment_id,
                "amount_cents": int(payment.amount_cents),
                "method": payment.method,
                "status": payment.status,
                "at": payment.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            for payment in invoice.payments or []
        ],
        "credited_invoice_id": invoice.credited_invoice_id,
        "tax_breakdown": invoice.tax_breakdown,
        "vat_regime": invoice.vat_regime,
        **_owed(invoice),
    }


def _owed(invoice: Invoice) -> dict[str, Any]:
    """What a credit document owes the customer, and how it goes back (its refunds)."""
    if invoice.owed_cents is None:
        return {}
    from . import refunds

    return {
        "owed_cents": int(invoice.owed_cents),
        "carried": bool(invoice.carried),
        "refunds": [refunds.as_dict(item) for item in refunds.of_document(invoice)],
    }


def oldest_consultable(today: date) -> date:
    month = today.month - CONSULTABLE_MONTHS
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def get(customer_id: str, invoice_id: str, *, today: date | None = None, any_age: bool = False) -> Invoice:
    """An invoice of this customer, while it can be consulted (24 months); else 404."""
    if not invoice_id.startswith("in_") or len(invoice_id) > 64:
        raise NotFound()
    try:
        invoice = Invoice.get(customer_pk(customer_id), f"INVOICE#{invoice_id}")
    except DoesNotExist:
        raise NotFound() from None
    if (
        not any_age
        and today is not None
        and date.fromisoformat(invoice.issued_on) < oldest_consultable(today)
    ):
        raise NotFound()
    return invoice


def month_bounds(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    if _MONTH.fullmatch(value) and value[:4] != "0000":  # ASCII: int() also reads "٢٠٢٦" and " 2026"
        return date(int(value[:4]), int(value[5:]), 1)
    raise ValidationFailed(fields={name: Phrase("field.month")})


_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def listing(
    customer_id: str,
    *,
    month_from: date | None,
    month_to: date | None,
    status: str | None,
    kind: str | None,
    today: date,
    limit: int,
    cursor: dict[str, Any] | None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The customer's invoices of a period (default: the last 12 months), newest first: one Query."""
    oldest = oldest_consultable(today)
    first = month_from or _months_before(today, DEFAULT_MONTHS - 1)
    last = month_to or date(today.year, today.month, 1)
    if first < oldest:
        raise PeriodOutOfRange(fields={"from": Phrase("field.month_from", oldest=f"{oldest:%Y-%m}")})
    if last < first:
        raise ValidationFailed(fields={"to": Phrase("field.not_before_from")})
    condition = None
    if status:
        condition = Invoice.status == status
    if kind:
        condition = Invoice.kind == kind if condition is None else condition & (Invoice.kind == kind)
    items: list[dict[str, Any]] = []
    last_key = cursor
    while len(items) < limit:
        page = Invoice.query(
            customer_pk(customer_id),
            Invoice.sk.between(f"INVOICE#in_{first:%Y%m}", f"INVOICE#in_{last:%Y%m}~"),
            filter_condition=condition,
            scan_index_forward=False,
            limit=limit - len(items),
            last_evaluated_key=last_key,
        )
        items.extend(summary(invoice) for invoice in page)
        last_key = page.last_evaluated_key
        if not last_key:
            break
    return items, last_key


def _months_before(today: date, months: int) -> date:
    month = today.month - months
    return date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def ensure_pdf(invoice: Invoice) -> None:
    """Render and store the PDF once; an existing one is never made again. An imported invoice's
    PDF is the provider's own document (provider_invoices.store_pdf): never drawn here."""
    if invoice.origin == "provider":
        return
    client = _s3()
    try:
        client.head_object(Bucket=settings.pdf_bucket, Key=invoice.pdf_key)
        return
    except client.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
    try:
        client.put_object(
            Bucket=settings.pdf_bucket,
            Key=invoice.pdf_key,
            Body=render(invoice, duplicate=False),
            ContentType="application/pdf",
            ServerSideEncryption="AES256",
            IfNoneMatch="*",  # a concurrent delivery stored it meanwhile: keep the first one
        )
    except client.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") != "PreconditionFailed":
            raise


def render(invoice: Invoice, *, duplicate: bool) -> bytes:
    from .invoice_pdf import render as draw

    credited = None
    if invoice.credited_invoice_id:
        credited = get(invoice.customer_id, invoice.credited_invoice_id, any_age=True).number
    try:
        account: BankAccount | None = BankAccount.get(customer_pk(invoice.customer_id), "BANK_ACCOUNT")
    except DoesNotExist:
        account = None
    mandate = (
        account.mandate_reference if account is not None and invoice.payment_mode == "direct_debit" else None
    )
    credits = [
        {"number": get(invoice.customer_id, item["invoice_id"], any_age=True).number, "cents": item["cents"]}
        for item in _credits_deducted(invoice)
    ]
    document = {
        **summary(invoice),
        "tax_breakdown": invoice.tax_breakdown,
        "vat_regime": invoice.vat_regime,
        "payment_terms": None,
        "credited_invoice_number": credited,
        "mandate_reference": mandate,
        "credits": credits,
        "tip_slip": tip_slip(invoice, credits, account),
        "carried": bool(invoice.carried),
        "energy": invoice.energy,
    }
    lines = [line.attribute_values for line in invoice.lines]
    return draw(
        document,
        lines,
        settings.seller,
        invoice.billing_party,
        language=invoice.language,
        duplicate=duplicate,
    )


def _credits_deducted(invoice: Invoice) -> list[dict[str, Any]]:
    """The carried credits the invoice took when it was issued: [{invoice_id, cents}]."""
    return [
        {"invoice_id": item.payment_id.removeprefix("credit_"), "cents": int(item.amount_cents)}
        for item in invoice.payments or []
        if item.method == "credit" and item.payment_id.startswith("credit_")
    ]


def tip_slip(
    invoice: Invoice, credits: list[dict[str, Any]], account: BankAccount | None
) -> dict[str, Any] | None:
    """The TIP SEPA slip printed on the invoice of a customer who pays by TIP: who is paid, the
    reference to quote, the amount, and the customer's account when one is on file."""
    if invoice.payment_mode != "tip" or invoice.kind not in ("invoice", "regularization"):
        return None
    amount = int(invoice.total_cents) - sum(int(credit["cents"]) for credit in credits)
    if amount <= 0:
        return None
    return {
        "payee": settings.seller["name"],
        "reference": f"{invoice.customer_id} {invoice.number}",
        "amount_cents": amount,
        "account": account.iban if account is not None else None,
    }


def link(key: str, filename: str, now: datetime) -> dict[str, str]:
    url = _s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.pdf_bucket,
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
            "ResponseContentType": "application/pdf",
        },
        ExpiresIn=LINK_SECONDS,
    )
    return {"url": url, "expires_at": (now + timedelta(seconds=LINK_SECONDS)).strftime("%Y-%m-%dT%H:%M:%SZ")}


def pdf_link(customer_id: str, invoice_id: str, *, now: datetime) -> dict[str, str]:
    invoice = get(customer_id, invoice_id, today=local_day(now))
    if invoice.origin == "provider":
        from . import provider_invoices

        provider_invoices.require_pdf(invoice)
    ensure_pdf(invoice)
    return link(invoice.pdf_key, f"{invoice.number}.pdf", now)


def duplicate(customer_id: str, invoice_id: str, *, language: str, now: datetime) -> dict[str, str]:
    """A copy marked DUPLICATA (in the reader's language), at most a few a day per invoice."""
    invoice = get(customer_id, invoice_id, today=local_day(now))
    if invoice.origin == "provider":  # the provider's own document: no copy of it is drawn here
        return pdf_link(customer_id, invoice_id, now=now)
    today = local_day(now)
    try:
        Stamp(f"STAMP#duplicate#{invoice.invoice_id}", today.isoformat()).update(
            actions=[
                Stamp.uses.add(1),
                Stamp.expires_at_epoch.set(int((now + timedelta(days=2)).timestamp())),
            ],
            condition=Stamp.uses.does_not_exist() | (Stamp.uses < DUPLICATES_PER_DAY),
        )
    except UpdateError:
        tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=settings.timezone)
        raise TooManyAttempts(int((tomorrow - now).total_seconds())) from None
    key = f"invoices/{customer_id}/{invoice.invoice_id}-duplicate-{language}.pdf"
    client = _s3()
    try:
        client.head_object(Bucket=settings.pdf_bucket, Key=key)
    except client.exceptions.ClientError:
        invoice.language = language  # the copy speaks the reader's language; nothing is saved
        client.put_object(
            Bucket=settings.pdf_bucket,
            Key=key,
            Body=render(invoice, duplicate=True),
            ContentType="application/pdf",
            ServerSideEncryption="AES256",
        )
    return link(key, f"{invoice.number}-duplicata.pdf", now)
