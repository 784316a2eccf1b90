// The pages before a session: log in, register, the links of the account's emails.

import { api, compact, logIn } from "../core/api.js";
import { actionButton, card, errorText, h, notice } from "../core/dom.js";
import { LIMITS, RULES } from "../core/checks.js";
import { form } from "../core/forms.js";
import { LANGUAGES, language, t } from "../core/i18n.js";
import { go, pageAfterLogin, param, token } from "../core/router.js";
import { passkeyLogIn, passkeysAvailable, secondFactorStep } from "./security.js";

export const languageField = (value) => ({ name: "language", label: t("language"), type: "select", value,
  options: Object.entries(LANGUAGES) });

// The company (a business's name, required then; a person may give one too) and a business's
// identifiers (account_type "business"), SIREN or SIRET and VAT number, shown for a business only:
// the API checks their check digits (VIES is not consulted: the hint says so).
const isBusiness = (values) => values.account_type === "business";
export const businessFields = (me = {}) => [
  { name: "account_type", label: t("account_type"), type: "select", value: me.account_type || "individual",
    options: [["individual", t("account_individual")], ["business", t("account_business")]] },
  { name: "company", label: t("company"), value: me.company || "", rules: { ...RULES.optionalText, required: isBusiness } },
  { group: "business", legend: t("account_business"), hint: t("business_hint"), fields: [
    { name: "siren", label: t("siren"), value: me.siren || "", rules: { maxLength: LIMITS.company_id.maxLength },
      attributes: { inputmode: "numeric" } },
    { name: "siret", label: t("siret"), value: me.siret || "", rules: { maxLength: LIMITS.company_id.maxLength },
      attributes: { inputmode: "numeric" } },
    { name: "vat_number", label: t("vat_number"), value: me.vat_number || "", hint: t("vat_number_hint"),
      rules: { maxLength: LIMITS.company_id.maxLength } },
  ] },
];

// The business group shown only while "business" is chosen (its hidden fields are not checked).
export function showBusinessFields(element) {
  const choice = element.querySelector("select[name=account_type]");
  const group = element.querySelector("fieldset[data-field=business]");
  const show = () => { group.hidden = choice.value !== "business"; };
  choice.addEventListener("change", show);
  show();
  return element;
}

// The business fields as PATCH /auth/me takes them: "individual" clears a business's identifiers.
export const businessValues = ({ account_type, company, siren, siret, vat_number }) =>
  account_type === "business"
    ? { account_type, company: company || null, siren: siren || null, siret: siret || null, vat_number: vat_number || null }
    : { account_type, company: company || null };

function loginPage() {
  const page = h("div", {});
  const loggedIn = () => go(pageAfterLogin());
  page.append(card(t("login_title"),
    param("next") ? h("p", { class: "muted" }, t("login_to_continue")) : null,
    form({
      fields: [
        { name: "login_name", label: t("login_name"), autocomplete: "username webauthn", rules: RULES.login },
        { name: "password", label: t("password"), type: "password", autocomplete: "current-password", required: true },
        { name: "remember", label: t("stay_signed_in"), type: "checkbox", hint: t("stay_signed_in_hint") },
      ],
      submit: t("submit_login"),
      fieldOf: (name) => name === "login" ? "login_name" : name,
      action: ({ login_name, password, remember }) => logIn(login_name, password, remember),
      // an account with a second factor: its code or passkey next, in place of the password
      done: (answer) => (answer.mfa_required ? page.replaceChildren(secondFactorStep(answer, loggedIn)) : loggedIn()),
    }),
    passkeysAvailable()
      ? h("p", {}, actionButton(t("login_with_passkey"), async () => {
        await passkeyLogIn(page.querySelector('input[name="remember"]')?.checked);
        loggedIn();
      }))
      : null,
    h("p", {}, h("a", { href: "/forgot-password" }, t("forgot"))),
    h("p", {}, h("a", { href: "/recover" }, t("cannot_read_email"))),
    h("p", { class: "muted" }, t("no_account"), " ", h("a", { href: "/register" }, t("register")))));
  return page;
}

