"""The portal's card form on a stage whose provider is Stripe, in a real browser.

Stripe.js cannot be loaded here (no internet), so the page's request for it is answered with a
stand-in that records what the page asks of it, and the API's answer naming the provider is
Stripe's (the local runtime runs the sandbox). What is checked is the switch: Stripe Elements'
hosted field replaces the card-number input, the card reaches the API only as the PaymentMethod
Stripe.js made, and a payment answered pending with 3-D Secure is finished with Stripe.js. The
sandbox path (test card numbers typed) is test_browser_invoices.py's.
"""

from __future__ import annotations

import json
import re
from typing import Any

from customers import open_session, verified_customer
from playwright.sync_api import expect
from portal_axe import assert_accessible
from portal_texts import text
from test_browser_invoices import LINA, invoices_of_orders

STRIPE_JS = """
window.stripeCalls = [];
window.Stripe = (key) => {
  window.stripeCalls.push(["Stripe", key]);
  return {
    elements: () => ({
      create: (type) => ({
        mount: (slot) => {
          window.stripeCalls.push(["mount", type]);
          slot.append(Object.assign(document.createElement("div"), { className: "hosted-field" }));
        },
      }),
    }),
    createPaymentMethod: async ({ type }) => {
      window.stripeCalls.push(["createPaymentMethod", type]);
      return { paymentMethod: { id: "pm_from_stripe_js" } };
    },
    handleNextAction: async ({ clientSecret }) => {
      window.stripeCalls.push(["handleNextAction", clientSecret]);
      return { paymentIntent: { status: "succeeded" } };
    },
  };
};
"""


def as_stripe_stage(page: Any) -> None:
    """The page on a Stripe stage: the API names Stripe, and Stripe.js is the stand-in above."""
    page.route(
        "https://js.stripe.com/v3/",
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=STRIPE_JS),
    )
    page.route(
        re.compile(r"/invoices/payment-provider$"),
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({"provider": "stripe", "publishable_key": "pk_test_portal"}),
        ),
    )


def awaiting_3ds(invoice: dict[str, Any], payment_id: str, client_secret: str) -> dict[str, Any]:
    """A card payment of the invoice, pending until 3-D Secure is done, as the API answers it."""
    return {
        "payment_id": payment_id,
        "status": "pending",
        "amount_cents": invoice["amount_due_cents"],
        "currency": "EUR",
        "method": "card",
        "invoice_ids": [invoice["invoice_id"]],
        "failure_code": None,
        "instructions": None,
        "action": {"type": "authenticate", "client_secret": client_secret},
        "created_at": "2026-11-23T10:00:00Z",
    }


def test_on_a_stripe_stage_the_card_is_collected_by_stripe_elements(runtime: Any, page: Any) -> None:
    customer = verified_customer(runtime, "browser-stripe", **LINA)
    (invoice,) = invoices_of_orders(runtime, customer.auth, 1)
    open_session(page, runtime, customer)
    as_stripe_stage(page)
    sent: list[Any] = []

    def pending_with_3ds(route: Any) -> None:
        """The API's answer on a Stripe stage to a card that asks for 3-D Secure."""
        sent.append(route.request.post_data_json)
        payment = awaiting_3ds(invoice, "pay_20261123_000000000001", "pi_123_secret_456")
        route.fulfill(status=201, content_type="application/json", body=json.dumps(payment))

    page.route(re.compile(r"/invoices/[^/]+/payments$"), pending_with_3ds)

    # Given the invoice's page on a Stripe stage
    page.goto(f"{runtime.url}/invoice?id={invoice['invoice_id']}")
    pay = page.get_by_role("region", name=text("pay_title"))
    expect(pay.get_by_text(text("card_stripe_hint"))).to_be_visible()
    page.wait_for_function("() => window.stripeCalls.some(([call]) => call === 'mount')")

    # Then the card is Stripe's hosted field: no card-number input, no test cards, Stripe named
    expect(pay.get_by_role("textbox")).to_have_count(0)
    assert "4242" not in pay.inner_text() and "Stripe" in pay.inner_text()
    assert_accessible(page, "the invoice's payment on a Stripe stage")

    # When the customer pays, and the API answers that 3-D Secure is needed
    pay.get_by_role("button", name=re.compile(f"^{text('pay')}")).click()
    pay.get_by_role("status").filter(has_text=text("payment_confirming")).wait_for()
    assert_accessible(page, "the payment confirming after 3-D Secure")

    # Then the API got Stripe.js's PaymentMethod only, and Stripe.js finished the authentication
    assert sent == [{"method": "card", "card_token": "pm_from_stripe_js"}]
    assert page.evaluate("window.stripeCalls") == [
        ["Stripe", "pk_test_portal"],
        ["mount", "card"],
        ["createPaymentMethod", "card"],
        ["handleNextAction", "pi_123_secret_456"],
    ]
