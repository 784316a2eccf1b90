"""Stripe as the payment provider: the official SDK against a local fake of Stripe's HTTP API
(stripe_fake.py), webhooks signed with the SDK's own code (stripe.WebhookSignature).

A stage marked production refuses the sandbox; a card payment with 3-D Secure, a SEPA debit
(cleared or returned), a refund (immediate or ended by webhook), a replayed webhook and forged
signatures are followed from the API to the invoices, the domain events and the mails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import (
    SERVICE_DIR,
    Customer,
    Operator,
    mails_to,
    ordered_invoice,
    pay_key,
    payments_in_table,
    stored_invoice,
    utc,
    with_mandate,
)
from guichet_local.testing import answer, assert_error
from stripe_fake import API_KEY, PUBLISHABLE_KEY, WEBHOOK_SECRET, StripeFake

AT = utc(2026, 11, 23, 10)  # when Stripe signs and the service receives each webhook
SUCCEEDING_IBAN = "FR1420041010050500013M02606"  # Stripe's test IBANs (docs.stripe.com/testing)
FAILING_IBAN = "FR3020041010050500013M02609"


@pytest.fixture(scope="module")
def stripe_fake() -> Iterator[StripeFake]:
    with StripeFake() as fake:
        yield fake


@pytest.fixture
def stripe(stripe_fake: StripeFake, monkeypatch: pytest.MonkeyPatch, route_clock: Any) -> StripeFake:
    """This test's stage takes payments through Stripe (the fake): its keys in Secrets Manager
    under the secret the settings name, the SDK pointed at the fake; the routes' clock at AT."""
    import boto3
    from chalicelib import payment_provider
    from chalicelib.settings import settings
    from chalicelib.stripe_provider import StripeProvider

    keys = {"secret_key": API_KEY, "webhook_secret": WEBHOOK_SECRET, "publishable_key": PUBLISHABLE_KEY}
    manager = boto3.client("secretsmanager")
    try:
        manager.create_secret(Name=settings.stripe_secret, SecretString=json.dumps(keys))
    except manager.exceptions.ResourceExistsException:
        pass
    gateway = StripeProvider(secret_id=settings.stripe_secret, api_base=stripe_fake.url)
    monkeypatch.setattr(payment_provider, "current", lambda: gateway)
    route_clock(AT)
    return stripe_fake


def signed(body: str, *, secret: str = WEBHOOK_SECRET, at: Any = AT) -> str:
    import stripe as sdk

    return sdk.WebhookSignature.generate_signature_header(body, secret, timestamp=int(at.timestamp()))


def webhook(
    customer: Customer, event: dict[str, Any] | str, signature: str | None = None, *, at: Any = AT
) -> Any:
    """Post one delivery to the webhook route as Stripe does (signed with the right secret at
    `at`, the routes' clock, unless a signature is given)."""
    body = event if isinstance(event, str) else json.dumps(event)
    headers = {"content-type": "application/json; charset=utf-8"}
    header = signed(body, at=at) if signature is None else signature
    if header:
        headers["stripe-signature"] = header
    return customer.client.http.post("/payments/stripe/webhook", headers=headers, body=body.encode())


def paid_by(customer: Customer, invoice: Any, **body: Any) -> dict[str, Any]:
    response = customer.call("POST", f"/{invoice.invoice_id}/payments", body, pay_key())
    assert response.status_code == 201, response.body
    return dict(answer(response))


def awaiting_3ds(customer_factory: Any, cents: int) -> tuple[Customer, Any, dict[str, Any]]:
    """A new customer's invoice of `cents`, paid with a card that asks for 3-D Secure: (customer,
    invoice, the payment answered)."""
    customer = customer_factory()
    invoice = ordered_invoice(customer, cents)
    return (
        customer,
        invoice,
        paid_by(customer, invoice, method="card", card_token="pm_card_authenticationRequired"),
    )


def intent_of(fake: StripeFake, payment: dict[str, Any]) -> dict[str, Any]:
    (intent,) = [
        intent
        for intent in fake.intents.values()
        if intent["metadata"].get("payment_id") == payment["payment_id"]
    ]
    return intent


