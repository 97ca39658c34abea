// The API documents page's module (web/api-docs/docs.js) run against a minimal stand-in for the
// browser's DOM and fetch: it shows every operation of the three documents, puts everything in as
// text (the stand-in has no innerHTML: using it fails the test), and says so when one fails to load.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const DOCUMENTS = { "/openapi/auth.json": "AuthService", "/openapi/content.json": "ContentService", "/openapi/gpt.json": "GPTService" };

class Node {
  constructor(tag, text = "") {
    this.tag = tag;
    this.attributes = {};
    this.children = [];
    this.text = text;
  }
  setAttribute(name, value) { this.attributes[name] = value; }
  // As the DOM's, strings become text; anything else would show as "[object ...]".
  append(...nodes) {
    for (const node of nodes) {
      if (typeof node === "string") this.children.push(new Node("#text", node));
      else if (node instanceof Node) this.children.push(node);
      else throw new Error(`appended ${JSON.stringify(node)?.slice(0, 80)}`);
    }
  }
  replaceChildren(...nodes) { this.children = []; this.append(...nodes); }
  set textContent(value) { this.children = [new Node("#text", String(value))]; }
  get textContent() { return this.tag === "#text" ? this.text : this.children.map((child) => child.textContent).join(""); }
  set innerHTML(_) { throw new Error("innerHTML used"); }
  *all() {
    yield this;
    for (const child of this.children) yield* child.all();
  }
}

async function render(failing = null) {
  const elements = { services: new Node("main"), status: new Node("p") };
  globalThis.document = {
    createElement: (tag) => new Node(tag),
    createTextNode: (text) => new Node("#text", text),
    getElementById: (id) => elements[id],
  };
  globalThis.fetch = async (url) => {
    if (url === failing) return { ok: false, status: 502, json: async () => ({}) };
    const text = readFileSync(`${root}/Sources/${DOCUMENTS[url]}/openapi.json`, "utf8");
    return { ok: true, status: 200, json: async () => JSON.parse(text) };
  };
  // A fresh copy of the module each time: it renders when it is loaded.
  await import(`../../web/api-docs/docs.js?${Math.random()}`);
  for (let i = 0; i < 20 && elements.services.children.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 10));
  return elements;
}

test("the page shows each document's operations as text", async () => {
  const { services, status } = await render();
  assert.equal(status.textContent, "");
  assert.deepEqual(services.children.map((section) => section.attributes.id), ["auth", "content", "gpt"]);
  const operations = [...services.all()].filter((node) => node.tag === "details");
  let documented = 0;
  for (const service of Object.values(DOCUMENTS)) {
    const document = JSON.parse(readFileSync(`${root}/Sources/${service}/openapi.json`, "utf8"));
    documented += Object.values(document.paths).flatMap((item) => Object.keys(item).filter((key) => key !== "parameters" && key !== "servers")).length;
  }
  assert.equal(operations.length, documented);
  const text = services.textContent;
  for (const expected of ["POST /api/auth/signup", "SignupRequest", "415", "unsupported_media_type", "GET /api/gpt/quota", "http://127.0.0.1:8082"]) {
    assert.ok(text.includes(expected), expected);
  }
});

test("a document that does not load is named, the others still shown", async () => {
  const { services, status } = await render("/openapi/gpt.json");
  assert.match(status.textContent, /GPT: \/openapi\/gpt.json answered 502/);
  assert.equal(status.attributes.class, undefined);
  assert.equal([...services.all()].filter((node) => node.tag === "details").length > 0, true);
  assert.match(services.children[2].textContent, /Could not load/);
});
