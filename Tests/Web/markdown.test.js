// Model answers as markdown (web/app/js/lib/markdown.js) with Debian's marked and DOMPurify, from
// their Debian paths (nginx serves the same files at /vendor/). Node has no DOM (Debian packages
// no jsdom), so the renderer's own refusals are checked here, and the sanitised result in a real
// headless Chromium, when one is installed, under the site's strict CSP with Trusted Types: XSS
// payloads come out inert and nothing but DOMPurify's TrustedHTML can reach innerHTML.
// Run by deploy/test: node --test Tests/Web
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { createMarkdown, escapeHTML, loadMarkdown, plainText } from "../../web/app/js/lib/markdown.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
// Debian's node-marked and node-dompurify (deploy/lib.sh installs them).
const MARKED = "/usr/share/nodejs/marked/lib/marked.esm.js";
const PURIFY = "/usr/share/nodejs/dompurify/dist/purify.es.js";
const missing = [MARKED, PURIFY].filter((path) => !existsSync(path));
const needsLibraries = missing.length ? `not installed: ${missing.join(", ")}` : false;
const { marked } = needsLibraries ? { marked: null } : await import(MARKED);

const PAYLOADS = [
  "<img src=x onerror=alert(1)>",
  "[x](javascript:alert(1))",
  "[y](JaVaScRiPt:alert(1)) [z]( javascript:alert(1)) [d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  "<script>alert(1)</script>",
  "<a href=\"javascript:alert(1)\">click</a>",
  "![pixel](https://tracker.example/p.png \"t\")",
  "<svg><script>alert(1)</script></svg><iframe src=\"javascript:alert(1)\"></iframe>",
  "[q](https://example.com/\" onmouseover=\"alert(1))",
  "<details open ontoggle=alert(1)>",
];

// A DOMPurify that cannot run (as in node): the renderer must not touch innerHTML.
const unsupported = { isSupported: false, sanitize: () => { throw new Error("sanitize called"); } };

test("raw HTML in an answer becomes text before sanitising", { skip: needsLibraries }, () => {
  const md = createMarkdown({ marked, DOMPurify: unsupported });
  const html = md.rawHTML("Hi <img src=x onerror=alert(1)>\n\n<script>alert(1)</script>");
  assert.ok(!html.includes("<img"), html);
  assert.ok(!html.includes("<script"), html);
  assert.ok(html.includes("&lt;img src=x onerror=alert(1)&gt;"), html);
});