# --- start-up: the stage decides the provider -----------------------------------------------


def stage_environment(**changes: str) -> dict[str, str]:
    environment = {**os.environ, **changes}
    return {name: value for name, value in environment.items() if value != ""}


def test_a_stage_marked_production_refuses_the_sandbox_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib import settings as settings_module

    # Given a stage marked production whose provider is the sandbox (or left unset)
    monkeypatch.setenv("GUICHET_PRODUCTION", "true")
    for provider in ("sandbox", None):
        if provider:
            monkeypatch.setenv("INVOICES_PAYMENT_PROVIDER", provider)
        else:
            monkeypatch.delenv("INVOICES_PAYMENT_PROVIDER", raising=False)
        # When its settings are loaded (at cold start) / Then they are refused, saying why
        with pytest.raises(settings_module.SettingsError, match=r"marked production.*sandbox"):
            settings_module.load()

    # Given the same stage with Stripe: it starts, Stripe's keys from the stage's secret
    monkeypatch.setenv("INVOICES_PAYMENT_PROVIDER", "stripe")
    loaded = settings_module.load()
    assert (loaded.payment_provider, loaded.production) == ("stripe", True)
    assert loaded.stripe_secret == f"guichet/{loaded.stage}/stripe"
    # and a provider nobody knows, or a production flag that is not a yes or no, is refused too
    monkeypatch.setenv("INVOICES_PAYMENT_PROVIDER", "paypal")
    with pytest.raises(settings_module.SettingsError, match="INVOICES_PAYMENT_PROVIDER"):
        settings_module.load()
    monkeypatch.setenv("INVOICES_PAYMENT_PROVIDER", "stripe")
    monkeypatch.setenv("GUICHET_PRODUCTION", "maybe")
    with pytest.raises(settings_module.SettingsError, match="GUICHET_PRODUCTION"):
        settings_module.load()


def test_the_app_does_not_start_on_a_production_stage_with_the_sandbox() -> None:
    # Given the app imported as Lambda does, in a process of its own, on a production stage
    code = "import sys; sys.path.insert(0, sys.argv[1]); import app"
    production = {"GUICHET_PRODUCTION": "true", "AWS_DEFAULT_REGION": "eu-west-3"}

    # When its provider is the sandbox, then Stripe
    refused = subprocess.run(
        [sys.executable, "-c", code, str(SERVICE_DIR)],
        env=stage_environment(**production, INVOICES_PAYMENT_PROVIDER="sandbox"),
        capture_output=True,
        text=True,
    )
    started = subprocess.run(
        [sys.executable, "-c", code, str(SERVICE_DIR)],
        env=stage_environment(**production, INVOICES_PAYMENT_PROVIDER="stripe"),
        capture_output=True,
        text=True,
    )

    # Then the first never starts, saying why; the second does
    assert refused.returncode != 0
    assert "SettingsError" in refused.stderr and "sandbox payment provider is refused" in refused.stderr
    assert started.returncode == 0, started.stderr[-2000:]


def test_the_deployed_production_stage_takes_stripe_and_is_marked_production() -> None:
    config = json.loads((SERVICE_DIR / ".chalice" / "config.json").read_text())
    prod = config["stages"]["prod"]["environment_variables"]
    local = config["stages"]["local"]["environment_variables"]
    assert (prod["GUICHET_PRODUCTION"], prod["INVOICES_PAYMENT_PROVIDER"]) == ("true", "stripe")
    assert prod["INVOICES_STRIPE_SECRET"] == "guichet/prod/stripe"
    assert local.get("GUICHET_PRODUCTION", "false") == "false"


def test_the_stage_named_provider_is_stripe_with_the_secret_of_the_settings() -> None:
    from chalicelib.payment_provider import PaymentProvider, provider
    from chalicelib.settings import settings
    from chalicelib.stripe_provider import StripeProvider

    gateway = provider("stripe")
    assert isinstance(gateway, StripeProvider) and isinstance(gateway, PaymentProvider)
    assert gateway._secret_id == settings.stripe_secret
    assert provider(" Stripe ") is gateway


