import assert from "node:assert/strict";
import { test } from "node:test";

import { addDays, amount, day, monthEnd, monthsBack, money, quantity, shortDay, unitPrice } from "../../web/core/format.js";
import { catalog, speak } from "./helpers.mjs";

const NBSP = "\u00a0";

test("amounts as each language writes them", async () => {
  await speak("fr");
  assert.equal(money(2088, "EUR"), `20,88${NBSP}€`);
  assert.equal(money(123456, "EUR"), `1\u202f234,56${NBSP}€`);
  assert.equal(money(-500, "EUR"), `-5,00${NBSP}€`);
  await speak("en");
  assert.equal(money(2088, "EUR"), "€20.88");
  assert.equal(money(123456, "EUR"), "€1,234.56");
  await speak("it");
  assert.equal(money(2088, "EUR"), `20,88${NBSP}€`);
  assert.equal(money(1234567, "EUR"), `12.345,67${NBSP}€`);
});

test("unit prices to 4 decimals, never fewer than 2", async () => {
  await speak("fr");
  assert.equal(unitPrice(19.52, "EUR"), `0,1952${NBSP}€`);
  assert.equal(amount(0.1952345, "EUR", 4), `0,1952${NBSP}€`);
  assert.equal(unitPrice(10, "EUR"), `0,10${NBSP}€`);
  await speak("en");
  assert.equal(unitPrice(19.52, "EUR"), "€0.1952");
});

test("a calendar day is never shifted through UTC, whatever the time zone", async () => {
  const zone = process.env.TZ;
  try {
    for (const tz of ["America/Los_Angeles", "Pacific/Kiritimati", "Europe/Paris"]) {
      process.env.TZ = tz;
      await speak("fr");
      assert.equal(day("2026-03-01"), "1 mars 2026", tz);
      assert.equal(shortDay("2026-01-01"), "1 janv. 2026", tz);
      await speak("en");
      assert.equal(day("2026-03-01"), "1 March 2026", tz);
      await speak("it");
      assert.equal(day("2026-03-01"), "1 marzo 2026", tz);
      // across the change to summer time, a day is a day
      assert.equal(addDays("2026-03-28", 1), "2026-03-29", tz);
      assert.equal(addDays("2026-03-29", 1), "2026-03-30", tz);
      assert.equal(addDays("2026-03-01", -1), "2026-02-28", tz);
    }
  } finally {
    process.env.TZ = zone;
  }
});

test("months: the end of one, and months back from the 31st", async () => {
  assert.equal(monthEnd("2026-02"), "2026-02-28");
  assert.equal(monthEnd("2028-02"), "2028-02-29");
  assert.equal(monthsBack(1, new Date(2026, 2, 31)), "2026-02");
  assert.equal(monthsBack(12, new Date(2026, 0, 15)), "2025-01");
});

test("no date says so in the page's language", async () => {
  await speak("en");
  assert.equal(day(null), catalog("en").none);
  await speak("it");
  assert.equal(shortDay(""), catalog("it").none);
});

test("quantities keep at most 3 decimals", async () => {
  await speak("fr");
  assert.equal(quantity("412.34567"), "412,346");
  await speak("en");
  assert.equal(quantity("1234.5"), "1,234.5");
});