const registerPage = () => card(t("register"),
  showBusinessFields(form({
    fields: [
      { name: "email", label: t("email"), type: "email", autocomplete: "email", required: true, rules: RULES.email },
      { name: "password", label: t("password"), type: "password", autocomplete: "new-password", hint: t("password_hint", LIMITS.new_password.minLength),
        rules: RULES.newPassword },
      { name: "first_name", label: t("first_name"), rules: RULES.name }, { name: "last_name", label: t("last_name"), rules: RULES.name },
      { name: "phone", label: t("phone"), type: "tel", rules: RULES.phone },
      languageField(language()),
      ...businessFields(),
    ],
    submit: t("submit_register"),
    action: ({ account_type, siren, siret, vat_number, ...values }) => api("POST", "/auth/register",
      compact({ ...values, ...(account_type === "business" ? { account_type, siren, siret, vat_number } : {}) })),
    done: () => notice("ok", t("registered")),
  })));

function verifyEmailPage() {
  const status = h("div", {}, t("verifying"));
  api("POST", "/auth/verify-email", { token: token() })
    .then(() => status.replaceChildren(notice("ok", t("verified")), h("a", { href: "/login" }, t("login"))))
    .catch((error) => status.replaceChildren(notice("error", errorText(error))));
  return card(t("email"), status);
}

const forgotPage = () => card(t("forgot_title"),
  form({
    fields: [{ name: "login_name", label: t("login_name"), autocomplete: "username", rules: RULES.login }],
    submit: t("send_link"),
    fieldOf: (name) => name === "login" ? "login_name" : name,
    action: ({ login_name }) => api("POST", "/auth/password/forgot", { login: login_name }),
    done: (answer) => notice("ok", answer.message),
  }));

const resetPage = () => card(t("reset_title"),
  form({
    fields: [{ name: "new_password", label: t("new_password"), type: "password", autocomplete: "new-password",
      hint: t("password_hint", LIMITS.new_password.minLength), rules: RULES.newPassword }],
    submit: t("save"),
    action: ({ new_password }) => api("POST", "/auth/password/reset", { token: token(), new_password }),
    done: () => h("div", {}, notice("ok", t("password_changed")), h("a", { href: "/login" }, t("login"))),
  }));

const refusePage = () => card(t("refuse_title"),
  form({
    fields: [],
    submit: t("refuse"),
    action: () => api("POST", "/auth/email-change/refuse", { token: token() }),
    done: () => notice("ok", t("refused")),
  }));

// a customer whose email is out of reach asks the provider's support to recover the account: an
// address or a phone number to be answered at, one of the two at least
const recoverPage = () => card(t("recover_title"),
  h("p", {}, t("recover_intro")),
  form({
    fields: [
      { name: "customer_id", label: t("customer_id"), rules: { required: true, maxLength: LIMITS.customer_id.maxLength } },
      { name: "contact_email", label: t("recover_contact_email"), type: "email", autocomplete: "email",
        hint: t("recover_contact_hint"), rules: { ...RULES.email, required: (values) => !values.contact_phone } },
      { name: "contact_phone", label: t("phone"), type: "tel", autocomplete: "tel", rules: RULES.phone },
      { name: "message", label: t("recover_message"), type: "textarea", hint: t("recover_message_hint"),
        rules: { required: true, maxLength: LIMITS.recovery_message.maxLength } },
    ],
    submit: t("recover_submit"),
    action: (values) => api("POST", "/auth/recovery-requests", compact({ ...values, language: language() })),
    done: () => notice("ok", t("recover_sent")),
  }));

// the link of a new-device login notice: closes that session (a click, never the link alone: mail
// scanners follow links), then offers to choose a new password
const closeSessionPage = () => card(t("close_session_title"),
  h("p", {}, t("close_session_intro")),
  form({
    fields: [],
    submit: t("close_session"),
    action: () => api("POST", "/auth/sessions/close", { token: token() }),
    done: () => h("div", {}, notice("ok", t("session_closed")), h("a", { href: "/forgot-password" }, t("choose_new_password"))),
  }));

export const authPages = {
  "/login": loginPage,
  "/register": registerPage,
  "/verify-email": verifyEmailPage,
  "/forgot-password": forgotPage,
  "/reset-password": resetPage,
  "/email-change/refuse": refusePage,
  "/close-session": closeSessionPage,
  "/recover": recoverPage,
};
