// The provider's brand, as the portal may show it: the public part of brand/brand.json (name,
// portal_title, support lines and hours, legal identity, colours as role-named tokens), served
// beside the pages as /brand.json (the local gateway; the deployed site holds it, built by
// infra/portal.py). Asked once: every caller shares the one answer; a failed request is asked
// again by the next caller.

import { language, overrideTexts } from "./i18n.js";

let asked = null;
export function brand() {
  asked ||= fetch("/brand.json", { headers: { Accept: "application/json" } })
    .then((answer) => {
      if (!answer.ok) throw new Error(`The brand could not be loaded (HTTP ${answer.status}).`);
      return answer.json();
    })
    .catch((error) => {
      asked = null;
      throw error;
    });
  return asked;
}

// The brand's wording of the portal's texts (`texts`: {fr: {key: text}, en: …, it: …}), laid over
// the catalogs of each language (i18n.js replaces only the keys its catalogs have).
export function applyTexts(answer) {
  for (const [code, messages] of Object.entries(answer?.texts || {})) overrideTexts(code, messages);
}

// Before the first page: the brand's texts, or, without the brand (no answer), the product's own.
export const brandTexts = () => brand().then(applyTexts, () => null);

// A text of the brand given once for all languages ("free") or per language ({fr, en, it}).
export const localized = (value, code = language()) =>
  value == null || typeof value === "string" ? value : value[code] ?? value.fr;
