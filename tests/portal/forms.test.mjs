import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { ApiError, NetworkError } from "../../web/core/api.js";
import { form, placeErrors } from "../../web/core/forms.js";
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
