// The navigation above every page, and what it remembers for the session.

import { api, loggedIn, logOut, optional, remember, remembered } from "../core/api.js";
import { h } from "../core/dom.js";
import { t } from "../core/i18n.js";
import { go } from "../core/router.js";
import { allMeters } from "./consumption.js";

// Which consumption pages the navigation offers, asked once per session: "Ma conso" for meters
// and mobile lines, "Mon surplus" for a surplus resale (whose meter is followed there).
export async function rememberAreas() {
  if (!loggedIn() || remembered("areas")) return;
  try {
    const [meters, surplus, usage] = await Promise.all([allMeters(), optional("/consumption/surplus"), optional("/consumption/usage")]);
    const consumption = Boolean(usage) || meters.some((meter) => meter.kind === "electricity" && meter.meter_id !== surplus?.meter_id);
    remember("areas", JSON.stringify({ consumption, surplus: Boolean(surplus) }));
  } catch {
    // the navigation goes without them; asked again at the next page
  }
}

// The area a page belongs to, for the navigation's aria-current.
const SECTIONS = {
  "/subscription": "/my-subscriptions", "/order-status": "/orders",
  "/invoice": "/my-invoices", "/schedule": "/my-invoices", "/billing": "/my-invoices",
};

// The header's menu button (narrow screens: the navigation folds behind it, portal.css): it
// opens and closes the menu, Escape closes it and gives the focus back to it.
const menuButton = () => document.getElementById("menu-button");
export function closeMenu() {
  menuButton()?.setAttribute("aria-expanded", "false");
}
export function setUpMenu() {
  const button = menuButton();
  button.addEventListener("click", () =>
    button.setAttribute("aria-expanded", String(button.getAttribute("aria-expanded") !== "true")));
  document.getElementById("menu").addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || button.getAttribute("aria-expanded") !== "true") return;
    closeMenu();
    button.focus();
  });
}

// The texts of the shell around the page, in the page's language.
function shellTexts() {
  document.getElementById("skip-link").textContent = t("skip_to_content");
  menuButton().textContent = t("menu");
  document.getElementById("nav").setAttribute("aria-label", t("main_navigation"));
}

export function navigation() {
  closeMenu(); // a page was asked for: the menu folds away
  shellTexts();
  const nav = document.getElementById("nav");
  if (!loggedIn()) {
    nav.replaceChildren(h("div", { class: "who" },
      h("a", { href: "/login" }, t("login")), h("a", { href: "/register" }, t("register"))));
    return;
  }
  const here = SECTIONS[location.pathname] || location.pathname;
  const link = (href, key) => h("a", { href, "aria-current": here === href ? "page" : false }, t(key));
  const customerId = remembered("customer");
  const areas = JSON.parse(remembered("areas") || "{}");
  nav.replaceChildren(
    h("div", { class: "links" }, link("/", "nav_home"), link("/my-subscriptions", "nav_subscriptions"),
      areas.consumption ? link("/my-consumption", "nav_consumption") : null, areas.surplus ? link("/my-surplus", "nav_surplus") : null,
      link("/my-invoices", "nav_invoices"),
      link("/order", "nav_order"),
      link("/orders", "nav_orders"), link("/appointments", "nav_appointments"), link("/assistance", "nav_assistance"), link("/account", "account")),
    h("div", { class: "who" },
      customerId ? h("span", { class: "customer-id", title: t("customer_id") }, customerId) : null,
      h("button", { onclick: async () => {
        await logOut();
        go("/login");
      } }, t("logout"))));
}

// The customer id shown top right on every page, read once per session.
export async function rememberCustomer() {
  if (!loggedIn() || remembered("customer")) return;
  try {
    const me = await api("GET", "/auth/me", undefined, { auth: true });
    remember("customer", me.customer_id);
  } catch {
    // the page itself reports what went wrong
  }
}
