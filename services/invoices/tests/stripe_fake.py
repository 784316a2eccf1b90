"""A local fake of the part of Stripe's HTTP API the invoices service uses, for the official SDK
to talk to offline (StripeClient pointed at it by `base_addresses={"api": fake.url}`).

It answers, on 127.0.0.1 only, as Stripe's documentation says:
- POST /v1/payment_intents (confirm=true), GET /v1/payment_intents/{id}, POST
  /v1/payment_intents/{id}/cancel, POST /v1/refunds;
- form-encoded bodies (`metadata[customer_id]=…`, `payment_method_types[0]=card`), the secret key
  as Bearer token (401 otherwise), objects shaped like Stripe's published fixtures
  (stripe_shapes.json), errors as `{"error": {type, code, decline_code, message, param, …}}`;
- Idempotency-Key: the same key and parameters replay the first answer (`Idempotent-Replayed`),
  other parameters answer 400 `idempotency_error`.

Behaviour follows Stripe's test mode (docs.stripe.com/testing):
- cards (PaymentMethods): pm_card_visa succeeds; pm_card_authenticationRequired needs 3-D
  Secure (requires_action, `next_action.use_stripe_sdk`); pm_card_visa_chargeDeclined and
  pm_card_visa_chargeDeclinedInsufficientFunds are declined with 402 card_error; a token
  (payment_method_data[card][token]) tok_visa succeeds; anything else is resource_missing.
- SEPA Direct Debit: `processing`; IBANs in FAILING_IBANS fail once the bank answers, others
  succeed. Name, email and mandate_data are required, as Stripe requires them.

What happens outside the request (the customer authenticating, the bank answering, a refund
ending) is driven by the test (`authenticate`, `clear`, `end_refund`), each returning the event
Stripe would then send: the test signs it with the SDK's own code and posts it to the webhook.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

SHAPES = json.loads((Path(__file__).parent / "stripe_shapes.json").read_text())
API_KEY = "sk_test_guichet_fake"
WEBHOOK_SECRET = "whsec_guichet_fake_0123456789abcdef"
PUBLISHABLE_KEY = "pk_test_guichet_fake"

SUCCEEDING_CARDS = ("pm_card_visa",)
AUTHENTICATED_CARDS = ("pm_card_authenticationRequired",)
DECLINED_CARDS = {
    "pm_card_visa_chargeDeclined": "generic_decline",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "insufficient_funds",
}
SUCCEEDING_TOKENS = ("tok_visa",)
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action")
FAILING_IBANS = ("DE62370400440532013001", "FR3020041010050500013M02609")


class StripeError(Exception):
    def __init__(self, status: int, **error: Any) -> None:
        super().__init__(error.get("message"))
        self.status = status
        self.error = error


def required(*params: tuple[str, Any]) -> None:
    """Stripe's 400 for the first parameter missing."""
    for name, value in params:
        if not value:
            raise StripeError(
                400,
                type="invalid_request_error",
                code="parameter_missing",
                param=name,
                message=f"Missing required param: {name}.",
            )


def form_decode(body: str) -> dict[str, Any]:
    """Stripe's form encoding back to nested dicts and lists."""
    result: dict[str, Any] = {}
    for name, value in parse_qsl(body, keep_blank_values=True):
        parts = name.replace("]", "").split("[")
        node: Any = result
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if isinstance(node, list):
                position = int(part)
                while len(node) <= position:
                    node.append(None)
                if last:
                    node[position] = value
                else:
                    if node[position] is None:
                        node[position] = [] if parts[index + 1].isdigit() else {}
                    node = node[position]
            elif last:
                node[part] = value
            else:
                node = node.setdefault(part, [] if parts[index + 1].isdigit() else {})
    return result


