// Guichet web portal: the customer's pages over the public API (API.md). Native ES modules, no
// build step, no framework: web/core holds the pieces every page uses (the API client, texts,
// formatting, the form builder, the router), web/pages one module per area, web/i18n the texts.

import { forget, SESSION_HINT } from "./core/api.js";
import { brandTexts } from "./core/brand.js";
import { language, preferredLanguage, useLanguage } from "./core/i18n.js";
import { customerOnly, register, render, setShell, start } from "./core/router.js";
import { keepTablesReadable } from "./core/tables.js";
import { accountPage } from "./pages/account.js";
import { activatePages } from "./pages/activate.js";
import { appointmentsPage } from "./pages/appointments.js";
import { assistancePage } from "./pages/assistance.js";
import { authPages } from "./pages/auth.js";
import { billingPage } from "./pages/billing.js";
import { consumptionPage } from "./pages/consumption.js";
import { homePage } from "./pages/home.js";
import { invoicePage } from "./pages/invoice.js";
import { invoicesPage } from "./pages/invoices.js";
import { navigation, rememberAreas, rememberCustomer, setUpMenu } from "./pages/navigation.js";
import { orderPage } from "./pages/order.js";
import { orderStatusPage, ordersPage } from "./pages/orders.js";
import { schedulePage } from "./pages/schedule.js";
import { securityPage } from "./pages/security.js";
import { subscriptionPage } from "./pages/subscription.js";
import { subscriptionsPage } from "./pages/subscriptions.js";
import { surplusPage } from "./pages/surplus.js";

register({
  ...authPages,
  ...activatePages,
  "/": customerOnly(homePage),
  "/account": customerOnly(accountPage),
  "/security": customerOnly(securityPage),
  "/my-subscriptions": customerOnly(subscriptionsPage),
  "/subscription": customerOnly(subscriptionPage),
  "/order": customerOnly(orderPage),
  "/orders": customerOnly(ordersPage),
  "/order-status": customerOnly(orderStatusPage),
  "/appointments": customerOnly(appointmentsPage),
  "/assistance": customerOnly(assistancePage),
  "/my-invoices": customerOnly(invoicesPage),
  "/invoice": customerOnly(invoicePage),
  "/schedule": customerOnly(schedulePage),
  "/billing": customerOnly(billingPage),
  "/my-consumption": customerOnly(consumptionPage),
  "/my-surplus": customerOnly(surplusPage),
});
setUpMenu();
keepTablesReadable(document.getElementById("page"));
setShell({
  before: () => Promise.all([rememberCustomer(), rememberAreas()]),
  navigation,
});

// a logout in another tab ends the session in this one too
window.addEventListener("storage", (event) => {
  if (event.key !== SESSION_HINT || event.newValue) return;
  forget();
  render();
});

const chooser = document.getElementById("language");
chooser.addEventListener("change", async () => {
  try {
    await useLanguage(chooser.value);
  } catch {
    chooser.value = language(); // its texts could not be had: the page stays in the one it is in
    return;
  }
  localStorage.setItem("guichet.language", language());
  render();
});

// the texts first, then the page; without them (no connection), said in the three languages
try {
  // the brand's wording of some texts comes with them (never in the way: without it, the catalogs')
  await Promise.all([useLanguage(preferredLanguage(localStorage.getItem("guichet.language"), navigator.language)), brandTexts()]);
  chooser.value = language();
  start();
} catch {
  document.getElementById("page").textContent = "Connexion impossible : réessayez. — "
    + "No connection: please try again. — Connessione impossibile: riprovi.";
}
