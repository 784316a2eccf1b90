// Phone appointments: the free slots by day, booking one, the ones booked.

import { allPages, ApiError, authed } from "../core/api.js";
import { actionButton, h, pageTitle } from "../core/dom.js";
import { clock, localDayKey, longDay, moment } from "../core/format.js";
import { LIMITS, RULES } from "../core/checks.js";
import { form } from "../core/forms.js";
import { t } from "../core/i18n.js";
import { reloadWith } from "../core/router.js";

const enc = encodeURIComponent;

function slotPicker(slots) {
  const days = new Map();
  for (const slot of slots) {
    const key = localDayKey(new Date(slot.start));
    if (!days.has(key)) days.set(key, []);
    days.get(key).push(slot);
  }
  const times = h("fieldset", { class: "slots" });
  const daySelect = h("select", { name: "day", id: "slot-day" }, [...days].map(([key, daySlots]) =>
    h("option", { value: key }, `${longDay(new Date(daySlots[0].start))} (${t("slots_count", daySlots.length)})`)));
  const showDay = () => times.replaceChildren(h("legend", {}, t("time")),
    h("div", { class: "chips" }, (days.get(daySelect.value) || []).map((slot) =>
      h("label", { class: "chip" }, h("input", { type: "radio", name: "start", value: slot.start, required: true }),
        clock(slot.start)))));
  daySelect.addEventListener("change", showDay);
  showDay();
  return h("div", { class: "slot-picker" }, h("div", { class: "field" }, h("label", { for: "slot-day" }, t("day")), daySelect), times);
}

export async function appointmentsPage() {
  const [slots, booked, me] = await Promise.all([
    authed("GET", "/subscriptions/appointments/slots"), allPages("/subscriptions/appointments"),
    authed("GET", "/auth/me"),
  ]);
  const now = Date.now();
  const upcoming = [...booked].sort((a, b) => a.start.localeCompare(b.start));
  let bookForm = h("p", { class: "muted" }, t("no_slots"));
  if (slots.items.length) {
    bookForm = form({
      fields: [
        { name: "topic", label: t("topic"), required: true, rules: { maxLength: LIMITS.topic.maxLength } },
        { name: "phone", label: t("phone"), type: "tel", value: me.phone || "", required: true, autocomplete: "tel", rules: RULES.phone },
      ],
      submit: t("book"),
      action: ({ topic, phone }) => {
        const start = bookForm.querySelector("input[name=start]:checked")?.value;
        if (!start) throw new ApiError(422, { error: { message: t("choose_slot") } });
        return authed("POST", "/subscriptions/appointments", { start, topic, phone });
      },
      done: (appointment) => reloadWith("ok", t("booked", moment(appointment.start))),
    });
    bookForm.prepend(slotPicker(slots.items));
  }
  return h("div", {},
    pageTitle(t("appointments_title")),
    h("p", {}, t("appointments_intro")),
    h("section", { class: "card", id: "booked" }, h("h2", {}, t("my_appointments")), upcoming.length
      ? h("table", { class: "appointments" },
          h("thead", {}, h("tr", {}, ["when", "topic", "phone", ""].map((key) => h("th", { scope: "col" }, key ? t(key) : "")))),
          h("tbody", {}, upcoming.map((appointment) => h("tr", { "data-appointment": appointment.appointment_id },
            h("td", {}, moment(appointment.start)), h("td", {}, appointment.topic), h("td", {}, appointment.phone),
            h("td", {}, new Date(appointment.start).getTime() > now
              ? actionButton(t("cancel_appointment"), async () => {
                  await authed("DELETE", `/subscriptions/appointments/${enc(appointment.appointment_id)}`);
                  reloadWith("ok", t("appointment_cancelled"));
                }, { className: "link danger", confirm: t("confirm_cancel_appointment", moment(appointment.start)) })
              : null)))))
      : h("p", { class: "muted" }, t("no_appointments"))),
    h("section", { class: "card", id: "book" }, h("h2", {}, t("book_title")), bookForm));
}