# --- cards and 3-D Secure ---------------------------------------------------------------------


def test_a_card_payment_with_3d_secure_is_pending_until_stripe_says_it_succeeded(
    stripe: StripeFake, customer_factory: Any, published: Any, mailbox: Any
) -> None:
    # Given an invoice of 49.90 €, paid with a card that asks for 3-D Secure
    customer, invoice, payment = awaiting_3ds(customer_factory, 4990)

    # Then the payment is pending, with what the page must do: authenticate with the client secret
    intent = intent_of(stripe, payment)
    assert payment["status"] == "pending"
    assert payment["action"] == {"type": "authenticate", "client_secret": intent["client_secret"]}
    assert (intent["amount"], intent["currency"], intent["status"]) == (4990, "eur", "requires_action")
    # and the invoice is held, nothing announced
    held = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert (held.status, held.amount_due_cents, held.pending_payment_id) == (
        "open",
        4990,
        payment["payment_id"],
    )
    assert published.of(customer.customer_id, "PaymentSucceeded") == []

    # When the customer passes 3-D Secure and Stripe sends payment_intent.succeeded
    response = webhook(customer, stripe.authenticate(intent["id"], passed=True))

    # Then the invoice is paid by that payment, announced and mailed once
    assert response.status_code == 200, response.body
    assert answer(response) == {"received": True, "handled": True}
    paid = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert (paid.status, paid.amount_due_cents, paid.pending_payment_id) == ("paid", 0, None)
    assert [(item.payment_id, item.method, item.amount_cents) for item in paid.payments] == [
        (payment["payment_id"], "card", 4990)
    ]
    (succeeded,) = published.of(customer.customer_id, "PaymentSucceeded")
    assert succeeded["detail"]["data"]["payment_id"] == payment["payment_id"]
    assert len(mails_to(mailbox, customer.email, "Nous avons bien reçu")) == 1
    (stored,) = payments_in_table(customer.customer_id)
    assert (stored.status, stored.provider_reference) == ("succeeded", intent["id"])


def test_a_failed_3d_secure_leaves_the_invoice_payable_again(
    stripe: StripeFake, customer_factory: Any, published: Any, mailbox: Any
) -> None:
    # Given a card payment waiting for 3-D Secure
    customer, invoice, payment = awaiting_3ds(customer_factory, 2500)

    # When the customer fails it and Stripe sends payment_intent.payment_failed
    response = webhook(customer, stripe.authenticate(intent_of(stripe, payment)["id"], passed=False))

    # Then the payment failed (authentication_failed), announced and mailed; the invoice is free
    assert answer(response) == {"received": True, "handled": True}
    (stored,) = payments_in_table(customer.customer_id)
    assert (stored.status, stored.failure_code) == ("failed", "authentication_failed")
    (failed,) = published.of(customer.customer_id, "PaymentFailed")
    assert failed["detail"]["data"]["failure_code"] == "authentication_failed"
    assert published.of(customer.customer_id, "PaymentSucceeded") == []
    assert len(mails_to(mailbox, customer.email)) >= 1
    free = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert (free.status, free.amount_due_cents, free.pending_payment_id) == ("open", 2500, None)
    # and another card pays it at once
    assert paid_by(customer, invoice, method="card", card_token="pm_card_visa")["status"] == "succeeded"
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "paid"


