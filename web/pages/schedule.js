// The payment schedule of a monthly payer: one per contract paid by monthly debits.

import { authed } from "../core/api.js";
import { definitions, h, headCells, pageTitle, section } from "../core/dom.js";
import { day, money } from "../core/format.js";
import { has, t } from "../core/i18n.js";
import { invoiceTabs } from "./invoice-common.js";

export async function schedulePage() {
  let schedule;
  try {
    schedule = await authed("GET", "/invoices/schedule");
  } catch (error) {
    if (error.status !== 404) throw error;
    return h("div", {}, pageTitle(t("schedule_title")), invoiceTabs(),
      section({ class: "card", id: "no-schedule" }, t("no_schedule_title"), h("p", {}, t("no_schedule")),
        h("a", { class: "button", href: "/my-invoices" }, t("tab_invoices"))));
  }
  // one schedule per contract paid by monthly debits (`schedules`), the running one first
  const cards = (schedule.schedules || [schedule]).flatMap((each, index) => {
    const currency = each.currency || "EUR";
    const collected = each.installments.filter((item) => item.status === "paid").reduce((sum, item) => sum + item.amount_cents, 0);
    const suffix = index ? `-${index + 1}` : "";
    return [
      h("section", { class: "card schedule", id: `schedule${suffix}`, "data-year": each.year, "data-subscription": each.subscription_id },
        h("h2", {}, t("schedule_year", each.year)),
        index ? null : h("p", {}, t("schedule_intro")),
        definitions([
          ["estimated_annual", money(each.estimated_annual_cents, currency)],
          ["collected_so_far", money(collected, currency)],
          ...(each.consumption_billed_cents ? [["consumption_billed", money(each.consumption_billed_cents, currency)]] : []),
          ["regularization_on", day(each.regularization_on)],
        ])),
      h("section", { class: "card", id: `installments${suffix}` }, h("h2", {}, t("installments_title")),
        h("div", { class: "table-scroll" }, h("table", { class: "installments" },
          headCells(["col_installment", "col_debit_on", "amount", "status"], ["amount"]),
          h("tbody", {}, each.installments.map((item, position) => h("tr", { "data-status": item.status },
            h("td", {}, item.number ?? position + 1), h("td", {}, day(item.due_on)),
            h("td", { class: "number" }, money(item.amount_cents, currency)),
            h("td", {}, h("span", { class: `status installment-${item.status}` },
              has(`installment_status_${item.status}`) ? t(`installment_status_${item.status}`) : item.status),
              item.retry_on ? h("span", { class: "muted block" }, t("retry_on", day(item.retry_on))) : null)))))))];
  });
  return h("div", {}, pageTitle(t("schedule_title")), invoiceTabs(), ...cards);
}

