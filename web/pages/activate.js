// The page of the invitation mailed to a customer the provider imported: choose the first
// password (POST /auth/activate with the link's token), then log in with the customer ID.

import { api } from "../core/api.js";
import { card, h, notice } from "../core/dom.js";
import { LIMITS, RULES } from "../core/checks.js";
import { form } from "../core/forms.js";
import { t } from "../core/i18n.js";
import { token } from "../core/router.js";

const activatePage = () => card(t("activate_title"),
  h("p", { class: "muted" }, t("activate_intro")),
  form({
    fields: [{ name: "password", label: t("activate_password"), type: "password", autocomplete: "new-password",
      hint: t("password_hint", LIMITS.new_password.minLength), rules: RULES.newPassword }],
    submit: t("activate_submit"),
    action: ({ password }) => api("POST", "/auth/activate", { token: token(), password }),
    done: (answer) => h("div", {},
      notice("ok", t("activate_done", answer.customer_id)),
      h("a", { href: "/login" }, t("login"))),
  }));

export const activatePages = { "/activate": activatePage };
