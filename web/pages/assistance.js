// "Assistance": the provider's support lines with their cost and opening hours (the brand, via
// /brand.json), the appointment booking, a message to support, and the messages already sent.

import { allPages, authed, loggedIn } from "../core/api.js";
import { brand, localized } from "../core/brand.js";
import { card, errorText, h, notice, pageTitle } from "../core/dom.js";
import { moment } from "../core/format.js";
import { LIMITS } from "../core/checks.js";
import { form } from "../core/forms.js";
import { has, locale, t } from "../core/i18n.js";
import { reloadWith } from "../core/router.js";
import { keyedSubmission } from "./payment-form.js";

const TOPICS = ["billing", "technical", "sales", "other"];
const WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
// A day's name in the page's language: 1 January 2024 was a Monday.
const weekday = (code) => new Intl.DateTimeFormat(locale(), { weekday: "long" }).format(new Date(2024, 0, 1 + WEEK.indexOf(code)));
const purpose = (name) => has(`support_purpose_${name}`) ? t(`support_purpose_${name}`) : name;

function phonesCard(support) {
  return h("section", { class: "card", id: "support-phones", "aria-labelledby": "support-phones-title" },
    h("h2", { id: "support-phones-title" }, t("support_call_title")),
    h("ul", { class: "plain support-phones" }, support.phones.map((phone) => h("li", { "data-purpose": phone.purpose },
      h("span", { class: "label" }, purpose(phone.purpose)),
      h("a", { class: "phone", href: `tel:${phone.number}` }, phone.national || phone.number),
      h("span", { class: "muted" }, phone.cost === "free" ? t("support_free") : localized(phone.cost))))),
    h("h3", {}, t("support_hours_title")),
    h("ul", { class: "plain support-hours" }, support.hours.map((hours) => h("li", {},
      t("support_hours", hours.days.map(weekday).join(", "), hours.opens, hours.closes)))));
}

const appointmentCard = () => card(t("support_appointment_title"), h("p", {}, t("support_appointment_text")),
  h("p", {}, h("a", { class: "button", href: "/appointments" }, t("support_appointment_link"))));

function messageForm(subscriptions) {
  const submitOnce = keyedSubmission();
  return form({
    fields: [
      { name: "topic", label: t("support_topic"), type: "select", value: "billing",
        options: TOPICS.map((topic) => [topic, t(`support_topic_${topic}`)]) },
      { name: "subscription_id", label: t("support_about"), type: "select", value: "",
        options: [["", t("support_about_none")], ...subscriptions.map((item) => [item.subscription_id, [item.name, item.label].filter(Boolean).join(" — ")])] },
      { name: "subject", label: t("support_subject"), required: true, rules: { maxLength: LIMITS.subject.maxLength } },
      { name: "message", label: t("support_message"), type: "textarea", required: true,
        hint: t("support_message_hint"), rules: { maxLength: LIMITS.message.maxLength } },
    ],
    submit: t("support_send"),
    action: ({ subscription_id, ...values }) => {
      const body = { ...values, ...(subscription_id ? { subscription_id } : {}) };
      return submitOnce(body, (key) => authed("POST", "/subscriptions/support-messages", body, { "Idempotency-Key": key }));
    },
    done: () => reloadWith("ok", t("support_sent")),
  });
}

function messagesCard(messages) {
  return h("section", { class: "card", id: "support-messages", "aria-labelledby": "support-messages-title" },
    h("h2", { id: "support-messages-title" }, t("support_messages_title")),
    messages.length
      ? h("ul", { class: "plain support-messages" }, messages.map((item) => h("li", { "data-message": item.message_id },
          h("span", { class: "label" }, moment(item.sent_at), " · ", t(`support_topic_${item.topic}`)),
          h("strong", {}, item.subject),
          h("p", { class: "support-text" }, item.message))))
      : h("p", { class: "muted" }, t("support_no_messages")));
}

export async function assistancePage() {
  // each part on its own: without the brand the form still works, and the reverse
  const [support, subscriptions, messages] = await Promise.all([
    brand().then((answer) => answer.support).catch(() => null),
    allPages("/subscriptions").catch(() => []),
    allPages("/subscriptions/support-messages").catch((error) => {
      if (error.status === 401 && !loggedIn()) throw error; // the session ended: log in again
      return error;
    }),
  ]);
  return h("div", { class: "assistance" }, pageTitle(t("nav_assistance")),
    support ? phonesCard(support) : notice("error", t("support_brand_failed")),
    appointmentCard(),
    card(t("support_write_title"), h("p", {}, t("support_write_text")), messageForm(subscriptions)),
    messages instanceof Error ? notice("error", errorText(messages)) : messagesCard(messages));
}
