// The portal's texts: one JSON message catalog per language (web/i18n/<language>/*.json), fetched
// once before the first page is drawn. A message is plain text with positional arguments, "{0}",
// and the two choices ICU MessageFormat has: "{0, plural, one {# slot} other {# slots}}" (the
// language's plural rules, "=2 {…}" for an exact count) and "{0, select, year {…} other {…}}"
// (null is "null"). An override table (the brand's words) may be layered above the catalogs.

export const LANGUAGES = { fr: "Français", en: "English", it: "Italiano" };
export const LOCALES = { fr: "fr-FR", en: "en-GB", it: "it-IT" };
// A language's catalog is four files, one per part of the portal (web/i18n/<language>/common.json,
// subscriptions.json, invoices.json, consumption.json), fetched together; literal URLs, so that the
// deployment's build can name each file by its content (infra/portal.py).
const CATALOG_URLS = {
  fr: [new URL("../i18n/fr/common.json", import.meta.url), new URL("../i18n/fr/subscriptions.json", import.meta.url),
    new URL("../i18n/fr/invoices.json", import.meta.url), new URL("../i18n/fr/consumption.json", import.meta.url)],
  en: [new URL("../i18n/en/common.json", import.meta.url), new URL("../i18n/en/subscriptions.json", import.meta.url),
    new URL("../i18n/en/invoices.json", import.meta.url), new URL("../i18n/en/consumption.json", import.meta.url)],
  it: [new URL("../i18n/it/common.json", import.meta.url), new URL("../i18n/it/subscriptions.json", import.meta.url),
    new URL("../i18n/it/invoices.json", import.meta.url), new URL("../i18n/it/consumption.json", import.meta.url)],
};

let current = "fr";
const catalogs = {};
const overrides = {};

export const language = () => current;
export const locale = () => LOCALES[current] || "fr-FR";

// The language asked before (this browser), else the browser's own, else French.
export function preferredLanguage(saved, browser) {
  const choice = saved || (browser || "fr").slice(0, 2);
  return choice in LANGUAGES ? choice : "fr";
}

// A language's catalog, fetched once (and cached by the browser between visits).
export async function useLanguage(code) {
  const chosen = code in LANGUAGES ? code : "fr";
  if (!catalogs[chosen]) {
    const parts = await Promise.all(CATALOG_URLS[chosen].map(async (url) => {
      const answer = await fetch(url);
      if (!answer.ok) throw new Error(`The ${chosen} texts could not be loaded (HTTP ${answer.status}).`);
      return answer.json();
    }));
    catalogs[chosen] = Object.assign({}, ...parts);
  }
  current = chosen;
}

// For the tests and for a catalog already in hand.
export function setCatalog(code, messages) {
  catalogs[code] = messages;
}

// Texts that replace some of the catalog's in one language (the brand's), kept above it: only
// a key the catalog has is replaced (a key of no catalog stays unknown, shown as such).
export function overrideTexts(code, messages) {
  overrides[code] = { ...overrides[code], ...messages };
}

const lookup = (key) => {
  const own = catalogs[current]?.[key];
  return own === undefined ? undefined : overrides[current]?.[key] ?? own;
};
export const has = (key) => lookup(key) !== undefined;

export function t(key, ...args) {
  const message = lookup(key);
  return message === undefined ? key : formatMessage(message, args, locale());
}

// The index of the brace closing the one at `start`, or -1.
function closing(text, start) {
  let depth = 0;
  for (let index = start; index < text.length; index += 1) {
    if (text[index] === "{") depth += 1;
    else if (text[index] === "}" && --depth === 0) return index;
  }
  return -1;
}

// "one {…} other {…}" → {one: "…", other: "…"}
function branches(text) {
  const found = {};
  let index = 0;
  while (index < text.length) {
    const key = /^\s*([^\s{}]+)\s*\{/.exec(text.slice(index));
    if (!key) break;
    const open = index + key[0].length - 1;
    const end = closing(text, open);
    if (end < 0) break;
    found[key[1]] = text.slice(open + 1, end);
    index = end + 1;
  }
  return found;
}

export function formatMessage(message, args, localeName = "fr-FR", hash = null) {
  let out = "";
  for (let index = 0; index < message.length; index += 1) {
    const char = message[index];
    if (char === "#" && hash !== null) {
      out += hash;
      continue;
    }
    const end = char === "{" ? closing(message, index) : -1;
    const part = end > 0 ? /^\s*(\d+)\s*(?:,\s*(plural|select)\s*,([\s\S]*))?$/.exec(message.slice(index + 1, end)) : null;
    if (!part) {
      out += char;
      continue;
    }
    const value = args[Number(part[1])];
    if (!part[2]) {
      out += String(value);
    } else {
      const options = branches(part[3]);
      let chosen;
      if (part[2] === "plural") {
        chosen = options[`=${value}`] ?? options[new Intl.PluralRules(localeName).select(Number(value))] ?? options.other;
        out += formatMessage(chosen ?? "", args, localeName, String(value));
      } else {
        chosen = options[value == null ? "null" : String(value)] ?? options.other;
        out += formatMessage(chosen ?? "", args, localeName);
      }
    }
    index = end;
  }
  return out;
}
