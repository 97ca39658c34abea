// The web client's element builder (web/app/js/core/dom.js) against a small stand-in for the
// DOM that has no innerHTML: text always becomes text nodes, handlers must be functions, styles
// objects, and link targets cannot run script.
import assert from "node:assert/strict";
import { test } from "node:test";

class FakeNode {
  constructor(tag, text = null) {
    this.tag = tag;
    this.text = text;
    this.attributes = {};
    this.children = [];
    this.listeners = {};
    this.dataset = {};
    this.style = {};
    const classes = new Set();
    this.classList = { add: (...names) => names.forEach((name) => classes.add(name)), contains: (name) => classes.has(name), values: () => [...classes] };
  }
  setAttribute(name, value) { this.attributes[name] = String(value); }
  addEventListener(type, fn) { this.listeners[type] = fn; }
  append(...nodes) {
    for (const node of nodes) {
      if (!(node instanceof FakeNode)) throw new Error(`appended a ${typeof node}, not a node`);
      this.children.push(node);
    }
  }
  replaceChildren(...nodes) { this.children = []; this.append(...nodes); }
  get textContent() { return this.text ?? this.children.map((child) => child.textContent).join(""); }
  set innerHTML(value) { throw new Error("innerHTML used"); }
}

globalThis.document = {
  createElement: (tag) => new FakeNode(tag),
  createTextNode: (text) => new FakeNode("#text", text),
};
const { h, append, safeURL, clear } = await import("../../web/app/js/core/dom.js");

test("children become text nodes; markup in them stays text", () => {
  const element = h("p", { class: "excerpt" }, "<img src=x onerror=alert(1)>", 42, null, false, ["a", ["b"]]);
  assert.deepEqual(element.children.map((child) => child.tag), ["#text", "#text", "#text", "#text"]);
  assert.equal(element.textContent, "<img src=x onerror=alert(1)>42ab");
  assert.deepEqual(element.classList.values(), ["excerpt"]);
});

test("attributes: classes, data, booleans, properties after children, aria as strings", () => {
  const element = h("select", { class: ["a", null, "b"], dataset: { id: "7" }, disabled: true, hidden: false, value: "two", "aria-label": "고르기" },
    h("option", { value: "one" }, "1"), h("option", { value: "two" }, "2"));
  assert.deepEqual(element.classList.values(), ["a", "b"]);
  assert.equal(element.dataset.id, "7");
  assert.equal(element.attributes.disabled, "");
  assert.equal("hidden" in element.attributes, false);
  assert.equal(element.value, "two");
  assert.equal(element.attributes["aria-label"], "고르기");
});

test("handlers must be functions and styles objects: no code or CSS from strings", () => {
  const onclick = () => {};
  assert.equal(h("button", { onclick }).listeners.click, onclick);
  assert.throws(() => h("button", { onclick: "alert(1)" }), TypeError);
  assert.throws(() => h("div", { style: "color: red" }), TypeError);
  assert.equal(h("div", { style: { display: "none" } }).style.display, "none");
});

test("link targets that could run script become #", () => {
  assert.equal(safeURL("/posts/1"), "/posts/1");
  assert.equal(safeURL("https://example.com/a"), "https://example.com/a");
  assert.equal(safeURL("mailto:a@b.co"), "mailto:a@b.co");
  assert.equal(safeURL("javascript:alert(1)"), "#");
  assert.equal(safeURL(" JavaScript:alert(1)"), "#");
  assert.equal(safeURL("data:text/html,<script>alert(1)</script>"), "#");
  assert.equal(safeURL("data:image/png;base64,AAAA"), "data:image/png;base64,AAAA");
  assert.equal(h("a", { href: "javascript:alert(1)" }).attributes.href, "#");
});

test("append and clear", () => {
  const list = h("ul");
  append(list, [h("li", {}, "하나"), h("li", {}, "둘")]);
  assert.equal(list.textContent, "하나둘");
  clear(list);
  assert.equal(list.children.length, 0);
});