test("only http(s) and mailto links stay links; images become their alt text", { skip: needsLibraries }, () => {
  const md = createMarkdown({ marked, DOMPurify: unsupported });
  const html = md.rawHTML(PAYLOADS.join("\n\n") + "\n\n[ok](https://example.com/a?b=1) [mail](mailto:a@example.com) <https://auto.example>");
  assert.doesNotMatch(html, /href="\s*(javascript|data):/i);
  assert.doesNotMatch(html, /<img|<svg|<iframe|<script|<details/i);
  assert.match(html, /<a href="https:\/\/example.com\/a\?b=1">ok<\/a>/);
  assert.match(html, /<a href="mailto:a@example.com">mail<\/a>/);
  assert.match(html, /<a href="https:\/\/auto.example">/);
  assert.match(html, /pixel/);
});

test("markdown formatting survives: code, lists, tables, emphasis, line breaks", { skip: needsLibraries }, () => {
  const md = createMarkdown({ marked, DOMPurify: unsupported });
  const html = md.rawHTML("**굵게** _기울임_\n둘째 줄\n\n- 하나\n- 둘\n\n```js\nconst a = 1 < 2;\n```\n\n| a | b |\n|---|--:|\n| 1 | 2 |");
  for (const tag of ["<strong>굵게</strong>", "<em>기울임</em>", "<br>", "<li>하나</li>", "<pre><code", "1 &lt; 2", "<table>", "<td align=\"right\">2</td>"]) {
    assert.ok(html.includes(tag), `${tag} in ${html}`);
  }
  assert.doesNotMatch(html, /<h\d id=/, "no heading ids");
});

test("without a working DOMPurify the answer is shown as text, never as HTML", { skip: needsLibraries }, () => {
  const element = {
    classList: { add(name) { this.names = [...(this.names ?? []), name]; } },
    set innerHTML(_) { throw new Error("innerHTML used"); },
  };
  createMarkdown({ marked, DOMPurify: unsupported }).render(element, "<b>x</b>");
  assert.equal(element.textContent, "<b>x</b>");
  plainText.render(element, "**y**");
  assert.equal(element.textContent, "**y**");
});

test("loadMarkdown falls back to plain text when the libraries do not load", async () => {
  const original = console.warn;
  console.warn = () => {};
  try {
    const md = await loadMarkdown({ marked: "/nonexistent/marked.js", dompurify: "/nonexistent/purify.js" });
    assert.equal(md, plainText);
  } finally {
    console.warn = original;
  }
});

test("escapeHTML escapes the five characters", () => {
  assert.equal(escapeHTML(`<a href="x" title='y'>&</a>`), "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
});

// The browser half: a page with the site's policy renders every payload, then reports what the
// DOM holds. The report goes into the page as text; Chromium's --dump-dom prints it.
const PAGE_SCRIPT = `
import { loadMarkdown } from "/lib/markdown.js";
const payloads = ${JSON.stringify(PAYLOADS)};
const report = { violations: [], rendered: [], supported: false, innerHTMLRefused: false, xss: false };
document.addEventListener("securitypolicyviolation", (event) => report.violations.push(event.violatedDirective + " " + event.blockedURI));
try { document.body.innerHTML = "<b>plain string</b>"; } catch (error) { report.innerHTMLRefused = error instanceof TypeError; }
const md = await loadMarkdown();
report.supported = md.supported;
for (const payload of [...payloads, "**굵게** [ok](https://example.com/) \`code\`"]) {
  const element = document.createElement("div");
  document.body.append(element);
  md.render(element, payload);
  const bad = [];
  for (const node of element.querySelectorAll("*")) {
    if (!${JSON.stringify(["P", "BR", "STRONG", "EM", "DEL", "S", "CODE", "PRE", "BLOCKQUOTE", "UL", "OL", "LI", "A", "HR", "H1", "H2", "H3", "H4", "H5", "H6", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD"])}.includes(node.nodeName)) bad.push(node.nodeName);
    for (const attribute of node.attributes) {
      if (/^on/i.test(attribute.name)) bad.push(attribute.name);
      if (attribute.name === "href" && !/^(https?:|mailto:)/i.test(attribute.value)) bad.push("href " + attribute.value);
    }
  }
  report.rendered.push({ payload, html: element.innerHTML, bad });
}
report.violationsWhileRendering = report.violations.slice();
// DOMPurify's settings on their own, for HTML that did not come through the renderer (Chromium
// reports the inline handlers it parses in its inert document as violations; nothing runs).
const direct = ${JSON.stringify(PAYLOADS.filter((payload) => payload.startsWith("<")).concat(['<a href="https://example.com/" onclick="alert(1)" style="x" class="y" id="z">a</a><img src=x onerror="window.__xss=1"><form><input></form><math><mi>x</mi></math>']))};
report.sanitised = direct.map((dirty) => {
  const element = document.createElement("div");
  element.innerHTML = md.sanitize(dirty);
  document.body.append(element);
  return { dirty, html: element.innerHTML };
});
await new Promise((resolve) => setTimeout(resolve, 300));
report.xss = Boolean(window.__xss);
const out = document.createElement("pre");
out.id = "report";
out.textContent = JSON.stringify(report);
document.body.append(out);
`;

function startServer() {
  const files = {
    "/vendor/marked.esm.js": MARKED,
    "/vendor/purify.es.js": PURIFY,
    "/lib/markdown.js": `${root}/web/app/js/lib/markdown.js`,
  };
  const server = createServer((request, response) => {
    const path = new URL(request.url, "http://x").pathname;
    const headers = {
      "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; require-trusted-types-for 'script'; trusted-types dompurify",
    };
    if (path === "/") {
      response.writeHead(200, { ...headers, "Content-Type": "text/html; charset=utf-8" });
      response.end('<!doctype html><html><head><meta charset="utf-8"><script type="module" src="/page.js"></script></head><body></body></html>');
    } else if (path === "/page.js") {
      response.writeHead(200, { ...headers, "Content-Type": "text/javascript; charset=utf-8" });
      response.end(PAGE_SCRIPT);
    } else if (files[path]) {
      response.writeHead(200, { ...headers, "Content-Type": "text/javascript; charset=utf-8" });
      response.end(readFileSync(files[path]));
    } else {
      response.writeHead(404, headers);
      response.end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function chromium() {
  for (const path of ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]) if (existsSync(path)) return path;
  return null;
}

test("in Chromium with Trusted Types, every payload renders inert", { skip: needsLibraries || (chromium() ? false : "no Chromium installed") }, async () => {
  const server = await startServer();
  try {
    const url = `http://127.0.0.1:${server.address().port}/`;
    const dom = await new Promise((resolve, reject) => {
      execFile(chromium(), ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--virtual-time-budget=5000", "--dump-dom", url],
        { timeout: 60_000, maxBuffer: 8 << 20 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
    const match = /<pre id="report">([^<]*)<\/pre>/.exec(dom);
    assert.ok(match, `no report in ${dom.slice(0, 2000)}`);
    const report = JSON.parse(match[1].replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&"));
    assert.equal(report.supported, true, "DOMPurify runs in the browser");
    assert.equal(report.innerHTMLRefused, true, "a plain string is refused by innerHTML under the policy");
    assert.equal(report.xss, false);
    for (const { payload, html, bad } of report.rendered) {
      assert.deepEqual(bad, [], `${payload} → ${html}`);
      // Payloads may remain as escaped text ("&lt;img ... onerror=..."), never as markup.
      assert.doesNotMatch(html, /<script|<img|<iframe|<svg|<details|<a\s[^>]*href="\s*(javascript|data):/i, `${payload} → ${html}`);
    }
    for (const { dirty, html } of report.sanitised) {
      assert.doesNotMatch(html, /<script|<img|<iframe|<svg|<details|<form|<input|<math|on\w+=|style=|class=|id=|javascript:/i, `${dirty} → ${html}`);
    }
    assert.equal(report.sanitised.at(-1).html, '<a href="https://example.com/" target="_blank" rel="noopener noreferrer nofollow">a</a>');
    const last = report.rendered.at(-1).html;
    assert.match(last, /<strong>굵게<\/strong>/);
    assert.match(last, /<a href="https:\/\/example.com\/" target="_blank" rel="noopener noreferrer nofollow">ok<\/a>/);
    // Rendering answers reports no violation (a console error): the one expected is the test's
    // own plain-string innerHTML above.
    assert.deepEqual(report.violationsWhileRendering, ["require-trusted-types-for trusted-types-sink"]);
  } finally {
    server.close();
  }
});
