import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { ApiError, NetworkError } from "../../web/core/api.js";
import { RULES } from "../../web/core/checks.js";
import { form, placeErrors, say } from "../../web/core/forms.js";
import { installDocument, speak } from "./helpers.mjs";

installDocument();
beforeEach(() => speak("fr"));

test("an API field is placed on the form's field, a group, or above the button", () => {
  const names = new Set(["label", "pdl", "off_peak_hours"]);
  const fieldOf = (name) => name.replace(/^items\.0\.(options\.)?/, "");
  const { placed, rest } = placeErrors({
    "items.0.options.pdl": "14 chiffres attendus",
    "items.0.options.off_peak_hours.0.start": "heure invalide",
    "items.0.options.off_peak_hours.1.end": "heure invalide",
    "items.0.label": "trop long",
    "items.0.product_id": "inconnu",
  }, names, fieldOf);
  assert.deepEqual(placed, {
    pdl: ["14 chiffres attendus"], off_peak_hours: ["heure invalide", "heure invalide"], label: ["trop long"],
  });
  assert.deepEqual(rest, ["items.0.product_id: inconnu"]);
});

// The form's parts by field name: its control and the message next to it.
function fieldParts(element, name) {
  const [field] = element.findAll((node) => node.getAttribute("data-field") === name);
  const control = field.findAll((node) => node.getAttribute("name") === name)[0];
  const error = field.findAll((node) => node.getAttribute("class") === "field-error")[0];
  return { control, error };
}
const statusOf = (element) => element.findAll((node) => node.getAttribute("class") === "form-status")[0];

test("a 422 puts each problem next to its field, marks it invalid and focuses the first", async () => {
  const sent = [];
  const element = form({
    fields: [{ name: "login_name", label: "Identifiant" }, { name: "password", label: "Mot de passe", type: "password" }],
    submit: "Se connecter",
    fieldOf: (name) => name === "login" ? "login_name" : name,
    action: async (values) => {
      sent.push(values);
      throw new ApiError(422, { error: { code: "validation_error", message: "Requête invalide.",
        fields: { login: "Saisissez votre identifiant.", remember: "inconnu" } } });
    },
    done: () => assert.fail("no success"),
  });
  const login = fieldParts(element, "login_name");
  const password = fieldParts(element, "password");
  login.control.value = "  lina@example.org ";
  password.control.value = " secret ";
  await element.dispatch("submit");
  assert.deepEqual(sent, [{ login_name: "lina@example.org", password: " secret " }]); // trimmed, but not a password
  assert.equal(login.error.textContent, "Saisissez votre identifiant.");
  assert.equal(login.control.getAttribute("aria-invalid"), "true");
  assert.equal(password.error.textContent, "");
  assert.equal(password.control.getAttribute("aria-invalid"), null);
  assert.equal(document.activeElement, login.control);
  assert.equal(statusOf(element).textContent, "Requête invalide. — remember: inconnu");

  // sent again: the old problems go before the new answer
  await element.dispatch("submit");
  assert.equal(login.error.textContent, "Saisissez votre identifiant.");
});

test("no answer at all is said above the button, no field blamed; a success shows what done returns", async () => {
  let fail = true;
  const element = form({
    fields: [{ name: "email", label: "E-mail", type: "email" }],
    submit: "Envoyer",
    action: async () => {
      if (fail) throw new NetworkError("Vous semblez hors ligne.");
      return { ok: true };
    },
    done: () => "Envoyé",
  });
  await element.dispatch("submit");
  assert.equal(statusOf(element).textContent, "Vous semblez hors ligne.");
  assert.equal(fieldParts(element, "email").error.textContent, "");
  fail = false;
  await element.dispatch("submit");
  assert.equal(statusOf(element).textContent, "Envoyé");
});

