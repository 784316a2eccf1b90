"""Stripe as the payment provider, through its official SDK (StripeClient).

- Card: a PaymentIntent created and confirmed at once with the PaymentMethod (`pm_...`) that
  Stripe Elements made in the customer's page (a legacy `tok_...` token is accepted as
  `payment_method_data`); the service never sees a card number, and refuses one without calling
  Stripe. `requires_action` (3-D Secure) answers pending with the client secret the page hands
  to Stripe.js to authenticate; the end comes by webhook (stripe_webhooks.py).
- SEPA Direct Debit: a PaymentIntent of `payment_method_types=["sepa_debit"]` with the IBAN,
  the holder and the mandate Guichet holds (its reference in the metadata, its acceptance given
  to Stripe as `mandate_data`, offline: the customer signed it when giving the IBAN). It stays
  `processing` (pending here) until its webhook says succeeded or failed.
- Refunds: a Refund of the PaymentIntent, by amount.
- A card payment left awaiting 3-D Secure is cancelled (`cancel`) when the customer pays the
  invoice again, unless Stripe says it succeeded meanwhile.
- Transfers to a customer's account: Stripe cannot pay an arbitrary IBAN (no SEPA credit
  transfer outside Connect), so they are declined `transfer_unsupported` without a call, and the
  refund waits for an operator (refunds.py), as any declined one does.

Every call carries the caller's idempotency key as Stripe's Idempotency-Key, so a retry (ours or
the SDK's own, `max_network_retries`) gets Stripe's first answer; the same key with other
parameters is Stripe's `idempotency_error`, raised as ValueError like the sandbox does.

The keys live in Secrets Manager, in one JSON secret: `{"secret_key": "sk_...", "webhook_secret":
"whsec_...", "publishable_key": "pk_..."}`, read once per container on first use (never at
import). `api_base` points the SDK elsewhere than api.stripe.com (the tests' local fake).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts.errors import ServiceUnavailable

from .payment_provider import (
    _CARD_NUMBER,
    DECLINE_MESSAGES,
    DECLINED,
    PENDING,
    SUCCEEDED,
    Charge,
    _check_common,
    mask_card,
)

logger = Logger(child=True)

MAX_NETWORK_RETRIES = 2


class ProviderUnavailable(ServiceUnavailable):
    """Stripe did not answer (network, 5xx, rate limit) once the SDK's retries were spent: the
    same request again gets Stripe's answer to its idempotency key, never a second charge."""

    code = "payment_provider_unavailable"


def _unavailable(error: Exception) -> ProviderUnavailable:
    logger.warning("stripe unavailable", extra={"error": type(error).__name__})
    return ProviderUnavailable(headers={"Retry-After": "60"})


