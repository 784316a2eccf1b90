"""The payment provider (cards, direct debits, refunds, transfers), and a local sandbox like one.

`provider(name)` returns a provider by name: "sandbox" (below) or "stripe" (stripe_provider.py,
the official SDK); `current()` the one the stage's settings name. The service never sees raw card
numbers in production: the web page turns the card into a token with the provider's own script
(Stripe Elements), and only the token reaches the API.

An outcome is `succeeded`, `declined`, or `pending`: a real provider's card payment may need the
customer's authentication first (3-D Secure; `Charge.action` says what the page must do) and a
SEPA debit stays processing for days; the provider's webhooks tell the end (stripe_webhooks.py).
The sandbox decides at once and is never pending.

The sandbox
-----------

`SandboxProvider` is deterministic and offline, like the big providers' test modes. It accepts
these card tokens and card numbers (numbers may be written with spaces or hyphens):

=============================  =========================  ======================
card number                    token                      result
=============================  =========================  ======================
4242 4242 4242 4242            tok_visa                   succeeded
4000 0000 0000 0002            tok_chargeDeclined         declined card_declined
4000 0000 0000 9995            tok_insufficientFunds      declined insufficient_funds
4000 0000 0000 0069            tok_expiredCard            declined expired_card
4000 0000 0000 0127            tok_incorrectCvc           declined incorrect_cvc
4000 0000 0000 5126            tok_refundFail             succeeded; its refunds fail
any other number or token                                 declined invalid_card
=============================  =========================  ======================

Refunds (`refund_card`) pay back part or all of a card charge that succeeded, never more than
is left of it (`ValueError` otherwise); a refund of the 5126 card is declined
expired_or_canceled_card, as Stripe's test mode answers, and a charge the sandbox never made is
declined charge_not_found.

Direct debits succeed for every IBAN with a valid checksum, except these test IBANs (all valid
French IBANs; the last two were generated with schwifty, BNP Paribas bank code 30004):

=================================  ============================  ======================
IBAN                               bank                          result
=================================  ============================  ======================
FR76 3000 6000 0112 3456 7890 189  Crédit Agricole (AGRIFRPP)    succeeded
FR14 2004 1010 0505 0001 3M02 606  La Banque Postale (PSSTFRPP)  succeeded
FR76 3000 4000 0100 0000 0040 294  BNP Paribas (BNPAFRPP)        declined insufficient_funds
FR76 3000 4000 0100 0000 0041 070  BNP Paribas (BNPAFRPP)        declined account_closed
an IBAN with a wrong checksum                                    declined invalid_account
=================================  ============================  ======================

Transfers (`transfer`, a SEPA credit transfer paying money back to a customer's account)
succeed for every valid IBAN except the closed account above (declined account_closed); an
IBAN with a wrong checksum is declined invalid_account.

Idempotency: the same `idempotency_key` returns the same `Charge` (same reference, same
outcome, declines included) and charges nothing twice; the same key with another amount,
currency, card, account or mandate raises `ValueError`. The key is global to the provider, so
callers pass a key unique across customers (the payment id, or the customer id plus the
client's key). The ledger lives in memory, one per process, and is thread-safe. References are
"sbx_ch_" (charges and debits), "sbx_re_" (refunds) or "sbx_tr_" (transfers) followed by 24 hex
digits derived from the key alone.

Card data never reaches logs or exception messages: only `mask_card()` forms (last 4 kept).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

logger = logging.getLogger(__name__)

Status = Literal["succeeded", "declined", "pending"]

SUCCEEDED: Status = "succeeded"
DECLINED: Status = "declined"
PENDING: Status = "pending"

# Card tokens and numbers of the sandbox -> (status, decline_code).
TEST_CARDS: dict[str, tuple[str, str | None]] = {
    "4242424242424242": (SUCCEEDED, None),
    "tok_visa": (SUCCEEDED, None),
    "4000000000000002": (DECLINED, "card_declined"),
    "tok_chargeDeclined": (DECLINED, "card_declined"),
    "4000000000009995": (DECLINED, "insufficient_funds"),
    "tok_insufficientFunds": (DECLINED, "insufficient_funds"),
    "4000000000000069": (DECLINED, "expired_card"),
    "tok_expiredCard": (DECLINED, "expired_card"),
    "4000000000000127": (DECLINED, "incorrect_cvc"),
    "tok_incorrectCvc": (DECLINED, "incorrect_cvc"),
    "4000000000005126": (SUCCEEDED, None),
    "tok_refundFail": (SUCCEEDED, None),
}
# Cards whose charges succeed but whose refunds are declined with this code.
REFUND_FAILING_CARDS: dict[str, str] = {
    "4000000000005126": "expired_or_canceled_card",
    "tok_refundFail": "expired_or_canceled_card",
}

# IBANs of the sandbox (electronic format) -> (status, decline_code); any other valid IBAN succeeds.
TEST_IBANS: dict[str, tuple[str, str | None]] = {
    "FR7630006000011234567890189": (SUCCEEDED, None),
    "FR1420041010050500013M02606": (SUCCEEDED, None),
    "FR7630004000010000000040294": (DECLINED, "insufficient_funds"),
    "FR7630004000010000000041070": (DECLINED, "account_closed"),
}

# The message of each decline code, for a person.
DECLINE_MESSAGES: dict[str, str] = {
    "card_declined": "The card was declined.",
    "insufficient_funds": "The funds are insufficient.",
    "expired_card": "The card has expired.",
    "incorrect_cvc": "The card's security code is incorrect.",
    "invalid_card": "The card is not valid.",
    "account_closed": "The bank account is closed.",
    "invalid_account": "The bank account number is not valid.",
    "expired_or_canceled_card": "The card was cancelled or has expired: it cannot be refunded.",
    "charge_not_found": "The payment provider knows no such charge.",
    "authentication_failed": "The card's authentication (3-D Secure) failed.",
    "payment_canceled": "The payment was cancelled before it ended.",
    "transfer_unsupported": "The payment provider cannot pay a bank account: an operator makes it.",
}

REFERENCE_PREFIX = "sbx_ch_"
REFUND_PREFIX = "sbx_re_"
TRANSFER_PREFIX = "sbx_tr_"
MAX_IDEMPOTENCY_KEY = 255

_CARD_NUMBER = re.compile(r"[0-9][0-9 -]*[0-9]")
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class Charge:
    """The outcome of a charge, a debit, a refund or a transfer: `reference` is the provider's
    id of it, declined or not; `action`, for a pending card payment, what the customer's page
    must do to finish it (3-D Secure: `{"type": "authenticate", "client_secret": ...}`)."""

    status: Status
    reference: str
    decline_code: str | None
    message: str | None
    action: dict[str, Any] | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED


@runtime_checkable
class PaymentProvider(Protocol):
    """`metadata` names what a charge is for (customer, payment or installment, refund): a
    provider that answers later (webhooks) gives it back with the outcome."""

    name: str

    def charge_card(
        self,
        *,
        card_token: str,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        description: str,
        metadata: Mapping[str, str] | None = None,
    ) -> Charge: ...

    def debit_account(
        self,
        *,
        iban: str,
        mandate_reference: str,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        description: str,
        holder: str = "",
        email: str = "",
        metadata: Mapping[str, str] | None = None,
    ) -> Charge: ...

    def refund_card(
        self,
        *,
        charge_reference: str,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        description: str,
        metadata: Mapping[str, str] | None = None,
    ) -> Charge: ...

    def transfer(
        self,
        *,
        iban: str,
        holder: str,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        description: str,
    ) -> Charge: ...


def mask_card(card_token: str) -> str:
    """A card number or token fit for logs: its last 4 characters only ("****4242")."""
    value = normalize_card(card_token) if isinstance(card_token, str) else ""
    return "****" + (value[-4:] if len(value) > 4 else "")


def normalize_card(card_token: str) -> str:
    """A card number without its spaces and hyphens; a token as given (stripped)."""
    value = card_token.strip()
    if _CARD_NUMBER.fullmatch(value):
        return value.replace(" ", "").replace("-", "")
    return value


def _mask_iban(iban: str) -> str:
    return f"{iban[:4]}****{iban[-4:]}" if len(iban) > 8 else "****"


def _iban_checksum_ok(iban: str) -> bool:
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}", iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _check_common(amount_cents: int, currency: str, idempotency_key: str, description: str) -> None:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValueError("amount_cents must be a positive integer")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise ValueError("currency must be an ISO 4217 code in capitals, like EUR")
    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
        raise ValueError(f"idempotency_key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
    if not isinstance(description, str):
        raise ValueError("description must be a string")


def _reference(idempotency_key: str, prefix: str = REFERENCE_PREFIX) -> str:
    digest = hashlib.sha256(f"guichet-sandbox:{idempotency_key}".encode()).hexdigest()
    return prefix + digest[:24]


def _fingerprint(*parts: object) -> str:
    """What a key was first used for, hashed so that the ledger holds no card data."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()


