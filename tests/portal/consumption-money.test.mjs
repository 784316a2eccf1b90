// Money and precision on the consumption pages: quantities at the API's resolution, a cost as
// billed or estimated, the kitty as the sum of its months, the comparison's steps.

import assert from "node:assert/strict";
import { test } from "node:test";

import { atResolution, decimal, reading } from "../../web/core/format.js";
import { compares, costAmount, costCell, costState, figure, kittyHeld, previousCell } from "../../web/pages/consumption-money.js";
import { installDocument, speak } from "./helpers.mjs";

const NBSP = "\u00a0";
installDocument();

test("a quantity's text keeps the decimals of its resolution, no more, no fewer", async () => {
  await speak("fr");
  assert.equal(decimal("21.0"), "21,0");
  assert.equal(decimal("1234.5"), "1\u202f234,5");
  assert.equal(decimal("0.123"), "0,123");
  assert.equal(reading("2771.1", "kWh"), `2\u202f771,1${NBSP}kWh`);
  assert.equal(reading(null, "kWh"), "—");
  await speak("en");
  assert.equal(reading("2771.0", "kWh"), `2,771.0${NBSP}kWh`);
});

test("a number is rounded half up to a resolution, as the API rounds its quantities", () => {
  assert.equal(atResolution(115.532), "115.5");
  assert.equal(atResolution(115.55), "115.6");
  assert.equal(atResolution(0.04), "0.0");
  assert.equal(atResolution(0.05), "0.1");
  assert.equal(atResolution(299.95), "300.0");
  assert.equal(atResolution(-1.25), "-1.3");
  assert.equal(atResolution(-0.04), "0.0");
  assert.equal(atResolution(12.3456, "0.001"), "12.346");
  assert.equal(atResolution(7, "1"), "7");
  assert.equal(atResolution(null), null);
});

test("a figure is the API's text when it gives one, else the number at 0.1", async () => {
  await speak("fr");
  assert.equal(figure({ value: 35.967, quantities: { value: "36.0" } }, "value", "kWh"), `36,0${NBSP}kWh`);
  assert.equal(figure({ consumed: 135.745 }, "consumed", "kWh"), `135,7${NBSP}kWh`);
  assert.equal(figure(null, "value", "kWh"), "—");
});

test("a cost is its amount incl. VAT, billed or an estimate", async () => {
  await speak("fr");
  const billed = { incl_tax_cents: 4288, currency: "EUR", billed: true };
  const estimate = { incl_tax_cents: 3138, currency: "EUR", billed: false };
  assert.equal(costAmount(billed), `42,88${NBSP}€`);
  assert.equal(costState(billed), "facturé");
  assert.equal(costState(estimate), "estimation");
  assert.equal(costAmount(null), "—");
  const cell = costCell(estimate);
  assert.equal(cell.textContent, `31,38${NBSP}€estimation`);
  assert.equal(cell.getAttribute("data-cents"), "3138");
  assert.equal(costCell(null).textContent, "—");
  const before = previousCell({ value: 122.418, quantities: { value: "122.4" }, cost: billed }, "value", "kWh");
  assert.equal(before.textContent, `122,4${NBSP}kWh42,88${NBSP}€ · facturé`);
});

test("the kitty holds what its months still hold", () => {
  assert.equal(kittyHeld([{ in_kitty_cents: 0 }, { in_kitty_cents: 4231 }, { in_kitty_cents: 4931 }]), 9162);
  assert.equal(kittyHeld([{ credited_cents: 100 }]), 0);
  assert.equal(kittyHeld([]), 0);
});

test("last year is compared by day and by month, unless the address says not to", () => {
  assert.ok(compares("month", ""));
  assert.ok(compares("day", null));
  assert.ok(!compares("month", "none"));
  assert.ok(!compares("hour", ""));
  assert.ok(!compares("half_hour", ""));
});