def test_paying_again_cancels_a_payment_left_awaiting_3d_secure(
    stripe: StripeFake, customer_factory: Any, published: Any
) -> None:
    # Given a card payment the customer left awaiting 3-D Secure (the window closed)
    customer, invoice, left = awaiting_3ds(customer_factory, 2990)
    intent = intent_of(stripe, left)

    # When the customer pays the invoice again with another card
    again = paid_by(customer, invoice, method="card", card_token="pm_card_visa")

    # Then the first is cancelled at Stripe and failed here, unmailed; the second paid the invoice
    assert stripe.intents[intent["id"]]["status"] == "canceled"
    assert again["status"] == "succeeded"
    first = next(
        item for item in payments_in_table(customer.customer_id) if item.payment_id == left["payment_id"]
    )
    assert (first.status, first.failure_code) == ("failed", "payment_canceled")
    paid = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert (paid.status, [item.payment_id for item in paid.payments]) == ("paid", [again["payment_id"]])
    # and Stripe's payment_intent.canceled, when it comes, changes nothing
    canceled = stripe.event("payment_intent.canceled", stripe.public(intent["id"]))
    assert answer(webhook(customer, canceled)) == {"received": True, "handled": False}
    assert len(published.of(customer.customer_id, "PaymentSucceeded")) == 1


def test_a_payment_authenticated_meanwhile_is_not_cancelled_by_paying_again(
    stripe: StripeFake, customer_factory: Any
) -> None:
    # Given a 3-D Secure payment the customer just passed, its webhook not yet delivered
    customer, invoice, payment = awaiting_3ds(customer_factory, 2990)
    event = stripe.authenticate(intent_of(stripe, payment)["id"], passed=True)

    # When the invoice is paid again before the webhook
    again = customer.call(
        "POST", f"/{invoice.invoice_id}/payments", {"method": "card", "card_token": "pm_card_visa"}, pay_key()
    )

    # Then 409: Stripe refused the cancellation, nothing charged twice; the webhook pays it
    assert_error(again, 409, "payment_pending")
    assert answer(webhook(customer, event)) == {"received": True, "handled": True}
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "paid"
    assert (
        sum(
            intent["status"] == "succeeded" and intent["metadata"].get("customer_id") == customer.customer_id
            for intent in stripe.intents.values()
        )
        == 1
    )


def test_cards_without_3d_secure_succeed_or_are_declined_at_once_and_a_card_number_never_leaves(
    stripe: StripeFake, customer_factory: Any
) -> None:
    customer = customer_factory()
    declined, insufficient, number, paid = (ordered_invoice(customer, 1000 + n) for n in range(4))
    seen = len(stripe.requests)

    refused = paid_by(customer, declined, method="card", card_token="pm_card_visa_chargeDeclined")
    poor = paid_by(
        customer, insufficient, method="card", card_token="pm_card_visa_chargeDeclinedInsufficientFunds"
    )
    raw = paid_by(customer, number, method="card", card_token="4242 4242 4242 4242")
    ok = paid_by(customer, paid, method="card", card_token="pm_card_visa")

    assert (refused["status"], refused["failure_code"]) == ("failed", "generic_decline")
    assert (poor["status"], poor["failure_code"]) == ("failed", "insufficient_funds")
    assert (raw["status"], raw["failure_code"]) == ("failed", "invalid_card")
    assert (ok["status"], ok["action"]) == ("succeeded", None)
    # a card number was never sent: three intents for four payments, none carrying it
    made = stripe.requests[seen:]
    assert len(made) == 3
    assert "4242" not in json.dumps(made)
    assert stored_invoice(customer.customer_id, paid.invoice_id).status == "paid"
    assert stored_invoice(customer.customer_id, declined.invoice_id).status == "open"


