// "Mon compte": the profile, the e-mail address, the password, the contacts, the sessions, and the
// customer's rights on their data: a copy of it, and closing the account (docs/PRIVACY.md).

import { api, authed, compact, logOut, remember } from "../core/api.js";
import { actionButton, card, h, notice, orNone } from "../core/dom.js";
import { moment } from "../core/format.js";
import { LIMITS, RULES } from "../core/checks.js";
import { form } from "../core/forms.js";
import { t } from "../core/i18n.js";
import { goWith, reloadWith, render } from "../core/router.js";
import { businessFields, businessValues, languageField, showBusinessFields } from "./auth.js";
import { withStepUp } from "./security.js";

const reload = () => render();
const field = (name, value, extra = {}) => ({ name, label: t(name), value: value || "", ...extra });

const withAddress = (values) => Boolean(values.line1 || values.postal_code || values.city || values.country);

function profileForm(me) {
  const address = me.address || {};
  return showBusinessFields(form({
    fields: [
      field("first_name", me.first_name, { rules: RULES.name }), field("last_name", me.last_name, { rules: RULES.name }),
      field("phone", me.phone, { type: "tel", rules: RULES.phone }),
      field("backup_email", me.backup_email, { type: "email", rules: RULES.email }),
      languageField(me.language), ...businessFields(me),
      // an address is all of it or none: its first line given, the rest is needed
      field("line1", address.line1, { rules: { ...RULES.optionalText, required: withAddress } }),
      field("line2", address.line2, { rules: RULES.optionalText }),
      field("postal_code", address.postal_code, { rules: { required: withAddress, maxLength: LIMITS.postal_code.maxLength,
        postalCode: (values) => values.country } }),
      field("city", address.city, { rules: { ...RULES.optionalText, required: withAddress } }),
      field("country", address.country, { rules: { required: withAddress, country: true } }),
    ],
    submit: t("save"),
    fieldOf: (name) => name.replace(/^address\./, ""),
    action: ({ line1, line2, postal_code, city, country, phone, backup_email, account_type, company, siren, siret, vat_number, ...rest }) => authed("PATCH", "/auth/me", {
      ...rest, ...businessValues({ account_type, company, siren, siret, vat_number }),
      phone: phone || null, backup_email: backup_email || null,
      address: line1 ? { line1, line2: line2 || null, postal_code, city, country } : null,
    }),
    done: reload,
  }));
}

function emailCard(me) {
  const pending = me.pending_email_change;
  return card(t("email_change"), pending
    ? h("div", {},
        h("p", {}, t("pending_change", pending.new_email, pending.expires_at)),
        form({
          fields: [field("code", "", { autocomplete: "one-time-code", rules: RULES.code, attributes: { inputmode: "numeric" } })], submit: t("confirm"), className: "inline",
          action: ({ code }) => withStepUp(() => authed("POST", "/auth/me/email-change/confirm", { code })), done: reload,
        }),
        h("p", {}, h("button", { class: "link danger", onclick: async () => {
          await authed("DELETE", "/auth/me/email-change"); reload();
        } }, t("cancel_change"))))
    : form({
        fields: [field("new_email", "", { type: "email", required: true, rules: RULES.email }),
          field("password", "", { type: "password", autocomplete: "current-password", required: true })],
        submit: t("request_code"),
        action: (values) => withStepUp(() => authed("POST", "/auth/me/email-change", values)), done: reload,
      }));
}

async function contactsCard() {
  const { items } = await authed("GET", "/auth/me/contacts");
  const roles = [["admin", t("role_admin")], ["billing", t("role_billing")], ["technical", t("role_technical")]];
  return card(t("contacts"),
    h("table", {}, h("tr", {}, [t("name"), t("email"), t("phone"), t("roles"), ""].map((title) => h("th", {}, title))),
      items.map((contact) => h("tr", {},
        h("td", {}, contact.name), h("td", {}, orNone(contact.email)), h("td", {}, orNone(contact.phone_display || contact.phone)),
        h("td", {}, contact.roles.map((role) => t(`role_${role}`)).join(", ")),
        h("td", {}, actionButton(t("remove"), async () => {
          await withStepUp(() => authed("DELETE", `/auth/me/contacts/${encodeURIComponent(contact.contact_id)}`)); reload();
        }, { className: "link danger", confirm: t("confirm_remove_contact", contact.name) }))))),
    form({
      fields: [field("name", "", { rules: RULES.name }), field("email", "", { type: "email", rules: RULES.email }),
        field("phone", "", { type: "tel", rules: RULES.phone }),
        field("roles", "billing", { type: "select", options: roles })],
      submit: t("add"), className: "inline",
      fieldOf: (name) => name.replace(/^roles\..*/, "roles"),
      action: ({ name, email, phone, roles: role }) => withStepUp(() => authed("POST", "/auth/me/contacts", compact({ name, email, phone, roles: [role] }))),
      done: reload,
    }));
}

