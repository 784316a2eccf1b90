import assert from "node:assert/strict";
import { test } from "node:test";

import { documentTitle, pageAfterLogin, register } from "../../web/core/router.js";

const page = () => null;
register({ "/": page, "/login": page, "/account": page, "/invoice": page, "/my-invoices": page });

test("after login, the page asked for, with its query", () => {
  assert.equal(pageAfterLogin("/invoice?id=F-2026-000123"), "/invoice?id=F-2026-000123");
  assert.equal(pageAfterLogin("/my-invoices?from=2026-01&status=open"), "/my-invoices?from=2026-01&status=open");
  assert.equal(pageAfterLogin("/invoice?id=x#pay"), "/invoice?id=x");
});

test("never another site, whatever the next parameter looks like", () => {
  for (const next of [
    "//evil.test", "//evil.test/invoice", "https://evil.test/invoice", "http:/evil.test", "/\\evil.test",
    "\\\\evil.test", "/\t/evil.test", "/\n/evil.test", " //evil.test", "javascript:alert(1)", "evil.test/invoice",
    "/%2F%2Fevil.test", "",
  ]) {
    assert.equal(pageAfterLogin(next), "/", JSON.stringify(next));
  }
});

test("only one of the portal's pages, never the login page itself", () => {
  for (const next of ["/nowhere", "/login", "/login?next=/invoice", "/__proto__", "/constructor", "/toString"]) {
    assert.equal(pageAfterLogin(next), "/", next);
  }
});

test("a page's title: its heading, then the provider's name, in one line", () => {
  assert.equal(documentTitle("Mes factures", "Guichet"), "Mes factures — Guichet");
  assert.equal(documentTitle("Facture\n   F2026-000039 ", "Fibre Nord"), "Facture F2026-000039 — Fibre Nord");
  assert.equal(documentTitle(undefined, "Guichet"), "Guichet");
  assert.equal(documentTitle("Mes factures", ""), "Mes factures");
});
