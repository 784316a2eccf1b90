import assert from "node:assert/strict";
import { test } from "node:test";

import { applyTexts, brand, localized } from "../../web/core/brand.js";
import { t } from "../../web/core/i18n.js";
import { catalog, speak } from "./helpers.mjs";

const BRAND = { name: "Guichet", support: { phones: [{ number: "+33800665544", cost: "free" }] } };

test("the brand is asked once, whoever asks; a failed request is asked again", async () => {
  const asked = [];
  let fail = true;
  globalThis.fetch = async (url) => {
    asked.push(String(url));
    if (fail) return new Response("{}", { status: 503 });
    return new Response(JSON.stringify(BRAND), { status: 200 });
  };
  await assert.rejects(brand(), /HTTP 503/);
  fail = false;
  const [first, second] = await Promise.all([brand(), brand()]);
  assert.deepEqual(first, BRAND);
  assert.equal(first, second);
  await brand();
  assert.deepEqual(asked, ["/brand.json", "/brand.json"]);
});

test("a brand's text for every language, or per language", async () => {
  await speak("it");
  assert.equal(localized("free"), "free");
  assert.equal(localized({ fr: "0,34 €/min", en: "€0.34/min", it: "0,34 €/min IVA" }), "0,34 €/min IVA");
  assert.equal(localized({ fr: "0,34 €/min", en: "€0.34/min" }, "it"), "0,34 €/min");
  assert.equal(localized(null), null);
});

test("the brand's texts reword the portal's in their language, only where a catalog has the key", async () => {
  await speak("fr");
  applyTexts({ texts: { fr: { home_pay: "Régler", no_such_key: "rien" }, it: { home_pay: "Saldare" }, en: {} } });
  assert.equal(t("home_pay"), "Régler");
  assert.equal(t("home_title"), "Accueil"); // the others as the catalog says them
  assert.equal(t("no_such_key"), "no_such_key"); // a key of no catalog stays unknown
  await speak("it");
  assert.equal(t("home_pay"), "Saldare");
  await speak("en");
  assert.equal(t("home_pay"), catalog("en").home_pay);
  applyTexts({}); // a brand without texts changes nothing
  applyTexts(null);
  assert.equal(t("home_pay"), catalog("en").home_pay);
});
