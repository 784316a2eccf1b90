// Ordering: the catalog of a family, a product chosen, the options its order line needs.

import { authed, compact, newKey } from "../core/api.js";
import { h, nextId, pageTitle } from "../core/dom.js";
import { money, price, size } from "../core/format.js";
import { LIMITS, RULES } from "../core/checks.js";
import { form } from "../core/forms.js";
import { t } from "../core/i18n.js";
import { goWith, param } from "../core/router.js";
import { POWERS, checkoutSteps, energyRates, notAccepted, orderSummary, powerPrice, termsLink } from "./checkout.js";
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
export function orderOptions(family) {
  const time = (period, end) => ({ name: `off_peak_${period}_${end}`, label: `${t("period_n", period)} — ${t(end)}`, type: "time" });
  const options = {
    domain: [[{ name: "domain_name", label: t("domain_name"), required: true, autocomplete: "off" }], (values) => values],
    website: [[{ name: "domain_name", label: t("domain_name_optional") }], (values) => compact(values)],
    hosting: [[{ name: "domain_name", label: t("domain_name_optional") }], (values) => compact(values)],
    mobile: [[{ name: "port_in_number", label: t("port_in_number"), type: "tel", rules: { phone: false, frenchMobile: true } }],
      (values) => compact(values)],
    internet: [
      [{ group: "installation_address", legend: t("installation_address"), fields: [
        { name: "installation_address.line1", label: t("line1"), autocomplete: "address-line1", rules: RULES.name },
        { name: "installation_address.line2", label: t("line2"), autocomplete: "address-line2", rules: RULES.optionalText },
        { name: "installation_address.postal_code", label: t("postal_code"), required: true, autocomplete: "postal-code",
          rules: { postalCode: "FR" } },
        { name: "installation_address.city", label: t("city"), autocomplete: "address-level2", rules: RULES.name },
      ] }],
      (values) => ({ installation_address: compact(Object.fromEntries(Object.entries(values)
        .map(([name, value]) => [name.slice("installation_address.".length), value]))) }),
    ],
    electricity: [
      [{ name: "pdl", label: t("pdl"), hint: t("pdl_hint"), required: true, rules: { pdl: true }, attributes: { inputmode: "numeric" } },
       { name: "subscribed_power_kva", label: t("subscribed_power_kva"), type: "select", value: "6",
         options: POWERS.map((kva) => [String(kva), `${kva} kVA`]) },
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

// The chosen product's checkout: its options, the summary as it will be ordered (kept up to date
// as the options change), the terms of sale to accept, and the button that commits to pay.
function orderForm(product, terms) {
  const [fields, body] = orderOptions(product.family);
  const withPower = fields.map((field) => field.name === "subscribed_power_kva" ? { ...field, value: chosenPower() } : field);
  const element = form({
    fields: [{ name: "label", label: t("order_label"), hint: t("order_label_hint"), rules: { maxLength: LIMITS.label.maxLength } }, ...withPower,
      { name: "accept_terms", type: "checkbox", rules: { required: "terms_required" }, label: h("span", {}, t("accept_terms"), " ", terms.link) }],
    submit: t("submit_order_obligation"),
    // items.0.options.installation_address.city -> installation_address.city; items.0.label -> label
    fieldOf: (name) => name === "terms_version" ? "accept_terms" : name.replace(/^items\.0\.(options\.)?/, ""),
    action: ({ label, accept_terms: accepted, ...options }) => {
      if (!accepted) throw notAccepted();
      return authed("POST", "/subscriptions/orders",
        { items: [{ product_id: product.product_id, ...(label ? { label } : {}), options: body(options) }], terms_version: terms.version() },
        { "Idempotency-Key": newKey() });
    },
    done: (order) => goWith(orderLink(order), "ok", t("order_placed_pay")),
  });
  const summarySlot = h("div", { class: "summary-slot" });
  element.querySelector("[data-field=accept_terms]").before(summarySlot);
  const values = () => Object.fromEntries([...element.querySelectorAll("input[name], select[name]")]
    .filter((control) => control.type !== "checkbox").map((control) => [control.name, control.value.trim()]));
  const refresh = () => {
    const { label, ...options } = values();
    summarySlot.replaceChildren(orderSummary(product, label, body(options)));
  };
  element.addEventListener("input", refresh);
  element.addEventListener("change", refresh);
  refresh();
  const tariff = element.querySelector("select[name=tariff_option]");
  if (tariff) {
    const hours = element.querySelector("fieldset[data-field=off_peak_hours]");
    const show = () => { hours.hidden = tariff.value !== "off_peak"; };
    tariff.addEventListener("change", show);
    show();
  }
  return element;
}

const chosenPower = () => POWERS.includes(Number(param("power"))) ? param("power") : "6";

// For energy: the subscribed power the offers are priced at, changed in place.
function powerChooser(family, followers) {
  if (family !== "electricity") return null;
  const id = nextId();
  const select = h("select", { id, name: "power", "aria-describedby": `${id}-hint` },
    POWERS.map((kva) => h("option", { value: kva, selected: String(kva) === chosenPower() }, `${kva} kVA`)));
  select.addEventListener("change", () => {
    for (const follow of followers) follow(select.value);
  });
  return h("div", { class: "field power-choice" }, h("label", { for: id }, t("subscribed_power_kva")), select,
    h("span", { class: "hint", id: `${id}-hint` }, t("power_hint")));
}

function productCard(product, chosen, family, followers) {
  const energy = family === "electricity";
  const power = chosenPower();
  const text = (kva) => energy
    ? [t("subscription_at_power", kva), " ", price(powerPrice(product, kva), product.currency, product.billing_period)]
    : price(product.price_cents, product.currency, product.billing_period);
  const priceLine = h("p", { class: "price" }, text(power));
  const href = (kva) => `/order?family=${family}&product=${enc(product.product_id)}${energy ? `&power=${kva}` : ""}#order-form`;
  const choose = h("a", { class: "button", href: href(power), "aria-label": `${t("choose")} — ${product.name}` }, t("choose"));
  followers.push((kva) => {
    priceLine.replaceChildren(...[text(kva)].flat());
    choose.href = href(kva);
  });
  return h("li", { class: `card product${product === chosen ? " chosen" : ""}`, "data-product": product.product_id },
    h("h2", {}, product.name),
    priceLine,
    energy ? energyRates(product) : null,
    h("p", { class: "description" }, product.description),
    h("ul", { class: "extras" }, productExtras(product).map((extra) => h("li", {}, extra))),
    product === chosen
      ? h("p", { class: "muted" }, `✓ ${t("chosen")}`)
      : choose);
}

export async function orderPage() {
  const family = FAMILIES.includes(param("family")) ? param("family") : "domain";
  const { items } = await authed("GET", `/subscriptions/catalog?family=${enc(family)}`);
  const chosen = items.find((product) => product.product_id === param("product"));
  const terms = chosen ? await termsLink() : null;
  const followers = [];
  return h("div", {},
    pageTitle(t("order_title")),
    checkoutSteps(chosen ? "summary" : "choose"),
    h("nav", { class: "tabs", "aria-label": t("family") }, FAMILIES.map((each) =>
      h("a", { href: `/order?family=${each}`, "aria-current": each === family ? "page" : false }, t(`family_${each}`)))),
    powerChooser(family, followers),
    items.length
      ? h("ul", { class: "products" }, items.map((product) => productCard(product, chosen, family, followers)))
      : h("p", { class: "muted" }, t("no_products")),
    chosen ? h("section", { class: "card", id: "order-form" },
      h("h2", {}, t("your_order"), " — ", chosen.name),
      h("p", { class: "muted" }, t("checkout_summary_intro")),
      orderForm(chosen, terms)) : null);
}
