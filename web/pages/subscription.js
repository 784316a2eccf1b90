// One subscription: its summary, contract, documents, technical settings, renewal and management.

import { authed, compact } from "../core/api.js";
import { actionButton, definitions, h, pageTitle, statusBadge } from "../core/dom.js";
import { clock, day, money, price } from "../core/format.js";
import { LIMITS } from "../core/checks.js";
import { form } from "../core/forms.js";
import { t } from "../core/i18n.js";
import { param, reloadWith } from "../core/router.js";
import { energyChangeCard, movingCard } from "./energy-actions.js";
import { confirmSubscription, enc, manageBlock, range, renew, rolling } from "./subscription-actions.js";

function contractCard(subscription) {
  const contract = subscription.contract || {};
  const energy = subscription.family === "electricity";
  return h("section", { class: "card", id: "contract" }, h("h2", {}, t("contract_title")),
    definitions([
      ["contract_number", contract.contract_number],
      ["offer", contract.offer ? t(`offer_${contract.offer}`) : subscription.name],
      ["payment_mode", contract.payment_mode ? t(`payment_${contract.payment_mode}`) : null],
      ...(energy ? [
        ["pdl", contract.pdl],
        ["subscribed_power_kva", contract.subscribed_power_kva ? `${contract.subscribed_power_kva} kVA` : null],
        ["tariff_option", contract.tariff_option ? t(`tariff_${contract.tariff_option}`) : null],
        ["off_peak_hours", contract.off_peak_hours?.length ? contract.off_peak_hours.map(range).join(", ") : null],
      ] : []),
    ]),
    h("p", {}, h("a", { href: "/appointments" }, t("appointment_cta"))));
}

async function documentsCard(subscription) {
  const { items } = await authed("GET", `/subscriptions/${enc(subscription.subscription_id)}/documents`);
  return h("section", { class: "card", id: "documents" }, h("h2", {}, t("documents")),
    h("ul", { class: "plain documents" }, items.map((document) => {
      const link = h("span", { class: "document-link", "aria-live": "polite" });
      return h("li", { "data-document": document.kind }, h("span", { class: "document-title" }, document.title),
        actionButton(t("download"), async () => {
          const { url, expires_at } = await authed("GET",
            `/subscriptions/${enc(subscription.subscription_id)}/documents/${enc(document.kind)}`);
          const opened = window.open(url, "_blank");
          if (opened) opened.opener = null;
          // the link stays on the page in case the browser blocked the new tab
          link.replaceChildren(h("span", { class: "muted" }, t("document_link", clock(expires_at)), " "),
            h("a", { href: url, target: "_blank", rel: "noopener" }, t("open_document")));
        }, { className: "small" }), link);
    })));
}

const choices = (values, label = (value) => value) => [["", t("choose_option")], ...values.map((value) => [value, label(value)])];

// The technical settings each family takes (PUT settings), as fields, and the body they make.
function settingsForm(subscription, plan) {
  const current = subscription.settings || {};
  const windows = subscription.product_id.includes("windows");
  const forms = {
    domain: [
      [{ name: "dns_servers", label: t("dns_servers"), type: "lines", value: current.dns_servers, hint: t("dns_servers_hint"), required: true,
         rules: { minItems: LIMITS.dns_servers.minItems, maxItems: LIMITS.dns_servers.maxItems } },
       { name: "redirect_to", label: t("redirect_to"), type: "url", value: current.redirect_to, rules: { pattern: [/^https:\/\/\S+$/i, "check_https"] } }],
      ({ dns_servers, redirect_to }) => compact({ dns_servers, redirect_to }),
    ],
    website: [
      [{ name: "domain", label: t("domain"), value: current.domain, required: true },
       { name: "cms", label: t("cms"), type: "select", value: current.cms,
         options: choices(["none", "wordpress", "joomla", "prestashop"], (cms) => cms === "none" ? t("cms_none") : cms[0].toUpperCase() + cms.slice(1)) }],
      (values) => values,
    ],
    hosting: [
      [{ name: "database_name", label: t("database_name"), value: current.database_name, hint: t("database_name_hint"), required: true },
       windows
         ? { name: "dotnet_version", label: t("dotnet_version"), type: "select", value: current.dotnet_version, options: choices(["4.8", "8.0", "9.0"]) }
         : { name: "php_version", label: t("php_version"), type: "select", value: current.php_version, options: choices(["8.1", "8.2", "8.3", "8.4"]) },
       ...(windows ? [] : [{ name: "ssh_public_keys", label: t("ssh_public_keys"), type: "lines", value: current.ssh_public_keys, hint: t("ssh_public_keys_hint"),
         rules: { maxItems: LIMITS.ssh_public_keys.maxItems } }])],
      (values) => compact(values),
    ],
    internet: [
      [{ name: "wifi_ssid", label: t("wifi_ssid"), value: current.wifi_ssid, required: true },
       { name: "wifi_password", label: t("wifi_password"), type: "password", value: current.wifi_password, hint: t("wifi_password_hint"), autocomplete: "new-password", required: true,
         rules: { minLength: LIMITS.wifi_password.minLength, maxLength: LIMITS.wifi_password.maxLength } },
       { name: "static_ip", label: t("static_ip"), type: "checkbox", value: current.static_ip }],
      (values) => values,
    ],
    mobile: [
      // only the APN of the plan's own network (the catalog's), never another operator's
      [{ name: "apn", label: t("apn"), type: "select", value: plan?.apn, hint: t("apn_hint"),
         options: [plan?.apn || current.apn || "internet"].map((apn) => [apn, apn]) },
       { name: "roaming", label: t("roaming"), type: "checkbox", value: current.roaming },
       { name: "voicemail", label: t("voicemail"), type: "checkbox", value: current.voicemail ?? true }],
      (values) => values,
    ],
    electricity: [
      [{ name: "consumption_alert_kwh", label: t("consumption_alert_kwh"), type: "number", value: current.consumption_alert_kwh,
         rules: { integer: true, min: LIMITS.consumption_alert_kwh.minimum, max: LIMITS.consumption_alert_kwh.maximum } },
       { name: "monthly_report", label: t("monthly_report"), type: "checkbox", value: current.monthly_report }],
      ({ consumption_alert_kwh, monthly_report }) => consumption_alert_kwh == null ? { monthly_report } : { consumption_alert_kwh, monthly_report },
    ],
  };
  const [fields, body] = forms[subscription.family];
  return form({
    fields, submit: t("save"),
    action: (values) => authed("PUT", `/subscriptions/${enc(subscription.subscription_id)}/settings`, body(values)),
    done: () => reloadWith("ok", t("settings_saved")),
  });
}