async function sessionsCard() {
  const { items } = await authed("GET", "/auth/me/sessions");
  return card(t("sessions"),
    h("table", {}, h("tr", {}, [t("device"), t("last_used"), ""].map((title) => h("th", {}, title))),
      items.map((session) => h("tr", {},
        h("td", {}, deviceText(session), session.current ? h("span", { class: "muted" }, ` (${t("this_device")})`) : null),
        h("td", {}, moment(session.last_used_at)),
        h("td", {}, session.current ? null : actionButton(t("revoke"), async () => {
          await authed("DELETE", `/auth/me/sessions/${encodeURIComponent(session.session_id)}`); reload();
        }, { className: "link danger", confirm: t("confirm_revoke_session", deviceText(session)) }))))));
}

// A session's device as the API names it in words ("Firefox, Windows — ordinateur"), never its raw
// User-Agent; what the rules cannot tell is said so.
function privacyCard() {
  return card(t("my_data"),
    h("p", {}, t("export_explained")),
    h("p", {}, actionButton(t("download_my_data"), async () => {
      await authed("POST", "/auth/me/data-exports");
      reloadWith("ok", t("export_requested"));
    }, { className: "secondary" })),
    h("details", { "data-section": "closure" }, h("summary", {}, t("close_account")),
      h("p", {}, t("closure_explained")),
      form({
        fields: [field("password", "", { type: "password", autocomplete: "current-password", required: true })],
        submit: t("close_account_for_good"), className: "danger",
        action: async (values) => {
          if (!globalThis.confirm(t("confirm_close_account"))) return false;
          await withStepUp(() => authed("POST", "/auth/me/closure", values));
          return true;
        },
        done: (closed) => {
          if (closed) logOut().then(() => goWith("/login", "ok", t("account_closed")));
          return null;
        },
      })));
}

function deviceText({ device }) {
  if (!device || !(device.browser || device.os || device.device)) return t("unknown_device");
  const names = [device.browser, device.device || device.os].filter(Boolean).join(", ");
  return device.kind === "unknown" ? names : `${names} — ${t(`device_kind_${device.kind}`)}`;
}

export async function accountPage() {
  const me = await api("GET", "/auth/me", undefined, { auth: true });
  remember("customer", me.customer_id);
  const address = me.address || {};
  return h("div", {},
    card(t("profile"),
      h("dl", { class: "profile" },
        [["customer_id", me.customer_id], ["email", me.email], ["first_name", me.first_name], ["last_name", me.last_name],
         ["phone", me.phone_display || me.phone], ["backup_email", me.backup_email],
         ["account_type", t(`account_${me.account_type || "individual"}`)], ["company", me.company],
         ...(me.account_type === "business" ? [["siren", me.siren], ["siret", me.siret], ["vat_number", me.vat_number]] : []),
         ["line1", [address.line1, address.line2, address.postal_code, address.city, address.country].filter(Boolean).join(", ")]]
          .map(([key, value]) => [h("dt", {}, t(key)), h("dd", { "data-field": key }, orNone(value))])),
      h("details", {}, h("summary", {}, t("edit")), profileForm(me))),
    card(t("security_title"), h("p", {}, t("security_intro")), h("p", {}, h("a", { href: "/security" }, t("security_manage")))),
    emailCard(me),
    card(t("change_password"),
      form({
        fields: [field("current_password", "", { type: "password", autocomplete: "current-password", required: true }),
          field("new_password", "", { type: "password", autocomplete: "new-password", rules: RULES.newPassword,
            hint: t("password_hint", LIMITS.new_password.minLength) })],
        submit: t("save"),
        action: (values) => authed("POST", "/auth/password/change", values),
        done: () => notice("ok", t("password_changed")),
      })),
    await contactsCard(),
    await sessionsCard(),
    privacyCard());
}
