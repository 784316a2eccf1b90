// The payment form of one invoice or of several: the method, the card as the payment provider
// collects it, one Idempotency-Key per submission, and what the API answers.

import { ApiError, authed, newKey } from "../core/api.js";
import { LIMITS, problem } from "../core/checks.js";
import { definitions, errorText, h, nextId, notice } from "../core/dom.js";
import { day, methodName, money } from "../core/format.js";
import { say } from "../core/forms.js";
import { has, language, t } from "../core/i18n.js";
import { enc } from "./invoice-common.js";

// One Idempotency-Key per submission. A retry of the same payment whose answer was lost (network
// failure, 5xx) reuses it, so the payment is made at most once; any answer from the API ends it.
export function keyedSubmission() {
  let pending = null;
  return async (body, send) => {
    const text = JSON.stringify(body);
    if (!pending || pending.body !== text) pending = { body: text, key: newKey() };
    try {
      const answer = await send(pending.key);
      pending = null;
      return answer;
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) pending = null;
      throw error;
    }
  };
}

function instructionsBlock(payment) {
  const info = payment.instructions || {};
  return h("div", { class: "notice ok instructions", role: "status", "data-payment": payment.payment_id },
    h("strong", { class: "block" }, t(`instructions_title_${payment.method}`)),
    h("p", {}, t(`instructions_${payment.method}`, money(payment.amount_cents, payment.currency))),
    definitions([
      ["payee", info.payee],
      ["payment_reference", info.reference ? h("span", { class: "mono" }, info.reference) : null],
      ["send_to", (info.address || []).map((line) => h("span", { class: "block" }, line))],
      ["send_before", info.due_on ? day(info.due_on) : null],
    ]),
    h("p", { class: "muted" }, t("instructions_note")));
}

// Which provider takes cards (GET /invoices/payment-provider), asked once per page load.
let providerAnswer = null;
const paymentProvider = () => (providerAnswer ||= authed("GET", "/invoices/payment-provider")
  .catch(() => ({ provider: "sandbox", publishable_key: null })));

// Stripe.js, loaded from Stripe (as Stripe requires) once, only on a stage whose provider is Stripe.
let stripeScript = null;
function loadStripe(publishableKey) {
  stripeScript ||= new Promise((resolve, reject) => {
    const script = h("script", { src: "https://js.stripe.com/v3/" });
    script.addEventListener("load", () => resolve());
    script.addEventListener("error", () => reject(new Error("Stripe.js could not be loaded")));
    document.head.append(script);
  });
  return stripeScript.then(() => window.Stripe(publishableKey));
}

// A card payment left awaiting 3-D Secure, finished in the provider's own window: true when the
// customer authenticated (the provider's webhook then tells the API), false otherwise or when no
// provider can finish it here (the sandbox never asks for 3-D Secure).
export async function finishAuthentication(action) {
  const config = await paymentProvider();
  if (config.provider !== "stripe" || !config.publishable_key || action?.type !== "authenticate") return false;
  const stripe = await loadStripe(config.publishable_key);
  return !(await stripe.handleNextAction({ clientSecret: action.client_secret })).error;
}

// How the form collects a card. The sandbox: the number typed, sent as is (its test cards).
// Stripe: Stripe Elements' hosted field mounted in place of the input, the card turned into a
// PaymentMethod by Stripe.js, so the page never sees the number; and 3-D Secure finished with it.
function sandboxCard(input) {
  return { provider: "sandbox", token: async () => input.value.trim(), authenticate: null };
}

async function stripeCard(config, slot) {
  const stripe = await loadStripe(config.publishable_key);
  const element = stripe.elements({ locale: language }).create("card", { hidePostalCode: true });
  element.mount(slot);
  return {
    provider: "stripe",
    token: async () => {
      const { paymentMethod, error } = await stripe.createPaymentMethod({ type: "card", card: element });
      if (error) throw Object.assign(new Error(error.message), { cardProblem: error.message });
      return paymentMethod.id;
    },
    authenticate: async (clientSecret) => !(await stripe.handleNextAction({ clientSecret })).error,
  };
}

