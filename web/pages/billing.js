// Bank details (the SEPA mandate) and billing preferences.

import { authed } from "../core/api.js";
import { definitions, errorText, h, nextId, notice, pageTitle, section } from "../core/dom.js";
import { day, methodName } from "../core/format.js";
import { LIMITS } from "../core/checks.js";
import { form } from "../core/forms.js";
import { t } from "../core/i18n.js";
import { reloadWith } from "../core/router.js";
import { withStepUp } from "./security.js";
import { bankAccount, invoiceTabs } from "./invoice-common.js";

// --- bank details and billing preferences ----------------------------------------------------

function preferenceToggle(preferences, name) {
  const status = h("span", { class: "inline-status" });
  const box = h("input", { type: "checkbox", name, checked: Boolean(preferences[name]), onchange: async () => {
    box.disabled = true;
    status.replaceChildren();
    try {
      const saved = await authed("PATCH", "/invoices/preferences", { [name]: box.checked });
      box.checked = Boolean(saved[name]);
      status.replaceChildren(notice("ok", t("preferences_saved")));
    } catch (error) {
      box.checked = !box.checked;
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      box.disabled = false;
    }
  } });
  return h("div", { class: "field check", "data-field": name }, h("label", {}, box, t(name)), status);
}

function preferredMethod(preferences, account) {
  const status = h("span", { class: "inline-status" });
  const id = nextId();
  const select = h("select", { id, name: "payment_method", onchange: async () => {
    select.disabled = true;
    status.replaceChildren();
    try {
      const saved = await authed("PATCH", "/invoices/preferences", { payment_method: select.value });
      select.value = saved.payment_method;
      status.replaceChildren(notice("ok", t("preferences_saved")));
    } catch (error) {
      select.value = preferences.payment_method;
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      select.disabled = false;
    }
  } }, ["card", "direct_debit", "check", "tip"].map((method) => h("option", {
    value: method, selected: preferences.payment_method === method, disabled: method === "direct_debit" && !account,
  }, methodName(method))));
  return h("div", { class: "field", "data-field": "payment_method" }, h("label", { for: id }, t("preferred_method")),
    select, h("span", { class: "hint" }, t("preferred_method_hint")), status);
}

// The bank details form (IBAN, BIC, holder): saving it signs the SEPA mandate.
export function bankForm({ account, me, done }) {
  return form({
    fields: [
      { name: "iban", label: t("iban"), hint: t("iban_hint"), required: true, rules: { iban: true, maxLength: LIMITS.iban.maxLength },
        attributes: { spellcheck: "false", autocapitalize: "characters" } },
      { name: "bic", label: t("bic"), rules: { bic: true, maxLength: LIMITS.bic.maxLength },
        attributes: { spellcheck: "false", autocapitalize: "characters" } },
      { name: "holder", label: t("holder"), required: true, autocomplete: "name",
        rules: { holder: true, minLength: LIMITS.holder.minLength, maxLength: LIMITS.holder.maxLength },
        value: account?.holder || [me.first_name, me.last_name].filter(Boolean).join(" ") },
    ],
    submit: t("save"),
    className: "compact",
    // a session signed in with a second factor a while ago is asked it again first (security.js)
    action: ({ iban, bic, holder }) => withStepUp(() => authed("PUT", "/invoices/bank-account", { iban, holder, ...(bic ? { bic } : {}) })),
    done,
  });
}

export async function billingPage() {
  const [account, preferences, me] = await Promise.all([
    bankAccount(), authed("GET", "/invoices/preferences"), authed("GET", "/auth/me")]);
  const bankDetails = bankForm({ account, me, done: () => reloadWith("ok", t("bank_saved")) });
  return h("div", {}, pageTitle(t("billing_title")), invoiceTabs(),
    section({ class: "card", id: "bank-account" }, t("bank_title"),
      h("div", { class: "bank-grid" },
        account
          ? definitions([
              ["iban_masked", h("span", { class: "mono nowrap" }, account.iban_masked)], ["bic_code", account.bic], ["holder", account.holder],
              ["mandate_reference", h("span", { class: "mono" }, account.mandate_reference)], ["signed_on", day(account.signed_on)],
            ])
          : h("p", { class: "muted" }, t("no_bank_account")),
        h("div", {}, h("h3", {}, t(account ? "change_bank" : "add_bank")), h("p", { class: "hint" }, t("bank_hint")), bankDetails))),
    section({ class: "card", id: "preferences" }, t("preferences_title"),
      preferredMethod(preferences, account),
      preferenceToggle(preferences, "paperless"), preferenceToggle(preferences, "notify_new_invoice")));
}

