// The texts: every key the code asks for by name exists in every language, and every language
// has the same keys, the same arguments, and messages that read (an untranslated key fails).

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import { formatMessage, LANGUAGES, overrideTexts, setCatalog, t, useLanguage } from "../../web/core/i18n.js";
import { catalog, part, PARTS, WEB } from "./helpers.mjs";

const catalogs = Object.fromEntries(Object.keys(LANGUAGES).map((language) => [language, catalog(language)]));
const scripts = (folder) => readdirSync(folder, { withFileTypes: true }).flatMap((entry) => entry.isDirectory()
  ? scripts(join(folder, entry.name)) : entry.name.endsWith(".js") ? [join(folder, entry.name)] : []);
const used = new Set(scripts(fileURLToPath(WEB)).flatMap((file) =>
  [...readFileSync(file, "utf8").matchAll(/\bt\(\s*"([^"]+)"/g)].map((match) => match[1])));
// t(`status_${status}`): a family of keys, of which every catalog must have some
const prefixes = new Set(scripts(fileURLToPath(WEB)).flatMap((file) =>
  [...readFileSync(file, "utf8").matchAll(/\b(?:t|has)\(\s*`([a-z_]+)\$\{/g)].map((match) => match[1])));
const argumentsOf = (message) => new Set([...message.matchAll(/\{(\d+)\s*[,}]/g)].map((match) => match[1]));

test("the code asks for keys that every catalog has", () => {
  assert.ok(used.size > 200, `${used.size} keys found`);
  for (const [language, messages] of Object.entries(catalogs)) {
    const missing = [...used].filter((key) => !(key in messages));
    assert.deepEqual(missing, [], `${language} lacks ${missing}`);
  }
});

test("every family of keys the code builds has keys in every catalog", () => {
  assert.ok(prefixes.size > 20, `${prefixes.size} families found`);
  for (const [language, messages] of Object.entries(catalogs)) {
    const empty = [...prefixes].filter((prefix) => !Object.keys(messages).some((key) => key.startsWith(prefix)));
    assert.deepEqual(empty, [], `${language} has no key for ${empty}`);
  }
});

test("every catalog has the same keys, the same arguments, and no empty message", () => {
  const keys = Object.keys(catalogs.fr).sort();
  for (const [language, messages] of Object.entries(catalogs)) {
    assert.deepEqual(Object.keys(messages).sort(), keys, language);
    for (const key of keys) {
      assert.ok(typeof messages[key] === "string" && messages[key].trim(), `${language}.${key} is empty`);
      assert.deepEqual(argumentsOf(messages[key]), argumentsOf(catalogs.fr[key]), `${language}.${key}'s arguments`);
    }
  }
});

test("messages with plurals and choices read in each language", async () => {
  for (const [language, messages] of Object.entries(catalogs)) setCatalog(language, messages);
  await useLanguage("fr");
  assert.equal(t("slots_count", 1), "1 créneau");
  assert.equal(t("slots_count", 3), "3 créneaux");
  assert.equal(t("commitment_text", 0), "Sans engagement");
  assert.equal(t("commitment_text", 12), "Engagement 12 mois");
  assert.equal(t("period_count", 2, "year"), "2 ans");
  assert.equal(t("allowance_GB", null), "Internet illimité");
  assert.equal(t("selection_summary", 2, "20,88 €"), "2 factures sélectionnées : 20,88 €");
  await useLanguage("en");
  assert.equal(t("period_count", 1, "month"), "1 month");
  assert.equal(t("period_count", 3, "year"), "3 years");
  assert.equal(t("selection_summary", 1, "€20.88"), "1 invoice selected: €20.88");
  await useLanguage("it");
  assert.equal(t("period_count", 6, "month"), "6 mesi");
  assert.equal(t("allowance_GB", 50), "50 GB di Internet");
  assert.equal(t("no_such_key"), "no_such_key");
});

test("the message format: arguments, exact counts, nested choices, literal braces", () => {
  assert.equal(formatMessage("{0} sur {1}", ["3", "5"]), "3 sur 5");
  assert.equal(formatMessage("{0, plural, =0 {aucune} one {# seule} other {# en tout}}", [0], "en-GB"), "aucune");
  assert.equal(formatMessage("{0, plural, one {# day} other {# days}}", [0], "en-GB"), "0 days");
  assert.equal(formatMessage("{0, plural, one {# jour} other {# jours}}", [0], "fr-FR"), "0 jour");
  assert.equal(formatMessage("{1, select, year {{0, plural, one {# an} other {# ans}}} other {{0} mois}}", [2, "year"], "fr-FR"), "2 ans");
  assert.equal(formatMessage("a {b} {0", ["x"]), "a {b} {0");
});

test("texts of the provider's own replace the catalog's, in one language only", async () => {
  for (const [language, messages] of Object.entries(catalogs)) setCatalog(language, messages);
  overrideTexts("en", { login: "Sign in to Example Telecom", pay_amount: "Pay {0} now" });
  await useLanguage("en");
  assert.equal(t("login"), "Sign in to Example Telecom");
  assert.equal(t("pay_amount", "€20.88"), "Pay €20.88 now");
  assert.equal(t("logout"), catalogs.en.logout);
  await useLanguage("fr");
  assert.equal(t("login"), catalogs.fr.login);
});

test("each part of the catalog holds the same keys in every language, and no key is in two parts", () => {
  for (const name of PARTS) {
    const french = Object.keys(part("fr", name)).sort();
    for (const language of ["en", "it"]) assert.deepEqual(Object.keys(part(language, name)).sort(), french, `${language}/${name}.json`);
  }
  const seen = PARTS.flatMap((name) => Object.keys(part("fr", name)));
  assert.equal(new Set(seen).size, seen.length);
});