// The payment form of one invoice or of several (`selected()` gives them when it is sent; the
// caller dispatches "change" on the form when they change). The card is collected as the
// provider wants (above): typed for the sandbox, in Stripe's hosted field for Stripe.
export function paymentForm({ selected, account, done }) {
  const submitOnce = keyedSubmission();
  const group = nextId("method");
  const cardId = nextId();
  const cardError = h("span", { class: "field-error", id: `${cardId}-error` });
  const cardInput = h("input", { id: cardId, name: "card_token", type: "text", inputmode: "numeric", autocomplete: "cc-number",
    maxlength: 23, "aria-describedby": `${cardId}-hint ${cardId}-error` });
  const cardHint = h("span", { class: "hint", id: `${cardId}-hint` }, t("card_sandbox_hint"));
  const cardField = h("div", { class: "field", "data-field": "card_token" }, h("label", { for: cardId }, t("card_number")),
    cardInput, cardHint, cardError);
  let collector = sandboxCard(cardInput);
  const ready = paymentProvider().then(async (config) => {
    if (config.provider !== "stripe" || !config.publishable_key) return;
    const slot = h("div", { id: cardId, class: "stripe-card", "data-provider": "stripe" });
    cardInput.replaceWith(slot);
    cardHint.textContent = t("card_stripe_hint");
    collector = await stripeCard(config, slot);
  }).catch(() => {
    cardError.textContent = t("retry_same");
  });
  const option = (method, { disabled = false, hint = null } = {}) => h("div", { class: "method-option", "data-method": method },
    h("label", {}, h("input", { type: "radio", name: group, value: method, checked: method === "card", disabled }), methodName(method)),
    hint ? h("span", { class: "hint" }, hint) : null);
  const methods = h("fieldset", { class: "methods" }, h("legend", {}, t("payment_method")),
    option("card"),
    account
      ? option("direct_debit", { hint: t("direct_debit_on", account.iban_masked) })
      : option("direct_debit", { disabled: true, hint: [t("no_bank_account_hint"), " ", h("a", { href: "/billing" }, t("add_bank_link"))] }),
    option("check"), option("tip"));
  const mailHint = h("p", { class: "hint" }, t("mail_payment_hint"));
  const status = h("div", { class: "form-status" });
  const button = h("button", { class: "primary", type: "submit" });
  const element = h("form", { class: "rich payment", novalidate: true }, methods, cardField, mailHint, status, button);
  const method = () => element.querySelector(`input[name=${group}]:checked`)?.value || "card";
  const tipHint = h("p", { class: "hint tip-hint" }, t("tip_needs_slip"));
  methods.querySelector("[data-method=tip]").append(tipHint);
  const update = () => {
    // a TIP is the slip printed on the invoice: only invoices issued to be paid by TIP carry one
    const tipInput = methods.querySelector("[data-method=tip] input");
    const withSlip = selected().length > 0 && selected().every((invoice) => invoice.payment_mode === "tip");
    tipInput.disabled = !withSlip;
    tipHint.hidden = withSlip;
    if (!withSlip && tipInput.checked) methods.querySelector("[data-method=card] input").checked = true;
    cardField.hidden = method() !== "card";
    mailHint.hidden = !["check", "tip"].includes(method());
    const invoices = selected();
    const total = invoices.reduce((sum, invoice) => sum + invoice.amount_due_cents, 0);
    button.textContent = invoices.length ? t("pay_amount", money(total, invoices[0].currency)) : t("pay");
  };
  element.addEventListener("change", update);
  update();
  const declined = (code) => {
    const reason = has(`decline_${code}`) ? t(`decline_${code}`) : t("decline_unknown");
    status.replaceChildren(h("div", { class: "notice error payment-declined", role: "alert", "data-code": code },
      t("payment_declined", reason)));
    if (method() === "card" && collector.provider === "sandbox") cardInput.select();
  };
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    cardError.textContent = "";
    cardInput.removeAttribute("aria-invalid");
    const invoices = selected();
    if (!invoices.length) {
      status.replaceChildren(notice("error", t("choose_invoices")));
      return;
    }
    const chosen = method();
    // a typed card (the sandbox's) is checked before sending, as the form builder's fields are
    const typed = chosen === "card" && collector.provider === "sandbox"
      ? problem(cardInput.value, { required: true, maxLength: LIMITS.card_token.maxLength }) : null;
    if (typed) {
      cardError.textContent = say(typed);
      cardInput.setAttribute("aria-invalid", "true");
      cardInput.focus();
      return;
    }
    let card = "";
    if (chosen === "card") {
      try {
        await ready;
        card = await collector.token();
      } catch (error) {
        cardError.textContent = error.cardProblem || t("retry_same");
        return;
      }
    }
    const body = { method: chosen, ...(chosen === "card" && card ? { card_token: card } : {}) };
    const [path, payload] = invoices.length === 1
      ? [`/invoices/${enc(invoices[0].invoice_id)}/payments`, body]
      : ["/invoices/payments", { invoice_ids: invoices.map((invoice) => invoice.invoice_id), ...body }];
    button.disabled = true;
    try {
      const payment = await submitOnce({ path, payload },
        (key) => authed("POST", path, payload, { "Idempotency-Key": key }));
      if (payment.status === "succeeded") {
        done(payment);
      } else if (payment.status === "failed") {
        declined(payment.failure_code);
      } else if (payment.status === "pending" && payment.action?.type === "authenticate" && collector.authenticate) {
        // 3-D Secure, in Stripe's own window; the webhook then tells the API how it ended
        if (await collector.authenticate(payment.action.client_secret)) {
          status.replaceChildren(h("div", { class: "notice ok payment-confirming", role: "status" }, t("payment_confirming")));
        } else {
          declined("authentication_failed");
        }
      } else if (payment.status === "pending" && payment.method === "direct_debit") {
        status.replaceChildren(h("div", { class: "notice ok debit-processing", role: "status" }, t("debit_processing")));
      } else {
        status.replaceChildren(instructionsBlock(payment));
      }
    } catch (error) {
      if (!(error instanceof ApiError) || error.status >= 500) {
        status.replaceChildren(notice("error", t("retry_same")));
      } else {
        const { card_token: cardProblem, ...others } = error.fields || {};
        if (cardProblem) {
          cardError.textContent = cardProblem;
          cardInput.setAttribute("aria-invalid", "true");
          cardInput.focus();
        }
        status.replaceChildren(notice("error", errorText({ message: error.message, fields: others })));
      }
    } finally {
      button.disabled = false;
    }
  });
  return element;
}