def _outage() -> tuple[type[Exception], ...]:
    import stripe

    return (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


def _declined(reference: str, code: str | None) -> Charge:
    code = code or "card_declined"
    return Charge(status=DECLINED, reference=reference, decline_code=code, message=DECLINE_MESSAGES.get(code))


def intent_outcome(intent: Mapping[str, Any]) -> Charge:
    """What a PaymentIntent's status means here (its webhooks carry the same object)."""
    status = intent.get("status")
    reference = str(intent.get("id") or "")
    if status == "succeeded":
        return Charge(status=SUCCEEDED, reference=reference, decline_code=None, message=None)
    if status == "requires_action":
        action = {"type": "authenticate", "client_secret": intent.get("client_secret")}
        return Charge(status=PENDING, reference=reference, decline_code=None, message=None, action=action)
    if status in ("processing", "requires_capture", "requires_confirmation"):
        return Charge(status=PENDING, reference=reference, decline_code=None, message=None)
    if status == "canceled":
        return _declined(reference, "payment_canceled")
    error = intent.get("last_payment_error") or {}
    code = error.get("decline_code") or error.get("code")
    if code == "payment_intent_authentication_failure":
        code = "authentication_failed"
    return _declined(reference, code)


def refund_outcome(refund: Mapping[str, Any]) -> Charge:
    status = refund.get("status")
    reference = str(refund.get("id") or "")
    if status == "succeeded":
        return Charge(status=SUCCEEDED, reference=reference, decline_code=None, message=None)
    if status in ("pending", "requires_action"):
        return Charge(status=PENDING, reference=reference, decline_code=None, message=None)
    return _declined(reference, refund.get("failure_reason") or "refund_failed")


class StripeProvider:
    """The PaymentProvider of Stripe (see the module docstring)."""

    name = "stripe"

    def __init__(self, *, secret_id: str, api_base: str | None = None) -> None:
        self._secret_id = secret_id
        self._api_base = api_base
        self._lock = threading.Lock()
        self._keys: dict[str, str] | None = None
        self._client: Any = None

    # Keys and client, once per container.

    def _secret(self) -> dict[str, str]:
        with self._lock:
            if self._keys is None:
                import boto3

                raw = boto3.client("secretsmanager").get_secret_value(SecretId=self._secret_id)[
                    "SecretString"
                ]
                keys = json.loads(raw)
                missing = [name for name in ("secret_key", "webhook_secret") if not keys.get(name)]
                if missing:
                    raise RuntimeError(f"the Stripe secret {self._secret_id} lacks {', '.join(missing)}")
                self._keys = keys
            return self._keys

    def webhook_secret(self) -> str:
        return self._secret()["webhook_secret"]

    def publishable_key(self) -> str:
        return self._secret().get("publishable_key", "")

    def client(self) -> Any:
        keys = self._secret()
        with self._lock:
            if self._client is None:
                import stripe

                self._client = stripe.StripeClient(
                    keys["secret_key"],
                    base_addresses={"api": self._api_base} if self._api_base else None,
                    max_network_retries=MAX_NETWORK_RETRIES,
                )
            return self._client

    # PaymentProvider.

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
        token = card_token.strip()
        if token.startswith("pm_"):
            method: dict[str, Any] = {"payment_method": token}
        elif token.startswith("tok_"):
            method = {"payment_method_data": {"type": "card", "card": {"token": token}}}
        else:  # a card number, or nothing Stripe made: never sent anywhere
            masked = mask_card(token) if _CARD_NUMBER.fullmatch(token) else "?"
            logger.info("card refused before Stripe", extra={"card": masked})
            return _declined("", "invalid_card")
        params = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "confirm": True,
            "payment_method_types": ["card"],
            "description": description,
            "metadata": dict(metadata or {}),
            **method,
        }
        return self._intent(params, idempotency_key, "card")

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
        if not isinstance(iban, str) or not iban.strip():
            raise ValueError("iban is required")
        if not isinstance(mandate_reference, str) or not mandate_reference.strip():
            raise ValueError("mandate_reference is required")
        if not isinstance(holder, str) or not holder.strip():
            raise ValueError("holder is required: Stripe names the debtor of a SEPA debit")
        _check_common(amount_cents, currency, idempotency_key, description)
        billing = {"name": holder.strip(), **({"email": email} if email else {})}
        params = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "confirm": True,
            "payment_method_types": ["sepa_debit"],
            "payment_method_data": {
                "type": "sepa_debit",
                "sepa_debit": {"iban": "".join(iban.split()).upper()},
                "billing_details": billing,
            },
            "mandate_data": {"customer_acceptance": {"type": "offline"}},
            "description": description,
            "metadata": {**dict(metadata or {}), "mandate_reference": mandate_reference.strip()},
        }
        return self._intent(params, idempotency_key, "direct_debit")

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
        import stripe

        if not isinstance(charge_reference, str) or not charge_reference.strip():
            raise ValueError("charge_reference is required")
        _check_common(amount_cents, currency, idempotency_key, description)
        params = {
            "payment_intent": charge_reference,
            "amount": amount_cents,
            "metadata": dict(metadata or {}),
        }
        try:
            refund = self.client().v1.refunds.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except _outage() as error:
            raise _unavailable(error) from error
        except stripe.IdempotencyError as error:
            raise ValueError("idempotency_key was already used for a refund with other parameters") from error
        except stripe.InvalidRequestError as error:
            if error.code == "resource_missing":
                return _declined("", "charge_not_found")
            if error.code in ("charge_already_refunded", "amount_too_large"):
                raise ValueError("a refund cannot exceed what is left of the charge") from error
            raise
        outcome = refund_outcome(refund.to_dict())
        self._log("refund", outcome)
        return outcome

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
        _check_common(amount_cents, currency, idempotency_key, description)
        outcome = _declined("", "transfer_unsupported")
        self._log("transfer", outcome)
        return outcome

    def cancel(self, reference: str) -> bool:
        """Cancel a PaymentIntent the customer left awaiting 3-D Secure; False if Stripe refuses
        (it succeeded or is processing meanwhile)."""
        import stripe

        if not reference.startswith("pi_"):
            return False
        try:
            intent = self.client().v1.payment_intents.cancel(
                reference,
                params={"cancellation_reason": "abandoned"},
                options={"idempotency_key": f"cancel:{reference}"},
            )
        except _outage() as error:
            raise _unavailable(error) from error
        except stripe.InvalidRequestError as error:
            logger.info("stripe refused to cancel", extra={"reference": reference, "code": error.code})
            return False
        return bool(intent.status == "canceled")

    def _intent(self, params: dict[str, Any], idempotency_key: str, method: str) -> Charge:
        import stripe

        try:
            intent = self.client().v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except _outage() as error:
            raise _unavailable(error) from error
        except stripe.IdempotencyError as error:
            raise ValueError(
                "idempotency_key was already used for a payment with other parameters"
            ) from error
        except stripe.CardError as error:
            # a decline at confirmation: Stripe answers 402 with the PaymentIntent it declined
            body = error.json_body if isinstance(error.json_body, dict) else {}
            detail = body.get("error") or {}
            intent_id = str((detail.get("payment_intent") or {}).get("id") or "")
            code = detail.get("decline_code") or error.code
            outcome = _declined(intent_id, code)
            self._log(method, outcome)
            return outcome
        except stripe.InvalidRequestError as error:
            if error.code in (
                "resource_missing",
                "payment_method_invalid_parameter",
                "invalid_bank_account_iban",
            ):
                outcome = _declined("", "invalid_account" if method == "direct_debit" else "invalid_card")
                self._log(method, outcome)
                return outcome
            raise
        outcome = intent_outcome(intent.to_dict())
        self._log(method, outcome)
        return outcome

    @staticmethod
    def _log(method: str, outcome: Charge) -> None:
        logger.info(
            f"stripe {method} {outcome.reference or '-'}: {outcome.status}",
            extra={"decline_code": outcome.decline_code},
        )