test("the rules are checked before sending: each message next to its field, the first focused, nothing sent", async () => {
  const sent = [];
  const element = form({
    fields: [
      { name: "email", label: "E-mail", type: "email", required: true },
      { name: "password", label: "Mot de passe", type: "password", rules: RULES.newPassword },
      { name: "phone", label: "Téléphone", type: "tel" },
      { name: "accept", label: "J'accepte", type: "checkbox", rules: { required: "terms_required" } },
    ],
    submit: "Créer",
    action: async (values) => sent.push(values),
    done: () => "Créé",
  });
  const [email, password, phone, accept] = ["email", "password", "phone", "accept"].map((name) => fieldParts(element, name));
  email.control.value = "lina@";
  password.control.value = "court";
  phone.control.value = "";
  await element.dispatch("submit");
  assert.deepEqual(sent, []);
  assert.equal(email.error.textContent, "Saisissez une adresse e-mail complète, par exemple nom@exemple.fr.");
  assert.equal(email.control.getAttribute("aria-invalid"), "true");
  assert.equal(password.error.textContent, "Au moins 12 caractères.");
  assert.equal(phone.error.textContent, ""); // optional, left empty
  assert.equal(phone.control.getAttribute("aria-invalid"), null);
  assert.equal(accept.error.textContent, "Cochez cette case pour accepter les conditions générales de vente.");
  assert.equal(accept.control.getAttribute("required"), "");
  assert.equal(document.activeElement, email.control);
  assert.equal(statusOf(element).textContent, "3 champs sont à corriger : voyez les messages à côté.");

  email.control.value = "lina@example.org";
  password.control.value = "une phrase assez longue";
  accept.control.checked = true;
  await element.dispatch("submit");
  assert.deepEqual(sent, [{ email: "lina@example.org", password: "une phrase assez longue", phone: "", accept: true }]);
  assert.equal(email.error.textContent, "");
  assert.equal(statusOf(element).textContent, "Créé");
});

test("once sent, a field is checked again when it loses the focus; the API's word stays until sent again", async () => {
  const element = form({
    fields: [{ name: "phone", label: "Téléphone", type: "tel" }, { name: "name", label: "Nom", rules: RULES.name }],
    submit: "Ajouter",
    action: async () => {
      throw new ApiError(422, { error: { message: "Requête invalide.", fields: { phone: "Ce numéro est déjà utilisé." } } });
    },
    done: () => assert.fail("no success"),
  });
  const phone = fieldParts(element, "phone");
  const name = fieldParts(element, "name");
  phone.control.value = "12";
  await element.dispatch("focusout", { target: phone.control }); // not yet sent: nothing said
  assert.equal(phone.error.textContent, "");

  await element.dispatch("submit");
  assert.match(phone.error.textContent, /^Saisissez un numéro de téléphone/);
  assert.equal(name.error.textContent, "Ce champ est à remplir.");
  phone.control.value = "06 12 34 56 78";
  // on its way to the button (a click under way), the field is left as it is: sending checks it
  const [button] = element.findAll((node) => node.tagName === "BUTTON");
  await element.dispatch("focusout", { target: phone.control, relatedTarget: button });
  assert.match(phone.error.textContent, /^Saisissez un numéro de téléphone/);
  await element.dispatch("focusout", { target: phone.control });
  assert.equal(phone.error.textContent, "");
  assert.equal(phone.control.getAttribute("aria-invalid"), null);
  assert.equal(name.error.textContent, "Ce champ est à remplir."); // the others as they were

  name.control.value = "Lina";
  await element.dispatch("submit");
  assert.equal(phone.error.textContent, "Ce numéro est déjà utilisé."); // the API's answer, placed alike
  assert.equal(phone.control.getAttribute("aria-invalid"), "true");
  await element.dispatch("focusout", { target: phone.control });
  assert.equal(phone.error.textContent, "Ce numéro est déjà utilisé.");
});

test("messages in the page's language, dates and numbers formatted", async () => {
  await speak("it");
  assert.equal(say(["check_too_long", 200]), "Al massimo 200 caratteri.");
  assert.equal(say(["check_date_after", "2026-07-01"]), "Non prima del 1 luglio 2026.");
  assert.equal(say(["check_date_before", "2026-07"]), "Non dopo luglio 2026.");
  assert.equal(say(["check_max", 1000000]), "Al massimo 1.000.000.");
  await speak("fr");
  assert.equal(say(["check_date_after", "2026-07"]), "Pas avant juillet 2026.");
  assert.equal(say(["check_date_before", "2026-07-14"]), "Pas après le 14 juillet 2026.");
  await speak("en");
  assert.equal(say(["check_required"]), "Please fill in this field.");
  assert.equal(say(["check_required"], { required: "terms_required" }), "Tick this box to accept the terms of sale.");
});
