import assert from "node:assert/strict";
import { test } from "node:test";

import { LIMITS, RULES, ibanValid, problem, problems } from "../../web/core/checks.js";

test("an IBAN's check digits: mod 97 of its characters moved and turned to digits", () => {
  assert.equal(ibanValid("FR76 3000 6000 0112 3456 7890 189"), true);
  assert.equal(ibanValid("fr7630006000011234567890189"), true); // typed in small letters, without spaces
  assert.equal(ibanValid("DE89 3704 0044 0532 0130 00"), true);
  assert.equal(ibanValid("IT60 X054 2811 1010 0000 0123 456"), true);
  assert.equal(ibanValid("GB82 WEST 1234 5698 7654 32"), true);
  assert.equal(ibanValid("FR76 3000 6000 0112 3456 7890 188"), false); // one digit off
  assert.equal(ibanValid("FR67 3000 6000 0112 3456 7890 189"), false); // check digits swapped
  assert.equal(ibanValid("FR76"), false);
  assert.equal(ibanValid("76FR30006000011234567890189"), false);
  assert.deepEqual(problem("FR76 3000 6000 0112 3456 7890 188", { iban: true }), ["check_iban"]);
});

test("required: empty, blank, unticked or no line at all; otherwise an empty field is not checked further", () => {
  for (const value of ["", "   ", null, undefined, false, []]) {
    assert.deepEqual(problem(value, { required: true }), ["check_required"], String(value));
  }
  assert.equal(problem("", { email: true, minLength: 5 }), null);
  assert.equal(problem("x", { required: true }), null);
  // required when another field says so (an address is all of it or none)
  const withAddress = (values) => Boolean(values.line1);
  assert.deepEqual(problem("", { required: withAddress }, { line1: "1 rue Haute" }), ["check_required"]);
  assert.equal(problem("", { required: withAddress }, { line1: "" }), null);
});

test("lengths count characters as the services do (code points), limits from the APIs' numbers", () => {
  const rules = RULES.newPassword;
  assert.deepEqual(problem("a".repeat(LIMITS.new_password.minLength - 1), rules), ["check_too_short", 12]);
  assert.equal(problem("a".repeat(LIMITS.new_password.minLength), rules), null);
  assert.deepEqual(problem("a".repeat(LIMITS.new_password.maxLength + 1), rules), ["check_too_long", 256]);
  assert.equal(problem("😀".repeat(12), rules), null); // 12 characters, 24 UTF-16 units
  assert.deepEqual(problem("é".repeat(101), RULES.name), ["check_too_long", 100]);
  assert.deepEqual(problem("ab", { minLength: 2, maxLength: 3 }), null);
});

test("email addresses: what no server takes is refused, the rest left to the API", () => {
  for (const good of ["lina@example.org", "l.ina+tag@mail.example.co.uk", "a@b.museum"]) {
    assert.equal(problem(good, RULES.email), null, good);
  }
  for (const bad of ["lina", "lina@", "@example.org", "lina@example", "li na@example.org", "lina@@example.org", "lina@.org"]) {
    assert.deepEqual(problem(bad, RULES.email), ["check_email"], bad);
  }
});

test("phone numbers: national French or international, separators allowed", () => {
  for (const good of ["06 12 34 56 78", "01.23.45.67.89", "+33 6 12 34 56 78", "+39 06 6982 1234", "0033612345678", "+44 20 7946 0958"]) {
    assert.equal(problem(good, RULES.phone), null, good);
  }
  for (const bad of ["12345", "06 12 34 56", "0012", "+0612345678", "06 12 34 56 78 9", "téléphone", "0 12 34 56 78"]) {
    assert.deepEqual(problem(bad, RULES.phone), ["check_phone"], bad);
  }
  assert.deepEqual(problem("01 23 45 67 89", { frenchMobile: true }), ["check_french_mobile"]);
  assert.equal(problem("+33 7 81 23 45 67", { frenchMobile: true }), null);
});

test("postal codes by country: French (never 00…) and Italian, others left to the API", () => {
  assert.equal(problem("75011", { postalCode: "FR" }), null);
  assert.deepEqual(problem("7501", { postalCode: "FR" }), ["check_postal_code"]);
  assert.deepEqual(problem("00100", { postalCode: "FR" }), ["check_postal_code"]);
  assert.equal(problem("00184", { postalCode: "it" }), null); // Rome
  assert.deepEqual(problem("0018A", { postalCode: "IT" }), ["check_postal_code"]);
  assert.equal(problem("SW1A 1AA", { postalCode: "GB" }), null);
  const byCountry = { postalCode: (values) => values.country };
  assert.deepEqual(problems({ postal_code: "123", country: "FR" }, { postal_code: byCountry }), { postal_code: ["check_postal_code"] });
  assert.deepEqual(problems({ postal_code: "123", country: "" }, { postal_code: byCountry }), {});
});

test("bank details: the BIC's shape, the holder's characters", () => {
  assert.equal(problem("bnpafrpp", { bic: true }), null);
  assert.equal(problem("BNPAFRPPXXX", { bic: true }), null);
  assert.deepEqual(problem("BNPA", { bic: true }), ["check_bic"]);
  assert.equal(problem("Léa O'Brien-Müller & Co.", { holder: true }), null);
  assert.deepEqual(problem("Lina <script>", { holder: true }), ["check_holder"]);
  assert.deepEqual(problem("L", { holder: true, minLength: LIMITS.holder.minLength }), ["check_too_short", 2]);
});

test("numbers in a range, whole when asked", () => {
  const rules = { integer: true, min: 1, max: 1000000 };
  assert.equal(problem(5, rules), null);
  assert.deepEqual(problem(0, rules), ["check_min", 1]);
  assert.deepEqual(problem(1000001, rules), ["check_max", 1000000]);
  assert.deepEqual(problem(2.5, rules), ["check_number"]);
  assert.deepEqual(problem("abc", { min: 0 }), ["check_number"]);
});

test("dates and months in range; the end not before the start", () => {
  const to = { required: true, date: { min: (values) => values.from, max: "2026-12-31" } };
  assert.equal(problem("2026-07-10", to, { from: "2026-07-01" }), null);
  assert.deepEqual(problem("2026-06-30", to, { from: "2026-07-01" }), ["check_date_after", "2026-07-01"]);
  assert.deepEqual(problem("2027-01-01", to, { from: "2026-07-01" }), ["check_date_before", "2026-12-31"]);
  assert.deepEqual(problem("2026-06", to, { from: "2026-07" }), ["check_date_after", "2026-07"]); // months
  assert.equal(problem("2026-07", to, { from: "2026-07" }), null);
  assert.deepEqual(problem("10/07/2026", { date: {} }), ["check_date"]);
  assert.deepEqual(problem("2026-13-01", { date: {} }), ["check_date"]);
});

test("a pattern names its own message; lists count their lines; a country is two letters", () => {
  assert.deepEqual(problem("12345", RULES.code), ["check_code"]);
  assert.equal(problem("123456", RULES.code), null);
  assert.deepEqual(problem(["ns1.example.org"], { minItems: 2 }), ["check_min_items", 2]);
  assert.deepEqual(problem(["a", "b", "c"], { maxItems: 2 }), ["check_max_items", 2]);
  assert.deepEqual(problem("France", { country: true }), ["check_country"]);
  assert.equal(problem("fr", { country: true }), null);
});