function settingsCard(subscription, plan) {
  let content;
  if (subscription.status === "pending_confirmation") {
    content = h("div", {}, h("p", {}, t("settings_after_confirmation")),
      actionButton(t("confirm_subscription"), () => confirmSubscription(subscription), { className: "primary" }));
  } else if (["cancelled", "expired"].includes(subscription.status)) {
    content = h("p", { class: "muted" }, t("settings_closed"));
  } else {
    content = settingsForm(subscription, plan);
  }
  return h("section", { class: "card", id: "settings" }, h("h2", {}, t("settings_title")), content);
}

function renewCard(subscription) {
  const counts = subscription.billing_period === "year" ? [1, 2, 3, 5] : [1, 3, 6];
  return h("section", { class: "card", id: "renew" }, h("h2", {}, t("renew_title")),
    form({
      fields: [{ name: "periods", label: t("periods"), type: "select", value: "1", options: counts.map((count) =>
        [String(count), `${t("period_count", count, subscription.billing_period)} — ${money(subscription.price_cents * count, subscription.currency)}`]) }],
      submit: t("renew_submit"), className: "compact",
      action: ({ periods }) => renew(subscription, Number(periods)),
      done: () => null,
    }));
}

export async function subscriptionPage() {
  const id = param("id");
  const subscription = await authed("GET", `/subscriptions/${enc(id)}`);
  const open = !["cancelled", "expired"].includes(subscription.status);
  // an energy contract renews itself each month and is billed as consumed: never "renew N months"
  const renewable = ["active", "suspended", "expired", "to_configure"].includes(subscription.status) && !subscription.cancel_at
    && subscription.family !== "electricity";
  const energy = subscription.family === "electricity" && open;
  const plans = energy || subscription.family === "mobile"
    ? (await authed("GET", `/subscriptions/catalog?family=${subscription.family}`)).items : [];
  const plan = plans.find((product) => product.product_id === subscription.product_id);
  const summary = h("section", { class: "card", id: "subscription" }, h("h2", {}, t("my_subscription")),
    definitions([
      ["dossier_number", subscription.dossier_number], ["product", subscription.name], ["label", subscription.label],
      ["status", t(`status_${subscription.status}`)], ["started_on", day(subscription.started_on)],
      ...(rolling(subscription)
        ? [["renewal", t(subscription.family === "electricity" ? "runs_until_cancelled" : "renewed_monthly")]]
        : [["renews_on", day(subscription.renews_on)], ["auto_renew", t(subscription.auto_renew ? "yes" : "no")]]),
      ["price", price(subscription.price_cents, subscription.currency, subscription.billing_period)],
      ["commitment", t("commitment_text", subscription.commitment_months)],
      ["col_remarks", [subscription.remarks, subscription.cancel_at ? t("cancel_planned", day(subscription.cancel_at)) : null]
        .filter(Boolean).join(" · ") || null],
    ]),
    subscription.status === "pending_confirmation"
      ? actionButton(t("confirm_subscription"), () => confirmSubscription(subscription), { className: "primary" }) : null);
  return h("div", { "data-subscription": subscription.subscription_id },
    h("p", { class: "breadcrumb" }, h("a", { href: "/my-subscriptions" }, t("nav_subscriptions"))),
    pageTitle([subscription.name, subscription.label && subscription.label !== subscription.name ? ` — ${subscription.label}` : ""],
      statusBadge(subscription.status)),
    h("div", { class: "detail-grid" },
      h("div", {}, summary, contractCard(subscription), await documentsCard(subscription)),
      h("div", {}, settingsCard(subscription, plan),
        renewable ? renewCard(subscription) : null,
        energy ? energyChangeCard(subscription, plans) : null,
        energy ? movingCard(subscription) : null,
        open ? h("section", { class: "card", id: "manage" }, h("h2", {}, t("modify")), manageBlock(subscription)) : null)));
}
