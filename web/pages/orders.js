// The orders: the list, and one order's progress (asked again while it is under way).

import { allPages, authed } from "../core/api.js";
import { definitions, h, orderBadge, pageTitle, section } from "../core/dom.js";
import { moment, money } from "../core/format.js";
import { t } from "../core/i18n.js";
import { onLeave, param } from "../core/router.js";
import { checkoutSteps, payStep } from "./checkout.js";
import { detailLink, enc, orderLink } from "./subscription-actions.js";

const ORDER_STEPS = ["received", "paid", "provisioning", "completed"];

export async function ordersPage() {
  const items = await allPages("/subscriptions/orders");
  return h("div", {},
    pageTitle(t("orders_title"), h("a", { class: "button", href: "/order" }, t("nav_order"))),
    h("section", { class: "card" }, items.length
      ? h("div", { class: "table-scroll" }, h("table", { class: "orders" },
          h("thead", {}, h("tr", {}, ["date", "order_col", "kind", "products", "total", "status"].map((key) =>
            h("th", { scope: "col", class: key === "total" ? "number" : false }, t(key))))),
          h("tbody", {}, items.map((order) => h("tr", { "data-order": order.order_id },
            h("td", {}, moment(order.created_at)),
            h("td", {}, h("a", { href: orderLink(order) }, order.order_id)),
            h("td", {}, t(`kind_${order.kind}`)),
            h("td", {}, order.items.map((item) => h("span", { class: "block" }, item.name,
              item.label && item.label !== item.name ? h("span", { class: "label" }, item.label) : null))),
            h("td", { class: "number" }, money(order.total_cents, order.currency)),
            h("td", {}, orderBadge(order.status)))))))
      : h("p", { class: "muted" }, t("no_orders"))));
}

function timeline(order) {
  const reached = new Map(order.history.map((step) => [step.status, step.at]));
  const ended = ["failed", "cancelled"].find((status) => reached.has(status));
  const steps = ended ? [...ORDER_STEPS.filter((step) => reached.has(step)), ended] : ORDER_STEPS;
  return h("ol", { class: "timeline" }, steps.map((step) => {
    const state = reached.has(step) ? (step === order.status ? "current" : "done") : "todo";
    return h("li", { class: `${state} step-${step}`, "data-status": step, "aria-current": state === "current" ? "step" : false },
      h("span", { class: "step-name" }, t(`order_status_${step}`)),
      reached.has(step) ? h("span", { class: "muted" }, moment(reached.get(step))) : null);
  }));
}

function orderView(order) {
  return h("div", { class: "order", "data-order": order.order_id, "data-status": order.status },
    pageTitle(t("order_number", order.order_id), orderBadge(order.status)),
    order.kind === "purchase" && ["paid", "provisioning", "completed"].includes(order.status) ? checkoutSteps("follow") : null,
    section({ class: "card" }, t("order_history"), timeline(order)),
    section({ class: "card" }, t(`kind_${order.kind}`),
      definitions([["created_at", moment(order.created_at)], ["total", money(order.total_cents, order.currency)]]),
      h("div", { class: "table-scroll" }, h("table", {},
        h("thead", {}, h("tr", {}, ["product", "label", "duration", "amount"].map((key) =>
          h("th", { scope: "col", class: key === "amount" ? "number" : false }, t(key))))),
        h("tbody", {}, order.items.map((item) => h("tr", {},
          h("td", {}, item.subscription_id ? h("a", { href: detailLink(item) }, item.name) : item.name),
          h("td", {}, item.label), h("td", {}, t("period_count", item.periods, item.billing_period)),
          h("td", { class: "number" }, money(item.total_cents, order.currency)))))))));
}

// While an order is in progress its page asks again every few seconds (for at most ten minutes).
let pollTimer = null;
onLeave(() => clearTimeout(pollTimer));
export async function orderStatusPage() {
  const id = param("id");
  const path = `/subscriptions/orders/${enc(id)}`;
  const order = await authed("GET", path);
  const holder = h("div", {}, orderView(order));
  // the payment step is built again only when what it needs changes, never under a customer typing
  const paySlot = h("div", {}, await payStep(order));
  const payNeeds = (each) => JSON.stringify([each.status, each.awaiting, each.invoice_id]);
  let needs = payNeeds(order);
  let last = JSON.stringify(order);
  let rounds = 0;
  const poll = async () => {
    if (location.pathname !== "/order-status" || param("id") !== id || ++rounds > 200) return;
    try {
      const fresh = await authed("GET", path);
      if (JSON.stringify(fresh) !== last) {
        last = JSON.stringify(fresh);
        holder.replaceChildren(orderView(fresh));
        if (payNeeds(fresh) !== needs) {
          needs = payNeeds(fresh);
          paySlot.replaceChildren(await payStep(fresh) ?? "");
        }
        document.querySelector("#page > .notice")?.remove(); // "placed, set up once paid" is past
      }
      if (!["received", "paid", "provisioning"].includes(fresh.status)) return;
    } catch {
      // a failed read is retried at the next round
    }
    pollTimer = setTimeout(poll, 3000);
  };
  if (["received", "paid", "provisioning"].includes(order.status)) pollTimer = setTimeout(poll, 2000);
  return h("div", {}, h("p", { class: "breadcrumb" }, h("a", { href: "/orders" }, t("nav_orders"))), holder, paySlot);
}
