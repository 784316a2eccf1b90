import assert from "node:assert/strict";
import { test } from "node:test";

import { columnHeads, labelCells } from "../../web/core/tables.js";

// A table as the DOM gives it to tables.js: rows of cells, the head row in a thead.
const cell = (text, colSpan = 1) => {
  const attributes = new Map();
  return { textContent: text, colSpan, attributes, hasAttribute: (name) => attributes.has(name),
    setAttribute: (name, value) => attributes.set(name, value) };
};
function table(heads, ...bodyRows) {
  const thead = { tagName: "THEAD" };
  const tbody = { tagName: "TBODY" };
  const head = { cells: heads.map((each) => Array.isArray(each) ? cell(...each) : cell(each)), parentElement: thead };
  thead.rows = [head];
  const rows = bodyRows.map((cells) => ({ cells, parentElement: tbody }));
  return { tHead: thead, rows: [head, ...rows] };
}

test("each cell is labelled with its column's head, a head spanning two columns for both", () => {
  const first = [cell("F2026-1"), cell("5,99 €"), cell("PDF"), cell("")];
  const made = table(["Numéro", "Montant", ["Actions", 2]], first);
  assert.deepEqual(columnHeads(made), ["Numéro", "Montant", "Actions", "Actions"]);
  labelCells(made);
  assert.deepEqual(first.map((each) => each.attributes.get("data-label")), ["Numéro", "Montant", "Actions", "Actions"]);
});

test("a cell spanning the row (a panel) or under an empty head stays without a label; one given is kept", () => {
  const panel = cell("Gérer…", 3);
  const row = [cell("Fibre"), cell("actif"), cell("Gérer")];
  row[0].setAttribute("data-label", "Abonnement");
  const made = table(["Offre", "État", ""], row, [panel]);
  labelCells(made);
  assert.equal(row[0].attributes.get("data-label"), "Abonnement");
  assert.equal(row[1].attributes.get("data-label"), "État");
  assert.equal(row[2].attributes.has("data-label"), false);
  assert.equal(panel.attributes.has("data-label"), false);
});
