// Ordering: the catalog of a family, a product chosen, the options its order line needs.

import { authed, compact, newKey } from "../core/api.js";
import { h, pageTitle } from "../core/dom.js";
import { money, price, size } from "../core/format.js";
import { form } from "../core/forms.js";
import { t } from "../core/i18n.js";
import { goWith, param } from "../core/router.js";
import { FAMILIES, enc, orderLink } from "./subscription-actions.js";

function productExtras(product) {
  const extras = [t("commitment_text", product.commitment_months)];
  if (product.storage_mb) extras.push(t("storage", size(product.storage_mb)));
  for (const allowance of product.allowances || []) extras.push(t(`allowance_${allowance.unit}`, allowance.included));
  if (product.battery_capacity_kwh) extras.push(t("battery", product.battery_capacity_kwh));
  if (product.resale_rate_cents_per_kwh) extras.push(t("resale", money(product.resale_rate_cents_per_kwh, product.currency)));
  return extras;
}

// The options an order line of each family needs (technical_settings.py, *Options), and their body.
function orderOptions(family) {
  const time = (period, end) => ({ name: `off_peak_${period}_${end}`, label: `${t("period_n", period)} — ${t(end)}`, type: "time" });
  const options = {
    domain: [[{ name: "domain_name", label: t("domain_name"), required: true, autocomplete: "off" }], (values) => values],
    website: [[{ name: "domain_name", label: t("domain_name_optional") }], (values) => compact(values)],
    hosting: [[{ name: "domain_name", label: t("domain_name_optional") }], (values) => compact(values)],
    mobile: [[{ name: "port_in_number", label: t("port_in_number"), type: "tel" }], (values) => compact(values)],
    internet: [
      [{ group: "installation_address", legend: t("installation_address"), fields: [
        { name: "installation_address.line1", label: t("line1"), required: true, autocomplete: "address-line1" },
        { name: "installation_address.line2", label: t("line2"), autocomplete: "address-line2" },
        { name: "installation_address.postal_code", label: t("postal_code"), required: true, autocomplete: "postal-code" },
        { name: "installation_address.city", label: t("city"), required: true, autocomplete: "address-level2" },
      ] }],
      (values) => ({ installation_address: compact(Object.fromEntries(Object.entries(values)
        .map(([name, value]) => [name.slice("installation_address.".length), value]))) }),
    ],
    electricity: [
      [{ name: "pdl", label: t("pdl"), hint: t("pdl_hint"), required: true, attributes: { inputmode: "numeric" } },
       { name: "subscribed_power_kva", label: t("subscribed_power_kva"), type: "select", value: "6",
         options: [3, 6, 9, 12, 15, 18, 24, 30, 36].map((kva) => [String(kva), `${kva} kVA`]) },
       { name: "tariff_option", label: t("tariff_option"), type: "select", value: "base",
         options: [["base", t("tariff_base")], ["off_peak", t("tariff_off_peak")]] },
       { group: "off_peak_hours", legend: t("off_peak_hours"), hint: t("off_peak_hint"), fields: [
         time(1, "start"), time(1, "end"), time(2, "start"), time(2, "end")] },
       { name: "payment_mode", label: t("payment_mode"), type: "select", value: "monthly",
         options: [["monthly", t("payment_monthly")], ["per_invoice", t("payment_per_invoice")]] }],
      (values) => ({
        pdl: values.pdl, subscribed_power_kva: Number(values.subscribed_power_kva), tariff_option: values.tariff_option,
        payment_mode: values.payment_mode,
        off_peak_hours: values.tariff_option === "off_peak"
          ? [1, 2].map((n) => ({ start: values[`off_peak_${n}_start`], end: values[`off_peak_${n}_end`] }))
              .filter((period) => period.start || period.end)
          : [],
      }),
    ],
  };
  return options[family];
}

function orderForm(product) {
  const [fields, body] = orderOptions(product.family);
  const element = form({
    fields: [{ name: "label", label: t("order_label"), hint: t("order_label_hint"), attributes: { maxlength: 100 } }, ...fields],
    submit: t("submit_order"),
    // items.0.options.installation_address.city -> installation_address.city; items.0.label -> label
    fieldOf: (name) => name.replace(/^items\.0\.(options\.)?/, ""),
    action: ({ label, ...options }) => authed("POST", "/subscriptions/orders",
      { items: [{ product_id: product.product_id, ...(label ? { label } : {}), options: body(options) }] },
      { "Idempotency-Key": newKey() }),
    done: (order) => goWith(orderLink(order), "ok", t("order_placed")),
  });
  const tariff = element.querySelector("select[name=tariff_option]");
  if (tariff) {
    const hours = element.querySelector("fieldset[data-field=off_peak_hours]");
    const show = () => { hours.hidden = tariff.value !== "off_peak"; };
    tariff.addEventListener("change", show);
    show();
  }
  return element;
}

export async function orderPage() {
  const family = FAMILIES.includes(param("family")) ? param("family") : "domain";
  const { items } = await authed("GET", `/subscriptions/catalog?family=${enc(family)}`);
  const chosen = items.find((product) => product.product_id === param("product"));
  return h("div", {},
    pageTitle(t("order_title")),
    h("nav", { class: "tabs", "aria-label": t("family") }, FAMILIES.map((each) =>
      h("a", { href: `/order?family=${each}`, "aria-current": each === family ? "page" : false }, t(`family_${each}`)))),
    items.length
      ? h("ul", { class: "products" }, items.map((product) => h("li", {
          class: `card product${product === chosen ? " chosen" : ""}`, "data-product": product.product_id },
          h("h2", {}, product.name),
          h("p", { class: "price" }, price(product.price_cents, product.currency, product.billing_period)),
          h("p", { class: "description" }, product.description),
          h("ul", { class: "extras" }, productExtras(product).map((extra) => h("li", {}, extra))),
          product === chosen
            ? h("p", { class: "muted" }, `✓ ${t("chosen")}`)
            : h("a", { class: "button", href: `/order?family=${family}&product=${enc(product.product_id)}#order-form`,
                "aria-label": `${t("choose")} — ${product.name}` }, t("choose")))))
      : h("p", { class: "muted" }, t("no_products")),
    chosen ? h("section", { class: "card", id: "order-form" },
      h("h2", {}, t("your_order"), " — ", chosen.name),
      h("p", { class: "muted" }, price(chosen.price_cents, chosen.currency, chosen.billing_period), " · ",
        t("commitment_text", chosen.commitment_months)),
      orderForm(chosen)) : null);
}

