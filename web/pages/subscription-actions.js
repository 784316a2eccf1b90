// What the subscriptions list and a subscription's page share: links, names, renewing,
// confirming, and "Modifier mon abonnement" (automatic renewal and cancellation).

import { authed, newKey } from "../core/api.js";
import { errorText, h, notice } from "../core/dom.js";
import { day } from "../core/format.js";
import { LIMITS } from "../core/checks.js";
import { form } from "../core/forms.js";
import { t } from "../core/i18n.js";
import { goWith, reloadWith } from "../core/router.js";

export const FAMILIES = ["domain", "website", "hosting", "internet", "mobile", "electricity"];
export const enc = encodeURIComponent;
export const detailLink = (subscription, hash = "") => `/subscription?id=${enc(subscription.subscription_id)}${hash}`;
export const orderLink = (order) => `/order-status?id=${enc(order.order_id)}`;
export const range = ({ start, end }) => `${start} – ${end}`;
// A contract with no end date to watch: energy (runs until cancelled) or a monthly plan without
// commitment (renewed each month by itself): it never "expires".
export const rolling = (subscription) => subscription.family === "electricity"
  || (subscription.billing_period === "month" && !subscription.commitment_months && subscription.auto_renew);

export async function renew(subscription, periods = 1) {
  const order = await authed("POST", `/subscriptions/${enc(subscription.subscription_id)}/renew`, { periods },
    { "Idempotency-Key": newKey() });
  goWith(orderLink(order), "ok", t("renewal_ordered"));
}

export async function confirmSubscription(subscription) {
  await authed("POST", `/subscriptions/${enc(subscription.subscription_id)}/confirm`);
  reloadWith("ok", t("confirmed_notice"));
}

export const subscriptionName = (subscription) => [
  h("a", { href: detailLink(subscription) }, subscription.name),
  subscription.label && subscription.label !== subscription.name ? h("span", { class: "label" }, subscription.label) : null,
];

// "Modifier mon abonnement": automatic renewal and cancellation, in the table or on the detail page.
export function manageBlock(subscription) {
  const id = enc(subscription.subscription_id);
  const toggleStatus = h("span", { class: "inline-status" });
  const toggle = h("input", { type: "checkbox", name: "auto_renew", checked: subscription.auto_renew,
    disabled: Boolean(subscription.cancel_at), onchange: async () => {
      toggle.disabled = true;
      try {
        await authed("PATCH", `/subscriptions/${id}`, { auto_renew: toggle.checked });
        reloadWith("ok", t(toggle.checked ? "auto_renew_on" : "auto_renew_off"));
      } catch (error) {
        toggle.checked = !toggle.checked;
        toggle.disabled = false;
        toggleStatus.replaceChildren(notice("error", errorText(error)));
      }
    } });
  const moments = [["end_of_period", t("at_end_of_period", day(subscription.renews_on))], ["immediately", t("at_immediately")]]
    .filter(([at]) => !(subscription.cancel_at && at === "end_of_period"));
  return h("div", { class: "manage" },
    subscription.family === "electricity"
      ? h("p", { class: "muted" }, t("runs_until_cancelled"))
      : h("div", { class: "field check" }, h("label", {}, toggle, t("auto_renew")), toggleStatus),
    subscription.cancel_at ? h("p", { class: "muted" }, t("cancel_planned", day(subscription.cancel_at))) : null,
    h("h3", {}, t("cancel_title")),
    form({
      fields: [
        // the law asks no reason of a customer cancelling (résiliation en trois clics): theirs to give
        { name: "reason", label: t("cancel_reason"), hint: t("cancel_reason_hint"), rules: { maxLength: LIMITS.reason.maxLength } },
        { name: "at", label: t("cancel_at"), type: "select", options: moments, value: moments[0][0] },
      ],
      submit: t("submit_cancel"),
      className: "compact",
      submitClass: "primary destructive",
      action: ({ reason, at }) => authed("POST", `/subscriptions/${id}/cancel`, reason ? { reason, at } : { at }),
      done: () => reloadWith("ok", t("cancelled_notice")),
    }));
}
