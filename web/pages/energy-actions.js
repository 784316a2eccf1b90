// What an energy contract offers instead of "renew N months": a change of offer, subscribed power,
// tariff option or off-peak hours (PATCH, in force on the first day of next month, changes.py), and
// moving home (a point of delivery never changes: a new contract at the new address, the old one
// cancelled on the moving day).

import { authed } from "../core/api.js";
import { h, section } from "../core/dom.js";
import { price } from "../core/format.js";
import { form } from "../core/forms.js";
import { t } from "../core/i18n.js";
import { reloadWith } from "../core/router.js";
import { energyRates, powerPrice } from "./checkout.js";
import { orderOptions } from "./order.js";
import { enc } from "./subscription-actions.js";

export function energyChangeCard(subscription, plans) {
  const contract = subscription.contract || {};
  const [fields, body] = orderOptions("electricity");
  const hours = contract.off_peak_hours || [];
  const current = {
    subscribed_power_kva: String(contract.subscribed_power_kva ?? 6), tariff_option: contract.tariff_option || "base",
    payment_mode: contract.payment_mode || "monthly",
    ...Object.fromEntries(hours.flatMap((period, index) => [[`off_peak_${index + 1}_start`, period.start], [`off_peak_${index + 1}_end`, period.end]])),
  };
  const preset = (field) => field.group
    ? { ...field, fields: field.fields.map(preset) }
    : { ...field, value: current[field.name] ?? field.value };
  const offers = plans.filter((plan) => plan.billing_period === subscription.billing_period);
  const power = Number(current.subscribed_power_kva);
  const element = form({
    fields: [
      { name: "product_id", label: t("offer"), type: "select", value: subscription.product_id,
        options: offers.map((plan) => [plan.product_id, `${plan.name} — ${price(powerPrice(plan, power), plan.currency, plan.billing_period)}`]) },
      ...fields.filter((field) => field.name !== "pdl").map(preset),
    ],
    submit: t("energy_change_submit"),
    fieldOf: (name) => name.replace(/^options\./, ""),
    action: ({ product_id, ...options }) => {
      const { pdl, ...terms } = body({ pdl: null, ...options });
      return authed("PATCH", `/subscriptions/${enc(subscription.subscription_id)}`, { product_id, options: terms });
    },
    done: () => reloadWith("ok", t("energy_change_done")),
  });
  const tariff = element.querySelector("select[name=tariff_option]");
  const group = element.querySelector("fieldset[data-field=off_peak_hours]");
  const show = () => { group.hidden = tariff.value !== "off_peak"; };
  tariff.addEventListener("change", show);
  show();
  const plan = plans.find((each) => each.product_id === subscription.product_id);
  return section({ class: "card", id: "energy-change" }, t("energy_change_title"),
    h("p", { class: "muted" }, t("energy_change_intro")),
    plan ? [h("h3", {}, t("summary_rates")), energyRates(plan, contract.tariff_option)] : null,
    element);
}

export function movingCard(subscription) {
  const contract = subscription.contract || {};
  const again = `/order?family=electricity&product=${enc(subscription.product_id)}&power=${enc(contract.subscribed_power_kva ?? 6)}#order-form`;
  return section({ class: "card", id: "moving" }, t("moving_title"),
    h("p", {}, t("moving_intro")),
    h("ol", { class: "moving-steps" },
      h("li", {}, h("a", { href: again }, t("moving_new_contract"))),
      h("li", {}, h("a", { href: "#manage" }, t("moving_cancel_old")))));
}