def test_stripe_down_answers_503_and_the_same_request_later_pays_once(
    stripe: StripeFake, customer_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Stripe answering 500 to everything (the SDK retries twice)
    customer = customer_factory()
    invoice = ordered_invoice(customer, 1500)
    monkeypatch.setattr(stripe, "down", True)
    key = pay_key()
    body = {"method": "card", "card_token": "pm_card_visa"}

    # When the customer pays
    refused = customer.call("POST", f"/{invoice.invoice_id}/payments", body, key)

    # Then 503 with Retry-After, nothing recorded, the invoice free
    assert_error(refused, 503, "payment_provider_unavailable")
    assert refused.headers["Retry-After"] == "60"
    assert payments_in_table(customer.customer_id) == []
    assert stored_invoice(customer.customer_id, invoice.invoice_id).payment_lock is None

    # When Stripe is back and the same request is sent again
    monkeypatch.setattr(stripe, "down", False)
    again = customer.call("POST", f"/{invoice.invoice_id}/payments", body, key)

    # Then it is paid, once
    assert again.status_code == 201 and answer(again)["status"] == "succeeded"
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "paid"


def test_the_idempotency_key_reaches_stripe_and_a_replay_is_stripes_first_answer(stripe: StripeFake) -> None:
    from chalicelib import payment_provider

    gateway = payment_provider.current()
    arguments = {
        "card_token": "pm_card_visa",
        "amount_cents": 1234,
        "currency": "EUR",
        "idempotency_key": "tm000001-GU:request:abc",
        "description": "Guichet F2026-000001",
    }
    first = gateway.charge_card(**arguments)
    again = gateway.charge_card(**arguments)

    assert first == again and first.succeeded and first.reference.startswith("pi_")
    assert sum(intent["amount"] == 1234 for intent in stripe.intents.values()) >= 1
    assert [key for key in stripe.keys if key == "tm000001-GU:request:abc"] == ["tm000001-GU:request:abc"]
    with pytest.raises(ValueError, match="other parameters"):
        gateway.charge_card(**{**arguments, "amount_cents": 1235})
    # and a SEPA debit without the debtor's name is refused before Stripe
    seen = len(stripe.requests)
    with pytest.raises(ValueError, match="holder is required"):
        gateway.debit_account(
            iban=SUCCEEDING_IBAN,
            mandate_reference="GUICHET-TM000001GU-0001",
            amount_cents=1234,
            currency="EUR",
            idempotency_key="tm000001-GU:debit",
            description="Guichet",
            holder=" ",
        )
    assert len(stripe.requests) == seen


# --- SEPA Direct Debit ------------------------------------------------------------------------


def test_a_sepa_debit_is_processing_until_the_bank_clears_it(
    stripe: StripeFake, customer_factory: Any, published: Any
) -> None:
    # Given a customer whose mandate is on file, and an invoice paid by direct debit
    customer = customer_factory()
    account = with_mandate(customer, iban=SUCCEEDING_IBAN)
    invoice = ordered_invoice(customer, 3990)
    payment = paid_by(customer, invoice, method="direct_debit")

    # Then Stripe got a SEPA PaymentIntent with the IBAN, the holder, the customer's email and the
    # mandate (accepted offline, its reference in the metadata); the payment is pending
    intent = intent_of(stripe, payment)
    (params,) = [
        params for _, path, params in stripe.requests if params.get("metadata") == intent["metadata"]
    ]
    assert params["payment_method_types"] == ["sepa_debit"]
    assert params["payment_method_data"]["sepa_debit"]["iban"] == SUCCEEDING_IBAN
    assert params["payment_method_data"]["billing_details"] == {
        "name": "Test Client",
        "email": customer.email,
    }
    assert params["mandate_data"] == {"customer_acceptance": {"type": "offline"}}
    assert intent["metadata"]["mandate_reference"] == account.mandate_reference
    assert (payment["status"], intent["status"], payment["action"]) == ("pending", "processing", None)
    assert (
        stored_invoice(customer.customer_id, invoice.invoice_id).pending_payment_id == payment["payment_id"]
    )

    # When the bank clears it days later
    response = webhook(customer, stripe.clear(intent["id"]))

    # Then the invoice is paid, once
    assert answer(response) == {"received": True, "handled": True}
    assert stored_invoice(customer.customer_id, invoice.invoice_id).status == "paid"
    assert len(published.of(customer.customer_id, "PaymentSucceeded")) == 1


def test_a_sepa_debit_the_bank_returns_fails_and_frees_the_invoice(
    stripe: StripeFake, customer_factory: Any, published: Any
) -> None:
    customer = customer_factory()
    with_mandate(customer, iban=FAILING_IBAN)
    invoice = ordered_invoice(customer, 3990)
    payment = paid_by(customer, invoice, method="direct_debit")
    assert payment["status"] == "pending"

    response = webhook(customer, stripe.clear(intent_of(stripe, payment)["id"]))

    assert answer(response) == {"received": True, "handled": True}
    (stored,) = payments_in_table(customer.customer_id)
    assert (stored.status, stored.failure_code) == ("failed", "insufficient_funds")
    free = stored_invoice(customer.customer_id, invoice.invoice_id)
    assert (free.status, free.amount_due_cents, free.pending_payment_id) == ("open", 3990, None)
    assert len(published.of(customer.customer_id, "PaymentFailed")) == 1


def test_installments_debited_through_stripe_are_collecting_until_the_bank_answers(
    stripe: StripeFake, customer_factory: Any, fresh_jobs: None, mailbox: Any, route_clock: Any
) -> None:
    from datetime import date

    from conftest import paris_noon
    from test_installments import collect, contract, statuses

    # Given two monthly payers of 2061, one whose bank will return the debits
    good, poor = customer_factory(), customer_factory()
    for customer, iban in ((good, SUCCEEDING_IBAN), (poor, FAILING_IBAN)):
        with_mandate(customer, iban=iban, on="2061-01-02")
        contract(customer, date(2061, 1, 10), f"sub-{customer.customer_id}")

    # When the first installment is due, on 5 February
    outcome = collect(date(2061, 2, 5))

    # Then both are debited through Stripe and processing: the customers see them being collected
    assert (outcome["installments"], outcome["failed"]) == (0, 0)
    for customer in (good, poor):
        assert statuses(customer, f"sub-{customer.customer_id}")[:2] == ["processing", "scheduled"]
        shown = answer(customer.call("GET", "/schedule"))["installments"][0]["status"]
        assert shown == "collecting"
    # and a run the next day debits nothing again
    assert collect(date(2061, 2, 6)) == {**outcome, "installments": 0}
    debits = {
        customer.customer_id: next(
            intent
            for intent in stripe.intents.values()
            if intent["metadata"].get("customer_id") == customer.customer_id
        )
        for customer in (good, poor)
    }

    # When the bank answers, on 8 February
    moment = route_clock(paris_noon(date(2061, 2, 8)))
    answers = [
        webhook(customer, stripe.clear(debits[customer.customer_id]["id"]), at=moment)
        for customer in (good, poor)
    ]

    # Then one is paid and mailed, the other retried seven days later, mailed with the reason
    assert [answer(item) for item in answers] == [{"received": True, "handled": True}] * 2
    assert statuses(good, f"sub-{good.customer_id}")[0] == "paid"
    assert len(mails_to(mailbox, good.email, "Échéance 1/12 de votre échéancier 2061 prélevée")) == 1
    (retried,) = [item for item in statuses_of(poor) if item.number == 1]
    assert (retried.status, retried.retry_on, retried.failure_code) == (
        "retrying",
        "2061-02-15",
        "insufficient_funds",
    )
    assert len(mails_to(mailbox, poor.email, "nouvel essai le 15 février 2061")) == 1


def statuses_of(customer: Customer) -> list[Any]:
    from test_installments import installments

    return installments(customer, f"sub-{customer.customer_id}")


# --- refunds ----------------------------------------------------------------------------------


def test_a_refund_goes_back_to_the_card_through_stripe(
    stripe: StripeFake, customer_factory: Any, operator: Operator, published: Any
) -> None:
    # Given an invoice of 40 € paid by card through Stripe
    customer = customer_factory()
    invoice = ordered_invoice(customer, 4000)
    payment = paid_by(customer, invoice, method="card", card_token="pm_card_visa")
    intent = intent_of(stripe, payment)

    # When an operator credits 15 € on it
    note = answer(operator.credit_note(customer, invoice.invoice_id, 1500, "Geste commercial"))

    # Then Stripe refunded 15 € of that PaymentIntent, and the credit note shows refunded
    (refund,) = [item for item in stripe.refunds.values() if item["payment_intent"] == intent["id"]]
    assert (refund["amount"], refund["status"]) == (1500, "succeeded")
    assert refund["metadata"]["customer_id"] == customer.customer_id
    assert note["status"] == "refunded" and note["refunds"][0]["method"] == "card"
    assert len(published.of(customer.customer_id, "PaymentRefunded")) == 1


def test_a_refund_stripe_answers_pending_ends_by_webhook(
    stripe: StripeFake,
    customer_factory: Any,
    operator: Operator,
    published: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a card payment, and Stripe answering refunds pending
    customer = customer_factory()
    invoice = ordered_invoice(customer, 4000)
    paid_by(customer, invoice, method="card", card_token="pm_card_visa")
    monkeypatch.setattr(stripe, "refunds_pending", True)

    # When an operator credits 10 €
    note = answer(operator.credit_note(customer, invoice.invoice_id, 1000, "Geste commercial"))

    # Then the refund waits, nothing announced
    assert (note["status"], note["refunds"][0]["status"]) == ("open", "pending")
    assert published.of(customer.customer_id, "PaymentRefunded") == []
    (refund,) = [
        item
        for item in stripe.refunds.values()
        if item["metadata"].get("customer_id") == customer.customer_id
    ]

    # When Stripe says it succeeded
    response = webhook(customer, stripe.end_refund(refund["id"], succeeded=True))

    # Then the credit note is refunded, announced once
    assert answer(response) == {"received": True, "handled": True}
    assert stored_invoice(customer.customer_id, note["invoice_id"]).status == "refunded"
    assert len(published.of(customer.customer_id, "PaymentRefunded")) == 1


# --- webhooks: replays and forgeries ----------------------------------------------------------


def test_a_replayed_webhook_is_handled_once(
    stripe: StripeFake, customer_factory: Any, published: Any, mailbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import stripe_webhooks
    from chalicelib.models import ProviderEvent

    handled: list[str] = []
    handle = stripe_webhooks._handle
    monkeypatch.setattr(
        stripe_webhooks, "_handle", lambda kind, data, now: handled.append(kind) or handle(kind, data, now)
    )
    # Given a 3-D Secure payment and the event that it succeeded, delivered once
    customer, invoice, payment = awaiting_3ds(customer_factory, 1990)
    event = stripe.authenticate(intent_of(stripe, payment)["id"], passed=True)
    first = webhook(customer, event)

    # When Stripe delivers the same event again (at least once), then another event for it
    again = webhook(customer, event)
    other = webhook(customer, {**event, "id": event["id"] + "x"})

    # Then each answers 200; the replay was not handled again (its id recorded in the table), the
    # other event found the payment no longer pending: one payment, one event, one mail
    assert handled == ["payment_intent.succeeded", "payment_intent.succeeded"]
    assert (
        ProviderEvent.get(f"PROVIDER_EVENT#{event['id']}", "EVENT").event_type == "payment_intent.succeeded"
    )
    assert [answer(item) for item in (first, again, other)] == [
        {"received": True, "handled": True},
        {"received": True, "handled": False},
        {"received": True, "handled": False},
    ]
    assert len(published.of(customer.customer_id, "PaymentSucceeded")) == 1
    assert len(mails_to(mailbox, customer.email, "Nous avons bien reçu")) == 1
    assert [
        item.amount_cents for item in stored_invoice(customer.customer_id, invoice.invoice_id).payments
    ] == [1990]


def test_a_forged_or_stale_signature_is_refused_and_changes_nothing(
    stripe: StripeFake, customer_factory: Any, published: Any
) -> None:
    # Given a pending 3-D Secure payment, and the event that it succeeded
    customer, invoice, payment = awaiting_3ds(customer_factory, 1990)
    event = stripe.authenticate(intent_of(stripe, payment)["id"], passed=True)
    body = json.dumps(event)
    tampered = body.replace('"amount": 1990', '"amount": 1')
    assert tampered != body

    # When it arrives signed with another secret, unsigned, with a garbage header, tampered after
    # signing, or signed 10 minutes before now (a recorded delivery replayed)
    answers = [
        webhook(customer, body, signed(body, secret="whsec_someone_else")),
        webhook(customer, body, ""),
        webhook(customer, body, "t=abc,v1=zzz"),
        webhook(customer, tampered, signed(body)),
        webhook(customer, body, signed(body, at=utc(2026, 11, 23, 9, 50))),
        webhook(customer, "not json", signed("not json")),
    ]

    # Then each is refused with 400 invalid_signature and nothing changed
    for response in answers:
        assert_error(response, 400, "invalid_signature")
    assert (
        stored_invoice(customer.customer_id, invoice.invoice_id).pending_payment_id == payment["payment_id"]
    )
    assert published.of(customer.customer_id, "PaymentSucceeded") == []
    # and the genuine delivery is still handled (the forgeries did not spend its event id)
    assert answer(webhook(customer, body)) == {"received": True, "handled": True}


def test_an_event_that_overtakes_its_payment_is_asked_again_later(
    stripe: StripeFake, customer_factory: Any
) -> None:
    from chalicelib.models import ProviderEvent

    # Given an event about a payment of this customer that the service has not recorded yet
    customer = customer_factory()
    intent = {
        **stripe.public(next(iter(stripe.intents))),
        "id": "pi_not_yet",
        "status": "succeeded",
        "metadata": {"customer_id": customer.customer_id, "payment_id": "pay_20261123_0123456789ab"},
    }
    event = stripe.event("payment_intent.succeeded", intent)

    # When it is delivered
    response = webhook(customer, event)

    # Then 503 with Retry-After (Stripe delivers it again later), and its id is not spent
    assert_error(response, 503, "not_yet_recorded")
    assert response.headers["Retry-After"] == "60"
    assert ProviderEvent.count(f"PROVIDER_EVENT#{event['id']}") == 0


def test_the_webhook_is_not_found_on_a_stage_without_stripe(customer_factory: Any) -> None:
    customer = customer_factory()
    body = json.dumps(
        {"id": "evt_1", "object": "event", "type": "payment_intent.succeeded", "data": {"object": {}}}
    )
    assert_error(webhook(customer, body), 404, "not_found")


def test_the_portal_learns_which_provider_takes_cards(
    stripe: StripeFake, customer_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import payment_provider

    # Given a customer, on a stage with Stripe
    customer = customer_factory()

    # When the portal asks which provider takes cards
    on_stripe = customer.call("GET", "/payment-provider")

    # Then Stripe, with the publishable key from the stage's secret (and never the secret key)
    assert answer(on_stripe) == {"provider": "stripe", "publishable_key": PUBLISHABLE_KEY}
    assert API_KEY not in on_stripe.body.decode() and WEBHOOK_SECRET not in on_stripe.body.decode()
    # and on a sandbox stage, the sandbox without a key; without a token, 401
    monkeypatch.setattr(payment_provider, "current", lambda: payment_provider.provider("sandbox"))
    assert answer(customer.call("GET", "/payment-provider")) == {
        "provider": "sandbox",
        "publishable_key": None,
    }
    assert_error(customer.client.http.get("/payment-provider"), 401, "unauthenticated")


def test_an_invoice_held_by_a_payment_awaiting_3d_secure_says_what_is_left_to_do(
    stripe: StripeFake, customer_factory: Any
) -> None:
    # Given a card payment left awaiting 3-D Secure, and an invoice held by nothing
    customer, invoice, left = awaiting_3ds(customer_factory, 2990)
    other = ordered_invoice(customer, 1000)

    # When the invoices are read
    held = answer(customer.call("GET", f"/{invoice.invoice_id}"))
    free = answer(customer.call("GET", f"/{other.invoice_id}"))

    # Then the held one names its payment with the action the page can still finish; the other none
    assert held["pending_payment_id"] == left["payment_id"]
    pending = held["pending_payment"]
    assert (pending["payment_id"], pending["method"], pending["status"]) == (
        left["payment_id"],
        "card",
        "pending",
    )
    assert pending["action"] == left["action"] and pending["action"]["type"] == "authenticate"
    assert free["pending_payment"] is None

    # When the customer pays again with another card, then nothing holds the invoice any more
    paid_by(customer, invoice, method="card", card_token="pm_card_visa")
    assert answer(customer.call("GET", f"/{invoice.invoice_id}"))["pending_payment"] is None
