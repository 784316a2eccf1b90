// What the portal's modules need of a browser, for node's test runner: the catalogs from web/i18n,
// a sessionStorage, and a small document (elements with attributes, children, text and events).

import { readFileSync } from "node:fs";
import { setCatalog, useLanguage } from "../../web/core/i18n.js";

export const WEB = new URL("../../web/", import.meta.url);
// a language's catalog: its parts (web/i18n/<language>/*.json) together, as the portal loads them
export const PARTS = ["common", "subscriptions", "invoices", "consumption"];
export const part = (language, name) => JSON.parse(readFileSync(new URL(`i18n/${language}/${name}.json`, WEB), "utf8"));
export const catalog = (language) => Object.assign({}, ...PARTS.map((name) => part(language, name)));

export async function speak(language) {
  setCatalog(language, catalog(language));
  await useLanguage(language); // in hand: not fetched
}

export class MemoryStorage {
  #items = new Map();
  getItem(name) { return this.#items.has(name) ? this.#items.get(name) : null; }
  setItem(name, value) { this.#items.set(name, String(value)); }
  removeItem(name) { this.#items.delete(name); }
  get values() { return [...this.#items.values()]; }
}

class FakeNode {}

class FakeText extends FakeNode {
  constructor(text) { super(); this.data = text; }
  get textContent() { return this.data; }
}

const asNode = (node) => node instanceof FakeNode ? node : new FakeText(String(node));

class FakeElement extends FakeNode {
  constructor(tag) {
    super();
    this.tagName = tag.toUpperCase();
    this.attributes = new Map();
    this.children = [];
    this.listeners = {};
    this.value = "";
    this.checked = false;
    this.disabled = false;
  }
  setAttribute(name, value) {
    this.attributes.set(name, String(value));
    if (name === "value") this.value = String(value);
    if (name === "checked") this.checked = true;
  }
  getAttribute(name) { return this.attributes.has(name) ? this.attributes.get(name) : null; }
  removeAttribute(name) { this.attributes.delete(name); }
  addEventListener(type, listener) { (this.listeners[type] ||= []).push(listener); }
  dispatch(type, event = {}) {
    return Promise.all((this.listeners[type] || []).map((listener) => listener({ preventDefault() {}, ...event })));
  }
  append(...nodes) { this.children.push(...nodes.map(asNode)); }
  prepend(...nodes) { this.children.unshift(...nodes.map(asNode)); }
  replaceChildren(...nodes) { this.children = nodes.map(asNode); }
  get textContent() { return this.children.map((child) => child.textContent).join(""); }
  set textContent(text) { this.children = text ? [new FakeText(text)] : []; }
  focus() { globalThis.document.activeElement = this; }
  matches(tag) { return this.tagName === tag.toUpperCase(); }
  // the elements below this one, depth first, that `test` accepts
  findAll(test) {
    return this.children.filter((child) => child instanceof FakeElement)
      .flatMap((child) => [...(test(child) ? [child] : []), ...child.findAll(test)]);
  }
  querySelector(selector) {
    const tags = selector.split(",").map((tag) => tag.trim().toUpperCase());
    return this.findAll((element) => tags.includes(element.tagName))[0] || null;
  }
}

export function installDocument() {
  globalThis.Node = FakeNode;
  globalThis.document = {
    activeElement: null,
    createElement: (tag) => new FakeElement(tag),
    createElementNS: (_, tag) => new FakeElement(tag),
    createTextNode: (text) => new FakeText(text),
    querySelector: () => null,
  };
}
