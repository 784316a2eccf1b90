// "Mes abonnements": what needs attention, then every subscription by family, with filters.

import { allPages, authed } from "../core/api.js";
import { actionButton, h, orderBadge, pageTitle, statusBadge } from "../core/dom.js";
import { day } from "../core/format.js";
import { LIMITS } from "../core/checks.js";
import { guard } from "../core/forms.js";
import { t } from "../core/i18n.js";
import { filtersTo, param } from "../core/router.js";
import { FAMILIES, confirmSubscription, detailLink, manageBlock, orderLink, renew, rolling, subscriptionName } from "./subscription-actions.js";

const STATUSES = ["pending_confirmation", "to_configure", "active", "suspended", "expired", "cancelled"];

function dashboardCards(dashboard) {
  const list = (items, item) => items.length
    ? h("ul", { class: "plain" }, items.map(item))
    : h("p", { class: "muted" }, t("nothing_here"));
  return h("div", { class: "dashboard" },
    h("section", { class: "card", "data-panel": "expiring" }, h("h2", {}, t("dashboard_expiring")),
      list(dashboard.expiring_soon, (subscription) => h("li", { "data-subscription": subscription.subscription_id },
        subscriptionName(subscription),
        h("span", { class: "muted" }, t("due_on", day(subscription.renews_on)),
          subscription.auto_renew ? ` · ${t("auto_renew_short")}` : ""),
        actionButton(t("renew"), () => renew(subscription), { className: "small" })))),
    h("section", { class: "card", "data-panel": "to-configure" }, h("h2", {}, t("dashboard_to_configure")),
      list(dashboard.to_configure, (subscription) => h("li", { "data-subscription": subscription.subscription_id },
        subscriptionName(subscription), statusBadge(subscription.status),
        subscription.status === "pending_confirmation"
          ? actionButton(t("confirm_subscription"), () => confirmSubscription(subscription), { className: "small" })
          : h("a", { class: "button small", href: detailLink(subscription, "#settings") }, t("configure"))))),
    h("section", { class: "card", "data-panel": "orders" }, h("h2", {}, t("dashboard_orders")),
      list(dashboard.orders_in_progress, (order) => h("li", { "data-order": order.order_id },
        h("a", { href: orderLink(order) }, t("order_number", order.order_id)),
        h("span", { class: "muted" }, order.items.map((item) => item.name).join(", ")),
        orderBadge(order.status)))));
}

function filterForm(filters) {
  const field = (name, control) => h("label", {}, t(name), control);
  const element = h("form", { class: "inline filters", role: "search", "aria-label": t("search"), novalidate: true },
    field("q", h("input", { name: "q", type: "search", value: filters.q, maxlength: 100 })),
    field("family", h("select", { name: "family" }, h("option", { value: "" }, t("all_families")),
      FAMILIES.map((family) => h("option", { value: family, selected: filters.family === family }, t(`family_${family}`))))),
    field("status", h("select", { name: "status" }, h("option", { value: "" }, t("all_statuses")),
      STATUSES.map((status) => h("option", { value: status, selected: filters.status === status }, t(`status_${status}`))))),
    field("expiring_within_days", h("input", { name: "expiring_within_days", type: "number", min: 0, max: LIMITS.expiring_within_days.maximum,
      value: filters.expiring_within_days, class: "narrow" })),
    h("button", { class: "primary", type: "submit" }, t("apply_filters")),
    h("a", { href: "/my-subscriptions", class: "reset" }, t("reset_filters")));
  guard(element, { expiring_within_days: { integer: true, min: LIMITS.expiring_within_days.minimum, max: LIMITS.expiring_within_days.maximum } });
  return filtersTo(element, "/my-subscriptions");
}

function subscriptionRows(subscription) {
  const open = !["cancelled", "expired"].includes(subscription.status);
  const panelId = `manage-${subscription.subscription_id}`;
  const panel = h("tr", { class: "panel", id: panelId, hidden: true },
    h("td", { colspan: 7 }, open ? manageBlock(subscription) : null));
  const modify = h("button", { type: "button", class: "link", "aria-expanded": "false", "aria-controls": panelId,
    onclick: () => {
      panel.hidden = !panel.hidden;
      modify.setAttribute("aria-expanded", String(!panel.hidden));
    } }, t("modify"));
  const remarks = [subscription.remarks,
    subscription.cancel_at && subscription.status !== "cancelled" ? t("cancel_planned", day(subscription.cancel_at)) : null]
    .filter(Boolean).join(" · ");
  return [
    h("tr", { "data-subscription": subscription.subscription_id },
      h("td", { "data-column": "subscription" }, subscriptionName(subscription)),
      h("td", { "data-column": "dossier", class: "mono" }, subscription.dossier_number),
      h("td", { "data-column": "status" }, statusBadge(subscription.status)),
      h("td", { "data-column": "remarks" }, remarks),
      h("td", { "data-column": "renews" }, ["cancelled", "expired"].includes(subscription.status) ? t("none")
        : rolling(subscription) ? t(subscription.family === "electricity" ? "runs_until_cancelled" : "renewed_monthly")
        : [day(subscription.renews_on), subscription.auto_renew ? h("span", { class: "muted block" }, t("auto_renew_short")) : null]),
      h("td", { "data-column": "admin" },
        subscription.status === "pending_confirmation"
          ? actionButton(t("confirm_subscription"), () => confirmSubscription(subscription))
          : open ? modify : null),
      h("td", { "data-column": "technical" }, ["to_configure", "active"].includes(subscription.status)
        ? h("a", { href: detailLink(subscription, "#settings") }, t("technical_settings")) : null)),
    panel,
  ];
}

function familyTable(family, subscriptions) {
  const headingId = `family-${family}`;
  return h("section", { class: "card family", "data-family": family, "aria-labelledby": headingId },
    h("h2", { id: headingId }, t(`family_title_${family}`)),
    h("div", { class: "table-scroll" }, h("table", { class: "subscriptions" },
      h("thead", {}, h("tr", {}, ["col_subscription", "col_dossier", "col_status", "col_remarks", "col_renews", "col_admin", "col_technical"]
        .map((key) => h("th", { scope: "col", class: key.replace("_", "-") }, t(key))))),
      h("tbody", {}, subscriptions.map(subscriptionRows)))));
}

export async function subscriptionsPage() {
  const filters = Object.fromEntries(["q", "family", "status", "expiring_within_days"].map((name) => [name, param(name)]));
  const [dashboard, subscriptions] = await Promise.all([authed("GET", "/subscriptions/dashboard"), allPages("/subscriptions", filters)]);
  const filtered = Object.values(filters).some(Boolean);
  return h("div", {},
    pageTitle(t("subscriptions_title"), h("a", { class: "button", href: "/order" }, t("nav_order"))),
    dashboardCards(dashboard),
    h("section", { class: "card" }, filterForm(filters)),
    subscriptions.length
      ? FAMILIES.map((family) => [family, subscriptions.filter((subscription) => subscription.family === family)])
          .filter(([, items]) => items.length).map(([family, items]) => familyTable(family, items))
      : h("section", { class: "card" }, h("p", {}, t(filtered ? "no_match" : "no_subscriptions")),
          filtered ? null : h("a", { class: "button", href: "/order" }, t("nav_order"))));
}

// --- one subscription -------------------------------------------------------------------------