class StripeFake:
    """The fake's state (intents, refunds, idempotency keys, requests seen) and its server."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.refunded: dict[str, int] = {}  # intent id -> cents refunded
        self.iban_of: dict[str, str] = {}  # SEPA intent id -> the debtor's IBAN
        self.keys: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.refunds_pending = False  # answer refunds pending (some card networks), ended by a test
        self.down = False  # answer every request 500 api_error (an outage)
        self.clock = 1_800_000_000
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StripeFake:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    # --- the API ------------------------------------------------------------------------------

    def answer(
        self, method: str, path: str, headers: dict[str, str], body: str
    ) -> tuple[int, dict[str, Any], bool]:
        """(status, JSON body, replayed) of one request."""
        if headers.get("authorization") != f"Bearer {API_KEY}":
            return (
                401,
                {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}},
                False,
            )
        params = form_decode(body)
        with self.lock:
            self.requests.append((method, path, params))
            if self.down:
                return 500, self._error("api_error", message="Something went wrong on Stripe's end."), False
            key = headers.get("idempotency-key")
            fingerprint = hashlib.sha256(f"{method} {path} {body}".encode()).hexdigest()
            if method == "POST" and key and key in self.keys:
                seen, status, answer = self.keys[key]
                if seen != fingerprint:
                    return (
                        400,
                        self._error(
                            "idempotency_error",
                            message="Keys for idempotent requests can only be used with the same parameters "
                            "they were first used with.",
                        ),
                        False,
                    )
                return status, copy.deepcopy(answer), True
            try:
                status, answer = 200, self._route(method, path, params)
            except StripeError as error:
                status, answer = error.status, {"error": error.error}
            if method == "POST" and key:
                self.keys[key] = (fingerprint, status, copy.deepcopy(answer))
            return status, answer, False

    @staticmethod
    def _error(kind: str, **fields: Any) -> dict[str, Any]:
        return {"error": {"type": kind, **fields}}

    def _route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "payment_intents"]:
            return self._create_intent(params)
        if method == "GET" and parts[:2] == ["v1", "payment_intents"] and len(parts) == 3:
            return copy.deepcopy(self._intent(parts[2]))
        if method == "POST" and parts[:2] == ["v1", "payment_intents"] and parts[3:] == ["cancel"]:
            return self._cancel(parts[2], params)
        if method == "POST" and parts == ["v1", "refunds"]:
            return self._create_refund(params)
        raise StripeError(
            404, type="invalid_request_error", message=f"Unrecognized request URL ({method}: {path})"
        )

    def _intent(self, intent_id: str) -> dict[str, Any]:
        if intent_id not in self.intents:
            raise StripeError(
                404,
                type="invalid_request_error",
                code="resource_missing",
                param="intent",
                message=f"No such payment_intent: '{intent_id}'",
            )
        return self.intents[intent_id]

    def _create_intent(self, params: dict[str, Any]) -> dict[str, Any]:
        required(("amount", params.get("amount")), ("currency", params.get("currency")))
        intent_id = "pi_" + secrets.token_hex(12)
        intent = copy.deepcopy(SHAPES["payment_intent"])
        intent.update(
            id=intent_id,
            amount=int(params["amount"]),
            amount_received=0,
            automatic_payment_methods=None,
            canceled_at=None,
            client_secret=f"{intent_id}_secret_{secrets.token_hex(12)}",
            created=self.clock,
            currency=params["currency"],
            description=params.get("description"),
            last_payment_error=None,
            latest_charge=None,
            metadata=params.get("metadata", {}),
            next_action=None,
            payment_method_types=params.get("payment_method_types", ["card"]),
            processing=None,
            status="requires_payment_method",
            transfer_data=None,
        )
        types = intent["payment_method_types"]
        data = params.get("payment_method_data") or {}
        if params.get("confirm") != "true":
            raise StripeError(
                400, type="invalid_request_error", message="The fake only creates confirmed intents."
            )
        if types == ["sepa_debit"]:
            self._confirm_sepa(intent, data, params)
        else:
            self._confirm_card(intent, params.get("payment_method"), data)
        self.intents[intent_id] = intent
        return copy.deepcopy(intent)

    def _confirm_card(self, intent: dict[str, Any], method: str | None, data: dict[str, Any]) -> None:
        token = (data.get("card") or {}).get("token") if data.get("type") == "card" else None
        if method in SUCCEEDING_CARDS or token in SUCCEEDING_TOKENS:
            intent["payment_method"] = method or "pm_" + secrets.token_hex(12)
            self._succeed(intent)
        elif method in AUTHENTICATED_CARDS:
            intent.update(
                payment_method=method,
                status="requires_action",
                next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}},
            )
        elif method in DECLINED_CARDS:
            intent.update(payment_method=None, status="requires_payment_method")
            error = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": DECLINED_CARDS[method],
                "message": "Your card was declined.",
            }
            intent["last_payment_error"] = error
            self.intents[intent["id"]] = intent
            raise StripeError(402, **error, payment_intent=copy.deepcopy(intent))
        else:
            raise StripeError(
                400,
                type="invalid_request_error",
                code="resource_missing",
                param="payment_method",
                message=f"No such PaymentMethod: '{method or token}'",
            )

    def _confirm_sepa(self, intent: dict[str, Any], data: dict[str, Any], params: dict[str, Any]) -> None:
        billing = data.get("billing_details") or {}
        acceptance = (params.get("mandate_data") or {}).get("customer_acceptance") or {}
        required(
            ("payment_method_data[sepa_debit][iban]", (data.get("sepa_debit") or {}).get("iban")),
            ("payment_method_data[billing_details][name]", billing.get("name")),
            ("payment_method_data[billing_details][email]", billing.get("email")),
            ("mandate_data[customer_acceptance][type]", acceptance.get("type")),
        )
        intent.update(payment_method="pm_" + secrets.token_hex(12), status="processing")
        self.iban_of[intent["id"]] = data["sepa_debit"]["iban"]

    def _succeed(self, intent: dict[str, Any]) -> None:
        intent.update(
            status="succeeded",
            amount_received=intent["amount"],
            latest_charge="ch_" + secrets.token_hex(12),
            next_action=None,
            last_payment_error=None,
        )

    def _cancel(self, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
        intent = self._intent(intent_id)
        if intent["status"] not in CANCELABLE:
            raise StripeError(
                400,
                type="invalid_request_error",
                code="payment_intent_unexpected_state",
                message=f"You cannot cancel this PaymentIntent: its status is {intent['status']}.",
            )
        intent.update(
            status="canceled",
            canceled_at=self.clock,
            cancellation_reason=params.get("cancellation_reason"),
            next_action=None,
        )
        return copy.deepcopy(intent)

    def _create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        intent = self._intent(params.get("payment_intent", ""))
        if intent["status"] != "succeeded":
            raise StripeError(
                400,
                type="invalid_request_error",
                code="charge_not_refundable",
                message="This PaymentIntent has no successful charge to refund.",
            )
        left = intent["amount_received"] - self.refunded.get(intent["id"], 0)
        amount = int(params.get("amount") or left)
        if left <= 0:
            raise StripeError(
                400,
                type="invalid_request_error",
                code="charge_already_refunded",
                message="Charge has already been refunded.",
            )
        if amount > left:
            raise StripeError(
                400,
                type="invalid_request_error",
                code="amount_too_large",
                param="amount",
                message="Refund amount is greater than unrefunded amount on charge.",
            )
        self.refunded[intent["id"]] = self.refunded.get(intent["id"], 0) + amount
        refund = copy.deepcopy(SHAPES["refund"])
        refund.update(
            id="re_" + secrets.token_hex(12),
            amount=amount,
            charge=intent["latest_charge"],
            created=self.clock,
            currency=intent["currency"],
            metadata=params.get("metadata", {}),
            payment_intent=intent["id"],
            status="pending" if self.refunds_pending else "succeeded",
        )
        self.refunds[refund["id"]] = refund
        return copy.deepcopy(refund)

    # --- what happens outside a request, and the events Stripe then sends ----------------------

    def public(self, intent_id: str) -> dict[str, Any]:
        return copy.deepcopy(self.intents[intent_id])

    def authenticate(self, intent_id: str, *, passed: bool) -> dict[str, Any]:
        """The customer passed (or failed) 3-D Secure: the intent's event."""
        with self.lock:
            intent = self.intents[intent_id]
            assert intent["status"] == "requires_action", intent["status"]
            if passed:
                self._succeed(intent)
                return self.event("payment_intent.succeeded", self.public(intent_id))
            intent.update(
                status="requires_payment_method",
                next_action=None,
                last_payment_error={
                    "type": "invalid_request_error",
                    "code": "payment_intent_authentication_failure",
                    "message": "The provided PaymentMethod has failed authentication.",
                },
            )
            return self.event("payment_intent.payment_failed", self.public(intent_id))

    def clear(self, intent_id: str) -> dict[str, Any]:
        """The debtor's bank answered a SEPA debit: the intent's event."""
        with self.lock:
            intent = self.intents[intent_id]
            assert intent["status"] == "processing", intent["status"]
            if self.iban_of.get(intent_id) in FAILING_IBANS:
                intent.update(
                    status="requires_payment_method",
                    last_payment_error={
                        "type": "card_error",
                        "code": "insufficient_funds",
                        "message": "The account has insufficient funds.",
                    },
                )
                return self.event("payment_intent.payment_failed", self.public(intent_id))
            self._succeed(intent)
            return self.event("payment_intent.succeeded", self.public(intent_id))

    def end_refund(self, refund_id: str, *, succeeded: bool) -> dict[str, Any]:
        with self.lock:
            refund = self.refunds[refund_id]
            refund["status"] = "succeeded" if succeeded else "failed"
            if not succeeded:
                refund["failure_reason"] = "expired_or_canceled_card"
            return self.event("refund.updated", copy.deepcopy(refund))

    def event(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        event = copy.deepcopy(SHAPES["event"])
        event.update(
            id="evt_" + secrets.token_hex(12),
            api_version="2026-10-29.clover",
            created=self.clock,
            data={"object": data},
            type=kind,
            pending_webhooks=1,
        )
        return event

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                path, _, query = self.path.partition("?")
                headers = {name.lower(): value for name, value in self.headers.items()}
                status, answer, replayed = fake.answer(self.command, path, headers, body or query)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", "req_" + secrets.token_hex(8))
                if replayed:
                    self.send_header("Idempotent-Replayed", "true")
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args: Any) -> None:  # quiet
                return

        return Handler