def _outcome(status: str, decline_code: str | None, reference: str) -> Charge:
    if status == SUCCEEDED:
        return Charge(status=SUCCEEDED, reference=reference, decline_code=None, message=None)
    code = decline_code or "card_declined"
    return Charge(status=DECLINED, reference=reference, decline_code=code, message=DECLINE_MESSAGES.get(code))


@dataclass
class _Refundable:
    """A card charge that succeeded: what is left of it to refund, and how its refunds end."""

    amount_cents: int
    currency: str
    refund_decline: str | None
    refunded_cents: int = 0


class _Ledger:
    """Charges, refunds and transfers by idempotency key, with what each key was used for, and
    the card charges that can be refunded. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[str, Charge]] = {}
        self._refundable: dict[str, _Refundable] = {}

    def record(
        self, key: str, fingerprint: str, decide: _Decide, prefix: str = REFERENCE_PREFIX
    ) -> tuple[Charge, bool]:
        """The outcome of `key`, made with `decide` the first time (under the ledger's lock); and
        whether it is a replay."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                if entry[0] != fingerprint:
                    raise ValueError("idempotency_key was already used for a payment with other parameters")
                return entry[1], True
            charge = decide(_reference(key, prefix))
            self._entries[key] = (fingerprint, charge)
            return charge, False

    def refundable(self, reference: str) -> _Refundable | None:
        """A card charge's refund state; call it from inside `decide` (under the lock)."""
        return self._refundable.get(reference)

    def keep_refundable(self, reference: str, refundable: _Refundable) -> None:
        self._refundable[reference] = refundable

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._refundable.clear()


class _Decide(Protocol):
    def __call__(self, reference: str) -> Charge: ...


# One ledger per process, shared by every SandboxProvider that is not given its own.
_LEDGER = _Ledger()


class SandboxProvider:
    """The local test provider: deterministic, offline, idempotent (see the module docstring)."""

    name = "sandbox"

    def __init__(self, ledger: _Ledger | None = None) -> None:
        self._ledger = ledger if ledger is not None else _LEDGER

    def charge_card(
        self,
        *,
        card_token: str,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        description: str,
        metadata: Mapping[str, str] | None = None,
    ) -> Charge:
        if not isinstance(card_token, str):
            raise ValueError("card_token must be a string")
        _check_common(amount_cents, currency, idempotency_key, description)
        card = normalize_card(card_token)
        status, decline_code = TEST_CARDS.get(card, (DECLINED, "invalid_card"))
        fingerprint = _fingerprint("card", card, amount_cents, currency)

        def decide(reference: str) -> Charge:
            charge = _outcome(status, decline_code, reference)
            if charge.succeeded:
                self._ledger.keep_refundable(
                    reference, _Refundable(amount_cents, currency, REFUND_FAILING_CARDS.get(card))
                )
            return charge

        charge, replay = self._ledger.record(idempotency_key, fingerprint, decide)
        self._log("card", mask_card(card), amount_cents, currency, charge, replay)
        return charge

    def refund_card(
        self,
        *,
        charge_reference: str,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        description: str,
        metadata: Mapping[str, str] | None = None,
    ) -> Charge:
        if not isinstance(charge_reference, str) or not charge_reference.strip():
            raise ValueError("charge_reference is required")
        _check_common(amount_cents, currency, idempotency_key, description)
        fingerprint = _fingerprint("refund", charge_reference, amount_cents, currency)

        def decide(reference: str) -> Charge:
            charge = self._ledger.refundable(charge_reference)
            if charge is None:
                return _outcome(DECLINED, "charge_not_found", reference)
            if charge.currency != currency or amount_cents > charge.amount_cents - charge.refunded_cents:
                raise ValueError("a refund cannot exceed what is left of the charge, in its currency")
            if charge.refund_decline:
                return _outcome(DECLINED, charge.refund_decline, reference)
            charge.refunded_cents += amount_cents
            return _outcome(SUCCEEDED, None, reference)

        refund, replay = self._ledger.record(idempotency_key, fingerprint, decide, REFUND_PREFIX)
        self._log("refund", charge_reference, amount_cents, currency, refund, replay)
        return refund

    def transfer(
        self,
        *,
        iban: str,
        holder: str,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        description: str,
    ) -> Charge:
        if not isinstance(iban, str):
            raise ValueError("iban must be a string")
        if not isinstance(holder, str) or not holder.strip():
            raise ValueError("holder is required")
        _check_common(amount_cents, currency, idempotency_key, description)
        account = "".join(iban.split()).upper()
        outcome: tuple[str, str | None] = (DECLINED, "invalid_account")
        if _iban_checksum_ok(account):
            closed = TEST_IBANS.get(account, (SUCCEEDED, None))[1] == "account_closed"
            outcome = (DECLINED, "account_closed") if closed else (SUCCEEDED, None)
        status, decline_code = outcome
        fingerprint = _fingerprint("transfer", account, amount_cents, currency)
        transfer, replay = self._ledger.record(
            idempotency_key,
            fingerprint,
            lambda reference: _outcome(status, decline_code, reference),
            TRANSFER_PREFIX,
        )
        self._log("transfer", _mask_iban(account), amount_cents, currency, transfer, replay)
        return transfer

    def debit_account(
        self,
        *,
        iban: str,
        mandate_reference: str,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        description: str,
        holder: str = "",
        email: str = "",
        metadata: Mapping[str, str] | None = None,
    ) -> Charge:
        if not isinstance(iban, str):
            raise ValueError("iban must be a string")
        if not isinstance(mandate_reference, str) or not mandate_reference.strip():
            raise ValueError("mandate_reference is required")
        _check_common(amount_cents, currency, idempotency_key, description)
        account = "".join(iban.split()).upper()
        outcome: tuple[str, str | None] = (DECLINED, "invalid_account")
        if _iban_checksum_ok(account):
            outcome = TEST_IBANS.get(account, (SUCCEEDED, None))
        status, decline_code = outcome
        fingerprint = _fingerprint("debit", account, mandate_reference.strip(), amount_cents, currency)
        charge, replay = self._ledger.record(
            idempotency_key, fingerprint, lambda reference: _outcome(status, decline_code, reference)
        )
        self._log("direct_debit", _mask_iban(account), amount_cents, currency, charge, replay)
        return charge

    @staticmethod
    def _log(
        method: str, instrument: str, amount_cents: int, currency: str, charge: Charge, replay: bool
    ) -> None:
        logger.info(
            "sandbox %s %s %s %s with %s: %s%s",
            method,
            charge.reference,
            amount_cents,
            currency,
            instrument,
            charge.status,
            f" {charge.decline_code}" if charge.decline_code else "",
            extra={"replay": replay},
        )


_SANDBOX = SandboxProvider()
_PROVIDERS: dict[str, PaymentProvider] = {"sandbox": _SANDBOX}
KNOWN = ("sandbox", "stripe")


def provider(name: str) -> PaymentProvider:
    """The payment provider called `name` ("sandbox" or "stripe", made once per container from the
    settings); an unknown name raises ValueError."""
    key = name.strip().lower() if isinstance(name, str) else ""
    if key == "stripe" and key not in _PROVIDERS:
        from .settings import settings
        from .stripe_provider import StripeProvider

        _PROVIDERS[key] = StripeProvider(secret_id=settings.stripe_secret, api_base=settings.stripe_api_base)
    try:
        return _PROVIDERS[key]
    except KeyError:
        raise ValueError(f"unknown payment provider {name!r}; known: {', '.join(KNOWN)}") from None


def page_configuration() -> dict[str, Any]:
    """What the customer's page needs to collect a card: the provider's name, and Stripe's
    publishable key (public by design) when the provider is Stripe."""
    gateway = current()
    publishable = getattr(gateway, "publishable_key", None)
    return {"provider": gateway.name, "publishable_key": publishable() if publishable else None}


def current() -> PaymentProvider:
    """The provider the stage's settings name (INVOICES_PAYMENT_PROVIDER)."""
    from .settings import settings

    return provider(settings.payment_provider)
